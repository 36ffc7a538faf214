/*
 * metrics.c - counters, histograms and their exposition (metrics.h).
 *
 * Requests are counted per action slot: one slot per action of the served table (src/server/actions.c), then one
 * "unknown" slot per service for requests whose action was never decoded (refused before, or naming no action
 * rolegate serves). The service of a slot gives the latency histogram and the error counter their label.
 */
#include "server/metrics.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"
#include "server/call.h"
#include "server/credcache.h"
#include "server/keycache.h"
#include "store/rowcache.h"
#include "sts/mfa_check.h"
#include "util/common.h"
#include "util/timeutil.h"

#define MAX_ACTIONS 512 /* the table has ~150; actions past this count as "unknown" */

enum svc { SVC_IAM, SVC_STS, SVC_ORGS, SVC_UNKNOWN, NSVC };
static const char *const svc_names[NSVC] = {"iam", "sts", "organizations", "unknown"};

/* Upper bounds: request and commit latency in seconds, batch sizes in records. */
static const double latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
static const double commit_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

#define HIST(b, s) {.bounds = (b), .nbounds = ARRAY_LEN(b), .scale = (s)}

enum mfa_reason { MFA_R_CODE, MFA_R_REPLAY, MFA_R_DEVICE, MFA_R_LOCKED, NMFA };
static const char *const mfa_reasons[NMFA] = {"invalid_code", "replayed_code", "unknown_device", "locked"};
static const char *const outcome_names[METRICS_OUTCOMES] = {"granted", "denied", "error"};

static struct {
	size_t nactions;
	double start_time_s;
	bool issues_session[MAX_ACTIONS];
	uint8_t service[MAX_ACTIONS]; /* enum svc of each action */
	_Atomic uint64_t requests[MAX_ACTIONS + NSVC][METRICS_OUTCOMES];
	_Atomic uint64_t errors[NSVC][ERR_COUNT];
	_Atomic uint64_t sessions[MAX_ACTIONS];
	struct metrics_hist latency[NSVC];
	struct metrics_hist audit_commit, audit_batch;
	_Atomic uint64_t audit_failed_batches, audit_failed_records;
	_Atomic uint64_t mfa_refused[NMFA], mfa_lockouts;
	_Atomic uint64_t soft_denials[MAX_ACTIONS], audit_queue_full;
} m = {
	.latency = {HIST(latency_bounds, 1e6), HIST(latency_bounds, 1e6), HIST(latency_bounds, 1e6),
	            HIST(latency_bounds, 1e6)},
	.audit_commit = HIST(commit_bounds, 1e6),
	.audit_batch = HIST(batch_bounds, 1),
};

#define ADD(counter, n) atomic_fetch_add_explicit(&(counter), (n), memory_order_relaxed)
#define GET(counter) atomic_load_explicit(&(counter), memory_order_relaxed)

static enum svc svc_of(const char *service)
{
	for (int i = 0; service && i < SVC_UNKNOWN; i++)
		if (strcmp(service, svc_names[i]) == 0)
			return (enum svc)i;
	return SVC_UNKNOWN;
}

void metrics_init(void)
{
	const struct action *a;
	size_t n = 0;

	while ((a = action_nth(n)) && n < MAX_ACTIONS) {
		/* the calls that hand out temporary credentials */
		m.issues_session[n] = strcmp(a->service, "sts") == 0 &&
		                      (strcmp(a->name, "AssumeRole") == 0 || strcmp(a->name, "GetSessionToken") == 0 ||
		                       strncmp(a->name, "AssumeRoleWith", 14) == 0 || strcmp(a->name, "GetFederationToken") == 0);
		m.service[n] = (uint8_t)svc_of(a->service);
		n++;
	}
	m.nactions = n;
	if (m.start_time_s == 0)
		m.start_time_s = (double)now_ms() / 1000.0;
}

void metrics_hist_observe(struct metrics_hist *h, uint64_t v)
{
	size_t i = 0;

	while (i < h->nbounds && (double)v > h->bounds[i] * h->scale)
		i++;
	ADD(h->buckets[i], 1);
	ADD(h->sum, v);
}

