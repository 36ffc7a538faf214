/*
 * fuzz_policy.c - the policy engine, parse and evaluate: policy_compile on any document, policy_evaluate of what
 * compiles against a few fixed requests and one read from the input.
 *
 * The input: its first byte picks the kind of policy (identity, trust, resource, boundary, session, SCP, RCP: the
 * byte modulo 7); then the policy document, up to the first NUL byte (or the end); after the NUL, the request, one
 * item a line: the action, the resource, the principal, then context entries "key=value" (single-valued) or
 * "key=[v1,v2]" (a list). Missing lines take fixed defaults.
 *
 * The document is compiled as the chosen kind (and, for validation's sake, as every other kind); what compiles is
 * placed where that kind goes in a policy_set (identity policies, the resource policy, a permissions boundary, the
 * session policy, an SCP or RCP layer) and evaluated, alone and beside fixed policies, for every request.
 *
 * Checks beyond the sanitizers (abort on failure):
 *   - a failed compile leaves *out NULL and an error message; compiling the same document again returns the same
 *     compiled policy (the cache);
 *   - the decision is one of the three, with a reason and at most POLICY_EXPLAIN_MAX explanation items, and the same
 *     request decides the same way twice;
 *   - nothing allows by accident: with no policies at all only sts:GetCallerIdentity is allowed; a guardrail (a
 *     permissions boundary, a session policy, an SCP or RCP layer) never turns a denied request into an allowed
 *     one; an explicit deny from the fuzzed identity policy survives another identity policy that allows
 *     everything.
 * Every reference is released: LeakSanitizer sees a compiled policy that is not freed by its last release.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/policy.h"
#include "util/common.h"
#include "util/crypto.h"

#define MAX_CTX 8
#define MAX_VALUES 4
#define MAX_FIELD 512

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy *allow_all_identity, *allow_all_scp;

static struct policy *compile_fixed(const char *doc, enum policy_kind kind)
{
	char err[POLICY_ERROR_MAX];
	struct policy *p;

	if (policy_compile(doc, strlen(doc), kind, &p, err) != C_OK) {
		fprintf(stderr, "fuzz_policy: fixed policy refused: %s\n", err);
		abort();
	}
	return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (crypto_init() != C_OK)
		abort();
	/* Held for the whole run (never released: they are reachable, not leaked). */
	allow_all_identity = compile_fixed(
		"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}",
		POLICY_IDENTITY);
	allow_all_scp = compile_fixed(
		"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}}",
		POLICY_SCP);
	return 0;
}

/* ---- the request read from the input ----------------------------------------------------------------------------- */

struct fuzz_request {
	char action[MAX_FIELD], resource[MAX_FIELD], principal[MAX_FIELD];
	char keys[MAX_CTX][MAX_FIELD];
	char values[MAX_CTX][MAX_VALUES][MAX_FIELD];
	const char *vptr[MAX_CTX][MAX_VALUES];
	struct policy_ctx_entry ctx[MAX_CTX];
	size_t nctx;
};

/* Copies the line starting at *p (up to '\n' or end) into out (NUL-terminated, cut at cap - 1); advances *p. */
static bool next_line(const char **p, const char *end, char *out, size_t cap)
{
	const char *nl;
	size_t n;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	n = (size_t)((nl ? nl : end) - *p);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, *p, n);
	out[n] = '\0'; /* a NUL inside the line ends the field early */
	*p = nl ? nl + 1 : end;
	return true;
}

