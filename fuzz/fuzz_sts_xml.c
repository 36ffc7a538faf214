/*
 * fuzz_sts_xml.c - the client's reader of STS answers (src/cli/sts_client.c): the bounded XML reader (xml_walk:
 * prolog, comments, CDATA, attributes, entities and character references, the depth, name, path and text caps,
 * DOCTYPE refused) and parse_answer, which turns an HTTP answer into a struct sts_result (GetCallerIdentity,
 * GetSessionToken, AssumeRole) or a struct sts_error (ErrorResponse, the EC2-style Response/Errors envelope, an
 * HTTP error without a document, a malformed answer).
 *
 * The module is included (as h2o's fuzzers do) to reach its statics; nothing is sent over the network.
 *
 * Input: byte 0 picks the action (its value modulo 3: GetCallerIdentity, GetSessionToken, AssumeRole), the HTTP
 * status ((byte 0 >> 2) modulo 8: 200, 200, 201, 400, 403, 404, 500, 503) and, with its top bit, a request id from
 * the HTTP headers; the rest is the body.
 *
 * Checks beyond the sanitizers (abort on failure):
 *   - every leaf xml_walk reports lies under the root it names, within the path and text caps, and its text is
 *     valid UTF-8 without NUL bytes;
 *   - parse_answer succeeds only for a 2xx answer whose root is the action's response with the fields the action
 *     needs (credentials with a parsable expiration; AssumedRoleUser/Arn for AssumeRole; Account, Arn and UserId
 *     for GetCallerIdentity), and then leaves err zeroed;
 *   - on failure the result is wiped (every byte zero), err has a kind and a text, every string in err is
 *     terminated within its field and one printable line, and only a service error (an AWS error document)
 *     carries text from the body: the others are rolegate's fixed messages, so a secret in a malformed answer is
 *     never echoed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/curl_api.c"
#include "cli/sts_client.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_sts_xml: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static const char *const actions[] = {"GetCallerIdentity", "GetSessionToken", "AssumeRole"};
static const long statuses[] = {200, 200, 201, 400, 403, 404, 500, 503};

/* Large (the session token): static, not on the stack. */
static struct sts_result result;
static struct sts_error error;

struct walk_check {
	const char *root;
	size_t leaves;
};

static int check_leaf(void *ctx, const char *path, const char *text, size_t len)
{
	struct walk_check *w = ctx;
	size_t plen = strlen(path);

	if (plen == 0 || plen >= XML_MAX_PATH || path[0] == '/' || path[plen - 1] == '/')
		die("a malformed leaf path", path);
	if (len > XML_MAX_TEXT || strlen(text) != len || !utf8_valid(text, len))
		die("a leaf's text is too long, holds a NUL or is not UTF-8", path);
	w->leaves++;
	return C_OK;
}

