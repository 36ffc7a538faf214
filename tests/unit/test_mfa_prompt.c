/*
 * test_mfa_prompt.c - MFA codes from --mfa-code, mfa_process and a terminal (a file standing in for it).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/mfa_prompt.h"
#include "util/common.h"

static void test_parse(void **state)
{
	char out[MFA_CODE_LEN + 1];

	(void)state;
	assert_int_equal(mfa_code_parse("123456", out), C_OK);
	assert_string_equal(out, "123456");
	assert_int_equal(mfa_code_parse("  012345\n", out), C_OK);
	assert_string_equal(out, "012345");
	assert_int_equal(mfa_code_parse("12345", out), C_ERR);
	assert_int_equal(mfa_code_parse("1234567", out), C_ERR);
	assert_int_equal(mfa_code_parse("12a456", out), C_ERR);
	assert_int_equal(mfa_code_parse("123456 7", out), C_ERR);
	assert_int_equal(mfa_code_parse("", out), C_ERR);
}

static void test_given(void **state)
{
	char out[MFA_CODE_LEN + 1], err[MFA_PROMPT_ERR_MAX];
	struct mfa_source src = {.given = "654321", .process = "echo 111111"};

	(void)state;
	assert_int_equal(mfa_code_get(&src, "arn:aws:iam::1:mfa/a", out, err), C_OK);
	assert_string_equal(out, "654321"); /* --mfa-code wins over mfa_process */
	src.given = "65432";
	assert_int_equal(mfa_code_get(&src, "arn:aws:iam::1:mfa/a", out, err), C_ERR);
	assert_non_null(strstr(err, "six digits"));
}

static void test_process(void **state)
{
	char out[MFA_CODE_LEN + 1], err[MFA_PROMPT_ERR_MAX];
	struct mfa_source src = {.process = "printf '246810\\n'"};

	(void)state;
	assert_int_equal(mfa_code_get(&src, "s", out, err), C_OK);
	assert_string_equal(out, "246810");
	src.process = "exit 3";
	assert_int_equal(mfa_code_get(&src, "s", out, err), C_ERR);
	assert_non_null(strstr(err, "status 3"));
	src.process = "echo not-a-code";
	assert_int_equal(mfa_code_get(&src, "s", out, err), C_ERR);
	assert_non_null(strstr(err, "six-digit"));
	src.process = "yes 1"; /* endless output: bounded, refused */
	assert_int_equal(mfa_code_get(&src, "s", out, err), C_ERR);
}

/* A regular file stands in for the terminal: the prompts are appended after the answers it holds. */
static void test_tty(void **state)
{
	char path[] = "/tmp/rolegate-tty-XXXXXX", out[MFA_CODE_LEN + 1], err[MFA_PROMPT_ERR_MAX];
	struct mfa_source src = {.tty = path};
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "12\n135790\n", 10), 10);
	close(fd);
	assert_int_equal(mfa_code_get(&src, "arn:aws:iam::1:mfa/anay", out, err), C_OK);
	assert_string_equal(out, "135790"); /* the first answer was not six digits: asked again */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "1\n2\n3\n4\n", 8), 8);
	close(fd);
	assert_int_equal(mfa_code_get(&src, "arn:aws:iam::1:mfa/anay", out, err), C_ERR);
	assert_non_null(strstr(err, "after 3 tries"));
	src.tty = "/nonexistent/tty";
	assert_int_equal(mfa_code_get(&src, "arn:aws:iam::1:mfa/anay", out, err), C_ERR);
	assert_non_null(strstr(err, "no terminal"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_given),
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_tty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