enum metrics_outcome metrics_outcome_of(enum aws_code code)
{
	if (code == ERR_NONE)
		return METRICS_GRANTED;
	return code == ERR_ACCESS_DENIED || code == ERR_ORG_ACCESS_DENIED ? METRICS_DENIED : METRICS_ERROR;
}

uint32_t metrics_request_tag(const char *service, const struct action *a, enum metrics_outcome outcome,
                             enum aws_code code)
{
	size_t slot = a ? action_index(a) : (size_t)-1;

	if (slot >= m.nactions)
		slot = m.nactions + svc_of(a ? a->service : service);
	if ((unsigned)code >= ERR_COUNT)
		code = ERR_INTERNAL_FAILURE;
	return (uint32_t)((slot + 1) << 16 | (unsigned)outcome << 8 | (unsigned)code);
}

void metrics_request_done(uint32_t tag, int status, int64_t elapsed_us)
{
	size_t slot = (tag >> 16) - 1;
	enum metrics_outcome outcome = (enum metrics_outcome)((tag >> 8) & 0xff);
	enum aws_code code = (enum aws_code)(tag & 0xff);
	enum svc svc;

	if (!tag || slot >= m.nactions + NSVC || outcome >= METRICS_OUTCOMES)
		return;
	svc = slot < m.nactions ? (enum svc)m.service[slot] : (enum svc)(slot - m.nactions);
	if (outcome == METRICS_GRANTED && (status < 200 || status > 299)) {
		outcome = METRICS_ERROR; /* the answer was replaced: its audit record could not be written */
		code = ERR_SERVICE_FAILURE;
	}
	ADD(m.requests[slot][outcome], 1);
	if (outcome != METRICS_GRANTED)
		ADD(m.errors[svc][code], 1);
	else if (slot < m.nactions && m.issues_session[slot])
		ADD(m.sessions[slot], 1);
	metrics_hist_observe(&m.latency[svc], elapsed_us > 0 ? (uint64_t)elapsed_us : 0);
}

void metrics_audit_batch(size_t n, int64_t elapsed_us, bool ok)
{
	metrics_hist_observe(&m.audit_commit, elapsed_us > 0 ? (uint64_t)elapsed_us : 0);
	metrics_hist_observe(&m.audit_batch, n);
	if (!ok) {
		ADD(m.audit_failed_batches, 1);
		ADD(m.audit_failed_records, n);
	}
}

void metrics_soft_denial(const struct action *a)
{
	size_t slot = a ? action_index(a) : (size_t)-1;

	if (slot < m.nactions)
		ADD(m.soft_denials[slot], 1);
}

void metrics_audit_queue_full(void)
{
	ADD(m.audit_queue_full, 1);
}

void metrics_mfa_refused(int rc)
{
	switch (rc) {
	case MFA_REFUSED_CODE:
		ADD(m.mfa_refused[MFA_R_CODE], 1);
		break;
	case MFA_REFUSED_REPLAY:
		ADD(m.mfa_refused[MFA_R_REPLAY], 1);
		break;
	case MFA_REFUSED_DEVICE:
		ADD(m.mfa_refused[MFA_R_DEVICE], 1);
		break;
	case MFA_REFUSED_LOCKED:
		ADD(m.mfa_refused[MFA_R_LOCKED], 1);
		break;
	default:
		break; /* a storage failure is not an MFA failure */
	}
}

void metrics_mfa_lockout(void) { ADD(m.mfa_lockouts, 1); }

/* ---- exposition -------------------------------------------------------------------------------------------- */

int metrics_escape_label(struct buf *out, const char *s)
{
	for (; *s; s++) {
		int rc;
		if (*s == '\\')
			rc = buf_puts(out, "\\\\");
		else if (*s == '"')
			rc = buf_puts(out, "\\\"");
		else if (*s == '\n')
			rc = buf_puts(out, "\\n");
		else
			rc = buf_putc(out, *s);
		if (rc != C_OK)
			return C_ERR;
	}
	return C_OK;
}

