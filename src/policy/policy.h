/*
 * policy.h - the IAM policy language and AWS's evaluation logic: one engine for every decision rolegate makes.
 *
 * Life of a policy:
 *   policy_compile()   JSON text -> validated, immutable struct policy (cached by document hash; reference counted)
 *   policy_evaluate()  request + the policies that apply to it -> Allowed / ExplicitlyDenied / ImplicitlyDenied,
 *                      and which statements decided it. Evaluation allocates nothing.
 *
 * The logic is AWS's "Policy evaluation logic" (docs.aws.amazon.com/IAM/latest/UserGuide/
 * reference_policies_evaluation-logic.html): an explicit deny anywhere wins; every SCP / RCP layer must allow;
 * same-account access needs an allow in an identity policy or the resource policy; cross-account access needs
 * both; permissions boundaries and session policies limit identity-based grants; a role trust policy must
 * explicitly allow the principal.
 */
#ifndef ROLEGATE_POLICY_H
#define ROLEGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a policy is for: validation rules and size limits differ per kind. */
enum policy_kind {
	POLICY_IDENTITY, /* attached to a user, group or role (inline or managed): no Principal */
	POLICY_TRUST,    /* a role's AssumeRolePolicyDocument: Principal required, no Resource */
	POLICY_RESOURCE, /* a resource-based policy: Principal required */
	POLICY_BOUNDARY, /* a permissions boundary: an identity policy used as a limit */
	POLICY_SESSION,  /* a session policy passed to AssumeRole */
	POLICY_SCP,      /* a service control policy */
	POLICY_RCP,      /* a resource control policy */
};

/* Parses "identity", "trust", "resource", "boundary", "session", "scp", "rcp". -1 when unknown. */
int policy_kind_parse(const char *name);
const char *policy_kind_name(enum policy_kind kind);

struct policy;

#define POLICY_ERROR_MAX 512

/*
 * Compiles a policy document of the given kind. On C_OK *out is a reference the caller owns (policy_release).
 * On C_ERR, error holds AWS's MalformedPolicyDocument message ("Syntax errors in policy.", "Policy document
 * should not specify a principal.", ...). Identical documents share one compiled policy.
 */
int policy_compile(const char *doc, size_t len, enum policy_kind kind, struct policy **out,
                   char error[POLICY_ERROR_MAX]);
/* Flags of policy_compile_flags(). */
#define POLICY_LENIENT_VALUES 1 /* accept condition values that do not parse (they never match) instead of refusing
                                 * the policy: what an evaluation of policies written elsewhere needs */

/* policy_compile() with flags. */
int policy_compile_flags(const char *doc, size_t len, enum policy_kind kind, unsigned flags, struct policy **out,
                         char error[POLICY_ERROR_MAX]);
/* Takes another reference. */
struct policy *policy_ref(struct policy *p);
/* Drops a reference; the last one frees the policy. NULL is fine. */
void policy_release(struct policy *p);
/* Drops the cache's references to compiled policies (at exit; policies still held are freed by their last
 * release). */
void policy_cache_clear(void);
/* How many compiled policies the cache keeps, and their size in bytes (at most 32 MiB, least recently used first
 * out). */
void policy_cache_stats(size_t *entries, size_t *bytes);
/* How many compilations the cache answered (hits) and how many it could not (misses) since the start. */
void policy_cache_counts(uint64_t *hits, uint64_t *misses);
size_t policy_statement_count(const struct policy *p);
/* Whether s (len bytes) is an IAM user's or role's unique id (AIDA... / AROA..., 21 characters), which a
 * Principal's "AWS" may name: it matches that user, or the sessions of that role, by identity (see policy_request's
 * principal_id). */
bool policy_is_principal_id(const char *s, size_t len);

/* ---- the request ---------------------------------------------------------------------------------------------- */

/* One context key and its value(s). A key given as a list is multi-valued even with one element. */
struct policy_ctx_entry {
	const char *key; /* e.g. "aws:username"; compared without regard to case */
	const char *const *values;
	size_t nvalues;
	bool multi;
};

