/*
 * test_metrics.c - tests src/server/metrics.c: histogram bucketing (a value on a bound falls in that bound's bucket,
 * beyond the last in +Inf), the histogram's exposition (cumulative buckets, +Inf equal to _count, _sum in the
 * exposed unit), label escaping, the request tag (actions from the table; anything else "unknown"; a granted call
 * answered with an error counted as an error), the outcome of an error code, and a whole exposition that ends full
 * buffers with C_ERR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/call.h"
#include "server/metrics.h"
#include "util/buf.h"
#include "util/common.h"

static const double bounds[] = {0.001, 0.01, 0.1};

static void test_bucketing(void **state)
{
	struct metrics_hist h = {.bounds = bounds, .nbounds = ARRAY_LEN(bounds), .scale = 1e6};

	(void)state;
	metrics_hist_observe(&h, 0);       /* 0 s */
	metrics_hist_observe(&h, 1000);    /* exactly 1 ms: the first bucket (le is "less or equal") */
	metrics_hist_observe(&h, 1001);    /* just above: the second */
	metrics_hist_observe(&h, 100000);  /* exactly the last bound */
	metrics_hist_observe(&h, 5000000); /* 5 s: +Inf */
	assert_int_equal(h.buckets[0], 2);
	assert_int_equal(h.buckets[1], 1);
	assert_int_equal(h.buckets[2], 1);
	assert_int_equal(h.buckets[3], 1);
	assert_int_equal(h.sum, 0 + 1000 + 1001 + 100000 + 5000000);
}

static void test_hist_exposition(void **state)
{
	struct metrics_hist h = {.bounds = bounds, .nbounds = ARRAY_LEN(bounds), .scale = 1e6};
	static const double sizes[] = {1, 4};
	struct metrics_hist n = {.bounds = sizes, .nbounds = ARRAY_LEN(sizes), .scale = 1};
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	metrics_hist_observe(&h, 500);
	metrics_hist_observe(&h, 20000);
	metrics_hist_observe(&h, 20000);
	metrics_hist_observe(&h, 2000000);
	assert_int_equal(metrics_write_hist(&b, "x_seconds", "Some time", "service=\"sts\"", &h, true), C_OK);
	assert_string_equal(buf_str(&b), "# HELP x_seconds Some time\n"
	                                 "# TYPE x_seconds histogram\n"
	                                 "x_seconds_bucket{service=\"sts\",le=\"0.001\"} 1\n"
	                                 "x_seconds_bucket{service=\"sts\",le=\"0.01\"} 1\n"
	                                 "x_seconds_bucket{service=\"sts\",le=\"0.1\"} 3\n"
	                                 "x_seconds_bucket{service=\"sts\",le=\"+Inf\"} 4\n"
	                                 "x_seconds_sum{service=\"sts\"} 2.040500\n"
	                                 "x_seconds_count{service=\"sts\"} 4\n");
	/* no labels, no header (a second series of a family), counted in records */
	buf_reset(&b);
	metrics_hist_observe(&n, 3);
	metrics_hist_observe(&n, 9);
	assert_int_equal(metrics_write_hist(&b, "y_records", "unused", NULL, &n, false), C_OK);
	assert_string_equal(buf_str(&b), "y_records_bucket{le=\"1\"} 0\n"
	                                 "y_records_bucket{le=\"4\"} 1\n"
	                                 "y_records_bucket{le=\"+Inf\"} 2\n"
	                                 "y_records_sum 12\n"
	                                 "y_records_count 2\n");
	/* a buffer too small fails */
	buf_free(&b);
	buf_init(&b, 40);
	assert_int_equal(metrics_write_hist(&b, "x_seconds", "Some time", NULL, &h, true), C_ERR);
	buf_free(&b);
}

static void test_escape(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(metrics_escape_label(&b, "a\"b\\c\nd"), C_OK);
	assert_string_equal(buf_str(&b), "a\\\"b\\\\c\\nd");
	buf_free(&b);
	buf_init(&b, 3);
	assert_int_equal(metrics_escape_label(&b, "\"\""), C_ERR);
	buf_free(&b);
}

static void test_outcome(void **state)
{
	(void)state;
	assert_int_equal(metrics_outcome_of(ERR_NONE), METRICS_GRANTED);
	assert_int_equal(metrics_outcome_of(ERR_ACCESS_DENIED), METRICS_DENIED);
	assert_int_equal(metrics_outcome_of(ERR_ORG_ACCESS_DENIED), METRICS_DENIED);
	assert_int_equal(metrics_outcome_of(ERR_SIGNATURE_DOES_NOT_MATCH), METRICS_ERROR);
	assert_int_equal(metrics_outcome_of(ERR_THROTTLING), METRICS_ERROR);
	assert_int_equal(metrics_outcome_of(ERR_SERVICE_FAILURE), METRICS_ERROR);
}

