/*
 * sts_client.c - STS over HTTP(S) for the client verbs: request encoding, SigV4 signing (aws/sigv4.c, the
 * server's own code), libcurl transport with retries, and a bounded reader of STS's XML answers.
 *
 * A call reads top to bottom (sts_call): encode the form -> sign -> send (retrying what may be retried) ->
 * parse the answer into struct sts_result or struct sts_error.
 */
#include "cli/sts_client.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/curl_api.h"

#include "util/buf.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define FORM_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define BODY_MAX (32 * 1024)
#define XML_MAX_DEPTH 16
#define XML_MAX_NAME STS_XML_MAX_NAME
#define XML_MAX_PATH 1024
#define XML_MAX_TEXT (STS_MAX_TOKEN + 1024)

/* ---- a bounded XML reader ------------------------------------------------------------------------------------
 *
 * Enough XML for AWS's answers: a prolog (<?xml ...?>, comments), one root element, nested elements with attributes
 * (skipped), character data with the five predefined entities and character references, CDATA sections, comments.
 * DOCTYPE (and so every user-defined entity) is refused. The text of every element without child elements is passed
 * to a callback with its path from the root ("AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId").
 * Depth, names, paths and text are capped; the input must be well-formed UTF-8 without NUL bytes.
 */

typedef sts_xml_leaf_fn xml_leaf_fn;

struct xml_reader {
	const char *p, *end;
	char path[XML_MAX_PATH];
	size_t plen[XML_MAX_DEPTH + 1]; /* path length before each open element */
	bool has_child[XML_MAX_DEPTH + 1];
	int depth;
	struct buf text; /* the current element's text (may hold secrets: wiped) */
	char root[XML_MAX_NAME + 1];
	xml_leaf_fn fn;
	sts_xml_open_fn open; /* may be NULL */
	void *ctx;
};

static bool xml_name_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c == ':';
}

static bool xml_name_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == ':' || c == '-' || c == '.';
}

static bool xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void xml_skip_space(struct xml_reader *x)
{
	while (x->p < x->end && xml_space(*x->p))
		x->p++;
}

/* Reads an ASCII name into name (XML_MAX_NAME + 1 bytes). */
static int xml_read_name(struct xml_reader *x, char *name)
{
	size_t n = 0;

	if (x->p >= x->end || !xml_name_start((unsigned char)*x->p))
		return C_ERR;
	while (x->p < x->end && xml_name_char((unsigned char)*x->p)) {
		if (n == XML_MAX_NAME)
			return C_ERR;
		name[n++] = *x->p++;
	}
	name[n] = '\0';
	return C_OK;
}

/* Moves past the next occurrence of term; C_ERR when there is none. */
static int xml_skip_past(struct xml_reader *x, const char *term)
{
	const char *q = memmem(x->p, (size_t)(x->end - x->p), term, strlen(term));

	if (!q)
		return C_ERR;
	x->p = q + strlen(term);
	return C_OK;
}

static bool xml_starts(const struct xml_reader *x, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}

/* Appends code point cp as UTF-8 when XML 1.0 allows it as a character. */
static int xml_put_codepoint(struct buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (!(cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
	      (cp >= 0x10000 && cp <= 0x10FFFF)))
		return C_ERR;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return buf_append(b, u, n);
}

/* Decodes the reference at x->p ('&') into x->text. */
static int xml_entity(struct xml_reader *x)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
	unsigned long cp = 0;
	int digits = 0;
	bool hex;

	x->p++;
	for (size_t i = 0; i < ARRAY_LEN(named); i++)
		if (xml_starts(x, named[i].name)) {
			x->p += strlen(named[i].name);
			return buf_putc(&x->text, named[i].c);
		}
	if (x->p >= x->end || *x->p != '#')
		return C_ERR;
	x->p++;
	hex = x->p < x->end && *x->p == 'x';
	if (hex)
		x->p++;
	for (; x->p < x->end && *x->p != ';'; x->p++, digits++) {
		int d = hex ? hex_digit(*x->p) : (isdigit((unsigned char)*x->p) ? *x->p - '0' : -1);
		if (d < 0 || digits >= 8)
			return C_ERR;
		cp = cp * (hex ? 16 : 10) + (unsigned long)d;
	}
	if (x->p >= x->end || digits == 0)
		return C_ERR;
	x->p++;
	return xml_put_codepoint(&x->text, cp);
}

/* Skips the attributes of a start tag up to '>' or "/>"; sets *empty for the latter. */
static int xml_attributes(struct xml_reader *x, bool *empty)
{
	char name[XML_MAX_NAME + 1];

	for (;;) {
		xml_skip_space(x);
		if (x->p >= x->end)
			return C_ERR;
		if (*x->p == '>') {
			x->p++;
			*empty = false;
			return C_OK;
		}
		if (xml_starts(x, "/>")) {
			x->p += 2;
			*empty = true;
			return C_OK;
		}
		if (xml_read_name(x, name) != C_OK)
			return C_ERR;
		xml_skip_space(x);
		if (x->p >= x->end || *x->p++ != '=')
			return C_ERR;
		xml_skip_space(x);
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\''))
			return C_ERR;
		char q = *x->p++;
		while (x->p < x->end && *x->p != q) {
			if (*x->p == '<')
				return C_ERR;
			x->p++;
		}
		if (x->p >= x->end)
			return C_ERR;
		x->p++;
	}
}