/* Flags of policy_request. */
#define POLICY_REQ_SETS 1u /* a '*' in the action or the resource stands for every matching one: the question is
                            * "could some matching action on some matching resource be allowed" (an Allow applies
                            * when its patterns meet the request's, a Deny when they cover all of it; then each
                            * allowing pattern narrows the request and is decided again, as iam-simulate does).
                            * The answer names the patterns that made it so (policy_explain's via_*). */
#define POLICY_REQ_ANONYMOUS 2u /* an unsigned request: no principal (principal, principal_account, principal_id
                                 * are ignored). Only a resource policy can allow it, by Principal "*" or
                                 * {"AWS":"*"}; identity policies, boundaries, sessions and SCPs do not apply; the
                                 * aws:Principal* and aws:userid / aws:username context keys are absent. */

struct policy_request {
	const char *action;            /* "iam:CreateRole" */
	const char *resource;          /* an ARN, or "*" */
	const char *resource_account;  /* 12 digits, "aws", or NULL when unknown */
	const char *principal;         /* the caller's ARN (user, assumed-role session, root, role), or a service name */
	const char *principal_account; /* NULL for a service principal */
	const char *principal_id;      /* the caller's unique id: AIDA... for a user, its role's AROA... for a role
	                                * session; NULL for root, a service, or when unknown (matches no unique id) */
	const struct policy_ctx_entry *ctx;
	size_t nctx;
	unsigned flags; /* POLICY_REQ_* */
};

/* One layer of SCPs or RCPs (the root, an OU, the account): at least one of its policies must allow. */
struct policy_layer {
	struct policy *const *policies;
	size_t n;
	const char *id;
};

/* The policies that apply to a request. Absent parts are NULL / 0. */
struct policy_set {
	struct policy *const *identity; /* the principal's identity policies (user + groups, or role) */
	size_t nidentity;
	struct policy *resource; /* the resource's policy (a trust policy for sts:AssumeRole) */
	struct policy *const *boundaries; /* a permissions boundary applies when nboundaries > 0 */
	size_t nboundaries;
	struct policy *session; /* the session policy of an assumed-role or federated-user session */
	/* A session whose permissions exist only through a session policy (a federated user, GetFederationToken: "if
	 * you do not pass a policy, then the resulting federated user session has no permissions"): without `session`,
	 * the session policy allows nothing (a same-account resource policy naming the session's own ARN still grants
	 * what it allows, as it does beside a session policy). */
	bool session_required;
	const struct policy_layer *scp; /* one entry per level, root first */
	size_t nscp;
	const struct policy_layer *rcp;
	size_t nrcp;
};

enum policy_decision {
	POLICY_ALLOWED,
	POLICY_EXPLICIT_DENY,
	POLICY_IMPLICIT_DENY,
};

const char *policy_decision_name(enum policy_decision d); /* "Allowed", "ExplicitlyDenied", "ImplicitlyDenied" */

/* Where a deciding statement lives. */
enum policy_source { SRC_IDENTITY, SRC_RESOURCE, SRC_BOUNDARY, SRC_SESSION, SRC_SCP, SRC_RCP };

#define POLICY_EXPLAIN_MAX 16

struct policy_explain_item {
	enum policy_source source;
	int policy;    /* index within its list (layer-major for SCP/RCP: layer * 1000 + index) */
	int statement; /* index within the policy */
	bool allow;
	char sid[64];
};

/* Why: the statements that decided (the denies for a deny; the allows for an allow), and for an implicit deny
 * which kind of policy failed to allow, as AWS words it in AccessDenied messages: "no identity-based policy"
 * (... allows the ACTION action), "no permissions boundary", "no session policy", "no service control policy"... */
struct policy_explain {
	struct policy_explain_item items[POLICY_EXPLAIN_MAX];
	size_t n;
	bool incomplete; /* more statements decided than items holds (the decision itself is whole) */
	const char *reason; /* static text */
	/* POLICY_REQ_SETS: the Action and Resource patterns (as written) of the allowing statement that narrowed the
	 * request to the part that is allowed (NULL: not narrowed on that side); undecided: a pattern question went
	 * past globset.h's bounds and was answered the closed way (an Allow not applying, a Deny applying). */
	const char *via_action, *via_resource;
	bool undecided;
};

/* ---- the reasoning of a decision (trace.c) ----------------------------------------------------------------------
 *
 * policy_explain names the statements that decided; a trace is the whole reasoning, asked for only once a request
 * is denied (policy_trace walks every statement again, so policy_evaluate stays as fast when nobody asks): which
 * kinds of policy were consulted and, for every statement, whether it applied and if not the first element that
 * did not (its action, resource, principal, or a condition: its operator, key and values beside the request's).
 * Bounded: a statement past POLICY_TRACE_MAX is counted, not kept (truncated). A trace never decides anything. */
