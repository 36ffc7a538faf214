/*
 * test_query.c - tests src/aws/query.c: model-driven decoding of query-protocol parameters into JSON trees, and the
 * XML encoding of results and errors.
 *
 * Decoding runs against the real IAM and STS models (scalars, "Tags.member.N.Key" lists in numeric order, the empty
 * list "Tags=", gaps ending a list, integers with their ValidationError) and against a small model written here
 * for the shape types IAM's inputs do not use (booleans, doubles, timestamps, longs, maps, flattened lists,
 * locationName). Encoding is compared byte for byte with the XML AWS sends.
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
#include "aws/form.h"
#include "aws/model.h"
#include "aws/query.h"
#include "util/buf.h"
#include "util/common.h"
#include "util/utf8.h"

#define IAM_NS "https://iam.amazonaws.com/doc/2010-05-08/"
#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"
#define META(rid) "<ResponseMetadata><RequestId>" rid "</RequestId></ResponseMetadata>"

/* 2026-01-02T03:04:05Z */
#define T_2026 1767323045

/* ---- a test model with the shape types IAM's inputs lack ------------------------------------------------------ */

static const struct shape t_str = {.name = "str", .type = SHAPE_STRING, .pattern = -1};
static const struct shape t_int = {.name = "int", .type = SHAPE_INTEGER, .pattern = -1};
static const struct shape t_long = {.name = "long", .type = SHAPE_LONG, .pattern = -1};
static const struct shape t_bool = {.name = "bool", .type = SHAPE_BOOLEAN, .pattern = -1};
static const struct shape t_double = {.name = "double", .type = SHAPE_DOUBLE, .pattern = -1};
static const struct shape t_ts = {.name = "ts", .type = SHAPE_TIMESTAMP, .pattern = -1};
static const struct shape t_blob = {.name = "blob", .type = SHAPE_BLOB, .pattern = -1};
static const struct shape t_items = {
	.name = "items", .type = SHAPE_LIST, .pattern = -1, .member = &t_str, .member_name = "item"};
static const struct shape t_flat = {
	.name = "flat", .type = SHAPE_LIST, .pattern = -1, .member = &t_str, .member_name = "member", .flattened = true};
static const struct shape t_ints = {
	.name = "ints", .type = SHAPE_LIST, .pattern = -1, .member = &t_int, .member_name = "member"};
static const struct shape t_map = {.name = "map",
                                   .type = SHAPE_MAP,
                                   .pattern = -1,
                                   .key = &t_str,
                                   .value = &t_str,
                                   .key_name = "key",
                                   .value_name = "value"};
static const struct shape t_named_map = {.name = "namedMap",
                                         .type = SHAPE_MAP,
                                         .pattern = -1,
                                         .key = &t_str,
                                         .value = &t_int,
                                         .key_name = "Name",
                                         .value_name = "Count"};
static const struct shape_member t_all_members[] = {
	{"Str", NULL, &t_str, false},       {"Int", NULL, &t_int, false},       {"Long", NULL, &t_long, false},
	{"Bool", NULL, &t_bool, false},     {"Double", NULL, &t_double, false}, {"When", NULL, &t_ts, false},
	{"Blob", NULL, &t_blob, false},     {"Items", NULL, &t_items, false},   {"Flat", "Thing", &t_flat, false},
	{"Ints", NULL, &t_ints, false},     {"Attrs", NULL, &t_map, false},     {"Counts", NULL, &t_named_map, false},
	{"Renamed", "WireName", &t_str, false},
};
static const struct shape t_all = {.name = "All",
                                   .type = SHAPE_STRUCTURE,
                                   .pattern = -1,
                                   .members = t_all_members,
                                   .nmembers = ARRAY_LEN(t_all_members)};
static const struct operation t_op = {"DoAll", &t_all, &t_all, "DoAllResult"};
static const struct service_model t_svc = {.id = "test",
                                           .api_version = "2020-01-01",
                                           .protocol = "query",
                                           .xml_namespace = "urn:test",
                                           .ops = &t_op,
                                           .nops = 1};

/* ---- helpers ------------------------------------------------------------------------------------------------- */

static const struct operation *op(const struct service_model *svc, const char *name)
{
	const struct operation *o = model_operation(svc, name);

	if (!o) {
		print_error("no operation %s\n", name);
		fail();
	}
	return o;
}

