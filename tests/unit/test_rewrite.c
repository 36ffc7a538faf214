/*
 * test_rewrite.c - tests src/policy/rewrite.c (policy_map_aws_principals, which iam/principal_ids.c uses): only the values
 * of Statement[].Principal.AWS go through the map, every other byte of the document stays as written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rewrite.h"
#include "util/common.h"

/* Maps "old-N" to "new-N", or to the context's string when set; counts the values seen; "boom" fails. */
struct seen {
	int n;
	const char *repl;
	char last[256];
};

static int map(void *ctx, const char *value, char *repl, size_t cap)
{
	struct seen *s = ctx;

	s->n++;
	snprintf(s->last, sizeof(s->last), "%s", value);
	if (strcmp(value, "boom") == 0)
		return C_ERR;
	if (s->repl)
		snprintf(repl, cap, "%s", s->repl);
	else if (strncmp(value, "old-", 4) == 0)
		snprintf(repl, cap, "new-%s", value + 4);
	return C_OK;
}

static char *rewrite(const char *doc, struct seen *s)
{
	char *out = NULL;

	assert_int_equal(policy_map_aws_principals(doc, map, s, &out), C_OK);
	assert_non_null(out);
	return out;
}

static void expect(const char *doc, const char *want, int values)
{
	struct seen s = {0};
	char *out = rewrite(doc, &s);

	assert_string_equal(out, want);
	assert_int_equal(s.n, values);
	free(out);
}

static void test_only_principal_aws_values(void **state)
{
	(void)state;
	/* a list of statements, a string and a list of values, the layout kept */
	expect("{ \"Version\":\"2012-10-17\",\n \"Statement\" : [ {\"Effect\":\"Allow\",\n"
	       "   \"Principal\" : { \"AWS\" : \"old-1\" , \"Service\":\"old-2\"}, \"Action\":\"sts:AssumeRole\"},\n"
	       "  {\"Principal\":{\"AWS\":[ \"old-3\",\"keep\" ,\"old-4\" ]},\"Condition\":{\"StringEquals\":"
	       "{\"aws:PrincipalArn\":\"old-5\"}}} ] }",
	       "{ \"Version\":\"2012-10-17\",\n \"Statement\" : [ {\"Effect\":\"Allow\",\n"
	       "   \"Principal\" : { \"AWS\" : \"new-1\" , \"Service\":\"old-2\"}, \"Action\":\"sts:AssumeRole\"},\n"
	       "  {\"Principal\":{\"AWS\":[ \"new-3\",\"keep\" ,\"new-4\" ]},\"Condition\":{\"StringEquals\":"
	       "{\"aws:PrincipalArn\":\"old-5\"}}} ] }",
	       4);
	/* one statement as an object */
	expect("{\"Statement\":{\"Principal\":{\"AWS\":\"old-1\"},\"Effect\":\"Allow\"}}",
	       "{\"Statement\":{\"Principal\":{\"AWS\":\"new-1\"},\"Effect\":\"Allow\"}}", 1);
	/* "AWS" and "Principal" elsewhere are not principals: at the root, in a condition, under NotPrincipal */
	expect("{\"Principal\":{\"AWS\":\"old-1\"},\"AWS\":\"old-2\",\"Statement\":[{\"NotPrincipal\":{\"AWS\":\"old-3\"},"
	       "\"Condition\":{\"Principal\":{\"AWS\":\"old-4\"}},\"Sid\":{\"AWS\":\"old-5\"}}]}",
	       "{\"Principal\":{\"AWS\":\"old-1\"},\"AWS\":\"old-2\",\"Statement\":[{\"NotPrincipal\":{\"AWS\":\"old-3\"},"
	       "\"Condition\":{\"Principal\":{\"AWS\":\"old-4\"}},\"Sid\":{\"AWS\":\"old-5\"}}]}",
	       0);
	/* nested lists are not principal values; numbers, true, false, null pass */
	expect("{\"Statement\":[[{\"Principal\":{\"AWS\":\"old-1\"}}],{\"Principal\":{\"AWS\":[[\"old-2\"],1.5e3,true,"
	       "null,false]}}]}",
	       "{\"Statement\":[[{\"Principal\":{\"AWS\":\"old-1\"}}],{\"Principal\":{\"AWS\":[[\"old-2\"],1.5e3,true,"
	       "null,false]}}]}",
	       0);
	/* "Principal": "*" (a string) has no AWS member */
	expect("{\"Statement\":[{\"Principal\":\"*\"}]}", "{\"Statement\":[{\"Principal\":\"*\"}]}", 0);
	expect("{}", "{}", 0);
}

static void test_escapes(void **state)
{
	struct seen s = {.repl = "quote\"back\\slash"};
	char *out;

	(void)state;
	/* keys and values are compared decoded, as the engine reads them */
	expect("{\"Statem\\u0065nt\":{\"Princip\\u0061l\":{\"A\\u0057S\":\"old-\\u0031\\/x\"}}}",
	       "{\"Statem\\u0065nt\":{\"Princip\\u0061l\":{\"A\\u0057S\":\"new-1/x\"}}}", 1);
	/* a replacement is written as JSON */
	out = rewrite("{\"Statement\":{\"Principal\":{\"AWS\":\"a\\\"b\"}}}", &s);
	assert_string_equal(s.last, "a\"b");
	assert_string_equal(out, "{\"Statement\":{\"Principal\":{\"AWS\":\"quote\\\"back\\\\slash\"}}}");
	free(out);
}

static void test_failures(void **state)
{
	struct seen s = {0};
	char *out = (char *)"unset", deep[400];
	size_t n = 0;

	(void)state;
	/* the map refuses: the whole rewrite fails */
	assert_int_equal(policy_map_aws_principals("{\"Statement\":{\"Principal\":{\"AWS\":[\"old-1\",\"boom\"]}}}", map,
	                                           &s, &out),
	                 C_ERR);
	assert_null(out);
	/* not JSON */
	assert_int_equal(policy_map_aws_principals("{\"Statement\":", map, &s, &out), C_ERR);
	assert_int_equal(policy_map_aws_principals("{\"Statement\":\"x", map, &s, &out), C_ERR);
	assert_int_equal(policy_map_aws_principals("{\"a\" 1}", map, &s, &out), C_ERR);
	assert_int_equal(policy_map_aws_principals("[1,", map, &s, &out), C_ERR);
	assert_int_equal(policy_map_aws_principals("", map, &s, &out), C_ERR);
	assert_null(out);
	/* nesting deeper than any policy */
	for (int i = 0; i < 100; i++)
		deep[n++] = '[';
	for (int i = 0; i < 100; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	assert_int_equal(policy_map_aws_principals(deep, map, &s, &out), C_ERR);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_principal_aws_values),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
