/*
 * masterkey.c - the master key a data directory is sealed under; `rolegate master-key rotate`.
 *
 * What is sealed under the master key (rolegate.db; audit.db holds no secrets):
 *   access_keys.secret_sealed   bound to access_key_id (users' keys and the root's)
 *   mfa_devices.seed_sealed     bound to serial (TOTP seeds)
 *   server_keys.key_sealed      bound to "server-key:" kid (the keys that seal session tokens, src/server/keyring.c)
 *   saml_private_keys.key_sealed bound to "saml-key:" key_id (SAML providers' keys, src/iam/saml_keys.c)
 *   meta master_key_check       bound to "meta:master_key_check" (src/server/bootstrap.c)
 * and meta master_key_id names the key (secrets_key_id). Rotation rewrites all of them in one transaction.
 */
#include "server/masterkey.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/cli_store.h"
#include "server/secrets.h"
#include "store/node.h"
#include "store/store.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/file.h"
#include "util/log.h"

#define KEY_ID_META "master_key_id"
#define CHECK_META "master_key_check"
#define CHECK_AAD "meta:master_key_check"
#define ROW_ID_MAX 1024
#define ROW_SEALED_MAX (SECRETS_RESEAL_MAX + AEAD_OVERHEAD)

/* A table column of sealed values and how each is bound (associated data: prefix + the row's id). The SQL is
 * literal text: src/store/sqlite.c caches prepared statements by the address of their text. */
struct sealed_column {
	const char *table, *aad_prefix;
	const char *first_sql; /* one row: id, sealed */
	const char *batch_sql; /* id, sealed of up to BATCH rows with id > ?1, in id order */
	const char *update_sql; /* sealed = ?2 where id = ?1 */
};

#define BATCH 256
#define STR_(x) #x
#define STR(x) STR_(x)
#define SEALED_COLUMN(table, id, sealed, prefix)                                                                      \
	{                                                                                                              \
		table, prefix, "SELECT " id ", " sealed " FROM " table " LIMIT 1",                                          \
		    "SELECT " id ", " sealed " FROM " table " WHERE " id " > ?1 ORDER BY " id " LIMIT " STR(BATCH),         \
		    "UPDATE " table " SET " sealed " = ?2 WHERE " id " = ?1"                                                 \
	}

static const struct sealed_column sealed_columns[] = {
	SEALED_COLUMN("access_keys", "access_key_id", "secret_sealed", ""),
	SEALED_COLUMN("mfa_devices", "serial", "seed_sealed", ""),
	SEALED_COLUMN("server_keys", "kid", "key_sealed", "server-key:"),
	SEALED_COLUMN("saml_private_keys", "key_id", "key_sealed", "saml-key:"),
};

struct sealed_row {
	char id[ROW_ID_MAX];
	uint8_t sealed[ROW_SEALED_MAX];
	size_t len;
};

/*
 * A testing aid (DEVELOPERS.md): ROLEGATE_CRASH_STAGE=STAGE makes the rotation kill itself with SIGKILL at STAGE,
 * as a power cut or kill -9 would, so tests/e2e/test_master_key.py can check that every stage leaves one key working.
 */
static void crash_point(const char *stage)
{
	const char *want = getenv("ROLEGATE_CRASH_STAGE");

	if (want && strcmp(want, stage) == 0)
		raise(SIGKILL);
}