static int xml_open_element(struct xml_reader *x, const char *name)
{
	size_t len = strlen(x->path), nlen = strlen(name);

	if (x->depth == 0) {
		if (x->root[0])
			return C_ERR; /* a second root */
		snprintf(x->root, sizeof(x->root), "%s", name);
	}
	if (x->depth == XML_MAX_DEPTH || len + nlen + 2 > sizeof(x->path))
		return C_ERR;
	x->has_child[x->depth] = true;
	x->plen[x->depth] = len;
	x->depth++;
	x->has_child[x->depth] = false;
	if (len)
		x->path[len++] = '/';
	memcpy(x->path + len, name, nlen + 1);
	buf_reset(&x->text);
	return x->open ? x->open(x->ctx, x->depth, name) : C_OK;
}

static int xml_close_element(struct xml_reader *x, const char *name)
{
	const char *last;
	int rc = C_OK;

	if (x->depth == 0)
		return C_ERR;
	last = x->path + x->plen[x->depth - 1] + (x->depth > 1 ? 1 : 0);
	if (strcmp(last, name) != 0)
		return C_ERR;
	if (!x->has_child[x->depth])
		rc = x->fn(x->ctx, x->path, buf_str(&x->text), x->text.len);
	x->depth--;
	x->path[x->plen[x->depth]] = '\0';
	buf_reset(&x->text);
	return rc;
}

/* Reads one markup construct at x->p ('<'). */
static int xml_markup(struct xml_reader *x)
{
	char name[XML_MAX_NAME + 1];
	bool empty;

	if (xml_starts(x, "<?"))
		return x->depth == 0 ? xml_skip_past(x, "?>") : C_ERR;
	if (xml_starts(x, "<!--"))
		return xml_skip_past(x, "-->");
	if (xml_starts(x, "<![CDATA[")) {
		const char *start = x->p + 9;
		if (x->depth == 0 || (x->p = start, xml_skip_past(x, "]]>")) != C_OK)
			return C_ERR;
		return buf_append(&x->text, start, (size_t)(x->p - 3 - start));
	}
	if (xml_starts(x, "<!"))
		return C_ERR; /* DOCTYPE and the like: no entity definitions, ever */
	if (xml_starts(x, "</")) {
		x->p += 2;
		if (xml_read_name(x, name) != C_OK)
			return C_ERR;
		xml_skip_space(x);
		if (x->p >= x->end || *x->p++ != '>')
			return C_ERR;
		return xml_close_element(x, name);
	}
	x->p++;
	if (xml_read_name(x, name) != C_OK || xml_attributes(x, &empty) != C_OK ||
	    xml_open_element(x, name) != C_OK)
		return C_ERR;
	return empty ? xml_close_element(x, name) : C_OK;
}

int sts_xml_walk(const char *doc, size_t len, size_t text_max, sts_xml_open_fn open, sts_xml_leaf_fn fn, void *ctx,
                 char root[STS_XML_MAX_NAME + 1])
{
	struct xml_reader x;
	int rc = C_ERR;

	memset(&x, 0, sizeof(x));
	x.p = doc;
	x.end = doc + len;
	x.fn = fn;
	x.open = open;
	x.ctx = ctx;
	buf_init(&x.text, text_max);
	root[0] = '\0';
	if (memchr(doc, '\0', len) || !utf8_valid(doc, len))
		goto fail;
	if (xml_starts(&x, "\xEF\xBB\xBF"))
		x.p += 3;
	while (x.p < x.end) {
		unsigned char c = (unsigned char)*x.p;
		if (c == '<') {
			if (xml_markup(&x) != C_OK)
				goto fail;
		} else if (x.depth == 0) {
			if (!xml_space((char)c))
				goto fail; /* text outside the root */
			x.p++;
		} else if (c == '&') {
			if (xml_entity(&x) != C_OK)
				goto fail;
		} else {
			if (c < 0x20 && !xml_space((char)c))
				goto fail;
			if (buf_putc(&x.text, (char)c) != C_OK)
				goto fail;
			x.p++;
		}
	}
	if (x.depth != 0 || !x.root[0])
		goto fail;
	snprintf(root, XML_MAX_NAME + 1, "%s", x.root);
	rc = C_OK;
fail:
	buf_free_secret(&x.text);
	return rc;
}

/* Walks doc[0..len) for STS's answers: fn for every element without children (sts_xml_walk). */
static int xml_walk(const char *doc, size_t len, xml_leaf_fn fn, void *ctx, char root[XML_MAX_NAME + 1])
{
	return sts_xml_walk(doc, len, XML_MAX_TEXT, NULL, fn, ctx, root);
}

/* ---- reading STS's answers ------------------------------------------------------------------------------------ */

struct xml_field {
	char path[160];
	char *dst;
	size_t cap;
	bool seen;
};

struct answer {
	struct xml_field f[24];
	size_t n;
	bool too_long; /* a value did not fit its field */
	bool duplicate;
};

enum {
	F_ERR_TYPE,
	F_ERR_CODE,
	F_ERR_MESSAGE,
	F_ERR_REQUEST_ID,
	F_ERR2_CODE, /* <Response><Errors><Error>: the EC2-style envelope some AWS front ends answer with */
	F_ERR2_MESSAGE,
	F_ERR2_REQUEST_ID,
	F_REQUEST_ID,
	F_FIRST_RESULT,
};

