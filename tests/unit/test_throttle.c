/*
 * test_throttle.c - tests src/server/throttle.c: RPS[:BURST] parsing, the bucket arithmetic (burst, refill, the cap
 * at burst, a clock that goes back), the account's bucket beside the principal's (a refused request charges
 * neither), and the bounded table: a flood of distinct principals neither grows it nor refills a drained bucket.
 * Time is passed in, in microseconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "server/throttle.h"
#include "util/common.h"

#define SEC 1000000LL

static struct rate_limit rate(const char *text)
{
	struct rate_limit r;
	char err[256];

	assert_int_equal(rate_limit_parse(text, &r, err, sizeof(err)), C_OK);
	return r;
}

static void test_parse(void **state)
{
	static const char *const bad[] = {"", "-1", "abc", "5:", "5:0", "5:x", "nan", "inf", "1e9", " 5", "5 ",
	                                  "5:1000001", "5:-1", ":5", "5:5:5", "0x10", "1000001"};
	struct rate_limit r;
	char err[256];

	(void)state;
	r = rate("5");
	assert_true(r.rps == 5 && r.burst == 5);
	r = rate("5:20");
	assert_true(r.rps == 5 && r.burst == 20);
	r = rate("0.5");
	assert_true(r.rps == 0.5 && r.burst == 1);
	r = rate("2.5");
	assert_true(r.burst == 3);
	r = rate("0");
	assert_true(r.rps == 0);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		r = (struct rate_limit){7, 7};
		assert_int_equal(rate_limit_parse(bad[i], &r, err, sizeof(err)), C_ERR);
		assert_non_null(strstr(err, "RPS[:BURST]"));
		assert_true(r.rps == 7 && r.burst == 7); /* left as it was */
	}
}

static void test_unlimited(void **state)
{
	struct rate_limit none = rate("0");

	(void)state;
	assert_null(throttle_new(&none, &none, 64));
	for (int i = 0; i < 1000; i++)
		assert_int_equal(throttle_take(NULL, "AIDAEXAMPLE", "111111111111", 0), THROTTLE_PASS);
	assert_int_equal(throttle_refused(NULL), 0);
}

static void test_burst_and_refill(void **state)
{
	struct rate_limit p = rate("5:5"), none = rate("0");
	struct throttle *t = throttle_new(&p, &none, 1024);
	int64_t t0 = 1000 * SEC;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < 5; i++)
		assert_int_equal(throttle_take(t, "AIDAONE", "111111111111", t0), THROTTLE_PASS);
	assert_int_equal(throttle_take(t, "AIDAONE", "111111111111", t0), THROTTLE_PRINCIPAL);
	assert_int_equal(throttle_take(t, "AIDAONE", "111111111111", t0 + SEC / 10), THROTTLE_PRINCIPAL); /* 0.5 */
	/* another principal of the same account has its own bucket */
	assert_int_equal(throttle_take(t, "AIDATWO", "111111111111", t0), THROTTLE_PASS);
	/* 200 ms at 5/s: one token */
	assert_int_equal(throttle_take(t, "AIDAONE", "111111111111", t0 + SEC / 5), THROTTLE_PASS);
	assert_int_equal(throttle_take(t, "AIDAONE", "111111111111", t0 + SEC / 5), THROTTLE_PRINCIPAL);
	/* a clock that goes back adds nothing (and breaks nothing) */
	assert_int_equal(throttle_take(t, "AIDAONE", "111111111111", t0), THROTTLE_PRINCIPAL);
	/* an hour later: the bucket holds burst tokens, not 18000 */
	for (int i = 0; i < 5; i++)
		assert_int_equal(throttle_take(t, "AIDAONE", "111111111111", t0 + 3600 * SEC), THROTTLE_PASS);
	assert_int_equal(throttle_take(t, "AIDAONE", "111111111111", t0 + 3600 * SEC), THROTTLE_PRINCIPAL);
	assert_int_equal(throttle_refused(t), 5);
	throttle_free(t);
}

static void test_fractional_rate(void **state)
{
	struct rate_limit p = rate("0.5"), none = rate("0");
	struct throttle *t = throttle_new(&p, &none, 16);

	(void)state;
	assert_int_equal(throttle_take(t, "AIDAONE", "111111111111", 0), THROTTLE_PASS);
	assert_int_equal(throttle_take(t, "AIDAONE", "111111111111", SEC), THROTTLE_PRINCIPAL);
	assert_int_equal(throttle_take(t, "AIDAONE", "111111111111", 2 * SEC), THROTTLE_PASS);
	throttle_free(t);
}

