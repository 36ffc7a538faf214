/*
 * internal.h - the compiled form of a policy, shared by the engine's files (compile.c builds it; match.c,
 * condition.c and evaluate.c read it). Nothing outside src/policy/ includes this.
 *
 * Every string of a compiled policy is pre-split into tokens (literal text, '*', '?', ${variable}) so matching
 * never parses or allocates; numbers, dates, CIDRs and principals are parsed once at compile time.
 */
#ifndef ROLEGATE_POLICY_INTERNAL_H
#define ROLEGATE_POLICY_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/globset.h"
#include "policy/policy.h"

enum tok_kind { TOK_LIT, TOK_STAR, TOK_QMARK, TOK_VAR };

struct ptok {
	uint8_t kind;
	bool has_def;     /* VAR: ${key, 'default'} */
	uint32_t len;     /* LIT: text length; VAR: key length */
	const char *s;    /* LIT: text; VAR: the key */
	const char *def;  /* VAR: the default value */
	uint32_t deflen;
};

/* A policy string split into tokens. */
struct pstr {
	const char *raw;
	uint32_t rawlen;
	uint16_t n;
	bool has_var;
	bool has_wild;
	const struct ptok *t;
};

/* A Resource / NotResource entry. */
struct pres {
	bool all;      /* "*" */
	bool nomatch;  /* a short ARN that can never match for this kind of policy */
	bool expanded; /* a short ARN completed with '*' parts */
	struct pstr seg[4]; /* partition, service, region, account: wildcards, matched without regard to case */
	const char *product; /* the resource type prefix ("user/", "role/" ...), matched literally */
	uint32_t product_len;
	struct pstr id;      /* the rest: wildcards and variables */
	const char *raw;
};

/* PP_UNIQUE_ID: an IAM user's or role's unique id (AIDA..., AROA...), as IAM stores a trust policy that names a user
 * or role by ARN: it matches that principal (and a role's sessions) by identity, never a later namesake. */
enum pp_kind { PP_STAR, PP_ACCOUNT, PP_ARN, PP_SERVICE, PP_FEDERATED, PP_CANONICAL, PP_UNIQUE_ID };

struct pprin {
	uint8_t kind;
	const char *value; /* account id, ARN, unique id, service name, ... */
	const char *raw;   /* as written (for explanations) */
};

enum cond_op {
	OP_STRING_EQUALS,
	OP_STRING_NOT_EQUALS,
	OP_STRING_EQUALS_IGNORE_CASE,
	OP_STRING_NOT_EQUALS_IGNORE_CASE,
	OP_STRING_LIKE,
	OP_STRING_NOT_LIKE,
	OP_NUMERIC_EQUALS,
	OP_NUMERIC_NOT_EQUALS,
	OP_NUMERIC_LESS_THAN,
	OP_NUMERIC_LESS_THAN_EQUALS,
	OP_NUMERIC_GREATER_THAN,
	OP_NUMERIC_GREATER_THAN_EQUALS,
	OP_DATE_EQUALS,
	OP_DATE_NOT_EQUALS,
	OP_DATE_LESS_THAN,
	OP_DATE_LESS_THAN_EQUALS,
	OP_DATE_GREATER_THAN,
	OP_DATE_GREATER_THAN_EQUALS,
	OP_BOOL,
	OP_BINARY_EQUALS,
	OP_IP_ADDRESS,
	OP_NOT_IP_ADDRESS,
	OP_ARN_EQUALS,
	OP_ARN_LIKE,
	OP_ARN_NOT_EQUALS,
	OP_ARN_NOT_LIKE,
	OP_NULL,
	OP_COUNT
};

enum cond_set { SET_NONE, SET_FOR_ALL_VALUES, SET_FOR_ANY_VALUE };

/* An IPv4 or IPv6 address or network. */
struct cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t bits;   /* prefix length (32 / 128 for a single address) */
	uint8_t addr[16];
};

/* One policy value of a condition, parsed for its operator. */
struct pval {
	struct pstr s; /* the text, tokenised (variables / wildcards where the operator allows them) */
	bool ok;       /* parsed for numeric, date, IP operators; a value that does not parse never matches */
	double num;
	int64_t date_ms;
	struct cidr net;
};

struct pcond {
	uint8_t op;
	uint8_t set;
	bool if_exists;
	const char *key; /* lowercased */
	const char *key_raw; /* as written (the simulator's MissingContextValues) */
	uint32_t keylen;
	const char *op_raw; /* as written, for explanations */
	uint16_t nvalues;
	const struct pval *values;
};

struct pstmt {
	bool allow;
	const char *sid;
	bool not_action;
	uint16_t nactions;
	const struct pstr *actions;
	uint8_t res_mode; /* 0 none, 1 Resource, 2 NotResource */
	uint16_t nresources;
	const struct pres *resources;
	uint8_t prin_mode; /* 0 none, 1 Principal, 2 NotPrincipal */
	uint16_t nprincipals;
	const struct pprin *principals;
	uint16_t nconds;
	const struct pcond *conds;
};

