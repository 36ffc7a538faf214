/*
 * dispatch.h - the request handler the HTTP listener calls (see dispatch.c for the order of things).
 */
#ifndef ROLEGATE_DISPATCH_H
#define ROLEGATE_DISPATCH_H

#include "http/http.h"

/* Serves one AWS API request. ctx is the struct rg_server. */
void dispatch_request(void *ctx, const struct http_request *req, struct http_response *resp);
/* Answers a request the listener refused before reading its body (413 too large, 400 bad framing). */
void dispatch_reject(void *ctx, const struct http_request *req, enum http_reject why, struct http_response *resp);

#endif