/* Decodes form text s for shape; C_OK/C_ERR, *out and err as query_decode leaves them. */
static int decode(const struct service_model *svc, const struct shape *shape, const char *s, json_t **out,
                  struct aws_err *err)
{
	struct form f;
	int rc;

	form_init(&f);
	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (form_parse(&f, s, strlen(s), false, err) != C_OK || form_finish(&f, err) != C_OK) {
		form_free(&f);
		print_error("form '%s' refused: %s\n", s, err->message);
		fail();
	}
	rc = query_decode(svc, shape, &f, out, err);
	form_free(&f);
	return rc;
}

/* s decodes (for shape) to the JSON text want. */
static void assert_decodes(const struct service_model *svc, const struct shape *shape, const char *s,
                           const char *want)
{
	json_t *got, *exp;
	struct aws_err err;
	json_error_t jerr;
	char *dump;

	if (decode(svc, shape, s, &got, &err) != C_OK) {
		print_error("'%s' failed: %s %s\n", s, aws_code_name(err.code), err.message);
		fail();
	}
	exp = json_loads(want, JSON_DECODE_ANY, &jerr);
	assert_non_null(exp);
	dump = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
	if (!json_equal(got, exp))
		print_error("'%s'\n  decoded to %s\n  expected   %s\n", s, dump, want);
	assert_true(json_equal(got, exp));
	free(dump);
	json_decref(exp);
	json_decref(got);
}

static void assert_decode_fails(const struct service_model *svc, const struct shape *shape, const char *s,
                                enum aws_code code, const char *msg)
{
	json_t *got;
	struct aws_err err;

	if (decode(svc, shape, s, &got, &err) == C_OK) {
		char *dump = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
		print_error("'%s' decoded to %s\n", s, dump);
		free(dump);
		json_decref(got);
		fail();
	}
	assert_int_equal(err.code, code);
	if (msg)
		assert_string_equal(err.message, msg);
}

/* Encodes result for op and compares with want exactly. */
static void assert_encodes(const struct service_model *svc, const struct operation *o, const char *result_json,
                           const char *want)
{
	struct buf b;
	json_t *result = NULL;
	json_error_t jerr;

	if (result_json) {
		result = json_loads(result_json, 0, &jerr);
		if (!result)
			print_error("bad test JSON: %s\n", jerr.text);
		assert_non_null(result);
	}
	buf_init(&b, 1 << 20);
	assert_int_equal(query_encode_result(svc, o, result, "req-1", &b), C_OK);
	if (strcmp(buf_str(&b), want) != 0)
		print_error("--- expected:\n%s\n--- got:\n%s\n", want, buf_str(&b));
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
	json_decref(result);
}

static void assert_encode_fails(const struct service_model *svc, const struct operation *o, const char *result_json)
{
	struct buf b;
	json_error_t jerr;
	json_t *result = json_loads(result_json, JSON_DECODE_ANY, &jerr);
	int rc;

	assert_non_null(result);
	buf_init(&b, 1 << 20);
	rc = query_encode_result(svc, o, result, "req-1", &b);
	if (rc == C_OK)
		print_error("%s encoded as %s\n", result_json, buf_str(&b));
	assert_int_equal(rc, C_ERR);
	buf_free(&b);
	json_decref(result);
}

/* s decodes (for an IAM shape) without any element in list member name: the list is absent or empty. */
static void assert_no_elements(const struct shape *shape, const char *s, const char *name)
{
	json_t *got, *list;
	struct aws_err err;

	assert_int_equal(decode(&model_iam, shape, s, &got, &err), C_OK);
	list = json_object_get(got, name);
	assert_true(list == NULL || (json_is_array(list) && json_array_size(list) == 0));
	json_decref(got);
}

/* ---- decoding ------------------------------------------------------------------------------------------------ */

