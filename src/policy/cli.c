/*
 * cli.c - `rolegate policy eval` and `rolegate policy validate`.
 *
 *   rolegate policy eval [FILE|-]
 *       One JSON case, or an array of cases, in the shape of @cloud-copilot/iam-simulate's test cases:
 *       {"request":{"action":..,"resource":{"resource":..,"accountId":..},"principal":..,"context":{..}},
 *        "identityPolicies":[..],"resourcePolicy":{..},"serviceControlPolicies":[{"orgIdentifier":..,"policies":[..]}],
 *        "resourceControlPolicies":[..],"permissionBoundaries":[..],"sessionPolicy":{..}}
 *       request.principal {"type":"Anonymous"}: an unsigned request (only a resource policy's Principal "*" can
 *       allow it). A '*' in request.action or request.resource.resource asks whether some matching action on some
 *       matching resource could be allowed (sets.c); the line then carries "viaAction" / "viaResource", the
 *       allowing patterns, and "undecided":true when a pattern question went past its bounds (answered closed).
 *       request.principalId (rolegate's own, optional): the caller's unique id (AIDA... for a user, its role's
 *       AROA... for a role session), which a Principal naming a unique id matches.
 *       prints one line per case: {"result":"Allowed|ExplicitlyDenied|ImplicitlyDenied","explain":[..]}.
 *       Condition values that do not parse (a number, a date, a CIDR) never match here; `validate` refuses them,
 *       as IAM does when a policy is saved. Malformed input: a message on stderr and exit status 2.
 *
 *   rolegate policy generate ...: a least-privilege policy from the audit trail (src/generate/cli.c).
 *
 *   rolegate policy validate FILE --kind identity|trust|resource|boundary|session|scp|rcp
 *       prints the finding: {"valid":true,...} or {"valid":false,"error":"MalformedPolicyDocument: ..."};
 *       exit status 1 when the policy is not valid.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate/cli.h"
#include "policy/cli.h"
#include "policy/lint.h"
#include "policy/policy.h"
#include "util/buf.h"
#include "util/common.h"
#include "util/crypto.h"

#define MAX_INPUT (256 * 1024 * 1024)
#define MAX_POLICIES 64
#define MAX_LAYERS 16
#define MAX_CTX 256

static int read_all(const char *path, struct buf *out)
{
	FILE *f = (!path || strcmp(path, "-") == 0) ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!f) {
		fprintf(stderr, "rolegate policy: cannot open %s: %s\n", path, strerror(errno));
		return C_ERR;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(out, chunk, n) != C_OK) {
			fprintf(stderr, "rolegate policy: input larger than %d bytes\n", MAX_INPUT);
			if (f != stdin)
				fclose(f);
			return C_ERR;
		}
	}
	if (f != stdin)
		fclose(f);
	return C_OK;
}

/* The policies of one case, compiled; released by case_free. */
struct one_case {
	struct policy *identity[MAX_POLICIES], *boundaries[MAX_POLICIES], *resource, *session;
	size_t nidentity, nboundaries;
	struct policy *scp_p[MAX_LAYERS][MAX_POLICIES], *rcp_p[MAX_LAYERS][MAX_POLICIES];
	struct policy_layer scp[MAX_LAYERS], rcp[MAX_LAYERS];
	size_t nscp, nrcp;
	struct policy_ctx_entry ctx[MAX_CTX];
	const char **ctx_values[MAX_CTX];
	size_t nctx;
	char principal_account[13];
	char error[POLICY_ERROR_MAX + 128];
};

static void case_free(struct one_case *c)
{
	for (size_t i = 0; i < c->nidentity; i++)
		policy_release(c->identity[i]);
	for (size_t i = 0; i < c->nboundaries; i++)
		policy_release(c->boundaries[i]);
	policy_release(c->resource);
	policy_release(c->session);
	for (size_t l = 0; l < c->nscp; l++)
		for (size_t i = 0; i < c->scp[l].n; i++)
			policy_release(c->scp_p[l][i]);
	for (size_t l = 0; l < c->nrcp; l++)
		for (size_t i = 0; i < c->rcp[l].n; i++)
			policy_release(c->rcp_p[l][i]);
	for (size_t i = 0; i < c->nctx; i++)
		free(c->ctx_values[i]);
}

/* Compiles one policy document (an object, or {"name":..,"policy":{..}}). */
static int compile_one(struct one_case *c, json_t *doc, enum policy_kind kind, const char *where,
                       struct policy **out)
{
	char err[POLICY_ERROR_MAX];
	char *text;
	int rc;