static void test_account(void **state)
{
	struct rate_limit p = rate("1:1"), a = rate("3:3");
	struct throttle *t = throttle_new(&p, &a, 1024);

	(void)state;
	assert_int_equal(throttle_take(t, "AIDAA", "111111111111", 0), THROTTLE_PASS);
	/* refused by its own bucket: the account's is not charged */
	for (int i = 0; i < 10; i++)
		assert_int_equal(throttle_take(t, "AIDAA", "111111111111", 0), THROTTLE_PRINCIPAL);
	assert_int_equal(throttle_take(t, "AIDAB", "111111111111", 0), THROTTLE_PASS);
	assert_int_equal(throttle_take(t, "AIDAC", "111111111111", 0), THROTTLE_PASS);
	/* the account's three are spent: a fourth principal with a full bucket of its own is refused, uncharged */
	assert_int_equal(throttle_take(t, "AIDAD", "111111111111", 0), THROTTLE_ACCOUNT);
	/* another account is not affected */
	assert_int_equal(throttle_take(t, "AIDAE", "222222222222", 0), THROTTLE_PASS);
	/* a second later the account has 3 more: D's own token was not taken by the refusal */
	assert_int_equal(throttle_take(t, "AIDAD", "111111111111", SEC), THROTTLE_PASS);
	assert_int_equal(throttle_take(t, "AIDAD", "111111111111", SEC), THROTTLE_PRINCIPAL);
	assert_int_equal(throttle_refused(t), 12);
	throttle_free(t);
}

static void test_account_only(void **state)
{
	struct rate_limit none = rate("0"), a = rate("2");
	struct throttle *t = throttle_new(&none, &a, 16);

	(void)state;
	assert_int_equal(throttle_take(t, "AIDAA", "111111111111", 0), THROTTLE_PASS);
	assert_int_equal(throttle_take(t, "AIDAB", "111111111111", 0), THROTTLE_PASS);
	assert_int_equal(throttle_take(t, "AIDAC", "111111111111", 0), THROTTLE_ACCOUNT);
	throttle_free(t);
}

/* A flood of distinct principals on a small table (64 stripes of 8 slots): a drained bucket is not pushed out (the
 * newcomers take the fullest slots, the flood's own), so its owner does not get a fresh burst. */
static void test_flood_keeps_drained_bucket(void **state)
{
	struct rate_limit p = rate("1:3"), none = rate("0");
	struct throttle *t = throttle_new(&p, &none, 1);
	char key[64];

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(throttle_take(t, "AROAVICTIM:session", "111111111111", 0), THROTTLE_PASS);
	assert_int_equal(throttle_take(t, "AROAVICTIM:session", "111111111111", 0), THROTTLE_PRINCIPAL);
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "AIDAFLOOD%d", i);
		assert_int_equal(throttle_take(t, key, "111111111111", 0), THROTTLE_PASS);
	}
	assert_int_equal(throttle_take(t, "AROAVICTIM:session", "111111111111", 0), THROTTLE_PRINCIPAL);
	/* keys are compared in full: a key that differs only at its end is another principal */
	assert_int_equal(throttle_take(t, "AROAVICTIM:sessioN", "111111111111", 0), THROTTLE_PASS);
	throttle_free(t);
}

/* Many drained principals on a small table: each is still refused when it comes back within the second (the table
 * keeps the buckets it can: here 4096 slots, 400 principals). */
static void test_many_drained(void **state)
{
	struct rate_limit p = rate("1:1"), none = rate("0");
	struct throttle *t = throttle_new(&p, &none, 4096);
	char key[64];
	int kept = 0;

	(void)state;
	for (int i = 0; i < 400; i++) {
		snprintf(key, sizeof(key), "AIDAMANY%d", i);
		assert_int_equal(throttle_take(t, key, "111111111111", 0), THROTTLE_PASS);
	}
	for (int i = 0; i < 400; i++) {
		snprintf(key, sizeof(key), "AIDAMANY%d", i);
		kept += throttle_take(t, key, "111111111111", SEC / 2) == THROTTLE_PRINCIPAL;
	}
	/* a key finds a place in its stripe's 8-slot window unless 8 others took it first */
	assert_int_equal(kept, 400);
	throttle_free(t);
}

static void test_long_key_refused(void **state)
{
	struct rate_limit p = rate("100"), none = rate("0");
	struct throttle *t = throttle_new(&p, &none, 16);
	char key[THROTTLE_KEY_MAX + 1];

	(void)state;
	memset(key, 'A', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(throttle_take(t, key, "111111111111", 0), THROTTLE_PRINCIPAL);
	key[THROTTLE_KEY_MAX - 1] = '\0'; /* the longest that fits */
	assert_int_equal(throttle_take(t, key, "111111111111", 0), THROTTLE_PASS);
	throttle_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_burst_and_refill),
		cmocka_unit_test(test_fractional_rate),
		cmocka_unit_test(test_account),
		cmocka_unit_test(test_account_only),
		cmocka_unit_test(test_flood_keeps_drained_bucket),
		cmocka_unit_test(test_many_drained),
		cmocka_unit_test(test_long_key_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
