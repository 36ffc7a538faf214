/*
 * simulate.c - the IAM policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy, and the context keys
 * their policies test (GetContextKeysForPrincipalPolicy, GetContextKeysForCustomPolicy).
 *
 * Each (action, resource) pair is decided by the one engine (policy_evaluate), on the policies authorization itself
 * would weigh: for SimulatePrincipalPolicy the user's own and its groups' inline and attached policies (a role's: its
 * own; a group's: its own), loaded by principal_policies_load_sources (the query authz uses), the entity's
 * permissions boundary and its account's SCPs; plus PolicyInputList (more identity policies),
 * PermissionsBoundaryPolicyInputList (replaces the boundary) and ResourcePolicy. SimulateCustomPolicy weighs only the
 * documents it is given. The context is only what ContextEntries say, as on AWS.
 *
 * The answer is AWS's: EvalDecision "allowed" | "explicitDeny" | "implicitDeny"; MatchedStatements (the statements
 * that decided: the allows for an allow, the denies for an explicit deny, none for an implicit deny) with the policy
 * they come from (its name, or "PolicyInputList.N") and their place in its text; MissingContextValues;
 * OrganizationsDecisionDetail when SCPs govern the account and PermissionsBoundaryDecisionDetail when a boundary
 * applies, each the engine's decision with that guardrail alone; EvalDecisionDetails (across accounts: each kind of
 * policy's own decision). Paginated by MaxItems / Marker over the pairs. ContextEntries' values are checked against
 * their ContextKeyType, and ResourceHandlingOption's EC2 scenarios against the resources they require.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/arn.h"
#include "iam/effective.h"
#include "iam/iam.h"
#include "orgs/orgs.h"
#include "util/common.h"

#define SIM_CTX_MAX 64
/* Bounds of the key lists an answer carries; a list that reaches one is refused, never cut short. */
#define SIM_MISSING_MAX 256
#define SIM_CONTEXT_KEYS_MAX 1024

/* One identity policy of a simulation and where it comes from. */
struct sim_policy {
	struct policy *p;     /* borrowed from own / inputs */
	const char *id;       /* SourcePolicyId */
	const char *type;     /* SourcePolicyType, or NULL (an input document) */
	const char *document; /* its text */
};

struct sim {
	struct call *c;
	struct principal_policies own;
	bool have_own;
	struct scp_layers scp;
	bool have_scp;
	struct policy *inputs[64]; /* compiled PolicyInputList, boundary input, resource policy: owned */
	size_t ninputs;
	char input_ids[64][48];
	struct sim_policy identity[PRINCIPAL_POLICIES_MAX + 64];
	size_t nidentity;
	struct policy *identity_refs[PRINCIPAL_POLICIES_MAX + 64];
	struct sim_policy boundary; /* p NULL: none */
	struct sim_policy resource; /* p NULL: none */
	struct policy *allow_all;   /* owned: stands for "everything else allows" in the guardrail details */
	char principal[ARN_MAX + 1];
	char principal_account[ACCOUNT_ID_LEN + 1];
	const char *principal_id;
	char principal_id_buf[IAM_ID_MAX];
	char resource_owner[ACCOUNT_ID_LEN + 1]; /* ResourceOwner's account, or "" */
	struct policy_ctx_entry ctx[SIM_CTX_MAX];
	const char **values[SIM_CTX_MAX]; /* owned arrays of borrowed strings */
	size_t nctx;
};

static void sim_release(struct sim *s)
{
	if (s->have_own)
		principal_policies_release(&s->own);
	if (s->have_scp)
		orgs_scp_layers_release(&s->scp);
	for (size_t i = 0; i < s->ninputs; i++)
		policy_release(s->inputs[i]);
	for (size_t i = 0; i < s->nctx; i++)
		free(s->values[i]);
	policy_release(s->allow_all);
}

