/*
 * internal.h - what the Organizations families share: the caller's organization, identifiers and ARNs in AWS's
 * formats, NextToken pagination, tags, AWS's error messages, and every handler (the one action table lives in
 * organization.c).
 */
#ifndef ROLEGATE_ORGS_INTERNAL_H
#define ROLEGATE_ORGS_INTERNAL_H

#include "orgs/orgs.h"
#include "store/orgs.h"

/* How long CreateAccount and CloseAccount take: the request reports IN_PROGRESS / PENDING_CLOSURE until then. */
#define ORGS_ASYNC_MS 1000
#define ORGS_DEFAULT_MAX_RESULTS 20
#define ORGS_TAGS_PER_RESOURCE 50
#define ORGS_SCP_MAX_CHARS 5120
#define ORGS_POLICIES_PER_TARGET 5 /* SCPs attached to one root, OU or account */
#define ORGS_POLICIES_MAX 1000     /* SCPs in an organization */
#define ORGS_OUS_MAX 1000

/* AWS's messages (the API reference's descriptions, or the service's own words where known). */
#define MSG_NOT_IN_USE "Your account is not a member of an organization."
#define MSG_ACCESS_DENIED "You don't have permissions to access this resource."
#define MSG_ALREADY_IN_ORG                                                                                           \
	"This account is already a member of an organization. An account can belong to only one organization at a "  \
	"time."
#define MSG_ACCOUNT_NOT_FOUND                                                                                        \
	"We can't find an Amazon Web Services account with the AccountId that you specified, or the account whose "   \
	"credentials you used to make this request isn't a member of an organization."
#define MSG_PARENT_NOT_FOUND "We can't find a root or OU with the ParentId that you specified."
#define MSG_SOURCE_PARENT_NOT_FOUND "We can't find a source root or OU with the ParentId that you specified."
#define MSG_DEST_PARENT_NOT_FOUND                                                                                    \
	"We can't find the destination container (a root or OU) with the ParentId that you specified."
#define MSG_DUPLICATE_ACCOUNT "That account is already present in the specified destination."
#define MSG_CHILD_NOT_FOUND                                                                                          \
	"We can't find an organizational unit (OU) or Amazon Web Services account with the ChildId that you specified."
#define MSG_OU_NOT_FOUND "We can't find an OU with the OrganizationalUnitId that you specified."
#define MSG_DUPLICATE_OU "An OU with the same name already exists."
#define MSG_OU_NOT_EMPTY                                                                                             \
	"The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and " \
	"try the operation again."
#define MSG_ROOT_NOT_FOUND "We can't find a root with the RootId that you specified."
#define MSG_TARGET_NOT_FOUND "We can't find a root, OU, account, or policy with the TargetId that you specified."
#define MSG_POLICY_NOT_FOUND "We can't find a policy with the PolicyId that you specified."
#define MSG_DUPLICATE_POLICY "A policy with the same name already exists."
#define MSG_DUPLICATE_ATTACHMENT "The selected policy is already attached to the specified target."
#define MSG_POLICY_NOT_ATTACHED "The policy isn't attached to the specified target in the specified root."
#define MSG_POLICY_IN_USE                                                                                            \
	"The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before " \
	"performing this operation."
#define MSG_TYPE_NOT_ENABLED                                                                                         \
	"The specified policy type isn't currently enabled in this root. You can't attach policies of the specified "  \
	"type to entities in a root until you enable that type in the root."
#define MSG_TYPE_ALREADY_ENABLED "The specified policy type is already enabled in the specified root."
#define MSG_TYPE_NOT_AVAILABLE                                                                                       \
	"You can't use the specified policy type with the feature set currently enabled for this organization."
#define MSG_IMMUTABLE_POLICY "You specified a policy that is managed by Amazon Web Services and can't be modified."
#define MSG_CAR_NOT_FOUND "We can't find an create account request with the CreateAccountRequestId that you specified."
#define MSG_BAD_TOKEN "You specified an invalid value for nextToken."

/* ---- common.c ---- */

/*
 * Loads the organization of the caller's account into org. AWSOrganizationsNotInUseException when it is in none;
 * AccessDeniedException when management_only and the caller's account is not the management account.
 */
int orgs_context(struct call *c, struct store_org *org, bool management_only);
/* Writes prefix + n random characters of [a-z0-9] + NUL. */
void orgs_random_id(char *out, size_t cap, const char *prefix, size_t n);

/* ARNs: arn:aws:organizations::MGMT:<kind>/o-.../... */
int orgs_arn_org(const struct store_org *o, char *out, size_t cap);
int orgs_arn_account(const struct store_org *o, const char *account_id, char *out, size_t cap);
int orgs_arn_root(const struct store_org *o, char *out, size_t cap);
int orgs_arn_ou(const struct store_org *o, const char *ou_id, char *out, size_t cap);
int orgs_arn_policy(const struct store_org *o, const char *type, const char *policy_id, bool aws_managed, char *out,
                    size_t cap);
/* The ARN of a root (r-), OU (ou-) or account (12 digits) id. */
int orgs_arn_target(const struct store_org *o, const char *id, char *out, size_t cap);

