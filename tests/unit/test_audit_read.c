/*
 * test_audit_read.c - tests src/server/audit_read.c's parsing: --principal's filter (a role's ARN names its sessions
 * by prefix, path dropped, partition kept; any other ARN itself) and TIME (ISO 8601, a date, a duration; refusals).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "server/audit_read.h"
#include "util/common.h"
#include "util/timeutil.h"

static void test_principal_filter(void **state)
{
	struct audit_query q = {0};
	char buf[256];

	(void)state;
	assert_int_equal(audit_principal_filter("arn:aws:iam::111122223333:role/jump/Admin", &q, buf, sizeof(buf)), C_OK);
	assert_null(q.principal);
	assert_string_equal(q.principal_prefix, "arn:aws:sts::111122223333:assumed-role/Admin/");
	assert_int_equal(audit_principal_filter("arn:aws-cn:iam::111122223333:role/R", &q, buf, sizeof(buf)), C_OK);
	assert_string_equal(q.principal_prefix, "arn:aws-cn:sts::111122223333:assumed-role/R/");
	assert_int_equal(audit_principal_filter("arn:aws:iam::111122223333:user/team/bob", &q, buf, sizeof(buf)), C_OK);
	assert_string_equal(q.principal, "arn:aws:iam::111122223333:user/team/bob");
	assert_null(q.principal_prefix);
	assert_int_equal(audit_principal_filter("arn:aws:iam::111122223333:role/R", &q, buf, 10), C_ERR);
}

static void test_parse_time(void **state)
{
	int64_t t, before = now_ms();

	(void)state;
	assert_int_equal(audit_parse_time("2026-11-25T10:00:00Z", &t), C_OK);
	assert_int_equal(t, 1795600800000LL);
	assert_int_equal(audit_parse_time("2026-11-25", &t), C_OK);
	assert_int_equal(t, 1795564800000LL);
	assert_int_equal(audit_parse_time("7d", &t), C_OK);
	assert_true(t >= before - 7 * 86400000LL && t <= before - 7 * 86400000LL + 60000);
	assert_int_equal(audit_parse_time("7", &t), C_ERR); /* a number without its unit */
	assert_int_equal(audit_parse_time("7w", &t), C_ERR);
	assert_int_equal(audit_parse_time("-1d", &t), C_ERR);
	assert_int_equal(audit_parse_time("", &t), C_ERR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_principal_filter),
		cmocka_unit_test(test_parse_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
