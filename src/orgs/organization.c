/*
 * organization.c - the organization and its root: CreateOrganization, DescribeOrganization, DeleteOrganization,
 * ListRoots, EnablePolicyType, DisablePolicyType, ListAWSServiceAccessForOrganization, ListDelegatedAdministrators;
 * and the table of every Organizations action.
 *
 * Only service control policies are served: enabling them attaches the AWS-managed FullAWSAccess SCP to the root,
 * every OU and every account (as AWS does), disabling them detaches every SCP.
 */
#include <stdio.h>
#include <string.h>

#include "orgs/internal.h"
#include "util/common.h"

/* Organization {...} as AWS returns it. */
static json_t *organization_json(struct call *c, const struct store_org *o)
{
	char arn[ARN_MAX + 1], mgmt_arn[ARN_MAX + 1];
	struct store_account m;
	json_t *j, *types;

	if (orgs_arn_org(o, arn, sizeof(arn)) != C_OK ||
	    orgs_arn_account(o, o->management_account_id, mgmt_arn, sizeof(mgmt_arn)) != C_OK ||
	    store_account_get(c->tx, o->management_account_id, &m) != C_OK)
		return NULL;
	/* AvailablePolicyTypes is deprecated; AWS lists SCPs as available in an organization with all features. */
	types = strcmp(o->feature_set, "ALL") == 0
	                ? json_pack("[{s:s, s:s}]", "Type", ORG_SCP, "Status", "ENABLED")
	                : json_array();
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "Id", o->org_id, "Arn", arn, "FeatureSet", o->feature_set,
	              "MasterAccountArn", mgmt_arn, "MasterAccountId", o->management_account_id, "AvailablePolicyTypes",
	              types);
	if (j && m.email[0])
		json_object_set_new(j, "MasterAccountEmail", json_string(m.email));
	return j;
}

/* Root {...}: its policy types are those enabled. */
static json_t *root_json(struct call *c, const struct store_org *o)
{
	char arn[ARN_MAX + 1];
	bool scp = false;
	json_t *types;

	if (orgs_arn_root(o, arn, sizeof(arn)) != C_OK ||
	    store_org_policy_type_enabled(c->tx, o->root_id, ORG_SCP, &scp) != C_OK)
		return NULL;
	types = scp ? json_pack("[{s:s, s:s}]", "Type", ORG_SCP, "Status", "ENABLED") : json_array();
	return json_pack("{s:s, s:s, s:s, s:o}", "Id", o->root_id, "Arn", arn, "Name", "Root", "PolicyTypes", types);
}

int orgs_create_organization(struct call *c)
{
	const char *feature_set = call_str(c, "FeatureSet");
	struct store_account me;
	struct store_org o;
	json_t *j;
	int rc;

	rc = store_org_of_account(c->tx, c->caller.account_id, &o);
	if (rc == C_OK)
		return aws_err_set(&c->err, ERR_ORG_ALREADY_IN_ORGANIZATION, MSG_ALREADY_IN_ORG);
	if (rc != STORE_NOT_FOUND || store_account_get(c->tx, c->caller.account_id, &me) != C_OK)
		return C_ERR;
	memset(&o, 0, sizeof(o));
	orgs_random_id(o.org_id, sizeof(o.org_id), "o-", 10);
	orgs_random_id(o.root_id, sizeof(o.root_id), "r-", 4);
	snprintf(o.management_account_id, sizeof(o.management_account_id), "%s", c->caller.account_id);
	snprintf(o.feature_set, sizeof(o.feature_set), "%s", feature_set ? feature_set : "ALL");
	o.created_ms = c->now_ms;
	/* The management account is a member too, under the root, as on AWS. */
	if (store_org_create(c->tx, &o) != C_OK ||
	    store_org_account_add(c->tx, o.management_account_id, o.org_id, o.root_id, "INVITED", c->now_ms) != C_OK ||
	    store_org_policy_ensure_managed(c->tx, c->now_ms) != C_OK)
		return C_ERR;
	if (!(j = organization_json(c, &o)))
		return C_ERR;
	json_object_set_new(c->out, "Organization", j);
	return C_OK;
}

int orgs_describe_organization(struct call *c)
{
	struct store_org o;
	json_t *j;

	if (orgs_context(c, &o, false) != C_OK || !(j = organization_json(c, &o)))
		return C_ERR;
	json_object_set_new(c->out, "Organization", j);
	return C_OK;
}

