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
 * Performs one action as `caller` inside the transaction tx the caller owns (begun with db_begin, committed or rolled
 * back by the caller), for operator verbs that build or read many things at once (src/orgcode/: `rolegate import`
 * writes a whole account in one transaction, `rolegate export` reads it in one). The API's own path from validation
 * on: resource -> act -> audit record (writes, in tx). The operator is not an API caller: the call is not authorized
 * by policies (an SCP that denies iam:CreateUser to the account's root does not bind `rolegate import`, run by who
 * holds the store). Actions with a prepare or after hook, or that audit durably, are refused (InvalidAction). in and
 * out as dispatch_invoke.
 */
int dispatch_invoke_tx(struct rg_server *srv, struct db_tx *tx, const struct principal *caller, const char *service,
                       const char *operation, json_t *in, json_t **out, struct aws_err *err);

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
 * Performs an action called without credentials, as on AWS (sts:AssumeRoleWithSAML), for the web console's /saml:
 * the action's authenticate hook finds the caller in the input, then the API's own path (authorize -> act -> audit,
 * durably where the action says so); req is the browser's request (its Host names the /saml a SAML response may be
 * addressed to; its source IP and User-Agent are the context's and the audit record's). MissingAuthenticationToken
 * for an action that must be signed. Outputs as dispatch_invoke.
 */
int dispatch_invoke_unsigned(struct rg_server *srv, const struct http_request *req, const char *service,
                             const char *operation, json_t *in, json_t **out, struct aws_err *err);

/* A dry run's verdict on input i: C_OK (the call would be authorized) or C_ERR with err (AccessDenied: refused;
 * any other code: it could not be decided, which never counts as allowed). */
typedef void (*dispatch_verdict_fn)(void *ctx, size_t i, int rc, const struct aws_err *err);

/*
 * A dry run of service:operation for the holder of a sealed session token, for each of n inputs: the token is
 * authenticated and charged to the throttle once, as by dispatch_invoke_token; then, in one read-only transaction,
 * each input is validated and goes through the action's resource function and authz_authorize(): exactly the path
 * a real call takes up to acting. Nothing is acted on, audited or spent (an input whose resource function would
 * write, e.g. an MFA code, fails: a read-only transaction). fn gets each verdict in order. C_OK when the verdicts
 * were given (each may be a refusal), C_ERR with err when the token did not authenticate or nothing could be run.
 * Cost: one policy evaluation per input (the caller's policies, the SCPs and the resource's policy loaded each
 * time; compiled policies come from the engine's cache).
 */
int dispatch_authorize_token(struct rg_server *srv, const struct http_request *req, const char *token,
                             const char *service, const char *operation, json_t *const *ins, size_t n,
                             dispatch_verdict_fn fn, void *ctx, struct aws_err *err);

#endif