static void test_decode_scalars(void **state)
{
	const struct shape *in = op(&model_iam, "CreateUser")->input;

	(void)state;
	assert_decodes(&model_iam, in, "Action=CreateUser&Version=2010-05-08&UserName=bob&Path=%2Fdiv%2F",
	               "{\"UserName\":\"bob\",\"Path\":\"/div/\"}");
	assert_decodes(&model_iam, in,
	               "UserName=bob&PermissionsBoundary=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FPowerUserAccess",
	               "{\"UserName\":\"bob\",\"PermissionsBoundary\":\"arn:aws:iam::aws:policy/PowerUserAccess\"}");
	/* Parameter names are case-sensitive; unknown ones are left out. */
	assert_decodes(&model_iam, in, "username=bob&Foo=bar&UserName.x=1", "{}");
	/* An empty value is an empty string (validation then judges it). */
	assert_decodes(&model_iam, in, "UserName=", "{\"UserName\":\"\"}");
	/* UTF-8 survives. */
	assert_decodes(&model_iam, in, "UserName=%C3%A9t%C3%A9", "{\"UserName\":\"\\u00e9t\\u00e9\"}");
	/* GetUser's UserName is optional: nothing gives an empty object. */
	assert_decodes(&model_iam, op(&model_iam, "GetUser")->input, "Action=GetUser", "{}");
	/* STS GetAccessKeyInfo. */
	assert_decodes(&model_sts, op(&model_sts, "GetAccessKeyInfo")->input, "AccessKeyId=AKIAIOSFODNN7EXAMPLE",
	               "{\"AccessKeyId\":\"AKIAIOSFODNN7EXAMPLE\"}");
	/* An operation whose input has no members, and no input shape at all. */
	assert_decodes(&model_sts, op(&model_sts, "GetCallerIdentity")->input, "Action=GetCallerIdentity&X=1", "{}");
	assert_decodes(&model_sts, NULL, "Action=GetCallerIdentity", "{}");
}

static void test_decode_member_lists(void **state)
{
	const struct shape *in = op(&model_iam, "CreateUser")->input;

	(void)state;
	assert_decodes(&model_iam, in,
	               "UserName=bob&Tags.member.1.Key=k1&Tags.member.1.Value=v1&Tags.member.2.Key=k2&"
	               "Tags.member.2.Value=v2",
	               "{\"UserName\":\"bob\",\"Tags\":[{\"Key\":\"k1\",\"Value\":\"v1\"},{\"Key\":\"k2\",\"Value\":\"v2\"}]}");
	/* Order is by index, not by the sorted keys ("10" sorts before "2"). */
	assert_decodes(&model_iam, in,
	               "Tags.member.10.Key=j&Tags.member.1.Key=a&Tags.member.2.Key=b&Tags.member.3.Key=c&"
	               "Tags.member.4.Key=d&Tags.member.5.Key=e&Tags.member.6.Key=f&Tags.member.7.Key=g&"
	               "Tags.member.8.Key=h&Tags.member.9.Key=i&Tags.member.11.Key=k",
	               "{\"Tags\":[{\"Key\":\"a\"},{\"Key\":\"b\"},{\"Key\":\"c\"},{\"Key\":\"d\"},{\"Key\":\"e\"},"
	               "{\"Key\":\"f\"},{\"Key\":\"g\"},{\"Key\":\"h\"},{\"Key\":\"i\"},{\"Key\":\"j\"},{\"Key\":\"k\"}]}");
	/* An element with only some members has only those. */
	assert_decodes(&model_iam, in, "Tags.member.1.Value=v", "{\"Tags\":[{\"Value\":\"v\"}]}");
	/* A list of scalars. */
	assert_decodes(&model_iam, op(&model_iam, "UntagUser")->input,
	               "UserName=bob&TagKeys.member.1=a&TagKeys.member.2=b%20c&TagKeys.member.3=",
	               "{\"UserName\":\"bob\",\"TagKeys\":[\"a\",\"b c\",\"\"]}");
}

static void test_decode_empty_list(void **state)
{
	const struct shape *in = op(&model_iam, "CreateUser")->input;

	(void)state;
	/* botocore writes an empty list as "Name=". */
	assert_decodes(&model_iam, in, "UserName=bob&Tags=", "{\"UserName\":\"bob\",\"Tags\":[]}");
	assert_decodes(&model_iam, op(&model_iam, "UntagUser")->input, "TagKeys=", "{\"TagKeys\":[]}");
	/* "Name=value" is not a list. */
	assert_decodes(&model_iam, in, "UserName=bob&Tags=x", "{\"UserName\":\"bob\"}");
	/* Elements win over the empty marker. */
	assert_decodes(&model_iam, in, "Tags=&Tags.member.1.Key=k", "{\"Tags\":[{\"Key\":\"k\"}]}");
}

