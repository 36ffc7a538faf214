/*
 * test_validate.c - tests src/aws/validate.c: model constraints on decoded input trees, with AWS's exact
 * ValidationError messages.
 *
 * Patterns (quoted as the model writes them), length bounds counted in UTF-16 code units as Java counts them,
 * required members, several failures joined under "N validation errors detected", nested paths such as
 * "tags.1.member.key", enums, integer ranges, list lengths, Unicode accepted by \p{L} patterns, and sensitive
 * values never echoed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/errors.h"
#include "aws/model.h"
#include "aws/validate.h"
#include "util/buf.h"
#include "util/common.h"

#define P_USERNAME "[\\w+=,.@-]+"
#define P_PATH "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
#define P_TAGKEY "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"
#define P_TAGVALUE "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"

static const struct shape *input_of(const struct service_model *svc, const char *name)
{
	const struct operation *o = model_operation(svc, name);

	if (!o) {
		print_error("no operation %s\n", name);
		fail();
	}
	return o->input;
}

/* Validates the JSON text for op's input; returns the result and leaves the message in err. */
static int run(const struct service_model *svc, const char *opname, json_t *v, struct aws_err *err)
{
	memset(err, 0, sizeof(*err));
	return validate_input(svc, input_of(svc, opname), v, err);
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);

	if (!v) {
		print_error("bad test JSON %s: %s\n", text, jerr.text);
		fail();
	}
	return v;
}

static void assert_valid_tree(const struct service_model *svc, const char *opname, json_t *v)
{
	struct aws_err err;

	if (run(svc, opname, v, &err) != C_OK)
		print_error("%s: unexpected failure: %s\n", opname, err.message);
	assert_int_equal(run(svc, opname, v, &err), C_OK);
}

static void assert_valid(const struct service_model *svc, const char *opname, const char *text)
{
	json_t *v = parse(text);

	assert_valid_tree(svc, opname, v);
	json_decref(v);
}

static void assert_message_tree(const struct service_model *svc, const char *opname, json_t *v, const char *want)
{
	struct aws_err err;
	int rc = run(svc, opname, v, &err);

	if (rc == C_OK)
		print_error("%s: accepted, expected: %s\n", opname, want);
	assert_int_equal(rc, C_ERR);
	assert_int_equal(err.code, ERR_VALIDATION);
	assert_string_equal(err.message, want);
}

/* text fails validation for opname with exactly the message want. */
static void assert_message(const struct service_model *svc, const char *opname, const char *text, const char *want)
{
	json_t *v = parse(text);

	assert_message_tree(svc, opname, v, want);
	json_decref(v);
}

/* A JSON string of n copies of the UTF-8 sequence u. */
static json_t *repeat(const char *u, int n)
{
	struct buf b;
	json_t *s;

	buf_init(&b, 1 << 16);
	for (int i = 0; i < n; i++)
		assert_int_equal(buf_puts(&b, u), C_OK);
	s = json_stringn(buf_str(&b), b.len);
	assert_non_null(s);
	buf_free(&b);
	return s;
}

/* ---- tests --------------------------------------------------------------------------------------------------- */

static void test_valid_inputs(void **state)
{
	(void)state;
	assert_valid(&model_iam, "CreateUser", "{\"UserName\":\"bob\"}");
	assert_valid(&model_iam, "CreateUser",
	             "{\"UserName\":\"Bob+=,.@-_9\",\"Path\":\"/division_abc/subdivision_xyz/\","
	             "\"PermissionsBoundary\":\"arn:aws:iam::aws:policy/PowerUserAccess\","
	             "\"Tags\":[{\"Key\":\"team\",\"Value\":\"a b\"},{\"Key\":\"cost-center\",\"Value\":\"\"}]}");
	assert_valid(&model_iam, "CreateUser", "{\"UserName\":\"bob\",\"Path\":\"/\"}");
	assert_valid(&model_iam, "ListUsers", "{}");
	assert_valid(&model_iam, "ListUsers", "{\"MaxItems\":1,\"PathPrefix\":\"/\",\"Marker\":\"abc\"}");
	assert_valid(&model_iam, "ListUsers", "{\"MaxItems\":1000}");
	assert_valid(&model_iam, "UpdateAccessKey", "{\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\",\"Status\":\"Inactive\"}");
	assert_valid(&model_sts, "GetCallerIdentity", "{}");
	assert_valid(&model_sts, "GetAccessKeyInfo", "{\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\"}");
	/* Members the model does not know are not validation's concern. */
	assert_valid(&model_iam, "GetUser", "{\"Other\":\"%%%\"}");
}