static void read_request(const char *p, const char *end, struct fuzz_request *r)
{
	char line[MAX_FIELD];

	memset(r, 0, sizeof(*r));
	if (!next_line(&p, end, r->action, sizeof(r->action)) || !r->action[0])
		strcpy(r->action, "s3:GetObject");
	if (!next_line(&p, end, r->resource, sizeof(r->resource)) || !r->resource[0])
		strcpy(r->resource, "arn:aws:s3:::bucket/key");
	if (!next_line(&p, end, r->principal, sizeof(r->principal)) || !r->principal[0])
		strcpy(r->principal, "arn:aws:iam::111122223333:user/alice");
	while (r->nctx < MAX_CTX && next_line(&p, end, line, sizeof(line))) {
		char *eq = strchr(line, '=');
		struct policy_ctx_entry *e = &r->ctx[r->nctx];
		size_t i = r->nctx;
		char *v;
		if (!eq || eq == line)
			continue;
		*eq = '\0';
		strcpy(r->keys[i], line);
		v = eq + 1;
		e->key = r->keys[i];
		e->values = r->vptr[i];
		if (v[0] == '[' && v[strlen(v) - 1] == ']') {
			/* a list, possibly empty */
			char *s = v + 1;
			v[strlen(v) - 1] = '\0';
			e->multi = true;
			while (*s && e->nvalues < MAX_VALUES) {
				char *comma = strchr(s, ',');
				if (comma)
					*comma = '\0';
				strcpy(r->values[i][e->nvalues], s);
				r->vptr[i][e->nvalues] = r->values[i][e->nvalues];
				e->nvalues++;
				if (!comma)
					break;
				s = comma + 1;
			}
		} else {
			strcpy(r->values[i][0], v);
			r->vptr[i][0] = r->values[i][0];
			e->nvalues = 1;
		}
		r->nctx++;
	}
}

/* ---- checks ------------------------------------------------------------------------------------------------------- */

static const char *account_of(const char *arn, char out[13])
{
	const char *p = arn;
	int colons = 0;

	if (strncmp(arn, "arn:", 4) != 0)
		return NULL;
	while (*p && colons < 4)
		if (*p++ == ':')
			colons++;
	if (colons != 4 || strlen(p) < 12)
		return NULL;
	memcpy(out, p, 12);
	out[12] = '\0';
	return out;
}

static enum policy_decision decide(const struct policy_request *req, const struct policy_set *set)
{
	struct policy_explain ex;
	enum policy_decision d = policy_evaluate(req, set, &ex), again;

	if (d != POLICY_ALLOWED && d != POLICY_EXPLICIT_DENY && d != POLICY_IMPLICIT_DENY) {
		fprintf(stderr, "fuzz_policy: decision %d out of range\n", (int)d);
		abort();
	}
	if (!ex.reason || ex.n > POLICY_EXPLAIN_MAX) {
		fprintf(stderr, "fuzz_policy: explanation without reason, or %zu items\n", ex.n);
		abort();
	}
	again = policy_evaluate(req, set, NULL);
	if (again != d) {
		fprintf(stderr, "fuzz_policy: %s then %s for the same request\n", policy_decision_name(d),
		        policy_decision_name(again));
		abort();
	}
	return d;
}

static void must_not_allow(enum policy_decision with, enum policy_decision without, const char *what,
                           const struct policy_request *req)
{
	if (with == POLICY_ALLOWED && without != POLICY_ALLOWED) {
		fprintf(stderr, "fuzz_policy: adding %s turned %s into Allowed (%s %s on %s)\n", what,
		        policy_decision_name(without), req->principal, req->action, req->resource);
		abort();
	}
}