static void test_decode_gaps(void **state)
{
	const struct shape *in = op(&model_iam, "CreateUser")->input;

	(void)state;
	/* The list ends at the first missing index. */
	assert_decodes(&model_iam, in, "Tags.member.1.Key=a&Tags.member.3.Key=c", "{\"Tags\":[{\"Key\":\"a\"}]}");
	assert_decodes(&model_iam, op(&model_iam, "UntagUser")->input, "TagKeys.member.1=a&TagKeys.member.2=b&"
	               "TagKeys.member.4=d", "{\"TagKeys\":[\"a\",\"b\"]}");
	/* Nothing at index 1: no element is decoded. */
	assert_no_elements(op(&model_iam, "UntagUser")->input, "TagKeys.member.2=b", "TagKeys");
	/* Indices are decimal without leading zeros. */
	assert_decodes(&model_iam, op(&model_iam, "UntagUser")->input, "TagKeys.member.1=a&TagKeys.member.02=b",
	               "{\"TagKeys\":[\"a\"]}");
	/* The wrapper name must match: "Tags.1.Key" is not IAM's form. */
	assert_no_elements(in, "Tags.1.Key=a", "Tags");
}

static void test_decode_integers(void **state)
{
	const struct shape *in = op(&model_iam, "ListUsers")->input;

	(void)state;
	assert_decodes(&model_iam, in, "MaxItems=10", "{\"MaxItems\":10}");
	assert_decodes(&model_iam, in, "MaxItems=-5", "{\"MaxItems\":-5}"); /* range is validate's business */
	assert_decodes(&model_iam, in, "MaxItems=2147483647", "{\"MaxItems\":2147483647}");
	assert_decodes(&model_iam, in, "MaxItems=-2147483648", "{\"MaxItems\":-2147483648}");
	assert_decodes(&model_iam, in, "PathPrefix=%2Fa%2F&Marker=m&MaxItems=1",
	               "{\"PathPrefix\":\"/a/\",\"Marker\":\"m\",\"MaxItems\":1}");
	assert_decode_fails(&model_iam, in, "MaxItems=abc", ERR_VALIDATION,
	                    "1 validation error detected: Value 'abc' failed to satisfy constraint: Member must be a valid "
	                    "integer");
	assert_decode_fails(&model_iam, in, "MaxItems=", ERR_VALIDATION, NULL);
	assert_decode_fails(&model_iam, in, "MaxItems=10x", ERR_VALIDATION, NULL);
	assert_decode_fails(&model_iam, in, "MaxItems=1.5", ERR_VALIDATION, NULL);
	assert_decode_fails(&model_iam, in, "MaxItems=2147483648", ERR_VALIDATION, NULL);
	assert_decode_fails(&model_iam, in, "MaxItems=-2147483649", ERR_VALIDATION, NULL);
	assert_decode_fails(&model_iam, in, "MaxItems=99999999999999999999999", ERR_VALIDATION, NULL);
	/* In a list too. */
	assert_decodes(&t_svc, &t_all, "Ints.member.1=1&Ints.member.2=-2", "{\"Ints\":[1,-2]}");
	assert_decode_fails(&t_svc, &t_all, "Ints.member.1=1&Ints.member.2=two", ERR_VALIDATION, NULL);
	/* Longs hold 64 bits. */
	assert_decodes(&t_svc, &t_all, "Long=9007199254740993", "{\"Long\":9007199254740993}");
	assert_decodes(&t_svc, &t_all, "Long=-9223372036854775808", "{\"Long\":-9223372036854775808}");
	assert_decode_fails(&t_svc, &t_all, "Long=9223372036854775808", ERR_VALIDATION, NULL);
}

static void test_decode_booleans(void **state)
{
	(void)state;
	assert_decodes(&t_svc, &t_all, "Bool=true", "{\"Bool\":true}");
	assert_decodes(&t_svc, &t_all, "Bool=false", "{\"Bool\":false}");
	assert_decode_fails(&t_svc, &t_all, "Bool=True", ERR_VALIDATION, NULL);
	assert_decode_fails(&t_svc, &t_all, "Bool=1", ERR_VALIDATION, NULL);
	assert_decode_fails(&t_svc, &t_all, "Bool=", ERR_VALIDATION, NULL);
	assert_decode_fails(&t_svc, &t_all, "Bool=yes", ERR_VALIDATION,
	                    "1 validation error detected: Value 'yes' failed to satisfy constraint: Member must be a "
	                    "boolean (true or false)");
}

