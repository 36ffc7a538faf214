/*
 * evaluate.c - AWS's policy evaluation logic
 * (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
 * reference_policies_evaluation-logic-cross-account.html).
 *
 *   1. Each kind of policy is analysed on its own: which statements apply (action, resource, principal,
 *      conditions) and whether the kind allows, explicitly denies, or says nothing.
 *   2. The core grant: same account - an identity policy or the resource policy allows (a role trust policy must
 *      name the principal or its account, even in the same account); cross account - both must allow; a session
 *      policy must also allow (a federated user's session without one, session_required, is allowed nothing but
 *      what a same-account resource policy grants its own ARN).
 *   3. The guardrails: every SCP and RCP layer must allow; a permissions boundary must allow (a same-account
 *      resource policy naming the user or session itself is not limited by it); an explicit deny anywhere wins.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/internal.h"
#include "util/common.h"

enum analysis {
	A_NOT_APPLICABLE, /* no such policy */
	A_IMPLICIT,
	A_ALLOWED,
	A_ALLOWED_FOR_ACCOUNT, /* resource policy: allowed the principal's account, not the principal */
	A_DENIED_FOR_ACCOUNT,
	A_EXPLICIT,
};

/* The deciding statements a verdict keeps (the explanation of the decision, not the decision). */
#define VERDICT_ITEMS 4

/* What one analysed policy list says, with the statements that decided it. */
struct verdict {
	enum analysis result;
	bool direct_allow; /* resource policy: an allow naming the principal itself (or a session of its role) */
	bool exact_allow;  /* resource policy: an allow whose Principal is the caller's own ARN (not via its role) */
	bool star_allow;   /* resource policy: an allow with Principal "*" */
	bool named_allow;  /* resource policy: an allow naming the caller's own ARN (not "*", not its role) */
	bool account_allow; /* resource policy: an allow naming the principal's account */
	struct policy_explain_item deny[VERDICT_ITEMS], allow[VERDICT_ITEMS];
	size_t ndeny, nallow;
	bool more_deny, more_allow; /* a deciding statement did not fit (the explanation only: the result is whole) */
};

static void note(struct verdict *v, bool deny, enum policy_source src, int pol, int st, const struct pstmt *s)
{
	struct policy_explain_item *arr = deny ? v->deny : v->allow;
	size_t *n = deny ? &v->ndeny : &v->nallow;

	if (*n >= VERDICT_ITEMS) {
		*(deny ? &v->more_deny : &v->more_allow) = true;
		return;
	}
	arr[*n].source = src;
	arr[*n].policy = pol;
	arr[*n].statement = st;
	arr[*n].allow = s->allow;
	snprintf(arr[*n].sid, sizeof(arr[*n].sid), "%s", s->sid ? s->sid : "");
	(*n)++;
}

bool actions_match(const struct pstmt *st, const char *action)
{
	bool any = false;

	for (size_t i = 0; i < st->nactions && !any; i++)
		any = action_matches(&st->actions[i], action);
	return st->not_action ? !any : any;
}

bool resources_match(const struct eval_ctx *ctx, const struct pstmt *st, const char *resource)
{
	bool any = false, unknown = false;

	if (st->res_mode == 0)
		return true;
	for (size_t i = 0; i < st->nresources && !any; i++) {
		enum rmatch m = resource_matches(ctx, &st->resources[i], resource);
		any = m == RM_MATCH;
		unknown |= m == RM_UNKNOWN;
	}
	if (st->res_mode == 2)
		return !any && !unknown;
	return any;
}

bool statement_applies(const struct eval_ctx *ctx, const struct pstmt *st)
{
	bool a = sets_action_on(ctx) ? sets_actions_match(ctx, st) : actions_match(st, ctx->req->action);
	bool r = a && (sets_resource_on(ctx) ? sets_resources_match(ctx, st) : resources_match(ctx, st, ctx->req->resource));

	return a && r && conditions_match(ctx, st);
}

