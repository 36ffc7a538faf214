/*
 * test_fedreq.c - tests src/console/fedreq.c: /federation's Session JSON, SessionDuration and login Destination.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "console/fedreq.h"
#include "util/common.h"

static int parse(const char *json, struct fed_session *s)
{
	return fed_session_parse(json, strlen(json), s);
}

static void test_session_json(void **state)
{
	struct fed_session s;

	(void)state;
	assert_int_equal(parse("{\"sessionId\":\"ASIAEXAMPLE\",\"sessionKey\":\"sec/ret+\",\"sessionToken\":\"RGT2.k.abc\"}",
	                       &s),
	                 C_OK);
	assert_string_equal(s.access_key_id, "ASIAEXAMPLE");
	assert_string_equal(s.secret, "sec/ret+");
	assert_string_equal(s.token, "RGT2.k.abc");
	assert_true(s.has_token);
	/* other keys are ignored, in any order */
	assert_int_equal(parse("{\"x\":1,\"sessionKey\":\"k\",\"sessionId\":\"AKIA1\"}", &s), C_OK);
	assert_false(s.has_token); /* long-term keys: read, refused by the caller */
	fed_session_clear(&s);
	assert_string_equal(s.secret, "");
}

static void test_session_json_refused(void **state)
{
	static const char *bad[] = {
		"",
		"[]",
		"\"x\"",
		"{}",
		"{\"sessionId\":\"A\"}",
		"{\"sessionKey\":\"k\",\"sessionToken\":\"t\"}",
		"{\"sessionId\":\"\",\"sessionKey\":\"k\",\"sessionToken\":\"t\"}",
		"{\"sessionId\":\"A\",\"sessionKey\":\"\",\"sessionToken\":\"t\"}",
		"{\"sessionId\":\"A\",\"sessionKey\":\"k\",\"sessionToken\":\"\"}",
		"{\"sessionId\":\"A\",\"sessionKey\":\"k\",\"sessionToken\":5}",
		"{\"sessionId\":\"A\",\"sessionKey\":\"k\",\"sessionToken\":null}",
		"{\"sessionId\":1,\"sessionKey\":\"k\",\"sessionToken\":\"t\"}",
		"{\"sessionId\":\"A\",\"sessionId\":\"B\",\"sessionKey\":\"k\",\"sessionToken\":\"t\"}",
		"{\"sessionId\":\"A\\u0000B\",\"sessionKey\":\"k\",\"sessionToken\":\"t\"}",
		"{\"sessionId\":\"A\",\"sessionKey\":\"k\",\"sessionToken\":\"t\"",
		"{\"sessionId\":\"A\",\"sessionKey\":\"k\",\"sessionToken\":\"t\"} x",
		"{\"sessionId\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"sessionKey\":\"k\"}",
	};
	struct fed_session s;
	char big[FED_SESSION_MAX + 64];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(parse(bad[i], &s), C_ERR);
		assert_string_equal(s.secret, "");
		assert_string_equal(s.access_key_id, "");
	}
	/* longer than FED_SESSION_MAX: refused before it is read */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"sessionId\":\"A\",\"sessionKey\":\"k\"}", 34);
	assert_int_equal(fed_session_parse(big, sizeof(big), &s), C_ERR);
	assert_int_equal(fed_session_parse(big, 34, &s), C_OK);
}

static void test_duration(void **state)
{
	int64_t d = -1;

	(void)state;
	assert_int_equal(fed_duration_parse(NULL, &d), C_OK);
	assert_int_equal(d, 0);
	assert_int_equal(fed_duration_parse("", &d), C_OK);
	assert_int_equal(d, 0);
	assert_int_equal(fed_duration_parse("900", &d), C_OK);
	assert_int_equal(d, 900);
	assert_int_equal(fed_duration_parse("43200", &d), C_OK);
	assert_int_equal(d, 43200);
	assert_int_equal(fed_duration_parse("899", &d), C_ERR);
	assert_int_equal(fed_duration_parse("43201", &d), C_ERR);
	assert_int_equal(fed_duration_parse("-900", &d), C_ERR);
	assert_int_equal(fed_duration_parse("+900", &d), C_ERR);
	assert_int_equal(fed_duration_parse("900 ", &d), C_ERR);
	assert_int_equal(fed_duration_parse("1e3", &d), C_ERR);
	assert_int_equal(fed_duration_parse("0000000000001000", &d), C_ERR);
	assert_int_equal(fed_duration_parse("99999999999999999999", &d), C_ERR);
}

static void test_destination(void **state)
{
	const char *host = "127.0.0.1:8443";

	(void)state;
	assert_true(fed_destination_ok("/console/", host));
	assert_true(fed_destination_ok("/console", host));
	assert_true(fed_destination_ok("/console/iam/roles?x=1", host));
	assert_true(fed_destination_ok("/console/", NULL));
	assert_true(fed_destination_ok("https://127.0.0.1:8443/console/", host));
	assert_true(fed_destination_ok("HTTP://127.0.0.1:8443/console#top", host));
	assert_true(fed_destination_ok("https://LOCALHOST:1/console/", "localhost:1"));

	assert_false(fed_destination_ok(NULL, host));
	assert_false(fed_destination_ok("", host));
	assert_false(fed_destination_ok("/", host));
	assert_false(fed_destination_ok("/consoles", host));
	assert_false(fed_destination_ok("/federation", host));
	assert_false(fed_destination_ok("//evil.example/console/", host));
	assert_false(fed_destination_ok("/\\evil.example/console/", host));
	assert_false(fed_destination_ok("/console/\r\nSet-Cookie: x=1", host));
	assert_false(fed_destination_ok("/console/ x", host));
	assert_false(fed_destination_ok("https://console.aws.amazon.com/", host));
	assert_false(fed_destination_ok("https://evil.example/console/", host));
	assert_false(fed_destination_ok("https://127.0.0.1:8443.evil.example/console/", host));
	assert_false(fed_destination_ok("https://127.0.0.1:8443@evil.example/console/", host));
	assert_false(fed_destination_ok("https://x@127.0.0.1:8443/console/", "x@127.0.0.1:8443"));
	assert_false(fed_destination_ok("https://127.0.0.1:8443//evil.example/console/", host));
	assert_false(fed_destination_ok("https://127.0.0.1:8443", host));
	assert_false(fed_destination_ok("https://127.0.0.1:8443/", host));
	assert_false(fed_destination_ok("https://127.0.0.1:8443/console/", NULL));
	assert_false(fed_destination_ok("javascript:alert(1)//console/", host));
	assert_false(fed_destination_ok("ftp://127.0.0.1:8443/console/", host));

	assert_string_equal(fed_destination_path("/console/iam?x=1"), "/console/iam?x=1");
	assert_string_equal(fed_destination_path("https://127.0.0.1:8443/console/iam/roles#a"), "/console/iam/roles#a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_json),
		cmocka_unit_test(test_session_json_refused),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_destination),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