/* Reads the 32-byte key file path and writes its id. C_ERR (errno set) when it cannot be read or is not 32 bytes. */
static int key_file_id(const char *path, char id[MASTER_KEY_ID_LEN + 1])
{
	uint8_t key[AEAD_KEY_LEN + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return C_ERR;
	n = read(fd, key, sizeof(key));
	close(fd);
	if (n != AEAD_KEY_LEN) {
		explicit_bzero(key, sizeof(key));
		return C_ERR;
	}
	secrets_key_id_of(key, id);
	explicit_bzero(key, sizeof(key));
	return C_OK;
}

#define OPENS 1
#define OPENS_NOT 0
#define NOTHING_SEALED 2

/* Whether the loaded key opens a sealed value of db (the check value, else the first secret found), in tx: OPENS,
 * OPENS_NOT (fail closed), NOTHING_SEALED, or C_ERR on a read error. */
static int opens_something(struct db_tx *tx)
{
	char stored[256], plain[SECRETS_RESEAL_MAX + 1], aad[ROW_ID_MAX + 16];
	int rc = store_meta_get(tx, CHECK_META, stored, sizeof(stored));

	if (rc == C_OK) {
		size_t rawlen = 0;
		uint8_t *raw = base64_decode(stored, strlen(stored), &rawlen);
		rc = raw && secrets_open(CHECK_AAD, raw, rawlen, plain, sizeof(plain)) == C_OK ? OPENS : OPENS_NOT;
		free(raw);
		explicit_bzero(plain, sizeof(plain));
		return rc;
	}
	if (rc != STORE_NOT_FOUND)
		return C_ERR;
	for (size_t i = 0; i < ARRAY_LEN(sealed_columns); i++) {
		const struct sealed_column *c = &sealed_columns[i];
		struct db_rows *r;
		r = db_query_fresh(tx, c->first_sql, DB_NOARGS);
		int step = db_step(r);
		if (step == DB_ROW) {
			size_t len;
			const uint8_t *sealed = db_col_blob(r, 1, &len);
			snprintf(aad, sizeof(aad), "%s%s", c->aad_prefix, db_col_text(r, 0));
			rc = secrets_open(aad, sealed, len, plain, sizeof(plain)) == C_OK ? OPENS : OPENS_NOT;
			explicit_bzero(plain, sizeof(plain));
		}
		db_rows_done(r);
		if (step == DB_ROW)
			return rc;
		if (step != DB_DONE)
			return C_ERR;
	}
	return NOTHING_SEALED;
}

/* First use of a directory from before key ids: records the loaded key's id once it has opened a secret. */
static int record_key_id(struct db *db, const char *loaded)
{
	struct db_tx *tx;
	int opens;

	if (db_begin(db, true, &tx) != C_OK)
		return C_ERR;
	opens = opens_something(tx);
	if (opens == OPENS_NOT) {
		log_errorx("the master key (id %s) does not open this data directory's secrets: wrong --master-key-file?",
		           loaded);
		goto fail;
	}
	if (opens == C_ERR || store_meta_set(tx, KEY_ID_META, loaded) != C_OK)
		goto fail;
	return db_commit(tx);
fail:
	db_rollback(tx);
	return C_ERR;
}

int masterkey_current_tx(struct db_tx *tx)
{
	char stored[MASTER_KEY_ID_LEN + 1], loaded[MASTER_KEY_ID_LEN + 1];
	int rc = store_meta_get(tx, KEY_ID_META, stored, sizeof(stored));

	if (rc == STORE_NOT_FOUND)
		return C_OK;
	if (rc != C_OK || secrets_key_id(loaded) != C_OK)
		return C_ERR;
	if (strcmp(stored, loaded) != 0) {
		log_errorx("this data directory's secrets are now sealed under master key %s, not %s (the one loaded): "
		           "a master-key rotation ran",
		           stored, loaded);
		return C_ERR;
	}
	return C_OK;
}

int masterkey_reconcile(struct db *db, const char *data_dir, const char *key_file, bool repair)
{
	char stored[MASTER_KEY_ID_LEN + 1], loaded[MASTER_KEY_ID_LEN + 1], pending_id[MASTER_KEY_ID_LEN + 1];
	char cur[4096], pending[4096];
	struct db_tx *tx;
	bool has_pending;
	int rc;

	if (secrets_key_id(loaded) != C_OK || db_begin(db, false, &tx) != C_OK)
		return C_ERR;
	rc = store_meta_get(tx, KEY_ID_META, stored, sizeof(stored));
	db_rollback(tx);
	if (rc == STORE_NOT_FOUND)
		return record_key_id(db, loaded);
	if (rc != C_OK)
		return C_ERR;
	snprintf(cur, sizeof(cur), "%s/master.key", data_dir);
	snprintf(pending, sizeof(pending), "%s/master.key.new", data_dir);
	has_pending = !key_file && access(pending, F_OK) == 0;
	if (strcmp(stored, loaded) == 0) {
		/* A rotation wrote its new key and stopped before its transaction committed: that key sealed nothing. */
		if (has_pending && repair) {
			if (unlink(pending) != 0 || file_fsync_dir(data_dir) != C_OK) {
				log_error("cannot remove %s", pending);
				return C_ERR;
			}
			log_warnx("removed %s: a master-key rotation stopped before it committed; %s (id %s) stays the key",
			          pending, cur, loaded);
		}
		return C_OK;
	}
	if (has_pending && key_file_id(pending, pending_id) == C_OK && strcmp(pending_id, stored) == 0) {
		/* The rotation committed and stopped before its rename: finish it. */
		if (!repair) {
			log_errorx("a master-key rotation of %s committed but did not finish: start the server (or run rolegate "
			           "master-key rotate) on it once to finish it",
			           data_dir);
			return C_ERR;
		}
		if (rename(pending, cur) != 0 || file_fsync_dir(data_dir) != C_OK) {
			log_error("cannot rename %s to %s", pending, cur);
			return C_ERR;
		}
		log_warnx("finished an interrupted master-key rotation: %s (id %s) is now %s", pending, stored, cur);
		secrets_wipe();
		return secrets_load_master_key(NULL, data_dir);
	}
	log_errorx("the master key does not open this data directory's secrets: master key fingerprint mismatch: %s "
	           "has id %s, the secrets are sealed under the key with id %s (rotated by rolegate master-key rotate? "
	           "then start with the new key)",
	           key_file ? key_file : cur, loaded, stored);
	return C_ERR;
}

/* Rewrites every row of c sealed under the loaded key, sealed under newkey, in tx; batches of BATCH rows in id
 * order. C_ERR (logged) when a row does not open: nothing is dropped, the caller rolls back. */
static int reseal_column(struct db_tx *tx, const struct sealed_column *c, const uint8_t newkey[AEAD_KEY_LEN],
                         struct sealed_row *rows, size_t *count)
{
	char last[ROW_ID_MAX] = "", aad[ROW_ID_MAX + 16];
	uint8_t out[ROW_SEALED_MAX];

	for (;;) {
		struct db_rows *r = db_query_fresh(tx, c->batch_sql, DB_ARGS(db_text(last)));
		size_t n = 0;
		int rc;
		while ((rc = db_step(r)) == DB_ROW && n < BATCH) {
			const uint8_t *blob = db_col_blob(r, 1, &rows[n].len);
			if (db_col_copy(r, 0, rows[n].id, sizeof(rows[n].id)) != C_OK || rows[n].len > ROW_SEALED_MAX) {
				log_errorx("%s: a row too large to re-seal", c->table);
				rc = C_ERR;
				break;
			}
			memcpy(rows[n].sealed, blob, rows[n].len);
			n++;
		}
		db_rows_done(r);
		if (rc == C_ERR)
			return C_ERR;
		for (size_t i = 0; i < n; i++) {
			size_t len;
			snprintf(aad, sizeof(aad), "%s%s", c->aad_prefix, rows[i].id);
			if (secrets_reseal(newkey, aad, rows[i].sealed, rows[i].len, out, sizeof(out), &len) != C_OK) {
				log_errorx("%s %s does not open under the current master key: nothing re-sealed", c->table,
				           rows[i].id);
				return C_ERR;
			}
			if (db_exec(tx, c->update_sql, DB_ARGS(db_text(rows[i].id), db_blob(out, len)), NULL) != C_OK)
				return C_ERR;
			(*count)++;
		}
		if (n < BATCH)
			return C_OK;
		memcpy(last, rows[n - 1].id, sizeof(last));
	}
}

/* The check value in meta, re-sealed under newkey (it is absent before the server's first start). */
static int reseal_check(struct db_tx *tx, const uint8_t newkey[AEAD_KEY_LEN])
{
	char stored[256], *b64;
	uint8_t out[256], *raw;
	size_t rawlen = 0, len;
	int rc = store_meta_get(tx, CHECK_META, stored, sizeof(stored));

	if (rc == STORE_NOT_FOUND)
		return C_OK;
	if (rc != C_OK || !(raw = base64_decode(stored, strlen(stored), &rawlen)))
		return C_ERR;
	rc = secrets_reseal(newkey, CHECK_AAD, raw, rawlen, out, sizeof(out), &len);
	free(raw);
	if (rc != C_OK || !(b64 = base64_encode(out, len)))
		return C_ERR;
	rc = store_meta_set(tx, CHECK_META, b64);
	free(b64);
	return rc;
}

/* One transaction: every sealed value re-sealed under newkey, and newkey's id recorded. */
static int reseal_all(struct db *db, const uint8_t newkey[AEAD_KEY_LEN], size_t *count)
{
	struct sealed_row *rows = calloc(BATCH, sizeof(*rows));
	char id[MASTER_KEY_ID_LEN + 1];
	struct db_tx *tx;

	if (!rows || db_begin(db, true, &tx) != C_OK) {
		free(rows);
		return C_ERR;
	}
	for (size_t i = 0; i < ARRAY_LEN(sealed_columns); i++) {
		if (reseal_column(tx, &sealed_columns[i], newkey, rows, count) != C_OK)
			goto fail;
		crash_point("mid-reseal"); /* some rows re-sealed, nothing committed */
	}
	secrets_key_id_of(newkey, id);
	if (reseal_check(tx, newkey) != C_OK || store_meta_set(tx, KEY_ID_META, id) != C_OK)
		goto fail;
	crash_point("before-commit");
	explicit_bzero(rows, BATCH * sizeof(*rows));
	free(rows);
	return db_commit(tx);
fail:
	db_rollback(tx);
	explicit_bzero(rows, BATCH * sizeof(*rows));
	free(rows);
	return C_ERR;
}

/* Creates path (which must not exist) holding key, mode 0600, synced with its directory. */
static int write_new_key(const char *path, const uint8_t key[AEAD_KEY_LEN])
{
	char dir[4096], *slash;

	if (file_create_private(path, key, AEAD_KEY_LEN) != C_OK) {
		if (errno == EEXIST)
			fprintf(stderr, "rolegate master-key rotate: %s exists: the new key goes to a file that does not\n",
			        path);
		else
			fprintf(stderr, "rolegate master-key rotate: cannot write %s: %s\n", path, strerror(errno));
		return C_ERR;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (file_fsync_dir(dir) != C_OK) {
		fprintf(stderr, "rolegate master-key rotate: cannot sync the directory of %s\n", path);
		unlink(path);
		return C_ERR;
	}
	return C_OK;
}

/* `rolegate master-key id`: the id of a key file and the one DIR's database (or the PostgreSQL database pg names)
 * records. 0 when they match (or DIR has no database yet), 1 when not or on an error. */
static int show_ids(const char *dir, const char *mkf, const char *pg)
{
	char keypath[4096], dbpath[4096], id[MASTER_KEY_ID_LEN + 1], stored[MASTER_KEY_ID_LEN + 1];
	struct db *db;
	struct db_tx *tx;
	bool on_pg;
	int rc;

	snprintf(keypath, sizeof(keypath), "%s", mkf ? mkf : "");
	if (!mkf)
		snprintf(keypath, sizeof(keypath), "%s/master.key", dir);
	if (crypto_init() != C_OK)
		return 1;
	rc = key_file_id(keypath, id);
	crypto_cleanup();
	if (rc != C_OK) {
		fprintf(stderr, "rolegate master-key id: cannot read a 32-byte key from %s\n", keypath);
		return 1;
	}
	printf("%s  %s\n", id, keypath);
	on_pg = pg || store_node_is_postgres(dir); /* --postgres, or a PostgreSQL node's DIR/postgres */
	snprintf(dbpath, sizeof(dbpath), "%s", "PostgreSQL");
	if (!on_pg)
		snprintf(dbpath, sizeof(dbpath), "%s/rolegate.db", dir);
	if (!on_pg && access(dbpath, F_OK) != 0)
		return 0;
	db = cli_store_open("master-key id", dir, pg);
	if (!db || db_begin(db, false, &tx) != C_OK) {
		db_close(db);
		return 1;
	}
	rc = store_meta_get(tx, KEY_ID_META, stored, sizeof(stored));
	db_rollback(tx);
	db_close(db);
	if (rc == STORE_NOT_FOUND) {
		printf("%s records no key id yet (the server records it on its next start)\n", dbpath);
		return 0;
	}
	if (rc != C_OK)
		return 1;
	printf("%s  %s (%s)\n", stored, dbpath, strcmp(stored, id) == 0 ? "the key opens it" : "another key");
	return strcmp(stored, id) == 0 ? 0 : 1;
}

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate master-key rotate [--data DIR]\n"
	        "       rolegate master-key rotate [--data DIR | --postgres CONNINFO] --master-key-file FILE\n"
	        "                                  --new-key-file NEWFILE\n"
	        "       rolegate master-key id [--data DIR | --postgres CONNINFO] [--master-key-file FILE]\n"
	        "Re-seals every secret of DIR (access-key secrets, MFA seeds, session-token keys) under a new random\n"
	        "master key, in one transaction. Offline: stop the server first (the verb takes DIR/lock, which a\n"
	        "running server holds, and refuses while it is held). Sessions issued before keep working.\n"
	        "With DIR/master.key (the default) the new key replaces it. With --master-key-file (a key kept\n"
	        "outside DIR) the new key is written to NEWFILE, which must not exist; start the server with\n"
	        "--master-key-file NEWFILE from then on: the old key no longer opens DIR.\n"
	        "Interrupted at any point (kill -9, power), DIR opens with exactly one of the two keys: the server\n"
	        "finishes or undoes an interrupted rotation of DIR/master.key on its next start.\n"
	        "id prints the id of a key (FILE, or DIR/master.key; an HMAC of the key, not the key) and the id DIR's\n"
	        "database records: which of several kept keys opens a directory or an old snapshot restored into one.\n"
	        "--postgres: the database every node shares, re-sealed in one PostgreSQL transaction. Stop every node\n"
	        "first (a node still running with the old key fails closed: the secrets no longer open for it), then\n"
	        "start every node with --master-key-file NEWFILE.\n");
	return status;
}

