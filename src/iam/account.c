/*
 * account.c - the account itself: CreateAccountAlias, DeleteAccountAlias, ListAccountAliases, GetAccountSummary.
 *
 * An account has at most one alias, unique among every account rolegate serves; creating a new one replaces the
 * old, as on AWS. GetAccountSummary counts what the store holds and reports the quotas rolegate enforces (AWS's
 * default quotas).
 */
#include <stdio.h>
#include <string.h>

#include "iam/iam.h"
#include "store/login.h"
#include "util/common.h"

/* AWS's fixed IAM quotas (those rolegate enforces are the same numbers); the ones an operator may raise are in
 * iam/quotas.c and reported as they are in force. */
static const struct {
	const char *key;
	int value;
} quotas[] = {
	{"ServerCertificatesQuota", 20},
	{"AccessKeysPerUserQuota", 2},
	{"SigningCertificatesPerUserQuota", 2},
	{"GroupsPerUserQuota", 10},
	{"UserPolicySizeQuota", 2048},
	{"GroupPolicySizeQuota", 5120},
	{"RolePolicySizeQuota", 10240},
	{"PolicySizeQuota", 6144},
	{"AssumeRolePolicySizeQuota", 2048},
	{"VersionsPerPolicyQuota", 5},
	{"PolicyVersionsInUseQuota", 10000},
	{"GlobalEndpointTokenVersion", 1},
};

/* Account-level actions are not on a resource: "*". */
static int resource_account(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "*") < (int)cap ? C_OK : C_ERR;
}

static int create_account_alias(struct call *c)
{
	const char *alias = call_str(c, "AccountAlias");
	char have[ACCOUNT_ALIAS_MAX + 1];
	int rc = store_alias_get(c->tx, c->caller.account_id, have, sizeof(have));

	if (rc == C_OK && strcmp(have, alias) == 0)
		return C_OK; /* already this account's alias */
	if (rc != C_OK && rc != STORE_NOT_FOUND)
		return C_ERR;
	rc = store_alias_set(c->tx, c->caller.account_id, alias);
	if (rc == STORE_EXISTS)
		return aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS, "The account alias %s already exists.", alias);
	return rc == C_OK ? C_OK : C_ERR;
}

static int delete_account_alias(struct call *c)
{
	const char *alias = call_str(c, "AccountAlias");
	int rc = store_alias_delete(c->tx, c->caller.account_id, alias);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "The account alias %s cannot be found.", alias);
	return rc == C_OK ? C_OK : C_ERR;
}

static int list_account_aliases(struct call *c)
{
	char alias[ACCOUNT_ALIAS_MAX + 1], pos[16];
	json_t *list = json_array();
	int rc;

	json_object_set_new(c->out, "AccountAliases", list);
	if (!list || iam_marker_read(c, pos, sizeof(pos)) != C_OK)
		return C_ERR;
	rc = store_alias_get(c->tx, c->caller.account_id, alias, sizeof(alias));
	if (rc == C_OK) {
		/* One alias at most: a marker (from an earlier page) means it was on that page. */
		if (!pos[0] && json_array_append_new(list, json_string(alias)) != 0)
			return C_ERR;
	} else if (rc != STORE_NOT_FOUND) {
		return C_ERR;
	}
	return iam_marker_write(c, false, "");
}

static int get_account_summary(struct call *c)
{
	struct store_account_counts n;
	json_t *map = json_object();

	if (!map)
		return C_ERR;
	json_object_set_new(c->out, "SummaryMap", map);
	memset(&n, 0, sizeof(n));
	if (store_account_counts(c->tx, c->caller.account_id, &n) != C_OK)
		return C_ERR;
	for (size_t i = 0; i < ARRAY_LEN(quotas); i++)
		json_object_set_new(map, quotas[i].key, json_integer(quotas[i].value));
	for (int q = 0; q < IAM_QUOTA_COUNT; q++)
		json_object_set_new(map, iam_quota_summary_key((enum iam_quota)q),
		                    json_integer(iam_quota(c, (enum iam_quota)q)));
	json_object_set_new(map, "Users", json_integer(n.users));
	json_object_set_new(map, "Groups", json_integer(n.groups));
	json_object_set_new(map, "Roles", json_integer(n.roles));
	json_object_set_new(map, "Policies", json_integer(n.policies));
	json_object_set_new(map, "PolicyVersionsInUse", json_integer(n.policy_versions));
	json_object_set_new(map, "InstanceProfiles", json_integer(n.instance_profiles));
	json_object_set_new(map, "MFADevices", json_integer(n.mfa_devices));
	json_object_set_new(map, "MFADevicesInUse", json_integer(n.mfa_devices_in_use));
	json_object_set_new(map, "AccountMFAEnabled", json_integer(n.root_mfa_devices > 0));
	json_object_set_new(map, "AccountAccessKeysPresent", json_integer(n.root_access_keys > 0));
	/* The root of a rolegate account signs in with access keys only: it has no password. */
	json_object_set_new(map, "AccountPasswordPresent", json_integer(0));
	/* rolegate serves no server certificates, signing certificates or identity providers. */
	json_object_set_new(map, "ServerCertificates", json_integer(0));
	json_object_set_new(map, "AccountSigningCertificatesPresent", json_integer(0));
	json_object_set_new(map, "Providers", json_integer(0));
	return C_OK;
}

static const struct action actions[] = {
	{"iam", "CreateAccountAlias", true, resource_account, create_account_alias},
	{"iam", "DeleteAccountAlias", true, resource_account, delete_account_alias},
	{"iam", "ListAccountAliases", false, resource_account, list_account_aliases},
	{"iam", "GetAccountSummary", false, resource_account, get_account_summary},
};

ACTION_TABLE(iam_account_actions, actions);
