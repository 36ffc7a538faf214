/*
 * console.c - the web console's sessions, failed sign-ins and root passwords (store/console.h).
 */
#include "store/console.h"

#include <string.h>

#include "util/common.h"

static int changed_one(int rc, int64_t changes)
{
	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

/* ---- console sessions ---------------------------------------------------------------------------------------- */

int store_console_session_create(struct db_tx *tx, const struct store_console_session *s)
{
	return db_exec(tx,
	               "INSERT INTO console_sessions(id, account_id, principal_arn, kind, token, role_token, role_arn, "
	               "role_display, role_color, csrf, mfa_s, created_ms, expires_ms) "
	               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	               DB_ARGS(db_text(s->id), db_text(s->account_id), db_text(s->principal_arn), db_text(s->kind),
	                       db_text(s->token), s->role_token[0] ? db_text(s->role_token) : db_null(),
	                       s->role_arn[0] ? db_text(s->role_arn) : db_null(),
	                       s->role_display[0] ? db_text(s->role_display) : db_null(),
	                       s->role_color[0] ? db_text(s->role_color) : db_null(), db_text(s->csrf), db_int(s->mfa_s),
	                       db_int(s->created_ms), db_int(s->expires_ms)),
	               NULL);
}

int store_console_session_get(struct db_tx *tx, const char *id, struct store_console_session *out)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT id, account_id, principal_arn, kind, token, role_token, role_arn, "
	                             "role_display, role_color, csrf, mfa_s, created_ms, expires_ms "
	                             "FROM console_sessions WHERE id = ?1",
	                             DB_ARGS(db_text(id)));
	int rc = db_step(r);

	if (rc == DB_ROW) {
		rc = db_col_copy(r, 0, out->id, sizeof(out->id)) || db_col_copy(r, 1, out->account_id, sizeof(out->account_id)) ||
		             db_col_copy(r, 2, out->principal_arn, sizeof(out->principal_arn)) ||
		             db_col_copy(r, 3, out->kind, sizeof(out->kind)) ||
		             db_col_copy(r, 4, out->token, sizeof(out->token)) ||
		             db_col_copy(r, 5, out->role_token, sizeof(out->role_token)) ||
		             db_col_copy(r, 6, out->role_arn, sizeof(out->role_arn)) ||
		             db_col_copy(r, 7, out->role_display, sizeof(out->role_display)) ||
		             db_col_copy(r, 8, out->role_color, sizeof(out->role_color)) ||
		             db_col_copy(r, 9, out->csrf, sizeof(out->csrf))
		         ? C_ERR
		         : C_OK;
		out->mfa_s = db_col_int(r, 10);
		out->created_ms = db_col_int(r, 11);
		out->expires_ms = db_col_int(r, 12);
	} else if (rc == DB_DONE) {
		rc = STORE_NOT_FOUND;
	}
	db_rows_done(r);
	return rc;
}

int store_console_session_set_role(struct db_tx *tx, const char *id, const char *role_token, const char *role_arn,
                                   const char *display, const char *color)
{
	int64_t changes = 0;
	int rc = db_exec(tx,
	                 "UPDATE console_sessions SET role_token = ?2, role_arn = ?3, role_display = ?4, role_color = ?5 "
	                 "WHERE id = ?1",
	                 DB_ARGS(db_text(id), db_text(role_token), db_text(role_token ? role_arn : NULL),
	                         db_text(role_token ? display : NULL), db_text(role_token ? color : NULL)),
	                 &changes);

	return changed_one(rc, changes);
}

int store_console_session_delete(struct db_tx *tx, const char *id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM console_sessions WHERE id = ?1", DB_ARGS(db_text(id)), &changes);

	return changed_one(rc, changes);
}

int store_console_session_prune(struct db_tx *tx, int64_t now_ms)
{
	return db_exec(tx, "DELETE FROM console_sessions WHERE expires_ms < ?1", DB_ARGS(db_int(now_ms)), NULL);
}

/* ---- failed sign-ins ----------------------------------------------------------------------------------------- */

int store_signin_failures_get(struct db_tx *tx, const char *account_id, const char *user_name, int64_t *failures,
                              int64_t *last_ms)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT failures, last_ms FROM console_signin_failures "
	                             "WHERE account_id = ?1 AND user_name = ?2",
	                             DB_ARGS(db_text(account_id), db_text(user_name)));
	int rc = db_step(r);

	*failures = *last_ms = 0;
	if (rc == DB_ROW) {
		*failures = db_col_int(r, 0);
		*last_ms = db_col_int(r, 1);
		rc = C_OK;
	} else if (rc == DB_DONE) {
		rc = C_OK;
	}
	db_rows_done(r);
	return rc;
}

int store_signin_failures_add(struct db_tx *tx, const char *account_id, const char *user_name, int64_t now_ms)
{
	return db_exec(tx,
	               "INSERT INTO console_signin_failures(account_id, user_name, failures, last_ms) "
	               "VALUES (?1, ?2, 1, ?3) ON CONFLICT(account_id, user_name) "
	               "DO UPDATE SET failures = console_signin_failures.failures + 1, last_ms = excluded.last_ms",
	               DB_ARGS(db_text(account_id), db_text(user_name), db_int(now_ms)), NULL);
}

int store_signin_failures_prune(struct db_tx *tx, int64_t before_ms)
{
	return db_exec(tx, "DELETE FROM console_signin_failures WHERE last_ms < ?1", DB_ARGS(db_int(before_ms)), NULL);
}

int store_signin_failures_clear(struct db_tx *tx, const char *account_id, const char *user_name)
{
	return db_exec(tx, "DELETE FROM console_signin_failures WHERE account_id = ?1 AND user_name = ?2",
	               DB_ARGS(db_text(account_id), db_text(user_name)), NULL);
}

/* ---- root passwords ------------------------------------------------------------------------------------------ */

int store_root_login_get(struct db_tx *tx, const char *account_id, char hash[PASSWORD_HASH_MAX + 1])
{
	/* fresh: `rolegate root-password` writes it from another process */
	struct db_rows *r = db_query_fresh(tx, "SELECT password_hash FROM root_logins WHERE account_id = ?1",
	                                   DB_ARGS(db_text(account_id)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = db_col_copy(r, 0, hash, PASSWORD_HASH_MAX + 1);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

int store_root_login_set(struct db_tx *tx, const char *account_id, const char *hash, int64_t now_ms)
{
	return db_exec(tx,
	               "INSERT INTO root_logins(account_id, password_hash, created_ms) VALUES (?1, ?2, ?3) "
	               "ON CONFLICT(account_id) DO UPDATE SET password_hash = excluded.password_hash",
	               DB_ARGS(db_text(account_id), db_text(hash), db_int(now_ms)), NULL);
}

int store_root_login_delete(struct db_tx *tx, const char *account_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM root_logins WHERE account_id = ?1", DB_ARGS(db_text(account_id)), &changes);

	return changed_one(rc, changes);
}

int store_alias_account(struct db_tx *tx, const char *alias, char account_id[ACCOUNT_ID_LEN + 1])
{
	struct db_rows *r = db_query(tx, "SELECT account_id FROM account_aliases WHERE alias = ?1", DB_ARGS(db_text(alias)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = db_col_copy(r, 0, account_id, ACCOUNT_ID_LEN + 1);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}
