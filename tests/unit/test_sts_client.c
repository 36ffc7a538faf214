/*
 * test_sts_client.c - tests src/cli/sts_client.c: request encoding, the XML reader and STS's answers (success and
 * error documents, hostile input), endpoint resolution, the retry policy, and the transport against a scripted
 * HTTP server on 127.0.0.1 (retries, no retries, a server that is down). No outside network.
 *
 * End to end against a real rolegate (skipped unless ROLEGATE_STS_TEST_ENDPOINT is set; tests/e2e/test_sts_client.py
 * sets it): GetCallerIdentity, GetSessionToken with MFA, AssumeRole from that session and with MFA directly, and the
 * refusals (unknown key, wrong secret, wrong MFA code). Variables:
 *   ROLEGATE_STS_TEST_ENDPOINT, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY   the person's long-term key
 *   ROLEGATE_STS_TEST_USER_ARN                                        her ARN (GetCallerIdentity's answer)
 *   ROLEGATE_STS_TEST_MFA_SERIAL, _MFA_CODE, _MFA_CODE2               her device and two fresh codes
 *   ROLEGATE_STS_TEST_ROLE_ARN                                        a role she may assume with MFA
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The module itself, to reach its statics (parse_answer, encode_*, should_retry, xml_walk). */
#include "../../src/cli/sts_client.c"

static struct sts_result res; /* large (the token): not on the stack */

#define AR_OK                                                                                                        \
	"<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"                                  \
	"  <AssumeRoleResult>\n"                                                                                     \
	"    <SourceIdentity>anay</SourceIdentity>\n"                                                                \
	"    <AssumedRoleUser>\n"                                                                                    \
	"      <Arn>arn:aws:sts::123456789012:assumed-role/demo/John</Arn>\n"                                        \
	"      <AssumedRoleId>ARO123EXAMPLE123:John</AssumedRoleId>\n"                                               \
	"    </AssumedRoleUser>\n"                                                                                   \
	"    <Credentials>\n"                                                                                        \
	"      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"                                                    \
	"      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"                       \
	"      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764&amp;x</SessionToken>\n"                              \
	"      <Expiration>2019-11-09T13:34:41Z</Expiration>\n"                                                      \
	"    </Credentials>\n"                                                                                       \
	"    <PackedPolicySize>6</PackedPolicySize>\n"                                                               \
	"  </AssumeRoleResult>\n"                                                                                    \
	"  <ResponseMetadata>\n"                                                                                     \
	"    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"                                          \
	"  </ResponseMetadata>\n"                                                                                    \
	"</AssumeRoleResponse>\n"

#define DENIED                                                                                                       \
	"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"              \
	"<Code>AccessDenied</Code><Message>User: arn:aws:iam::111111111111:user/abhi is not authorized to perform: " \
	"sts:AssumeRole on resource: arn:aws:iam::222222222222:role/admin</Message></Error>"                        \
	"<RequestId>4f2c1e2a-0000-1111-2222-333344445555</RequestId></ErrorResponse>"

static int parse(const char *action, long status, const char *doc, struct sts_error *err)
{
	return parse_answer(action, "AssumeRole arn:aws:iam::222222222222:role/admin", status, doc, strlen(doc), NULL,
	                    &res, err);
}

/* ---- encoding ------------------------------------------------------------------------------------------------- */

/* sts_xml_walk (other services' answers, rolegate analyze reach --endpoint-url): every element opened in document
 * order with its depth, leaves with their text, and the caller's text cap enforced. */
struct walk_log {
	char opened[512];
	char leaves[512];
};

static int log_open(void *ctx, int depth, const char *name)
{
	struct walk_log *l = ctx;
	size_t n = strlen(l->opened);

	snprintf(l->opened + n, sizeof(l->opened) - n, "%d:%s ", depth, name);
	return C_OK;
}

static int log_leaf(void *ctx, const char *path, const char *text, size_t len)
{
	struct walk_log *l = ctx;
	size_t n = strlen(l->leaves);

	snprintf(l->leaves + n, sizeof(l->leaves) - n, "%s=%.*s ", path, (int)len, text);
	return C_OK;
}

static int refuse_open(void *ctx, int depth, const char *name)
{
	(void)ctx;
	(void)name;
	return depth < 3 ? C_OK : C_ERR;
}

static void test_xml_walk_open(void **state)
{
	const char *doc = "<R><L><member><N>a</N></member><member><N>b&amp;c</N><E/></member></L></R>";
	struct walk_log l = {{0}, {0}};
	char root[STS_XML_MAX_NAME + 1];

	(void)state;
	assert_int_equal(sts_xml_walk(doc, strlen(doc), 64, log_open, log_leaf, &l, root), C_OK);
	assert_string_equal(root, "R");
	assert_string_equal(l.opened, "1:R 2:L 3:member 4:N 3:member 4:N 4:E ");
	assert_string_equal(l.leaves, "R/L/member/N=a R/L/member/N=b&c R/L/member/E= ");
	/* a text longer than the cap is refused, whatever the default for STS's answers */
	memset(&l, 0, sizeof(l));
	assert_int_equal(sts_xml_walk(doc, strlen(doc), 2, NULL, log_leaf, &l, root), C_ERR);
	/* an open callback's failure stops the walk */
	assert_int_equal(sts_xml_walk(doc, strlen(doc), 64, refuse_open, log_leaf, &l, root), C_ERR);
}