int masterkey_main(int argc, char **argv)
{
	const char *dir = "./data", *mkf = NULL, *nkf = NULL, *pg = NULL;
	char lockpath[4096], newpath[4096], curpath[4096], id[MASTER_KEY_ID_LEN + 1];
	uint8_t newkey[AEAD_KEY_LEN];
	struct db *db = NULL;
	size_t count = 0;
	int lock = -1, status = 1;
	bool wrote = false, committed = false;

	if (argc < 1)
		return usage(2);
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)
		return usage(0);
	if (strcmp(argv[0], "rotate") != 0 && strcmp(argv[0], "id") != 0)
		return usage(2);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(0);
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--master-key-file") == 0 && i + 1 < argc)
			mkf = argv[++i];
		else if (strcmp(argv[i], "--new-key-file") == 0 && i + 1 < argc)
			nkf = argv[++i];
		else if (strcmp(argv[i], "--postgres") == 0 && i + 1 < argc)
			pg = argv[++i];
		else
			return usage(2);
	}
	mkf = cli_store_key_file(mkf);
	if (strcmp(argv[0], "id") == 0)
		return nkf ? usage(2) : show_ids(dir, mkf, pg);
	if (!mkf != !nkf) {
		fprintf(stderr, "rolegate master-key rotate: --master-key-file (or ROLEGATE_MASTER_KEY_FILE) and "
		                "--new-key-file go together (without them the key is DIR/master.key)\n");
		return 2;
	}
	if (pg && !mkf) {
		fprintf(stderr, "rolegate master-key rotate: with --postgres name the nodes' key and the new one: "
		                "--master-key-file FILE --new-key-file NEWFILE\n");
		return 2;
	}
	if (!pg && store_node_is_postgres(dir)) {
		fprintf(stderr, "rolegate master-key rotate: %s is a PostgreSQL node's directory: stop every node, then "
		                "rotate the database's key with --postgres CONNINFO --master-key-file FILE --new-key-file "
		                "NEWFILE\n", dir);
		return 1;
	}
	snprintf(lockpath, sizeof(lockpath), "%s/rolegate.db", dir);
	if (!pg && access(lockpath, F_OK) != 0) {
		fprintf(stderr, "rolegate master-key rotate: %s has no database (%s)\n", dir, lockpath);
		return 1;
	}
	/* PostgreSQL: DIR/lock only refuses a node of this machine that runs on DIR; the others must be stopped by
	 * the operator (see the usage). */
	snprintf(lockpath, sizeof(lockpath), "%s/lock", dir);
	if (!pg || access(dir, F_OK) == 0)
		lock = file_lock_exclusive(lockpath);
	if (lock < 0 && (!pg || access(dir, F_OK) == 0)) {
		if (errno == EWOULDBLOCK)
			fprintf(stderr, "rolegate master-key rotate: %s is in use (a rolegate server runs on it): stop the "
			                "server first, the rotation is offline\n",
			        dir);
		else
			fprintf(stderr, "rolegate master-key rotate: cannot lock %s: %s\n", lockpath, strerror(errno));
		return 1;
	}
	snprintf(curpath, sizeof(curpath), "%s/master.key", dir);
	snprintf(newpath, sizeof(newpath), "%s", nkf ? nkf : "");
	if (!nkf)
		snprintf(newpath, sizeof(newpath), "%s/master.key.new", dir);
	if (crypto_init() != C_OK || cli_store_load_key("master-key rotate", mkf, dir, pg) != C_OK)
		goto out;
	db = cli_store_open("master-key rotate", dir, pg);
	if (!db || store_migrate(db) != C_OK || masterkey_reconcile(db, dir, mkf, true) != C_OK)
		goto out;
	if (crypto_random(newkey, sizeof(newkey)) != C_OK || write_new_key(newpath, newkey) != C_OK)
		goto out;
	wrote = true;
	crash_point("key-written");
	if (reseal_all(db, newkey, &count) != C_OK) {
		fprintf(stderr, "rolegate master-key rotate: nothing changed; the key stays %s\n", mkf ? mkf : curpath);
		goto out;
	}
	committed = true;
	crash_point("committed");
	secrets_key_id_of(newkey, id);
	if (!mkf) {
		if (rename(newpath, curpath) != 0 || file_fsync_dir(dir) != C_OK) {
			fprintf(stderr, "rolegate master-key rotate: re-sealed, but cannot rename %s to %s (%s): the server "
			                "finishes it on its next start\n",
			        newpath, curpath, strerror(errno));
			goto out;
		}
		crash_point("renamed");
		printf("re-sealed %zu secrets under a new master key (id %s) in %s; the old key no longer opens %s\n",
		       count, id, curpath, dir);
	} else {
		printf("re-sealed %zu secrets under a new master key (id %s) written to %s; start the server%s with "
		       "--master-key-file %s from now on: %s no longer opens %s\n",
		       count, id, nkf, pg ? " (every node)" : "", nkf, mkf, cli_store_where(dir, pg));
	}
	status = 0;
out:
	if (wrote && !committed)
		unlink(newpath); /* it sealed nothing */
	explicit_bzero(newkey, sizeof(newkey));
	db_close(db);
	secrets_wipe();
	crypto_cleanup();
	if (lock >= 0)
		close(lock);
	return status;
}
