/*
 * keyring.c - session-token keys: stored sealed, loaded into memory, rotated without downtime.
 */
#include "server/keyring.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/cli_store.h"
#include "server/masterkey.h"
#include "server/secrets.h"
#include "store/store.h"
#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"

#define MAX_KEYS 64
#define RELOAD_MS 2000

struct ring_key {
	char kid[KEY_ID_LEN + 1];
	uint8_t key[AEAD_KEY_LEN];
	int64_t created_ms;
};

struct keyring {
	struct db *db;
	pthread_rwlock_t lock;
	struct ring_key keys[MAX_KEYS]; /* newest first */
	size_t n;
	int64_t loaded_ms;
};

static void key_aad(const char *kid, char out[32])
{
	snprintf(out, 32, "server-key:%s", kid);
}

/* Reads every key from the database into k (newest first), in tx. Called with the write lock held. */
static int reload_in(struct keyring *k, struct db_tx *tx)
{
	struct db_rows *r;
	struct ring_key fresh[MAX_KEYS];
	size_t n = 0;
	int rc;

	r = db_query_fresh(tx, "SELECT kid, key_sealed, created_ms FROM server_keys ORDER BY created_ms DESC, kid LIMIT 64",
	             DB_NOARGS);
	while ((rc = db_step(r)) == DB_ROW && n < MAX_KEYS) {
		size_t len;
		const uint8_t *sealed = db_col_blob(r, 1, &len);
		char aad[32], plain[AEAD_KEY_LEN + 1];
		if (db_col_copy(r, 0, fresh[n].kid, sizeof(fresh[n].kid)) != C_OK)
			continue;
		key_aad(fresh[n].kid, aad);
		if (secrets_open(aad, sealed, len, plain, sizeof(plain)) != C_OK) {
			log_warnx("session key %s does not open under this master key", fresh[n].kid);
			continue;
		}
		memcpy(fresh[n].key, plain, AEAD_KEY_LEN);
		explicit_bzero(plain, sizeof(plain));
		fresh[n].created_ms = db_col_int(r, 2);
		n++;
	}
	db_rows_done(r);
	if (rc == C_ERR) {
		explicit_bzero(fresh, sizeof(fresh));
		return C_ERR;
	}
	explicit_bzero(k->keys, sizeof(k->keys));
	memcpy(k->keys, fresh, n * sizeof(fresh[0]));
	explicit_bzero(fresh, sizeof(fresh));
	k->n = n;
	k->loaded_ms = now_ms();
	return C_OK;
}

/* reload_in() in a read transaction of its own (the calling thread must have none open). */
static int reload(struct keyring *k)
{
	struct db_tx *tx;
	int rc;

	if (db_begin(k->db, false, &tx) != C_OK)
		return C_ERR;
	rc = reload_in(k, tx);
	db_rollback(tx);
	return rc;
}

int keyring_add(struct db *db, int64_t now, char kid[KEY_ID_LEN + 1])
{
	uint8_t key[AEAD_KEY_LEN], sealed[AEAD_KEY_LEN + AEAD_OVERHEAD], idb[KEY_ID_LEN / 2];
	char aad[32];
	size_t len;
	struct db_tx *tx;
	int rc = C_ERR;

	if (crypto_random(key, sizeof(key)) != C_OK || crypto_random(idb, sizeof(idb)) != C_OK)
		return C_ERR;
	hex_encode(idb, sizeof(idb), kid);
	key_aad(kid, aad);
	if (secrets_seal(aad, key, sizeof(key), sealed, sizeof(sealed), &len) != C_OK)
		goto done;
	if (db_begin(db, true, &tx) != C_OK)
		goto done;
	/* `rolegate keys rotate` runs beside the server, not under DATA/lock: a master-key rotation that committed
	 * meanwhile must not get a key sealed under the key it replaced. */
	if (masterkey_current_tx(tx) != C_OK) {
		db_rollback(tx);
		goto done;
	}
	if (db_exec(tx, "INSERT INTO server_keys(kid, key_sealed, created_ms) VALUES (?1, ?2, ?3)",
	            DB_ARGS(db_text(kid), db_blob(sealed, len), db_int(now)), NULL) != C_OK) {
		db_rollback(tx);
		goto done;
	}
	rc = db_commit(tx);
done:
	explicit_bzero(key, sizeof(key));
	return rc;
}

