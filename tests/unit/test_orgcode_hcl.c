/*
 * test_orgcode_hcl.c - tests src/orgcode/hcl.c (HCL strings with `${` / `%{` escaped, documents as heredocs,
 * unique sanitised names) and oc_document (session.c: URL-encoded or plain policy documents).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orgcode/hcl.h"
#include "orgcode/session.h"
#include "util/common.h"

/* What fn wrote into a memory stream. The caller frees it. */
static char *written(void (*fn)(FILE *, const char *, const char *), const char *key, const char *value)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fn(f, key, value);
	fclose(f);
	return text;
}

static void string_only(FILE *f, const char *key, const char *value)
{
	UNUSED(key);
	hcl_string(f, value);
}

static void test_strings_escaped(void **state)
{
	char *t;

	UNUSED(state);
	t = written(string_only, NULL, "say \"hi\" \\ ${var} %{if} $x %y\nend\t");
	assert_string_equal(t, "\"say \\\"hi\\\" \\\\ $${var} %%{if} $x %y\\nend\\t\"");
	free(t);
	t = written(string_only, NULL, "bell\a");
	assert_string_equal(t, "\"bell\\u0007\"");
	free(t);
}

static void test_documents_as_heredocs(void **state)
{
	char *t;

	UNUSED(state);
	t = written(hcl_document, "policy", "{\"Resource\":\"arn:aws:s3:::b/${aws:username}/*\",\"Sid\":\"%{x}\"}");
	assert_string_equal(t, "  policy = <<-EOT\n    {\n      \"Resource\": \"arn:aws:s3:::b/$${aws:username}/*\",\n"
	                       "      \"Sid\": \"%%{x}\"\n    }\n  EOT\n");
	free(t);
	/* not JSON: a quoted string, still escaped */
	t = written(hcl_document, "policy", "not ${json}");
	assert_string_equal(t, "  policy = \"not $${json}\"\n");
	free(t);
}

static void test_names_sanitised_and_unique(void **state)
{
	struct hcl_names n = {NULL};
	char name[64];

	UNUSED(state);
	hcl_name(&n, "aws_iam_user", name, sizeof(name), "Dev", "Anay.Kumar@x");
	assert_string_equal(name, "dev_anay_kumar_x");
	hcl_name(&n, "aws_iam_user", name, sizeof(name), "dev", "anay-kumar+x");
	assert_string_equal(name, "dev_anay_kumar_x_2");
	hcl_name(&n, "aws_iam_group", name, sizeof(name), "dev", "anay-kumar+x");
	assert_string_equal(name, "dev_anay_kumar_x"); /* unique per type */
	hcl_name(&n, "aws_iam_user", name, sizeof(name), "123", NULL);
	assert_string_equal(name, "r_123");
	json_decref(n.used);
}

static void test_documents_decoded(void **state)
{
	char *d;

	UNUSED(state);
	d = oc_document("%7B%22A%22%3A%22b%2Bc%20d%22%7D");
	assert_string_equal(d, "{\"A\":\"b+c d\"}");
	free(d);
	d = oc_document("  {\"A\": \"100%\"}");
	assert_string_equal(d, "  {\"A\": \"100%\"}");
	free(d);
	assert_null(oc_document("%7B%2"));
	assert_null(oc_document("%zz"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings_escaped),
		cmocka_unit_test(test_documents_as_heredocs),
		cmocka_unit_test(test_names_sanitised_and_unique),
		cmocka_unit_test(test_documents_decoded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