/* Evaluates req with policy p placed as its kind says, and checks the invariants. */
static void evaluate_placed(struct policy *p, enum policy_kind kind, const struct policy_request *req)
{
	struct policy *const only[] = {p};
	struct policy *const with_all[] = {allow_all_identity, p};
	struct policy *const all[] = {allow_all_identity};
	const struct policy_layer layer[] = {{only, 1, "fuzzed"}};
	const struct policy_layer full_then_fuzzed[] = {{(struct policy *const[]){allow_all_scp}, 1, "root"},
	                                                {only, 1, "fuzzed"}};
	struct policy_set base = {.identity = all, .nidentity = 1};
	enum policy_decision d_base, d;

	/* No policies at all: nothing but sts:GetCallerIdentity is allowed. */
	d = decide(req, &(struct policy_set){0});
	if (d == POLICY_ALLOWED && strcasecmp(req->action, "sts:GetCallerIdentity") != 0) {
		fprintf(stderr, "fuzz_policy: allowed without any policy: %s %s\n", req->principal, req->action);
		abort();
	}
	d_base = decide(req, &base);
	switch (kind) {
	case POLICY_IDENTITY: {
		enum policy_decision alone = decide(req, &(struct policy_set){.identity = only, .nidentity = 1});
		d = decide(req, &(struct policy_set){.identity = with_all, .nidentity = 2});
		if (alone == POLICY_EXPLICIT_DENY && d != POLICY_EXPLICIT_DENY) {
			fprintf(stderr, "fuzz_policy: an explicit deny did not survive an allow-all identity policy\n");
			abort();
		}
		/* The same document as a permissions boundary (identity policies may be used as one). */
		must_not_allow(decide(req, &(struct policy_set){.identity = all, .nidentity = 1, .boundaries = only,
		                                               .nboundaries = 1}),
		               d_base, "a permissions boundary", req);
		break;
	}
	case POLICY_TRUST:
	case POLICY_RESOURCE:
		decide(req, &(struct policy_set){.resource = p});
		decide(req, &(struct policy_set){.identity = all, .nidentity = 1, .resource = p});
		break;
	case POLICY_BOUNDARY:
		must_not_allow(decide(req, &(struct policy_set){.identity = all, .nidentity = 1, .boundaries = only,
		                                               .nboundaries = 1}),
		               d_base, "a permissions boundary", req);
		break;
	case POLICY_SESSION:
		must_not_allow(decide(req, &(struct policy_set){.identity = all, .nidentity = 1, .session = p}), d_base,
		               "a session policy", req);
		break;
	case POLICY_SCP:
		must_not_allow(decide(req, &(struct policy_set){.identity = all, .nidentity = 1, .scp = layer, .nscp = 1}),
		               d_base, "an SCP layer", req);
		must_not_allow(decide(req, &(struct policy_set){.identity = all, .nidentity = 1, .scp = full_then_fuzzed,
		                                               .nscp = 2}),
		               d_base, "an SCP layer", req);
		break;
	case POLICY_RCP:
		must_not_allow(decide(req, &(struct policy_set){.identity = all, .nidentity = 1, .rcp = layer, .nrcp = 1}),
		               d_base, "an RCP layer", req);
		break;
	}
}

/* ---- the fixed requests --------------------------------------------------------------------------------------- */

static const char *const v_true[] = {"true"}, *const v_age[] = {"300"}, *const v_ip[] = {"203.0.113.9"},
                         *const v_time[] = {"2024-06-01T12:00:00Z"}, *const v_user[] = {"alice"},
                         *const v_tag[] = {"blue"}, *const v_keys[] = {"team", "cost-center"},
                         *const v_arn[] = {"arn:aws:sns:us-east-1:111122223333:topic"};

static const struct policy_ctx_entry fixed_ctx[] = {
	{"aws:MultiFactorAuthPresent", v_true, 1, false},
	{"aws:MultiFactorAuthAge", v_age, 1, false},
	{"aws:SourceIp", v_ip, 1, false},
	{"aws:CurrentTime", v_time, 1, false},
	{"aws:username", v_user, 1, false},
	{"aws:PrincipalTag/team", v_tag, 1, false},
	{"aws:TagKeys", v_keys, 2, true},
	{"aws:SourceArn", v_arn, 1, false},
	{"aws:SecureTransport", v_true, 1, false},
};

static const struct policy_request fixed[] = {
	{.action = "s3:GetObject", .resource = "arn:aws:s3:::bucket/home/alice/file", .resource_account = "111122223333",
	 .principal = "arn:aws:iam::111122223333:user/alice", .principal_account = "111122223333",
	 .principal_id = "AIDAALICEALICEALICE01", .ctx = fixed_ctx, .nctx = ARRAY_LEN(fixed_ctx)},
	{.action = "sts:AssumeRole", .resource = "arn:aws:iam::111122223333:role/Admin", .resource_account = "111122223333",
	 .principal = "arn:aws:iam::444455556666:user/anay", .principal_account = "444455556666",
	 .principal_id = "AIDAANAYANAYANAYANAY1", .ctx = fixed_ctx, .nctx = ARRAY_LEN(fixed_ctx)},
	{.action = "iam:CreateUser", .resource = "arn:aws:iam::111122223333:user/bob", .resource_account = "111122223333",
	 .principal = "arn:aws:sts::111122223333:assumed-role/Admin/anay", .principal_account = "111122223333",
	 .principal_id = "AROAADMINADMINADMIN01", .ctx = fixed_ctx, .nctx = 3},
	{.action = "sqs:SendMessage", .resource = "arn:aws:sqs:us-east-1:111122223333:queue",
	 .resource_account = "111122223333", .principal = "sns.amazonaws.com"},
	{.action = "ec2:RunInstances", .resource = "*", .resource_account = "111122223333",
	 .principal = "arn:aws:sts::111122223333:federated-user/alice", .principal_account = "111122223333"},
};

