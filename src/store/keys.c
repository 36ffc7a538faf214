/*
 * keys.c - access keys. The secret is stored sealed (AES-256-GCM, see src/server/secrets.c); this file never sees
 * it in the clear.
 */
#include "store/store.h"

#include <string.h>

#include "util/common.h"

#define KEY_COLUMNS                                                                                                 \
	"access_key_id, account_id, coalesce(user_id, ''), status, created_ms, secret_sealed, "                     \
	"coalesce(last_used_ms, 0), coalesce(last_used_service, ''), coalesce(last_used_region, '')"

static int read_key(struct db_rows *r, struct store_access_key *k)
{
	size_t len;
	const void *sealed;

	if (db_col_copy(r, 0, k->access_key_id, sizeof(k->access_key_id)) ||
	    db_col_copy(r, 1, k->account_id, sizeof(k->account_id)) || db_col_copy(r, 2, k->user_id, sizeof(k->user_id)) ||
	    db_col_copy(r, 3, k->status, sizeof(k->status)) ||
	    db_col_copy(r, 7, k->last_used_service, sizeof(k->last_used_service)) ||
	    db_col_copy(r, 8, k->last_used_region, sizeof(k->last_used_region)))
		return C_ERR;
	k->created_ms = db_col_int(r, 4);
	sealed = db_col_blob(r, 5, &len);
	if (len > sizeof(k->secret_sealed))
		return C_ERR;
	memcpy(k->secret_sealed, sealed, len);
	k->secret_sealed_len = len;
	k->last_used_ms = db_col_int(r, 6);
	return C_OK;
}

int store_key_create(struct db_tx *tx, const struct store_access_key *k)
{
	return db_exec(tx,
	               "INSERT INTO access_keys(access_key_id, account_id, user_id, secret_sealed, status, created_ms) "
	               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	               DB_ARGS(db_text(k->access_key_id), db_text(k->account_id),
	                       db_text(k->user_id[0] ? k->user_id : NULL), db_blob(k->secret_sealed, k->secret_sealed_len),
	                       db_text(k->status), db_int(k->created_ms)),
	               NULL);
}

int store_key_get(struct db_tx *tx, const char *access_key_id, struct store_access_key *out)
{
	struct db_rows *r = db_query(tx, "SELECT " KEY_COLUMNS " FROM access_keys WHERE access_key_id = ?1",
	                             DB_ARGS(db_text(access_key_id)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = read_key(r, out);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

int store_key_list(struct db_tx *tx, const char *account_id, const char *user_id, store_key_fn fn, void *ctx)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT " KEY_COLUMNS " FROM access_keys WHERE account_id = ?1 AND "
	                             "((?2 IS NULL AND user_id IS NULL) OR user_id = ?2) ORDER BY created_ms, access_key_id",
	                             DB_ARGS(db_text(account_id), db_text(user_id)));
	struct store_access_key k;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_key(r, &k) != C_OK || fn(ctx, &k) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_key_count(struct db_tx *tx, const char *account_id, const char *user_id, int64_t *count)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT count(*) FROM access_keys WHERE account_id = ?1 AND "
	                             "((?2 IS NULL AND user_id IS NULL) OR user_id = ?2)",
	                             DB_ARGS(db_text(account_id), db_text(user_id)));

	return db_one_int(r, count);
}

static int changed_one(int rc, int64_t changes)
{
	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_key_set_status(struct db_tx *tx, const char *access_key_id, const char *status)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "UPDATE access_keys SET status = ?2 WHERE access_key_id = ?1",
	                 DB_ARGS(db_text(access_key_id), db_text(status)), &changes);

	return changed_one(rc, changes);
}

int store_key_set_secret(struct db_tx *tx, const char *access_key_id, const uint8_t *sealed, size_t len)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "UPDATE access_keys SET secret_sealed = ?2 WHERE access_key_id = ?1",
	                 DB_ARGS(db_text(access_key_id), db_blob(sealed, len)), &changes);

	return changed_one(rc, changes);
}

int store_key_delete(struct db_tx *tx, const char *access_key_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM access_keys WHERE access_key_id = ?1", DB_ARGS(db_text(access_key_id)),
	                 &changes);

	return changed_one(rc, changes);
}

int store_key_touch(struct db_tx *tx, const char *access_key_id, int64_t when_ms, const char *service,
                    const char *region)
{
	return db_exec(tx,
	               "UPDATE access_keys SET last_used_ms = ?2, last_used_service = ?3, last_used_region = ?4 "
	               "WHERE access_key_id = ?1",
	               DB_ARGS(db_text(access_key_id), db_int(when_ms), db_text(service), db_text(region)), NULL);
}