	if (json_is_object(doc) && json_object_get(doc, "policy") && !json_object_get(doc, "Statement"))
		doc = json_object_get(doc, "policy");
	if (!json_is_object(doc)) {
		snprintf(c->error, sizeof(c->error), "%s: a policy must be a JSON object", where);
		return C_ERR;
	}
	text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text) {
		snprintf(c->error, sizeof(c->error), "%s: cannot serialise the policy", where);
		return C_ERR;
	}
	/* Evaluation takes policies as they are: a condition value that does not parse never matches. */
	rc = policy_compile_flags(text, strlen(text), kind, POLICY_LENIENT_VALUES, out, err);
	free(text);
	if (rc != C_OK)
		snprintf(c->error, sizeof(c->error), "%s: MalformedPolicyDocument: %s", where, err);
	return rc;
}

static int compile_list(struct one_case *c, json_t *arr, enum policy_kind kind, const char *field,
                        struct policy **out, size_t *n)
{
	size_t i;
	json_t *doc;
	char where[64];

	*n = 0;
	if (!arr || json_is_null(arr))
		return C_OK;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_POLICIES) {
		snprintf(c->error, sizeof(c->error), "%s must be an array of at most %d policies", field, MAX_POLICIES);
		return C_ERR;
	}
	json_array_foreach(arr, i, doc)
	{
		snprintf(where, sizeof(where), "%s[%zu]", field, i);
		if (compile_one(c, doc, kind, where, &out[*n]) != C_OK)
			return C_ERR;
		(*n)++;
	}
	return C_OK;
}

static int compile_layers(struct one_case *c, json_t *arr, enum policy_kind kind, const char *field,
                          struct policy *pols[MAX_LAYERS][MAX_POLICIES], struct policy_layer *layers, size_t *n)
{
	size_t i;
	json_t *layer;
	char name[64];

	*n = 0;
	if (!arr || json_is_null(arr))
		return C_OK;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_LAYERS) {
		snprintf(c->error, sizeof(c->error), "%s must be an array of at most %d layers", field, MAX_LAYERS);
		return C_ERR;
	}
	json_array_foreach(arr, i, layer)
	{
		json_t *id = json_object_get(layer, "orgIdentifier");
		snprintf(name, sizeof(name), "%s[%zu].policies", field, i);
		layers[i].id = json_is_string(id) ? json_string_value(id) : "";
		layers[i].policies = pols[i];
		layers[i].n = 0;
		(*n)++;
		if (!json_is_object(layer) ||
		    compile_list(c, json_object_get(layer, "policies"), kind, name, pols[i], &layers[i].n) != C_OK) {
			if (!c->error[0])
				snprintf(c->error, sizeof(c->error), "%s[%zu] must be {\"orgIdentifier\":..,\"policies\":[..]}",
				         field, i);
			return C_ERR;
		}
	}
	return C_OK;
}

/* A context value as text: strings as they are, numbers and booleans as JSON writes them. */
static const char *value_text(json_t *v)
{
	static _Thread_local char buf[8][64];
	static _Thread_local int next;
	char *b = buf[next++ % 8];

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_true(v))
		return "true";
	if (json_is_false(v))
		return "false";
	if (json_is_integer(v)) {
		snprintf(b, 64, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return b;
	}
	if (json_is_real(v)) {
		snprintf(b, 64, "%.17g", json_real_value(v));
		return b;
	}
	return NULL;
}

static int read_context(struct one_case *c, json_t *ctx)
{
	const char *key;
	json_t *v;

	if (!ctx || json_is_null(ctx))
		return C_OK;
	if (!json_is_object(ctx) || json_object_size(ctx) > MAX_CTX) {
		snprintf(c->error, sizeof(c->error), "request.context must be an object of at most %d keys", MAX_CTX);
		return C_ERR;
	}
	json_object_foreach(ctx, key, v)
	{
		struct policy_ctx_entry *e = &c->ctx[c->nctx];
		size_t n = json_is_array(v) ? json_array_size(v) : 1, i;
		const char **vals = calloc(n ? n : 1, sizeof(*vals));
		json_t *item;
		if (!vals)
			return C_ERR;
		c->ctx_values[c->nctx++] = vals;
		e->key = key;
		e->values = vals;
		e->nvalues = n;
		e->multi = json_is_array(v);
		if (json_is_array(v)) {
			json_array_foreach(v, i, item)
			{
				if (!json_is_string(item)) {
					snprintf(c->error, sizeof(c->error), "request.context.%s: values must be strings", key);
					return C_ERR;
				}
				vals[i] = json_string_value(item);
			}
		} else if (!(vals[0] = value_text(v))) {
			snprintf(c->error, sizeof(c->error), "request.context.%s: a string or a list of strings", key);
			return C_ERR;
		}
	}
	return C_OK;
}