int orgs_delete_organization(struct call *c)
{
	struct store_org o;
	int64_t members = 0;

	if (orgs_context(c, &o, true) != C_OK || store_org_member_count(c->tx, &o, &members) != C_OK)
		return C_ERR;
	if (members > 0)
		return aws_err_set(&c->err, ERR_ORG_NOT_EMPTY,
		                   "The organization isn't empty. To delete an organization, you must first remove all "
		                   "accounts except the management account.");
	return store_org_delete(c->tx, &o);
}

int orgs_list_roots(struct call *c)
{
	char after[64];
	struct store_org o;
	json_t *roots, *r;
	int limit;

	if (orgs_context(c, &o, true) != C_OK || orgs_page_read(c, "roots", after, sizeof(after), &limit) != C_OK)
		return C_ERR;
	roots = json_array();
	json_object_set_new(c->out, "Roots", roots);
	/* One root per organization: a token can only point past it. */
	if (after[0])
		return C_OK;
	if (!(r = root_json(c, &o)) || json_array_append_new(roots, r) != 0)
		return C_ERR;
	return C_OK;
}

int orgs_resource_root(struct call *c, char *out, size_t cap)
{
	const char *id = call_str(c, "RootId");
	struct store_org o;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	return orgs_arn_target(&o, id, out, cap);
}

/* Loads the organization, checks RootId and that PolicyType is one rolegate serves. */
static int policy_type_call(struct call *c, struct store_org *o)
{
	const char *type = call_str(c, "PolicyType");

	if (orgs_context(c, o, true) != C_OK)
		return C_ERR;
	if (strcmp(call_str(c, "RootId"), o->root_id) != 0)
		return aws_err_set(&c->err, ERR_ORG_ROOT_NOT_FOUND, MSG_ROOT_NOT_FOUND);
	if (strcmp(type, ORG_SCP) != 0 || strcmp(o->feature_set, "ALL") != 0)
		return aws_err_set(&c->err, ERR_ORG_POLICY_TYPE_NOT_AVAILABLE, MSG_TYPE_NOT_AVAILABLE);
	return C_OK;
}

int orgs_enable_policy_type(struct call *c)
{
	struct store_org o;
	bool enabled = false;
	json_t *r;

	if (policy_type_call(c, &o) != C_OK ||
	    store_org_policy_type_enabled(c->tx, o.root_id, ORG_SCP, &enabled) != C_OK)
		return C_ERR;
	if (enabled)
		return aws_err_set(&c->err, ERR_ORG_POLICY_TYPE_ALREADY_ENABLED, MSG_TYPE_ALREADY_ENABLED);
	if (store_org_policy_type_set(c->tx, o.root_id, ORG_SCP, true) != C_OK ||
	    store_org_policy_ensure_managed(c->tx, c->now_ms) != C_OK ||
	    store_org_attach_everywhere(c->tx, &o, ORG_FULL_ACCESS_ID) != C_OK || !(r = root_json(c, &o)))
		return C_ERR;
	json_object_set_new(c->out, "Root", r);
	return C_OK;
}

int orgs_disable_policy_type(struct call *c)
{
	struct store_org o;
	bool enabled = false;
	json_t *r;

	if (policy_type_call(c, &o) != C_OK ||
	    store_org_policy_type_enabled(c->tx, o.root_id, ORG_SCP, &enabled) != C_OK)
		return C_ERR;
	if (!enabled)
		return aws_err_set(&c->err, ERR_ORG_POLICY_TYPE_NOT_ENABLED, MSG_TYPE_NOT_ENABLED);
	if (store_org_policy_type_set(c->tx, o.root_id, ORG_SCP, false) != C_OK ||
	    store_org_detach_type(c->tx, &o, ORG_SCP) != C_OK || !(r = root_json(c, &o)))
		return C_ERR;
	json_object_set_new(c->out, "Root", r);
	return C_OK;
}

int orgs_list_aws_service_access(struct call *c)
{
	char after[64];
	struct store_org o;
	int limit;

	if (orgs_context(c, &o, true) != C_OK || orgs_page_read(c, "services", after, sizeof(after), &limit) != C_OK)
		return C_ERR;
	if (strcmp(o.feature_set, "ALL") != 0) {
		aws_err_set(&c->err, ERR_ORG_CONSTRAINT_VIOLATION,
		            "The request failed because the organization does not have all features enabled. Please "
		            "enable all features in your organization and then retry.");
		return aws_err_reason(&c->err, "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE");
	}
	/* No AWS service is integrated with rolegate's organizations: trusted access is never enabled. */
	json_object_set_new(c->out, "EnabledServicePrincipals", json_array());
	return C_OK;
}

