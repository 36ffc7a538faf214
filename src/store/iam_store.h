/*
 * iam_store.h - storage of IAM groups, roles and policies (the contract: implemented in src/store/groups.c,
 * roles.c and policies.c; used by src/iam/, src/orgs/ and the server's authorization).
 *
 * Same conventions as store.h: every function takes an open transaction; C_OK, STORE_NOT_FOUND, STORE_EXISTS
 * (a unique name taken) or C_ERR. Names compare without regard to case. List functions call fn for each row in
 * name order, starting after `after_lc` (exclusive, NULL from the start), at most `limit` rows, and return the
 * number visited.
 */
#ifndef ROLEGATE_IAM_STORE_H
#define ROLEGATE_IAM_STORE_H

#include "store/store.h"

#define POLICY_DOC_MAX 131072

/* ---- groups ---- */
struct store_group {
	char group_id[IAM_ID_MAX]; /* AGPA... */
	char account_id[ACCOUNT_ID_LEN + 1];
	char name[129]; /* group names take up to 128 characters */
	char path[IAM_PATH_MAX + 1];
	int64_t created_ms;
};
typedef int (*store_group_fn)(void *ctx, const struct store_group *g);

int store_group_create(struct db_tx *tx, const struct store_group *g);
int store_group_get(struct db_tx *tx, const char *account_id, const char *name, struct store_group *out);
int store_group_get_by_id(struct db_tx *tx, const char *group_id, struct store_group *out);
int store_group_update(struct db_tx *tx, const char *group_id, const char *new_name, const char *new_path);
int store_group_delete(struct db_tx *tx, const char *group_id);
int store_group_list(struct db_tx *tx, const char *account_id, const char *path_prefix, const char *after_lc,
                     int limit, store_group_fn fn, void *ctx);
int store_group_add_user(struct db_tx *tx, const char *group_id, const char *user_id, int64_t now_ms);
int store_group_remove_user(struct db_tx *tx, const char *group_id, const char *user_id);
/* The users of a group (store_user_fn, store.h), in name order, paged like the lists above. */
int store_group_list_users(struct db_tx *tx, const char *group_id, const char *after_lc, int limit, store_user_fn fn,
                           void *ctx);
/* The groups of a user, in name order. */
int store_user_list_groups(struct db_tx *tx, const char *user_id, const char *after_lc, int limit, store_group_fn fn,
                           void *ctx);

/* ---- roles ---- */
struct store_role {
	char role_id[IAM_ID_MAX]; /* AROA... */
	char account_id[ACCOUNT_ID_LEN + 1];
	char name[IAM_NAME_MAX + 1];
	char path[IAM_PATH_MAX + 1];
	char *trust_policy;   /* owned by the struct: store_role_clear() frees it */
	char description[4001]; /* up to 1000 characters of UTF-8 */
	int64_t max_session_s; /* 3600 .. 43200 */
	char permissions_boundary[ARN_MAX + 1]; /* "" when none */
	int64_t created_ms;
	int64_t last_used_ms; /* 0 when never used */
	char last_used_region[32];
};
typedef int (*store_role_fn)(void *ctx, const struct store_role *r);

void store_role_clear(struct store_role *r);
int store_role_create(struct db_tx *tx, const struct store_role *r);
int store_role_get(struct db_tx *tx, const char *account_id, const char *name, struct store_role *out);
int store_role_get_by_id(struct db_tx *tx, const char *role_id, struct store_role *out);
/* Writes every updatable column from r (trust_policy, description, max_session_s, permissions_boundary). */
int store_role_update(struct db_tx *tx, const struct store_role *r);
int store_role_delete(struct db_tx *tx, const char *role_id);
/* List callbacks get r->trust_policy (and inline / version callbacks their document) valid during the call only. */
int store_role_list(struct db_tx *tx, const char *account_id, const char *path_prefix, const char *after_lc,
                    int limit, store_role_fn fn, void *ctx);
int store_role_touch(struct db_tx *tx, const char *role_id, int64_t when_ms, const char *region);

/* ---- inline policies (of a user, group or role, by its unique id) ---- */
struct store_inline_policy {
	char name[129];
	char *document; /* owned: store_inline_policy_clear() frees it */
};
typedef int (*store_inline_fn)(void *ctx, const struct store_inline_policy *p);