static void test_decode_other_types(void **state)
{
	(void)state;
	assert_decodes(&t_svc, &t_all, "Double=1.5", "{\"Double\":1.5}");
	assert_decodes(&t_svc, &t_all, "Double=-2e3", "{\"Double\":-2000.0}");
	assert_decode_fails(&t_svc, &t_all, "Double=x", ERR_VALIDATION, NULL);
	assert_decode_fails(&t_svc, &t_all, "Double=1.5x", ERR_VALIDATION, NULL);
	assert_decodes(&t_svc, &t_all, "When=2026-01-02T03%3A04%3A05Z", "{\"When\":1767323045}");
	assert_decodes(&t_svc, &t_all, "When=2026-01-02T03:04:05.250Z", "{\"When\":1767323045}");
	assert_decodes(&t_svc, &t_all, "When=2026-01-02T04:04:05%2B01:00", "{\"When\":1767323045}");
	assert_decode_fails(&t_svc, &t_all, "When=yesterday", ERR_VALIDATION, NULL);
	assert_decode_fails(&t_svc, &t_all, "When=1767323045", ERR_VALIDATION, NULL);
	assert_decodes(&t_svc, &t_all, "Blob=aGVsbG8%3D", "{\"Blob\":\"aGVsbG8=\"}");
	assert_decodes(&t_svc, &t_all, "WireName=x&Renamed=y", "{\"Renamed\":\"x\"}");
	/* A custom list member name, and a flattened list under its locationName. */
	assert_decodes(&t_svc, &t_all, "Items.item.1=a&Items.item.2=b&Items.member.3=c", "{\"Items\":[\"a\",\"b\"]}");
	assert_decodes(&t_svc, &t_all, "Thing.1=a&Thing.2=b&Flat.1=x", "{\"Flat\":[\"a\",\"b\"]}");
}

static void test_decode_maps(void **state)
{
	(void)state;
	assert_decodes(&t_svc, &t_all, "Attrs.entry.1.key=a&Attrs.entry.1.value=1&Attrs.entry.2.key=b&"
	               "Attrs.entry.2.value=2",
	               "{\"Attrs\":{\"a\":\"1\",\"b\":\"2\"}}");
	/* A key without a value maps to null; the map ends at the first entry without a key. */
	assert_decodes(&t_svc, &t_all, "Attrs.entry.1.key=a&Attrs.entry.3.key=c&Attrs.entry.3.value=3",
	               "{\"Attrs\":{\"a\":null}}");
	assert_decodes(&t_svc, &t_all, "Counts.entry.1.Name=x&Counts.entry.1.Count=7", "{\"Counts\":{\"x\":7}}");
	assert_decode_fails(&t_svc, &t_all, "Counts.entry.1.Name=x&Counts.entry.1.Count=seven", ERR_VALIDATION, NULL);
	/* Children but no entry 1: an empty map. */
	assert_decodes(&t_svc, &t_all, "Attrs.entry.2.key=a", "{\"Attrs\":{}}");
}

static void test_decode_long_list(void **state)
{
	const struct shape *in = op(&model_iam, "UntagUser")->input;
	struct buf b;
	json_t *got, *keys;
	struct aws_err err;

	(void)state;
	/* 1500 elements: the decoder stops after a bound (1001) rather than building without limit; validation then
	 * refuses the length. */
	buf_init(&b, 1 << 20);
	for (int i = 1; i <= 1500; i++)
		assert_int_equal(buf_printf(&b, "%sTagKeys.member.%d=k%d", i > 1 ? "&" : "", i, i), C_OK);
	assert_int_equal(decode(&model_iam, in, buf_str(&b), &got, &err), C_OK);
	keys = json_object_get(got, "TagKeys");
	assert_true(json_is_array(keys));
	assert_true(json_array_size(keys) > 50 && json_array_size(keys) <= 1001);
	assert_string_equal(json_string_value(json_array_get(keys, 0)), "k1");
	assert_string_equal(json_string_value(json_array_get(keys, 999)), "k1000");
	json_decref(got);
	buf_free(&b);
}

/* ---- encoding ------------------------------------------------------------------------------------------------ */

