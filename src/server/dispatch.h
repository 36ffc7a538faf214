/*
 * dispatch.h - the request handler the HTTP listener calls (see dispatch.c for the order of things).
 */
#ifndef ROLEGATE_DISPATCH_H
#define ROLEGATE_DISPATCH_H

#include "http/http.h"

/* Serves one AWS API request. ctx is the struct rg_server. */
void dispatch_request(void *ctx, const struct http_request *req, struct http_response *resp);
/* Answers a request whose body exceeds the limit with 413 and an AWS-style error. */
void dispatch_too_large(void *ctx, const struct http_request *req, struct http_response *resp);

#endif