/* Compiles one given document. InvalidInput with the engine's message when it is not a valid policy of kind. */
static int compile_input(struct sim *s, const char *doc, enum policy_kind kind, const char *id, struct sim_policy *out)
{
	char err[POLICY_ERROR_MAX];

	if (s->ninputs == ARRAY_LEN(s->inputs))
		return aws_err_set(&s->c->err, ERR_INVALID_INPUT, "Too many policies.");
	if (policy_compile(doc, strlen(doc), kind, &s->inputs[s->ninputs], err) != C_OK)
		return aws_err_set(&s->c->err, ERR_INVALID_INPUT, "%s: %s", id, err);
	snprintf(s->input_ids[s->ninputs], sizeof(s->input_ids[0]), "%s", id);
	out->p = s->inputs[s->ninputs];
	out->id = s->input_ids[s->ninputs];
	out->type = NULL;
	out->document = doc;
	s->ninputs++;
	return C_OK;
}

/* PolicyInputList, PermissionsBoundaryPolicyInputList and ResourcePolicy. */
static int compile_inputs(struct sim *s)
{
	json_t *list = json_object_get(s->c->in, "PolicyInputList"), *item;
	const char *rp = call_str(s->c, "ResourcePolicy");
	char id[48];
	size_t i;

	json_array_foreach(list, i, item)
	{
		snprintf(id, sizeof(id), "PolicyInputList.%zu", i + 1);
		if (s->nidentity == ARRAY_LEN(s->identity) ||
		    compile_input(s, json_string_value(item), POLICY_IDENTITY, id, &s->identity[s->nidentity]) != C_OK)
			return C_ERR;
		s->nidentity++;
	}
	list = json_object_get(s->c->in, "PermissionsBoundaryPolicyInputList");
	if (json_array_size(list) > 1)
		return aws_err_set(&s->c->err, ERR_INVALID_INPUT,
		                   "Only one permissions boundary policy can be provided in the simulation.");
	if (json_array_size(list) == 1 &&
	    compile_input(s, json_string_value(json_array_get(list, 0)), POLICY_BOUNDARY,
	                  "PermissionsBoundaryPolicyInputList.1", &s->boundary) != C_OK)
		return C_ERR;
	if (rp && compile_input(s, rp, POLICY_RESOURCE, "ResourcePolicy", &s->resource) != C_OK)
		return C_ERR;
	if (s->resource.p)
		s->resource.type = "resource";
	return C_OK;
}

/* ContextEntries -> the request context (values borrowed from c->in). A value that is not of its ContextKeyType
 * (a date that is none, an address that is not one...) is refused, as AWS refuses it, rather than compared with
 * nothing. */
static int read_context(struct sim *s)
{
	json_t *list = json_object_get(s->c->in, "ContextEntries"), *e;
	size_t i;

	json_array_foreach(list, i, e)
	{
		const char *name = json_string_value(json_object_get(e, "ContextKeyName"));
		const char *type = json_string_value(json_object_get(e, "ContextKeyType"));
		json_t *vals = json_object_get(e, "ContextKeyValues"), *v;
		size_t n = json_array_size(vals), j;
		if (!name)
			return aws_err_set(&s->c->err, ERR_INVALID_INPUT, "ContextKeyName is required.");
		if (s->nctx == SIM_CTX_MAX)
			return aws_err_set(&s->c->err, ERR_INVALID_INPUT, "Too many context entries.");
		json_array_foreach(vals, j, v)
			if (type && !policy_context_value_valid(type, json_string_value(v)))
				return aws_err_set(&s->c->err, ERR_INVALID_INPUT,
				                   "Invalid value %.256s for context key %.256s of type %.16s.",
				                   json_string_value(v), name, type);
		if (!(s->values[s->nctx] = calloc(n ? n : 1, sizeof(char *))))
			return C_ERR;
		json_array_foreach(vals, j, v) s->values[s->nctx][j] = json_string_value(v);
		s->ctx[s->nctx] = (struct policy_ctx_entry){
			.key = name,
			.values = s->values[s->nctx],
			.nvalues = n,
			.multi = (type && strlen(type) > 4 && strcmp(type + strlen(type) - 4, "List") == 0) || n > 1,
		};
		s->nctx++;
	}
	return C_OK;
}

