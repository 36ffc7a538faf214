/*
 * login.c - login profiles, the account password policy, the account alias and the account summary's counts.
 */
#include "store/login.h"

#include <string.h>

#include "util/common.h"

static int changed_one(int rc, int64_t changes)
{
	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

/* Copies the text of the one row r returns into out; STORE_NOT_FOUND when there is none. Finishes r. */
static int one_text(struct db_rows *r, char *out, size_t cap)
{
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = db_col_copy(r, 0, out, cap);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

/* ---- login profiles ------------------------------------------------------------------------------------------ */

int store_login_create(struct db_tx *tx, const struct store_login_profile *p)
{
	return db_exec(tx,
	               "INSERT INTO login_profiles(user_id, password_hash, reset_required, created_ms) "
	               "VALUES (?1, ?2, ?3, ?4)",
	               DB_ARGS(db_text(p->user_id), db_text(p->password_hash), db_int(p->reset_required ? 1 : 0),
	                       db_int(p->created_ms)),
	               NULL);
}

int store_login_get(struct db_tx *tx, const char *user_id, struct store_login_profile *out)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT user_id, password_hash, reset_required, created_ms FROM login_profiles "
	                             "WHERE user_id = ?1",
	                             DB_ARGS(db_text(user_id)));
	int rc = db_step(r);

	if (rc == DB_ROW) {
		rc = db_col_copy(r, 0, out->user_id, sizeof(out->user_id)) ||
		             db_col_copy(r, 1, out->password_hash, sizeof(out->password_hash))
		         ? C_ERR
		         : C_OK;
		out->reset_required = db_col_int(r, 2) != 0;
		out->created_ms = db_col_int(r, 3);
	} else if (rc == DB_DONE) {
		rc = STORE_NOT_FOUND;
	}
	db_rows_done(r);
	return rc;
}

int store_login_update(struct db_tx *tx, const char *user_id, const char *password_hash, int reset_required)
{
	int64_t changes = 0;
	int rc = db_exec(tx,
	                 "UPDATE login_profiles SET password_hash = coalesce(?2, password_hash), "
	                 "reset_required = CASE WHEN ?3 < 0 THEN reset_required ELSE ?3 END WHERE user_id = ?1",
	                 DB_ARGS(db_text(user_id), db_text(password_hash), db_int(reset_required)), &changes);

	return changed_one(rc, changes);
}

int store_login_delete(struct db_tx *tx, const char *user_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM login_profiles WHERE user_id = ?1", DB_ARGS(db_text(user_id)), &changes);

	return changed_one(rc, changes);
}

/* ---- the account password policy ---------------------------------------------------------------------------- */

int store_password_policy_get(struct db_tx *tx, const char *account_id, char *out, size_t cap)
{
	return one_text(db_query(tx, "SELECT policy FROM password_policies WHERE account_id = ?1",
	                         DB_ARGS(db_text(account_id))),
	                out, cap);
}

int store_password_policy_put(struct db_tx *tx, const char *account_id, const char *policy_json)
{
	return db_exec(tx,
	               "INSERT INTO password_policies(account_id, policy) VALUES (?1, ?2) "
	               "ON CONFLICT(account_id) DO UPDATE SET policy = excluded.policy",
	               DB_ARGS(db_text(account_id), db_text(policy_json)), NULL);
}

int store_password_policy_delete(struct db_tx *tx, const char *account_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM password_policies WHERE account_id = ?1", DB_ARGS(db_text(account_id)),
	                 &changes);

	return changed_one(rc, changes);
}

/* ---- the account alias --------------------------------------------------------------------------------------- */

int store_alias_get(struct db_tx *tx, const char *account_id, char *out, size_t cap)
{
	return one_text(db_query(tx, "SELECT alias FROM account_aliases WHERE account_id = ?1",
	                         DB_ARGS(db_text(account_id))),
	                out, cap);
}

