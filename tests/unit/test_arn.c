/*
 * test_arn.c - tests src/aws/arn.c: building user and root ARNs (and refusing what does not fit), and splitting
 * ARNs into their six parts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "util/common.h"

static void test_user(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(arn_user(out, sizeof(out), "123456789012", "/", "bob"), C_OK);
	assert_string_equal(out, "arn:aws:iam::123456789012:user/bob");
	assert_int_equal(arn_user(out, sizeof(out), "123456789012", "/division_abc/subdivision_xyz/", "Bob"), C_OK);
	assert_string_equal(out, "arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob");
}

static void test_root(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(arn_root(out, sizeof(out), "123456789012"), C_OK);
	assert_string_equal(out, "arn:aws:iam::123456789012:root");
}

static void test_cap(void **state)
{
	const char *want = "arn:aws:iam::123456789012:user/bob";
	size_t n = strlen(want);
	char out[64];

	(void)state;
	/* Exactly enough room (the NUL included) works; one byte less is refused. */
	assert_int_equal(arn_user(out, n + 1, "123456789012", "/", "bob"), C_OK);
	assert_string_equal(out, want);
	memset(out, 'x', sizeof(out));
	assert_int_equal(arn_user(out, n, "123456789012", "/", "bob"), C_ERR);
	assert_true(memchr(out, '\0', n) != NULL); /* still terminated within the cap */
	assert_int_equal(arn_root(out, strlen("arn:aws:iam::123456789012:root"), "123456789012"), C_ERR);
	assert_int_equal(arn_root(out, strlen("arn:aws:iam::123456789012:root") + 1, "123456789012"), C_OK);
}

static void test_parse(void **state)
{
	struct arn a;

	(void)state;
	assert_int_equal(arn_parse("arn:aws:iam::123456789012:user/division/bob", &a), C_OK);
	assert_string_equal(a.partition, "aws");
	assert_string_equal(a.service, "iam");
	assert_string_equal(a.region, "");
	assert_string_equal(a.account, "123456789012");
	assert_string_equal(a.resource, "user/division/bob");

	assert_int_equal(arn_parse("arn:aws-cn:sts:cn-north-1:123456789012:assumed-role/r/s", &a), C_OK);
	assert_string_equal(a.partition, "aws-cn");
	assert_string_equal(a.service, "sts");
	assert_string_equal(a.region, "cn-north-1");
	assert_string_equal(a.resource, "assumed-role/r/s");

	/* The resource keeps its own colons. */
	assert_int_equal(arn_parse("arn:aws:logs:us-east-1:123456789012:log-group:/a/b:*", &a), C_OK);
	assert_string_equal(a.account, "123456789012");
	assert_string_equal(a.resource, "log-group:/a/b:*");

	/* Region and account may be empty (S3, managed policies). */
	assert_int_equal(arn_parse("arn:aws:iam::aws:policy/PowerUserAccess", &a), C_OK);
	assert_string_equal(a.account, "aws");
	assert_int_equal(arn_parse("arn:aws:s3:::bucket/key", &a), C_OK);
	assert_string_equal(a.account, "");
	assert_string_equal(a.resource, "bucket/key");

	/* The parts point into the struct's own copy. */
	{
		char s[] = "arn:aws:iam::123456789012:root";
		assert_int_equal(arn_parse(s, &a), C_OK);
		memset(s, 'z', sizeof(s) - 1);
		assert_string_equal(a.resource, "root");
		assert_true(a.resource >= a.buf && a.resource < a.buf + sizeof(a.buf));
	}
}

static void test_parse_refused(void **state)
{
	struct arn a;
	static const char *const bad[] = {
		"",
		"arn",
		"arn:",
		"arn:aws",
		"arn:aws:iam",
		"arn:aws:iam::123456789012",  /* five parts */
		"arn:aws:iam::123456789012:", /* empty resource */
		"arn::iam::123456789012:root", /* empty partition */
		"arn:aws:::123456789012:root", /* empty service */
		"ARN:aws:iam::123456789012:root",
		"urn:aws:iam::123456789012:root",
		" arn:aws:iam::123456789012:root",
	};
	char *huge;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		if (arn_parse(bad[i], &a) == C_OK) {
			print_error("'%s' accepted\n", bad[i]);
			fail();
		}
	}
	/* Longer than the struct holds: refused, not truncated. */
	huge = malloc(sizeof(a.buf) + 1);
	assert_non_null(huge);
	memcpy(huge, "arn:aws:iam::123456789012:user/", 31);
	memset(huge + 31, 'a', sizeof(a.buf) - 31);
	huge[sizeof(a.buf)] = '\0';
	assert_int_equal(arn_parse(huge, &a), C_ERR);
	huge[sizeof(a.buf) - 1] = '\0'; /* the longest that fits */
	assert_int_equal(arn_parse(huge, &a), C_OK);
	assert_int_equal(strlen(a.resource), sizeof(a.buf) - 1 - 26);
	free(huge);
}

static void test_round_trip(void **state)
{
	char out[256];
	struct arn a;

	(void)state;
	assert_int_equal(arn_user(out, sizeof(out), "000000000042", "/a/b/", "c.d@e"), C_OK);
	assert_int_equal(arn_parse(out, &a), C_OK);
	assert_string_equal(a.partition, "aws");
	assert_string_equal(a.service, "iam");
	assert_string_equal(a.account, "000000000042");
	assert_string_equal(a.resource, "user/a/b/c.d@e");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user),  cmocka_unit_test(test_root),          cmocka_unit_test(test_cap),
		cmocka_unit_test(test_parse), cmocka_unit_test(test_parse_refused), cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
