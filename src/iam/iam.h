/*
 * iam.h - IAM actions (one file per resource family) and the helpers they share.
 */
#ifndef ROLEGATE_IAM_H
#define ROLEGATE_IAM_H

#include "iam/quotas.h"
#include "server/call.h"
#include "store/login.h"

/* The action tables of the IAM families (see src/server/actions.c). */
extern const struct action_table iam_user_actions;
extern const struct action_table iam_access_key_actions;
extern const struct action_table iam_group_actions;
extern const struct action_table iam_role_actions;
extern const struct action_table iam_policy_actions;
extern const struct action_table iam_instance_profile_actions;
extern const struct action_table iam_authz_details_actions;
extern const struct action_table iam_mfa_actions;     /* mfa.c */
extern const struct action_table iam_login_actions;   /* login.c */
extern const struct action_table iam_account_actions; /* account.c */
extern const struct action_table iam_simulate_actions; /* simulate.c */
extern const struct action_table iam_saml_provider_actions; /* saml_providers.c */
extern const struct action_table iam_oidc_provider_actions; /* oidc_providers.c */

/* login.c: console passwords. Writes "pbkdf2-sha256$ITERATIONS$SALT$HASH" of password (a new random salt) into
 * out; ~0.1 s of work (call it outside any transaction). */
int iam_password_hash(const char *password, char *out, size_t cap);
/* Whether password matches a hash iam_password_hash wrote: C_OK when it does (compared in constant time), C_ERR
 * when it does not or the hash is malformed. As slow as hashing. */
int iam_password_verify(const char *password, const char *stored);

/* users.c */
int iam_create_user(struct call *c);
int iam_get_user(struct call *c);
int iam_list_users(struct call *c);
int iam_update_user(struct call *c);
int iam_delete_user(struct call *c);
int iam_tag_user(struct call *c);
int iam_untag_user(struct call *c);
int iam_list_user_tags(struct call *c);
/* Resource: the user named by UserName (or the caller when it is absent). */
int iam_resource_user(struct call *c, char *out, size_t cap);
/* Resource: the user being created (CreateUser: Path + UserName). */
int iam_resource_new_user(struct call *c, char *out, size_t cap);
/* Resource: "arn:aws:iam::ACCT:user/" (ListUsers). */
int iam_resource_users(struct call *c, char *out, size_t cap);

/* access_keys.c */
int iam_create_access_key(struct call *c);
int iam_list_access_keys(struct call *c);
int iam_update_access_key(struct call *c);
int iam_delete_access_key(struct call *c);
int iam_get_access_key_last_used(struct call *c);
/* Resource: the owner of AccessKeyId. */
int iam_resource_key_owner(struct call *c, char *out, size_t cap);

/* common.c */
/* Loads the user `name` of the caller's account; NoSuchEntity with AWS's message when absent. */
int iam_load_user(struct call *c, const char *name, struct store_user *u);
/* Loads the user `name`, or the calling IAM user when name is NULL (AWS's implicit UserName); a caller that is not
 * an IAM user (root, role session) gets ValidationError "Must specify userName when calling with non-User
 * credentials" (actions where the root has a meaning of its own handle it before). */
int iam_load_named_or_self(struct call *c, const char *name, struct store_user *u);
/* The limit of an operator-adjustable quota in force on this server (AWS's default unless raised). */
int64_t iam_quota(const struct call *c, enum iam_quota which);
/* LimitExceeded ("Cannot exceed quota for NAME: N") for quota `which`. Returns C_ERR. */
int iam_quota_refuse(struct call *c, enum iam_quota which);
/* Called after the insert of a new entity in c->tx: LimitExceeded (and the transaction rolls back) when the caller's
 * account now holds more `what` than quota `which` allows. Counted in the insert's write transaction, so concurrent
 * creates cannot pass the quota together. */
int iam_quota_check_after_insert(struct call *c, enum iam_quota which, enum store_counted what);
/* The User structure as AWS returns it: with_tags (CreateUser, GetUser, GetAccountAuthorizationDetails) adds its
 * PermissionsBoundary and Tags, which lists (ListUsers, GetGroup) leave out. NULL on failure. */
json_t *iam_user_json(struct call *c, const struct store_user *u, bool with_tags);
/* Checks a Tags list for duplicate keys (InvalidInput) and that existing + new distinct keys stay within 50
 * (LimitExceeded). existing_id NULL for a new resource. */
int iam_check_tags(struct call *c, json_t *tags, const char *existing_id, const char *quota_name);
/* Stores every tag of the Tags list on resource_id. */
int iam_put_tags(struct call *c, const char *resource_id, json_t *tags);
/* Appends the tags of resource_id to the JSON array arr. */
int iam_tags_json(struct call *c, const char *resource_id, int skip, int limit, json_t *arr);
/* Untag*: deletes the keys of the request's TagKeys from resource_id's tags. */
int iam_untag(struct call *c, const char *resource_id);
/* List*Tags: one page of resource_id's tags as the answer's Tags (MaxItems, Marker, IsTruncated). */
int iam_list_tags_page(struct call *c, const char *resource_id);

