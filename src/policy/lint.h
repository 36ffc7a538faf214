/*
 * lint.h - a policy checked as a person reads it: the engine's validation (policy_compile's error, AWS's size quota)
 * and warnings about documents that are valid but probably not what their author meant, in the spirit of IAM Access
 * Analyzer's policy checks (Allow with NotAction, iam:PassRole on every role, Principal "*" without a condition,
 * policy variables in a version that does not replace them...). The console's policy pages and `rolegate policy
 * validate` show them.
 */
#ifndef ROLEGATE_POLICY_LINT_H
#define ROLEGATE_POLICY_LINT_H

#include <stddef.h>

#include "policy/policy.h"

#define POLICY_FINDINGS_MAX 16

enum policy_severity { POLICY_FINDING_ERROR, POLICY_FINDING_WARNING };

/* One finding: an error (the policy would be refused) or a warning (accepted, but questionable). */
struct policy_finding {
	enum policy_severity severity;
	char code[48];       /* "MalformedPolicyDocument", "LimitExceeded", "AllowWithNotAction", ... */
	int statement;       /* 0-based index of the statement it is about, or -1 for the whole document */
	char message[POLICY_ERROR_MAX + 64];
};

/* AWS's size quota of a kind of policy (characters, whitespace not counted), and its quota name in *quota. */
int policy_kind_size_limit(enum policy_kind kind, const char **quota);

/*
 * Checks doc (len bytes) as a policy of kind: at most max findings into out, errors first; returns how many.
 * A document that does not compile yields its one error and no warnings. Allocates only while it runs.
 */
size_t policy_lint(const char *doc, size_t len, enum policy_kind kind, struct policy_finding *out, size_t max);

#endif