/* Whether two compiles of one document hold as many statements and decide every fixed request alike. */
static bool same_policy(struct policy *a, struct policy *b)
{
	struct policy *const pa[] = {a}, *const pb[] = {b};

	if (policy_statement_count(a) != policy_statement_count(b))
		return false;
	for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
		if (decide(&fixed[i], &(struct policy_set){.identity = pa, .nidentity = 1}) !=
		    decide(&fixed[i], &(struct policy_set){.identity = pb, .nidentity = 1}))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum policy_kind kinds[] = {POLICY_IDENTITY, POLICY_TRUST, POLICY_RESOURCE, POLICY_BOUNDARY,
	                                         POLICY_SESSION,  POLICY_SCP,   POLICY_RCP};
	static struct fuzz_request fr; /* large: not on the stack */
	enum policy_kind kind;
	const char *doc, *nul, *end;
	size_t doclen;
	char err[POLICY_ERROR_MAX], acct[13];
	struct policy *p = NULL, *again = NULL;
	struct policy_request req;

	if (size < 1)
		return 0;
	kind = kinds[data[0] % ARRAY_LEN(kinds)];
	doc = (const char *)data + 1;
	end = (const char *)data + size;
	nul = memchr(doc, '\0', (size_t)(end - doc));
	doclen = (size_t)((nul ? nul : end) - doc);

	/* Validation under every kind: a refusal leaves no policy and says why. */
	for (size_t k = 0; k < ARRAY_LEN(kinds); k++) {
		struct policy *q = (struct policy *)(uintptr_t)1;
		if (policy_compile(doc, doclen, kinds[k], &q, err) == C_OK) {
			if (!q)
				abort();
			if (kinds[k] == kind)
				p = q;
			else
				policy_release(q);
		} else if (q != NULL || !err[0]) {
			fprintf(stderr, "fuzz_policy: a refused compile left *out set or no message\n");
			abort();
		}
	}
	if (!p)
		return 0;
	if (policy_compile(doc, doclen, kind, &again, err) != C_OK) {
		fprintf(stderr, "fuzz_policy: the same document failed to compile the second time: %s\n", err);
		abort();
	}
	/* Usually the cached policy itself; when the cache evicted it meanwhile (a grown corpus fills its 32 MiB), a
	 * new compile, which must say the same. */
	if (again != p && !same_policy(p, again)) {
		fprintf(stderr, "fuzz_policy: the same document compiled to a policy that decides otherwise\n");
		abort();
	}
	policy_release(again);
	(void)policy_statement_count(p);
	/* The simulator's statement positions: any compiled document, any index, never out of bounds. */
	for (size_t i = 0; i <= policy_statement_count(p) && i < 64; i++) {
		struct policy_position a, b;
		if (policy_statement_position(doc, doclen, i, &a, &b) == C_OK && (a.line < 1 || b.line < a.line))
			abort();
	}

	for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
		evaluate_placed(p, kind, &fixed[i]);
	read_request(nul ? nul + 1 : end, end, &fr);
	req = (struct policy_request){
		.action = fr.action,
		.resource = fr.resource,
		.principal = fr.principal,
		.principal_account = account_of(fr.principal, acct),
		.ctx = fr.ctx,
		.nctx = fr.nctx,
	};
	req.resource_account = req.principal_account;
	evaluate_placed(p, kind, &req);
	req.resource_account = "999988887777";
	evaluate_placed(p, kind, &req);
	policy_release(p);
	return 0;
}