/* Whether id names the organization's root or one of its OUs. */
int orgs_parent_exists(struct call *c, const struct store_org *o, const char *id, bool *exists);
/* The path of an entity: "o-.../r-.../ou-.../<leaf>/" where parent_id is the leaf's parent. */
int orgs_path(struct call *c, const struct store_org *o, const char *parent_id, const char *leaf_id, char *out,
              size_t cap);

/* Timestamps go out as epoch seconds. */
json_t *orgs_time(int64_t ms);
/* The current state of an account: ACTIVE, PENDING_CLOSURE or SUSPENDED. */
const char *orgs_account_status(const struct store_org_account *a, int64_t now_ms);
/* The Account structure as AWS returns it. */
json_t *orgs_account_json(struct call *c, const struct store_org *o, const struct store_org_account *a);

/*
 * NextToken / MaxResults. orgs_page_read() reads the position after which to continue (kind tells which list the
 * token belongs to) into after ("" at the start) and the page size into *limit. orgs_page_write() sets NextToken
 * when there are more results after `last`.
 */
int orgs_page_read(struct call *c, const char *kind, char *after, size_t cap, int *limit);
int orgs_page_write(struct call *c, const char *kind, bool more, const char *last);

/* The tags table key of an organization resource (root, OU, account or policy id). */
void orgs_tag_id(const char *id, char *out, size_t cap);
/* Checks a Tags list: unique keys (InvalidInputException DUPLICATE_TAG_KEY), no aws: keys, and at most 50 tags on
 * the resource afterwards (ConstraintViolationException MAX_TAG_LIMIT_EXCEEDED). id is NULL for a new resource. */
int orgs_check_tags(struct call *c, json_t *tags, const char *id);
/* Stores every tag of the Tags list (may be NULL) on the resource id. */
int orgs_put_tags(struct call *c, const char *id, json_t *tags);

/* Resources: "*" for actions that act on no particular resource, after checking the caller's organization. */
int orgs_resource_none(struct call *c, char *out, size_t cap);
int orgs_resource_member(struct call *c, char *out, size_t cap);
int orgs_resource_management(struct call *c, char *out, size_t cap);

/* ---- organization.c ---- */
int orgs_create_organization(struct call *c);
int orgs_describe_organization(struct call *c);
int orgs_delete_organization(struct call *c);
int orgs_list_roots(struct call *c);
int orgs_enable_policy_type(struct call *c);
int orgs_disable_policy_type(struct call *c);
int orgs_list_aws_service_access(struct call *c);
int orgs_list_delegated_administrators(struct call *c);
/* Resource: the root named by RootId. */
int orgs_resource_root(struct call *c, char *out, size_t cap);

/* ---- accounts.c ---- */
int orgs_create_account(struct call *c);
int orgs_describe_create_account_status(struct call *c);
int orgs_list_create_account_status(struct call *c);
int orgs_describe_account(struct call *c);
int orgs_list_accounts(struct call *c);
int orgs_list_accounts_for_parent(struct call *c);
int orgs_move_account(struct call *c);
int orgs_remove_account(struct call *c);
int orgs_close_account(struct call *c);
/* Resource: the account named by AccountId. */
int orgs_resource_account(struct call *c, char *out, size_t cap);

/* ---- ous.c ---- */
int orgs_create_ou(struct call *c);
int orgs_describe_ou(struct call *c);
int orgs_update_ou(struct call *c);
int orgs_delete_ou(struct call *c);
int orgs_list_ous_for_parent(struct call *c);
int orgs_list_parents(struct call *c);
int orgs_list_children(struct call *c);
/* Resource: the root or OU named by ParentId. */
int orgs_resource_parent(struct call *c, char *out, size_t cap);
/* Resource: the OU named by OrganizationalUnitId. */
int orgs_resource_ou(struct call *c, char *out, size_t cap);
/* Resource: the account or OU named by ChildId. */
int orgs_resource_child(struct call *c, char *out, size_t cap);

/* ---- policies.c ---- */
int orgs_create_policy(struct call *c);
int orgs_describe_policy(struct call *c);
int orgs_update_policy(struct call *c);
int orgs_delete_policy(struct call *c);
int orgs_attach_policy(struct call *c);
int orgs_detach_policy(struct call *c);
int orgs_list_policies(struct call *c);
int orgs_list_policies_for_target(struct call *c);
int orgs_list_targets_for_policy(struct call *c);
/* Resource: the policy named by PolicyId. */
int orgs_resource_policy(struct call *c, char *out, size_t cap);
/* Resource: the root, OU or account named by TargetId. */
int orgs_resource_target(struct call *c, char *out, size_t cap);
/* The PolicySummary of p. */
json_t *orgs_policy_summary(const struct store_org *o, const struct store_org_policy *p);

/* ---- tags.c ---- */
int orgs_tag_resource(struct call *c);
int orgs_untag_resource(struct call *c);
int orgs_list_tags_for_resource(struct call *c);
/* Resource: the root, OU, account or policy named by ResourceId. */
int orgs_resource_taggable(struct call *c, char *out, size_t cap);

#endif
