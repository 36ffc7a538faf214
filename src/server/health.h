/*
 * health.h - the two probes a load balancer or an orchestrator asks, without authentication:
 *
 *   GET /health  200 {"status":"ok"} when the store answers a read (both databases), 503 otherwise
 *   GET /ready   200 {"status":"ready"} once start-up is complete, 503 before it and from the stop signal on
 *
 * They are answered before the AWS protocols see the request: not authenticated, not audited, no secrets.
 */
#ifndef ROLEGATE_HEALTH_H
#define ROLEGATE_HEALTH_H

#include <stdbool.h>

#include "http/http.h"
#include "server/server.h"

/* Answers req when it is GET (or HEAD) of /health or /ready and returns true; false leaves resp untouched (the
 * request is an API call). */
bool health_route(struct rg_server *srv, const struct http_request *req, struct http_response *resp);
/* Marks start-up complete (true) or the server stopping (false, the state before start-up too). */
void health_set_ready(bool ready);

#endif