/* The part of an ARN after "TYPE/" and its last path element (the name). NULL when arn is not of that type. */
static const char *arn_name(const struct arn *a, const char *type)
{
	size_t n = strlen(type);
	const char *slash;

	if (strcmp(a->service, "iam") != 0 || strncmp(a->resource, type, n) != 0 || a->resource[n] != '/')
		return NULL;
	slash = strrchr(a->resource, '/');
	return slash[1] ? slash + 1 : NULL;
}

/* PolicySourceArn: the user, group or role of the caller's account whose policies are simulated. */
static int load_source(struct sim *s, const char *source)
{
	struct call *c = s->c;
	struct arn a;
	const char *name;
	int rc;

	if (arn_parse(source, &a) != C_OK || strcmp(a.account, c->caller.account_id) != 0)
		return aws_err_set(&c->err, ERR_INVALID_INPUT, "Invalid PolicySourceArn: %s", source);
	if ((name = arn_name(&a, "user"))) {
		struct store_user u;
		if (iam_load_user(c, name, &u) != C_OK)
			return C_ERR;
		snprintf(s->principal_id_buf, sizeof(s->principal_id_buf), "%s", u.user_id);
		rc = principal_policies_load_sources(c->tx, "user", u.user_id, &s->own);
	} else if ((name = arn_name(&a, "role"))) {
		struct store_role r;
		if (iam_load_role(c, name, &r) != C_OK)
			return C_ERR;
		snprintf(s->principal_id_buf, sizeof(s->principal_id_buf), "%s", r.role_id);
		store_role_clear(&r);
		rc = principal_policies_load_sources(c->tx, "role", s->principal_id_buf, &s->own);
	} else if ((name = arn_name(&a, "group"))) {
		struct store_group g;
		if (iam_load_group(c, name, &g) != C_OK)
			return C_ERR;
		rc = principal_policies_load_sources(c->tx, "group", g.group_id, &s->own);
	} else {
		return aws_err_set(&c->err, ERR_INVALID_INPUT,
		                   "Invalid PolicySourceArn: %s (the ARN of a user, group or role is required)", source);
	}
	if (rc != C_OK)
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	s->have_own = true;
	if (s->principal_id_buf[0]) /* a user or role (a group is no principal) */
		s->principal_id = s->principal_id_buf;
	for (size_t i = 0; i < s->own.nidentity && s->nidentity < ARRAY_LEN(s->identity); i++)
		s->identity[s->nidentity++] = (struct sim_policy){s->own.identity[i], s->own.sources[i].name,
		                                                  s->own.sources[i].type, s->own.sources[i].document};
	if (s->own.boundary && !s->boundary.p) {
		const char *slash = strrchr(s->own.boundary_arn, '/');
		struct arn b;
		bool aws = arn_parse(s->own.boundary_arn, &b) == C_OK && strcmp(b.account, "aws") == 0;
		s->boundary = (struct sim_policy){s->own.boundary, slash ? slash + 1 : s->own.boundary_arn,
		                                  aws ? "aws-managed" : "user-managed", s->own.boundary_document};
	}
	if (orgs_scp_layers(c->tx, c->caller.account_id, &s->scp) != C_OK)
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	s->have_scp = true;
	snprintf(s->principal, sizeof(s->principal), "%s", source);
	return C_OK;
}