static void test_pattern(void **state)
{
	(void)state;
	assert_message(&model_iam, "CreateUser", "{\"UserName\":\"a b\"}",
	               "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must "
	               "satisfy regular expression pattern: " P_USERNAME);
	/* The whole value must match, not a part of it. */
	assert_message(&model_iam, "CreateUser", "{\"UserName\":\"bob!\"}",
	               "1 validation error detected: Value 'bob!' at 'userName' failed to satisfy constraint: Member must "
	               "satisfy regular expression pattern: " P_USERNAME);
	assert_message(&model_iam, "CreateUser", "{\"UserName\":\"bob\",\"Path\":\"/a\"}",
	               "1 validation error detected: Value '/a' at 'path' failed to satisfy constraint: Member must "
	               "satisfy regular expression pattern: " P_PATH);
	/* \w is ASCII only in Java, so in IAM user names. */
	assert_message(&model_iam, "CreateUser", "{\"UserName\":\"\\u00e9\"}",
	               "1 validation error detected: Value '\xc3\xa9' at 'userName' failed to satisfy constraint: Member "
	               "must satisfy regular expression pattern: " P_USERNAME);
}

static void test_length(void **state)
{
	json_t *v;

	(void)state;
	v = json_pack("{s:o}", "UserName", repeat("a", 65));
	assert_message_tree(&model_iam, "CreateUser", v,
	                    "1 validation error detected: Value 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                    "aaaaa' at 'userName' failed to satisfy constraint: Member must have length less than or "
	                    "equal to 64");
	json_decref(v);
	v = json_pack("{s:o}", "UserName", repeat("a", 64));
	assert_valid_tree(&model_iam, "CreateUser", v);
	json_decref(v);
	/* The minimum: an empty tag key fails both its length and its pattern ('+'). */
	assert_message(&model_iam, "TagUser", "{\"UserName\":\"bob\",\"Tags\":[{\"Key\":\"\",\"Value\":\"v\"}]}",
	               "2 validation errors detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: "
	               "Member must have length greater than or equal to 1; Value '' at 'tags.1.member.key' failed to "
	               "satisfy constraint: Member must satisfy regular expression pattern: " P_TAGKEY);
	/* arnType: min 20. */
	assert_message(&model_iam, "CreateUser", "{\"UserName\":\"bob\",\"PermissionsBoundary\":\"arn:short\"}",
	               "1 validation error detected: Value 'arn:short' at 'permissionsBoundary' failed to satisfy "
	               "constraint: Member must have length greater than or equal to 20");
}

static void test_required(void **state)
{
	(void)state;
	assert_message(&model_iam, "CreateUser", "{}",
	               "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must "
	               "not be null");
	/* JSON null is the same as absent. */
	assert_message(&model_iam, "CreateUser", "{\"UserName\":null}",
	               "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must "
	               "not be null");
	assert_message(&model_iam, "UpdateAccessKey", "{}",
	               "2 validation errors detected: Value null at 'accessKeyId' failed to satisfy constraint: Member "
	               "must not be null; Value null at 'status' failed to satisfy constraint: Member must not be null");
	assert_message(&model_sts, "GetAccessKeyInfo", "{}",
	               "1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member "
	               "must not be null");
}

static void test_several(void **state)
{
	(void)state;
	/* In the model's member order: Path before UserName. */
	assert_message(&model_iam, "CreateUser", "{\"UserName\":\"a b\",\"Path\":\"x\"}",
	               "2 validation errors detected: Value 'x' at 'path' failed to satisfy constraint: Member must "
	               "satisfy regular expression pattern: " P_PATH "; Value 'a b' at 'userName' failed to satisfy "
	               "constraint: Member must satisfy regular expression pattern: " P_USERNAME);
	assert_message(&model_iam, "UpdateAccessKey", "{\"UserName\":\"a b\",\"AccessKeyId\":\"short\",\"Status\":\"x\"}",
	               "3 validation errors detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must "
	               "satisfy regular expression pattern: " P_USERNAME "; Value 'short' at 'accessKeyId' failed to "
	               "satisfy constraint: Member must have length greater than or equal to 16; Value 'x' at 'status' "
	               "failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]");
}

