/*
 * authz.h - authorization: may the caller perform this action on this resource?
 *
 * This is the one place where rolegate decides. Today the decision is the one AWS makes for principals without
 * policies: the account's root may do everything in its own account, everyone else is refused (an IAM user with
 * no policy is refused by AWS too). The policy engine plugs in here.
 */
#ifndef ROLEGATE_AUTHZ_H
#define ROLEGATE_AUTHZ_H

#include "server/call.h"

/* C_OK when c->caller may perform c->action on c->resource; C_ERR with AccessDenied and AWS's message. */
int authz_authorize(struct call *c);
/* What the caller's kind of temporary credentials may never call, whatever the policies (GetSessionToken's
 * sessions: IAM without MFA, STS but AssumeRole; federated users: IAM, STS but GetCallerIdentity). The dispatcher
 * asks it before the action's resource is looked up (so that a refused session learns nothing about the resource);
 * authz_authorize asks it again. C_OK, or C_ERR with AWS's error (InvalidClientTokenId, AccessDenied). */
int authz_credential_limits(struct call *c);

#endif