static void test_encode_create_user(void **state)
{
	(void)state;
	/* Members given out of order are written in the model's order. */
	assert_encodes(&model_iam, op(&model_iam, "CreateUser"),
	               "{\"User\":{\"Tags\":[{\"Value\":\"v1\",\"Key\":\"k1\"},{\"Key\":\"k2\",\"Value\":\"\"}],"
	               "\"CreateDate\":1767323045,\"Arn\":\"arn:aws:iam::123456789012:user/div/bob\","
	               "\"UserId\":\"AIDAJQABLZS4A3QDU576Q\",\"UserName\":\"bob\",\"Path\":\"/div/\"}}",
	               "<CreateUserResponse xmlns=\"" IAM_NS "\">"
	               "<CreateUserResult><User>"
	               "<Path>/div/</Path><UserName>bob</UserName><UserId>AIDAJQABLZS4A3QDU576Q</UserId>"
	               "<Arn>arn:aws:iam::123456789012:user/div/bob</Arn><CreateDate>2026-01-02T03:04:05Z</CreateDate>"
	               "<Tags><member><Key>k1</Key><Value>v1</Value></member><member><Key>k2</Key><Value></Value></member>"
	               "</Tags></User></CreateUserResult>" META("req-1") "</CreateUserResponse>");
	/* Without tags, absent and null members are left out. */
	assert_encodes(&model_iam, op(&model_iam, "CreateUser"),
	               "{\"User\":{\"Path\":\"/\",\"UserName\":\"a\",\"UserId\":\"AIDAJQABLZS4A3QDU576Q\","
	               "\"Arn\":\"arn:aws:iam::123456789012:user/a\",\"CreateDate\":0,\"PasswordLastUsed\":null,"
	               "\"NotInModel\":\"x\"}}",
	               "<CreateUserResponse xmlns=\"" IAM_NS "\">"
	               "<CreateUserResult><User><Path>/</Path><UserName>a</UserName><UserId>AIDAJQABLZS4A3QDU576Q</UserId>"
	               "<Arn>arn:aws:iam::123456789012:user/a</Arn><CreateDate>1970-01-01T00:00:00Z</CreateDate>"
	               "</User></CreateUserResult>" META("req-1") "</CreateUserResponse>");
}

static void test_encode_list_users(void **state)
{
	(void)state;
	assert_encodes(&model_iam, op(&model_iam, "ListUsers"),
	               "{\"Users\":[{\"Path\":\"/\",\"UserName\":\"a\",\"UserId\":\"AIDA1\",\"Arn\":\"arn:a\","
	               "\"CreateDate\":1767323045},{\"Path\":\"/\",\"UserName\":\"b\",\"UserId\":\"AIDA2\","
	               "\"Arn\":\"arn:b\",\"CreateDate\":1767323046}],\"IsTruncated\":true,\"Marker\":\"m1\"}",
	               "<ListUsersResponse xmlns=\"" IAM_NS "\"><ListUsersResult><Users>"
	               "<member><Path>/</Path><UserName>a</UserName><UserId>AIDA1</UserId><Arn>arn:a</Arn>"
	               "<CreateDate>2026-01-02T03:04:05Z</CreateDate></member>"
	               "<member><Path>/</Path><UserName>b</UserName><UserId>AIDA2</UserId><Arn>arn:b</Arn>"
	               "<CreateDate>2026-01-02T03:04:06Z</CreateDate></member>"
	               "</Users><IsTruncated>true</IsTruncated><Marker>m1</Marker></ListUsersResult>" META("req-1")
	               "</ListUsersResponse>");
	assert_encodes(&model_iam, op(&model_iam, "ListUsers"), "{\"Users\":[],\"IsTruncated\":false}",
	               "<ListUsersResponse xmlns=\"" IAM_NS "\"><ListUsersResult><Users></Users>"
	               "<IsTruncated>false</IsTruncated></ListUsersResult>" META("req-1") "</ListUsersResponse>");
}

static void test_encode_no_output(void **state)
{
	(void)state;
	assert_encodes(&model_iam, op(&model_iam, "DeleteUser"), NULL,
	               "<DeleteUserResponse xmlns=\"" IAM_NS "\">" META("req-1") "</DeleteUserResponse>");
	/* A result given anyway is ignored when the operation has no output. */
	assert_encodes(&model_iam, op(&model_iam, "TagUser"), "{\"X\":1}",
	               "<TagUserResponse xmlns=\"" IAM_NS "\">" META("req-1") "</TagUserResponse>");
	/* An operation with output but no result tree: the empty wrapper. */
	assert_encodes(&model_sts, op(&model_sts, "GetCallerIdentity"), NULL,
	               "<GetCallerIdentityResponse xmlns=\"" STS_NS "\"><GetCallerIdentityResult>"
	               "</GetCallerIdentityResult>" META("req-1") "</GetCallerIdentityResponse>");
}