static int header(struct buf *out, const char *name, const char *type, const char *help)
{
	return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: name{labels} value (labels may be NULL or ""). */
static int sample(struct buf *out, const char *name, const char *labels, uint64_t v)
{
	if (labels && labels[0])
		return buf_printf(out, "%s{%s} %" PRIu64 "\n", name, labels, v);
	return buf_printf(out, "%s %" PRIu64 "\n", name, v);
}

/* A label set name="value" (value escaped) into dst. */
static int label(struct buf *dst, const char *name, const char *value)
{
	if (dst->len && buf_putc(dst, ',') != C_OK)
		return C_ERR;
	if (buf_printf(dst, "%s=\"", name) != C_OK || metrics_escape_label(dst, value) != C_OK)
		return C_ERR;
	return buf_putc(dst, '"');
}

int metrics_write_hist(struct buf *out, const char *name, const char *help, const char *labels,
                       const struct metrics_hist *h, bool with_header)
{
	const char *sep = labels && labels[0] ? "," : "";
	uint64_t cum = 0, sum = GET(h->sum);

	if (!labels)
		labels = "";
	if (with_header && header(out, name, "histogram", help) != C_OK)
		return C_ERR;
	for (size_t i = 0; i <= h->nbounds; i++) {
		int rc;
		cum += GET(h->buckets[i]);
		if (i < h->nbounds)
			rc = buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name, labels, sep, h->bounds[i], cum);
		else
			rc = buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep, cum);
		if (rc != C_OK)
			return C_ERR;
	}
	if ((h->scale == 1 ? buf_printf(out, "%s_sum%s%s%s %" PRIu64 "\n", name, labels[0] ? "{" : "", labels,
	                                labels[0] ? "}" : "", sum)
	                   : buf_printf(out, "%s_sum%s%s%s %.6f\n", name, labels[0] ? "{" : "", labels,
	                                labels[0] ? "}" : "", (double)sum / h->scale)) != C_OK)
		return C_ERR;
	return buf_printf(out, "%s_count%s%s%s %" PRIu64 "\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
	                  cum);
}

static int write_requests(struct buf *out)
{
	struct buf l;
	int rc = C_ERR;

	buf_init(&l, 512);
	if (header(out, "rolegate_requests_total", "counter",
	           "API requests answered, by service, action and outcome (granted, denied by policy or MFA, error); "
	           "action is \"unknown\" when the request was refused before its action was read") != C_OK)
		goto done;
	for (size_t slot = 0; slot < m.nactions + NSVC; slot++) {
		const struct action *a = slot < m.nactions ? action_nth(slot) : NULL;
		for (int o = 0; o < METRICS_OUTCOMES; o++) {
			uint64_t v = GET(m.requests[slot][o]);
			if (!v)
				continue; /* a series appears with its first request */
			buf_reset(&l);
			if (label(&l, "service", a ? a->service : svc_names[slot - m.nactions]) != C_OK ||
			    label(&l, "action", a ? a->name : "unknown") != C_OK ||
			    label(&l, "outcome", outcome_names[o]) != C_OK || sample(out, "rolegate_requests_total", buf_str(&l), v) != C_OK)
				goto done;
		}
	}
	if (header(out, "rolegate_request_errors_total", "counter",
	           "API requests refused or failed, by service and AWS error code") != C_OK)
		goto done;
	for (int s = 0; s < NSVC; s++)
		for (int code = 1; code < ERR_COUNT; code++) {
			uint64_t v = GET(m.errors[s][code]);
			if (!v)
				continue;
			buf_reset(&l);
			if (label(&l, "service", svc_names[s]) != C_OK ||
			    label(&l, "code", s == SVC_ORGS ? aws_code_name_json((enum aws_code)code)
			                                    : aws_code_name((enum aws_code)code)) != C_OK ||
			    sample(out, "rolegate_request_errors_total", buf_str(&l), v) != C_OK)
				goto done;
		}
	for (int s = 0; s < NSVC; s++) {
		buf_reset(&l);
		if (label(&l, "service", svc_names[s]) != C_OK ||
		    metrics_write_hist(out, "rolegate_request_duration_seconds",
		                       "Time from a whole API request read to its answer queued, including the wait for its "
		                       "durable audit record, by service",
		                       buf_str(&l), &m.latency[s], s == 0) != C_OK)
			goto done;
	}
	if (header(out, "rolegate_sessions_issued_total", "counter",
	           "Temporary credentials handed out, by the STS action that issued them") != C_OK)
		goto done;
	for (size_t slot = 0; slot < m.nactions; slot++) {
		if (!m.issues_session[slot])
			continue;
		buf_reset(&l);
		if (label(&l, "action", action_nth(slot)->name) != C_OK ||
		    sample(out, "rolegate_sessions_issued_total", buf_str(&l), GET(m.sessions[slot])) != C_OK)
			goto done;
	}
	rc = C_OK;
done:
	buf_free(&l);
	return rc;
}