/* CallerArn (an IAM user's ARN): the principal the simulation calls as. */
static int read_caller(struct sim *s, bool source_is_user)
{
	const char *caller = call_str(s->c, "CallerArn");
	struct arn a;

	if (!caller) {
		if (s->resource.p && !source_is_user)
			return aws_err_set(&s->c->err, ERR_INVALID_INPUT,
			                   "CallerArn is required when a ResourcePolicy is given and PolicySourceArn is "
			                   "not the ARN of a user.");
		return C_OK;
	}
	if (arn_parse(caller, &a) != C_OK || !arn_name(&a, "user") || strlen(a.account) != ACCOUNT_ID_LEN)
		return aws_err_set(&s->c->err, ERR_INVALID_INPUT, "Invalid CallerArn: %s (the ARN of an IAM user is "
		                   "required)", caller);
	snprintf(s->principal, sizeof(s->principal), "%s", caller);
	snprintf(s->principal_account, sizeof(s->principal_account), "%s", a.account);
	s->principal_id = NULL; /* another user than the one whose policies are simulated */
	return C_OK;
}

static const char *decision_text(enum policy_decision d)
{
	switch (d) {
	case POLICY_ALLOWED: return "allowed";
	case POLICY_EXPLICIT_DENY: return "explicitDeny";
	default: return "implicitDeny";
	}
}

static json_t *position_json(struct policy_position p)
{
	return json_pack("{s:i,s:i}", "Line", p.line, "Column", p.column);
}

/* One MatchedStatements entry (NULL when the explanation names a statement of no reported policy). */
static json_t *statement_json(const struct sim *s, const struct policy_explain_item *it)
{
	const struct sim_policy *sp = NULL;
	struct policy_position start, end;
	json_t *o;

	if (it->source == SRC_IDENTITY && it->policy >= 0 && (size_t)it->policy < s->nidentity)
		sp = &s->identity[it->policy];
	else if (it->source == SRC_BOUNDARY && s->boundary.p)
		sp = &s->boundary;
	else if (it->source == SRC_RESOURCE && s->resource.p)
		sp = &s->resource;
	if (!sp)
		return NULL;
	if (!(o = json_pack("{s:s}", "SourcePolicyId", sp->id)))
		return NULL;
	if (sp->type)
		json_object_set_new(o, "SourcePolicyType", json_string(sp->type));
	if (sp->document &&
	    policy_statement_position(sp->document, strlen(sp->document), (size_t)it->statement, &start, &end) == C_OK) {
		json_object_set_new(o, "StartPosition", position_json(start));
		json_object_set_new(o, "EndPosition", position_json(end));
	}
	return o;
}

/* The engine's decision on req with only the policies of set, as if the resource were in the principal's own account:
 * one kind of policy's part in the decision. */
static enum policy_decision decide_alone(const struct policy_request *req, const struct policy_set *set)
{
	struct policy_request r = *req;

	r.resource_account = r.principal_account;
	return policy_evaluate(&r, set, NULL);
}

/* The engine's decision with one guardrail alone (everything else allowing): the *DecisionDetail flags. */
static enum policy_decision guardrail(const struct sim *s, const struct policy_request *req, bool scp)
{
	struct policy_set set = {.identity = (struct policy *const *)&s->allow_all, .nidentity = 1};

	if (scp) {
		set.scp = s->scp.layers;
		set.nscp = s->scp.n;
	} else {
		set.boundaries = (struct policy *const *)&s->boundary.p;
		set.nboundaries = 1;
	}
	return decide_alone(req, &set);
}

/* EvalDecisionDetails of a cross-account simulation: each kind of policy's own decision ("IAM Policy": the identity
 * policies, "Resource Policy": ResourcePolicy, implicitDeny when none is given, "Permissions Boundary Policy": the
 * boundary, when one applies), as AWS names them. NULL when out of memory. */