static void check_str(const char *s, size_t cap, bool one_line, const char *what)
{
	const char *end = memchr(s, '\0', cap);

	if (!end)
		die("a string not terminated within its field", what);
	for (; one_line && s < end; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			die("a control character in an error string", what);
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

/* The messages rolegate writes itself when the answer is not an AWS error document. */
static bool fixed_message(const char *m, long status)
{
	static const char *const fixed[] = {
		"a value in the answer is too long", "an element appears twice in the answer",
		"the answer is not a response to this call", "the answer is not well-formed XML",
		"Account, Arn or UserId is missing", "the credentials are incomplete", "AssumedRoleUser/Arn is missing",
	};
	char http[96];

	for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
		if (strcmp(m, fixed[i]) == 0)
			return true;
	snprintf(http, sizeof(http), "HTTP %ld without an AWS error document", status);
	return strcmp(m, http) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *action, *hdr_rid;
	char *body, root[XML_MAX_NAME + 1], want_root[64];
	struct walk_check w = {0};
	size_t len;
	long status;
	int rc, wrc;

	if (size < 1)
		return 0;
	action = actions[data[0] % 3];
	status = statuses[(data[0] >> 2) % 8];
	hdr_rid = data[0] & 0x80 ? "hdr-4f1b2a3c-request-id" : NULL;
	len = size - 1;
	/* An exact-size copy, not NUL-terminated: ASan sees any read past the end. */
	body = malloc(len ? len : 1);
	if (!body)
		return 0;
	memcpy(body, data + 1, len);

	/* The reader alone. */
	wrc = xml_walk(body, len, check_leaf, &w, root);
	if (wrc == C_OK && (!root[0] || !xml_name_start((unsigned char)root[0])))
		die("a document without a root", NULL);
	if (wrc != C_OK && root[0])
		die("a refused document with a root", root);

	/* The answer. */
	/* sts_call zeroes err before each answer; the result is whatever the last call left (here: garbage). */
	memset(&error, 0, sizeof(error));
	memset(&result, 0x5a, sizeof(result));
	rc = parse_answer(action, action, status, body, len, hdr_rid, &result, &error);
	snprintf(want_root, sizeof(want_root), "%sResponse", action);
	if (rc == C_OK) {
		if (wrc != C_OK || strcmp(root, want_root) != 0 || status < 200 || status >= 300)
			die("an answer accepted that is not the action's 2xx response", action);
		if (!all_zero(&error, sizeof(error)))
			die("err is not zeroed on success", NULL);
		check_str(result.request_id, sizeof(result.request_id), false, "request_id");
		check_str(result.arn, sizeof(result.arn), false, "arn");
		check_str(result.account, sizeof(result.account), false, "account");
		check_str(result.user_id, sizeof(result.user_id), false, "user_id");
		check_str(result.assumed_role_arn, sizeof(result.assumed_role_arn), false, "assumed_role_arn");
		check_str(result.assumed_role_id, sizeof(result.assumed_role_id), false, "assumed_role_id");
		check_str(result.source_identity, sizeof(result.source_identity), false, "source_identity");
		check_str(result.creds.access_key_id, sizeof(result.creds.access_key_id), false, "access_key_id");
		check_str(result.creds.secret_access_key, sizeof(result.creds.secret_access_key), false, "secret");
		check_str(result.creds.session_token, sizeof(result.creds.session_token), false, "session_token");
		if (strcmp(action, "GetCallerIdentity") == 0) {
			if (!result.account[0] || !result.arn[0] || !result.user_id[0])
				die("GetCallerIdentity accepted without Account, Arn or UserId", NULL);
		} else {
			if (!result.creds.access_key_id[0] || !result.creds.secret_access_key[0] ||
			    !result.creds.session_token[0])
				die("credentials accepted incomplete", action);
			if (strcmp(action, "AssumeRole") == 0 && !result.assumed_role_arn[0])
				die("AssumeRole accepted without AssumedRoleUser/Arn", NULL);
		}
		if (!result.request_id[0] && hdr_rid)
			die("the header's request id is lost", NULL);
	} else {
		if (!all_zero(&result, sizeof(result)))
			die("the result is not wiped on failure", action);
		if (error.kind == STS_ERR_NONE || error.kind == STS_ERR_INPUT || error.kind == STS_ERR_TRANSPORT)
			die("a failed answer of the wrong kind", NULL);
		if (error.http_status != status)
			die("err->http_status is not the answer's", NULL);
		check_str(error.code, sizeof(error.code), true, "code");
		check_str(error.type, sizeof(error.type), true, "type");
		check_str(error.message, sizeof(error.message), true, "message");
		check_str(error.request_id, sizeof(error.request_id), true, "request_id");
		check_str(error.text, sizeof(error.text), true, "text");
		if (strncmp(error.text, action, strlen(action)) != 0 || error.text[strlen(action)] != ':')
			die("err->text does not name the call", error.text);
		if (error.kind == STS_ERR_SERVICE) {
			if (wrc != C_OK || !error.code[0] || (strcmp(root, "ErrorResponse") != 0 && strcmp(root, "Response") != 0))
				die("a service error without an error document", error.text);
		} else if (error.code[0] || error.type[0] || !fixed_message(error.message, status)) {
			die("a non-service error carries text from the body", error.text);
		}
	}
	free(body);
	return 0;
}
