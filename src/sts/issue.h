/*
 * issue.h - what the calls that issue temporary credentials share (sessions.c: AssumeRole, GetSessionToken;
 * federation.c: GetFederationToken): the session policy, the session tags, the claims every session carries, the
 * packed size, and the Credentials of the answer.
 */
#ifndef ROLEGATE_STS_ISSUE_H
#define ROLEGATE_STS_ISSUE_H

#include "server/call.h"
#include "server/tokens.h"

/* Bytes of session policy and tags a token carries; PackedPolicySize is a share of it. */
#define STS_PACKED_LIMIT 4096

/* Builds the combined session policy of Policy and PolicyArns into *out (malloc'd, the caller's; NULL when none was
 * passed) and validates it: PolicyArns may name account's customer managed policies and AWS's. C_ERR with c->err
 * (MalformedPolicyDocument, InvalidParameterValue, ValidationError). */
int sts_session_policy(struct call *c, const char *account, char **out);
/* Adds the session's tags to cl: the caller's transitive session tags (they cannot be overridden), then Tags (those
 * TransitiveTagKeys names are transitive). C_ERR with c->err (InvalidParameterValue, PackedPolicyTooLarge). */
int sts_session_tags(struct call *c, struct session_claims *cl);
/* Fills the claims every session carries: a fresh key pair, the times (now + duration), MFA, who obtained it. */
void sts_common_claims(struct call *c, struct session_claims *cl, const char *account, int64_t duration);
/* The packed size of cl's session policy and tags as AWS's PackedPolicySize (a percentage of STS_PACKED_LIMIT) into
 * *percent. C_ERR with c->err PackedPolicyTooLarge when they do not fit. */
int sts_packed_size(struct call *c, const struct session_claims *cl, int64_t *percent);
/* Sets the answer's Credentials (AccessKeyId, SecretAccessKey, SessionToken, Expiration) from cl and its sealed
 * token. C_ERR out of memory. */
int sts_credentials_json(struct call *c, const struct session_claims *cl, const char *token);

#endif