/* The account of a principal ARN (its fifth field), or "" for a service principal. */
static void principal_account(const char *arn, char out[13])
{
	const char *p = arn;
	int colons = 0;

	out[0] = '\0';
	if (strncmp(arn, "arn:", 4) != 0)
		return;
	while (*p && colons < 4)
		if (*p++ == ':')
			colons++;
	if (colons == 4 && strlen(p) >= 12 && p[12] == ':')
		snprintf(out, 13, "%.12s", p);
}

static bool is_role_arn(const char *arn)
{
	const char *p = arn;
	int colons = 0;

	if (strncmp(arn, "arn:", 4) != 0 || !strstr(arn, ":iam:"))
		return false;
	while (*p && colons < 5)
		if (*p++ == ':')
			colons++;
	return colons == 5 && strncmp(p, "role/", 5) == 0;
}

static const char *source_name(enum policy_source s)
{
	static const char *const names[] = {"identity", "resource", "boundary", "session", "scp", "rcp"};
	return names[s];
}

/* Evaluates one case and prints its line. C_ERR (c->error set) when the case is malformed. */
static int run_case(json_t *tc, struct one_case *c)
{
	json_t *req = json_object_get(tc, "request"), *res, *ex_items;
	const char *action, *resource, *principal, *raccount = NULL;
	bool anonymous = false;
	struct policy_request pr;
	struct policy_set set;
	struct policy_explain ex;
	enum policy_decision d;
	json_t *out;
	char *line;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(tc) || !json_is_object(req)) {
		snprintf(c->error, sizeof(c->error), "a case must be an object with a \"request\" object");
		return C_ERR;
	}
	action = json_string_value(json_object_get(req, "action"));
	principal = json_string_value(json_object_get(req, "principal"));
	/* iam-simulate's anonymous principal: {"type":"Anonymous"} */
	if (!principal && json_is_object(json_object_get(req, "principal")) &&
	    json_string_value(json_object_get(json_object_get(req, "principal"), "type")) &&
	    strcmp(json_string_value(json_object_get(json_object_get(req, "principal"), "type")), "Anonymous") == 0) {
		principal = "";
		anonymous = true;
	}
	res = json_object_get(req, "resource");
	resource = json_string_value(json_is_object(res) ? json_object_get(res, "resource") : res);
	if (json_is_object(res))
		raccount = json_string_value(json_object_get(res, "accountId"));
	if (!action || !strchr(action, ':')) {
		snprintf(c->error, sizeof(c->error), "request.action must be a string \"service:Action\"");
		return C_ERR;
	}
	if (!principal || !resource) {
		snprintf(c->error, sizeof(c->error), "request.principal and request.resource.resource are required");
		return C_ERR;
	}
	if (read_context(c, json_object_get(req, "context")) != C_OK ||
	    compile_list(c, json_object_get(tc, "identityPolicies"), POLICY_IDENTITY, "identityPolicies", c->identity,
	                 &c->nidentity) != C_OK ||
	    compile_list(c, json_object_get(tc, "permissionBoundaries"), POLICY_BOUNDARY, "permissionBoundaries",
	                 c->boundaries, &c->nboundaries) != C_OK ||
	    compile_layers(c, json_object_get(tc, "serviceControlPolicies"), POLICY_SCP, "serviceControlPolicies",
	                   c->scp_p, c->scp, &c->nscp) != C_OK ||
	    compile_layers(c, json_object_get(tc, "resourceControlPolicies"), POLICY_RCP, "resourceControlPolicies",
	                   c->rcp_p, c->rcp, &c->nrcp) != C_OK)
		return C_ERR;
	if (json_object_get(tc, "resourcePolicy") && !json_is_null(json_object_get(tc, "resourcePolicy"))) {
		/* A role's resource policy is its trust policy. */
		enum policy_kind k = is_role_arn(resource) ? POLICY_TRUST : POLICY_RESOURCE;
		if (compile_one(c, json_object_get(tc, "resourcePolicy"), k, "resourcePolicy", &c->resource) != C_OK)
			return C_ERR;
	}
	if (json_object_get(tc, "sessionPolicy") && !json_is_null(json_object_get(tc, "sessionPolicy")) &&
	    compile_one(c, json_object_get(tc, "sessionPolicy"), POLICY_SESSION, "sessionPolicy", &c->session) != C_OK)
		return C_ERR;

	principal_account(principal, c->principal_account);
	memset(&pr, 0, sizeof(pr));
	pr.action = action;
	pr.resource = resource;
	pr.resource_account = raccount;
	pr.principal = principal;
	pr.principal_id = json_string_value(json_object_get(req, "principalId"));
	pr.principal_account = c->principal_account[0] ? c->principal_account : NULL;
	pr.ctx = c->ctx;
	pr.nctx = c->nctx;
	/* A '*' in the action or resource asks about sets, as iam-simulate's wildcard requests do. */
	pr.flags = POLICY_REQ_SETS | (anonymous ? POLICY_REQ_ANONYMOUS : 0);
	if (anonymous) {
		pr.principal = NULL;
		pr.principal_id = NULL;
		pr.principal_account = NULL;
	}
	memset(&set, 0, sizeof(set));
	set.identity = c->identity;
	set.nidentity = c->nidentity;
	set.resource = c->resource;
	set.boundaries = c->boundaries;
	set.nboundaries = c->nboundaries;
	set.session = c->session;
	set.scp = c->scp;
	set.nscp = c->nscp;
	set.rcp = c->rcp;
	set.nrcp = c->nrcp;
	d = policy_evaluate(&pr, &set, &ex);

	ex_items = json_array();
	for (size_t i = 0; i < ex.n; i++)
		json_array_append_new(ex_items, json_pack("{s:s, s:i, s:i, s:s, s:s}", "policyType",
		                                          source_name(ex.items[i].source), "policy", ex.items[i].policy,
		                                          "statement", ex.items[i].statement, "effect",
		                                          ex.items[i].allow ? "Allow" : "Deny", "sid", ex.items[i].sid));
	out = json_pack("{s:s, s:o, s:s}", "result", policy_decision_name(d), "explain", ex_items, "reason",
	                ex.reason ? ex.reason : "");
	if (ex.via_action)
		json_object_set_new(out, "viaAction", json_string(ex.via_action));
	if (ex.via_resource)
		json_object_set_new(out, "viaResource", json_string(ex.via_resource));
	if (ex.undecided)
		json_object_set_new(out, "undecided", json_true());
	line = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (line) {
		puts(line);
		free(line);
	}
	json_decref(out);
	return C_OK;
}

