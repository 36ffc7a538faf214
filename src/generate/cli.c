/*
 * cli.c - `rolegate policy generate`: a least-privilege policy from the audit trail.
 *
 *   rolegate policy generate --principal ARN [--since TIME] [--account ID] [--trust]
 *                            [--data DIR | --postgres CONNINFO]
 *
 * Identity policy (default): the calls of ARN (a user; a role's ARN: every session of the role) that were granted,
 * or that soft mode let through although the policies would have refused them (enforcement 'soft-denied'); never
 * the other failures. --account ID keeps the calls on resources of account ID (a call on no resource counts as the
 * caller's account's). The rules of the document are generate.h's. The document is printed as JSON; when it is
 * over IAM's size limit for a managed policy (6144 characters without whitespace), it is split into several,
 * printed one after the other, and stderr says so.
 *
 * --trust (ARN a role): the trust policy from the successful sts:AssumeRole calls on the role: who assumed it (a
 * role's session names its role, path included when the role still exists) and the conditions they carried.
 *
 * Exit status: 0 printed; 1 nothing recorded to generate from, or the trail cannot be read; 2 usage.
 */
#include "generate/cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate/generate.h"
#include "policy/lint.h"
#include "policy/policy.h"
#include "server/audit_read.h"
#include "store/iam_store.h"
#include "util/common.h"

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate policy generate --principal ARN [--since TIME] [--account ID] [--trust]\n"
	        "                                [--data DIR | --postgres CONNINFO]\n"
	        "An identity policy from ARN's granted (and soft-denied) calls in the audit trail; --trust: the trust\n"
	        "policy of the role ARN from who assumed it. TIME: ISO 8601, a date or a duration back (7d).\n");
	return status;
}

