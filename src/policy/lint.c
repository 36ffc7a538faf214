/*
 * lint.c - policy_lint(): the engine's validation of a document, then warnings about valid but questionable
 * statements (lint.h). The warnings read the document with jansson; policy_compile() has already refused anything
 * malformed, so only well-formed documents are walked.
 */
#include "policy/lint.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/common.h"

int policy_kind_size_limit(enum policy_kind kind, const char **quota)
{
	switch (kind) {
	case POLICY_TRUST: *quota = "ACLSizePerRole"; return 2048;
	case POLICY_SESSION: *quota = "PackedPolicySize"; return 2048;
	case POLICY_SCP:
	case POLICY_RCP: *quota = "PolicySize"; return 5120;
	case POLICY_RESOURCE: *quota = "PolicySize"; return 20480;
	default: *quota = "PolicySize"; return 6144;
	}
}

struct lint {
	struct policy_finding *out;
	size_t max, n;
};

__attribute__((format(printf, 5, 6))) static void add(struct lint *l, enum policy_severity sev, const char *code,
                                                      int statement, const char *fmt, ...)
{
	struct policy_finding *f;
	va_list ap;

	if (l->n >= l->max)
		return;
	f = &l->out[l->n++];
	f->severity = sev;
	f->statement = statement;
	snprintf(f->code, sizeof(f->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

/* Whether a statement's element (a string or an array of strings) holds a value for which match(value) holds. */
static bool any_value(json_t *v, bool (*match)(const char *))
{
	size_t i;
	json_t *e;

	if (json_is_string(v))
		return match(json_string_value(v));
	json_array_foreach(v, i, e)
		if (json_is_string(e) && match(json_string_value(e)))
			return true;
	return false;
}

static bool is_star(const char *s)
{
	return strcmp(s, "*") == 0 || strcmp(s, "*:*") == 0;
}

/* Whether an action pattern covers iam:PassRole ("iam:PassRole", "iam:*", "iam:Pass*", "*"...). */
static bool covers_passrole(const char *s)
{
	static const char action[] = "iam:passrole";
	size_t n = strlen(s);

	if (is_star(s))
		return true;
	if (n > 0 && s[n - 1] == '*')
		return n - 1 <= sizeof(action) - 1 && strncasecmp(s, action, n - 1) == 0;
	return strcasecmp(s, action) == 0;
}

/* Whether a Principal element names everyone: "*", or "*" among its "AWS" values. */
static bool principal_everyone(json_t *principal)
{
	if (json_is_string(principal))
		return strcmp(json_string_value(principal), "*") == 0;
	return any_value(json_object_get(principal, "AWS"), is_star);
}

/* The warnings about what a statement allows apply to policies that grant (identity and resource-based ones); in
 * SCPs, RCPs, permissions boundaries and session policies an Allow only sets a limit ("FullAWSAccess" is the
 * usual SCP). */
static void lint_statement(struct lint *l, json_t *st, int i, bool variables_replaced, bool grants)
{
	const char *effect = json_string_value(json_object_get(st, "Effect")), *sid;
	json_t *action = json_object_get(st, "Action"), *resource = json_object_get(st, "Resource");
	char label[96];
	bool allow = effect && strcmp(effect, "Allow") == 0, grant = allow && grants;

	sid = json_string_value(json_object_get(st, "Sid"));
	if (sid && *sid)
		snprintf(label, sizeof(label), "Statement %d (%.64s)", i + 1, sid);
	else
		snprintf(label, sizeof(label), "Statement %d", i + 1);
	if (grant && json_object_get(st, "NotAction"))
		add(l, POLICY_FINDING_WARNING, "AllowWithNotAction", i,
		    "%s: Allow with NotAction allows every action not listed, including the actions of every other service.",
		    label);
	if (grant && json_object_get(st, "NotResource"))
		add(l, POLICY_FINDING_WARNING, "AllowWithNotResource", i,
		    "%s: Allow with NotResource allows the actions on every resource not listed.", label);
	if (grant && action && resource && any_value(action, is_star) && any_value(resource, is_star))
		add(l, POLICY_FINDING_WARNING, "FullAccess", i,
		    "%s: allows every action on every resource (full administrator access).", label);
	else if (grant && action && resource && any_value(action, covers_passrole) && any_value(resource, is_star))
		add(l, POLICY_FINDING_WARNING, "PassRoleWithStarInResource", i,
		    "%s: iam:PassRole on Resource \"*\" lets the holder pass every role of the account to a service; "
		    "name the roles.",
		    label);
	if (allow && principal_everyone(json_object_get(st, "Principal")) && !json_object_get(st, "Condition"))
		add(l, POLICY_FINDING_WARNING, "PrincipalEveryone", i,
		    "%s: Principal \"*\" without a Condition allows every AWS account's principals, anonymous ones "
		    "included where the service allows them.",
		    label);
	if (!variables_replaced) {
		char *text = json_dumps(st, JSON_COMPACT);
		if (text && strstr(text, "${"))
			add(l, POLICY_FINDING_WARNING, "PolicyVariableNotReplaced", i,
			    "%s: policy variables such as ${aws:username} are replaced only in policies of Version "
			    "\"2012-10-17\"; here they are taken literally.",
			    label);
		free(text);
	}
}

size_t policy_lint(const char *doc, size_t len, enum policy_kind kind, struct policy_finding *out, size_t max)
{
	struct lint l = {out, max, 0};
	char err[POLICY_ERROR_MAX];
	struct policy *p = NULL;
	const char *quota, *version;
	json_t *root, *stmts;
	size_t chars = 0, i;
	bool v2012, grants;
	int limit;

	if (policy_compile(doc, len, kind, &p, err) != C_OK) {
		add(&l, POLICY_FINDING_ERROR, "MalformedPolicyDocument", -1, "%s", err);
		return l.n;
	}
	policy_release(p);
	for (i = 0; i < len; i++)
		if (!(doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r'))
			chars++;
	limit = policy_kind_size_limit(kind, &quota);
	if ((int)chars > limit)
		add(&l, POLICY_FINDING_ERROR, "LimitExceeded", -1, "Cannot exceed quota for %s: %d", quota, limit);
	root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return l.n;
	}
	version = json_string_value(json_object_get(root, "Version"));
	if (!version)
		add(&l, POLICY_FINDING_WARNING, "MissingVersion", -1,
		    "The policy has no Version: it is read as Version \"2008-10-17\", which does not replace policy "
		    "variables. Add \"Version\": \"2012-10-17\".");
	v2012 = version && strcmp(version, "2012-10-17") == 0;
	grants = kind == POLICY_IDENTITY || kind == POLICY_RESOURCE;
	stmts = json_object_get(root, "Statement");
	if (json_is_object(stmts))
		lint_statement(&l, stmts, 0, v2012, grants);
	else
		for (i = 0; i < json_array_size(stmts) && i < 1000; i++)
			lint_statement(&l, json_array_get(stmts, i), (int)i, v2012, grants);
	json_decref(root);
	return l.n;
}