static void test_nested(void **state)
{
	(void)state;
	assert_message(&model_iam, "TagUser", "{\"UserName\":\"bob\",\"Tags\":[{\"Key\":\"a*b\",\"Value\":\"v\"}]}",
	               "1 validation error detected: Value 'a*b' at 'tags.1.member.key' failed to satisfy constraint: "
	               "Member must satisfy regular expression pattern: " P_TAGKEY);
	/* The index is the element's, from 1. */
	assert_message(&model_iam, "TagUser",
	               "{\"UserName\":\"bob\",\"Tags\":[{\"Key\":\"ok\",\"Value\":\"v\"},{\"Key\":\"ok2\",\"Value\":\"v;\"},"
	               "{\"Key\":\"ok3\"}]}",
	               "2 validation errors detected: Value 'v;' at 'tags.2.member.value' failed to satisfy constraint: "
	               "Member must satisfy regular expression pattern: " P_TAGVALUE "; Value null at "
	               "'tags.3.member.value' failed to satisfy constraint: Member must not be null");
	/* A list of strings: the failure is reported at the list's path. (AWS words these as "Value '[ok, b*d]' at
	 * 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [...]"; only the essentials are
	 * checked here.) */
	{
		json_t *v = parse("{\"UserName\":\"bob\",\"TagKeys\":[\"ok\",\"b*d\"]}");
		struct aws_err err;
		assert_int_equal(run(&model_iam, "UntagUser", v, &err), C_ERR);
		assert_int_equal(err.code, ERR_VALIDATION);
		assert_true(strncmp(err.message, "1 validation error detected: Value '", 36) == 0);
		assert_non_null(strstr(err.message, "at 'tagKeys' failed to satisfy constraint: "));
		assert_non_null(strstr(err.message, P_TAGKEY));
		json_decref(v);
	}
}

static void test_enum(void **state)
{
	(void)state;
	assert_message(&model_iam, "UpdateAccessKey", "{\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\",\"Status\":\"Bogus\"}",
	               "1 validation error detected: Value 'Bogus' at 'status' failed to satisfy constraint: Member must "
	               "satisfy enum value set: [Active, Inactive, Expired]");
	/* Enums are case-sensitive. */
	assert_message(&model_iam, "UpdateAccessKey", "{\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\",\"Status\":\"active\"}",
	               "1 validation error detected: Value 'active' at 'status' failed to satisfy constraint: Member must "
	               "satisfy enum value set: [Active, Inactive, Expired]");
	assert_valid(&model_iam, "UpdateAccessKey", "{\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\",\"Status\":\"Expired\"}");
}

static void test_integer_range(void **state)
{
	(void)state;
	assert_message(&model_iam, "ListUsers", "{\"MaxItems\":1001}",
	               "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must "
	               "have value less than or equal to 1000");
	assert_message(&model_iam, "ListUsers", "{\"MaxItems\":0}",
	               "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must "
	               "have value greater than or equal to 1");
	assert_message(&model_iam, "ListUsers", "{\"MaxItems\":-2147483648}",
	               "1 validation error detected: Value '-2147483648' at 'maxItems' failed to satisfy constraint: "
	               "Member must have value greater than or equal to 1");
}

static void test_list_length(void **state)
{
	json_t *tags = json_array(), *v;
	struct aws_err err;

	(void)state;
	for (int i = 0; i < 51; i++)
		json_array_append_new(tags, json_pack("{s:s,s:s}", "Key", "k", "Value", "v"));
	v = json_pack("{s:s,s:o}", "UserName", "bob", "Tags", tags);
	assert_int_equal(run(&model_iam, "TagUser", v, &err), C_ERR);
	assert_int_equal(err.code, ERR_VALIDATION);
	assert_true(strncmp(err.message, "1 validation error detected: Value '", 36) == 0);
	assert_non_null(strstr(err.message, "' at 'tags' failed to satisfy constraint: Member must have length less "
	                                    "than or equal to 50"));
	json_array_remove(tags, 0);
	assert_int_equal(run(&model_iam, "TagUser", v, &err), C_OK);
	json_decref(v);
}