int store_alias_set(struct db_tx *tx, const char *account_id, const char *alias)
{
	/* The UNIQUE alias column refuses another account's alias (DB_CONSTRAINT == STORE_EXISTS). */
	return db_exec(tx,
	               "INSERT INTO account_aliases(account_id, alias) VALUES (?1, ?2) "
	               "ON CONFLICT(account_id) DO UPDATE SET alias = excluded.alias",
	               DB_ARGS(db_text(account_id), db_text(alias)), NULL);
}

int store_alias_delete(struct db_tx *tx, const char *account_id, const char *alias)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM account_aliases WHERE account_id = ?1 AND alias = ?2",
	                 DB_ARGS(db_text(account_id), db_text(alias)), &changes);

	return changed_one(rc, changes);
}

/* ---- the account summary ------------------------------------------------------------------------------------- */

int store_account_counts(struct db_tx *tx, const char *account_id, struct store_account_counts *out)
{
	/* One statement, one row: every count GetAccountSummary reports. */
	struct db_rows *r = db_query(
		tx,
		"SELECT "
		"(SELECT count(*) FROM users WHERE account_id = ?1), "
		"(SELECT count(*) FROM groups WHERE account_id = ?1), "
		"(SELECT count(*) FROM roles WHERE account_id = ?1), "
		"(SELECT count(*) FROM managed_policies WHERE account_id = ?1), "
		"(SELECT count(*) FROM policy_versions v JOIN managed_policies p ON p.policy_id = v.policy_id "
		" WHERE p.account_id = ?1), "
		"(SELECT count(*) FROM instance_profiles WHERE account_id = ?1), "
		"(SELECT count(*) FROM mfa_devices WHERE account_id = ?1), "
		"(SELECT count(*) FROM mfa_devices WHERE account_id = ?1 AND enabled_ms IS NOT NULL), "
		"(SELECT count(*) FROM mfa_devices WHERE account_id = ?1 AND enabled_ms IS NOT NULL AND is_root = 1), "
		"(SELECT count(*) FROM access_keys WHERE account_id = ?1 AND user_id IS NULL AND status = 'Active'), "
		"(SELECT count(*) FROM login_profiles l JOIN users u ON u.user_id = l.user_id WHERE u.account_id = ?1)",
		DB_ARGS(db_text(account_id)));
	int rc = db_step(r);

	if (rc == DB_ROW) {
		out->users = db_col_int(r, 0);
		out->groups = db_col_int(r, 1);
		out->roles = db_col_int(r, 2);
		out->policies = db_col_int(r, 3);
		out->policy_versions = db_col_int(r, 4);
		out->instance_profiles = db_col_int(r, 5);
		out->mfa_devices = db_col_int(r, 6);
		out->mfa_devices_in_use = db_col_int(r, 7);
		out->root_mfa_devices = db_col_int(r, 8);
		out->root_access_keys = db_col_int(r, 9);
		out->login_profiles = db_col_int(r, 10);
		rc = C_OK;
	} else {
		rc = C_ERR;
	}
	db_rows_done(r);
	return rc;
}

int store_account_count(struct db_tx *tx, const char *account_id, enum store_counted what, int64_t *count)
{
	/* Fixed statements, one per kind (each table is indexed by (account_id, name_lc) but mfa_devices). */
	static const char *const sql[] = {
		[STORE_COUNT_USERS] = "SELECT count(*) FROM users WHERE account_id = ?1",
		[STORE_COUNT_GROUPS] = "SELECT count(*) FROM groups WHERE account_id = ?1",
		[STORE_COUNT_ROLES] = "SELECT count(*) FROM roles WHERE account_id = ?1",
		[STORE_COUNT_POLICIES] = "SELECT count(*) FROM managed_policies WHERE account_id = ?1",
		[STORE_COUNT_INSTANCE_PROFILES] = "SELECT count(*) FROM instance_profiles WHERE account_id = ?1",
		[STORE_COUNT_MFA_DEVICES] = "SELECT count(*) FROM mfa_devices WHERE account_id = ?1",
	};
	*count = 0;
	if ((size_t)what >= sizeof(sql) / sizeof(sql[0]))
		return C_ERR;
	return db_one_int(db_query(tx, sql[what], DB_ARGS(db_text(account_id))), count);
}