static int eval_main(int argc, char **argv)
{
	struct buf in;
	json_error_t jerr;
	json_t *root, *tc;
	struct one_case *c;
	size_t i;
	int status = 0;

	if (argc > 1 || (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0))) {
		printf("usage: rolegate policy eval [FILE|-]\n");
		return argc > 1 ? 2 : 0;
	}
	buf_init(&in, MAX_INPUT);
	if (read_all(argc ? argv[0] : "-", &in) != C_OK) {
		buf_free(&in);
		return 2;
	}
	root = json_loadb(buf_str(&in), in.len, JSON_REJECT_DUPLICATES, &jerr);
	buf_free(&in);
	if (!root) {
		fprintf(stderr, "rolegate policy eval: line %d column %d: %s\n", jerr.line, jerr.column, jerr.text);
		return 2;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		json_decref(root);
		return 2;
	}
	if (json_is_array(root)) {
		json_array_foreach(root, i, tc)
		{
			if (run_case(tc, c) != C_OK) {
				fprintf(stderr, "rolegate policy eval: case %zu: %s\n", i, c->error);
				printf("{\"result\":\"Error\",\"error\":\"case %zu is malformed\"}\n", i);
				status = 2;
			}
			case_free(c);
		}
	} else if (run_case(root, c) != C_OK) {
		fprintf(stderr, "rolegate policy eval: %s\n", c->error);
		status = 2;
		case_free(c);
	} else {
		case_free(c);
	}
	free(c);
	json_decref(root);
	fflush(stdout);
	return status;
}

/* Appends ,"warnings":[{"code":..,"statement":N,"message":..}] to the validate line when the document has any
 * (policy_lint: valid, but probably not what was meant); nothing otherwise. */