static void test_encode(void **state)
{
	struct buf b;
	struct sts_assume_role_input ar = {
		.role_arn = "arn:aws:iam::222222222222:role/admin",
		.role_session_name = "anay@ops+1=2",
		.duration_s = 3600,
		.external_id = "a b/c~d\xC3\xA4",
		.serial_number = "arn:aws:iam::111111111111:mfa/anay",
		.token_code = "012345",
		.source_identity = "anay",
	};
	struct sts_session_token_input st = {.duration_s = 43200, .serial_number = "GAHT12345678", .token_code = "123456"};
	struct sts_session_token_input st0 = {0};

	(void)state;
	buf_init(&b, BODY_MAX);
	assert_int_equal(encode_caller_identity(&b), C_OK);
	assert_string_equal(buf_str(&b), "Action=GetCallerIdentity&Version=2011-06-15");
	buf_reset(&b);
	assert_int_equal(encode_assume_role(&ar, &b), C_OK);
	assert_string_equal(buf_str(&b), "Action=AssumeRole&Version=2011-06-15"
	                                 "&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Fadmin"
	                                 "&RoleSessionName=anay%40ops%2B1%3D2&DurationSeconds=3600"
	                                 "&ExternalId=a%20b%2Fc~d%C3%A4"
	                                 "&SerialNumber=arn%3Aaws%3Aiam%3A%3A111111111111%3Amfa%2Fanay"
	                                 "&TokenCode=012345&SourceIdentity=anay");
	/* Optional members left out. */
	buf_reset(&b);
	ar.duration_s = 0;
	ar.external_id = ar.serial_number = ar.token_code = ar.source_identity = NULL;
	assert_int_equal(encode_assume_role(&ar, &b), C_OK);
	assert_string_equal(buf_str(&b), "Action=AssumeRole&Version=2011-06-15"
	                                 "&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2Fadmin"
	                                 "&RoleSessionName=anay%40ops%2B1%3D2");
	buf_reset(&b);
	assert_int_equal(encode_session_token(&st, &b), C_OK);
	assert_string_equal(buf_str(&b), "Action=GetSessionToken&Version=2011-06-15&DurationSeconds=43200"
	                                 "&SerialNumber=GAHT12345678&TokenCode=123456");
	buf_reset(&b);
	assert_int_equal(encode_session_token(&st0, &b), C_OK);
	assert_string_equal(buf_str(&b), "Action=GetSessionToken&Version=2011-06-15");
	buf_free(&b);
}

