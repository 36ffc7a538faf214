/*
 * test_cloudtrail.c - tests src/server/cloudtrail.c: an audit record in CloudTrail's record shape (identity types,
 * requestParameters in lowerCamelCase without MFAUsed, which moves to additionalEventData, the recipient account
 * from the resource, errorCode and AccessDenied's errorMessage, null userAgent and responseElements when not
 * recorded), the recorded userAgent, region and responseElements, and responseElements built from an answer
 * without its secrets (sensitive members, session tokens) and with CloudTrail's dates; the console's ConsoleLogin; a
 * federated user's sessionIssuer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "aws/model.h"
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

static void test_recorded_fields(void **state)
{
	struct cloudtrail_in in = {
		.time_ms = 1764806400123, .request_id = "req-2", .account_id = "111122223333",
		.principal_arn = "arn:aws:iam::111122223333:user/anay", .access_key_id = "AKIAEXAMPLE",
		.action = "sts:AssumeRole", .resource = "arn:aws:iam::111122223333:role/Dev", .source_ip = "10.0.0.1",
		.outcome = "Success", .detail = "", .principal_id = "", .event_id = "e",
		.user_agent = "aws-cli/2.9.19 Python/3.11", .region = "eu-west-1",
		.response = "{\"AssumedRoleUser\":{\"Arn\":\"arn:aws:sts::111122223333:assumed-role/Dev/s\"},"
		            "\"Credentials\":{\"AccessKeyId\":\"ASIAEXAMPLE\",\"Expiration\":\"Dec 4, 2025, 1:00:00 AM\"}}",
	};
	json_t *r = cloudtrail_record(&in), *resp;

	(void)state;
	assert_non_null(r);
	assert_string_equal(str(r, "userAgent"), "aws-cli/2.9.19 Python/3.11");
	assert_string_equal(str(r, "awsRegion"), "eu-west-1");
	resp = json_object_get(r, "responseElements");
	assert_string_equal(str(json_object_get(resp, "credentials"), "accessKeyId"), "ASIAEXAMPLE");
	assert_string_equal(str(json_object_get(resp, "assumedRoleUser"), "arn"),
	                    "arn:aws:sts::111122223333:assumed-role/Dev/s");
	json_decref(r);
	/* IAM is global: us-east-1 whatever region the request signed for */
	in.action = "iam:CreateUser";
	r = cloudtrail_record(&in);
	assert_string_equal(str(r, "awsRegion"), "us-east-1");
	json_decref(r);
}

/* The console's sign-in (src/console/signin.c): CloudTrail's ConsoleLogin event of signin.amazonaws.com. */
static void test_console_login(void **state)
{
	struct cloudtrail_in in = {
		.time_ms = 1764806400123, .request_id = "req-3", .account_id = "111122223333",
		.principal_arn = "arn:aws:iam::111122223333:user/anay", .access_key_id = "", .action = "signin:ConsoleLogin",
		.resource = "", .source_ip = "10.0.0.1", .outcome = "Success",
		.detail = "{\"LoginTo\":\"/console/\",\"MFAUsed\":true}", .principal_id = "", .event_id = "e",
		.user_agent = "Mozilla/5.0", .region = "us-east-1", .response = "{\"ConsoleLogin\":\"Success\"}",
	};
	json_t *r = cloudtrail_record(&in), *extra;

	(void)state;
	assert_non_null(r);
	assert_string_equal(str(r, "eventSource"), "signin.amazonaws.com");
	assert_string_equal(str(r, "eventName"), "ConsoleLogin");
	assert_string_equal(str(r, "eventType"), "AwsConsoleSignIn");
	assert_string_equal(str(json_object_get(r, "responseElements"), "ConsoleLogin"), "Success");
	extra = json_object_get(r, "additionalEventData");
	assert_string_equal(str(extra, "MFAUsed"), "Yes");
	assert_string_equal(str(extra, "LoginTo"), "/console/");
	assert_null(json_object_get(r, "errorCode"));
	json_decref(r);
	/* a failure: errorMessage as CloudTrail writes it, no errorCode */
	in.outcome = "Failed authentication";
	in.response = "{\"ConsoleLogin\":\"Failure\"}";
	r = cloudtrail_record(&in);
	assert_string_equal(str(json_object_get(r, "responseElements"), "ConsoleLogin"), "Failure");
	assert_string_equal(str(r, "errorMessage"), "Failed authentication");
	assert_null(json_object_get(r, "errorCode"));
	json_decref(r);
}

/* A role session's call: whether its credentials were issued with MFA moves to userIdentity's sessionContext. */
static void test_session_context(void **state)
{
	struct cloudtrail_in in = {
		.time_ms = 1764806400123, .request_id = "req-4", .account_id = "111122223333",
		.principal_arn = "arn:aws:sts::111122223333:assumed-role/admin/anay", .access_key_id = "ASIAEXAMPLE",
		.action = "iam:CreateUser", .resource = "arn:aws:iam::111122223333:user/x", .source_ip = "10.0.0.1",
		.outcome = "Success", .detail = "{\"MFAAuthenticated\":true,\"UserName\":\"x\"}", .principal_id = "",
		.event_id = "e", .user_agent = "", .region = "us-east-1", .response = "",
	};
	json_t *r = cloudtrail_record(&in), *ctx;

	(void)state;
	assert_non_null(r);
	ctx = json_object_get(json_object_get(json_object_get(r, "userIdentity"), "sessionContext"), "attributes");
	assert_string_equal(str(ctx, "mfaAuthenticated"), "true");
	assert_null(json_object_get(json_object_get(r, "requestParameters"), "mFAAuthenticated"));
	assert_string_equal(str(json_object_get(r, "requestParameters"), "userName"), "x");
	assert_null(json_object_get(r, "additionalEventData"));
	json_decref(r);
	in.detail = "{\"MFAAuthenticated\":false}";
	r = cloudtrail_record(&in);
	ctx = json_object_get(json_object_get(json_object_get(r, "userIdentity"), "sessionContext"), "attributes");
	assert_string_equal(str(ctx, "mfaAuthenticated"), "false");
	json_decref(r);
	/* a long-term key's call has no sessionContext */
	in.detail = "{\"UserName\":\"x\"}";
	r = cloudtrail_record(&in);
	assert_null(json_object_get(json_object_get(r, "userIdentity"), "sessionContext"));
	json_decref(r);
}