struct policy {
	atomic_int refs;
	enum policy_kind kind;
	bool version_2012; /* policy variables are substituted only in 2012-10-17 policies */
	size_t nstmts;
	const struct pstmt *stmts;
	uint8_t hash[32];
	struct policy *cache_next;         /* the hash bucket's chain */
	struct policy *lru_prev, *lru_next; /* the cache's list, newest first */
	atomic_bool recent;                 /* used since eviction last came round (CLOCK's mark) */
	size_t bytes;                       /* what the compiled policy holds (its arena) */
	void *arena;                        /* owns everything above */
};

/* ---- matching (match.c) ---- */

struct set_query;

/* The request context, as the matchers see it. */
struct eval_ctx {
	const struct policy_request *req;
	bool vars; /* substitute ${...} (2012-10-17 policies) */
	struct set_query *q; /* a request about sets (POLICY_REQ_SETS with a wildcard): sets.c; NULL otherwise */
};

/* Finds a context entry (key compared without regard to case). NULL when absent. */
const struct policy_ctx_entry *ctx_find(const struct policy_request *req, const char *key, size_t keylen);

/* Whether s matches pattern p (wildcards when p has them; variables resolved from ctx). An unresolvable variable
 * never matches. */
bool pstr_match(const struct eval_ctx *ctx, const struct pstr *p, const char *s, size_t len, bool ignore_case,
                bool wildcards);
/* Whether every variable of p resolves in ctx (true when p has none). */
bool pstr_resolvable(const struct eval_ctx *ctx, const struct pstr *p);
/* Whether pattern p, with variables resolved, equals its raw text (no variables to resolve or all resolved). */
bool action_matches(const struct pstr *p, const char *action);
/* How one Resource entry relates to the request's resource. RM_UNKNOWN: it cannot tell (an unresolvable
 * variable, a short ARN): such an entry matches nothing, and a NotResource holding it does not apply either. */
enum rmatch { RM_NOMATCH, RM_MATCH, RM_UNKNOWN };
enum rmatch resource_matches(const struct eval_ctx *ctx, const struct pres *r, const char *resource);
/* ArnLike / ArnEquals: the pattern's variables are resolved, then the pattern and v are compared part by part
 * (the six ':'-separated parts of an ARN), with wildcards, case-sensitively. */
bool arn_pattern_match(const struct eval_ctx *ctx, const struct pstr *p, const char *v, size_t vlen);

/* Tokenises p (variables resolved from ctx) as a glob pattern, lowercased when fold: 1, or 0 when a variable
 * cannot be resolved (the pattern matches nothing), or -1 when longer than max tokens. */
int pstr_to_glob(const struct eval_ctx *ctx, const struct pstr *p, bool fold, struct gtok *out, size_t max,
                 size_t *n);

/* How a statement's Principal relates to the request's principal. */
enum pmatch { PM_NO, PM_MATCH, PM_ACCOUNT, PM_SESSION_ROLE, PM_SESSION_USER };
enum pmatch principal_matches(const struct pprin *p, const struct policy_request *req);

/* ---- conditions (condition.c) ---- */

bool conditions_match(const struct eval_ctx *ctx, const struct pstmt *st);
/* The index of the first condition of st that does not hold in ctx, or -1 when they all do (trace.c). */
int conditions_first_failing(const struct eval_ctx *ctx, const struct pstmt *st);
int cond_op_parse(const char *name, size_t len);
bool cond_op_allows_variables(int op);
bool cond_op_allows_wildcards(int op);
int parse_cidr(const char *s, struct cidr *out);
int parse_date_ms(const char *s, size_t len, int64_t *out);
int parse_number(const char *s, size_t len, double *out);

/* ---- requests about sets (sets.c) ---- */

/* Whether statement st's Action/NotAction and Resource/NotResource apply to the sets of ctx->q: an Allow applies
 * when they meet the request's set, a Deny when they cover all of it (globset.h). */
bool sets_actions_match(const struct eval_ctx *ctx, const struct pstmt *st);
bool sets_resources_match(const struct eval_ctx *ctx, const struct pstmt *st);
/* Whether the request's action / resource is a set for ctx (ctx->q and a wildcard in it). */
bool sets_action_on(const struct eval_ctx *ctx);
bool sets_resource_on(const struct eval_ctx *ctx);
/* Whether st's Action / NotAction names the action; whether its Resource / NotResource covers the resource (true
 * without either): evaluate.c. */
bool actions_match(const struct pstmt *st, const char *action);
bool resources_match(const struct eval_ctx *ctx, const struct pstmt *st, const char *resource);
/* How a statement's Principal / NotPrincipal relates to the caller (PM_NO without either); *star: it matched by
 * "*": evaluate.c. */
enum pmatch statement_principal(const struct pstmt *st, const struct policy_request *req, bool has_boundary,
                                bool *star);
/* Whether a statement applies to ctx's request (its sets when ctx->q), apart from its principal: evaluate.c. */
bool statement_applies(const struct eval_ctx *ctx, const struct pstmt *st);
/* policy_evaluate() of a request about sets. */
enum policy_decision sets_evaluate(const struct policy_request *req, const struct policy_set *set,
                                   struct policy_explain *ex);
/* The decision for one request (q: NULL, or the sets it asks about): evaluate.c. */
enum policy_decision policy_decide(const struct policy_request *req, const struct policy_set *set,
                                   struct policy_explain *ex, struct set_query *q);

#endif
