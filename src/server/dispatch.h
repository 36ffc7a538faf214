/*
 * dispatch.h - the request handler the HTTP listener calls (see dispatch.c for the order of things).
 */
#ifndef ROLEGATE_DISPATCH_H
#define ROLEGATE_DISPATCH_H

#include <jansson.h>

#include "aws/errors.h"
#include "http/http.h"
#include "server/principal.h"
#include "server/server.h"

/* Serves one AWS API request. ctx is the struct rg_server. */
void dispatch_request(void *ctx, const struct http_request *req, struct http_response *resp);
/* Answers a request the listener refused before reading its body (413 too large, 400 bad framing). */
void dispatch_reject(void *ctx, const struct http_request *req, enum http_reject why, struct http_response *resp);

/*
 * Performs one action as `caller` without HTTP or SigV4 (the built-in examples use it): the API's own path from
 * validation on (resource -> authorize -> act -> audit -> commit). in (borrowed; NULL for no input) is the input
 * tree as a request would decode to. On C_OK *out is the result tree (the caller owns it: json_decref); on C_ERR
 * err holds AWS's error.
 */
int dispatch_invoke(struct rg_server *srv, const struct principal *caller, const char *service, const char *operation,
                    json_t *in, json_t **out, struct aws_err *err);

/*
 * Performs one action as the holder of a sealed session token, for the web console (src/console/): the token is
 * authenticated as a request signed with it would be (auth_token_principal: the principal, its session policy;
 * then the throttle), and the action runs with req, the browser's request (its source IP, User-Agent and TLS are the
 * context's aws:SourceIp, aws:UserAgent, aws:SecureTransport and the audit record's), through the same path as
 * dispatch_invoke: authorized by the engine, audited like any API call. Outputs as dispatch_invoke.
 */
int dispatch_invoke_token(struct rg_server *srv, const struct http_request *req, const char *token,
                          const char *service, const char *operation, json_t *in, json_t **out, struct aws_err *err);

/*
 * Whether the holder of a sealed session token may perform service:operation with input in (borrowed): the
 * token authenticated as dispatch_invoke_token does, the input validated, then the action's resource and the one
 * authorization (authz_authorize) in a read-only transaction that is rolled back. Nothing is performed or audited.
 * C_OK when allowed; C_ERR with err holding AWS's error (AccessDenied and its message) otherwise. For the console's
 * offers (an MFA device is offered only to whom the policies allow enrolment, as AWS's console shows it).
 */
int dispatch_authorize_token(struct rg_server *srv, const struct http_request *req, const char *token,
                             const char *service, const char *operation, json_t *in, struct aws_err *err);

#endif