static void print_warnings(const char *doc, size_t len, enum policy_kind kind)
{
	struct policy_finding f[POLICY_FINDINGS_MAX];
	size_t n = policy_lint(doc, len, kind, f, POLICY_FINDINGS_MAX);
	json_t *arr = json_array();
	char *text;

	for (size_t i = 0; arr && i < n; i++)
		if (f[i].severity == POLICY_FINDING_WARNING)
			json_array_append_new(arr, json_pack("{s:s, s:i, s:s}", "code", f[i].code, "statement", f[i].statement,
			                                     "message", f[i].message));
	if (json_array_size(arr) > 0 && (text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
		printf(",\"warnings\":%s", text);
		free(text);
	}
	json_decref(arr);
}

static int validate_main(int argc, char **argv)
{
	const char *file = NULL, *kind_name = NULL, *quota;
	struct buf in;
	struct policy *p = NULL;
	char err[POLICY_ERROR_MAX];
	size_t chars = 0;
	int kind, limit, rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc)
			kind_name = argv[++i];
		else if (strncmp(argv[i], "--kind=", 7) == 0)
			kind_name = argv[i] + 7;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: rolegate policy validate FILE --kind identity|trust|resource|boundary|session|scp|rcp\n");
			return 0;
		} else if (!file)
			file = argv[i];
		else {
			fprintf(stderr, "rolegate policy validate: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!file || !kind_name || (kind = policy_kind_parse(kind_name)) < 0) {
		fprintf(stderr, "usage: rolegate policy validate FILE --kind identity|trust|resource|boundary|session|scp|rcp\n");
		return 2;
	}
	buf_init(&in, 1024 * 1024);
	if (read_all(file, &in) != C_OK) {
		buf_free(&in);
		return 2;
	}
	for (size_t i = 0; i < in.len; i++)
		if (!(in.p[i] == ' ' || in.p[i] == '\t' || in.p[i] == '\n' || in.p[i] == '\r'))
			chars++;
	limit = policy_kind_size_limit((enum policy_kind)kind, &quota);
	rc = policy_compile(buf_str(&in), in.len, (enum policy_kind)kind, &p, err);
	if (rc != C_OK) {
		json_t *o = json_pack("{s:b, s:s, s:s}", "valid", 0, "kind", kind_name, "error", "");
		char msg[POLICY_ERROR_MAX + 32], *line;
		buf_free(&in);
		snprintf(msg, sizeof(msg), "MalformedPolicyDocument: %s", err);
		json_object_set_new(o, "error", json_string(msg));
		line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(line ? line : "{\"valid\":false}");
		free(line);
		json_decref(o);
		return 1;
	}
	if ((int)chars > limit) {
		buf_free(&in);
		printf("{\"valid\":false,\"kind\":\"%s\",\"error\":\"LimitExceeded: Cannot exceed quota for %s: %d\"}\n",
		       kind_name, quota, limit);
		policy_release(p);
		return 1;
	}
	printf("{\"valid\":true,\"kind\":\"%s\",\"statements\":%zu,\"size\":%zu,\"limit\":%d", kind_name,
	       policy_statement_count(p), chars, limit);
	print_warnings(buf_str(&in), in.len, (enum policy_kind)kind);
	printf("}\n");
	buf_free(&in);
	policy_release(p);
	return 0;
}

int policy_main(int argc, char **argv)
{
	int rc;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		printf("usage: rolegate policy eval [FILE|-]\n"
		       "       rolegate policy validate FILE --kind identity|trust|resource|boundary|session|scp|rcp\n"
		       "       rolegate policy generate --principal ARN [--since TIME] [--account ID] [--trust]\n"
		       "                                [--data DIR | --postgres CONNINFO]\n");
		return argc < 1 ? 2 : 0;
	}
	if (crypto_init() != C_OK) {
		fprintf(stderr, "rolegate policy: cannot initialise the crypto library\n");
		return 2;
	}
	if (strcmp(argv[0], "eval") == 0)
		rc = eval_main(argc - 1, argv + 1);
	else if (strcmp(argv[0], "validate") == 0)
		rc = validate_main(argc - 1, argv + 1);
	else if (strcmp(argv[0], "generate") == 0)
		rc = generate_main(argc - 1, argv + 1);
	else {
		fprintf(stderr, "rolegate policy: unknown command '%s' (eval, validate or generate)\n", argv[0]);
		rc = 2;
	}
	crypto_cleanup();
	return rc;
}
