/*
 * auth.h - authentication: who signed this request?
 */
#ifndef ROLEGATE_AUTH_H
#define ROLEGATE_AUTH_H

#include "server/call.h"

/*
 * Verifies the SigV4 signature of c->req and fills c->caller, c->svc (from the credential scope's service) and
 * c->region. C_ERR with c->err set to AWS's error (MissingAuthenticationToken, IncompleteSignature,
 * SignatureDoesNotMatch, InvalidClientTokenId, ...). c->svc is set as soon as the scope is known, even on failure,
 * so the error can be written in that service's envelope.
 */
int auth_authenticate(struct call *c);

/*
 * The principal of a sealed session token without a signature (the web console holds the token server-side and
 * acts with it: src/console/): opens it as auth_authenticate does (InvalidClientTokenId when it does not open or
 * its account is closed, ExpiredToken past its expiry) and fills *p and *session_policy (the token's compiled
 * session policy or NULL; the caller releases it with policy_release).
 */
int auth_token_principal(struct rg_server *srv, const char *token, int64_t now_ms, struct principal *p,
                         struct policy **session_policy, struct aws_err *err);

#endif