int orgs_list_delegated_administrators(struct call *c)
{
	char after[64];
	struct store_org o;
	int limit;

	if (orgs_context(c, &o, true) != C_OK || orgs_page_read(c, "admins", after, sizeof(after), &limit) != C_OK)
		return C_ERR;
	/* Registering a delegated administrator needs trusted access of a service, which is never enabled. */
	json_object_set_new(c->out, "DelegatedAdministrators", json_array());
	return C_OK;
}

static const struct action actions[] = {
	/* organization.c */
	{"organizations", "CreateOrganization", true, orgs_resource_none, orgs_create_organization},
	{"organizations", "DescribeOrganization", false, orgs_resource_member, orgs_describe_organization},
	{"organizations", "DeleteOrganization", true, orgs_resource_management, orgs_delete_organization},
	{"organizations", "ListRoots", false, orgs_resource_management, orgs_list_roots},
	{"organizations", "EnablePolicyType", true, orgs_resource_root, orgs_enable_policy_type},
	{"organizations", "DisablePolicyType", true, orgs_resource_root, orgs_disable_policy_type},
	{"organizations", "ListAWSServiceAccessForOrganization", false, orgs_resource_management,
	 orgs_list_aws_service_access},
	{"organizations", "ListDelegatedAdministrators", false, orgs_resource_management,
	 orgs_list_delegated_administrators},
	/* accounts.c */
	{"organizations", "CreateAccount", true, orgs_resource_management, orgs_create_account},
	{"organizations", "DescribeCreateAccountStatus", false, orgs_resource_management,
	 orgs_describe_create_account_status},
	{"organizations", "ListCreateAccountStatus", false, orgs_resource_management, orgs_list_create_account_status},
	{"organizations", "DescribeAccount", false, orgs_resource_account, orgs_describe_account},
	{"organizations", "ListAccounts", false, orgs_resource_management, orgs_list_accounts},
	{"organizations", "ListAccountsForParent", false, orgs_resource_parent, orgs_list_accounts_for_parent},
	{"organizations", "MoveAccount", true, orgs_resource_account, orgs_move_account},
	{"organizations", "RemoveAccountFromOrganization", true, orgs_resource_account, orgs_remove_account},
	{"organizations", "CloseAccount", true, orgs_resource_account, orgs_close_account},
	/* ous.c */
	{"organizations", "CreateOrganizationalUnit", true, orgs_resource_parent, orgs_create_ou},
	{"organizations", "DescribeOrganizationalUnit", false, orgs_resource_ou, orgs_describe_ou},
	{"organizations", "UpdateOrganizationalUnit", true, orgs_resource_ou, orgs_update_ou},
	{"organizations", "DeleteOrganizationalUnit", true, orgs_resource_ou, orgs_delete_ou},
	{"organizations", "ListOrganizationalUnitsForParent", false, orgs_resource_parent, orgs_list_ous_for_parent},
	{"organizations", "ListParents", false, orgs_resource_child, orgs_list_parents},
	{"organizations", "ListChildren", false, orgs_resource_parent, orgs_list_children},
	/* policies.c */
	{"organizations", "CreatePolicy", true, orgs_resource_management, orgs_create_policy},
	{"organizations", "DescribePolicy", false, orgs_resource_policy, orgs_describe_policy},
	{"organizations", "UpdatePolicy", true, orgs_resource_policy, orgs_update_policy},
	{"organizations", "DeletePolicy", true, orgs_resource_policy, orgs_delete_policy},
	{"organizations", "AttachPolicy", true, orgs_resource_policy, orgs_attach_policy},
	{"organizations", "DetachPolicy", true, orgs_resource_policy, orgs_detach_policy},
	{"organizations", "ListPolicies", false, orgs_resource_management, orgs_list_policies},
	{"organizations", "ListPoliciesForTarget", false, orgs_resource_target, orgs_list_policies_for_target},
	{"organizations", "ListTargetsForPolicy", false, orgs_resource_policy, orgs_list_targets_for_policy},
	/* tags.c */
	{"organizations", "TagResource", true, orgs_resource_taggable, orgs_tag_resource},
	{"organizations", "UntagResource", true, orgs_resource_taggable, orgs_untag_resource},
	{"organizations", "ListTagsForResource", false, orgs_resource_taggable, orgs_list_tags_for_resource},
};

ACTION_TABLE(orgs_actions, actions);