static void test_encode_sts(void **state)
{
	(void)state;
	assert_encodes(&model_sts, op(&model_sts, "GetCallerIdentity"),
	               "{\"Arn\":\"arn:aws:iam::123456789012:user/bob\",\"UserId\":\"AIDAJQABLZS4A3QDU576Q\","
	               "\"Account\":\"123456789012\"}",
	               "<GetCallerIdentityResponse xmlns=\"" STS_NS "\"><GetCallerIdentityResult>"
	               "<UserId>AIDAJQABLZS4A3QDU576Q</UserId><Account>123456789012</Account>"
	               "<Arn>arn:aws:iam::123456789012:user/bob</Arn></GetCallerIdentityResult>" META("req-1")
	               "</GetCallerIdentityResponse>");
}

static void test_encode_other_types(void **state)
{
	(void)state;
	assert_encodes(&t_svc, &t_op,
	               "{\"Renamed\":\"r\",\"Counts\":{\"x\":7},\"Attrs\":{\"a\":\"1\"},\"Ints\":[1,2],"
	               "\"Flat\":[\"p\",\"q\"],\"Items\":[\"i\"],\"Blob\":\"aGk=\",\"When\":1767323045.9,"
	               "\"Double\":0.5,\"Bool\":false,\"Long\":-9007199254740993,\"Int\":42,\"Str\":\"s\"}",
	               "<DoAllResponse xmlns=\"urn:test\"><DoAllResult><Str>s</Str><Int>42</Int>"
	               "<Long>-9007199254740993</Long><Bool>false</Bool><Double>0.5</Double>"
	               "<When>2026-01-02T03:04:05Z</When><Blob>aGk=</Blob><Items><item>i</item></Items>"
	               "<Thing>p</Thing><Thing>q</Thing><Ints><member>1</member><member>2</member></Ints>"
	               "<Attrs><entry><key>a</key><value>1</value></entry></Attrs>"
	               "<Counts><entry><Name>x</Name><Count>7</Count></entry></Counts>"
	               "<WireName>r</WireName></DoAllResult>" META("req-1") "</DoAllResponse>");
}

static void test_encode_type_mismatch(void **state)
{
	const struct operation *cu = op(&model_iam, "CreateUser");

	(void)state;
	assert_encode_fails(&model_iam, cu, "{\"User\":{\"UserName\":5}}");
	assert_encode_fails(&model_iam, cu, "{\"User\":{\"CreateDate\":\"yesterday\"}}");
	assert_encode_fails(&model_iam, cu, "{\"User\":{\"Tags\":{\"Key\":\"k\"}}}");
	assert_encode_fails(&model_iam, cu, "{\"User\":[]}");
	assert_encode_fails(&model_iam, op(&model_iam, "ListUsers"), "{\"IsTruncated\":\"yes\"}");
	assert_encode_fails(&t_svc, &t_op, "{\"Int\":1.5}");
	assert_encode_fails(&t_svc, &t_op, "{\"Attrs\":[]}");
	assert_encode_fails(&t_svc, &t_op, "{\"Flat\":\"p\"}");
	assert_encode_fails(&t_svc, &t_op, "[]");
}

static void test_encode_escaping(void **state)
{
	(void)state;
	assert_encodes(&model_sts, op(&model_sts, "GetCallerIdentity"),
	               "{\"UserId\":\"a&b<c>d\\\"e'f\\u0001g\\th\\ni\\rj\\u001f\\u007f\"}",
	               "<GetCallerIdentityResponse xmlns=\"" STS_NS "\"><GetCallerIdentityResult>"
	               "<UserId>a&amp;b&lt;c&gt;d&quot;e&apos;f\xEF\xBF\xBDg\th\ni&#xD;j\xEF\xBF\xBD\x7f</UserId>"
	               "</GetCallerIdentityResult>" META("req-1") "</GetCallerIdentityResponse>");
	/* Map keys are escaped too. */
	assert_encodes(&t_svc, &t_op, "{\"Attrs\":{\"<&>\":\"'\"}}",
	               "<DoAllResponse xmlns=\"urn:test\"><DoAllResult><Attrs><entry><key>&lt;&amp;&gt;</key>"
	               "<value>&apos;</value></entry></Attrs></DoAllResult>" META("req-1") "</DoAllResponse>");
}