static int write_caches(struct buf *out, const struct metrics_sources *src)
{
	static const char *const names[2] = {"rolegate_cache_hits_total", "rolegate_cache_misses_total"};
	static const char *const helps[2] = {"Lookups answered from a cache, by cache",
	                                     "Lookups a cache could not answer, by cache"};

	for (int k = 0; k < 2; k++) {
		if (header(out, names[k], "counter", helps[k]) != C_OK)
			return C_ERR;
		for (size_t i = 0; i < src->ncaches; i++) {
			char l[96];
			snprintf(l, sizeof(l), "cache=\"%s\"", src->caches[i].name); /* names are ours: nothing to escape */
			if (sample(out, names[k], l, k ? src->caches[i].misses : src->caches[i].hits) != C_OK)
				return C_ERR;
		}
	}
	if (header(out, "rolegate_policy_cache_entries", "gauge", "Compiled policies kept") != C_OK ||
	    sample(out, "rolegate_policy_cache_entries", NULL, src->policy_cache_entries) != C_OK ||
	    header(out, "rolegate_policy_cache_bytes", "gauge", "Memory held by the compiled policies kept") != C_OK ||
	    sample(out, "rolegate_policy_cache_bytes", NULL, src->policy_cache_bytes) != C_OK)
		return C_ERR;
	return C_OK;
}

static int write_audit_mfa(struct buf *out)
{
	if (metrics_write_hist(out, "rolegate_audit_commit_duration_seconds",
	                       "Time to write one group-committed batch of audit records durably", NULL, &m.audit_commit,
	                       true) != C_OK ||
	    metrics_write_hist(out, "rolegate_audit_batch_records", "Audit records written per group commit", NULL,
	                       &m.audit_batch, true) != C_OK ||
	    header(out, "rolegate_audit_failed_records_total", "counter",
	           "Audit records that could not be written (their requests were answered ServiceFailure)") != C_OK ||
	    sample(out, "rolegate_audit_failed_records_total", NULL, GET(m.audit_failed_records)) != C_OK ||
	    header(out, "rolegate_mfa_failures_total", "counter",
	           "MFA codes refused by sts:AssumeRole and sts:GetSessionToken, by reason") != C_OK)
		return C_ERR;
	for (int r = 0; r < NMFA; r++) {
		char l[64];
		snprintf(l, sizeof(l), "reason=\"%s\"", mfa_reasons[r]);
		if (sample(out, "rolegate_mfa_failures_total", l, GET(m.mfa_refused[r])) != C_OK)
			return C_ERR;
	}
	if (header(out, "rolegate_mfa_lockouts_total", "counter",
	           "MFA devices locked after too many refused codes in a row") != C_OK ||
	    sample(out, "rolegate_mfa_lockouts_total", NULL, GET(m.mfa_lockouts)) != C_OK ||
	    header(out, "rolegate_audit_queue_full_total", "counter",
	           "Calls that waited for room in the audit's queue (it is bounded; no record is dropped)") != C_OK ||
	    sample(out, "rolegate_audit_queue_full_total", NULL, GET(m.audit_queue_full)) != C_OK ||
	    header(out, "rolegate_soft_denials_total", "counter",
	           "Calls the policies denied that soft enforcement let through, by action") != C_OK)
		return C_ERR;
	for (size_t slot = 0; slot < m.nactions; slot++) {
		const struct action *a = action_nth(slot);
		uint64_t n = GET(m.soft_denials[slot]);
		char l[160];
		if (!n)
			continue; /* only the actions that had one */
		snprintf(l, sizeof(l), "action=\"%s:%s\"", a->service, a->name); /* names are ours: nothing to escape */
		if (sample(out, "rolegate_soft_denials_total", l, n) != C_OK)
			return C_ERR;
	}
	return C_OK;
}