/* A federated user's call (GetFederationToken's session): FederatedUser, and the IAM user that made it as the
 * sessionContext's sessionIssuer, which is not a request parameter. */
static void test_federated_user(void **state)
{
	struct cloudtrail_in in = {
		.time_ms = 1764806400123, .request_id = "req-5", .account_id = "111122223333",
		.principal_arn = "arn:aws:sts::111122223333:federated-user/bob", .access_key_id = "ASIAEXAMPLE",
		.action = "organizations:DescribeOrganization", .resource = "*", .source_ip = "10.0.0.1",
		.outcome = "Success",
		.detail = "{\"MFAAuthenticated\":false,\"SessionIssuer\":{\"type\":\"IAMUser\",\"principalId\":"
		          "\"AIDAEXAMPLE\",\"arn\":\"arn:aws:iam::111122223333:user/broker\",\"accountId\":"
		          "\"111122223333\",\"userName\":\"broker\"}}",
		.principal_id = "111122223333:bob", .event_id = "e", .user_agent = "", .region = "us-east-1", .response = "",
	};
	json_t *r = cloudtrail_record(&in), *who, *ctx, *issuer;

	(void)state;
	assert_non_null(r);
	who = json_object_get(r, "userIdentity");
	assert_string_equal(str(who, "type"), "FederatedUser");
	assert_string_equal(str(who, "principalId"), "111122223333:bob");
	ctx = json_object_get(who, "sessionContext");
	assert_string_equal(str(json_object_get(ctx, "attributes"), "mfaAuthenticated"), "false");
	issuer = json_object_get(ctx, "sessionIssuer");
	assert_string_equal(str(issuer, "type"), "IAMUser");
	assert_string_equal(str(issuer, "principalId"), "AIDAEXAMPLE");
	assert_string_equal(str(issuer, "arn"), "arn:aws:iam::111122223333:user/broker");
	assert_string_equal(str(issuer, "userName"), "broker");
	assert_true(json_is_null(json_object_get(r, "requestParameters")) ||
	            !json_object_get(json_object_get(r, "requestParameters"), "sessionIssuer"));
	json_decref(r);
}

static void test_response_without_secrets(void **state)
{
	const struct service_model *sts;
	const struct operation *op;
	json_t *out, *resp;
	char date[CLOUDTRAIL_DATE_LEN];

	(void)state;
	assert_int_equal(model_init(), 0);
	sts = model_service("sts");
	assert_non_null(sts);
	op = model_operation(sts, "AssumeRole");
	assert_non_null(op);
	out = json_pack("{s:{s:s, s:s, s:s, s:I}, s:{s:s, s:s}, s:i}", "Credentials", "AccessKeyId", "ASIAEXAMPLE",
	                "SecretAccessKey", "the-secret", "SessionToken", "the-token", "Expiration",
	                (json_int_t)1764810000, "AssumedRoleUser", "AssumedRoleId", "AROAEXAMPLE:s", "Arn",
	                "arn:aws:sts::111122223333:assumed-role/Dev/s", "PackedPolicySize", 6);
	resp = cloudtrail_response(op->output, out);
	assert_non_null(resp);
	assert_string_equal(str(json_object_get(resp, "Credentials"), "AccessKeyId"), "ASIAEXAMPLE");
	assert_null(json_object_get(json_object_get(resp, "Credentials"), "SecretAccessKey"));
	assert_null(json_object_get(json_object_get(resp, "Credentials"), "SessionToken"));
	assert_string_equal(str(json_object_get(resp, "Credentials"), "Expiration"), "Dec 4, 2025, 1:00:00 AM");
	assert_string_equal(str(json_object_get(resp, "AssumedRoleUser"), "AssumedRoleId"), "AROAEXAMPLE:s");
	assert_int_equal(json_integer_value(json_object_get(resp, "PackedPolicySize")), 6);
	json_decref(resp);
	json_decref(out);
	model_cleanup();

	cloudtrail_date(1689699040, date); /* 2023-07-18T16:50:40Z */
	assert_string_equal(date, "Jul 18, 2023, 4:50:40 PM");
	cloudtrail_date(1704067205, date); /* 2024-01-01T00:00:05Z */
	assert_string_equal(date, "Jan 1, 2024, 12:00:05 AM");
	cloudtrail_date(1704110400, date); /* 2024-01-01T12:00:00Z */
	assert_string_equal(date, "Jan 1, 2024, 12:00:00 PM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_type),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_recorded_fields),
		cmocka_unit_test(test_console_login),
		cmocka_unit_test(test_session_context),
		cmocka_unit_test(test_federated_user),
		cmocka_unit_test(test_response_without_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
