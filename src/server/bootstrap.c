/*
 * bootstrap.c - the first start of a data directory, and every start after it:
 *
 *   - the management account exists (12-digit id: --account-id or random), created once
 *   - the master key is the one this directory's secrets were sealed with (a check value in meta), so a wrong
 *     --master-key-file stops the start instead of failing request after request
 *   - the root credentials: from ROLEGATE_ROOT_ACCESS_KEY_ID / ROLEGATE_ROOT_SECRET_ACCESS_KEY when set (the key is
 *     created or its secret replaced; a different key given by the environment before is retired), otherwise
 *     generated once and written to DIR/root-credentials (mode 0600); printed once when stdout is a terminal
 */
#include "server/bootstrap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/ids.h"
#include "iam/effective.h"
#include "util/crypto.h"
#include "util/file.h"
#include "server/secrets.h"
#include "util/common.h"
#include "util/log.h"

static bool valid_account_id(const char *s)
{
	if (strlen(s) != 12)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool valid_key_id(const char *s)
{
	size_t n = strlen(s);

	if (n < 16 || n > 128)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static bool valid_secret(const char *s)
{
	size_t n = strlen(s);

	if (n < 16 || n > 100)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return false;
	return true;
}

/* Creates the management account on the first start. */
static int ensure_account(struct db_tx *tx, const char *wanted, char out[ACCOUNT_ID_LEN + 1], int64_t now)
{
	struct store_account a;
	int rc = store_meta_get(tx, "management_account_id", out, ACCOUNT_ID_LEN + 1);

	if (rc == C_OK) {
		if (wanted && strcmp(wanted, out) != 0)
			log_warnx("--account-id %s ignored: this data directory's management account is %s", wanted, out);
		return C_OK;
	}
	if (rc != STORE_NOT_FOUND)
		return C_ERR;
	memset(&a, 0, sizeof(a));
	if (wanted)
		snprintf(a.account_id, sizeof(a.account_id), "%s", wanted);
	else
		id_account(a.account_id);
	snprintf(a.name, sizeof(a.name), "Management");
	snprintf(a.status, sizeof(a.status), "ACTIVE");
	a.is_management = true;
	a.created_ms = now;
	if (store_account_create(tx, &a) != C_OK || store_meta_set(tx, "management_account_id", a.account_id) != C_OK)
		return C_ERR;
	memcpy(out, a.account_id, ACCOUNT_ID_LEN + 1);
	log_info("created the management account %s", out);
	return C_OK;
}

#define ROOT_KEYS_MAX 2 /* AccessKeysPerUser applies to the root too */
#define MASTER_CHECK_PLAINTEXT "rolegate master key check"
#define MASTER_CHECK_ID "meta:master_key_check"

/* Verifies (or, on the first start, records) that the master key opens this directory's secrets. */
static int check_master_key(struct db_tx *tx)
{
	char stored[256], opened[64];
	uint8_t sealed[128], *raw;
	size_t len, rawlen = 0;
	char *b64;
	int rc = store_meta_get(tx, "master_key_check", stored, sizeof(stored));

	if (rc == STORE_NOT_FOUND) {
		if (secrets_seal(MASTER_CHECK_ID, MASTER_CHECK_PLAINTEXT, strlen(MASTER_CHECK_PLAINTEXT), sealed,
		                 sizeof(sealed), &len) != C_OK || !(b64 = base64_encode(sealed, len)))
			return C_ERR;
		rc = store_meta_set(tx, "master_key_check", b64);
		free(b64);
		return rc;
	}
	if (rc != C_OK)
		return C_ERR;
	raw = base64_decode(stored, strlen(stored), &rawlen);
	rc = raw && secrets_open(MASTER_CHECK_ID, raw, rawlen, opened, sizeof(opened)) == C_OK &&
	             strcmp(opened, MASTER_CHECK_PLAINTEXT) == 0
	         ? C_OK
	         : C_ERR;
	free(raw);
	if (rc != C_OK)
		log_errorx("the master key does not open this data directory's secrets: wrong --master-key-file?");
	return rc;
}

/* Stores (or updates) a root key with the given secret. */
static int put_root_key(struct db_tx *tx, const char *account, const char *id, const char *secret, int64_t now)
{
	struct store_access_key k;
	int rc = store_key_get(tx, id, &k);
	uint8_t sealed[SEALED_SECRET_MAX];
	size_t sealed_len;

	if (rc == C_OK && (strcmp(k.account_id, account) != 0 || k.user_id[0])) {
		log_errorx("ROLEGATE_ROOT_ACCESS_KEY_ID %s already belongs to another principal", id);
		return C_ERR;
	}
	if (secrets_seal(id, secret, strlen(secret), sealed, sizeof(sealed), &sealed_len) != C_OK)
		return C_ERR;
	if (rc == C_OK) {
		if (store_key_set_secret(tx, id, sealed, sealed_len) != C_OK ||
		    store_key_set_status(tx, id, "Active") != C_OK)
			return C_ERR;
		return C_OK;
	}
	if (rc != STORE_NOT_FOUND)
		return C_ERR;
	memset(&k, 0, sizeof(k));
	snprintf(k.access_key_id, sizeof(k.access_key_id), "%s", id);
	snprintf(k.account_id, sizeof(k.account_id), "%s", account);
	snprintf(k.status, sizeof(k.status), "Active");
	memcpy(k.secret_sealed, sealed, sealed_len);
	k.secret_sealed_len = sealed_len;
	k.created_ms = now;
	return store_key_create(tx, &k);
}

/* The environment names the root key: one it named on an earlier start is deleted when it names another. */
static int retire_previous_env_key(struct db_tx *tx, const char *env_id)
{
	char prev[IAM_ID_MAX];
	int rc = store_meta_get(tx, "env_root_access_key_id", prev, sizeof(prev));

	if (rc == C_OK && strcmp(prev, env_id) != 0) {
		rc = store_key_delete(tx, prev);
		if (rc != C_OK && rc != STORE_NOT_FOUND)
			return C_ERR;
		log_info("retired root access key %s, replaced by ROLEGATE_ROOT_ACCESS_KEY_ID %s", prev, env_id);
	} else if (rc != C_OK && rc != STORE_NOT_FOUND) {
		return C_ERR;
	}
	return store_meta_set(tx, "env_root_access_key_id", env_id);
}

/* Writes DIR/root-credentials (mode 0600) in the AWS credentials-file format. */
static int write_credentials_file(const char *dir, const char *id, const char *secret)
{
	char path[4096], text[512];
	int rc;

	snprintf(path, sizeof(path), "%s/root-credentials", dir);
	snprintf(text, sizeof(text),
	         "# Root credentials of the rolegate management account (generated once).\n"
	         "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
	         id, secret);
	rc = file_write_private(path, text);
	explicit_bzero(text, sizeof(text));
	return rc;
}

int bootstrap_check(const struct server_config *cfg)
{
	const char *env_id = getenv("ROLEGATE_ROOT_ACCESS_KEY_ID"), *env_secret = getenv("ROLEGATE_ROOT_SECRET_ACCESS_KEY");

	if (cfg->account_id && !valid_account_id(cfg->account_id)) {
		log_errorx("--account-id must be 12 digits");
		return C_ERR;
	}
	if ((env_id && !env_secret) || (!env_id && env_secret)) {
		log_errorx("set both ROLEGATE_ROOT_ACCESS_KEY_ID and ROLEGATE_ROOT_SECRET_ACCESS_KEY, or neither");
		return C_ERR;
	}
	if (env_id && (!valid_key_id(env_id) || !valid_secret(env_secret))) {
		log_errorx("ROLEGATE_ROOT_ACCESS_KEY_ID must be 16-128 of [A-Z0-9] and the secret 16-100 printable "
		           "characters");
		return C_ERR;
	}
	return C_OK;
}

/* Removes DIR/root-credentials (its key was not committed). */
static void remove_credentials_file(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/root-credentials", dir);
	unlink(path);
}

int bootstrap(struct rg_server *srv, int64_t now)
{
	const char *env_id = getenv("ROLEGATE_ROOT_ACCESS_KEY_ID"), *env_secret = getenv("ROLEGATE_ROOT_SECRET_ACCESS_KEY");
	const char *wanted = srv->cfg->account_id;
	char id[ACCESS_KEY_ID_LEN + 1], secret[SECRET_KEY_LEN + 1];
	bool generated = false, saved = false;
	struct db_tx *tx;
	int64_t nkeys = 0;

	if (bootstrap_check(srv->cfg) != C_OK)
		return C_ERR;
	if (db_begin(srv->db, true, &tx) != C_OK)
		return C_ERR;
	if (check_master_key(tx) != C_OK || ensure_account(tx, wanted, srv->management_account, now) != C_OK ||
	    iam_ensure_aws_managed_policies(tx, now) != C_OK)
		goto fail;
	if (env_id) {
		if (retire_previous_env_key(tx, env_id) != C_OK ||
		    put_root_key(tx, srv->management_account, env_id, env_secret, now) != C_OK ||
		    store_key_count(tx, srv->management_account, NULL, &nkeys) != C_OK)
			goto fail;
		if (nkeys > ROOT_KEYS_MAX) {
			log_errorx("the root already has %d access keys; delete one before adding %s from "
			          "ROLEGATE_ROOT_ACCESS_KEY_ID",
			          ROOT_KEYS_MAX, env_id);
			goto fail;
		}
	} else {
		if (store_key_count(tx, srv->management_account, NULL, &nkeys) != C_OK)
			goto fail;
		if (nkeys == 0) {
			id_access_key("AKIA", srv->management_account, id);
			id_secret_key(secret);
			if (put_root_key(tx, srv->management_account, id, secret, now) != C_OK)
				goto fail;
			generated = true;
		}
	}
	if (generated) {
		/* Kept in a 0600 file (before the key is committed: a key nobody can read must not exist) */
		saved = write_credentials_file(srv->cfg->data_dir, id, secret) == C_OK;
		if (!saved && !isatty(STDOUT_FILENO)) {
			log_errorx("cannot save the generated root credentials in %s/root-credentials, and stdout is not a "
			           "terminal to print them to",
			           srv->cfg->data_dir);
			goto fail;
		}
	}
	if (db_commit(tx) != C_OK) {
		if (saved)
			remove_credentials_file(srv->cfg->data_dir);
		explicit_bzero(secret, sizeof(secret));
		return C_ERR;
	}
	if (generated) {
		/* Printed once, and only to a terminal (a log collector must not get them); never logged. */
		if (isatty(STDOUT_FILENO)) {
			if (!saved)
				log_warnx("the root credentials below are not saved anywhere else: keep them");
			printf("rolegate: root credentials of management account %s (saved in %s/root-credentials):\n"
			       "  AWS_ACCESS_KEY_ID=%s\n  AWS_SECRET_ACCESS_KEY=%s\n",
			       srv->management_account, srv->cfg->data_dir, id, secret);
			fflush(stdout);
		} else {
			log_info("generated root credentials of management account %s (access key %s): the secret is in "
			         "%s/root-credentials (mode 0600), not printed because stdout is not a terminal",
			         srv->management_account, id, srv->cfg->data_dir);
		}
		explicit_bzero(secret, sizeof(secret));
	}
	return C_OK;
fail:
	db_rollback(tx);
	explicit_bzero(secret, sizeof(secret));
	return C_ERR;
}
