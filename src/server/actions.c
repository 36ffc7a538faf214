/*
 * actions.c - the table of every action rolegate serves: whether it writes, what it acts on, who runs it.
 *
 * Adding an action: add "service Operation" to tools/operations.txt, run tools/gen-models.py, write the handler in
 * src/<service>/<family>.c and add its line to that file's table (a new family: its table goes in the list below
 * and its extern in iam/iam.h, sts/sts.h or orgs/orgs.h).
 */
#include <stddef.h>
#include <string.h>

#include "cloudtrail/lookup.h"
#include "iam/iam.h"
#include "orgs/orgs.h"
#include "server/call.h"
#include "sts/sts.h"
#include "sts/webidentity.h"
#include "util/common.h"

/* Every family's table (each defined beside its handlers). */
static const struct action_table *const tables[] = {
	&iam_user_actions,
	&iam_access_key_actions,
	&iam_group_actions,
	&iam_role_actions,
	&iam_policy_actions,
	&iam_instance_profile_actions,
	&iam_authz_details_actions,
	&iam_mfa_actions,
	&iam_login_actions,
	&iam_account_actions,
	&iam_simulate_actions,
	&iam_oidc_provider_actions,
	&iam_saml_provider_actions,
	&sts_identity_actions,
	&sts_session_actions,
	&sts_authzmsg_actions,
	&sts_federation_actions,
	&sts_web_identity_actions,
	&sts_saml_actions,
	&orgs_actions,
	&cloudtrail_actions,
};

const struct action *action_find(const char *service, const char *name)
{
	for (size_t t = 0; t < ARRAY_LEN(tables); t++)
		for (size_t i = 0; i < tables[t]->n; i++) {
			const struct action *a = &tables[t]->actions[i];
			if (strcmp(a->service, service) == 0 && strcmp(a->name, name) == 0)
				return a;
		}
	return NULL;
}

const struct action *action_nth(size_t i)
{
	for (size_t t = 0; t < ARRAY_LEN(tables); t++) {
		if (i < tables[t]->n)
			return &tables[t]->actions[i];
		i -= tables[t]->n;
	}
	return NULL;
}

size_t action_index(const struct action *a)
{
	size_t base = 0;

	for (size_t t = 0; t < ARRAY_LEN(tables); t++) {
		if (a >= tables[t]->actions && a < tables[t]->actions + tables[t]->n)
			return base + (size_t)(a - tables[t]->actions);
		base += tables[t]->n;
	}
	return (size_t)-1;
}

void call_init(struct call *c)
{
	memset(c, 0, offsetof(struct call, err));
	c->err.code = ERR_NONE;
	c->err.message[0] = '\0';
	c->err.reason[0] = '\0';
	c->resource[0] = '\0';
	c->soft_message[0] = '\0';
	/* The caller is unknown until authentication fills it in whole. */
	memset(&c->caller, 0, offsetof(struct principal, arn));
	c->caller.arn[0] = '\0';
	c->caller.id[0] = '\0';
	c->caller.name[0] = '\0';
	c->caller.path[0] = '\0';
	c->caller.access_key_id[0] = '\0';
	c->caller.created_ms = 0;
	c->caller.temporary = false;
	c->caller.mfa_s = c->caller.token_issued_s = c->caller.token_expires_s = 0;
	c->caller.source_identity[0] = '\0';
	c->caller.chained = false;
	c->caller.role_id[0] = '\0';
	c->caller.role_arn[0] = '\0';
	c->caller.session_name[0] = '\0';
	c->caller.session_tags_len = 0;
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
