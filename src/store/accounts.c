/*
 * accounts.c - the meta table and accounts.
 */
#include "store/store.h"

#include "util/common.h"

int store_meta_get(struct db_tx *tx, const char *key, char *out, size_t cap)
{
	struct db_rows *r = db_query(tx, "SELECT value FROM meta WHERE key = ?1", DB_ARGS(db_text(key)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = db_col_copy(r, 0, out, cap);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

int store_meta_set(struct db_tx *tx, const char *key, const char *value)
{
	return db_exec(tx, "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
	               DB_ARGS(db_text(key), db_text(value)), NULL);
}

int store_account_create(struct db_tx *tx, const struct store_account *a)
{
	return db_exec(tx,
	               "INSERT INTO accounts(account_id, name, email, is_management, status, created_ms) "
	               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	               DB_ARGS(db_text(a->account_id), db_text(a->name), db_text(a->email[0] ? a->email : NULL),
	                       db_int(a->is_management), db_text(a->status), db_int(a->created_ms)),
	               NULL);
}

int store_account_get(struct db_tx *tx, const char *account_id, struct store_account *out)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT account_id, name, email, is_management, status, created_ms "
	                             "FROM accounts WHERE account_id = ?1",
	                             DB_ARGS(db_text(account_id)));
	int rc = db_step(r);

	if (rc == DB_ROW) {
		rc = C_OK;
		if (db_col_copy(r, 0, out->account_id, sizeof(out->account_id)) ||
		    db_col_copy(r, 1, out->name, sizeof(out->name)) || db_col_copy(r, 2, out->email, sizeof(out->email)) ||
		    db_col_copy(r, 4, out->status, sizeof(out->status)))
			rc = C_ERR;
		out->is_management = db_col_int(r, 3) != 0;
		out->created_ms = db_col_int(r, 5);
	} else if (rc == DB_DONE) {
		rc = STORE_NOT_FOUND;
	}
	db_rows_done(r);
	return rc;
}

int store_account_org_id(struct db_tx *tx, const char *account_id, char *out, size_t cap)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT org_id FROM org_accounts WHERE account_id = ?1 "
	                             "UNION SELECT org_id FROM organizations WHERE management_account_id = ?1 LIMIT 1",
	                             DB_ARGS(db_text(account_id)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = db_col_copy(r, 0, out, cap);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}
