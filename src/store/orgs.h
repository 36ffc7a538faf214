/*
 * orgs.h - storage of AWS Organizations: organizations and their roots, organizational units, memberships of
 * accounts, CreateAccount requests, policies (service control policies) and where they are attached.
 *
 * Same conventions as store.h: every function takes an open transaction; C_OK, STORE_NOT_FOUND, STORE_EXISTS or
 * C_ERR. List functions call fn for each row in id order, starting after `after` (exclusive; NULL from the start),
 * at most `limit` rows, and return the number of rows visited (or C_ERR).
 *
 * Accounts joined by CreateAccount become visible at their joined_ms, which lies a moment after the request (the
 * creation is asynchronous as on AWS): functions taking now_ms leave out memberships that are not visible yet.
 *
 * Tags of organization resources live in the generic tags table under ORG_TAG_PREFIX + the resource's id.
 */
#ifndef ROLEGATE_STORE_ORGS_H
#define ROLEGATE_STORE_ORGS_H

#include "store/store.h"

#define ORG_ID_MAX 48        /* o-[a-z0-9]{10,32}, r-[0-9a-z]{4,32}, car-[a-z0-9]{8,32} */
#define ORG_OU_ID_MAX 72     /* ou-[0-9a-z]{4,32}-[a-z0-9]{8,32} (also any parent or target id) */
#define ORG_POLICY_ID_MAX 136 /* p-[0-9a-zA-Z_]{8,128} */
#define ORG_NAME_MAX (128 * 4) /* 128 characters of UTF-8 */
#define ORG_DESCRIPTION_MAX (512 * 4)
#define ORG_TYPE_MAX 48

#define ORG_SCP "SERVICE_CONTROL_POLICY"
/* The AWS-managed SCP attached to every root, OU and account when SCPs are enabled (one row for every org). */
#define ORG_FULL_ACCESS_ID "p-FullAWSAccess"
#define ORG_TAG_PREFIX "org:"
#define ORG_MAX_DEPTH 5 /* OUs below the root, as AWS allows with SCPs */

/* ---- organizations ---- */
struct store_org {
	char org_id[ORG_ID_MAX];
	char management_account_id[ACCOUNT_ID_LEN + 1];
	char root_id[ORG_ID_MAX];
	char feature_set[32]; /* "ALL" / "CONSOLIDATED_BILLING" */
	int64_t created_ms;
};

int store_org_create(struct db_tx *tx, const struct store_org *o);
/* The organization account_id belongs to, as its management account or as a member (visible or not). */
int store_org_of_account(struct db_tx *tx, const char *account_id, struct store_org *out);
/* Deletes the organization and everything in it: OUs, memberships, CreateAccount requests, its policies, every
 * attachment to its root, OUs and accounts, enabled policy types, and the tags of all of these. */
int store_org_delete(struct db_tx *tx, const struct store_org *o);

/* ---- policy types enabled on a root ---- */
int store_org_policy_type_enabled(struct db_tx *tx, const char *root_id, const char *type, bool *enabled);
int store_org_policy_type_set(struct db_tx *tx, const char *root_id, const char *type, bool enabled);

/* ---- organizational units ---- */
struct store_ou {
	char ou_id[ORG_OU_ID_MAX];
	char org_id[ORG_ID_MAX];
	char parent_id[ORG_OU_ID_MAX]; /* a root or an OU */
	char name[ORG_NAME_MAX + 1];
	int64_t created_ms;
};
typedef int (*store_ou_fn)(void *ctx, const struct store_ou *u);

int store_ou_create(struct db_tx *tx, const struct store_ou *u);
/* The OU ou_id of organization org_id. */
int store_ou_get(struct db_tx *tx, const char *org_id, const char *ou_id, struct store_ou *out);
int store_ou_rename(struct db_tx *tx, const char *ou_id, const char *name);
int store_ou_delete(struct db_tx *tx, const char *ou_id);
/* Whether another OU (not except_id, which may be NULL) of parent_id has this name (exactly). */
int store_ou_name_taken(struct db_tx *tx, const char *parent_id, const char *name, const char *except_id,
                        bool *taken);