void store_inline_policy_clear(struct store_inline_policy *p);
/* Adds or replaces (by name, without regard to case). */
int store_inline_put(struct db_tx *tx, const char *owner_id, const char *name, const char *document);
int store_inline_get(struct db_tx *tx, const char *owner_id, const char *name, struct store_inline_policy *out);
int store_inline_delete(struct db_tx *tx, const char *owner_id, const char *name);
int store_inline_delete_all(struct db_tx *tx, const char *owner_id);
/* With documents when with_documents, else names only (document NULL). */
int store_inline_list(struct db_tx *tx, const char *owner_id, bool with_documents, const char *after_lc, int limit,
                      store_inline_fn fn, void *ctx);
int store_inline_count(struct db_tx *tx, const char *owner_id, int64_t *count);

/* ---- managed policies (customer-managed, and AWS-managed under account "aws") ---- */
struct store_managed_policy {
	char policy_id[IAM_ID_MAX]; /* ANPA... */
	char account_id[ACCOUNT_ID_LEN + 1]; /* or "aws" */
	char arn[ARN_MAX + 1];
	char name[129];
	char path[IAM_PATH_MAX + 1];
	char description[4001]; /* up to 1000 characters of UTF-8 */
	int64_t default_version; /* 1.. */
	int64_t next_version;
	int64_t created_ms;
	int64_t updated_ms;
	int64_t attachment_count; /* filled by get/list */
};
typedef int (*store_managed_fn)(void *ctx, const struct store_managed_policy *p);

struct store_policy_version {
	int64_t version;
	char *document; /* owned: store_policy_version_clear() frees it */
	int64_t created_ms;
	bool is_default;
};
typedef int (*store_version_fn)(void *ctx, const struct store_policy_version *v);

void store_policy_version_clear(struct store_policy_version *v);
/* Creates the policy with version 1 (document) as its default. */
int store_managed_create(struct db_tx *tx, const struct store_managed_policy *p, const char *document);
int store_managed_get(struct db_tx *tx, const char *arn, struct store_managed_policy *out);
/* Lists policies of scope "All", "AWS" (account "aws") or "Local" (account_id), optionally only attached ones. */
int store_managed_list(struct db_tx *tx, const char *account_id, const char *scope, bool only_attached,
                       const char *path_prefix, const char *after_lc, int limit, store_managed_fn fn, void *ctx);
int store_managed_delete(struct db_tx *tx, const char *policy_id);
int store_managed_add_version(struct db_tx *tx, const char *policy_id, const char *document, bool set_default,
                              int64_t now_ms, int64_t *version);
int store_managed_get_version(struct db_tx *tx, const char *policy_id, int64_t version,
                              struct store_policy_version *out);
int store_managed_list_versions(struct db_tx *tx, const char *policy_id, store_version_fn fn, void *ctx);
int store_managed_delete_version(struct db_tx *tx, const char *policy_id, int64_t version);
int store_managed_set_default(struct db_tx *tx, const char *policy_id, int64_t version, int64_t now_ms);
/* The default version's document of the policy with this ARN (caller frees *document). */
int store_managed_default_document(struct db_tx *tx, const char *arn, char **document);

/* ---- attachments of managed policies to users, groups and roles ---- */
struct store_attachment {
	char entity_id[IAM_ID_MAX];
	char entity_type[8]; /* "user", "group", "role" */
	char policy_arn[ARN_MAX + 1];
};
typedef int (*store_attachment_fn)(void *ctx, const struct store_attachment *a);

int store_attach(struct db_tx *tx, const char *account_id, const char *entity_type, const char *entity_id,
                 const char *policy_arn, int64_t now_ms);
int store_detach(struct db_tx *tx, const char *entity_id, const char *policy_arn);
int store_detach_all(struct db_tx *tx, const char *entity_id);
/* The policies attached to an entity, in ARN order. */
int store_attachments_of_entity(struct db_tx *tx, const char *entity_id, store_attachment_fn fn, void *ctx);
/* The entities a policy is attached to (entity_type NULL: all kinds). */
int store_attachments_of_policy(struct db_tx *tx, const char *policy_arn, const char *entity_type,
                                store_attachment_fn fn, void *ctx);
int store_attachment_count(struct db_tx *tx, const char *entity_id, int64_t *count);

/* ---- additions (src/store/groups.c, roles.c, policies.c) ---- */

