/*
 * authz.c - the single authorization decision: every call goes through policy_evaluate() here.
 *
 * The policies of a request, gathered as AWS gathers them:
 *   identity   the caller's: an IAM user's own and its groups' (inline and attached managed policies), a role
 *              session's role's, a federated user's: its IAM user's as they are now; an account's root holds an
 *              implicit allow-all (only SCPs limit a member account's root, and AWS exempts the management account
 *              from SCPs)
 *   boundary   the user's or role's permissions boundary
 *   session    the session policy sealed in the caller's token (AssumeRole, GetFederationToken with Policy /
 *              PolicyArns); a federated user's session without one allows nothing (policy_set.session_required)
 *   resource   the policy of the resource acted on: a role's trust policy for sts:AssumeRole (loaded by the action's
 *              resource function into c->resource_policy)
 *   scp        the service control policies of the caller's account, root first
 * and weighed by the one engine. AssumeRole also needs sts:TagSession when it passes session tags (or the caller
 * carries transitive ones) and sts:SetSourceIdentity when the session gets a source identity, as on AWS;
 * GetFederationToken needs sts:TagSession when it passes Tags.
 *
 * AccessDenied messages are AWS's: "User: ARN is not authorized to perform: ACTION on resource: ARN because no
 * identity-based policy allows the ACTION action" / "... with an explicit deny in a service control policy";
 * STS words its refusals without the reason. A denial's whole reasoning is built here too, once decided (explain.h:
 * c->explanation, kept in the call's audit record; with --encode-denials the message ends with EC2's "Encoded
 * authorization failure message: ..."), never for a dry run (dispatch_authorize_token).
 *
 * In soft mode (enforce.h) the engine's denial is recorded on the call instead of refusing it (decide_enforced);
 * the limits of GetSessionToken's and federated users' credentials (authz_credential_limits) are not a policy's
 * and stay strict.
 */
#include "server/authz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/arn.h"
#include "iam/effective.h"
#include "orgs/orgs.h"
#include "policy/policy.h"
#include "server/context.h"
#include "server/explain.h"
#include "server/enforce.h"
#include "server/tokens.h"
#include "store/login.h"
#include "util/common.h"
#include "util/log.h"

/* The root user's implicit permissions: everything in its own account (SCPs aside). */
static struct policy *root_policy;
static pthread_once_t root_once = PTHREAD_ONCE_INIT;

