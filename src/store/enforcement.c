/*
 * enforcement.c - an account's own enforcement mode (`rolegate accounts set-enforcement`): one row per account that
 * has one; no row means the account inherits (its Organizations tag, then the server's --enforce). See
 * src/server/enforce.h for the order.
 */
#include "store/store.h"

#include <stdio.h>

#include "store/orgs.h"
#include "util/common.h"

int store_enforcement_get(struct db_tx *tx, const char *account_id, char out[STORE_ENFORCEMENT_MAX])
{
	/* fresh: `rolegate accounts set-enforcement` writes from another process, which the row cache does not see */
	struct db_rows *r = db_query_fresh(tx, "SELECT mode FROM account_enforcement WHERE account_id = ?1",
	                                   DB_ARGS(db_text(account_id)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = db_col_copy(r, 0, out, STORE_ENFORCEMENT_MAX) == C_OK ? C_OK : C_ERR;
	else
		rc = rc == DB_DONE ? STORE_NOT_FOUND : C_ERR;
	db_rows_done(r);
	return rc;
}

int store_enforcement_set(struct db_tx *tx, const char *account_id, const char *mode, int64_t now_ms)
{
	if (!mode)
		return db_exec(tx, "DELETE FROM account_enforcement WHERE account_id = ?1", DB_ARGS(db_text(account_id)),
		               NULL);
	return db_exec(tx,
	               "INSERT INTO account_enforcement(account_id, mode, updated_ms) VALUES (?1, ?2, ?3) "
	               "ON CONFLICT(account_id) DO UPDATE SET mode = ?2, updated_ms = ?3",
	               DB_ARGS(db_text(account_id), db_text(mode), db_int(now_ms)), NULL);
}

int store_enforcement_list(struct db_tx *tx, store_enforcement_fn fn, void *ctx)
{
	struct db_rows *r = db_query_fresh(tx,
	                                   "SELECT a.account_id, a.name, coalesce(e.mode, ''), coalesce(t.value, '') "
	                                   "FROM accounts a LEFT JOIN account_enforcement e ON e.account_id = a.account_id "
	                                   "LEFT JOIN tags t ON t.resource_id = ?1 || a.account_id AND t.key_lc = lower(?2) "
	                                   "ORDER BY a.account_id",
	                                   DB_ARGS(db_text(ORG_TAG_PREFIX), db_text(ENFORCEMENT_TAG_KEY)));
	int rc;

	while ((rc = db_step(r)) == DB_ROW) {
		const char *id = db_col_text(r, 0), *name = db_col_text(r, 1), *own = db_col_text(r, 2),
		           *tag = db_col_text(r, 3);
		if (!id || fn(ctx, id, name ? name : "", own ? own : "", tag ? tag : "") != C_OK) {
			rc = C_ERR;
			break;
		}
	}
	db_rows_done(r);
	return rc == DB_DONE ? C_OK : C_ERR;
}

int store_tag_get(struct db_tx *tx, const char *resource_id, const char *key, char *out, size_t cap)
{
	struct db_rows *r = db_query(tx, "SELECT value FROM tags WHERE resource_id = ?1 AND key_lc = lower(?2)",
	                             DB_ARGS(db_text(resource_id), db_text(key)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = db_col_copy(r, 0, out, cap) == C_OK ? C_OK : C_ERR;
	else
		rc = rc == DB_DONE ? STORE_NOT_FOUND : C_ERR;
	db_rows_done(r);
	return rc;
}