/* Whether the exposition has the line `want` (whole). */
static bool has_line(const char *text, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = text; (p = strstr(p, want)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_requests(void **state)
{
	const struct action *assume = action_find("sts", "AssumeRole"), *list = action_find("iam", "ListUsers");
	struct metrics_sources src = {.connections_open = 3, .connections_accepted = 7, .ncaches = 1,
	                              .caches = {{"rows", 5, 2}}};
	struct buf b;

	(void)state;
	assert_non_null(assume);
	assert_non_null(list);
	metrics_init();
	assert_int_not_equal(metrics_request_tag("sts", assume, METRICS_GRANTED, ERR_NONE), 0);
	metrics_request_done(metrics_request_tag("sts", assume, METRICS_GRANTED, ERR_NONE), 200, 1500);
	/* granted, but the answer sent was an error (its audit record failed): an error, ServiceFailure */
	metrics_request_done(metrics_request_tag("sts", assume, METRICS_GRANTED, ERR_NONE), 500, 1500);
	metrics_request_done(metrics_request_tag("sts", assume, METRICS_DENIED, ERR_ACCESS_DENIED), 403, 800);
	metrics_request_done(metrics_request_tag("iam", list, METRICS_GRANTED, ERR_NONE), 200, 100);
	/* no action (refused before it was read), an unknown service, and no tag at all */
	metrics_request_done(metrics_request_tag("sts", NULL, METRICS_ERROR, ERR_SIGNATURE_DOES_NOT_MATCH), 403, 50);
	metrics_request_done(metrics_request_tag("s3\"evil", NULL, METRICS_ERROR, ERR_INVALID_ACTION), 400, 50);
	metrics_request_done(0, 200, 10);
	metrics_audit_batch(3, 700, true);
	metrics_mfa_refused(-22); /* MFA_REFUSED_CODE */
	metrics_mfa_refused(-1);  /* a storage failure: not counted */
	metrics_mfa_lockout();

	buf_init(&b, 1 << 20);
	assert_int_equal(metrics_write(&b, &src), C_OK);
	const char *t = buf_str(&b);
	assert_true(has_line(t, "rolegate_requests_total{service=\"sts\",action=\"AssumeRole\",outcome=\"granted\"} 1"));
	assert_true(has_line(t, "rolegate_requests_total{service=\"sts\",action=\"AssumeRole\",outcome=\"error\"} 1"));
	assert_true(has_line(t, "rolegate_requests_total{service=\"sts\",action=\"AssumeRole\",outcome=\"denied\"} 1"));
	assert_true(has_line(t, "rolegate_requests_total{service=\"iam\",action=\"ListUsers\",outcome=\"granted\"} 1"));
	assert_true(has_line(t, "rolegate_requests_total{service=\"sts\",action=\"unknown\",outcome=\"error\"} 1"));
	assert_true(has_line(t, "rolegate_requests_total{service=\"unknown\",action=\"unknown\",outcome=\"error\"} 1"));
	assert_null(strstr(t, "evil"));
	assert_null(strstr(t, "action=\"GetCallerIdentity\"")); /* series appear with their first request */
	assert_true(has_line(t, "rolegate_request_errors_total{service=\"sts\",code=\"ServiceFailure\"} 1"));
	assert_true(has_line(t, "rolegate_request_errors_total{service=\"sts\",code=\"AccessDenied\"} 1"));
	assert_true(has_line(t, "rolegate_request_errors_total{service=\"sts\",code=\"SignatureDoesNotMatch\"} 1"));
	assert_true(has_line(t, "rolegate_request_errors_total{service=\"unknown\",code=\"InvalidAction\"} 1"));
	assert_true(has_line(t, "rolegate_sessions_issued_total{action=\"AssumeRole\"} 1"));
	assert_true(has_line(t, "rolegate_sessions_issued_total{action=\"GetSessionToken\"} 0"));
	assert_true(has_line(t, "rolegate_request_duration_seconds_count{service=\"sts\"} 4"));
	assert_true(has_line(t, "rolegate_request_duration_seconds_bucket{service=\"sts\",le=\"0.0005\"} 1"));
	assert_true(has_line(t, "rolegate_request_duration_seconds_bucket{service=\"sts\",le=\"0.001\"} 2"));
	assert_true(has_line(t, "rolegate_request_duration_seconds_sum{service=\"sts\"} 0.003850"));
	assert_true(has_line(t, "rolegate_request_duration_seconds_count{service=\"iam\"} 1"));
	assert_true(has_line(t, "rolegate_request_duration_seconds_count{service=\"unknown\"} 1"));
	assert_true(has_line(t, "rolegate_audit_batch_records_sum 3"));
	assert_true(has_line(t, "rolegate_audit_commit_duration_seconds_bucket{le=\"0.001\"} 1"));
	assert_true(has_line(t, "rolegate_mfa_failures_total{reason=\"invalid_code\"} 1"));
	assert_true(has_line(t, "rolegate_mfa_failures_total{reason=\"locked\"} 0"));
	assert_true(has_line(t, "rolegate_mfa_lockouts_total 1"));
	assert_true(has_line(t, "rolegate_cache_hits_total{cache=\"rows\"} 5"));
	assert_true(has_line(t, "rolegate_cache_misses_total{cache=\"rows\"} 2"));
	assert_true(has_line(t, "rolegate_connections_open 3"));
	assert_true(has_line(t, "rolegate_connections_accepted_total 7"));
	assert_true(has_line(t, "# TYPE rolegate_requests_total counter"));
	assert_true(has_line(t, "# TYPE rolegate_request_duration_seconds histogram"));
	/* each family's TYPE once, though the histogram has four label sets */
	assert_int_equal(count(t, "# TYPE rolegate_request_duration_seconds "), 1);
	assert_int_equal(count(t, "rolegate_request_duration_seconds_count{"), 4);
	/* a full buffer is C_ERR, at any size */
	for (size_t cap = 0; cap < b.len; cap += 97) {
		struct buf small;
		buf_init(&small, cap);
		assert_int_equal(metrics_write(&small, &src), C_ERR);
		buf_free(&small);
	}
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucketing), cmocka_unit_test(test_hist_exposition), cmocka_unit_test(test_escape),
		cmocka_unit_test(test_outcome),   cmocka_unit_test(test_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
