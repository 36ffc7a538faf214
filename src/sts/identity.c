/*
 * identity.c - GetCallerIdentity (always allowed, as on AWS) and GetAccessKeyInfo.
 */
#include <stdio.h>

#include "aws/ids.h"
#include "sts/sts.h"
#include "util/common.h"

int sts_resource_any(struct call *c, char *out, size_t cap)
{
	UNUSED(c);
	return snprintf(out, cap, "*") < (int)cap ? C_OK : C_ERR;
}

int sts_get_caller_identity(struct call *c)
{
	json_object_set_new(c->out, "UserId", json_string(c->caller.id));
	json_object_set_new(c->out, "Account", json_string(c->caller.account_id));
	json_object_set_new(c->out, "Arn", json_string(c->caller.arn));
	return C_OK;
}

int sts_get_access_key_info(struct call *c)
{
	const char *id = call_str(c, "AccessKeyId");
	struct store_access_key k;
	char account[13];
	int rc = store_key_get(c->tx, id, &k);

	if (rc == C_OK) {
		json_object_set_new(c->out, "Account", json_string(k.account_id));
		return C_OK;
	}
	if (rc != STORE_NOT_FOUND)
		return C_ERR;
	/* Not one of ours: like AWS, read the account out of the key id itself. */
	if (!id_access_key_account(id, account))
		return aws_err_set(&c->err, ERR_INVALID_PARAMETER_VALUE, "The access key ID %s is not valid.", id);
	json_object_set_new(c->out, "Account", json_string(account));
	return C_OK;
}

static const struct action actions[] = {
	{"sts", "GetCallerIdentity", false, sts_resource_any, sts_get_caller_identity},
	{"sts", "GetAccessKeyInfo", false, sts_resource_any, sts_get_access_key_info},
};

ACTION_TABLE(sts_identity_actions, actions);
