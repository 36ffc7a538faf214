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

#endif
