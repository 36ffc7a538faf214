/*
 * test_auditlog.c - the group committer's short wait (src/server/auditlog.c, auditlog.h):
 *
 *   with requests under way when a record arrives, the committer waits for them and writes their records in the
 *   same batch; with none under way it writes at once (a linger of 60 s would otherwise show); a request that
 *   never hands in its record holds the batch back no longer than the linger; the records are written either way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/auditlog.h"
#include "store/db.h"
#include "store/store.h"
#include "util/common.h"
#include "util/timeutil.h"

#define ACCT "123456789012"
#define LONG_LINGER_US 60000000L /* 60 s: longer than any test waits */

struct fixture {
	char dir[64];
	struct db *db;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rolegate-test-XXXXXX");
	if (!mkdtemp(fx->dir) || !(fx->db = db_open_sqlite_file(fx->dir, "audit.db")) ||
	    store_migrate_audit(fx->db) != C_OK)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	db_close(fx->db);
	remove_dir(fx->dir);
	free(fx);
	return 0;
}

/* One record's wait: done() sets it. */
struct wait {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool done;
	int rc;
};

static void wait_init(struct wait *w)
{
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->done = false;
	w->rc = -1;
}

static void done(void *arg, int rc)
{
	struct wait *w = arg;

	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

/* Whether w's record was written within ms milliseconds. */
static bool written_within(struct wait *w, int ms)
{
	struct timespec until;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->done && pthread_cond_timedwait(&w->cond, &w->mu, &until) == 0)
		;
	ok = w->done && w->rc == C_OK;
	pthread_mutex_unlock(&w->mu);
	return ok;
}

static void submit(struct auditlog *q, const char *rid, struct wait *w)
{
	struct store_audit a = {.time_ms = 1000, .request_id = rid, .account_id = ACCT,
	                        .principal_arn = "arn:aws:iam::" ACCT ":user/anay", .action = "sts:AssumeRole",
	                        .outcome = "Success"};

	wait_init(w);
	assert_int_equal(auditlog_submit(q, &a, done, w), C_OK);
}

static int64_t audit_rows(struct db *db)
{
	struct db_tx *tx;
	int64_t n = -1;

	assert_int_equal(db_begin(db, false, &tx), C_OK);
	assert_int_equal(db_one_int(db_query_fresh(tx, "SELECT count(*) FROM audit", DB_NOARGS), &n), C_OK);
	db_rollback(tx);
	return n;
}

/* Two requests under way: the first one's record waits for the second one's, and one batch writes both. */
static void test_waits_for_requests_under_way(void **state)
{
	struct fixture *fx = *state;
	struct auditlog *q = auditlog_new(fx->db, LONG_LINGER_US);
	struct wait w1, w2;

	assert_non_null(q);
	auditlog_call_begin(q);
	auditlog_call_begin(q);
	submit(q, "r1", &w1);
	auditlog_call_end(q);
	assert_false(written_within(&w1, 300)); /* the second request is still under way */
	submit(q, "r2", &w2);
	auditlog_call_end(q);
	assert_true(written_within(&w1, 10000));
	assert_true(written_within(&w2, 10000));
	assert_int_equal(auditlog_batches(q), 1);
	auditlog_free(q);
	assert_int_equal(audit_rows(fx->db), 2);
}

/* Nothing under way (an idle server, an internal call): the record is written at once, not after the linger. */
static void test_idle_writes_at_once(void **state)
{
	struct fixture *fx = *state;
	struct auditlog *q = auditlog_new(fx->db, LONG_LINGER_US);
	struct wait w;

	assert_non_null(q);
	auditlog_call_begin(q); /* a request that ends before the record arrives */
	auditlog_call_end(q);
	submit(q, "r1", &w);
	assert_true(written_within(&w, 10000));
	auditlog_free(q);
	assert_int_equal(audit_rows(fx->db), 1);
}

/* A request that never hands in a record (it failed before, or writes in its own transaction) holds the batch
 * back for the linger only. */
static void test_linger_is_bounded(void **state)
{
	struct fixture *fx = *state;
	struct auditlog *q = auditlog_new(fx->db, 200000); /* 0.2 s */
	struct wait w;
	int64_t t0;

	assert_non_null(q);
	auditlog_call_begin(q); /* never ends */
	auditlog_call_begin(q);
	t0 = mono_us();
	submit(q, "r1", &w);
	auditlog_call_end(q);
	assert_true(written_within(&w, 10000));
	assert_true(mono_us() - t0 >= 200000); /* it did wait for the other one */
	auditlog_free(q);
	assert_int_equal(audit_rows(fx->db), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_waits_for_requests_under_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_writes_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linger_is_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