#define POLICY_TRACE_MAX 128
#define POLICY_TRACE_VALUES 8

enum policy_miss {
	POLICY_MISS_NONE,      /* the statement applies */
	POLICY_MISS_ACTION,    /* its Action / NotAction does not name the action */
	POLICY_MISS_RESOURCE,  /* its Resource / NotResource does not cover the resource */
	POLICY_MISS_PRINCIPAL, /* (resource policies) its Principal / NotPrincipal does not name the caller */
	POLICY_MISS_CONDITION, /* a condition does not hold (cond_* below) */
};

struct policy_trace_item {
	enum policy_source source;
	int policy;    /* index within its list, as policy_explain_item's (SCP/RCP: layer * 1000 + index) */
	int statement; /* index within the policy */
	bool allow;
	const char *sid; /* as written, "" when none; valid while the set's policies are held, like every pointer here */
	enum policy_miss miss;
	/* POLICY_MISS_PRINCIPAL (POLICY_MISS_NONE of a resource policy): matched through the caller's account only */
	bool account_only;
	/* POLICY_MISS_CONDITION: the operator and key as written, the policy's values (the first POLICY_TRACE_VALUES
	 * of ncond_values), and the request's entry for the key (NULL: the request has no such key) */
	const char *cond_op, *cond_key;
	const char *cond_values[POLICY_TRACE_VALUES];
	size_t ncond_values;
	const struct policy_ctx_entry *request_value;
};

struct policy_trace {
	struct policy_trace_item items[POLICY_TRACE_MAX];
	size_t n;
	size_t total;   /* statements walked (more than n: truncated) */
	bool truncated;
};

/* Walks every statement of set for req (a plain request: POLICY_REQ_SETS is not traced) into out. Allocates
 * nothing; out's pointers are valid while set's policies (and req's context) are held. */
void policy_trace(const struct policy_request *req, const struct policy_set *set, struct policy_trace *out);
/* Statement `index` of p as written, in the shape of sts:DecodeAuthorizationMessage's matchedStatements items
 * ({"statementId","effect","principals","principalGroups","actions","resources","conditions"}, each list as
 * {"items":[{"value":...}]}). A new reference, or NULL (no such statement, or no memory). */
struct json_t;
struct json_t *policy_statement_items(const struct policy *p, size_t index);

/* Whether an action is allowed to everyone whatever the policies say (sts:GetCallerIdentity, as on AWS). */
bool policy_action_needs_no_permission(const char *action);

/* Evaluates req against set. ex may be NULL. */
enum policy_decision policy_evaluate(const struct policy_request *req, const struct policy_set *set,
                                     struct policy_explain *ex);

/*
 * The policy simulator's MissingContextValues: the condition keys (as written) that the statements of set applying
 * to req's action and resource test and req's context lacks, each once (without regard to case). Writes at most max
 * pointers into keys (valid while set's policies are held) and returns how many.
 */
size_t policy_missing_context_keys(const struct policy_request *req, const struct policy_set *set, const char **keys,
                                   size_t max);

/*
 * Whether value is a value of the simulator's ContextKeyType type (with or without "List"), read as the condition
 * operators read a request's values: numeric a decimal number, boolean true or false (any case), ip an IPv4 or IPv6
 * address, binary base64, date ISO 8601 or epoch seconds; string anything. false for a type of no such name.
 */
bool policy_context_value_valid(const char *type, const char *value);

/* The condition keys (as written) that p's statements test, appended to keys[*n..max) once each (without regard to
 * case): GetContextKeysFor*Policy. The pointers are valid while p is held. */
void policy_condition_keys(const struct policy *p, const char **keys, size_t max, size_t *n);

/* A place in a policy document as the IAM policy simulator reports it: 1-based line, and the column just past the
 * brace (AWS's convention: a statement opening at the 37th character of a line starts at column 38). */
struct policy_position {
	int line, column;
};

/*
 * Where statement `index` of a policy document begins and ends (its '{' and '}'): "Statement" given as one object
 * is statement 0. C_OK, or C_ERR when the text has no such statement (the document is not the one compiled).
 */
int policy_statement_position(const char *doc, size_t len, size_t index, struct policy_position *start,
                              struct policy_position *end);

#endif