/* Identity-like policies (identity, boundary, session, one SCP/RCP layer): deny > allow > nothing. */
static void analyze_list(const struct policy_request *req, struct set_query *q, struct policy *const *list,
                         size_t n, enum policy_source src, int base, struct verdict *v)
{
	for (size_t p = 0; p < n; p++) {
		const struct policy *pol = list[p];
		struct eval_ctx ctx = {.req = req, .vars = pol->version_2012, .q = q};
		for (size_t s = 0; s < pol->nstmts; s++) {
			const struct pstmt *st = &pol->stmts[s];
			if (!statement_applies(&ctx, st))
				continue;
			note(v, !st->allow, src, base + (int)p, (int)s, st);
			if (!st->allow)
				v->result = A_EXPLICIT;
			else if (v->result != A_EXPLICIT)
				v->result = A_ALLOWED;
		}
	}
}

static void analyze(const struct policy_request *req, struct set_query *q, struct policy *const *list, size_t n,
                    enum policy_source src, struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->result = A_IMPLICIT;
	analyze_list(req, q, list, n, src, 0, v);
}

/* SCPs or RCPs: every layer must allow; a deny in any layer is explicit. */
static void analyze_layers(const struct policy_request *req, struct set_query *q, const struct policy_layer *layers,
                           size_t n, enum policy_source src, bool implicit_full_access, struct verdict *v)
{
	bool all_allow = true;

	memset(v, 0, sizeof(*v));
	v->result = A_NOT_APPLICABLE;
	if (n == 0)
		return;
	for (size_t l = 0; l < n; l++) {
		struct verdict lv;
		memset(&lv, 0, sizeof(lv));
		lv.result = implicit_full_access ? A_ALLOWED : A_IMPLICIT;
		analyze_list(req, q, layers[l].policies, layers[l].n, src, (int)l * 1000, &lv);
		for (size_t i = 0; i < lv.ndeny; i++)
			note(v, true, lv.deny[i].source, lv.deny[i].policy, lv.deny[i].statement,
			     &(struct pstmt){.allow = false, .sid = lv.deny[i].sid});
		if (lv.more_deny)
			v->more_deny = true;
		if (lv.result == A_EXPLICIT)
			v->result = A_EXPLICIT;
		if (lv.result != A_ALLOWED)
			all_allow = false;
	}
	if (v->result != A_EXPLICIT)
		v->result = all_allow ? A_ALLOWED : A_IMPLICIT;
}

enum pmatch statement_principal(const struct pstmt *st, const struct policy_request *req, bool has_boundary,
                                bool *star)
{
	enum pmatch best = PM_NO;

	*star = false;
	if (st->prin_mode == 0)
		return PM_NO;
	if (st->prin_mode == 2) {
		/* NotPrincipal: applies when the caller is none of them (its account counts as it). AWS: a Deny with
		 * NotPrincipal always applies to a principal with a permissions boundary. */
		if (!st->allow && has_boundary)
			return PM_MATCH;
		for (size_t i = 0; i < st->nprincipals; i++)
			if (principal_matches(&st->principals[i], req) != PM_NO)
				return PM_NO;
		return PM_MATCH;
	}
	for (size_t i = 0; i < st->nprincipals; i++) {
		enum pmatch m = principal_matches(&st->principals[i], req);
		if (m == PM_MATCH) {
			*star = st->principals[i].kind == PP_STAR;
			return PM_MATCH;
		}
		/* Precedence: the caller itself > a session of its user > a session of its role > its account. */
		if (m == PM_SESSION_USER || (m == PM_SESSION_ROLE && best != PM_SESSION_USER) ||
		    (m == PM_ACCOUNT && best == PM_NO))
			best = m;
	}
	return best;
}