int store_ou_count(struct db_tx *tx, const char *org_id, int64_t *count);
/* Children of parent_id: OUs, and accounts (including those whose creation has not completed). */
int store_ou_child_count(struct db_tx *tx, const char *parent_id, int64_t *count);
/* The OUs whose parent is parent_id. */
int store_ou_list(struct db_tx *tx, const char *parent_id, const char *after, int limit, store_ou_fn fn, void *ctx);
/*
 * The chain of OUs from parent_id up to (not including) the root: ids[0] = parent_id when it is an OU, ids[n-1] the
 * OU right below the root. n = 0 when parent_id is the root. C_ERR when the chain is longer than cap.
 */
int store_ou_ancestors(struct db_tx *tx, const char *parent_id, char ids[][ORG_OU_ID_MAX], size_t cap, size_t *n);

/* ---- accounts in organizations ---- */
struct store_org_account {
	char account_id[ACCOUNT_ID_LEN + 1];
	char name[128];
	char email[256];
	char status[16]; /* accounts.status: ACTIVE, PENDING_CLOSURE, SUSPENDED */
	char org_id[ORG_ID_MAX];
	char parent_id[ORG_OU_ID_MAX];
	char joined_method[16]; /* INVITED, CREATED */
	int64_t joined_ms;
	int64_t closure_ms; /* PENDING_CLOSURE: when the account becomes SUSPENDED; else 0 */
};
typedef int (*store_org_account_fn)(void *ctx, const struct store_org_account *a);

int store_org_account_add(struct db_tx *tx, const char *account_id, const char *org_id, const char *parent_id,
                          const char *joined_method, int64_t joined_ms);
/* The visible member account_id of org_id. */
int store_org_account_get(struct db_tx *tx, const char *org_id, const char *account_id, int64_t now_ms,
                          struct store_org_account *out);
/* The visible members of org_id, of parent_id only when it is not NULL. */
int store_org_account_list(struct db_tx *tx, const char *org_id, const char *parent_id, int64_t now_ms,
                           const char *after, int limit, store_org_account_fn fn, void *ctx);
int store_org_account_move(struct db_tx *tx, const char *account_id, const char *parent_id);
int store_org_account_remove(struct db_tx *tx, const char *account_id);
/* Members of org_id other than its management account (including those being created). */
int store_org_member_count(struct db_tx *tx, const struct store_org *o, int64_t *count);
/* Whether an account (any, in any organization or none) has this email address, without regard to case. */
int store_account_email_taken(struct db_tx *tx, const char *email, bool *taken);
/* Sets accounts.status; PENDING_CLOSURE also records closure_ms, when the closure completes. */
int store_account_set_status(struct db_tx *tx, const char *account_id, const char *status, int64_t closure_ms);

/* ---- CreateAccount requests ---- */
struct store_car {
	char request_id[ORG_ID_MAX];
	char org_id[ORG_ID_MAX];
	char account_name[64];
	char email[256];
	char role_name[IAM_NAME_MAX + 1];
	char account_id[ACCOUNT_ID_LEN + 1]; /* "" when none was created */
	char state[16];                      /* the final state: SUCCEEDED or FAILED */
	char failure_reason[64];             /* "" unless FAILED */
	int64_t requested_ms;
	int64_t completed_ms; /* the request shows IN_PROGRESS until then */
};
typedef int (*store_car_fn)(void *ctx, const struct store_car *s);

int store_car_create(struct db_tx *tx, const struct store_car *s);
int store_car_get(struct db_tx *tx, const char *org_id, const char *request_id, struct store_car *out);
/* Requests of org_id in the order they were made, whose state at now_ms is one of those flagged; `after` is a key
 * from store_car_key(). */
#define STORE_CAR_IN_PROGRESS 1
#define STORE_CAR_SUCCEEDED 2
#define STORE_CAR_FAILED 4
int store_car_list(struct db_tx *tx, const char *org_id, unsigned states, int64_t now_ms, const char *after,
                   int limit, store_car_fn fn, void *ctx);
/* The paging key of a request (cap >= 64). */
void store_car_key(const struct store_car *s, char *out, size_t cap);

