/*
 * reach.h - who can assume which role: for every IAM user and every role of the organization, the one engine's
 * decision on sts:AssumeRole (identity policies via groups, boundary, the caller account's SCPs, the role's trust
 * policy), the conditions it depends on, and the path that grants it; role chains followed.
 */
#ifndef ROLEGATE_ANALYZE_REACH_H
#define ROLEGATE_ANALYZE_REACH_H

#include <jansson.h>

#include "analyze/model.h"

/* A request's context, synthesized for an analysis (decide.c). */
#define AM_CTX_MAX 64

struct am_cond {
	char key[128], op[40];
	json_t *values; /* owned array of strings, as the policy wrote them */
};

struct am_ctx {
	struct policy_ctx_entry e[AM_CTX_MAX];
	const char *vals[AM_CTX_MAX];
	char *owned[AM_CTX_MAX]; /* strings the entries point to */
	size_t n, nowned;
	/* where each synthesized (condition-satisfying) entry came from: e[first_synth..n) */
	size_t first_synth;
	struct am_cond cond[AM_CTX_MAX];
};

/* The baseline context of a request by p (aws:username, aws:userid, aws:PrincipalArn, aws:PrincipalAccount,
 * aws:PrincipalType, aws:PrincipalTag/K), then values that satisfy the conditions of the given documents' statements
 * (an Allow's conditions met, a Deny's not) of the policies pols[i] compiled from docs[i]. C_OK or C_ERR. */
int am_ctx_build(struct am_ctx *c, const struct am_principal *p, const struct policy *const *pols,
                 const char *const *docs, size_t ndocs);
void am_ctx_free(struct am_ctx *c);
/* Forgets the condition hints read from policies (kept per compiled policy while an analysis runs). */
void am_hints_clear(void);

/*
 * Decides whether caller may assume role: C_OK and *allowed; when allowed, conds gets the conditions (a JSON array
 * of {key, operator, values}) without which it would not be, and path the statements that grant it. C_ERR on a
 * store error.
 */
int am_can_assume(struct am_model *m, struct am_principal *caller, struct am_principal *role, bool *allowed,
                  json_t **conds, json_t **path);

/* All rows of the analysis (users reaching roles, directly or by chains), optionally only roles of account
 * only_account: a JSON array of rows. NULL on error (said on stderr). */
json_t *reach_analyze(struct am_model *m, const char *only_account);

#endif