static void answer_add(struct answer *a, const char *action, const char *rel, char *dst, size_t cap)
{
	struct xml_field *f = &a->f[a->n++];

	if (action)
		snprintf(f->path, sizeof(f->path), "%sResponse/%sResult/%s", action, action, rel);
	else
		snprintf(f->path, sizeof(f->path), "%s", rel);
	f->dst = dst;
	f->cap = cap;
	f->seen = false;
	dst[0] = '\0';
}

static int answer_leaf(void *ctx, const char *path, const char *text, size_t len)
{
	struct answer *a = ctx;

	for (size_t i = 0; i < a->n; i++) {
		struct xml_field *f = &a->f[i];
		if (strcmp(f->path, path) != 0)
			continue;
		if (f->seen) {
			a->duplicate = true;
			return C_ERR;
		}
		if (len >= f->cap) {
			a->too_long = true;
			return C_ERR;
		}
		memcpy(f->dst, text, len);
		f->dst[len] = '\0';
		f->seen = true;
		return C_OK;
	}
	return C_OK; /* elements we do not read (PackedPolicySize, ...) */
}

static void set_text(struct sts_error *err, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* err->text = "WHAT: " + formatted. */
static void set_text(struct sts_error *err, const char *what, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err->text, sizeof(err->text), "%s: ", what);

	if (n < 0 || (size_t)n >= sizeof(err->text))
		return;
	va_start(ap, fmt);
	vsnprintf(err->text + n, sizeof(err->text) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* A one-line, printable copy of s (AWS messages are one line; a hostile one must not forge more). */
static void copy_printable(char *dst, size_t cap, const char *s)
{
	size_t i = 0;

	for (; *s && i + 1 < cap; s++)
		dst[i++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s;
	dst[i] = '\0';
}

/*
 * Turns an HTTP answer to action into out or err. what names the call in err->text.
 */
static int parse_answer(const char *action, const char *what, long status, const char *body, size_t len,
                        const char *header_request_id, struct sts_result *out, struct sts_error *err)
{
	struct answer a;
	struct sts_result *r = out;
	char root[XML_MAX_NAME + 1], want_root[64], expiration[64];
	char etype[16], ecode[128], emsg[1024], ereq[128], e2code[128], e2msg[1024], e2req[128];
	bool parsed, is_error;
	const char *code, *msg, *rid;

	memset(&a, 0, sizeof(a));
	sts_result_clear(r);
	/* The table's order is the F_* enum's. */
	answer_add(&a, NULL, "ErrorResponse/Error/Type", etype, sizeof(etype));
	answer_add(&a, NULL, "ErrorResponse/Error/Code", ecode, sizeof(ecode));
	answer_add(&a, NULL, "ErrorResponse/Error/Message", emsg, sizeof(emsg));
	answer_add(&a, NULL, "ErrorResponse/RequestId", ereq, sizeof(ereq));
	answer_add(&a, NULL, "Response/Errors/Error/Code", e2code, sizeof(e2code));
	answer_add(&a, NULL, "Response/Errors/Error/Message", e2msg, sizeof(e2msg));
	answer_add(&a, NULL, "Response/RequestID", e2req, sizeof(e2req));
	snprintf(want_root, sizeof(want_root), "%sResponse", action);
	{
		char rel[112];
		snprintf(rel, sizeof(rel), "%s/ResponseMetadata/RequestId", want_root);
		answer_add(&a, NULL, rel, r->request_id, sizeof(r->request_id));
	}
	answer_add(&a, action, "Credentials/AccessKeyId", r->creds.access_key_id, sizeof(r->creds.access_key_id));
	answer_add(&a, action, "Credentials/SecretAccessKey", r->creds.secret_access_key,
	           sizeof(r->creds.secret_access_key));
	answer_add(&a, action, "Credentials/SessionToken", r->creds.session_token, sizeof(r->creds.session_token));
	answer_add(&a, action, "Credentials/Expiration", expiration, sizeof(expiration));
	answer_add(&a, action, "AssumedRoleUser/Arn", r->assumed_role_arn, sizeof(r->assumed_role_arn));
	answer_add(&a, action, "AssumedRoleUser/AssumedRoleId", r->assumed_role_id, sizeof(r->assumed_role_id));
	answer_add(&a, action, "SourceIdentity", r->source_identity, sizeof(r->source_identity));
	answer_add(&a, action, "Account", r->account, sizeof(r->account));
	answer_add(&a, action, "Arn", r->arn, sizeof(r->arn));
	answer_add(&a, action, "UserId", r->user_id, sizeof(r->user_id));

	err->http_status = status;
	parsed = len > 0 && xml_walk(body, len, answer_leaf, &a, root) == C_OK;
	code = a.f[F_ERR_CODE].seen ? ecode : a.f[F_ERR2_CODE].seen ? e2code : NULL;
	msg = a.f[F_ERR_CODE].seen ? emsg : e2msg;
	rid = a.f[F_ERR_REQUEST_ID].seen ? ereq : a.f[F_ERR2_REQUEST_ID].seen ? e2req : header_request_id;
	is_error = parsed && code && code[0] && (strcmp(root, "ErrorResponse") == 0 || strcmp(root, "Response") == 0);
	if (is_error) {
		err->kind = STS_ERR_SERVICE;
		copy_printable(err->code, sizeof(err->code), code);
		copy_printable(err->message, sizeof(err->message), msg);
		copy_printable(err->type, sizeof(err->type), a.f[F_ERR_TYPE].seen ? etype : "");
		copy_printable(err->request_id, sizeof(err->request_id), rid ? rid : "");
		if (err->message[0])
			set_text(err, what, "%s: %s", err->code, err->message);
		else
			set_text(err, what, "%s", err->code);
		goto fail;
	}
	copy_printable(err->request_id, sizeof(err->request_id), rid ? rid : "");
	if (status < 200 || status >= 300) {
		err->kind = STS_ERR_HTTP;
		snprintf(err->message, sizeof(err->message), "HTTP %ld without an AWS error document", status);
		set_text(err, what, "HTTP %ld from STS (the answer is not an AWS error document)", status);
		goto fail;
	}
	err->kind = STS_ERR_RESPONSE;
	if (!parsed || strcmp(root, want_root) != 0) {
		snprintf(err->message, sizeof(err->message), "%s",
		         a.too_long ? "a value in the answer is too long" :
		         a.duplicate ? "an element appears twice in the answer" :
		         parsed ? "the answer is not a response to this call" : "the answer is not well-formed XML");
		set_text(err, what, "malformed answer: %s", err->message);
		goto fail;
	}
	if (strcmp(action, "GetCallerIdentity") == 0) {
		if (!r->account[0] || !r->arn[0] || !r->user_id[0]) {
			snprintf(err->message, sizeof(err->message), "Account, Arn or UserId is missing");
			set_text(err, what, "malformed answer: %s", err->message);
			goto fail;
		}
	} else {
		if (!r->creds.access_key_id[0] || !r->creds.secret_access_key[0] || !r->creds.session_token[0] ||
		    !a.f[F_FIRST_RESULT + 3].seen || time_parse_iso8601(expiration, &r->creds.expiration_s) != C_OK) {
			snprintf(err->message, sizeof(err->message), "the credentials are incomplete");
			set_text(err, what, "malformed answer: %s", err->message);
			goto fail;
		}
		if (strcmp(action, "AssumeRole") == 0 && !r->assumed_role_arn[0]) {
			snprintf(err->message, sizeof(err->message), "AssumedRoleUser/Arn is missing");
			set_text(err, what, "malformed answer: %s", err->message);
			goto fail;
		}
	}
	if (!r->request_id[0] && header_request_id)
		snprintf(r->request_id, sizeof(r->request_id), "%s", header_request_id);
	memset(err, 0, sizeof(*err));
	return C_OK;
fail:
	sts_result_clear(r);
	return C_ERR;
}

/* ---- encoding requests ---------------------------------------------------------------------------------------- */

/* Appends "&key=value" (URI-encoded as SigV4 and AWS's query protocol want). */
static int form_add(struct buf *b, const char *key, const char *value)
{
	if (b->len && buf_putc(b, '&') != C_OK)
		return C_ERR;
	if (sigv4_uri_encode(b, key, strlen(key), false) != C_OK || buf_putc(b, '=') != C_OK)
		return C_ERR;
	return sigv4_uri_encode(b, value, strlen(value), false);
}

static int form_add_opt(struct buf *b, const char *key, const char *value)
{
	return value ? form_add(b, key, value) : C_OK;
}

static int form_add_duration(struct buf *b, int duration_s)
{
	char n[16];

	if (duration_s == 0)
		return C_OK;
	snprintf(n, sizeof(n), "%d", duration_s);
	return form_add(b, "DurationSeconds", n);
}

static int encode_caller_identity(struct buf *b)
{
	return form_add(b, "Action", "GetCallerIdentity") == C_OK && form_add(b, "Version", STS_API_VERSION) == C_OK
	               ? C_OK
	               : C_ERR;
}

static int encode_session_token(const struct sts_session_token_input *in, struct buf *b)
{
	if (form_add(b, "Action", "GetSessionToken") != C_OK || form_add(b, "Version", STS_API_VERSION) != C_OK ||
	    form_add_duration(b, in->duration_s) != C_OK || form_add_opt(b, "SerialNumber", in->serial_number) != C_OK ||
	    form_add_opt(b, "TokenCode", in->token_code) != C_OK)
		return C_ERR;
	return C_OK;
}

static int encode_assume_role(const struct sts_assume_role_input *in, struct buf *b)
{
	if (form_add(b, "Action", "AssumeRole") != C_OK || form_add(b, "Version", STS_API_VERSION) != C_OK ||
	    form_add(b, "RoleArn", in->role_arn) != C_OK || form_add(b, "RoleSessionName", in->role_session_name) != C_OK ||
	    form_add_duration(b, in->duration_s) != C_OK || form_add_opt(b, "ExternalId", in->external_id) != C_OK ||
	    form_add_opt(b, "SerialNumber", in->serial_number) != C_OK ||
	    form_add_opt(b, "TokenCode", in->token_code) != C_OK ||
	    form_add_opt(b, "SourceIdentity", in->source_identity) != C_OK)
		return C_ERR;
	return C_OK;
}

/* ---- endpoints ------------------------------------------------------------------------------------------------ */

/* The regions botocore's "legacy" mode sends to the global endpoint. */
static const char *const legacy_regions[] = {
	"ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "aws-global", "ca-central-1",
	"eu-central-1",   "eu-north-1", "eu-west-1",      "eu-west-2",      "eu-west-3",  "sa-east-1",
	"us-east-1",      "us-east-2",  "us-west-1",      "us-west-2",
};

static bool region_valid(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n > 63 || r[0] == '-' || r[n - 1] == '-')
		return false;
	for (; *r; r++)
		if (!(islower((unsigned char)*r) || isdigit((unsigned char)*r) || *r == '-'))
			return false;
	return true;
}

static void input_error(struct sts_error *err, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void input_error(struct sts_error *err, const char *what, const char *fmt, ...)
{
	va_list ap;

	memset(err, 0, sizeof(*err));
	err->kind = STS_ERR_INPUT;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	set_text(err, what, "%s", err->message);
}

int sts_resolve_endpoint(const struct sts_client_config *cfg, char *url, size_t url_cap, char *region,
                         size_t region_cap, struct sts_error *err)
{
	const char *reg = cfg->region && cfg->region[0] ? cfg->region : "us-east-1";
	const char *mode = cfg->sts_regional_endpoints;
	const char *suffix = "amazonaws.com";
	bool legacy = false;
	int n;

	if (!region_valid(reg)) {
		input_error(err, "STS", "region '%.64s' is not a region name", reg);
		return C_ERR;
	}
	if (!mode || !mode[0])
		mode = getenv("AWS_STS_REGIONAL_ENDPOINTS");
	if (mode && mode[0] && strcmp(mode, "legacy") != 0 && strcmp(mode, "regional") != 0) {
		input_error(err, "STS", "sts_regional_endpoints '%.32s' is neither 'legacy' nor 'regional'", mode);
		return C_ERR;
	}
	if (mode && strcmp(mode, "legacy") == 0)
		for (size_t i = 0; i < ARRAY_LEN(legacy_regions); i++)
			legacy = legacy || strcmp(reg, legacy_regions[i]) == 0;
	if (strcmp(reg, "aws-global") == 0)
		legacy = true;

	if (cfg->endpoint_url && cfg->endpoint_url[0]) {
		const char *u = cfg->endpoint_url;
		if (strncasecmp(u, "http://", 7) != 0 && strncasecmp(u, "https://", 8) != 0) {
			input_error(err, "STS", "endpoint_url '%.200s' is not an http:// or https:// URL", u);
			return C_ERR;
		}
		n = snprintf(url, url_cap, "%s", u);
		if (strcmp(reg, "aws-global") == 0)
			reg = "us-east-1";
	} else if (legacy) {
		n = snprintf(url, url_cap, "https://sts.amazonaws.com/");
		reg = "us-east-1";
	} else {
		if (strncmp(reg, "cn-", 3) == 0)
			suffix = "amazonaws.com.cn";
		else if (strncmp(reg, "us-isob-", 8) == 0)
			suffix = "sc2s.sgov.gov";
		else if (strncmp(reg, "us-iso-", 7) == 0)
			suffix = "c2s.ic.gov";
		n = snprintf(url, url_cap, "https://sts.%s.%s/", reg, suffix);
	}
	if (n < 0 || (size_t)n >= url_cap || (size_t)snprintf(region, region_cap, "%s", reg) >= region_cap) {
		input_error(err, "STS", "the endpoint URL is too long");
		return C_ERR;
	}
	return C_OK;
}

/* ---- the client ----------------------------------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_global_rc = CURLE_FAILED_INIT;

static void curl_global(void)
{
	curl_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Splits c->url into the Host header and the path, with libcurl's URL parser (the one that will connect). */
static int split_url(struct sts_client *c, struct sts_error *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
	int rc = C_ERR;
	int n;

	if (!u || curl_url_set(u, CURLUPART_URL, c->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		input_error(err, "STS", "endpoint_url '%.200s' is not a valid URL", c->url);
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query && query[0]) {
		input_error(err, "STS", "endpoint_url '%.200s' has a query string", c->url);
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL; /* none given: the scheme's default, which the Host header leaves out */
	n = port ? snprintf(c->host, sizeof(c->host), "%s:%s", host, port) : snprintf(c->host, sizeof(c->host), "%s", host);
	if (n < 0 || (size_t)n >= sizeof(c->host) ||
	    (size_t)snprintf(c->path, sizeof(c->path), "%s", path) >= sizeof(c->path)) {
		input_error(err, "STS", "endpoint_url is too long");
		goto fail;
	}
	rc = C_OK;
fail:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return rc;
}

int sts_client_init(struct sts_client *c, const struct sts_client_config *cfg, struct sts_error *err)
{
	const char *ca = cfg->ca_bundle && cfg->ca_bundle[0] ? cfg->ca_bundle : getenv("AWS_CA_BUNDLE");

	memset(c, 0, sizeof(*c));
	memset(err, 0, sizeof(*err));
	if (crypto_init() != C_OK) {
		input_error(err, "STS", "OpenSSL lacks SHA-256 or HMAC");
		return C_ERR;
	}
	pthread_once(&curl_once, curl_global);
	if (curl_global_rc != CURLE_OK) {
		input_error(err, "STS", "libcurl: %s", curl_easy_strerror(curl_global_rc));
		return C_ERR;
	}
	if (sts_resolve_endpoint(cfg, c->url, sizeof(c->url), c->region, sizeof(c->region), err) != C_OK ||
	    split_url(c, err) != C_OK)
		return C_ERR;
	if (ca && (size_t)snprintf(c->ca_bundle, sizeof(c->ca_bundle), "%s", ca) >= sizeof(c->ca_bundle)) {
		input_error(err, "STS", "the CA bundle's path is too long");
		return C_ERR;
	}
	c->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : STS_MAX_ATTEMPTS;
	c->retry_base_ms = cfg->retry_base_ms > 0 ? cfg->retry_base_ms : 500;
	c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : STS_CONNECT_TIMEOUT_MS;
	c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : STS_TIMEOUT_MS;
	c->curl = curl_easy_init();
	if (!c->curl) {
		input_error(err, "STS", "libcurl could not make a handle");
		return C_ERR;
	}
	return C_OK;
}

void sts_client_free(struct sts_client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

void sts_result_clear(struct sts_result *r)
{
	explicit_bzero(r, sizeof(*r));
}

/* What one HTTP exchange gave. */
struct exchange {
	struct buf body; /* the answer (holds secrets: wiped) */
	char request_id[128];
	bool overflow;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct exchange *ex = userdata;
	size_t n = nmemb * size;

	if (buf_append(&ex->body, data, n) != C_OK) {
		ex->overflow = true;
		return 0; /* aborts the transfer */
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct exchange *ex = userdata;
	static const char name[] = "x-amzn-requestid:";
	size_t n = nmemb * size;

	if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		const char *v = data + sizeof(name) - 1, *e = data + n;
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
			e--;
		snprintf(ex->request_id, sizeof(ex->request_id), "%.*s", (int)(e - v), v);
		for (char *p = ex->request_id; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
	}
	return n;
}

/* One signed POST of body. Returns libcurl's result; *status is the HTTP status (0 without an answer). */
static CURLcode send_once(struct sts_client *c, const struct sigv4_credentials *creds, const struct buf *body,
                          const struct sts_raw_request *rq, struct exchange *ex, long *status, bool *sent,
                          char errbuf[CURL_ERROR_SIZE])
{
	const char *ctype = rq && rq->target ? "application/x-amz-json-1.1" : FORM_CONTENT_TYPE;
	struct sigv4_header h[5];
	struct sigv4_request req;
	struct curl_slist *hl = NULL, *tmp;
	struct buf auth, line;
	char amz_date[17];
	size_t nh = 0;
	long req_size = 0;
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	CURL *curl = c->curl;
	int64_t now = now_ms() / 1000;

	*status = 0;
	*sent = false;
	buf_init(&auth, 4096);
	buf_init(&line, STS_MAX_TOKEN + 64);
	sigv4_format_time(now, amz_date);
	h[nh++] = (struct sigv4_header){"Content-Type", 12, ctype, strlen(ctype)};
	h[nh++] = (struct sigv4_header){"Host", 4, c->host, strlen(c->host)};
	h[nh++] = (struct sigv4_header){"X-Amz-Date", 10, amz_date, 16};
	if (creds && creds->session_token && creds->session_token[0])
		h[nh++] = (struct sigv4_header){"X-Amz-Security-Token", 20, creds->session_token,
		                                strlen(creds->session_token)};
	if (rq && rq->target)
		h[nh++] = (struct sigv4_header){"X-Amz-Target", 12, rq->target, strlen(rq->target)};
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = c->path;
	req.path_len = strlen(c->path);
	req.headers = h;
	req.nheaders = nh;
	req.normalize_path = true;
	crypto_sha256_hex(body->p ? body->p : "", body->len, req.payload_hash);
	if (creds && sigv4_sign_header(&req, creds, c->region, rq ? rq->service : "sts", now, &auth) != C_OK) {
		snprintf(errbuf, CURL_ERROR_SIZE, "the request could not be signed");
		rc = CURLE_ABORTED_BY_CALLBACK;
		goto fail;
	}
	for (size_t i = 0; i < nh; i++) {
		buf_reset(&line);
		if (buf_printf(&line, "%.*s: %.*s", (int)h[i].name_len, h[i].name, (int)h[i].value_len, h[i].value) != C_OK ||
		    !(tmp = curl_slist_append(hl, buf_str(&line))))
			goto fail;
		hl = tmp;
	}
	buf_reset(&line);
	if (creds) { /* NULL: an unsigned call (AssumeRoleWithWebIdentity) */
		if (buf_printf(&line, "Authorization: %s", buf_str(&auth)) != C_OK ||
		    !(tmp = curl_slist_append(hl, buf_str(&line))))
			goto fail;
		hl = tmp;
	}
	if (!(tmp = curl_slist_append(hl, "Expect:")) || !(hl = tmp, tmp = curl_slist_append(hl, "Accept:")))
		goto fail;
	hl = tmp;

	curl_easy_reset(curl);
	errbuf[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_URL, c->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->p ? body->p : "");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "rolegate/" ROLEGATE_VERSION);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, ex);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, ex);
	if (c->ca_bundle[0])
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_bundle);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	if (curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &req_size) != CURLE_OK)
		req_size = 1; /* unknown: assume it went out */
	*sent = req_size > 0;
	/* Nothing of this call's stays in the handle: the headers (session token, signature) are freed below. */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
fail:
	for (struct curl_slist *s = hl; s; s = s->next)
		explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(hl);
	buf_free_secret(&line);
	buf_free(&auth);
	return rc;
}

static bool code_in(const char *code, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(code, list[i]) == 0)
			return true;
	return false;
}

/* AWS's throttling codes (botocore's retry handler lists the same). */
static const char *const throttle_codes[] = {
	"Throttling",          "ThrottlingException",    "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
	"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
	"SlowDown",            "PriorRequestNotComplete", "EC2ThrottledException",
};
/* Transient service faults that are safe to repeat when the request carries no one-time code. */
static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable",
	"IDPCommunicationError",
};
/* Answers that another attempt cannot change. */
static const char *const final_codes[] = {
	"AccessDenied", "AccessDeniedException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
	"SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationToken", "UnrecognizedClientException",
	"ValidationError", "MalformedPolicyDocument", "PackedPolicyTooLarge", "RegionDisabledException",
	"InvalidIdentityToken", "InvalidAction", "OptInRequired",
};

