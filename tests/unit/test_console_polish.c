/*
 * test_console_polish.c - tests where the console sends a browser after sign-in (signin_return_ok, signin.c: only a
 * path of this console, never another site) and which role colours need /console/session.css (rolecolor_custom,
 * rolecolor.c: six hex digits other than AWS's five).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "console/rolecolor.h"
#include "console/routes.h"

static void test_return_ok(void **state)
{
	static const char *const good[] = {
		"/console/", "/console/iam/roles", "/console/switchrole?account=123456789012&roleName=admin&color=123ABC",
		"/console/iam/users/a.b", "/console/x?y=%2F%2Fevil.example",
	};
	static const char *const bad[] = {
		NULL, "", "/", "/console", "https://evil.example/console/", "//evil.example/console/", "/\\evil.example",
		"/console//evil.example", "/console/\\evil", "/console/../federation", "/console/x/..", "/console/x/.",
		"/console/./x", "javascript:alert(1)", "/federation", "/console/a b", "/console/a\r\nX: y", "/console/a\t",
		"/console/\x7f", "/console/\xc3\xa9", "/console/signin", "/console/signin?redirect_uri=/console/", " /console/",
		"/consolex/", "/api/console/",
	};
	char longest[SIGNIN_RETURN_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(signin_return_ok(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(signin_return_ok(bad[i]));
	memcpy(longest, "/console/", 9);
	memset(longest + 9, 'a', sizeof(longest) - 10);
	longest[SIGNIN_RETURN_MAX] = '\0';
	assert_true(signin_return_ok(longest)); /* SIGNIN_RETURN_MAX bytes */
	longest[SIGNIN_RETURN_MAX] = 'a';
	longest[SIGNIN_RETURN_MAX + 1] = '\0';
	assert_false(signin_return_ok(longest)); /* one more */
}

static void test_custom_colour(void **state)
{
	(void)state;
	assert_true(rolecolor_custom("123ABC"));
	assert_true(rolecolor_custom("0a0b0c"));
	assert_false(rolecolor_custom("F2B0A9")); /* AWS's five: console.css classes */
	assert_false(rolecolor_custom("99bce3"));
	assert_false(rolecolor_custom(""));
	assert_false(rolecolor_custom(NULL));
	assert_false(rolecolor_custom("12345"));
	assert_false(rolecolor_custom("1234567"));
	assert_false(rolecolor_custom("12345G"));
	assert_false(rolecolor_custom("#123ABC"));
	assert_false(rolecolor_custom("12;}x{"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_return_ok),
		cmocka_unit_test(test_custom_colour),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
