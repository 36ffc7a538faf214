/*
 * test_timeutil.c - tests src/util/timeutil.c: ISO 8601 formatting ("YYYY-MM-DDTHH:MM:SSZ") and parsing (with
 * fractions and offsets; malformed text and impossible dates refused), and the clocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/common.h"
#include "util/timeutil.h"

#define T_2026 INT64_C(1767323045) /* 2026-01-02T03:04:05Z */

static void parses_to(const char *s, int64_t want)
{
	int64_t t = -12345;

	if (time_parse_iso8601(s, &t) != C_OK) {
		print_error("'%s' refused\n", s);
		fail();
	}
	if (t != want)
		print_error("'%s' -> %lld, expected %lld\n", s, (long long)t, (long long)want);
	assert_int_equal(t, want);
}

static void refused(const char *s)
{
	int64_t t = -12345;

	if (time_parse_iso8601(s, &t) == C_OK) {
		print_error("'%s' accepted as %lld\n", s, (long long)t);
		fail();
	}
}

static void test_format(void **state)
{
	char out[ISO8601_LEN];

	(void)state;
	time_iso8601(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	time_iso8601(T_2026, out);
	assert_string_equal(out, "2026-01-02T03:04:05Z");
	time_iso8601(951782400, out); /* a leap day */
	assert_string_equal(out, "2000-02-29T00:00:00Z");
	time_iso8601(INT64_C(253402300799), out);
	assert_string_equal(out, "9999-12-31T23:59:59Z");
	time_iso8601(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59Z");
	assert_int_equal(strlen(out), ISO8601_LEN - 1);
}

static void test_parse_basic(void **state)
{
	(void)state;
	parses_to("1970-01-01T00:00:00Z", 0);
	parses_to("2026-01-02T03:04:05Z", T_2026);
	parses_to("2026-01-02t03:04:05z", T_2026); /* lowercase separators */
	parses_to("2000-02-29T00:00:00Z", 951782400);
	parses_to("2024-02-29T12:00:00Z", 1709208000);
	parses_to("9999-12-31T23:59:59Z", INT64_C(253402300799));
	parses_to("2026-12-31T23:59:59Z", 1798761599);
}

static void test_parse_fraction(void **state)
{
	(void)state;
	parses_to("2026-01-02T03:04:05.000Z", T_2026);
	parses_to("2026-01-02T03:04:05.5Z", T_2026);
	parses_to("2026-01-02T03:04:05.999999999Z", T_2026);
	parses_to("2026-01-02T03:04:05.123+00:00", T_2026);
	refused("2026-01-02T03:04:05.Z");
	refused("2026-01-02T03:04:05.");
	refused("2026-01-02T03:04:05.12a");
	refused("2026-01-02T03:04:05..1Z");
	refused("2026-01-02T03:04:05,5Z");
}

static void test_parse_offsets(void **state)
{
	(void)state;
	parses_to("2026-01-02T03:04:05+00:00", T_2026);
	parses_to("2026-01-02T03:04:05-00:00", T_2026);
	parses_to("2026-01-02T04:04:05+01:00", T_2026);
	parses_to("2026-01-01T21:34:05-05:30", T_2026);
	parses_to("2026-01-02T03:04:05+23:59", T_2026 - 23 * 3600 - 59 * 60);
	parses_to("2026-01-01T23:04:05.25-04:00", T_2026);
	refused("2026-01-02T03:04:05+0100");
	refused("2026-01-02T03:04:05+01");
	refused("2026-01-02T03:04:05+1:00");
	refused("2026-01-02T03:04:05+01:0");
	refused("2026-01-02T03:04:05+24:00");
	refused("2026-01-02T03:04:05+01:60");
	refused("2026-01-02T03:04:05+01:00Z");
	refused("2026-01-02T03:04:05 +01:00");
	refused("2026-01-02T03:04:05+aa:bb");
}

static void test_parse_malformed(void **state)
{
	(void)state;
	refused("");
	refused("2026");
	refused("2026-01-02");
	refused("2026-01-02T03:04:05");   /* no zone */
	refused("2026-01-02 03:04:05Z");  /* space instead of T */
	refused("2026/01/02T03:04:05Z");
	refused("2026-1-02T03:04:05Z");
	refused("2026-01-2T03:04:05Z");
	refused("2026-01-02T3:04:05Z");
	refused("2026-01-02T03:4:05Z");
	refused("2026-01-02T03:04:5Z");
	refused("20260102T030405Z");      /* the basic format is not this one */
	refused("2026-01-02T03:04:05ZZ");
	refused("2026-01-02T03:04:05Zjunk");
	refused("2026-0a-02T03:04:05Z");
	refused("-026-01-02T03:04:05Z");
	refused("+2026-01-02T03:04:05Z");
	refused("2026-01-02T03:04:05z ");
	refused("1767323045");
}

static void test_parse_out_of_range(void **state)
{
	(void)state;
	refused("2026-00-02T03:04:05Z");
	refused("2026-13-02T03:04:05Z");
	refused("2026-01-00T03:04:05Z");
	refused("2026-01-32T03:04:05Z");
	refused("2026-01-02T24:00:00Z");
	refused("2026-01-02T03:60:05Z");
	refused("2026-01-02T03:04:61Z");
	refused("1969-12-31T23:59:59Z");
	/* Days that do not exist in their month are refused, not rolled over into the next month. */
	refused("2026-02-29T00:00:00Z"); /* 2026 is not a leap year */
	refused("2026-02-30T00:00:00Z");
	refused("2026-02-31T00:00:00Z");
	refused("2026-04-31T00:00:00Z");
	refused("2026-06-31T00:00:00Z");
	refused("2026-09-31T00:00:00Z");
	refused("2026-11-31T00:00:00Z");
	refused("1900-02-29T00:00:00Z"); /* not a leap year, and before 1970 anyway */
	refused("2100-02-29T00:00:00Z"); /* divisible by 100, not by 400 */
	parses_to("2026-01-31T00:00:00Z", 1769817600);
	parses_to("2026-03-31T00:00:00Z", 1774915200);
	parses_to("2026-02-28T00:00:00Z", 1772236800);
}

static void test_round_trip(void **state)
{
	char out[ISO8601_LEN];
	int64_t t;

	(void)state;
	/* Format then parse gives the same second, across the range and every month. */
	for (int64_t s = 0; s < INT64_C(253402300799); s += INT64_C(86400) * 17 + 3607) {
		time_iso8601(s, out);
		assert_int_equal(time_parse_iso8601(out, &t), C_OK);
		if (t != s)
			print_error("%lld -> %s -> %lld\n", (long long)s, out, (long long)t);
		assert_int_equal(t, s);
	}
}

static void test_clocks(void **state)
{
	int64_t a, b, wall;
	time_t now = time(NULL);

	(void)state;
	wall = now_ms();
	assert_true(wall / 1000 >= (int64_t)now - 1 && wall / 1000 <= (int64_t)now + 2);
	a = mono_us();
	b = mono_us();
	assert_true(a > 0);
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),         cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_fraction), cmocka_unit_test(test_parse_offsets),
		cmocka_unit_test(test_parse_malformed), cmocka_unit_test(test_parse_out_of_range),
		cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