static void analyze_resource_policy(const struct policy_request *req, struct set_query *q, const struct policy *pol,
                                    bool has_boundary, struct verdict *v)
{
	struct eval_ctx ctx = {.req = req, .vars = pol ? pol->version_2012 : false, .q = q};
	bool deny_direct = false, deny_account = false, allow_direct = false, allow_account = false;

	memset(v, 0, sizeof(*v));
	v->result = A_NOT_APPLICABLE;
	if (!pol)
		return;
	for (size_t s = 0; s < pol->nstmts; s++) {
		const struct pstmt *st = &pol->stmts[s];
		bool star;
		enum pmatch pm = statement_principal(st, req, has_boundary, &star);
		if (pm == PM_NO || !statement_applies(&ctx, st))
			continue;
		if (st->allow) {
			note(v, false, SRC_RESOURCE, 0, (int)s, st);
			if (pm == PM_ACCOUNT) {
				allow_account = true;
			} else {
				allow_direct = true;
				if (pm == PM_MATCH)
					v->exact_allow = true;
				if (star)
					v->star_allow = true;
				else if (pm == PM_MATCH)
					v->named_allow = true;
			}
		} else {
			note(v, true, SRC_RESOURCE, 0, (int)s, st);
			if (pm == PM_ACCOUNT)
				deny_account = true;
			else
				deny_direct = true;
		}
	}
	v->direct_allow = allow_direct;
	v->account_allow = allow_account;
	if (deny_direct)
		v->result = A_EXPLICIT;
	else if (deny_account)
		v->result = A_DENIED_FOR_ACCOUNT;
	else if (allow_direct)
		v->result = A_ALLOWED;
	else if (allow_account)
		v->result = A_ALLOWED_FOR_ACCOUNT;
	else
		v->result = A_IMPLICIT;
}

/* ---- who is the caller ------------------------------------------------------------------------------------- */

static bool arn_has(const char *arn, const char *service, const char *type)
{
	char prefix[32];
	const char *p = arn;
	int colons = 0;

	if (strncmp(arn, "arn:", 4) != 0)
		return false;
	snprintf(prefix, sizeof(prefix), ":%s:", service);
	if (!strstr(arn, prefix))
		return false;
	while (*p && colons < 5)
		if (*p++ == ':')
			colons++;
	return colons == 5 && strncmp(p, type, strlen(type)) == 0;
}

static bool is_service_principal(const struct policy_request *req)
{
	return strncmp(req->principal, "arn:", 4) != 0;
}

static bool is_role_session(const char *p) { return arn_has(p, "sts", "assumed-role/"); }
static bool is_role(const char *p) { return arn_has(p, "iam", "role/"); }
static bool is_user(const char *p) { return arn_has(p, "iam", "user/"); }
static bool is_federated_user(const char *p) { return arn_has(p, "sts", "federated-user/"); }
/* An identity provider (AssumeRoleWithWebIdentity's caller): {"Federated": ARN}, in no account of its own. */
static bool is_identity_provider(const char *p)
{
	return arn_has(p, "iam", "oidc-provider/") || arn_has(p, "iam", "saml-provider/");
}

/* ---- the decision ------------------------------------------------------------------------------------------ */

/* Services whose resource policies must name the principal's account even for a same-account caller when the
 * resource has a policy: STS (role trust policies) and KMS (key policies). */
enum trust { TRUST_IMPLICIT, TRUST_EXPLICIT, TRUST_NONE };

static bool action_service_is(const char *action, const char *service)
{
	size_t n = strlen(service);
	return strncasecmp(action, service, n) == 0 && action[n] == ':';
}

/* The resource type part of an ARN ("key/..." in arn:aws:kms:REGION:ACCT:key/ID). */
static const char *arn_resource_part(const char *arn)
{
	int colons = 0;

	while (*arn && colons < 5)
		if (*arn++ == ':')
			colons++;
	return arn;
}

static enum trust account_trust(const struct policy_request *req, const struct verdict *res)
{
	if (action_service_is(req->action, "sts")) {
		if (res->result == A_NOT_APPLICABLE)
			return TRUST_IMPLICIT;
	} else if (action_service_is(req->action, "kms")) {
		if (strcmp(req->resource, "*") == 0 || strncasecmp(arn_resource_part(req->resource), "key/", 4) != 0)
			return TRUST_IMPLICIT;
	} else {
		return TRUST_IMPLICIT;
	}
	return res->account_allow ? TRUST_EXPLICIT : TRUST_NONE;
}

bool policy_action_needs_no_permission(const char *action)
{
	return strcasecmp(action, "sts:GetCallerIdentity") == 0;
}

static enum policy_decision worst(enum policy_decision a, enum policy_decision b)
{
	if (a == POLICY_EXPLICIT_DENY || b == POLICY_EXPLICIT_DENY)
		return POLICY_EXPLICIT_DENY;
	if (a == POLICY_IMPLICIT_DENY || b == POLICY_IMPLICIT_DENY)
		return POLICY_IMPLICIT_DENY;
	return POLICY_ALLOWED;
}