static void test_unicode_tags(void **state)
{
	(void)state;
	/* \p{L}, \p{Z} and \p{N} take letters, spaces and digits of any script. */
	assert_valid(&model_iam, "TagUser",
	             "{\"UserName\":\"bob\",\"Tags\":[{\"Key\":\"\\u041a\\u043b\\u044e\\u0447\",\"Value\":\"\\u5024 "
	             "\\u0663\\u00a0caf\\u00e9\"},{\"Key\":\"\\u30ad\\u30fc\",\"Value\":\"\\ud840\\udc00\"},"
	             "{\"Key\":\"\\u0394_.:/=+-@\",\"Value\":\"\"}]}");
	/* Symbols are not letters: an emoji fails. */
	assert_message(&model_iam, "TagUser", "{\"UserName\":\"bob\",\"Tags\":[{\"Key\":\"\\ud83d\\ude00\",\"Value\":\"v\"}]}",
	               "1 validation error detected: Value '\xf0\x9f\x98\x80' at 'tags.1.member.key' failed to satisfy "
	               "constraint: Member must satisfy regular expression pattern: " P_TAGKEY);
}

static void test_utf16_length(void **state)
{
	json_t *v, *tags;
	struct aws_err err;

	(void)state;
	/* 128 two-byte letters are 256 bytes but 128 UTF-16 units: at the limit. */
	tags = json_pack("[{s:o,s:s}]", "Key", repeat("\xc3\xa9", 128), "Value", "");
	v = json_pack("{s:s,s:o}", "UserName", "bob", "Tags", tags);
	assert_valid_tree(&model_iam, "TagUser", v);
	json_decref(v);
	/* 128 three-byte letters: 384 bytes, still 128 units. */
	tags = json_pack("[{s:o,s:s}]", "Key", repeat("\xe5\x80\xa4", 128), "Value", "");
	v = json_pack("{s:s,s:o}", "UserName", "bob", "Tags", tags);
	assert_valid_tree(&model_iam, "TagUser", v);
	json_decref(v);
	/* 129 of them are one too many. */
	tags = json_pack("[{s:o,s:s}]", "Key", repeat("\xc3\xa9", 129), "Value", "");
	v = json_pack("{s:s,s:o}", "UserName", "bob", "Tags", tags);
	assert_int_equal(run(&model_iam, "TagUser", v, &err), C_ERR);
	assert_non_null(strstr(err.message, "at 'tags.1.member.key' failed to satisfy constraint: Member must have "
	                                    "length less than or equal to 128"));
	assert_true(strncmp(err.message, "1 validation error detected: ", 29) == 0);
	json_decref(v);
	/* A letter outside the BMP (U+20000) is two UTF-16 units: 64 fit in 128, 65 do not. */
	tags = json_pack("[{s:o,s:s}]", "Key", repeat("\xf0\xa0\x80\x80", 64), "Value", "");
	v = json_pack("{s:s,s:o}", "UserName", "bob", "Tags", tags);
	assert_valid_tree(&model_iam, "TagUser", v);
	json_decref(v);
	tags = json_pack("[{s:o,s:s}]", "Key", repeat("\xf0\xa0\x80\x80", 65), "Value", "");
	v = json_pack("{s:s,s:o}", "UserName", "bob", "Tags", tags);
	assert_int_equal(run(&model_iam, "TagUser", v, &err), C_ERR);
	assert_non_null(strstr(err.message, "Member must have length less than or equal to 128"));
	assert_true(strncmp(err.message, "1 validation error detected: ", 29) == 0);
	json_decref(v);
	/* Tag values: 256 units. */
	tags = json_pack("[{s:s,s:o}]", "Key", "k", "Value", repeat("\xf0\xa0\x80\x80", 129));
	v = json_pack("{s:s,s:o}", "UserName", "bob", "Tags", tags);
	assert_int_equal(run(&model_iam, "TagUser", v, &err), C_ERR);
	assert_non_null(strstr(err.message, "at 'tags.1.member.value' failed to satisfy constraint: Member must have "
	                                    "length less than or equal to 256"));
	json_decref(v);
}

/* A model with a sensitive member. */
static const struct shape t_secret = {
	.name = "secret", .type = SHAPE_STRING, .pattern = -1, .has_min = true, .min = 8, .sensitive = true};
