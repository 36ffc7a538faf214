/*
 * store.h - what rolegate keeps: accounts, IAM users, tags, access keys, the audit trail.
 *
 * Every function takes an open transaction (db_begin) so that an action and its audit record commit together or
 * not at all. The functions are written once against db.h, so every backend gets them.
 *
 * Returns: C_OK; STORE_NOT_FOUND when the thing asked for does not exist; STORE_EXISTS when a write collides with
 * an existing row (unique name); C_ERR on a storage failure (logged).
 */
#ifndef ROLEGATE_STORE_H
#define ROLEGATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

#define STORE_NOT_FOUND -3
#define STORE_EXISTS -2 /* == DB_CONSTRAINT */

#define ACCOUNT_ID_LEN 12
#define IAM_NAME_MAX 64
#define IAM_PATH_MAX 512
#define IAM_ID_MAX 32
#define ARN_MAX 2048
#define TAG_KEY_MAX 128   /* characters; UTF-8 may take up to 4 bytes each */
#define TAG_VALUE_MAX 256
/* The packed session tags a session token carries (tokens.h) and its principal holds (principal.h). */
#define SESSION_TAGS_BYTES 4096

/* Applies the migrations this binary knows. */
int store_migrate(struct db *db);
/* Once per database (store_migrate calls it): trust policies that name users and roles by ARN, as rolegate saved
 * them before, name them by unique id (store/trust_upgrade.c). */
int store_upgrade_trust_ids(struct db *db);
/* Creates, if missing, the audit table of the separate audit database (DATA/audit.db) that takes the
 * group-committed records of sts:AssumeRole and sts:GetSessionToken: its commits leave rolegate.db, and so the
 * page caches of every reader of rolegate.db, untouched. Same columns as rolegate.db's audit table. */
int store_migrate_audit(struct db *db);
/* Whether the audit table (of tx's database) has the column: 1, 0, or -1 when it cannot be read. An older data
 * directory that no newer server has opened lacks migration 4's columns (user_agent, region, response) and migration
 * 6's (explanation). */
int store_audit_has_column(struct db_tx *tx, const char *column);

/* ---- meta: small key/value settings ---- */
int store_meta_get(struct db_tx *tx, const char *key, char *out, size_t cap);
int store_meta_set(struct db_tx *tx, const char *key, const char *value);

/* ---- accounts ---- */
struct store_account {
	char account_id[ACCOUNT_ID_LEN + 1];
	char name[128];
	char email[256];
	bool is_management;
	char status[16];
	int64_t created_ms;
};

int store_account_create(struct db_tx *tx, const struct store_account *a);
int store_account_get(struct db_tx *tx, const char *account_id, struct store_account *out);
/* The id of the organization account_id belongs to (as a member or as its management account). */
int store_account_org_id(struct db_tx *tx, const char *account_id, char *out, size_t cap);

/* ---- users ---- */
struct store_user {
	char user_id[IAM_ID_MAX];
	char account_id[ACCOUNT_ID_LEN + 1];
	char name[IAM_NAME_MAX + 1];
	char path[IAM_PATH_MAX + 1];
	char permissions_boundary[ARN_MAX + 1]; /* "" when none */
	int64_t created_ms;
};

int store_user_create(struct db_tx *tx, const struct store_user *u);
/* Finds a user by name, without regard to case (IAM names are case-insensitive). */
int store_user_get(struct db_tx *tx, const char *account_id, const char *name, struct store_user *out);
int store_user_get_by_id(struct db_tx *tx, const char *user_id, struct store_user *out);
/* Renames and/or moves a user (NULL leaves a field unchanged). STORE_EXISTS when new_name is taken. */
int store_user_update(struct db_tx *tx, const char *user_id, const char *new_name, const char *new_path);
int store_user_delete(struct db_tx *tx, const char *user_id);

typedef int (*store_user_fn)(void *ctx, const struct store_user *u);
/*
 * Calls fn for the users of account whose path starts with path_prefix (NULL: all), ordered by lowercased name,
 * starting at the name after_lc (exclusive; NULL: from the start), at most limit users. Returns the number of
 * users visited, or C_ERR. fn returning C_ERR stops the walk with C_ERR.
 */
int store_user_list(struct db_tx *tx, const char *account_id, const char *path_prefix, const char *after_lc,
                    int limit, store_user_fn fn, void *ctx);

/* ---- tags (for any resource, by its unique id) ---- */
struct store_tag {
	char key[TAG_KEY_MAX * 4 + 1];
	char value[TAG_VALUE_MAX * 4 + 1];
};

/* Adds or replaces (by key, without regard to case) a tag. */
int store_tag_put(struct db_tx *tx, const char *resource_id, const char *key, const char *value);
/* Removes a tag if present (no error when absent). */
int store_tag_delete(struct db_tx *tx, const char *resource_id, const char *key);
int store_tag_delete_all(struct db_tx *tx, const char *resource_id);
int store_tag_count(struct db_tx *tx, const char *resource_id, int64_t *count);