static enum policy_decision as_decision(enum analysis a)
{
	switch (a) {
	case A_EXPLICIT:
	case A_DENIED_FOR_ACCOUNT:
		return POLICY_EXPLICIT_DENY;
	case A_IMPLICIT:
		return POLICY_IMPLICIT_DENY;
	default:
		return POLICY_ALLOWED;
	}
}

static void explain_add(struct policy_explain *ex, const struct verdict *v, bool deny)
{
	const struct policy_explain_item *items = deny ? v->deny : v->allow;
	size_t n = deny ? v->ndeny : v->nallow;

	if (deny ? v->more_deny : v->more_allow)
		ex->incomplete = true;
	for (size_t i = 0; i < n; i++) {
		if (ex->n == POLICY_EXPLAIN_MAX) {
			ex->incomplete = true;
			return;
		}
		ex->items[ex->n++] = items[i];
	}
}

/* AWS-managed policies (account "aws") cannot be changed, and roles under /aws-reserved/ cannot be changed either:
 * no policy can allow it. */
static bool protected_resource(const struct policy_request *req)
{
	static const char *const policy_actions[] = {"createpolicy", "createpolicyversion", "deletepolicy",
	                                             "deletepolicyversion", "setdefaultpolicyversion", "tagpolicy",
	                                             "untagpolicy"};
	static const char *const role_actions[] = {"attachrolepolicy", "createrole", "createservicelinkedrole",
	                                           "deleterole", "deleterolepermissionsboundary", "deleterolepolicy",
	                                           "deleteservicelinkedrole", "detachrolepolicy", "passrole",
	                                           "putrolepermissionsboundary", "putrolepolicy", "tagrole",
	                                           "untagrole", "updateassumerolepolicy", "updaterole",
	                                           "updateroledescription"};
	const char *a = req->action + 4, *r = req->resource;

	if (!action_service_is(req->action, "iam"))
		return false;
	for (size_t i = 0; i < ARRAY_LEN(policy_actions); i++)
		if (strcasecmp(a, policy_actions[i]) == 0 && strncmp(r, "arn:aws:iam::aws:policy/", 24) == 0)
			return true;
	for (size_t i = 0; i < ARRAY_LEN(role_actions); i++) {
		if (strcasecmp(a, role_actions[i]) == 0) {
			const char *p = r;
			int colons = 0;
			while (*p && colons < 5)
				if (*p++ == ':')
					colons++;
			if (colons == 5 && strncasecmp(p, "role/aws-reserved/", 18) == 0)
				return true;
		}
	}
	return false;
}

enum policy_decision policy_evaluate(const struct policy_request *req, const struct policy_set *set,
                                     struct policy_explain *ex)
{
	struct policy_explain dummy;

	if (!ex)
		ex = &dummy;
	if ((req->flags & POLICY_REQ_SETS) && (strchr(req->action, '*') || (strchr(req->resource, '*') && strcmp(req->resource, "*") != 0)) &&
	    !policy_action_needs_no_permission(req->action)) {
		memset(ex, 0, sizeof(*ex));
		return sets_evaluate(req, set, ex);
	}
	return policy_decide(req, set, ex, NULL);
}

/* An unsigned request: only the resource policy can allow it (Principal "*"), under the RCPs. */
static enum policy_decision decide_anonymous(const struct policy_request *req, const struct policy_set *set,
                                             struct policy_explain *ex, struct set_query *q)
{
	struct verdict res, rcp;
	enum policy_decision result;

	analyze_resource_policy(req, q, set->resource, false, &res);
	analyze_layers(req, q, set->rcp, set->nrcp, SRC_RCP, true, &rcp);
	result = res.result == A_ALLOWED ? POLICY_ALLOWED : POLICY_IMPLICIT_DENY;
	ex->reason = "no resource-based policy";
	if (rcp.result != A_NOT_APPLICABLE && rcp.result != A_ALLOWED) {
		if (result == POLICY_ALLOWED)
			ex->reason = "no resource control policy";
		result = worst(result, as_decision(rcp.result));
	}
	if (res.result == A_EXPLICIT || res.result == A_DENIED_FOR_ACCOUNT)
		result = POLICY_EXPLICIT_DENY;
	if (result == POLICY_EXPLICIT_DENY) {
		explain_add(ex, &res, true);
		explain_add(ex, &rcp, true);
		ex->reason = "with an explicit deny";
	} else if (result == POLICY_ALLOWED) {
		explain_add(ex, &res, false);
		ex->reason = "allowed";
	}
	return result;
}