static json_t *cross_account_details(const struct sim *s, const struct policy_request *req)
{
	struct policy_set identity = {.identity = s->identity_refs, .nidentity = s->nidentity};
	/* the resource policy's side: the request as it is (across accounts), every identity policy allowing */
	struct policy_set resource = {.identity = (struct policy *const *)&s->allow_all, .nidentity = 1,
	                              .resource = s->resource.p};
	enum policy_decision r = s->resource.p ? policy_evaluate(req, &resource, NULL) : POLICY_IMPLICIT_DENY;
	json_t *o = json_pack("{s:s,s:s}", "IAM Policy", decision_text(decide_alone(req, &identity)), "Resource Policy",
	                      decision_text(r));

	if (o && s->boundary.p &&
	    json_object_set_new(o, "Permissions Boundary Policy", json_string(decision_text(guardrail(s, req, false))))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The guardrails' details of the result o of req: OrganizationsDecisionDetail when SCPs govern the account (scp),
 * PermissionsBoundaryDecisionDetail when a boundary applies, and EvalDecisionDetails as AWS gives it: each kind of
 * policy's decision across accounts; within one account empty when ResourceArns names the resource (specific) and
 * absent for "*"; absent whenever an SCP denies (AWS's simulation ends there). */
static int add_details(const struct sim *s, const struct policy_request *req, bool scp, bool specific, json_t *o)
{
	bool org_allows = !scp || guardrail(s, req, true) == POLICY_ALLOWED;
	bool cross = strcmp(req->resource_account, req->principal_account) != 0;
	json_t *details;

	if (scp && json_object_set_new(o, "OrganizationsDecisionDetail",
	                               json_pack("{s:b}", "AllowedByOrganizations", org_allows)) != 0)
		return C_ERR;
	if (s->boundary.p &&
	    json_object_set_new(o, "PermissionsBoundaryDecisionDetail",
	                        json_pack("{s:b}", "AllowedByPermissionsBoundary",
	                                  guardrail(s, req, false) == POLICY_ALLOWED)) != 0)
		return C_ERR;
	if (!org_allows || !(cross || specific))
		return C_OK;
	details = cross ? cross_account_details(s, req) : json_object();
	return json_object_set_new(o, "EvalDecisionDetails", details) == 0 ? C_OK : C_ERR;
}

/* Decides one (action, resource) pair and appends its EvaluationResult to arr (with its ResourceSpecificResults, as
 * AWS gives them when ResourceArns names the resources: specific). */
static int evaluate_one(struct sim *s, const char *action, const char *resource, bool specific, json_t *arr)
{
	struct policy_request req;
	struct policy_set set;
	struct policy_explain ex;
	const char *missing[SIM_MISSING_MAX];
	char account[ACCOUNT_ID_LEN + 1];
	enum policy_decision d;
	json_t *o, *matched, *keys;
	struct arn a;
	size_t nmissing;

	if (s->resource_owner[0])
		snprintf(account, sizeof(account), "%s", s->resource_owner);
	else if (arn_parse(resource, &a) == C_OK && strlen(a.account) == ACCOUNT_ID_LEN)
		snprintf(account, sizeof(account), "%s", a.account);
	else
		snprintf(account, sizeof(account), "%s", s->principal_account);
	memset(&req, 0, sizeof(req));
	req.action = action;
	req.resource = resource;
	req.resource_account = account;
	req.principal = s->principal;
	req.principal_account = s->principal_account;
	req.principal_id = s->principal_id;
	req.ctx = s->ctx;
	req.nctx = s->nctx;
	memset(&set, 0, sizeof(set));
	set.identity = s->identity_refs;
	set.nidentity = s->nidentity;
	if (s->boundary.p) {
		set.boundaries = (struct policy *const *)&s->boundary.p;
		set.nboundaries = 1;
	}
	set.resource = s->resource.p;
	if (s->have_scp) {
		set.scp = s->scp.layers;
		set.nscp = s->scp.n;
	}
	d = policy_evaluate(&req, &set, &ex);
	if (ex.incomplete) /* MatchedStatements would be cut short: refused rather than wrong */
		return aws_err_set(&s->c->err, ERR_LIMIT_EXCEEDED,
		                   "More statements decide %.128s on %.512s than the simulator can list.", action, resource);

	o = json_pack("{s:s,s:s,s:s}", "EvalActionName", action, "EvalResourceName", resource, "EvalDecision",
	              decision_text(d));
	matched = json_array();
	keys = json_array();
	if (!o || !matched || !keys || json_array_append_new(arr, o) != 0) {
		json_decref(o);
		json_decref(matched);
		json_decref(keys);
		return C_ERR;
	}
	json_object_set_new(o, "MatchedStatements", matched);
	json_object_set_new(o, "MissingContextValues", keys);
	for (size_t i = 0; i < ex.n && d != POLICY_IMPLICIT_DENY; i++) {
		json_t *st = statement_json(s, &ex.items[i]);
		if (st)
			json_array_append_new(matched, st);
	}
	nmissing = policy_missing_context_keys(&req, &set, missing, ARRAY_LEN(missing));
	if (nmissing >= ARRAY_LEN(missing))
		return aws_err_set(&s->c->err, ERR_LIMIT_EXCEEDED,
		                   "The policies test more than %zu context keys the request does not give.",
		                   ARRAY_LEN(missing) - 1);
	for (size_t i = 0; i < nmissing; i++)
		json_array_append_new(keys, json_string(missing[i]));
	if (add_details(s, &req, set.nscp > 0, specific, o) != C_OK)
		return C_ERR;
	if (specific) {
		json_t *one = json_pack("{s:s,s:s,s:O,s:O}", "EvalResourceName", resource, "EvalResourceDecision",
		                        decision_text(d), "MatchedStatements", matched, "MissingContextValues", keys);
		json_t *list = json_array(), *details = json_object_get(o, "EvalDecisionDetails");
		if (!one || !list || json_array_append_new(list, one) != 0) {
			json_decref(one);
			json_decref(list);
			return C_ERR;
		}
		if (json_object_get(o, "PermissionsBoundaryDecisionDetail"))
			json_object_set(one, "PermissionsBoundaryDecisionDetail",
			                json_object_get(o, "PermissionsBoundaryDecisionDetail"));
		if (json_object_size(details)) /* the resource's part: only across accounts */
			json_object_set(one, "EvalDecisionDetails", details);
		json_object_set_new(o, "ResourceSpecificResults", list);
		/* AWS: with a list of resources the missing keys are the resource's, "instead" of the result's (kept by
		 * one); the result's list is for "*" */
		if (strcmp(resource, "*") != 0 && json_object_set_new(o, "MissingContextValues", json_array()) != 0)
			return C_ERR;
	}
	return C_OK;
}

/* Every (action, resource) pair from Marker on, at most MaxItems of them. */
static int evaluate_all(struct sim *s)
{
	static const char allow_all[] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
	                                "\"*\",\"Resource\":\"*\"}]}";
	struct call *c = s->c;
	json_t *actions = json_object_get(c->in, "ActionNames"), *resources = json_object_get(c->in, "ResourceArns");
	json_t *results = json_array();
	size_t nres = json_array_size(resources) ? json_array_size(resources) : 1, total, from = 0, i;
	int64_t max = call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS);
	char marker[32], err[POLICY_ERROR_MAX], *end;

	if (!results || json_object_set_new(c->out, "EvaluationResults", results) != 0)
		return C_ERR;
	if (policy_compile(allow_all, sizeof(allow_all) - 1, POLICY_IDENTITY, &s->allow_all, err) != C_OK)
		return C_ERR;
	for (i = 0; i < s->nidentity; i++)
		s->identity_refs[i] = s->identity[i].p;
	if (iam_marker_read(c, marker, sizeof(marker)) != C_OK)
		return C_ERR;
	total = json_array_size(actions) * nres;
	if (marker[0]) {
		unsigned long long v = strtoull(marker, &end, 10);
		if (*end || v >= total)
			return aws_err_set(&c->err, ERR_INVALID_INPUT, "Invalid Marker.");
		from = (size_t)v;
	}
	for (i = from; i < total && (int64_t)(i - from) < max; i++) {
		const char *action = json_string_value(json_array_get(actions, i / nres));
		const char *resource = json_array_size(resources) ? json_string_value(json_array_get(resources, i % nres))
		                                                  : "*";
		if (evaluate_one(s, action, resource, json_array_size(resources) > 0, results) != C_OK)
			return C_ERR;
	}
	snprintf(marker, sizeof(marker), "%zu", i);
	return iam_marker_write(c, i < total, marker);
}

/* ResourceHandlingOption: AWS's EC2 scenarios, each with the resource types ResourceArns must name (EC2's ARNs:
 * instance/..., image/..., security-group/..., network-interface/..., subnet/..., volume/...). */
static const struct {
	const char *name;
	const char *types[6];
} handling_options[] = {
	{"EC2-VPC-InstanceStore", {"instance", "image", "security-group", "network-interface"}},
	{"EC2-VPC-InstanceStore-Subnet", {"instance", "image", "security-group", "network-interface", "subnet"}},
	{"EC2-VPC-EBS", {"instance", "image", "security-group", "network-interface", "volume"}},
	{"EC2-VPC-EBS-Subnet", {"instance", "image", "security-group", "network-interface", "subnet", "volume"}},
};

/* Whether ResourceArns names an EC2 resource of type (an ARN whose resource is "TYPE/..."). */
static bool names_ec2(struct sim *s, const char *type)
{
	json_t *v;
	size_t i, n = strlen(type);
	struct arn a;

	json_array_foreach(json_object_get(s->c->in, "ResourceArns"), i, v)
		if (arn_parse(json_string_value(v), &a) == C_OK && strcmp(a.service, "ec2") == 0 &&
		    strncmp(a.resource, type, n) == 0 && a.resource[n] == '/')
			return true;
	return false;
}

/* ResourceHandlingOption: one of AWS's scenarios, and ResourceArns holding the resources it requires (the simulator
 * enforces their presence, so that the results are reliable). */
static int check_handling(struct sim *s)
{
	const char *opt = call_str(s->c, "ResourceHandlingOption");

	if (!opt)
		return C_OK;
	for (size_t i = 0; i < ARRAY_LEN(handling_options); i++) {
		if (strcmp(opt, handling_options[i].name) != 0)
			continue;
		for (size_t t = 0; t < ARRAY_LEN(handling_options[i].types) && handling_options[i].types[t]; t++)
			if (!names_ec2(s, handling_options[i].types[t]))
				return aws_err_set(&s->c->err, ERR_INVALID_INPUT,
				                   "ResourceHandlingOption %s requires ResourceArns to include a resource of "
				                   "type %s.", opt, handling_options[i].types[t]);
		return C_OK;
	}
	return aws_err_set(&s->c->err, ERR_INVALID_INPUT,
	                   "Invalid ResourceHandlingOption: %.64s. Valid values: EC2-VPC-InstanceStore, "
	                   "EC2-VPC-InstanceStore-Subnet, EC2-VPC-EBS, EC2-VPC-EBS-Subnet.", opt);
}

static int sim_common(struct sim *s)
{
	const char *owner = call_str(s->c, "ResourceOwner");
	struct arn a;

	if (check_handling(s) != C_OK)
		return C_ERR;

	if (owner) {
		/* An account ID, or an ARN naming one (arn:aws:iam::ACCOUNT:root). */
		if (arn_parse(owner, &a) == C_OK)
			owner = a.account;
		if (strlen(owner) != ACCOUNT_ID_LEN || strspn(owner, "0123456789") != ACCOUNT_ID_LEN)
			return aws_err_set(&s->c->err, ERR_INVALID_INPUT, "Invalid ResourceOwner.");
		snprintf(s->resource_owner, sizeof(s->resource_owner), "%s", owner);
	}
	return read_context(s);
}

/* Runs body on a new simulation of c (the struct is kilobytes: on the heap), then releases it. */
static int with_sim(struct call *c, int (*body)(struct sim *s))
{
	struct sim *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return C_ERR;
	s->c = c;
	snprintf(s->principal_account, sizeof(s->principal_account), "%s", c->caller.account_id);
	rc = body(s);
	sim_release(s);
	free(s);
	return rc;
}

static int principal_policy(struct sim *s)
{
	const char *source = call_str(s->c, "PolicySourceArn");
	struct arn a;

	if (sim_common(s) != C_OK || compile_inputs(s) != C_OK || load_source(s, source) != C_OK ||
	    read_caller(s, arn_parse(source, &a) == C_OK && arn_name(&a, "user")) != C_OK)
		return C_ERR;
	return evaluate_all(s);
}

static int custom_policy(struct sim *s)
{
	/* Without CallerArn the simulation calls as the caller itself. */
	snprintf(s->principal, sizeof(s->principal), "%s", s->c->caller.arn);
	if (sim_common(s) != C_OK || compile_inputs(s) != C_OK || read_caller(s, false) != C_OK)
		return C_ERR;
	return evaluate_all(s);
}

/* ContextKeyNames: every condition key the simulation's identity policies (and for a principal, its groups') test. */
static int context_keys(struct sim *s)
{
	const char *keys[SIM_CONTEXT_KEYS_MAX];
	size_t n = 0;
	json_t *arr = json_array();

	if (!arr || json_object_set_new(s->c->out, "ContextKeyNames", arr) != 0)
		return C_ERR;
	for (size_t i = 0; i < s->nidentity; i++)
		policy_condition_keys(s->identity[i].p, keys, ARRAY_LEN(keys), &n);
	if (n >= ARRAY_LEN(keys))
		return aws_err_set(&s->c->err, ERR_LIMIT_EXCEEDED, "The policies test more than %zu context keys.",
		                   ARRAY_LEN(keys) - 1);
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, json_string(keys[i])) != 0)
			return C_ERR;
	return C_OK;
}

