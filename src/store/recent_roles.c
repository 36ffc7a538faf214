/*
 * recent_roles.c - the roles a console user switched to lately (store/console.h: console_recent_roles). One row per
 * (principal, account, role), its display name and colour as last chosen; listed most recent first. Unlike AWS's
 * console (five, in the browser) the list is kept on the server and is as long as the caller asks.
 */
#include "store/console.h"

#include "util/common.h"

int store_recent_role_upsert(struct db_tx *tx, const char *principal_arn, const struct store_recent_role *r)
{
	return db_exec(tx,
	               "INSERT INTO console_recent_roles(principal_arn, account_id, role_name, display_name, color, used_ms) "
	               "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(principal_arn, account_id, role_name) DO UPDATE SET "
	               "display_name = excluded.display_name, color = excluded.color, used_ms = excluded.used_ms",
	               DB_ARGS(db_text(principal_arn), db_text(r->account_id), db_text(r->role_name),
	                       db_text(r->display_name), db_text(r->color), db_int(r->used_ms)),
	               NULL);
}

int store_recent_role_list(struct db_tx *tx, const char *principal_arn, int limit, store_recent_role_fn fn, void *ctx)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT account_id, role_name, display_name, color, used_ms FROM console_recent_roles "
	                             "WHERE principal_arn = ?1 ORDER BY used_ms DESC, account_id, role_name LIMIT ?2",
	                             DB_ARGS(db_text(principal_arn), db_int(limit)));
	struct store_recent_role row;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (db_col_copy(r, 0, row.account_id, sizeof(row.account_id)) ||
		    db_col_copy(r, 1, row.role_name, sizeof(row.role_name)) ||
		    db_col_copy(r, 2, row.display_name, sizeof(row.display_name)) ||
		    db_col_copy(r, 3, row.color, sizeof(row.color))) {
			rc = C_ERR;
			break;
		}
		row.used_ms = db_col_int(r, 4);
		if (fn(ctx, &row) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_recent_role_delete(struct db_tx *tx, const char *principal_arn, const char *account_id,
                             const char *role_name)
{
	return db_exec(tx,
	               "DELETE FROM console_recent_roles WHERE principal_arn = ?1 AND account_id = ?2 AND role_name = ?3",
	               DB_ARGS(db_text(principal_arn), db_text(account_id), db_text(role_name)), NULL);
}