/* The calls refuse bad arguments before sending anything (the client is not even initialised). */
static void test_input_refused(void **state)
{
	struct sts_client c;
	struct sts_error err;
	struct sigv4_credentials creds = {"AKIAIOSFODNN7EXAMPLE", "secret", NULL};
	struct sts_assume_role_input ar = {.role_arn = "arn:aws:iam::1:role/x"};
	struct sts_session_token_input st = {.token_code = "123456"};

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(sts_client_assume_role(&c, &creds, &ar, &res, &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_INPUT);
	assert_string_equal(err.text, "AssumeRole arn:aws:iam::1:role/x: RoleSessionName is required");
	assert_int_equal(sts_client_get_session_token(&c, &creds, &st, &res, &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_INPUT);
	assert_non_null(strstr(err.text, "without the device's serial number"));
	ar.role_session_name = "s";
	assert_int_equal(sts_client_assume_role(&c, &creds, &ar, &res, &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_INPUT);
	assert_non_null(strstr(err.text, "not initialised"));
}

/* ---- answers -------------------------------------------------------------------------------------------------- */

static void test_parse_assume_role(void **state)
{
	struct sts_error err;

	(void)state;
	assert_int_equal(parse("AssumeRole", 200, AR_OK, &err), C_OK);
	assert_int_equal(err.kind, STS_ERR_NONE);
	assert_string_equal(res.creds.access_key_id, "ASIAIOSFODNN7EXAMPLE");
	assert_string_equal(res.creds.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
	assert_string_equal(res.creds.session_token, "AQoDYXdzEPT//////////wEXAMPLEtc764&x");
	assert_int_equal(res.creds.expiration_s, 1573306481);
	assert_string_equal(res.assumed_role_arn, "arn:aws:sts::123456789012:assumed-role/demo/John");
	assert_string_equal(res.assumed_role_id, "ARO123EXAMPLE123:John");
	assert_string_equal(res.source_identity, "anay");
	assert_string_equal(res.request_id, "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
	sts_result_clear(&res);
	assert_string_equal(res.creds.secret_access_key, "");

	/* The same answer for another action is not taken. */
	assert_int_equal(parse("GetSessionToken", 200, AR_OK, &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_RESPONSE);
	assert_string_equal(res.creds.secret_access_key, "");
}

static void test_parse_session_token_and_identity(void **state)
{
	struct sts_error err;
	const char *gst = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- a comment -->"
	                  "<GetSessionTokenResponse xmlns='https://sts.amazonaws.com/doc/2011-06-15/'>"
	                  "<GetSessionTokenResult><Credentials>"
	                  "<SessionToken><![CDATA[tok<en>&]]>&#x41;&#66;</SessionToken>"
	                  "<SecretAccessKey>s&lt;&gt;&quot;&apos;</SecretAccessKey>"
	                  "<Expiration>2026-11-25T16:52:29.123Z</Expiration>"
	                  "<AccessKeyId>ASIAEXAMPLE</AccessKeyId>"
	                  "</Credentials></GetSessionTokenResult>"
	                  "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetSessionTokenResponse>";
	const char *gci = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
	                  "<GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/anay</Arn>"
	                  "<UserId>AIDAEXAMPLE</UserId><Account>111111111111</Account></GetCallerIdentityResult>"
	                  "<ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></GetCallerIdentityResponse>";

	(void)state;
	assert_int_equal(parse("GetSessionToken", 200, gst, &err), C_OK);
	assert_string_equal(res.creds.session_token, "tok<en>&AB");
	assert_string_equal(res.creds.secret_access_key, "s<>\"'");
	assert_string_equal(res.creds.access_key_id, "ASIAEXAMPLE");
	assert_int_equal(res.creds.expiration_s, 1795625549);
	assert_string_equal(res.request_id, "r-1");
	assert_string_equal(res.assumed_role_arn, "");
	assert_int_equal(parse("GetCallerIdentity", 200, gci, &err), C_OK);
	assert_string_equal(res.account, "111111111111");
	assert_string_equal(res.arn, "arn:aws:iam::111111111111:user/anay");
	assert_string_equal(res.user_id, "AIDAEXAMPLE");
	assert_string_equal(res.request_id, "r-2");
	assert_string_equal(res.creds.access_key_id, "");
}

static void test_parse_errors(void **state)
{
	struct sts_error err;
	const char *ec2 = "<?xml version=\"1.0\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>"
	                  "<Message>Request limit exceeded.</Message></Error></Errors>"
	                  "<RequestID>ec2-req</RequestID></Response>";

	(void)state;
	assert_int_equal(parse("AssumeRole", 403, DENIED, &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_SERVICE);
	assert_string_equal(err.code, "AccessDenied");
	assert_string_equal(err.type, "Sender");
	assert_int_equal(err.http_status, 403);
	assert_string_equal(err.request_id, "4f2c1e2a-0000-1111-2222-333344445555");
	assert_string_equal(err.message, "User: arn:aws:iam::111111111111:user/abhi is not authorized to perform: "
	                                 "sts:AssumeRole on resource: arn:aws:iam::222222222222:role/admin");
	assert_string_equal(err.text, "AssumeRole arn:aws:iam::222222222222:role/admin: AccessDenied: User: "
	                              "arn:aws:iam::111111111111:user/abhi is not authorized to perform: "
	                              "sts:AssumeRole on resource: arn:aws:iam::222222222222:role/admin");
	/* An error document is an error even with status 200. */
	assert_int_equal(parse("AssumeRole", 200, DENIED, &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_SERVICE);
	/* The EC2-style envelope. */
	assert_int_equal(parse("AssumeRole", 503, ec2, &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_SERVICE);
	assert_string_equal(err.code, "RequestLimitExceeded");
	assert_string_equal(err.request_id, "ec2-req");
	/* A proxy's page: an HTTP error naming the status; the header's request id is kept. */
	assert_int_equal(parse_answer("GetCallerIdentity", "GetCallerIdentity", 502,
	                              "<html><body>Bad Gateway</body></html>", 37, "hdr-id", &res, &err),
	                 C_ERR);
	assert_int_equal(err.kind, STS_ERR_HTTP);
	assert_int_equal(err.http_status, 502);
	assert_string_equal(err.request_id, "hdr-id");
	assert_string_equal(err.text, "GetCallerIdentity: HTTP 502 from STS (the answer is not an AWS error document)");
	assert_int_equal(parse("AssumeRole", 500, "", &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_HTTP);
	/* A message cannot forge lines. */
	assert_int_equal(parse("AssumeRole", 400,
	                       "<ErrorResponse><Error><Code>ValidationError</Code><Message>a&#10;b\nc</Message>"
	                       "</Error></ErrorResponse>",
	                       &err),
	                 C_ERR);
	assert_string_equal(err.message, "a b c");
	assert_string_equal(err.request_id, "");
}

/* Each document must be refused as a malformed answer, and leave no credentials behind. */
static void refused(const char *doc, size_t len)
{
	struct sts_error err;

	if (parse_answer("AssumeRole", "AssumeRole r", 200, doc, len, NULL, &res, &err) == C_OK)
		fail_msg("accepted: %.*s", (int)len, doc);
	assert_int_equal(err.kind, STS_ERR_RESPONSE);
	assert_string_equal(res.creds.access_key_id, "");
	assert_string_equal(res.creds.secret_access_key, "");
	assert_string_equal(res.creds.session_token, "");
}

#define REFUSED(s) refused(s, sizeof(s) - 1)
#define CREDS_OPEN "<AssumeRoleResponse><AssumeRoleResult><AssumedRoleUser><Arn>a</Arn></AssumedRoleUser><Credentials>"
#define CREDS_TAIL "</Credentials></AssumeRoleResult></AssumeRoleResponse>"
#define CREDS_ALL                                                                                                    \
	"<AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken>"             \
	"<Expiration>2019-11-09T13:34:41Z</Expiration>"

static void test_hostile_answers(void **state)
{
	struct sts_error err;
	struct buf big;

	(void)state;
	/* The skeleton is accepted... */
	assert_int_equal(parse("AssumeRole", 200, CREDS_OPEN CREDS_ALL CREDS_TAIL, &err), C_OK);
	/* Harmless extras are fine: attributes, comments, CDATA, references, unknown elements. */
	assert_int_equal(parse("AssumeRole", 200,
	                       CREDS_OPEN CREDS_ALL "<Other a=\"1>2\" b='x'>&#x263A;<![CDATA[<&>]]><!-- - --></Other>"
	                                            "<Empty/>" CREDS_TAIL,
	                       &err),
	                 C_OK);
	/* ...and these are not. */
	REFUSED("");
	REFUSED("not xml");
	REFUSED(CREDS_OPEN CREDS_ALL);                                              /* unclosed */
	REFUSED(CREDS_OPEN CREDS_ALL "</Credentials></AssumeRoleResult></Other>"); /* mismatched */
	REFUSED(CREDS_OPEN CREDS_ALL CREDS_TAIL "<AssumeRoleResponse/>");          /* two roots */
	REFUSED(CREDS_OPEN CREDS_ALL CREDS_TAIL "junk");                           /* text after the root */
	REFUSED(CREDS_OPEN CREDS_ALL "<AccessKeyId>B</AccessKeyId>" CREDS_TAIL);   /* duplicate */
	REFUSED(CREDS_OPEN "<AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>T"
	                   "</SessionToken>" CREDS_TAIL); /* no Expiration */
	REFUSED(CREDS_OPEN "<AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>T"
	                   "</SessionToken><Expiration>tomorrow</Expiration>" CREDS_TAIL);
	REFUSED(CREDS_OPEN "<AccessKeyId>A</AccessKeyId><SecretAccessKey></SecretAccessKey><SessionToken>T"
	                   "</SessionToken><Expiration>2019-11-09T13:34:41Z</Expiration>" CREDS_TAIL);
	/* No DTDs: no entity can be defined, so none can expand. */
	REFUSED("<!DOCTYPE r [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>" CREDS_OPEN CREDS_ALL CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<Other>&a;</Other>" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<Other>&#0;</Other>" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<Other>&#xD800;</Other>" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<Other>&#x1100000;</Other>" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<Other>&#;</Other>" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<Other>&amp</Other>" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<Other>\x01</Other>" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<Other>\xC3\x28</Other>" CREDS_TAIL); /* not UTF-8 */
	REFUSED(CREDS_OPEN CREDS_ALL "<Other>A\0B</Other>" CREDS_TAIL);     /* NUL */
	REFUSED(CREDS_OPEN CREDS_ALL "<Other a=\"1<2\">A</Other>" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<Other a=\"1>A</Other>" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<Other a>A</Other>" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<1x>A</1x>" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<![CDATA[unterminated" CREDS_TAIL);
	REFUSED(CREDS_OPEN CREDS_ALL "<!-- unterminated" CREDS_TAIL);
	REFUSED("<![CDATA[x]]>" CREDS_OPEN CREDS_ALL CREDS_TAIL);

	/* Depth, names, values and text are capped. */
	buf_init(&big, 1 << 20);
	for (int i = 0; i < 40; i++)
		assert_int_equal(buf_puts(&big, "<a>"), C_OK);
	for (int i = 0; i < 40; i++)
		assert_int_equal(buf_puts(&big, "</a>"), C_OK);
	refused(big.p, big.len);
	buf_reset(&big);
	assert_int_equal(buf_puts(&big, "<"), C_OK);
	for (int i = 0; i < 200; i++)
		assert_int_equal(buf_putc(&big, 'n'), C_OK);
	assert_int_equal(buf_puts(&big, "/>"), C_OK);
	refused(big.p, big.len);
	buf_reset(&big);
	assert_int_equal(buf_puts(&big, CREDS_OPEN "<AccessKeyId>A</AccessKeyId><SecretAccessKey>S</SecretAccessKey>"
	                                           "<Expiration>2019-11-09T13:34:41Z</Expiration><SessionToken>"),
	                 C_OK);
	for (int i = 0; i < STS_MAX_TOKEN; i++)
		assert_int_equal(buf_putc(&big, 'T'), C_OK);
	assert_int_equal(buf_puts(&big, "</SessionToken>" CREDS_TAIL), C_OK);
	refused(big.p, big.len);
	assert_int_equal(parse_answer("AssumeRole", "x", 200, big.p, big.len, NULL, &res, &err), C_ERR);
	assert_string_equal(err.message, "a value in the answer is too long");
	/* Text of an element we do not read is capped too. */
	buf_reset(&big);
	assert_int_equal(buf_puts(&big, CREDS_OPEN CREDS_ALL "<Other>"), C_OK);
	for (int i = 0; i < XML_MAX_TEXT + 1; i++)
		assert_int_equal(buf_putc(&big, 'x'), C_OK);
	assert_int_equal(buf_puts(&big, "</Other>" CREDS_TAIL), C_OK);
	refused(big.p, big.len);
	buf_free(&big);
}

/* ---- endpoints and retries ------------------------------------------------------------------------------------ */

static void endpoint_is(const char *endpoint_url, const char *region, const char *mode, const char *want_url,
                        const char *want_region)
{
	struct sts_client_config cfg = {.endpoint_url = endpoint_url, .region = region, .sts_regional_endpoints = mode};
	struct sts_error err;
	char url[512], reg[64];

	assert_int_equal(sts_resolve_endpoint(&cfg, url, sizeof(url), reg, sizeof(reg), &err), C_OK);
	assert_string_equal(url, want_url);
	assert_string_equal(reg, want_region);
}

static void test_endpoints(void **state)
{
	struct sts_client_config cfg = {0};
	struct sts_client c;
	struct sts_error err;
	char url[512], reg[64];

	(void)state;
	unsetenv("AWS_STS_REGIONAL_ENDPOINTS");
	endpoint_is(NULL, NULL, NULL, "https://sts.us-east-1.amazonaws.com/", "us-east-1");
	endpoint_is(NULL, "eu-west-1", NULL, "https://sts.eu-west-1.amazonaws.com/", "eu-west-1");
	endpoint_is(NULL, "eu-west-1", "regional", "https://sts.eu-west-1.amazonaws.com/", "eu-west-1");
	endpoint_is(NULL, "eu-west-1", "legacy", "https://sts.amazonaws.com/", "us-east-1");
	endpoint_is(NULL, "ap-east-1", "legacy", "https://sts.ap-east-1.amazonaws.com/", "ap-east-1");
	endpoint_is(NULL, "aws-global", NULL, "https://sts.amazonaws.com/", "us-east-1");
	endpoint_is(NULL, "cn-north-1", NULL, "https://sts.cn-north-1.amazonaws.com.cn/", "cn-north-1");
	endpoint_is("http://127.0.0.1:8600", NULL, NULL, "http://127.0.0.1:8600", "us-east-1");
	endpoint_is("https://sts.example.test/prefix/", "eu-west-2", NULL, "https://sts.example.test/prefix/",
	            "eu-west-2");
	setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy", 1);
	endpoint_is(NULL, "us-west-2", NULL, "https://sts.amazonaws.com/", "us-east-1");
	unsetenv("AWS_STS_REGIONAL_ENDPOINTS");

	cfg.region = "us-east-1.evil.example/x";
	assert_int_equal(sts_resolve_endpoint(&cfg, url, sizeof(url), reg, sizeof(reg), &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_INPUT);
	cfg.region = "US-EAST-1";
	assert_int_equal(sts_resolve_endpoint(&cfg, url, sizeof(url), reg, sizeof(reg), &err), C_ERR);
	cfg.region = NULL;
	cfg.sts_regional_endpoints = "global";
	assert_int_equal(sts_resolve_endpoint(&cfg, url, sizeof(url), reg, sizeof(reg), &err), C_ERR);
	cfg.sts_regional_endpoints = NULL;
	cfg.endpoint_url = "ftp://127.0.0.1/";
	assert_int_equal(sts_resolve_endpoint(&cfg, url, sizeof(url), reg, sizeof(reg), &err), C_ERR);
	assert_string_equal(err.text, "STS: endpoint_url 'ftp://127.0.0.1/' is not an http:// or https:// URL");

	/* The Host header and path the signature covers. */
	cfg.endpoint_url = "http://127.0.0.1:8600";
	assert_int_equal(sts_client_init(&c, &cfg, &err), C_OK);
	assert_string_equal(c.host, "127.0.0.1:8600");
	assert_string_equal(c.path, "/");
	sts_client_free(&c);
	cfg.endpoint_url = "https://sts.example.test/a/b";
	cfg.region = "eu-west-3";
	assert_int_equal(sts_client_init(&c, &cfg, &err), C_OK);
	assert_string_equal(c.host, "sts.example.test");
	assert_string_equal(c.path, "/a/b");
	assert_string_equal(c.region, "eu-west-3");
	sts_client_free(&c);
	cfg.endpoint_url = "http://[::1]:9000/";
	assert_int_equal(sts_client_init(&c, &cfg, &err), C_OK);
	assert_string_equal(c.host, "[::1]:9000");
	sts_client_free(&c);
	cfg.endpoint_url = "http://h/?a=b";
	assert_int_equal(sts_client_init(&c, &cfg, &err), C_ERR);
	sts_client_free(&c);
	sts_client_free(&c); /* twice is fine */
}

static void test_retry_policy(void **state)
{
	(void)state;
	/* Throttling: always, even with a one-time code (the code was not looked at). */
	assert_true(should_retry(CURLE_OK, 400, "Throttling", false, true));
	assert_true(should_retry(CURLE_OK, 400, "ThrottlingException", true, true));
	assert_true(should_retry(CURLE_OK, 503, "RequestLimitExceeded", true, true));
	assert_true(should_retry(CURLE_OK, 429, "", false, true));
	assert_true(should_retry(CURLE_OK, 503, "", false, true));
	assert_true(should_retry(CURLE_OK, 500, "InternalError", false, true));
	assert_true(should_retry(CURLE_COULDNT_CONNECT, 0, NULL, true, false));
	assert_true(should_retry(CURLE_COULDNT_RESOLVE_HOST, 0, NULL, true, false));
	assert_true(should_retry(CURLE_OPERATION_TIMEDOUT, 0, NULL, false, true));
	assert_true(should_retry(CURLE_OPERATION_TIMEDOUT, 0, NULL, true, false));
	/* Never: answers that another attempt cannot change. */
	assert_false(should_retry(CURLE_OK, 403, "AccessDenied", false, true));
	assert_false(should_retry(CURLE_OK, 403, "InvalidClientTokenId", false, true));
	assert_false(should_retry(CURLE_OK, 400, "ExpiredToken", false, true));
	assert_false(should_retry(CURLE_OK, 403, "SignatureDoesNotMatch", false, true));
	assert_false(should_retry(CURLE_OK, 400, "ValidationError", false, true));
	assert_false(should_retry(CURLE_OK, 500, "AccessDenied", false, true));
	assert_false(should_retry(CURLE_OK, 404, "", false, true));
	assert_false(should_retry(CURLE_PEER_FAILED_VERIFICATION, 0, NULL, false, true));
	assert_false(should_retry(CURLE_SSL_CACERT_BADFILE, 0, NULL, false, false));
	/* A request with an MFA code that the server may have consumed is not repeated. */
	assert_false(should_retry(CURLE_OK, 500, "InternalError", true, true));
	assert_false(should_retry(CURLE_OK, 502, "", true, true));
	assert_false(should_retry(CURLE_OPERATION_TIMEDOUT, 0, NULL, true, true));
	assert_false(should_retry(CURLE_RECV_ERROR, 0, NULL, true, true));
}

/* ---- transport, against a scripted server on 127.0.0.1 -------------------------------------------------------- */

struct script {
	int fd;
	int port;
	const char *const *answers; /* one HTTP answer per connection, NULL-terminated */
	int served;
	char last_request[16384];
	pthread_t thread;
};

static void *script_serve(void *arg)
{
	struct script *s = arg;

	for (; s->answers[s->served]; s->served++) {
		int cfd = accept(s->fd, NULL, NULL);
		size_t len = 0;
		char *body;
		long clen = -1;

		if (cfd < 0)
			break;
		/* Read the head, then Content-Length bytes of body. */
		for (;;) {
			ssize_t n = read(cfd, s->last_request + len, sizeof(s->last_request) - 1 - len);
			if (n <= 0)
				break;
			len += (size_t)n;
			s->last_request[len] = '\0';
			body = strstr(s->last_request, "\r\n\r\n");
			if (body) {
				const char *cl = strcasestr(s->last_request, "\r\nContent-Length:");
				clen = cl ? strtol(cl + 17, NULL, 10) : 0;
				if ((long)(len - (size_t)(body + 4 - s->last_request)) >= clen)
					break;
			}
		}
		if (write(cfd, s->answers[s->served], strlen(s->answers[s->served])) < 0)
			perror("write");
		close(cfd);
	}
	return NULL;
}

static void script_start(struct script *s, const char *const *answers)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->answers = answers;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 8), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, script_serve, s), 0);
}

static int script_finish(struct script *s)
{
	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	pthread_join(s->thread, NULL);
	return s->served;
}

static char answer_503[256], answer_throttle[512], answer_denied[1024], answer_ok[2048];

static void make_answer(char *out, size_t cap, const char *status, const char *body)
{
	snprintf(out, cap,
	         "HTTP/1.1 %s\r\nContent-Type: text/xml\r\nx-amzn-RequestId: hdr-req\r\nConnection: close\r\n"
	         "Content-Length: %zu\r\n\r\n%s",
	         status, strlen(body), body);
}

static void make_answers(void)
{
	make_answer(answer_503, sizeof(answer_503), "503 Service Unavailable", "<html>busy</html>");
	make_answer(answer_throttle, sizeof(answer_throttle), "400 Bad Request",
	            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
	            "</Error><RequestId>t-1</RequestId></ErrorResponse>");
	make_answer(answer_denied, sizeof(answer_denied), "403 Forbidden", DENIED);
	make_answer(answer_ok, sizeof(answer_ok), "200 OK", AR_OK);
}

static void client_for(struct sts_client *c, int port)
{
	char url[64];
	struct sts_client_config cfg = {.endpoint_url = url, .retry_base_ms = 5};
	struct sts_error err;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	assert_int_equal(sts_client_init(c, &cfg, &err), C_OK);
}

static const struct sigv4_credentials test_creds = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
                                                    "session-token-value"};
static const struct sts_assume_role_input test_ar = {.role_arn = "arn:aws:iam::222222222222:role/admin",
                                                     .role_session_name = "anay"};

static void test_transport_retries(void **state)
{
	const char *const busy_then_ok[] = {answer_503, answer_throttle, answer_ok, NULL};
	const char *const throttled[] = {answer_throttle, answer_throttle, answer_throttle, answer_ok, NULL};
	const char *const denied[] = {answer_denied, answer_ok, NULL};
	const char *const busy[] = {answer_503, answer_ok, NULL};
	struct sts_assume_role_input with_code = test_ar;
	struct sts_client c;
	struct sts_error err;
	struct script s;
	char want[128];

	(void)state;
	make_answers();
	/* 503, Throttling, then the answer: three attempts, success. */
	script_start(&s, busy_then_ok);
	client_for(&c, s.port);
	assert_int_equal(sts_client_assume_role(&c, &test_creds, &test_ar, &res, &err), C_OK);
	assert_string_equal(res.assumed_role_arn, "arn:aws:sts::123456789012:assumed-role/demo/John");
	sts_client_free(&c);
	assert_int_equal(script_finish(&s), 3);
	/* The request as sent: POST to /, signed by aws/sigv4.c over content-type, host, x-amz-date and the token. */
	assert_non_null(strstr(s.last_request, "POST / HTTP/1.1\r\n"));
	snprintf(want, sizeof(want), "\r\nHost: 127.0.0.1:%d\r\n", s.port);
	assert_non_null(strstr(s.last_request, want));
	assert_non_null(strstr(s.last_request, "\r\nContent-Type: " FORM_CONTENT_TYPE "\r\n"));
	assert_non_null(strstr(s.last_request, "\r\nX-Amz-Security-Token: session-token-value\r\n"));
	assert_non_null(strstr(s.last_request, "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"));
	assert_non_null(strstr(s.last_request, "/us-east-1/sts/aws4_request, "
	                                       "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
	                                       "Signature="));
	assert_non_null(strstr(s.last_request, "\r\n\r\nAction=AssumeRole&Version=2011-06-15&RoleArn="));
	assert_null(strstr(s.last_request, "wJalrXUtnFEMI")); /* the secret never travels */

	/* Throttled three times: three attempts, then the throttling error. */
	script_start(&s, throttled);
	client_for(&c, s.port);
	assert_int_equal(sts_client_assume_role(&c, &test_creds, &test_ar, &res, &err), C_ERR);
	sts_client_free(&c);
	assert_int_equal(script_finish(&s), 3);
	assert_int_equal(err.kind, STS_ERR_SERVICE);
	assert_string_equal(err.code, "Throttling");
	assert_int_equal(err.attempts, 3);
	assert_string_equal(err.request_id, "t-1");
	assert_string_equal(err.text,
	                    "AssumeRole arn:aws:iam::222222222222:role/admin: Throttling: Rate exceeded (after 3 attempts)");

	/* AccessDenied: one attempt. */
	script_start(&s, denied);
	client_for(&c, s.port);
	assert_int_equal(sts_client_assume_role(&c, &test_creds, &test_ar, &res, &err), C_ERR);
	sts_client_free(&c);
	assert_int_equal(script_finish(&s), 1);
	assert_string_equal(err.code, "AccessDenied");
	assert_int_equal(err.attempts, 1);
	assert_int_equal(err.http_status, 403);

	/* A 503 to a request carrying an MFA code: not repeated (the code may be spent). */
	with_code.serial_number = "arn:aws:iam::111111111111:mfa/anay";
	with_code.token_code = "123456";
	script_start(&s, busy);
	client_for(&c, s.port);
	assert_int_equal(sts_client_assume_role(&c, &test_creds, &with_code, &res, &err), C_ERR);
	sts_client_free(&c);
	assert_int_equal(script_finish(&s), 1);
	assert_int_equal(err.kind, STS_ERR_HTTP);
	assert_int_equal(err.http_status, 503);
	assert_string_equal(err.request_id, "hdr-req");
}

/* A port with nothing listening on it. */
static int closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void test_server_down(void **state)
{
	struct sts_client c;
	struct sts_error err;
	char want[128];
	int port = closed_port();

	(void)state;
	client_for(&c, port);
	assert_int_equal(sts_client_get_caller_identity(&c, &test_creds, &res, &err), C_ERR);
	sts_client_free(&c);
	assert_int_equal(err.kind, STS_ERR_TRANSPORT);
	assert_int_equal(err.attempts, 3);
	assert_int_equal(err.http_status, 0);
	assert_string_equal(err.code, "");
	snprintf(want, sizeof(want), "GetCallerIdentity: cannot reach STS at http://127.0.0.1:%d: ", port);
	assert_memory_equal(err.text, want, strlen(want));
	assert_non_null(strstr(err.text, "(after 3 attempts)"));
	print_message("%s\n", err.text);
}

/* ---- end to end against rolegate (ROLEGATE_STS_TEST_*) -------------------------------------------------------- */

static const char *env(const char *name)
{
	char full[128];
	const char *v;

	snprintf(full, sizeof(full), "ROLEGATE_STS_TEST_%s", name);
	v = getenv(full);
	if (!v || !v[0])
		fail_msg("%s is not set", full);
	return v;
}

/* The end-to-end test's client and results: freed and wiped by e2e_teardown, also when an assertion fails. */
static struct sts_client e2e;
static struct sts_result mfa, assumed, direct;

static int e2e_teardown(void **state)
{
	(void)state;
	sts_result_clear(&mfa);
	sts_result_clear(&assumed);
	sts_result_clear(&direct);
	sts_result_clear(&res);
	sts_client_free(&e2e);
	return 0;
}

static void test_e2e_rolegate(void **state)
{
	struct sts_client_config cfg = {0};
	struct sts_error err;
	struct sigv4_credentials key, bad, session, role;
	struct sts_session_token_input st = {0};
	struct sts_assume_role_input ar = {0};
	char wrong_secret[256], unknown_key[64], want[512];
	const char *user_arn, *role_arn;

	(void)state;
	if (!getenv("ROLEGATE_STS_TEST_ENDPOINT"))
		skip();
	cfg.endpoint_url = env("ENDPOINT");
	cfg.retry_base_ms = 10;
	key.access_key_id = env("ACCESS_KEY_ID");
	key.secret_access_key = env("SECRET_ACCESS_KEY");
	key.session_token = NULL;
	user_arn = env("USER_ARN");
	role_arn = env("ROLE_ARN");
	assert_int_equal(sts_client_init(&e2e, &cfg, &err), C_OK);

	/* Who am I, with the long-term key. */
	if (sts_client_get_caller_identity(&e2e, &key, &res, &err) != C_OK)
		fail_msg("%s", err.text);
	assert_string_equal(res.arn, user_arn);
	assert_memory_equal(res.account, user_arn + strlen("arn:aws:iam::"), 12);
	assert_true(res.user_id[0] == 'A');
	assert_true(res.request_id[0]);

	/* AssumeRole without MFA: refused by the trust policy, said so, one attempt. */
	ar.role_arn = role_arn;
	ar.role_session_name = "sts-client-test";
	assert_int_equal(sts_client_assume_role(&e2e, &key, &ar, &res, &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_SERVICE);
	assert_string_equal(err.code, "AccessDenied");
	assert_int_equal(err.http_status, 403);
	assert_int_equal(err.attempts, 1);
	snprintf(want, sizeof(want), "AssumeRole %s: AccessDenied: User: %s is not authorized", role_arn, user_arn);
	assert_memory_equal(err.text, want, strlen(want));
	print_message("refused as expected: %s\n", err.text);

	/* GetSessionToken with MFA, then who the session is. */
	st.duration_s = 3600;
	st.serial_number = env("MFA_SERIAL");
	st.token_code = env("MFA_CODE");
	if (sts_client_get_session_token(&e2e, &key, &st, &mfa, &err) != C_OK)
		fail_msg("%s", err.text);
	assert_memory_equal(mfa.creds.access_key_id, "ASIA", 4);
	assert_true(mfa.creds.expiration_s > now_ms() / 1000 + 3000);
	assert_true(mfa.creds.expiration_s < now_ms() / 1000 + 3700);
	session = (struct sigv4_credentials){mfa.creds.access_key_id, mfa.creds.secret_access_key,
	                                     mfa.creds.session_token};
	if (sts_client_get_caller_identity(&e2e, &session, &res, &err) != C_OK)
		fail_msg("%s", err.text);
	assert_string_equal(res.arn, user_arn);

	/* The same code again is refused (AWS's message), and not retried. */
	assert_int_equal(sts_client_get_session_token(&e2e, &key, &st, &res, &err), C_ERR);
	assert_string_equal(err.code, "AccessDenied");
	assert_int_equal(err.attempts, 1);
	assert_non_null(strstr(err.message, "MultiFactorAuthentication failed"));
	print_message("refused as expected: %s\n", err.text);

	/* AssumeRole into the role from the MFA session (no second code). */
	ar.duration_s = 900;
	ar.source_identity = NULL;
	if (sts_client_assume_role(&e2e, &session, &ar, &assumed, &err) != C_OK)
		fail_msg("%s", err.text);
	assert_non_null(strstr(assumed.assumed_role_arn, ":assumed-role/"));
	assert_non_null(strstr(assumed.assumed_role_arn, "/sts-client-test"));
	assert_true(assumed.creds.expiration_s <= now_ms() / 1000 + 960);
	role = (struct sigv4_credentials){assumed.creds.access_key_id, assumed.creds.secret_access_key,
	                                  assumed.creds.session_token};
	if (sts_client_get_caller_identity(&e2e, &role, &res, &err) != C_OK)
		fail_msg("%s", err.text);
	assert_string_equal(res.arn, assumed.assumed_role_arn);
	assert_memory_equal(res.account, role_arn + strlen("arn:aws:iam::"), 12);
	print_message("assumed %s until %lld\n", assumed.assumed_role_arn, (long long)assumed.creds.expiration_s);

	/* AssumeRole with SerialNumber/TokenCode directly from the long-term key. */
	ar.role_session_name = "sts-client-direct";
	ar.serial_number = st.serial_number;
	ar.token_code = env("MFA_CODE2");
	ar.duration_s = 0;
	if (sts_client_assume_role(&e2e, &key, &ar, &direct, &err) != C_OK)
		fail_msg("%s", err.text);
	assert_non_null(strstr(direct.assumed_role_arn, "/sts-client-direct"));
	assert_string_equal(direct.source_identity, "");
	assert_true(direct.creds.expiration_s > now_ms() / 1000 + 3000); /* the role's default: one hour */

	/* A wrong MFA code: AccessDenied, one attempt. */
	ar.role_session_name = "sts-client-wrong";
	ar.token_code = "000000";
	assert_int_equal(sts_client_assume_role(&e2e, &key, &ar, &res, &err), C_ERR);
	assert_string_equal(err.code, "AccessDenied");
	assert_int_equal(err.attempts, 1);

	/* A wrong secret: SignatureDoesNotMatch (as AWS answers), with the server's message. */
	snprintf(wrong_secret, sizeof(wrong_secret), "%sX", key.secret_access_key);
	bad = (struct sigv4_credentials){key.access_key_id, wrong_secret, NULL};
	assert_int_equal(sts_client_get_caller_identity(&e2e, &bad, &res, &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_SERVICE);
	assert_string_equal(err.code, "SignatureDoesNotMatch");
	assert_int_equal(err.http_status, 403);
	assert_int_equal(err.attempts, 1);
	assert_true(err.message[0] && err.request_id[0]);
	assert_null(strstr(err.text, wrong_secret));
	print_message("refused as expected: %s\n", err.text);
	/* A key nobody has: InvalidClientTokenId. */
	snprintf(unknown_key, sizeof(unknown_key), "AKIAZZZZZZZZZZZZZZZZ");
	bad = (struct sigv4_credentials){unknown_key, key.secret_access_key, NULL};
	assert_int_equal(sts_client_get_caller_identity(&e2e, &bad, &res, &err), C_ERR);
	assert_string_equal(err.code, "InvalidClientTokenId");
	assert_string_equal(err.message, "The security token included in the request is invalid.");
	assert_string_equal(err.text, "GetCallerIdentity: InvalidClientTokenId: "
	                              "The security token included in the request is invalid.");
	assert_int_equal(err.attempts, 1);
	/* A tampered session token. */
	snprintf(want, sizeof(want), "%.64sX", mfa.creds.session_token);
	session.session_token = want;
	assert_int_equal(sts_client_get_caller_identity(&e2e, &session, &res, &err), C_ERR);
	assert_int_equal(err.kind, STS_ERR_SERVICE);
	assert_string_equal(err.code, "InvalidClientTokenId");
	assert_int_equal(err.attempts, 1);
	print_message("refused as expected: %s\n", err.text);
}

/*
 * HTTPS with the CA bundle of AWS_CA_BUNDLE (skipped unless ROLEGATE_STS_TEST_TLS_ENDPOINT is set; the pytest
 * serves a canned GetCallerIdentity answer over TLS with a certificate of its own). ROLEGATE_STS_TEST_TLS_EXPECT:
 * "ok" (the bundle trusts the certificate) or "untrusted" (a certificate error, not retried).
 */
static void test_tls_endpoint(void **state)
{
	struct sts_client_config cfg = {.retry_base_ms = 10};
	struct sts_error err;
	const char *expect = getenv("ROLEGATE_STS_TEST_TLS_EXPECT");
	int rc;

	(void)state;
	cfg.endpoint_url = getenv("ROLEGATE_STS_TEST_TLS_ENDPOINT");
	if (!cfg.endpoint_url)
		skip();
	assert_non_null(expect);
	assert_int_equal(sts_client_init(&e2e, &cfg, &err), C_OK);
	rc = sts_client_get_caller_identity(&e2e, &test_creds, &res, &err);
	if (strcmp(expect, "ok") == 0) {
		if (rc != C_OK)
			fail_msg("%s", err.text);
		assert_string_equal(res.arn, "arn:aws:iam::123456789012:user/tls");
		print_message("tls: %s\n", res.arn);
	} else {
		assert_int_equal(rc, C_ERR);
		assert_int_equal(err.kind, STS_ERR_TRANSPORT);
		assert_int_equal(err.attempts, 1);
		print_message("tls refused: %s\n", err.text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_input_refused),
		cmocka_unit_test(test_parse_assume_role),
		cmocka_unit_test(test_parse_session_token_and_identity),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_hostile_answers),
		cmocka_unit_test(test_xml_walk_open),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_retry_policy),
		cmocka_unit_test(test_transport_retries),
		cmocka_unit_test(test_server_down),
		cmocka_unit_test_teardown(test_e2e_rolegate, e2e_teardown),
		cmocka_unit_test_teardown(test_tls_endpoint, e2e_teardown),
	};
	int rc;

	if (crypto_init() != C_OK)
		return 1;
	/* The scripted servers are on 127.0.0.1: never through a proxy of this machine's. */
	setenv("NO_PROXY", "127.0.0.1,localhost", 1);
	setenv("no_proxy", "127.0.0.1,localhost", 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	crypto_cleanup();
	return rc;
}
