/*
 * generate.h - least-privilege policies from observed calls (`rolegate policy generate`): the calls of a principal
 * (or the assumptions of a role) are added one by one, then turned into an IAM policy document.
 *
 * Identity policy: one entry per action with the resources it touched. An action with a call on no resource (or on
 * "*") gets "*". Otherwise, per action, the resources are collapsed by THE PREFIX RULE: the resources whose ARN has
 * a path (the part after the account has at least two '/': user/team/alice) are grouped by their ARN up to and
 * including the last '/'; a group of two or more distinct resources becomes that prefix followed by '*'
 * (arn:aws:iam::1:user/team/ followed by *); a single resource, or resources without a path (user/alice), stay as they are.
 * Actions whose (collapsed) resource lists are equal and whose MFA state is equal share a statement. When every
 * call of an action recorded MFA (the audit's detail "MFAUsed": true), its statement carries
 * "Bool": {"aws:MultiFactorAuthPresent": "true"}. Order is stable: actions and resources sorted (byte order),
 * statements by their first action.
 *
 * Trust policy: one entry per principal that assumed the role (an IAM user, a role's session -> the role, a root ->
 * the account): statements group principals with the same actions (sts:AssumeRole, plus sts:TagSession when session
 * tags were passed and sts:SetSourceIdentity when a source identity was) and conditions (MFA when every assumption
 * of the principal carried it; sts:ExternalId when every one passed an external id: the values seen).
 */
#ifndef ROLEGATE_GENERATE_H
#define ROLEGATE_GENERATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct gen;

/* A new, empty generator; NULL when out of memory. */
struct gen *gen_new(void);
void gen_free(struct gen *g);

/* Records one call of the principal: action ("iam:CreateUser"), resource ("" or "*": none), whether MFA was used. */
int gen_add_call(struct gen *g, const char *action, const char *resource, bool mfa);

/* Records one sts:AssumeRole of the role by principal (its trust-policy form: a user, role or root ARN); external_id
 * NULL when none was passed; tags / source_identity: whether session tags / a source identity were passed. */
int gen_add_assumer(struct gen *g, const char *principal, bool mfa, const char *external_id, bool tags,
                    bool source_identity);

/* The number of distinct actions (identity) or principals (trust) recorded. */
size_t gen_count(const struct gen *g, bool trust);

/* The identity policy of the recorded calls (see above): a new reference, NULL when out of memory. It sorts the
 * entries: nothing more may be added to g afterwards (gen_trust_policy likewise). */
json_t *gen_identity_policy(struct gen *g);

/* The trust policy of the recorded assumptions: a new reference, NULL when out of memory. */
json_t *gen_trust_policy(struct gen *g);

/* The size IAM counts for a document: its characters without whitespace (as `rolegate policy validate`). */
size_t gen_policy_size(const json_t *doc);

/*
 * Splits an identity policy into documents of at most limit characters each (gen_policy_size): statements packed in
 * order, a statement too big by itself split by its resources. Returns an array of documents (one when doc fits),
 * NULL when out of memory or when one resource alone does not fit.
 */
json_t *gen_split(const json_t *doc, size_t limit);

#endif
