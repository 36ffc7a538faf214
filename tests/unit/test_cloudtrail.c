/*
 * test_cloudtrail.c - tests src/server/cloudtrail.c: an audit record in CloudTrail's record shape (identity types,
 * requestParameters in lowerCamelCase without MFAUsed, which moves to additionalEventData, the recipient account
 * from the resource, errorCode and AccessDenied's errorMessage, null userAgent and responseElements).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "server/cloudtrail.h"

static void test_identity_type(void **state)
{
	(void)state;
	assert_string_equal(cloudtrail_identity_type("arn:aws:iam::111122223333:root"), "Root");
	assert_string_equal(cloudtrail_identity_type("arn:aws:iam::111122223333:user/ops/anay"), "IAMUser");
	assert_string_equal(cloudtrail_identity_type("arn:aws:sts::111122223333:assumed-role/Dev/s"), "AssumedRole");
	assert_string_equal(cloudtrail_identity_type("arn:aws:sts::111122223333:federated-user/f"), "FederatedUser");
	assert_string_equal(cloudtrail_identity_type(""), "Unknown");
	assert_string_equal(cloudtrail_identity_type("arn:aws:iam::111122223333"), "Unknown");
}

static const char *str(json_t *o, const char *path)
{
	return json_string_value(json_object_get(o, path));
}

static void test_record(void **state)
{
	struct cloudtrail_in in = {
		.time_ms = 1764806400123,
		.request_id = "req-1",
		.account_id = "111122223333",
		.principal_arn = "arn:aws:iam::111122223333:user/anay",
		.access_key_id = "AKIAEXAMPLE",
		.action = "sts:AssumeRole",
		.resource = "arn:aws:iam::444455556666:role/Prod",
		.source_ip = "10.0.0.1",
		.outcome = "AccessDenied",
		.detail = "{\"MFAUsed\":true,\"RoleArn\":\"arn:aws:iam::444455556666:role/Prod\","
		          "\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}",
		.principal_id = "AIDAEXAMPLE",
		.event_id = "00000000-0000-4000-8000-000000000000",
	};
	json_t *r = cloudtrail_record(&in), *who, *params;

	(void)state;
	assert_non_null(r);
	assert_string_equal(str(r, "eventVersion"), "1.08");
	assert_string_equal(str(r, "eventTime"), "2025-12-04T00:00:00Z");
	assert_string_equal(str(r, "eventSource"), "sts.amazonaws.com");
	assert_string_equal(str(r, "eventName"), "AssumeRole");
	assert_true(json_is_true(json_object_get(r, "readOnly")));
	assert_true(json_is_null(json_object_get(r, "userAgent")));
	assert_true(json_is_null(json_object_get(r, "responseElements")));
	assert_string_equal(str(r, "recipientAccountId"), "444455556666");
	assert_string_equal(str(r, "errorCode"), "AccessDenied");
	assert_string_equal(str(r, "errorMessage"), "User: arn:aws:iam::111122223333:user/anay is not authorized to "
	                                            "perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/Prod");
	who = json_object_get(r, "userIdentity");
	assert_string_equal(str(who, "type"), "IAMUser");
	assert_string_equal(str(who, "principalId"), "AIDAEXAMPLE");
	assert_string_equal(str(who, "accessKeyId"), "AKIAEXAMPLE");
	params = json_object_get(r, "requestParameters");
	assert_null(json_object_get(params, "MFAUsed"));
	assert_null(json_object_get(params, "RoleArn"));
	assert_string_equal(str(params, "roleArn"), in.resource);
	assert_string_equal(str(json_array_get(json_object_get(params, "tags"), 0), "key"), "k");
	assert_string_equal(str(json_object_get(r, "additionalEventData"), "MFAUsed"), "Yes");
	json_decref(r);

	/* a successful IAM write by root: no error fields, not read-only, recipient is the caller's account */
	in.action = "iam:CreateUser";
	in.outcome = "Success";
	in.resource = "";
	in.detail = "";
	in.principal_arn = "arn:aws:iam::111122223333:root";
	r = cloudtrail_record(&in);
	assert_non_null(r);
	assert_string_equal(str(r, "eventSource"), "iam.amazonaws.com");
	assert_true(json_is_false(json_object_get(r, "readOnly")));
	assert_null(json_object_get(r, "errorCode"));
	assert_null(json_object_get(r, "errorMessage"));
	assert_null(json_object_get(r, "resources"));
	assert_true(json_is_null(json_object_get(r, "requestParameters")));
	assert_string_equal(str(r, "recipientAccountId"), "111122223333");
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_type),
		cmocka_unit_test(test_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
