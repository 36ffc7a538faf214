/*
 * context.h - the request context of an API call: the condition keys AWS sets for it, with AWS's rules for when
 * each is present (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html and the Service
 * Authorization Reference, condkeys.h).
 *
 * Fail closed: the context grows to hold everything AWS allows at once (50 principal tags of 128/256 characters,
 * 50 session tags, 50 request tags, 50 resource tags, every global key); past its caps (CONTEXT_MAX_KEYS keys,
 * CONTEXT_MAX_BYTES of text) context_build fails and no decision is made on what did fit.
 */
#ifndef ROLEGATE_CONTEXT_H
#define ROLEGATE_CONTEXT_H

#include "policy/policy.h"
#include "server/call.h"

#define CONTEXT_MAX_KEYS 1024
#define CONTEXT_MAX_BYTES (1024 * 1024)

struct context_chunk;

/* The keys and values of one call. Strings point into the call or into this struct's chunks. */
struct call_context {
	struct policy_ctx_entry *entries; /* owned, grows up to CONTEXT_MAX_KEYS */
	size_t n, cap;
	struct context_chunk *chunks; /* owned: the text and value arrays built here */
	size_t bytes;                 /* allocated in chunks, at most CONTEXT_MAX_BYTES */
	bool overflow;                /* something did not fit: the context must not be used */
};

/* Prepares an empty context. Allocates nothing. */
void context_init(struct call_context *ctx);
/* Frees everything ctx holds and leaves it empty. */
void context_free(struct call_context *ctx);

/*
 * Fills ctx for call c (whose resource c->resource is known): the caller's keys (aws:PrincipalArn,
 * aws:PrincipalAccount, aws:PrincipalType, aws:userid, aws:username, aws:PrincipalTag/KEY read from the store for
 * users and, merged with the session's tags, for role sessions, aws:PrincipalOrgID, aws:PrincipalOrgPaths, MFA and
 * token keys), the request's (aws:CurrentTime, aws:EpochTime, aws:SecureTransport, aws:SourceIp,
 * aws:RequestedRegion), the resource's (aws:ResourceAccount, aws:ResourceOrgID, aws:ResourceOrgPaths), and, for
 * the actions the Service Authorization Reference lists them for, aws:RequestTag/KEY, aws:TagKeys,
 * aws:ResourceTag/KEY, iam:ResourceTag/KEY, iam:PolicyARN, iam:PermissionsBoundary, organizations:PolicyType,
 * organizations:ServicePrincipal and the sts: keys of AssumeRole.
 * C_OK; C_ERR on a storage failure or when the context would exceed its caps (ctx is then unusable).
 * The caller frees ctx with context_free() either way.
 */
int context_build(struct call *c, struct call_context *ctx);

/* The entry for key (compared without regard to case), or NULL. */
const struct policy_ctx_entry *context_get(const struct call_context *ctx, const char *key);

#endif