enum policy_decision policy_decide(const struct policy_request *req, const struct policy_set *set,
                                   struct policy_explain *ex, struct set_query *q)
{
	struct verdict id, res, pb, sess, scp, rcp;
	bool same_account, has_boundary = set->nboundaries > 0, has_session = set->session || set->session_required;
	enum policy_decision core, result;
	const char *why = NULL;

	memset(ex, 0, sizeof(*ex));

	if (policy_action_needs_no_permission(req->action)) {
		ex->reason = "sts:GetCallerIdentity is always allowed";
		return POLICY_ALLOWED;
	}
	if (req->flags & POLICY_REQ_ANONYMOUS)
		return decide_anonymous(req, set, ex, q);

	analyze(req, q, set->identity, set->nidentity, SRC_IDENTITY, &id);
	analyze_resource_policy(req, q, set->resource, has_boundary, &res);
	if (has_boundary)
		analyze(req, q, set->boundaries, set->nboundaries, SRC_BOUNDARY, &pb);
	if (set->session) {
		analyze(req, q, (struct policy *const[]){set->session}, 1, SRC_SESSION, &sess);
	} else if (set->session_required) {
		memset(&sess, 0, sizeof(sess)); /* no session policy where one is needed: it allows nothing */
		sess.result = A_IMPLICIT;
	}
	analyze_layers(req, q, set->scp, set->nscp, SRC_SCP, false, &scp);
	/* Every RCP layer carries AWS's RCPFullAWSAccess. */
	analyze_layers(req, q, set->rcp, set->nrcp, SRC_RCP, true, &rcp);

	same_account = req->principal_account && req->resource_account &&
	               strcmp(req->principal_account, req->resource_account) == 0;

	/* ---- the core grant ---- */
	if (has_session && sess.result != A_ALLOWED &&
	    !(sess.result == A_IMPLICIT && same_account &&
	      (is_role_session(req->principal) || is_federated_user(req->principal)) && res.result == A_ALLOWED &&
	      res.named_allow)) {
		/* A session policy limits the session, except for what a same-account resource policy grants to the
		 * session's own ARN: that is added after the session was made (AWS, "Session policies"). */
		core = as_decision(sess.result);
		why = "no session policy";
	} else if (has_session && sess.result != A_ALLOWED) {
		core = POLICY_ALLOWED;
		why = "no session policy";
	} else if (is_service_principal(req) || is_identity_provider(req->principal)) {
		core = res.result == A_ALLOWED ? POLICY_ALLOWED : POLICY_IMPLICIT_DENY;
		why = "no resource-based policy";
	} else if (same_account) {
		enum trust t = account_trust(req, &res);
		bool res_ok = res.result == A_ALLOWED, id_ok = id.result == A_ALLOWED;
		if (t == TRUST_NONE)
			id_ok = false;
		core = res_ok || id_ok ? POLICY_ALLOWED : POLICY_IMPLICIT_DENY;
		why = t == TRUST_IMPLICIT ? "no identity-based policy"
		                          : "no resource-based policy";
	} else {
		bool res_ok = res.result == A_ALLOWED || res.result == A_ALLOWED_FOR_ACCOUNT;
		core = res_ok && id.result == A_ALLOWED ? POLICY_ALLOWED : POLICY_IMPLICIT_DENY;
		why = id.result != A_ALLOWED ? "no identity-based policy"
		                             : "no resource-based policy";
	}