static void root_policy_compile(void)
{
	static const char doc[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
	                          "\"Resource\":\"*\"}]}";
	char err[POLICY_ERROR_MAX];

	if (policy_compile(doc, sizeof(doc) - 1, POLICY_IDENTITY, &root_policy, err) != C_OK)
		fatalx("the root user's implicit policy does not compile: %s", err);
}

/* What the account's password policy grants when it says AllowUsersToChangePassword: each user may change its own
 * password (AWS: "Allows all IAM users in your account to use the AWS Management Console to change their own
 * passwords"), as if this policy were attached to every user (an explicit deny, a boundary, an SCP still apply). */
static struct policy *own_password_policy;
static pthread_once_t own_password_once = PTHREAD_ONCE_INIT;

static void own_password_policy_compile(void)
{
	static const char doc[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
	                          "\"Action\":\"iam:ChangePassword\",\"Resource\":\"arn:aws:iam::*:user/${aws:username}\"}]}";
	char err[POLICY_ERROR_MAX];

	if (policy_compile(doc, sizeof(doc) - 1, POLICY_IDENTITY, &own_password_policy, err) != C_OK)
		fatalx("the password policy's implicit grant does not compile: %s", err);
}

/* Whether the caller's account password policy says AllowUsersToChangePassword. */
static bool users_may_change_password(struct call *c)
{
	char text[1024];
	json_t *j;
	bool yes;

	if (store_password_policy_get(c->tx, c->caller.account_id, text, sizeof(text)) != C_OK ||
	    !(j = json_loads(text, JSON_REJECT_DUPLICATES, NULL)))
		return false;
	yes = json_is_true(json_object_get(j, "AllowUsersToChangePassword"));
	json_decref(j);
	return yes;
}

/* Everything a decision weighs, loaded once per call. */
struct gathered {
	struct principal_policies own; /* the user's or role's policies and boundary */
	struct scp_layers scp;
	struct policy *root[1];
	bool have_own, have_scp;
	struct policy_set set;
};

/* The account a resource ARN belongs to (the caller's for "*" and for ARNs without one). */
static void resource_account(const struct call *c, char out[ACCOUNT_ID_LEN + 1])
{
	struct arn a;

	if (arn_parse(c->resource, &a) == C_OK && strlen(a.account) == ACCOUNT_ID_LEN)
		snprintf(out, ACCOUNT_ID_LEN + 1, "%s", a.account);
	else
		snprintf(out, ACCOUNT_ID_LEN + 1, "%s", c->caller.account_id);
}

/* Loads the caller's policies and its account's SCPs into g. C_OK, or C_ERR (a storage failure: deny). */
static int gather(struct call *c, struct gathered *g)
{
	int rc = C_OK;

	memset(g, 0, sizeof(*g));
	switch (c->caller.kind) {
	case PRINCIPAL_ROOT:
		pthread_once(&root_once, root_policy_compile);
		g->root[0] = root_policy;
		g->set.identity = g->root;
		g->set.nidentity = 1;
		break;
	case PRINCIPAL_USER:
		rc = principal_policies_load(c->tx, "user", c->caller.id, &g->own);
		break;
	case PRINCIPAL_ROLE_SESSION:
		/* A role deleted while its session lives has no policies any more: the session can do nothing. */
		rc = principal_policies_load(c->tx, "role", c->caller.role_id, &g->own);
		break;
	case PRINCIPAL_FEDERATED_USER:
		/* The current policies (and boundary) of the user that called GetFederationToken, or the root's implicit
		 * ones; the session policy limits them, and without one the session holds nothing. */
		g->set.session_required = true;
		if (c->caller.federator_id[0]) {
			rc = principal_policies_load(c->tx, "user", c->caller.federator_id, &g->own);
		} else {
			pthread_once(&root_once, root_policy_compile);
			g->root[0] = root_policy;
			g->set.identity = g->root;
			g->set.nidentity = 1;
		}
		break;
	case PRINCIPAL_IDENTITY_PROVIDER:
		/* The bearer of an identity provider's token or assertion has no identity policies and is in no account's
		 * organization: the role's trust policy alone decides (AssumeRoleWithWebIdentity, AssumeRoleWithSAML; the
		 * session it gets is limited as any role session). */
		g->set.resource = c->resource_policy;
		return C_OK;
	}
	if (rc == STORE_NOT_FOUND)
		rc = C_OK; /* a principal deleted since it authenticated holds nothing */
	if (rc != C_OK)
		return C_ERR;
	if (c->caller.kind != PRINCIPAL_ROOT &&
	    !(c->caller.kind == PRINCIPAL_FEDERATED_USER && !c->caller.federator_id[0])) {
		g->have_own = true;
		g->set.identity = g->own.identity;
		g->set.nidentity = g->own.nidentity;
		if (g->own.boundary) {
			g->set.boundaries = &g->own.boundary;
			g->set.nboundaries = 1;
		}
	}
	if (orgs_scp_layers(c->tx, c->caller.account_id, &g->scp) != C_OK)
		return C_ERR;
	g->have_scp = true;
	g->set.scp = g->scp.layers;
	g->set.nscp = g->scp.n;
	g->set.session = c->session_policy;
	g->set.resource = c->resource_policy;
	return C_OK;
}

static void gathered_release(struct gathered *g)
{
	if (g->have_own)
		principal_policies_release(&g->own);
	if (g->have_scp)
		orgs_scp_layers_release(&g->scp);
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

/* With --encode-denials, an AccessDenied message ends with EC2's "Encoded authorization failure message: MSG"
 * (the sealed decoded message of the call's explanation), when it fits the message. */
static void encode_denial(struct call *c)
{
	const char *msg = json_string_value(json_object_get(c->explanation, "encodedMessage"));
	size_t len = strlen(c->err.message);
	int n;

	if (!c->srv || !c->srv->cfg || !c->srv->cfg->encode_denials || !msg)
		return;
	/* AWS: "You are not authorized to perform this operation. Encoded authorization failure message: ..." */
	n = snprintf(c->err.message + len, sizeof(c->err.message) - len, "%s Encoded authorization failure message: %s",
	             len && c->err.message[len - 1] == '.' ? "" : ".", msg);
	if (n < 0 || (size_t)n >= sizeof(c->err.message) - len)
		c->err.message[len] = '\0'; /* it would be cut: then not at all */
}

/* decide() without the encoded message: the engine's decision and AWS's words for a denial. */
static int decide_words(struct call *c, const char *action, const struct gathered *g, const struct call_context *ctx)
{
	struct policy_request req;
	struct policy_explain ex;
	char account[ACCOUNT_ID_LEN + 1];
	enum policy_decision d;

	resource_account(c, account);
	memset(&req, 0, sizeof(req));
	req.action = action;
	req.resource = c->resource;
	req.resource_account = account;
	req.principal = c->caller.arn;
	/* an identity provider's ARN names an account, but its bearer is in none */
	req.principal_account = c->caller.kind == PRINCIPAL_IDENTITY_PROVIDER ? NULL : c->caller.account_id;
	if (c->caller.kind == PRINCIPAL_USER)
		req.principal_id = c->caller.id; /* a federated user has no unique id of its own: none names it */
	else if (c->caller.kind == PRINCIPAL_ROLE_SESSION)
		req.principal_id = c->caller.role_id;
	req.ctx = ctx->entries;
	req.nctx = ctx->n;
	d = policy_evaluate(&req, &g->set, &ex);
	if (d == POLICY_ALLOWED)
		return C_OK;
	/* Denied: the whole reasoning, built only now (a deny stays a deny if it cannot be). */
	json_decref(c->explanation);
	c->explanation = c->dry_run ? NULL : explain_denial(c, &req, &g->set, &ex, d);
	if (strncasecmp(action, "cloudtrail:", 11) == 0 && strcmp(c->resource, "*") == 0) {
		/* CloudTrail names no resource for its account-wide actions: "... is not authorized to perform:
		 * cloudtrail:LookupEvents with an explicit deny in a service control policy" */
		if (d == POLICY_EXPLICIT_DENY)
			return aws_err_set(&c->err, ERR_ACCESS_DENIED,
			                   "User: %s is not authorized to perform: %s with an explicit deny in %s", c->caller.arn,
			                   action, ex.n ? source_text(ex.items[0].source) : "an identity-based policy");
		return aws_err_set(&c->err, ERR_ACCESS_DENIED,
		                   "User: %s is not authorized to perform: %s because %s allows the %s action", c->caller.arn,
		                   action, ex.reason ? ex.reason : "no identity-based policy", action);
	}
	if (c->caller.kind == PRINCIPAL_IDENTITY_PROVIDER) /* STS's words for an unsigned caller */
		return aws_err_set(&c->err, ERR_ACCESS_DENIED, "Not authorized to perform %s", action);
	if (strncasecmp(action, "sts:", 4) == 0) /* STS gives no reason */
		return aws_err_set(&c->err, ERR_ACCESS_DENIED, "User: %s is not authorized to perform: %s on resource: %s",
		                   c->caller.arn, action, c->resource);
	if (d == POLICY_EXPLICIT_DENY)
		return aws_err_set(&c->err, ERR_ACCESS_DENIED,
		                   "User: %s is not authorized to perform: %s on resource: %s with an explicit deny in %s",
		                   c->caller.arn, action, c->resource,
		                   ex.n ? source_text(ex.items[0].source) : "an identity-based policy");
	return aws_err_set(&c->err, ERR_ACCESS_DENIED,
	                   "User: %s is not authorized to perform: %s on resource: %s because %s allows the %s action",
	                   c->caller.arn, action, c->resource, ex.reason ? ex.reason : "no identity-based policy", action);
}

/* Decides one action on c->resource. C_OK when allowed; otherwise AccessDenied in AWS's words, with the denial's
 * explanation kept on the call (c->explanation, explain.h). */
static int decide(struct call *c, const char *action, const struct gathered *g, const struct call_context *ctx)
{
	int rc = decide_words(c, action, g, ctx);

	if (rc != C_OK && c->err.code == ERR_ACCESS_DENIED)
		encode_denial(c);
	return rc;
}

/* decide(), and then the enforcement mode (enforce.h): in soft mode a denial is recorded on c and the call goes on.
 * Nothing but the engine's decision passes through here. */
static int decide_enforced(struct call *c, const char *action, const struct gathered *g,
                           const struct call_context *ctx)
{
	if (decide(c, action, g, ctx) == C_OK)
		return C_OK;
	return enforce_soften(c) ? C_OK : C_ERR;
}

/*
 * What credentials from GetSessionToken may do, as AWS documents: IAM only when MFA was part of the request for
 * them, and of STS only AssumeRole and GetCallerIdentity. A federated user's (GetFederationToken): no IAM action
 * (but in its console session), and of STS only GetCallerIdentity (always allowed).
 */
int authz_credential_limits(struct call *c)
{
	char action[160];

	snprintf(action, sizeof(action), "%s:%s", c->svc->id, c->op->name);
	if (policy_action_needs_no_permission(action)) /* sts:GetCallerIdentity: any credentials */
		return C_OK;
	if (c->caller.kind == PRINCIPAL_FEDERATED_USER) {
		/* AWS: "You cannot call any IAM operations using the AWS CLI or the AWS API. This limitation does not
		 * apply to console sessions." */
		if (strcmp(c->svc->id, "iam") == 0 && !c->caller.console)
			return aws_err_set(&c->err, ERR_INVALID_CLIENT_TOKEN_ID,
			                   "The security token included in the request is invalid.");
		if (strcmp(c->svc->id, "sts") == 0)
			return aws_err_set(&c->err, ERR_ACCESS_DENIED, "Cannot call %s with session credentials", c->op->name);
		return C_OK;
	}
	if (!c->caller.temporary || c->caller.kind == PRINCIPAL_ROLE_SESSION || c->caller.console)
		return C_OK; /* a console session is the user's (or root's) own sign-in, as on AWS's console */
	if (strcmp(c->svc->id, "iam") == 0 && !c->caller.mfa_s)
		return aws_err_set(&c->err, ERR_INVALID_CLIENT_TOKEN_ID,
		                   "The security token included in the request is invalid.");
	if (strcmp(c->svc->id, "sts") == 0 && strcmp(c->op->name, "AssumeRole") != 0)
		return aws_err_set(&c->err, ERR_ACCESS_DENIED, "Cannot call %s with session credentials", c->op->name);
	return C_OK;
}

/* Whether an AssumeRole passes session tags: its own, or transitive ones the calling session carries. */
static bool tags_session(struct call *c)
{
	size_t off = 0;
	const char *k, *v;
	bool transitive;

	if (json_array_size(json_object_get(c->in, "Tags")) || json_array_size(json_object_get(c->in, "TransitiveTagKeys")))
		return true;
	while (tags_next(c->caller.session_tags, c->caller.session_tags_len, &off, &k, &v, &transitive) == C_OK)
		if (transitive)
			return true;
	return false;
}

int authz_authorize(struct call *c)
{
	struct call_context ctx;
	struct gathered g;
	struct policy **with_grant = NULL;
	char action[160];
	int rc;

	snprintf(action, sizeof(action), "%s:%s", c->svc->id, c->op->name);
	if (policy_action_needs_no_permission(action))
		return C_OK;
	/* AWS: "No permissions are required for users to perform this operation ... You cannot use policies to control
	 * authentication operations." (GetSessionToken authenticates the user, with MFA.) */
	if (strcmp(action, "sts:GetSessionToken") == 0)
		return C_OK;
	if (authz_credential_limits(c) != C_OK)
		return C_ERR;
	memset(&g, 0, sizeof(g));
	context_init(&ctx);
	/* Fail closed: a context that did not fit whole, or policies that could not all be loaded, decide nothing. */
	if (context_build(c, &ctx) != C_OK || gather(c, &g) != C_OK) {
		gathered_release(&g);
		context_free(&ctx);
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	}
	if (strcmp(action, "iam:ChangePassword") == 0 && c->caller.kind == PRINCIPAL_USER && users_may_change_password(c)) {
		/* the password policy's grant, beside the user's own policies */
		if (!(with_grant = malloc((g.set.nidentity + 1) * sizeof(*with_grant)))) {
			gathered_release(&g);
			context_free(&ctx);
			return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
		}
		pthread_once(&own_password_once, own_password_policy_compile);
		for (size_t i = 0; i < g.set.nidentity; i++)
			with_grant[i] = g.set.identity[i];
		with_grant[g.set.nidentity] = own_password_policy;
		g.set.identity = with_grant;
		g.set.nidentity++;
	}
	rc = decide_enforced(c, action, &g, &ctx);
	free(with_grant);
	/* AssumeRoleWithWebIdentity's and AssumeRoleWithSAML's tags and source identity are the token's or assertion's,
	 * put in the input by their authenticate hook (src/sts/federated.h) */
	if (rc == C_OK && (strcmp(action, "sts:AssumeRole") == 0 || strcmp(action, "sts:AssumeRoleWithWebIdentity") == 0 ||
	                   strcmp(action, "sts:AssumeRoleWithSAML") == 0)) {
		if (tags_session(c))
			rc = decide_enforced(c, "sts:TagSession", &g, &ctx);
		if (rc == C_OK && (call_str(c, "SourceIdentity") || c->caller.source_identity[0]))
			rc = decide_enforced(c, "sts:SetSourceIdentity", &g, &ctx);
	}
	/* GetFederationToken with Tags: AWS, "An administrator must grant you the permissions necessary to pass session
	 * tags" (sts:TagSession). */
	if (rc == C_OK && strcmp(action, "sts:GetFederationToken") == 0 && json_array_size(json_object_get(c->in, "Tags")))
		rc = decide_enforced(c, "sts:TagSession", &g, &ctx);
	gathered_release(&g);
	context_free(&ctx);
	return rc;
}
