/*
 * explain.h - the reasoning of a denial (issue 16): built once at the one call site (authz.c decide()) when a
 * request is denied, kept on the call (c->explanation) and in its audit record (column `explanation`), read back
 * by `rolegate audit --explain REQUEST_ID` and, sealed as AWS's "encoded authorization failure message", by
 * sts:DecodeAuthorizationMessage.
 *
 * The explanation (JSON):
 *   decision         "ImplicitlyDenied" | "ExplicitlyDenied"
 *   action, resource, resourceAccount, principal {arn, id, account}
 *   reason           the engine's, as AWS words it ("no identity-based policy", "with an explicit deny" ...)
 *   missing          what was missing, in AWS's terms: ["no identity-based policy allows sts:AssumeRole on ARN",
 *                    "trust policy of ARN requires aws:MultiFactorAuthPresent (Bool: true; the request has none)"]
 *   consulted        the policy kinds weighed: [{kind, policies|arn|layers}]
 *   statements       every statement: {kind, policy, sid, effect, statement, matched, failed: action | resource |
 *                    principal | condition, condition {operator, key, policyValues, requestValues|null}}
 *   statementsTotal, truncated (more statements than a trace keeps, or the explanation was cut to
 *                    EXPLAIN_JSON_MAX: the decision is unaffected)
 *   context          the request's condition keys [{key, values}]
 *   decodedMessage   what sts:DecodeAuthorizationMessage answers for it (AWS's shape)
 *   encodedMessage   that message sealed (explain_seal): what an operator hands to the user
 * Fail closed: an explanation that cannot be built is left out (NULL); the denial stands either way.
 */
#ifndef ROLEGATE_EXPLAIN_H
#define ROLEGATE_EXPLAIN_H

#include <jansson.h>

#include "policy/policy.h"
#include "server/call.h"
#include "server/keyring.h"

/* The longest EncodedMessage sts:DecodeAuthorizationMessage takes (botocore's encodedMessageType). */
#define EXPLAIN_ENCODED_MAX 10240
/* The largest explanation kept (its JSON text): past it the request context, then statements, are left out. */
#define EXPLAIN_JSON_MAX (64 * 1024)
/* The longest decoded message sealed: with its base64 and AWS's wording it fits an error message (aws_err). */
#define EXPLAIN_DECODED_MAX 2400

/*
 * The explanation of a denial d of req (decided on set, with the engine's ex) for call c: a new JSON object, or
 * NULL when it cannot be built (no memory). Reads the identity policies' names through c->tx; seals the decoded
 * message with c->srv->keyring when there is one.
 */
json_t *explain_denial(struct call *c, const struct policy_request *req, const struct policy_set *set,
                       const struct policy_explain *ex, enum policy_decision d);

/* Seals text (at most EXPLAIN_DECODED_MAX bytes) under the keyring's issuing key (tx: an open transaction, through
 * which a rotated key is noticed) as an encoded authorization message. A malloc'd string, or NULL. */
char *explain_seal(struct keyring *k, struct db_tx *tx, const char *text);
/* Opens an encoded authorization message of this server: the decoded text (malloc'd), or NULL when it is not one
 * (garbage, tampered with, another server's, a session token). */
char *explain_open(struct keyring *k, const char *msg);

/* The explanation in words, for `rolegate audit --explain`: lines appended to out (a malloc'd string, or NULL). */
char *explain_text(const json_t *explanation);

#endif
