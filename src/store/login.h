/*
 * login.h - storage of what an account sets about signing in and about itself (schema migration 2):
 *
 *   login_profiles     a user's console password, as a salted hash (never the password)
 *   password_policies  the account's password policy, as a JSON object
 *   account_aliases    the account's alias (one per account, unique among all accounts)
 *   the counts GetAccountSummary reports
 *
 * Same conventions as store.h: an open transaction; C_OK, STORE_NOT_FOUND, STORE_EXISTS or C_ERR.
 */
#ifndef ROLEGATE_STORE_LOGIN_H
#define ROLEGATE_STORE_LOGIN_H

#include "store/store.h"

#define PASSWORD_HASH_MAX 255
#define ACCOUNT_ALIAS_MAX 63

/* ---- login profiles ---- */
struct store_login_profile {
	char user_id[IAM_ID_MAX];
	char password_hash[PASSWORD_HASH_MAX + 1]; /* "pbkdf2-sha256$ITERATIONS$SALT$HASH" (base64 parts) */
	bool reset_required;
	int64_t created_ms;
};

/* STORE_EXISTS when the user already has one. */
int store_login_create(struct db_tx *tx, const struct store_login_profile *p);
int store_login_get(struct db_tx *tx, const char *user_id, struct store_login_profile *out);
/* Replaces the hash (when password_hash is not NULL) and/or the reset flag (when reset_required is 0 or 1; -1
 * leaves it). */
int store_login_update(struct db_tx *tx, const char *user_id, const char *password_hash, int reset_required);
int store_login_delete(struct db_tx *tx, const char *user_id);

/* ---- the account password policy ---- */
/* The stored policy (JSON) into out. */
int store_password_policy_get(struct db_tx *tx, const char *account_id, char *out, size_t cap);
/* Creates or replaces it. */
int store_password_policy_put(struct db_tx *tx, const char *account_id, const char *policy_json);
int store_password_policy_delete(struct db_tx *tx, const char *account_id);

/* ---- the account alias ---- */
int store_alias_get(struct db_tx *tx, const char *account_id, char *out, size_t cap);
/* Sets the alias of account_id, replacing any it had. STORE_EXISTS when another account has it. */
int store_alias_set(struct db_tx *tx, const char *account_id, const char *alias);
/* Removes the alias of account_id if it is `alias`; STORE_NOT_FOUND otherwise. */
int store_alias_delete(struct db_tx *tx, const char *account_id, const char *alias);

/* ---- what GetAccountSummary counts ---- */
struct store_account_counts {
	int64_t users, groups, roles, policies, policy_versions, instance_profiles;
	int64_t mfa_devices, mfa_devices_in_use, root_mfa_devices;
	int64_t root_access_keys, login_profiles;
};

int store_account_counts(struct db_tx *tx, const char *account_id, struct store_account_counts *out);

/* What an account-wide quota counts. */
enum store_counted {
	STORE_COUNT_USERS,
	STORE_COUNT_GROUPS,
	STORE_COUNT_ROLES,
	STORE_COUNT_POLICIES, /* customer managed */
	STORE_COUNT_INSTANCE_PROFILES,
	STORE_COUNT_MFA_DEVICES, /* virtual MFA devices, assigned or not */
};

/* How many of `what` account_id holds, read in tx (a write transaction: the count and the insert it guards are one
 * serialised unit, so concurrent creates cannot pass a quota together). */
int store_account_count(struct db_tx *tx, const char *account_id, enum store_counted what, int64_t *count);

#endif