	/* ---- the guardrails ---- */
	result = core;
	if (scp.result != A_NOT_APPLICABLE && scp.result != A_ALLOWED) {
		if (result == POLICY_ALLOWED)
			why = "no service control policy";
		result = worst(result, as_decision(scp.result));
	}
	if (rcp.result != A_NOT_APPLICABLE && rcp.result != A_ALLOWED) {
		if (result == POLICY_ALLOWED)
			why = "no resource control policy";
		result = worst(result, as_decision(rcp.result));
	}
	if (res.result == A_EXPLICIT || res.result == A_DENIED_FOR_ACCOUNT)
		result = POLICY_EXPLICIT_DENY;
	if (id.result == A_EXPLICIT)
		result = POLICY_EXPLICIT_DENY;
	if (has_boundary) {
		if (pb.result == A_EXPLICIT) {
			result = POLICY_EXPLICIT_DENY;
		} else if (pb.result == A_IMPLICIT) {
			/* A same-account resource policy that names the user or session itself is not limited by the
			 * boundary; one that names only the role (or the account) is. */
			bool bypass = false;
			if (same_account && res.result == A_ALLOWED) {
				if (is_role_session(req->principal) || is_user(req->principal) ||
				    is_federated_user(req->principal))
					bypass = res.exact_allow;
				else if (is_role(req->principal))
					bypass = res.exact_allow && res.star_allow;
			}
			if (!bypass) {
				if (result == POLICY_ALLOWED)
					why = "no permissions boundary";
				result = worst(result, POLICY_IMPLICIT_DENY);
			}
		}
	}
	if (protected_resource(req) && result == POLICY_ALLOWED) {
		result = POLICY_IMPLICIT_DENY;
		why = "no policy"; /* the resource is managed by AWS: nothing can allow the change */
	}

	/* ---- explanation ---- */
	if (result == POLICY_EXPLICIT_DENY) {
		explain_add(ex, &id, true);
		explain_add(ex, &res, true);
		if (has_boundary)
			explain_add(ex, &pb, true);
		if (has_session)
			explain_add(ex, &sess, true);
		explain_add(ex, &scp, true);
		explain_add(ex, &rcp, true);
		ex->reason = "with an explicit deny";
	} else if (result == POLICY_ALLOWED) {
		explain_add(ex, &id, false);
		explain_add(ex, &res, false);
		ex->reason = "allowed";
	} else {
		ex->reason = why ? why : "no policy";
	}
	return result;
}

const char *policy_decision_name(enum policy_decision d)
{
	switch (d) {
	case POLICY_ALLOWED: return "Allowed";
	case POLICY_EXPLICIT_DENY: return "ExplicitlyDenied";
	default: return "ImplicitlyDenied";
	}
}

/* Adds the keys of st's conditions that req's context lacks (req NULL: all of them) to keys (once each). */
static void missing_keys(const struct policy_request *req, const struct pstmt *st, const char **keys, size_t max,
                         size_t *n)
{
	for (size_t c = 0; c < st->nconds; c++) {
		const struct pcond *pc = &st->conds[c];
		bool seen = false;
		if (req && ctx_find(req, pc->key, pc->keylen))
			continue;
		for (size_t k = 0; k < *n && !seen; k++)
			seen = strcasecmp(keys[k], pc->key_raw) == 0;
		if (!seen && *n < max)
			keys[(*n)++] = pc->key_raw;
	}
}

static void missing_in(const struct policy_request *req, const struct policy *pol, const char **keys, size_t max,
                       size_t *n)
{
	struct eval_ctx ctx = {.req = req, .vars = pol ? pol->version_2012 : false};

	if (!pol)
		return;
	for (size_t s = 0; s < pol->nstmts; s++) {
		const struct pstmt *st = &pol->stmts[s];
		if (actions_match(st, req->action) && resources_match(&ctx, st, req->resource))
			missing_keys(req, st, keys, max, n);
	}
}

size_t policy_missing_context_keys(const struct policy_request *req, const struct policy_set *set, const char **keys,
                                   size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < set->nidentity; i++)
		missing_in(req, set->identity[i], keys, max, &n);
	for (size_t i = 0; i < set->nboundaries; i++)
		missing_in(req, set->boundaries[i], keys, max, &n);
	missing_in(req, set->session, keys, max, &n);
	missing_in(req, set->resource, keys, max, &n);
	return n;
}

void policy_condition_keys(const struct policy *p, const char **keys, size_t max, size_t *n)
{
	for (size_t s = 0; p && s < p->nstmts; s++)
		missing_keys(NULL, &p->stmts[s], keys, max, n);
}
