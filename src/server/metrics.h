/*
 * metrics.h - the server's counters and histograms, and their Prometheus text exposition (format 0.0.4), served by
 * `--metrics-listen ADDR:PORT` on GET /metrics.
 *
 * Recording is process-wide and lock-free: relaxed C11 atomics in fixed arrays indexed by action (from the served
 * table, never from request text), outcome, error code and histogram bucket. Nothing is allocated per request. A
 * scrape reads every counter once; the series of one histogram are made consistent (+Inf == _count) by deriving
 * _count from the buckets.
 */
#ifndef ROLEGATE_METRICS_H
#define ROLEGATE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/errors.h"
#include "http/http.h"
#include "util/buf.h"

struct action;
struct rg_server;

/* How a request ended, as rolegate_requests_total counts it. */
enum metrics_outcome {
	METRICS_GRANTED, /* 2xx */
	METRICS_DENIED,  /* refused by policy or MFA (AccessDenied) */
	METRICS_ERROR,   /* any other failure: authentication, validation, throttling, the server's own */
	METRICS_OUTCOMES
};

/* A histogram with fixed upper bounds (ascending; +Inf is implicit), recorded with relaxed atomics. */
#define METRICS_HIST_MAX_BUCKETS 16
struct metrics_hist {
	const double *bounds; /* in the exposed unit (seconds, records) */
	size_t nbounds;       /* at most METRICS_HIST_MAX_BUCKETS - 1 */
	double scale;         /* recorded value / scale = exposed value (1e6: microseconds recorded, seconds exposed) */
	_Atomic uint64_t buckets[METRICS_HIST_MAX_BUCKETS]; /* per bucket, not cumulative; the last is +Inf */
	_Atomic uint64_t sum; /* of the recorded values */
};

/* Adds one observation v (in recorded units) to h: into the first bucket whose bound is >= v / scale. */
void metrics_hist_observe(struct metrics_hist *h, uint64_t v);

/* Appends one histogram family (HELP, TYPE, _bucket, _sum, _count) to out. labels is the series' other labels,
 * already formatted ("service=\"sts\""), or NULL; when `header` is false only the series are written (a second
 * label set of a family already begun). C_ERR when out is full. */
int metrics_write_hist(struct buf *out, const char *name, const char *help, const char *labels,
                       const struct metrics_hist *h, bool header);

/* Appends s to out as a label value: backslash, double quote and newline escaped as the format asks. */
int metrics_escape_label(struct buf *out, const char *s);

/* Sets up the action table's slots and the start time. Call once before serving; safe to call again. */
void metrics_init(void);

/* A request's metric identity: its action (NULL: not decoded yet), the service it was signed for (NULL: unknown),
 * its outcome and its error code (ERR_NONE when granted), packed into a non-zero tag for http_response.tag. */
uint32_t metrics_request_tag(const char *service, const struct action *a, enum metrics_outcome outcome,
                             enum aws_code code);

/* Counts a request that was answered (http_options.answered): tag from metrics_request_tag (0: not an API call,
 * ignored), the status actually sent (a granted call whose durable audit record failed is counted as an error) and
 * the server's time on it in microseconds. */
void metrics_request_done(uint32_t tag, int status, int64_t elapsed_us);

/* The outcome of a request that failed with code. */
enum metrics_outcome metrics_outcome_of(enum aws_code code);

/* An audit batch of n records written (ok) or failed in elapsed_us (the group committer). */
void metrics_audit_batch(size_t n, int64_t elapsed_us, bool ok);

/* A call that proceeded although the policies denied it (soft mode, src/server/enforce.h); a: its action. */
void metrics_soft_denial(const struct action *a);
/* A call that waited for room in the audit's full queue (src/server/auditlog.c). */
void metrics_audit_queue_full(void);

/* An MFA code refused by STS: rc is what mfa_check returned (MFA_REFUSED_*). */
void metrics_mfa_refused(int rc);
/* An MFA device locked after too many refused codes. */
void metrics_mfa_lockout(void);

/* Hit and miss counts of one cache, read at scrape time. */
struct metrics_cache_counts {
	const char *name; /* the "cache" label */
	uint64_t hits, misses;
};

/* What the scrape reads besides the module's own counters. */
struct metrics_sources {
	unsigned connections_open;
	uint64_t connections_accepted;
	struct metrics_cache_counts caches[8];
	size_t ncaches;
	size_t policy_cache_entries, policy_cache_bytes;
};

/* Appends the whole exposition to out. C_ERR when out is full. */
int metrics_write(struct buf *out, const struct metrics_sources *src);

/* What the metrics listener's handler reads: the server's caches and the API listener's connection counts. */
struct metrics_scrape {
	struct rg_server *srv;
	struct http_server *api;
};

/* The metrics listener's handler (ctx: a struct metrics_scrape): GET or HEAD /metrics answers the exposition,
 * text/plain version 0.0.4; anything else is 404. */
void metrics_serve(void *ctx, const struct http_request *req, struct http_response *resp);
/* The metrics listener's answer to a request refused before its body was read (413 or 400, plain text). */
void metrics_reject(void *ctx, const struct http_request *req, enum http_reject why, struct http_response *resp);

#endif