struct keyring *keyring_open(struct db *db)
{
	struct keyring *k = calloc(1, sizeof(*k));
	char kid[KEY_ID_LEN + 1];

	if (!k)
		return NULL;
	k->db = db;
	pthread_rwlock_init(&k->lock, NULL);
	if (reload(k) != C_OK)
		goto fail;
	if (k->n == 0) {
		if (keyring_add(db, now_ms(), kid) != C_OK || reload(k) != C_OK || k->n == 0)
			goto fail;
		log_info("created session-token key %s", kid);
	}
	return k;
fail:
	keyring_free(k);
	return NULL;
}

void keyring_free(struct keyring *k)
{
	if (!k)
		return;
	explicit_bzero(k->keys, sizeof(k->keys));
	pthread_rwlock_destroy(&k->lock);
	free(k);
}

/* Reloads (in tx, the caller's open transaction) when the last load is older than RELOAD_MS: a rotated key
 * becomes the issuing one within seconds. */
static void maybe_reload(struct keyring *k, struct db_tx *tx)
{
	int64_t now = now_ms();
	bool stale;

	pthread_rwlock_rdlock(&k->lock);
	stale = now - k->loaded_ms > RELOAD_MS;
	pthread_rwlock_unlock(&k->lock);
	if (!stale)
		return;
	pthread_rwlock_wrlock(&k->lock);
	if (now - k->loaded_ms > RELOAD_MS && reload_in(k, tx) != C_OK)
		k->loaded_ms = now; /* try again later, keep the keys we have */
	pthread_rwlock_unlock(&k->lock);
}

int keyring_issuing(struct keyring *k, struct db_tx *tx, char kid[KEY_ID_LEN + 1], uint8_t key[AEAD_KEY_LEN])
{
	int rc = C_ERR;

	maybe_reload(k, tx);
	pthread_rwlock_rdlock(&k->lock);
	if (k->n) {
		memcpy(kid, k->keys[0].kid, KEY_ID_LEN + 1);
		memcpy(key, k->keys[0].key, AEAD_KEY_LEN);
		rc = C_OK;
	}
	pthread_rwlock_unlock(&k->lock);
	return rc;
}

static int lookup(struct keyring *k, const char *kid, uint8_t key[AEAD_KEY_LEN])
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->keys[i].kid, kid) == 0) {
			memcpy(key, k->keys[i].key, AEAD_KEY_LEN);
			return C_OK;
		}
	return C_ERR;
}

int keyring_find(struct keyring *k, const char *kid, uint8_t key[AEAD_KEY_LEN])
{
	int64_t now = now_ms();
	bool stale;
	int rc;

	/* A key retired by another process (`rolegate keys retire`) stops verifying within RELOAD_MS. */
	pthread_rwlock_rdlock(&k->lock);
	stale = now - k->loaded_ms > RELOAD_MS;
	pthread_rwlock_unlock(&k->lock);
	if (stale) {
		pthread_rwlock_wrlock(&k->lock);
		if (now - k->loaded_ms > RELOAD_MS && reload(k) != C_OK)
			k->loaded_ms = now; /* try again later, keep the keys we have */
		pthread_rwlock_unlock(&k->lock);
	}
	pthread_rwlock_rdlock(&k->lock);
	rc = lookup(k, kid, key);
	pthread_rwlock_unlock(&k->lock);
	if (rc == C_OK)
		return C_OK;
	/* An unknown key id: perhaps a key rotated in by another process. Reload, at most once a second. */
	pthread_rwlock_wrlock(&k->lock);
	if (now_ms() - k->loaded_ms > 1000)
		reload(k);
	rc = lookup(k, kid, key);
	pthread_rwlock_unlock(&k->lock);
	return rc;
}

/* ---- rolegate keys ----------------------------------------------------------------------------------------------- */

static int keys_usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate keys rotate [--data DIR | --postgres CONNINFO] [--master-key-file FILE]\n"
	        "       rolegate keys list [--data DIR | --postgres CONNINFO] [--master-key-file FILE]\n"
	        "       rolegate keys retire KEYID [--data DIR | --postgres CONNINFO] [--master-key-file FILE]\n"
	        "rotate adds a session-token key that a running server starts issuing with within seconds;\n"
	        "tokens sealed with older keys keep working until they expire.\n"
	        "retire deletes an older key: the sessions sealed with it stop working within seconds\n"
	        "(InvalidClientTokenId). The issuing key cannot be retired: rotate first.\n"
	        "--postgres: the keys of the nodes that share that PostgreSQL database; every node uses a rotated key\n"
	        "within seconds and stops accepting a retired one.\n");
	return status;
}