/*
 * Whether an attempt that ended with (curl_rc, status, code) may be repeated. one_time: the request carries an MFA
 * code, so only attempts the server cannot have processed are repeated. sent: the request left this machine.
 */
static bool should_retry(CURLcode curl_rc, long status, const char *code, bool one_time, bool sent)
{
	if (curl_rc != CURLE_OK) {
		switch (curl_rc) {
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
			return true;
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_SSL_CONNECT_ERROR:
			return !one_time || !sent;
		default:
			return false; /* certificates, protocols, a too large answer: another try gives the same */
		}
	}
	if (code && code[0]) {
		if (code_in(code, final_codes, ARRAY_LEN(final_codes)))
			return false;
		if (code_in(code, throttle_codes, ARRAY_LEN(throttle_codes)))
			return true;
		if (code_in(code, transient_codes, ARRAY_LEN(transient_codes)))
			return !one_time;
	}
	if (status == 429)
		return true;
	if (status >= 500 && status <= 599)
		return !one_time;
	return false;
}

/* Sleeps a random time in [0, base * 2^(attempt-1)) ms: exponential backoff with full jitter. */
static void backoff(const struct sts_client *c, int attempt)
{
	uint32_t cap = (uint32_t)c->retry_base_ms << (attempt > 6 ? 5 : attempt - 1);
	uint32_t ms = crypto_random_below(cap ? cap : 1);
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Encodes, signs, sends (with retries) and parses one call. body is wiped and freed here. */
static int sts_call(struct sts_client *c, const struct sigv4_credentials *creds, const char *action, const char *what,
                    struct buf *body, bool one_time, struct sts_result *out, struct sts_error *err)
{
	struct exchange ex;
	char errbuf[CURL_ERROR_SIZE];
	CURLcode crc = CURLE_OK;
	long status = 0;
	bool sent = false;
	int rc = C_ERR;

	memset(err, 0, sizeof(*err));
	memset(&ex, 0, sizeof(ex));
	buf_init(&ex.body, STS_MAX_RESPONSE);
	sts_result_clear(out);
	if (!c->curl) {
		input_error(err, what, "the STS client is not initialised");
		goto fail;
	}
	if (strcmp(action, "AssumeRoleWithWebIdentity") != 0 && /* the one unsigned call */
	    (!creds || !creds->access_key_id || !creds->access_key_id[0] || !creds->secret_access_key ||
	     !creds->secret_access_key[0])) {
		input_error(err, what, "no credentials to sign the request with");
		goto fail;
	}
	for (int attempt = 1;; attempt++) {
		buf_reset(&ex.body);
		ex.overflow = false;
		ex.request_id[0] = '\0';
		memset(err, 0, sizeof(*err));
		err->attempts = attempt;
		crc = send_once(c, creds, body, NULL, &ex, &status, &sent, errbuf);
		if (crc == CURLE_OK) {
			int attempts = attempt;
			rc = parse_answer(action, what, status, buf_str(&ex.body), ex.body.len,
			                  ex.request_id[0] ? ex.request_id : NULL, out, err);
			err->attempts = attempts;
			if (rc == C_OK)
				goto done;
		}
		if (attempt >= c->max_attempts ||
		    !should_retry(crc, status, crc == CURLE_OK ? err->code : NULL, one_time, sent))
			break;
		backoff(c, attempt);
	}
	if (crc != CURLE_OK) {
		memset(err->code, 0, sizeof(err->code));
		err->kind = STS_ERR_TRANSPORT;
		err->http_status = status;
		if (ex.overflow)
			snprintf(err->message, sizeof(err->message), "the answer is larger than %d bytes", STS_MAX_RESPONSE);
		else
			copy_printable(err->message, sizeof(err->message), errbuf[0] ? errbuf : curl_easy_strerror(crc));
		set_text(err, what, "cannot reach STS at %s: %s", c->url, err->message);
	}
	if (err->attempts > 1) {
		size_t n = strlen(err->text);
		snprintf(err->text + n, sizeof(err->text) - n, " (after %d attempts)", err->attempts);
	}
	goto fail;
done:
	rc = C_OK;
fail:
	buf_free_secret(&ex.body);
	buf_free_secret(body);
	return rc;
}

int sts_client_get_caller_identity(struct sts_client *c, const struct sigv4_credentials *creds,
                                   struct sts_result *out, struct sts_error *err)
{
	struct buf body;

	buf_init(&body, BODY_MAX);
	if (encode_caller_identity(&body) != C_OK) {
		buf_free(&body);
		input_error(err, "GetCallerIdentity", "the request could not be encoded");
		return C_ERR;
	}
	return sts_call(c, creds, "GetCallerIdentity", "GetCallerIdentity", &body, false, out, err);
}

int sts_client_get_session_token(struct sts_client *c, const struct sigv4_credentials *creds,
                                 const struct sts_session_token_input *in, struct sts_result *out,
                                 struct sts_error *err)
{
	static const struct sts_session_token_input none = {0};
	struct buf body;
	char what[300];

	if (!in)
		in = &none;

	if (in->serial_number)
		snprintf(what, sizeof(what), "GetSessionToken (MFA %.256s)", in->serial_number);
	else
		snprintf(what, sizeof(what), "GetSessionToken");
	buf_init(&body, BODY_MAX);
	if (in->duration_s < 0 || (in->token_code && !in->serial_number) || encode_session_token(in, &body) != C_OK) {
		buf_free_secret(&body);
		sts_result_clear(out);
		input_error(err, what, "%s",
		            in->duration_s < 0 ? "DurationSeconds is negative" :
		            in->token_code && !in->serial_number ? "an MFA code without the device's serial number" :
		                                                   "the request is too large to encode");
		return C_ERR;
	}
	return sts_call(c, creds, "GetSessionToken", what, &body, in->token_code != NULL, out, err);
}

int sts_client_assume_role(struct sts_client *c, const struct sigv4_credentials *creds,
                           const struct sts_assume_role_input *in, struct sts_result *out, struct sts_error *err)
{
	struct buf body;
	char what[1100];
	const char *bad = NULL;

	snprintf(what, sizeof(what), "AssumeRole %.1024s", in->role_arn ? in->role_arn : "(no role)");
	buf_init(&body, BODY_MAX);
	if (!in->role_arn || !in->role_arn[0])
		bad = "RoleArn is required";
	else if (!in->role_session_name || !in->role_session_name[0])
		bad = "RoleSessionName is required";
	else if (in->duration_s < 0)
		bad = "DurationSeconds is negative";
	else if (in->token_code && !in->serial_number)
		bad = "an MFA code without the device's serial number";
	else if (encode_assume_role(in, &body) != C_OK)
		bad = "the request is too large to encode";
	if (bad) {
		buf_free_secret(&body);
		sts_result_clear(out);
		input_error(err, what, "%s", bad);
		return C_ERR;
	}
	return sts_call(c, creds, "AssumeRole", what, &body, in->token_code != NULL, out, err);
}

int sts_client_assume_role_with_web_identity(struct sts_client *c, const struct sts_web_identity_input *in,
                                             struct sts_result *out, struct sts_error *err)
{
	struct buf body;
	char what[1100];
	const char *bad = NULL;

	snprintf(what, sizeof(what), "AssumeRoleWithWebIdentity %.1024s", in->role_arn ? in->role_arn : "(no role)");
	buf_init(&body, BODY_MAX);
	if (!in->role_arn || !in->role_arn[0])
		bad = "RoleArn is required";
	else if (!in->role_session_name || !in->role_session_name[0])
		bad = "RoleSessionName is required";
	else if (!in->web_identity_token || !in->web_identity_token[0])
		bad = "the web identity token is empty";
	else if (in->duration_s < 0)
		bad = "DurationSeconds is negative";
	else if (form_add(&body, "Action", "AssumeRoleWithWebIdentity") != C_OK ||
	         form_add(&body, "Version", STS_API_VERSION) != C_OK || form_add(&body, "RoleArn", in->role_arn) != C_OK ||
	         form_add(&body, "RoleSessionName", in->role_session_name) != C_OK ||
	         form_add(&body, "WebIdentityToken", in->web_identity_token) != C_OK ||
	         form_add_duration(&body, in->duration_s) != C_OK)
		bad = "the request is too large to encode";
	if (bad) {
		buf_free_secret(&body);
		sts_result_clear(out);
		input_error(err, what, "%s", bad);
		return C_ERR;
	}
	return sts_call(c, NULL, "AssumeRoleWithWebIdentity", what, &body, false, out, err);
}

int sts_client_raw(struct sts_client *c, const struct sigv4_credentials *creds, const struct sts_raw_request *rq,
                   long *status, struct buf *answer, struct sts_error *err)
{
	struct exchange ex;
	struct buf body;
	char errbuf[CURL_ERROR_SIZE];
	CURLcode crc = CURLE_OK;
	bool sent = false;
	int rc = C_ERR;

	memset(err, 0, sizeof(*err));
	memset(&ex, 0, sizeof(ex));
	errbuf[0] = '\0';
	*status = 0;
	buf_init(&body, rq->len + 1);
	if (!c->curl || !creds || !creds->access_key_id || !creds->access_key_id[0] || !creds->secret_access_key ||
	    !creds->secret_access_key[0] || buf_append(&body, rq->body, rq->len) != C_OK) {
		input_error(err, rq->service, "no client, no credentials, or a request too large");
		goto done;
	}
	ex.body = *answer; /* the caller's buffer (its cap bounds the answer) */
	for (int attempt = 1;; attempt++) {
		buf_reset(&ex.body);
		ex.overflow = false;
		err->attempts = attempt;
		crc = send_once(c, creds, &body, rq, &ex, status, &sent, errbuf);
		if (crc == CURLE_OK && *status != 429 && *status < 500) {
			rc = C_OK;
			break;
		}
		if (attempt >= c->max_attempts || !should_retry(crc, *status, NULL, false, sent))
			break;
		backoff(c, attempt);
	}
	if (rc != C_OK && crc == CURLE_OK)
		rc = C_OK; /* an answer (429 or 5xx after the retries): the caller reads its error document */
	if (rc != C_OK) {
		err->kind = STS_ERR_TRANSPORT;
		if (ex.overflow)
			snprintf(err->message, sizeof(err->message), "the answer is larger than %zu bytes", answer->max);
		else
			copy_printable(err->message, sizeof(err->message), errbuf[0] ? errbuf : curl_easy_strerror(crc));
		set_text(err, rq->service, "cannot reach %s: %s", c->url, err->message);
	}
	*answer = ex.body;
done:
	buf_free_secret(&body);
	return rc;
}