static const struct shape t_count = {.name = "count", .type = SHAPE_LONG, .pattern = -1, .has_max = true, .max = 5};
static const struct shape_member t_members[] = {
	{"Secret", NULL, &t_secret, false},
	{"Count", NULL, &t_count, true},
};
static const struct shape t_input = {
	.name = "In", .type = SHAPE_STRUCTURE, .pattern = -1, .members = t_members, .nmembers = 2};
static const struct service_model t_svc = {.id = "test", .protocol = "query"};

static void test_sensitive_and_custom(void **state)
{
	struct aws_err err;
	json_t *v = parse("{\"Secret\":\"hunter2\",\"Count\":6}");

	(void)state;
	assert_int_equal(validate_input(&t_svc, &t_input, v, &err), C_ERR);
	assert_string_equal(err.message,
	                    "2 validation errors detected: Value '***' at 'secret' failed to satisfy constraint: Member "
	                    "must have length greater than or equal to 8; Value '6' at 'count' failed to satisfy "
	                    "constraint: Member must have value less than or equal to 5");
	assert_null(strstr(err.message, "hunter2"));
	json_decref(v);
	/* A NULL shape (an operation without input) accepts anything. */
	v = parse("{\"x\":1}");
	assert_int_equal(validate_input(&t_svc, NULL, v, &err), C_OK);
	json_decref(v);
}

static void test_many_errors(void **state)
{
	json_t *tags = json_array(), *v;
	struct aws_err err;

	(void)state;
	/* 40 bad tags: the count is exact; the message stays within its buffer. */
	for (int i = 0; i < 40; i++)
		json_array_append_new(tags, json_pack("{s:s,s:s}", "Key", "bad*key", "Value", "v"));
	v = json_pack("{s:s,s:o}", "UserName", "bob", "Tags", tags);
	assert_int_equal(run(&model_iam, "TagUser", v, &err), C_ERR);
	assert_true(strncmp(err.message, "40 validation errors detected: Value 'bad*key' at 'tags.1.member.key'", 68) ==
	            0);
	assert_true(strlen(err.message) < sizeof(err.message));
	json_decref(v);
}

static void test_long_messages(void **state)
{
	json_t *tags = json_array(), *v;
	struct aws_err err;
	const char *m, *p;
	size_t len, entries = 0;

	(void)state;
	/* 20 failures echoing 255-character values overflow the message: it holds as many whole entries as fit,
	 * each "Value '...' at '...' failed to satisfy constraint: ...", and the count stays exact. */
	for (int i = 0; i < 20; i++)
		json_array_append_new(tags, json_pack("{s:s,s:o}", "Key", "k", "Value", repeat("!", 255)));
	v = json_pack("{s:s,s:o}", "UserName", "bob", "Tags", tags);
	assert_int_equal(run(&model_iam, "TagUser", v, &err), C_ERR);
	m = err.message;
	len = strlen(m);
	assert_true(strncmp(m, "20 validation errors detected: Value '", 38) == 0);
	/* It ends with a whole entry: no dangling separator, no cut constraint. */
	assert_true(len > strlen(P_TAGVALUE));
	assert_string_equal(m + len - strlen(P_TAGVALUE), P_TAGVALUE);
	for (p = strstr(m, "; "); p; p = strstr(p + 2, "; ")) {
		assert_true(strncmp(p, "; Value '", 9) == 0);
		entries++;
	}
	assert_true(entries >= 2 && entries < 19);
	for (size_t i = 1; i <= entries + 1; i++) {
		char where[64];
		snprintf(where, sizeof(where), "' at 'tags.%zu.member.value' failed to satisfy constraint: ", i);
		assert_non_null(strstr(m, where));
	}
	json_decref(v);
}

static int group_setup(void **state)
{
	(void)state;
	return model_init() == C_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	model_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_inputs),  cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_length),        cmocka_unit_test(test_required),
		cmocka_unit_test(test_several),       cmocka_unit_test(test_nested),
		cmocka_unit_test(test_enum),          cmocka_unit_test(test_integer_range),
		cmocka_unit_test(test_list_length),   cmocka_unit_test(test_unicode_tags),
		cmocka_unit_test(test_utf16_length),  cmocka_unit_test(test_sensitive_and_custom),
		cmocka_unit_test(test_many_errors),   cmocka_unit_test(test_long_messages),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