/* Deletes the key kid unless it is the issuing (newest) one, in one write transaction. Says why not on stderr. */
static int retire(struct db *db, const char *kid)
{
	struct db_tx *tx;
	struct db_rows *r;
	char newest[KEY_ID_LEN + 1] = "";
	int64_t gone = 0;

	if (db_begin(db, true, &tx) != C_OK)
		return C_ERR;
	r = db_query_fresh(tx, "SELECT kid FROM server_keys ORDER BY created_ms DESC, kid LIMIT 1", DB_NOARGS);
	if (db_step(r) == DB_ROW)
		db_col_copy(r, 0, newest, sizeof(newest));
	db_rows_done(r);
	if (strcmp(newest, kid) == 0) {
		fprintf(stderr, "rolegate keys retire: %s is the issuing key: run rolegate keys rotate first, then retire it\n",
		        kid);
		db_rollback(tx);
		return C_ERR;
	}
	if (db_exec(tx, "DELETE FROM server_keys WHERE kid = ?1", DB_ARGS(db_text(kid)), &gone) != C_OK) {
		db_rollback(tx);
		return C_ERR;
	}
	if (gone == 0) {
		fprintf(stderr, "rolegate keys retire: no session-token key %s (rolegate keys list shows them)\n", kid);
		db_rollback(tx);
		return C_ERR;
	}
	return db_commit(tx);
}

int keys_main(int argc, char **argv)
{
	const char *dir = "./data", *mkf = NULL, *cmd, *kid_arg = NULL, *pg = NULL;
	struct db *db = NULL;
	int status = 1;

	if (argc < 1)
		return keys_usage(2);
	cmd = argv[0];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
		return keys_usage(0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--master-key-file") == 0 && i + 1 < argc)
			mkf = argv[++i];
		else if (strcmp(argv[i], "--postgres") == 0 && i + 1 < argc)
			pg = argv[++i];
		else if (strcmp(cmd, "retire") == 0 && argv[i][0] != '-' && !kid_arg)
			kid_arg = argv[i];
		else
			return keys_usage(2);
	}
	if (strcmp(cmd, "rotate") != 0 && strcmp(cmd, "list") != 0 && strcmp(cmd, "retire") != 0)
		return keys_usage(2);
	if (strcmp(cmd, "retire") == 0 && !kid_arg) {
		fprintf(stderr, "rolegate keys retire: which key? (rolegate keys list shows them)\n");
		return 2;
	}
	mkf = cli_store_key_file(mkf);
	if (crypto_init() != C_OK || cli_store_load_key("keys", mkf, dir, pg) != C_OK)
		goto out;
	db = cli_store_open("keys", dir, pg);
	/* No repair here: the server may be running; it settles an interrupted master-key rotation itself. */
	if (!db || store_migrate(db) != C_OK || masterkey_reconcile(db, dir, mkf, false) != C_OK)
		goto out;
	if (strcmp(cmd, "rotate") == 0) {
		char kid[KEY_ID_LEN + 1];
		if (keyring_add(db, now_ms(), kid) != C_OK) {
			fprintf(stderr, "rolegate keys: cannot add a key\n");
			goto out;
		}
		printf("added session-token key %s; it issues from now on, older keys still verify\n", kid);
	} else if (strcmp(cmd, "retire") == 0) {
		if (retire(db, kid_arg) != C_OK)
			goto out;
		printf("retired session-token key %s; sessions sealed with it stop working within seconds\n", kid_arg);
	} else {
		struct db_tx *tx;
		struct db_rows *r;
		char when[ISO8601_LEN];
		bool first = true;
		if (db_begin(db, false, &tx) != C_OK)
			goto out;
		r = db_query(tx, "SELECT kid, created_ms FROM server_keys ORDER BY created_ms DESC, kid", DB_NOARGS);
		while (db_step(r) == DB_ROW) {
			time_iso8601(db_col_int(r, 1) / 1000, when);
			printf("%s  %s  %s\n", db_col_text(r, 0), when, first ? "issuing" : "verifying");
			first = false;
		}
		db_rows_done(r);
		db_rollback(tx);
	}
	status = 0;
out:
	db_close(db);
	secrets_wipe();
	crypto_cleanup();
	return status;
}