/* ---- policies ---- */
struct store_org_policy {
	char policy_id[ORG_POLICY_ID_MAX];
	char org_id[ORG_ID_MAX]; /* "aws" for AWS-managed policies */
	char type[ORG_TYPE_MAX];
	char name[ORG_NAME_MAX + 1];
	char description[ORG_DESCRIPTION_MAX + 1];
	char *content; /* owned: store_org_policy_clear() frees it; NULL from list functions */
	bool aws_managed;
	int64_t created_ms;
};
typedef int (*store_org_policy_fn)(void *ctx, const struct store_org_policy *p);

void store_org_policy_clear(struct store_org_policy *p);
int store_org_policy_create(struct db_tx *tx, const struct store_org_policy *p);
/* Creates the AWS-managed FullAWSAccess SCP unless it exists. */
int store_org_policy_ensure_managed(struct db_tx *tx, int64_t now_ms);
/* A policy of org_id, or an AWS-managed one. */
int store_org_policy_get(struct db_tx *tx, const char *org_id, const char *policy_id, struct store_org_policy *out);
/* Whether another policy (not except_id) of org_id and this type, or an AWS-managed one, has this name. */
int store_org_policy_name_taken(struct db_tx *tx, const char *org_id, const char *type, const char *name,
                                const char *except_id, bool *taken);
/* Updates the columns that are not NULL. */
int store_org_policy_update(struct db_tx *tx, const char *policy_id, const char *name, const char *description,
                            const char *content);
int store_org_policy_delete(struct db_tx *tx, const char *policy_id);
/* Policies of org_id of this type (AWS-managed ones excluded). */
int store_org_policy_count(struct db_tx *tx, const char *org_id, const char *type, int64_t *count);
/* Policies of org_id of this type, AWS-managed ones included, without their content. */
int store_org_policy_list(struct db_tx *tx, const char *org_id, const char *type, const char *after, int limit,
                          store_org_policy_fn fn, void *ctx);

/* ---- where policies are attached ---- */
struct store_org_target {
	char target_id[ORG_OU_ID_MAX];
	char type[24]; /* ROOT, ORGANIZATIONAL_UNIT, ACCOUNT */
	char name[ORG_NAME_MAX + 1];
};
typedef int (*store_org_target_fn)(void *ctx, const struct store_org_target *t);

/* STORE_EXISTS when already attached. */
int store_org_attach(struct db_tx *tx, const char *policy_id, const char *target_id);
/* STORE_NOT_FOUND when not attached. */
int store_org_detach(struct db_tx *tx, const char *policy_id, const char *target_id);
/* Detaches every policy from target_id. */
int store_org_detach_target(struct db_tx *tx, const char *target_id);
/* Detaches every policy of this type from the root, OUs and accounts of o. */
int store_org_detach_type(struct db_tx *tx, const struct store_org *o, const char *type);
/* Attaches policy_id to the root, every OU and every account of o. */
int store_org_attach_everywhere(struct db_tx *tx, const struct store_org *o, const char *policy_id);
/* Policies of this type attached to target_id. */
int store_org_attached_count(struct db_tx *tx, const char *target_id, const char *type, int64_t *count);
/* The policies of this type attached to target_id, without their content. */
int store_org_policies_for_target(struct db_tx *tx, const char *target_id, const char *type, const char *after,
                                  int limit, store_org_policy_fn fn, void *ctx);
/* Entities of o that policy_id is attached to. */
int store_org_target_count(struct db_tx *tx, const struct store_org *o, const char *policy_id, int64_t *count);
int store_org_targets_for_policy(struct db_tx *tx, const struct store_org *o, const char *policy_id, int64_t now_ms,
                                 const char *after, int limit, store_org_target_fn fn, void *ctx);

typedef int (*store_org_content_fn)(void *ctx, const char *target_id, const char *content);
/* Calls fn with the content of every policy of this type attached to one of the n target ids (n <= 16). */
int store_org_attached_contents(struct db_tx *tx, const char *const *target_ids, size_t n, const char *type,
                                store_org_content_fn fn, void *ctx);

#endif