/* Pagination (Marker / MaxItems / IsTruncated): a marker is opaque to clients; ours wraps a position. */
#define IAM_DEFAULT_MAX_ITEMS 100
/* Reads Marker into pos (cap bytes). "" when absent; InvalidInput when it is not one of ours. */
int iam_marker_read(struct call *c, char *pos, size_t cap);
/* Sets IsTruncated and (when truncated) Marker in c->out. */
int iam_marker_write(struct call *c, bool truncated, const char *pos);

/* ---- groups, roles, policies, instance profiles (groups.c, roles.c, policies.c, instance_profiles.c,
 * authz_details.c, managed_aws.c) ---- */
#include "store/iam_store.h"

#define IAM_POLICY_VERSIONS_MAX 5

/* groups.c */
/* Resource: the group named by GroupName. */
int iam_resource_group(struct call *c, char *out, size_t cap);
/* Loads the group `name` of the caller's account; NoSuchEntity with AWS's message when absent. */
int iam_load_group(struct call *c, const char *name, struct store_group *g);
/* The Group structure as AWS returns it. NULL on failure. */
json_t *iam_group_json(const struct store_group *g);

/* roles.c */
/* Resource: the role named by RoleName. */
int iam_resource_role(struct call *c, char *out, size_t cap);
/* Loads the role `name` of the caller's account (caller frees with store_role_clear); NoSuchEntity when absent. */
int iam_load_role(struct call *c, const char *name, struct store_role *r);
/* The Role structure: with_details adds Tags, PermissionsBoundary and RoleLastUsed (GetRole), as AWS does. */
json_t *iam_role_json(struct call *c, const struct store_role *r, bool with_details);

/* policies.c */
/* Loads the managed policy policy_arn as the caller's account sees it (its own, or AWS-managed); NoSuchEntity
 * "Policy ARN was not found." when absent. */
int iam_load_policy(struct call *c, const char *policy_arn, struct store_managed_policy *p);
/* Checks that arn names a managed policy the caller's account may use as a permissions boundary (InvalidInput /
 * NoSuchEntity as AWS answers otherwise). */
int iam_check_boundary(struct call *c, const char *arn);
/* DeleteConflict when a user still has inline or attached policies or group memberships (DeleteUser). */
int iam_user_delete_conflicts(struct call *c, const struct store_user *u);
/* Validates a policy document of kind (MalformedPolicyDocument with the engine's message). */
int iam_policy_validate(struct call *c, const char *doc, enum policy_kind kind);
/* The characters of doc that are not white space: what AWS's policy size quotas count. */
size_t iam_policy_size(const char *doc);
/* Percent-encodes a policy document as IAM returns documents (RFC 3986: all but A-Z a-z 0-9 - _ . ~). The
 * caller frees the result; NULL when out of memory. */
char *iam_url_encode(const char *doc);
/* Sets c->out[member] to the URL-encoded doc. */
int iam_set_document(json_t *obj, const char *member, const char *doc);
/* The AttachedPolicies entries of an entity (for GetAccountAuthorizationDetails): appends to arr. */
int iam_attached_policies_json(struct call *c, const char *entity_id, json_t *arr);
/* Appends {PolicyName, PolicyDocument} of every inline policy of owner_id to arr. */
int iam_inline_policies_json(struct call *c, const char *owner_id, json_t *arr);
/* Appends every version of a policy, with its document, to arr (PolicyVersionList). */
int iam_policy_versions_json(struct call *c, const char *policy_id, json_t *arr);
/* Which answer a Policy structure is for: AWS shows different members in each (verified against AWS by moto's
 * test_iam_response_attributes.py): a list (ListPolicies, GetAccountAuthorizationDetails) has neither Description
 * nor Tags; CreatePolicy has Tags only when the policy has some and never Description; GetPolicy has Description
 * when set and Tags always, empty or not. */
enum iam_policy_shape { IAM_POLICY_LISTED, IAM_POLICY_CREATED, IAM_POLICY_GOT };
/* The Policy structure in the shape of the answer it is for. NULL on failure. */
json_t *iam_policy_json(struct call *c, const struct store_managed_policy *p, enum iam_policy_shape shape);
/* "vN" -> N; 0 when id is not of that form. */
int64_t iam_version_number(const char *id);

/* saml_providers.c */
/* The provider name of arn:aws:iam::ACCT:saml-provider/NAME into name: C_OK; C_ERR when arn is not such an ARN;
 * STORE_NOT_FOUND when account_id is given and ACCT is another account. */
int iam_saml_provider_name(const char *arn, const char *account_id, char *name, size_t cap);

/* instance_profiles.c */
/* The InstanceProfile structure with its roles. NULL on failure. */
json_t *iam_instance_profile_json(struct call *c, const struct store_instance_profile *p);

#endif