typedef int (*store_tag_fn)(void *ctx, const struct store_tag *t);
/* Calls fn for the tags of resource_id in the order they were first set, skipping `skip`, at most limit. */
int store_tag_list(struct db_tx *tx, const char *resource_id, int skip, int limit, store_tag_fn fn, void *ctx);

/* ---- access keys ---- */
#define SEALED_SECRET_MAX 128

struct store_access_key {
	char access_key_id[IAM_ID_MAX];
	char account_id[ACCOUNT_ID_LEN + 1];
	char user_id[IAM_ID_MAX]; /* "" for the account's root */
	char status[16];          /* "Active" / "Inactive" */
	int64_t created_ms;
	uint8_t secret_sealed[SEALED_SECRET_MAX];
	size_t secret_sealed_len;
	int64_t last_used_ms; /* 0 when never used */
	char last_used_service[32];
	char last_used_region[32];
};

int store_key_create(struct db_tx *tx, const struct store_access_key *k);
int store_key_get(struct db_tx *tx, const char *access_key_id, struct store_access_key *out);
/* Keys of a user (user_id) or of the account root (user_id NULL), oldest first. */
typedef int (*store_key_fn)(void *ctx, const struct store_access_key *k);
int store_key_list(struct db_tx *tx, const char *account_id, const char *user_id, store_key_fn fn, void *ctx);
int store_key_count(struct db_tx *tx, const char *account_id, const char *user_id, int64_t *count);
int store_key_set_status(struct db_tx *tx, const char *access_key_id, const char *status);
/* Replaces the sealed secret of a key (used when the root key is supplied from the environment). */
int store_key_set_secret(struct db_tx *tx, const char *access_key_id, const uint8_t *sealed, size_t len);
int store_key_delete(struct db_tx *tx, const char *access_key_id);
int store_key_touch(struct db_tx *tx, const char *access_key_id, int64_t when_ms, const char *service,
                    const char *region);

/* ---- audit ---- */
struct store_audit {
	int64_t time_ms;
	const char *request_id;
	const char *account_id;
	const char *principal_arn;
	const char *access_key_id; /* may be NULL */
	const char *action;        /* "iam:CreateUser" */
	const char *resource;      /* may be NULL */
	const char *source_ip;
	const char *outcome;       /* "Success" or the error code */
	const char *detail;        /* JSON, never a secret; may be NULL */
	const char *user_agent;    /* the request's User-Agent, cut to AUDIT_USER_AGENT_MAX; may be NULL */
	const char *region;        /* the region of the SigV4 credential scope; may be NULL */
	const char *response;      /* JSON: the answer without its secrets (CloudTrail's responseElements); may be NULL */
	const char *explanation;   /* JSON: the reasoning of a denial (src/server/explain.h); may be NULL */
	const char *enforcement;   /* "soft-denied": the policies refused it and soft mode let it through; else NULL */
};

#define AUDIT_USER_AGENT_MAX 1024

/* Appends one record in tx. C_OK, or C_ERR (the transaction is then to be rolled back). */
int store_audit_append(struct db_tx *tx, const struct store_audit *a);

/* The most records store_audit_append_many puts in one INSERT statement (15 parameters each). */
#define AUDIT_ROWS_PER_INSERT 16
/* Appends the n records of a in tx, up to AUDIT_ROWS_PER_INSERT per statement (a group commit's batch). C_OK, or
 * C_ERR: then some may be written, and the transaction is to be rolled back. */
int store_audit_append_many(struct db_tx *tx, const struct store_audit *a, size_t n);
/* ---- enforcement: an account's own mode (src/store/enforcement.c, src/server/enforce.h) ---- */
#define STORE_ENFORCEMENT_MAX 8 /* "strict", "soft" */
/* The account's own setting ("strict" or "soft") into out; STORE_NOT_FOUND when it has none (it inherits). */
int store_enforcement_get(struct db_tx *tx, const char *account_id, char out[STORE_ENFORCEMENT_MAX]);
/* Sets the account's own mode ("strict" or "soft"), or removes it (mode NULL: inherit). */
int store_enforcement_set(struct db_tx *tx, const char *account_id, const char *mode, int64_t now_ms);
/* The Organizations tag on an account that sets its mode (when it has no setting of its own). */
#define ENFORCEMENT_TAG_KEY "rolegate:enforcement"
/* One row of store_enforcement_list: own and tag are "" when the account has none. */
typedef int (*store_enforcement_fn)(void *ctx, const char *account_id, const char *name, const char *own,
                                    const char *tag);
/* Every account, by id, with its own setting and its rolegate:enforcement tag. */
int store_enforcement_list(struct db_tx *tx, store_enforcement_fn fn, void *ctx);
/* The value of resource_id's tag key (compared without regard to case, as tags.c stores keys) into out;
 * STORE_NOT_FOUND when it has no such tag. */
int store_tag_get(struct db_tx *tx, const char *resource_id, const char *key, char *out, size_t cap);

#endif