/* Membership counts (DeleteGroup and DeleteUser refuse while there are members / memberships). */
int store_group_member_count(struct db_tx *tx, const char *group_id, int64_t *count);
int store_user_group_count(struct db_tx *tx, const char *user_id, int64_t *count);

/* store_managed_get with the attachment count taken within account_id (NULL: every account). */
int store_managed_get_in(struct db_tx *tx, const char *account_id, const char *arn, struct store_managed_policy *out);
/*
 * store_managed_list with ListPolicies' PolicyUsageFilter (usage "PermissionsPolicy", "PermissionsBoundary" or
 * NULL; with only_attached, "PermissionsBoundary" keeps the policies set as a boundary in the account, anything
 * else those attached in it). Order: lowercased name, then policy id; `after` is "NAME_LC POLICY_ID" (the key of
 * the last row seen) or a bare lowercased name.
 */
int store_managed_list_ex(struct db_tx *tx, const char *account_id, const char *scope, bool only_attached,
                          const char *usage, const char *path_prefix, const char *after, int limit,
                          store_managed_fn fn, void *ctx);
/* Sets (arn) or removes (NULL) a user's permissions boundary. */
int store_user_set_boundary(struct db_tx *tx, const char *user_id, const char *arn);
/* How many users and roles (of account_id; NULL: all) have policy_arn as their permissions boundary. */
int store_boundary_count(struct db_tx *tx, const char *account_id, const char *policy_arn, int64_t *count);
/* The users and roles of account_id whose permissions boundary is policy_arn (entity_type "user" / "role"). */
int store_boundary_entities(struct db_tx *tx, const char *account_id, const char *policy_arn,
                            store_attachment_fn fn, void *ctx);
/* store_attachments_of_policy within one account (account_id NULL: all), ordered by entity type and id. */
int store_attachments_of_policy_in(struct db_tx *tx, const char *account_id, const char *policy_arn,
                                   const char *entity_type, store_attachment_fn fn, void *ctx);

/* One identity-policy document and where it comes from: kind "" (an inline policy of the entity itself), "group"
 * (an inline policy of one of the user's groups), "aws-managed" or "user-managed" (an attached managed policy's
 * default version); name is the policy's name. */
typedef int (*store_document_fn)(void *ctx, const char *document, const char *kind, const char *name);
/*
 * Calls fn with every identity-policy document that applies to an entity (a user, group or role id): its inline
 * policies and the default versions of its attached managed policies, and when with_groups (a user) the same for
 * each of its groups. One indexed query. Returns the number of documents, or C_ERR.
 */
int store_principal_documents(struct db_tx *tx, const char *entity_id, bool with_groups, store_document_fn fn,
                              void *ctx);

/* ---- instance profiles (the role list of a profile holds at most one role, as on AWS) ---- */
struct store_instance_profile {
	char profile_id[IAM_ID_MAX]; /* AIPA... */
	char account_id[ACCOUNT_ID_LEN + 1];
	char name[129];
	char path[IAM_PATH_MAX + 1];
	int64_t created_ms;
};
typedef int (*store_profile_fn)(void *ctx, const struct store_instance_profile *p);

int store_profile_create(struct db_tx *tx, const struct store_instance_profile *p);
int store_profile_get(struct db_tx *tx, const char *account_id, const char *name, struct store_instance_profile *out);
int store_profile_delete(struct db_tx *tx, const char *profile_id);
int store_profile_list(struct db_tx *tx, const char *account_id, const char *path_prefix, const char *after_lc,
                       int limit, store_profile_fn fn, void *ctx);
/* STORE_EXISTS when the role is in the profile already. */
int store_profile_add_role(struct db_tx *tx, const char *profile_id, const char *role_id);
int store_profile_remove_role(struct db_tx *tx, const char *profile_id, const char *role_id);
/* The roles of a profile (the callback's role.trust_policy is valid during the call only). */
int store_profile_roles(struct db_tx *tx, const char *profile_id, store_role_fn fn, void *ctx);
/* The profiles a role is in, in name order, paged. */
int store_role_profiles(struct db_tx *tx, const char *role_id, const char *after_lc, int limit, store_profile_fn fn,
                        void *ctx);
int store_profile_role_count(struct db_tx *tx, const char *profile_id, int64_t *count);
int store_role_profile_count(struct db_tx *tx, const char *role_id, int64_t *count);

#endif