static int principal_context_keys(struct sim *s)
{
	if (compile_inputs(s) != C_OK || load_source(s, call_str(s->c, "PolicySourceArn")) != C_OK)
		return C_ERR;
	return context_keys(s);
}

static int custom_context_keys(struct sim *s)
{
	if (compile_inputs(s) != C_OK)
		return C_ERR;
	return context_keys(s);
}

static int simulate_principal_policy(struct call *c) { return with_sim(c, principal_policy); }
static int simulate_custom_policy(struct call *c) { return with_sim(c, custom_policy); }
static int get_context_keys_for_principal_policy(struct call *c) { return with_sim(c, principal_context_keys); }
static int get_context_keys_for_custom_policy(struct call *c) { return with_sim(c, custom_context_keys); }

/* Resource: the user, group or role whose policies are simulated (IAM authorizes SimulatePrincipalPolicy on it). */
static int resource_source(struct call *c, char *out, size_t cap)
{
	const char *source = call_str(c, "PolicySourceArn");

	return source && snprintf(out, cap, "%s", source) < (int)cap ? C_OK : C_ERR;
}

static int resource_any(struct call *c, char *out, size_t cap)
{
	(void)c;
	return snprintf(out, cap, "*") < (int)cap ? C_OK : C_ERR;
}

static const struct action actions[] = {
	{"iam", "SimulatePrincipalPolicy", false, resource_source, simulate_principal_policy},
	{"iam", "SimulateCustomPolicy", false, resource_any, simulate_custom_policy},
	{"iam", "GetContextKeysForPrincipalPolicy", false, resource_source, get_context_keys_for_principal_policy},
	{"iam", "GetContextKeysForCustomPolicy", false, resource_any, get_context_keys_for_custom_policy},
};

ACTION_TABLE(iam_simulate_actions, actions);
