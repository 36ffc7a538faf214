/*
 * authz.c - the single authorization decision: every call goes through policy_evaluate() here.
 *
 * The account's root user is not governed by identity policies (AWS: only SCPs limit a member account's root, and
 * the management account is exempt from SCPs); everyone else needs a policy that allows, and no policy that
 * denies. AccessDenied messages are AWS's: "User: ARN is not authorized to perform: ACTION on resource: ARN
 * because no identity-based policy allows the ACTION action" / "... with an explicit deny in an identity-based
 * policy".
 */
#include "server/authz.h"

#include <stdio.h>
#include <string.h>

#include "aws/arn.h"
#include "policy/policy.h"
#include "server/context.h"
#include "util/common.h"

/* The account a resource ARN belongs to (the caller's for "*" and for ARNs without one). */
static void resource_account(const struct call *c, char out[ACCOUNT_ID_LEN + 1])
{
	struct arn a;

	if (arn_parse(c->resource, &a) == C_OK && strlen(a.account) == ACCOUNT_ID_LEN)
		snprintf(out, ACCOUNT_ID_LEN + 1, "%s", a.account);
	else
		snprintf(out, ACCOUNT_ID_LEN + 1, "%s", c->caller.account_id);
}

static const char *source_text(enum policy_source s)
{
	switch (s) {
	case SRC_IDENTITY: return "an identity-based policy";
	case SRC_RESOURCE: return "a resource-based policy";
	case SRC_BOUNDARY: return "a permissions boundary";
	case SRC_SESSION: return "a session policy";
	case SRC_SCP: return "a service control policy";
	default: return "a resource control policy";
	}
}

/*
 * The identity-based policies of the caller. No IAM action attaches a policy to a user yet, so an IAM user has
 * none and is refused everything, as AWS refuses a user without policies.
 */
static size_t caller_policies(struct call *c, struct policy **out, size_t cap)
{
	UNUSED(c);
	UNUSED(out);
	UNUSED(cap);
	return 0;
}

int authz_authorize(struct call *c)
{
	struct call_context ctx;
	struct policy_request req;
	struct policy_set set;
	struct policy_explain ex;
	struct policy *identity[64];
	char action[160], account[ACCOUNT_ID_LEN + 1];
	enum policy_decision d;
	size_t n;

	snprintf(action, sizeof(action), "%s:%s", c->svc->id, c->op->name);
	resource_account(c, account);
	if (c->caller.kind == PRINCIPAL_ROOT && strcmp(account, c->caller.account_id) == 0)
		return C_OK;
	if (context_build(c, &ctx) != C_OK)
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	memset(&req, 0, sizeof(req));
	req.action = action;
	req.resource = c->resource;
	req.resource_account = account;
	req.principal = c->caller.arn;
	req.principal_account = c->caller.account_id;
	req.ctx = ctx.entries;
	req.nctx = ctx.n;
	n = caller_policies(c, identity, ARRAY_LEN(identity));
	memset(&set, 0, sizeof(set));
	set.identity = identity;
	set.nidentity = n;
	d = policy_evaluate(&req, &set, &ex);
	for (size_t i = 0; i < n; i++)
		policy_release(identity[i]);
	if (d == POLICY_ALLOWED)
		return C_OK;
	if (d == POLICY_EXPLICIT_DENY)
		return aws_err_set(&c->err, ERR_ACCESS_DENIED,
		                   "User: %s is not authorized to perform: %s on resource: %s with an explicit deny in %s",
		                   c->caller.arn, action, c->resource,
		                   ex.n ? source_text(ex.items[0].source) : "an identity-based policy");
	return aws_err_set(&c->err, ERR_ACCESS_DENIED,
	                   "User: %s is not authorized to perform: %s on resource: %s because %s allows the %s action",
	                   c->caller.arn, action, c->resource, ex.reason ? ex.reason : "no identity-based policy", action);
}