/* The process's resident memory in bytes (/proc/self/statm), or 0 when it cannot be read. */
static uint64_t resident_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

int metrics_write(struct buf *out, const struct metrics_sources *src)
{
	if (write_requests(out) != C_OK || write_audit_mfa(out) != C_OK || write_caches(out, src) != C_OK)
		return C_ERR;
	if (header(out, "rolegate_connections_open", "gauge", "Client connections open on the API listener") != C_OK ||
	    sample(out, "rolegate_connections_open", NULL, src->connections_open) != C_OK ||
	    header(out, "rolegate_connections_accepted_total", "counter",
	           "Client connections accepted on the API listener") != C_OK ||
	    sample(out, "rolegate_connections_accepted_total", NULL, src->connections_accepted) != C_OK ||
	    header(out, "rolegate_process_start_time_seconds", "gauge", "When the server started, in Unix time") != C_OK ||
	    buf_printf(out, "rolegate_process_start_time_seconds %.3f\n", m.start_time_s) != C_OK ||
	    header(out, "rolegate_process_resident_memory_bytes", "gauge", "Resident memory of the server process") != C_OK ||
	    sample(out, "rolegate_process_resident_memory_bytes", NULL, resident_bytes()) != C_OK ||
	    header(out, "rolegate_build_info", "gauge", "The running version (always 1)") != C_OK ||
	    buf_printf(out, "rolegate_build_info{version=\"%s\"} 1\n", ROLEGATE_VERSION) != C_OK)
		return C_ERR;
	return C_OK;
}

/* ---- the metrics listener ------------------------------------------------------------------------------------ */

/* The other counters: the API listener's connections and the caches. */
static void gather(const struct metrics_scrape *ms, struct metrics_sources *src)
{
	struct http_stats hs;

	memset(src, 0, sizeof(*src));
	http_get_stats(ms->api, &hs);
	src->connections_open = hs.connections_open;
	src->connections_accepted = hs.connections_accepted;
	src->caches[0].name = "credentials";
	credcache_counts(ms->srv ? ms->srv->creds : NULL, &src->caches[0].hits, &src->caches[0].misses);
	src->caches[1].name = "signing_keys";
	sigkey_cache_counts(ms->srv ? ms->srv->keys : NULL, &src->caches[1].hits, &src->caches[1].misses);
	src->caches[2].name = "rows";
	rowcache_counts(&src->caches[2].hits, &src->caches[2].misses);
	src->caches[3].name = "policies";
	policy_cache_counts(&src->caches[3].hits, &src->caches[3].misses);
	src->ncaches = 4;
	policy_cache_stats(&src->policy_cache_entries, &src->policy_cache_bytes);
}

static void plain(struct http_response *resp, int status, const char *text)
{
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	buf_reset(&resp->body);
	if (buf_puts(&resp->body, text) != C_OK)
		buf_reset(&resp->body);
}

void metrics_serve(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct metrics_sources src;

	if ((strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) || req->path_len != 8 ||
	    memcmp(req->path, "/metrics", 8) != 0) {
		plain(resp, 404, "404 page not found: this listener serves GET /metrics\n");
		return;
	}
	gather(ctx, &src);
	buf_reset(&resp->body);
	if (metrics_write(&resp->body, &src) != C_OK) {
		plain(resp, 500, "the metrics do not fit in the response\n");
		return;
	}
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

void metrics_reject(void *ctx, const struct http_request *req, enum http_reject why, struct http_response *resp)
{
	UNUSED(ctx);
	UNUSED(req);
	plain(resp, why == HTTP_REJECT_TOO_LARGE ? 413 : 400, "request refused\n");
}