/* The account field of an ARN (arn:PART:SVC:REGION:ACCOUNT:...) into out, "" when there is none. */
static void arn_account(const char *arn, char out[16])
{
	const char *p = arn;
	int colons = 0;
	size_t n = 0;

	out[0] = '\0';
	if (strncmp(arn, "arn:", 4) != 0)
		return;
	while (*p && colons < 4)
		if (*p++ == ':')
			colons++;
	while (p[n] && p[n] != ':' && n < 15)
		n++;
	if (p[n] == ':') {
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

struct identity_walk {
	struct gen *g;
	const char *account;
	int rc;
};

static int on_call(const struct audit_row *row, void *arg)
{
	struct identity_walk *w = arg;
	const char *res = row->f[AUDIT_F_RESOURCE];
	bool mfa;

	if (w->account) {
		char acct[16];
		arn_account(res, acct);
		if (strcmp(acct[0] ? acct : row->f[AUDIT_F_ACCOUNT], w->account) != 0)
			return 0;
	}
	/* the detail is written with JSON_COMPACT: a top-level "MFAUsed":true (STS's own calls) or
	 * "MFAAuthenticated":true (any other call of a session issued with MFA) is the flag itself; inside a string
	 * value a quote is escaped, so neither can be spelled by a request's parameters */
	mfa = strstr(row->f[AUDIT_F_DETAIL], "\"MFAUsed\":true") || strstr(row->f[AUDIT_F_DETAIL], "\"MFAAuthenticated\":true");
	if (gen_add_call(w->g, row->f[AUDIT_F_ACTION], res, mfa) != C_OK)
		return w->rc = C_ERR;
	return 0;
}

struct assumption {
	char *caller, *external_id;
	bool mfa, tags, source;
};

struct trust_walk {
	struct assumption *v;
	size_t n, cap;
	const char *account;
	int rc;
};

static int on_assume(const struct audit_row *row, void *arg)
{
	struct trust_walk *w = arg;
	json_t *d;
	const char *ext;
	struct assumption *a;

	if (w->account && strcmp(row->f[AUDIT_F_ACCOUNT], w->account) != 0)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct assumption *grown = realloc(w->v, cap * sizeof(*grown));
		if (!grown)
			return w->rc = C_ERR;
		w->v = grown;
		w->cap = cap;
	}
	a = &w->v[w->n];
	memset(a, 0, sizeof(*a));
	d = json_loads(row->f[AUDIT_F_DETAIL], 0, NULL);
	ext = json_string_value(json_object_get(d, "ExternalId"));
	a->mfa = json_is_true(json_object_get(d, "MFAUsed"));
	a->tags = json_array_size(json_object_get(d, "Tags")) > 0 || json_array_size(json_object_get(d, "TransitiveTagKeys"));
	a->source = json_string_value(json_object_get(d, "SourceIdentity")) != NULL;
	a->caller = strdup(row->f[AUDIT_F_PRINCIPAL]);
	a->external_id = ext ? strdup(ext) : NULL;
	json_decref(d);
	if (!a->caller || (ext && !a->external_id)) {
		free(a->caller);
		free(a->external_id);
		return w->rc = C_ERR;
	}
	w->n++;
	return 0;
}

/* The trust-policy principal of a caller: a user or root as it is; a role's session
 * (arn:PART:sts::ACCT:assumed-role/NAME/SESSION) its role, with the role's path when tx finds it. "" when the
 * caller cannot be named in a trust policy's "AWS" (it is left out). */
static void trust_principal(struct db_tx *tx, const char *caller, char *out, size_t cap)
{
	const char *sts = strstr(caller, ":sts::"), *acct, *colon, *name, *slash;
	char account[16], role[128];
	struct store_role r = {0};

	out[0] = '\0';
	if (strncmp(caller, "arn:", 4) != 0)
		return;
	if (strstr(caller, ":iam::") && (strstr(caller, ":user/") || strstr(caller, ":root"))) {
		snprintf(out, cap, "%s", caller);
		return;
	}
	if (!sts || !(colon = strchr(acct = sts + 6, ':')) || strncmp(colon, ":assumed-role/", 14) != 0)
		return;
	name = colon + 14;
	if (!(slash = strchr(name, '/')) || (size_t)(colon - acct) >= sizeof(account) ||
	    (size_t)(slash - name) >= sizeof(role))
		return;
	snprintf(account, sizeof(account), "%.*s", (int)(colon - acct), acct);
	snprintf(role, sizeof(role), "%.*s", (int)(slash - name), name);
	if (tx && store_role_get(tx, account, role, &r) == C_OK) {
		snprintf(out, cap, "%.*s:iam::%s:role%s%s", (int)(sts - caller), caller, account, r.path, r.name);
		store_role_clear(&r);
		return;
	}
	snprintf(out, cap, "%.*s:iam::%s:role/%s", (int)(sts - caller), caller, account, role);
}

static void print_doc(const json_t *doc)
{
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
}

/* Prints the identity policy (split when over the managed-policy limit). */
static int print_identity(struct gen *g)
{
	const char *quota;
	size_t limit = (size_t)policy_kind_size_limit(POLICY_IDENTITY, &quota);
	json_t *doc = gen_identity_policy(g), *docs = NULL, *d;
	size_t size, i;

	if (!doc)
		return C_ERR;
	size = gen_policy_size(doc);
	if (size <= limit) {
		print_doc(doc);
		json_decref(doc);
		return C_OK;
	}
	if (!(docs = gen_split(doc, limit))) {
		fprintf(stderr, "rolegate policy generate: the policy is %zu characters, over IAM's %zu, and cannot be "
		                "split\n", size, limit);
		json_decref(doc);
		return C_ERR;
	}
	fprintf(stderr, "rolegate policy generate: the policy is %zu characters, over IAM's limit of %zu for a managed "
	                "policy (%s): split into %zu policies\n", size, limit, quota, json_array_size(docs));
	json_array_foreach(docs, i, d) print_doc(d);
	json_decref(docs);
	json_decref(doc);
	return C_OK;
}

static int run_trust(struct audit_trail *t, struct audit_query *q, const char *account, struct gen *g)
{
	struct trust_walk w = {.account = account};
	struct db_tx *tx = NULL;
	char principal[2048];
	int rc;

	q->action = "sts:AssumeRole";
	rc = audit_trail_read(t, q, on_assume, &w);
	if (rc == C_OK && w.rc != C_OK)
		rc = C_ERR;
	if (rc == C_OK && db_begin(t->db[0], false, &tx) != C_OK)
		tx = NULL;
	for (size_t i = 0; i < w.n; i++) {
		trust_principal(tx, w.v[i].caller, principal, sizeof(principal));
		if (rc == C_OK && principal[0] &&
		    gen_add_assumer(g, principal, w.v[i].mfa, w.v[i].external_id, w.v[i].tags, w.v[i].source) != C_OK)
			rc = C_ERR;
		free(w.v[i].caller);
		free(w.v[i].external_id);
	}
	if (tx)
		db_rollback(tx);
	free(w.v);
	return rc;
}

int generate_main(int argc, char **argv)
{
	const char *dir = "./data", *pg = NULL, *principal = NULL, *account = NULL;
	struct audit_query q = {.granted = true};
	struct audit_trail trail;
	struct gen *g = NULL;
	char prefix[512];
	bool trust = false;
	int status = 1, rc;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return usage(0);
		if (strcmp(a, "--trust") == 0) {
			trust = true;
			continue;
		}
		if (!v)
			return usage(2);
		if (strcmp(a, "--principal") == 0)
			principal = v;
		else if (strcmp(a, "--account") == 0)
			account = v;
		else if (strcmp(a, "--data") == 0)
			dir = v;
		else if (strcmp(a, "--postgres") == 0)
			pg = v;
		else if (strcmp(a, "--since") == 0) {
			if (audit_parse_time(v, &q.since_ms) != C_OK) {
				fprintf(stderr, "rolegate policy generate: --since %s: not a time (ISO 8601), date or duration "
				                "(7d...)\n", v);
				return 2;
			}
		} else
			return usage(2);
		i++;
	}
	if (!principal)
		return usage(2);
	if (account && (strlen(account) != 12 || strspn(account, "0123456789") != 12)) {
		fprintf(stderr, "rolegate policy generate: --account %s: not a 12-digit account id\n", account);
		return 2;
	}
	if (strncmp(principal, "arn:", 4) != 0 || audit_principal_filter(principal, &q, prefix, sizeof(prefix)) != C_OK) {
		fprintf(stderr, "rolegate policy generate: --principal %s: not an IAM user or role ARN\n", principal);
		return 2;
	}
	if (trust && !q.principal_prefix) {
		fprintf(stderr, "rolegate policy generate: --trust: %s is not a role's ARN\n", principal);
		return 2;
	}
	if (audit_trail_open(&trail, "policy generate", dir, pg) != C_OK)
		return 1;
	if (!(g = gen_new()))
		goto out;
	if (trust) {
		q.principal = q.principal_prefix = NULL;
		q.resource = principal;
		rc = run_trust(&trail, &q, account, g);
	} else {
		struct identity_walk w = {.g = g, .account = account};
		rc = audit_trail_read(&trail, &q, on_call, &w);
		if (rc == C_OK && w.rc != C_OK)
			rc = C_ERR;
	}
	if (rc != C_OK) {
		fprintf(stderr, "rolegate policy generate: cannot read the audit trail\n");
		goto out;
	}
	if (gen_count(g, trust) == 0) {
		fprintf(stderr, "rolegate policy generate: %s: no %s in the audit trail to generate a policy from\n",
		        principal, trust ? "sts:AssumeRole granted on it" : "granted call");
		goto out;
	}
	if (trust) {
		const char *quota;
		json_t *doc = gen_trust_policy(g);
		size_t limit = (size_t)policy_kind_size_limit(POLICY_TRUST, &quota);
		if (!doc)
			goto out;
		if (gen_policy_size(doc) > limit)
			fprintf(stderr, "rolegate policy generate: the trust policy is %zu characters, over IAM's %s of %zu\n",
			        gen_policy_size(doc), quota, limit);
		print_doc(doc);
		json_decref(doc);
	} else if (print_identity(g) != C_OK) {
		goto out;
	}
	status = 0;
out:
	gen_free(g);
	audit_trail_close(&trail);
	return status;
}
