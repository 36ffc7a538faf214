/*
 * actions.c - the table of every action rolegate serves: whether it writes, what it acts on, who runs it.
 *
 * Adding an action: add "service Operation" to tools/operations.txt, run tools/gen-models.py, write the handler in
 * src/<service>/, and add its line here.
 */
#include <stddef.h>
#include <string.h>

#include "iam/iam.h"
#include "server/call.h"
#include "sts/sts.h"
#include "util/common.h"

static const struct action actions[] = {
	/* IAM users */
	{"iam", "CreateUser", true, iam_resource_new_user, iam_create_user},
	{"iam", "GetUser", false, iam_resource_user, iam_get_user},
	{"iam", "ListUsers", false, iam_resource_users, iam_list_users},
	{"iam", "UpdateUser", true, iam_resource_user, iam_update_user},
	{"iam", "DeleteUser", true, iam_resource_user, iam_delete_user},
	{"iam", "TagUser", true, iam_resource_user, iam_tag_user},
	{"iam", "UntagUser", true, iam_resource_user, iam_untag_user},
	{"iam", "ListUserTags", false, iam_resource_user, iam_list_user_tags},
	/* IAM access keys */
	{"iam", "CreateAccessKey", true, iam_resource_user, iam_create_access_key},
	{"iam", "ListAccessKeys", false, iam_resource_user, iam_list_access_keys},
	{"iam", "UpdateAccessKey", true, iam_resource_user, iam_update_access_key},
	{"iam", "DeleteAccessKey", true, iam_resource_user, iam_delete_access_key},
	{"iam", "GetAccessKeyLastUsed", false, iam_resource_key_owner, iam_get_access_key_last_used},
	/* STS */
	{"sts", "GetCallerIdentity", false, sts_resource_any, sts_get_caller_identity},
	{"sts", "GetAccessKeyInfo", false, sts_resource_any, sts_get_access_key_info},
};

const struct action *action_find(const char *service, const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(actions); i++)
		if (strcmp(actions[i].service, service) == 0 && strcmp(actions[i].name, name) == 0)
			return &actions[i];
	return NULL;
}

void call_init(struct call *c)
{
	memset(c, 0, offsetof(struct call, err));
	c->err.code = ERR_NONE;
	c->err.message[0] = '\0';
	c->resource[0] = '\0';
	/* The caller is unknown until authentication fills it in whole. */
	memset(&c->caller, 0, offsetof(struct principal, arn));
	c->caller.arn[0] = '\0';
	c->caller.id[0] = '\0';
	c->caller.name[0] = '\0';
	c->caller.path[0] = '\0';
	c->caller.access_key_id[0] = '\0';
	c->caller.created_ms = 0;
	c->caller.tags_len = 0;
	c->caller.tags_complete = false;
}

const char *call_str(struct call *c, const char *name)
{
	return json_string_value(json_object_get(c->in, name));
}

int64_t call_int(struct call *c, const char *name, int64_t def)
{
	json_t *v = json_object_get(c->in, name);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}
