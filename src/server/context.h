/*
 * context.h - the request context of an API call: the global condition keys the server knows, with AWS's rules
 * for when each is present (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
 */
#ifndef ROLEGATE_CONTEXT_H
#define ROLEGATE_CONTEXT_H

#include "policy/policy.h"
#include "server/call.h"

#define CONTEXT_MAX_KEYS 128
#define CONTEXT_MAX_VALUES 256

/* The keys and values of one call. Strings point into the call or into this struct's storage. */
struct call_context {
	struct policy_ctx_entry entries[CONTEXT_MAX_KEYS];
	size_t n;
	const char *values[CONTEXT_MAX_VALUES];
	size_t nvalues;
	char text[8192]; /* storage for keys and values built here */
	size_t used;
};

/* Fills ctx for call c: aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType, aws:userid, aws:username
 * (users), aws:PrincipalTag/KEY, aws:RequestTag/KEY and aws:TagKeys (from the input's Tags), aws:CurrentTime,
 * aws:EpochTime, aws:SecureTransport, aws:SourceIp, aws:RequestedRegion. Reads the caller's tags from the store. */
int context_build(struct call *c, struct call_context *ctx);

#endif