static void test_encode_error(void **state)
{
	struct aws_err err;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	aws_err_set(&err, ERR_NO_SUCH_ENTITY, "The user with name %s cannot be found.", "bob");
	assert_int_equal(query_encode_error(&model_iam, &err, "req-2", &b), C_OK);
	assert_string_equal(buf_str(&b), "<ErrorResponse xmlns=\"" IAM_NS "\"><Error><Type>Sender</Type>"
	                                 "<Code>NoSuchEntity</Code><Message>The user with name bob cannot be found."
	                                 "</Message></Error><RequestId>req-2</RequestId></ErrorResponse>");
	/* A service fault is the Receiver's; STS has its own namespace. */
	buf_reset(&b);
	aws_err_set(&err, ERR_INTERNAL_FAILURE, "Internal failure.");
	assert_int_equal(query_encode_error(&model_sts, &err, "req-3", &b), C_OK);
	assert_string_equal(buf_str(&b), "<ErrorResponse xmlns=\"" STS_NS "\"><Error><Type>Receiver</Type>"
	                                 "<Code>InternalFailure</Code><Message>Internal failure.</Message></Error>"
	                                 "<RequestId>req-3</RequestId></ErrorResponse>");
	/* No service known yet (an unknown action): IAM's namespace; the message is escaped. */
	buf_reset(&b);
	aws_err_set(&err, ERR_VALIDATION, "Value '<a&b>' at 'userName' failed");
	assert_int_equal(query_encode_error(NULL, &err, "req-4", &b), C_OK);
	assert_string_equal(buf_str(&b), "<ErrorResponse xmlns=\"" IAM_NS "\"><Error><Type>Sender</Type>"
	                                 "<Code>ValidationError</Code><Message>Value &apos;&lt;a&amp;b&gt;&apos; at "
	                                 "&apos;userName&apos; failed</Message></Error><RequestId>req-4</RequestId>"
	                                 "</ErrorResponse>");
	buf_free(&b);
}

static void test_encode_error_cut_message(void **state)
{
	struct buf in, out;
	json_t *got;
	struct aws_err err;

	(void)state;
	/* The type error echoes at most 256 bytes of the value: here that cut falls inside a two-byte character. The
	 * error response must still be well-formed (valid UTF-8), with the partial character replaced. */
	buf_init(&in, 4096);
	assert_int_equal(buf_puts(&in, "MaxItems=a"), C_OK);
	for (int i = 0; i < 200; i++)
		assert_int_equal(buf_puts(&in, "%C3%A9"), C_OK);
	assert_int_equal(decode(&model_iam, op(&model_iam, "ListUsers")->input, buf_str(&in), &got, &err), C_ERR);
	assert_int_equal(err.code, ERR_VALIDATION);
	buf_init(&out, 1 << 16);
	assert_int_equal(query_encode_error(&model_iam, &err, "req-5", &out), C_OK);
	assert_true(utf8_valid(buf_str(&out), out.len));
	assert_non_null(strstr(buf_str(&out), "\xC3\xA9\xEF\xBF\xBD&apos; failed to satisfy constraint"));
	buf_free(&out);
	buf_free(&in);
}

static void test_encode_cap(void **state)
{
	struct buf b;
	json_t *r = json_pack("{s:{s:s,s:s,s:s,s:s,s:i}}", "User", "Path", "/", "UserName", "bob", "UserId", "AIDA1",
	                      "Arn", "arn:x", "CreateDate", 0);

	(void)state;
	/* The output buffer's cap is honoured: encoding fails rather than writing past it. */
	buf_init(&b, 64);
	assert_int_equal(query_encode_result(&model_iam, op(&model_iam, "CreateUser"), r, "req-1", &b), C_ERR);
	assert_true(b.len <= 64);
	buf_free(&b);
	json_decref(r);
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
		cmocka_unit_test(test_decode_scalars),     cmocka_unit_test(test_decode_member_lists),
		cmocka_unit_test(test_decode_empty_list),  cmocka_unit_test(test_decode_gaps),
		cmocka_unit_test(test_decode_integers),    cmocka_unit_test(test_decode_booleans),
		cmocka_unit_test(test_decode_other_types), cmocka_unit_test(test_decode_maps),
		cmocka_unit_test(test_decode_long_list),   cmocka_unit_test(test_encode_create_user),
		cmocka_unit_test(test_encode_list_users),  cmocka_unit_test(test_encode_no_output),
		cmocka_unit_test(test_encode_sts),         cmocka_unit_test(test_encode_other_types),
		cmocka_unit_test(test_encode_type_mismatch), cmocka_unit_test(test_encode_escaping),
		cmocka_unit_test(test_encode_error),       cmocka_unit_test(test_encode_error_cut_message),
		cmocka_unit_test(test_encode_cap),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
