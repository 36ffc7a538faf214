/*
 * fuzz_request.c - the query-protocol request decoder: form_parse, form_finish, query_decode and validate_input
 * for every IAM and STS operation rolegate serves, then the XML encoder.
 *
 * Input: byte 0 picks the operation (its value modulo the number of operations) and, with its top bit set, splits
 * the rest at the first '\n' into a query string (parsed with skip_auth, as for presigned requests) and a body;
 * otherwise the rest is the body.
 *
 * Checks beyond the sanitizers:
 *   - a decoded tree that validates encodes (as a result of its own input shape) without error;
 *   - a refusal carries a code and a message, and a ValidationError message ends with a whole entry;
 *   - every response written - that result, the operation's real result envelope, or the error envelope when the
 *     request is refused - is well-formed XML: valid UTF-8 of XML 1.0 characters, balanced elements, known
 *     entities only.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/errors.h"
#include "aws/form.h"
#include "aws/model.h"
#include "aws/query.h"
#include "aws/validate.h"
#include "util/buf.h"
#include "util/common.h"
#include "util/log.h"
#include "util/utf8.h"

#define OUT_MAX (16 * 1024 * 1024)
#define MAX_DEPTH 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *xml, size_t len, size_t at)
{
	fprintf(stderr, "fuzz_request: %s at byte %zu of:\n%.*s\n", what, at, (int)(len > 4096 ? 4096 : len), xml);
	abort();
}

static bool name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	       c == '.';
}

/* Checks an entity reference at s[i] ('&'); returns its length. */
static size_t entity(const char *s, size_t len, size_t i)
{
	static const char *const known[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#xD;"};

	for (size_t k = 0; k < ARRAY_LEN(known); k++) {
		size_t n = strlen(known[k]);
		if (len - i >= n && memcmp(s + i, known[k], n) == 0)
			return n;
	}
	die("unknown entity", s, len, i);
	return 0;
}

/* Checks one character of text or attribute value at s[i]; returns its length. */
static size_t text_char(const char *s, size_t len, size_t i)
{
	unsigned char c = (unsigned char)s[i];

	if (c == '&')
		return entity(s, len, i);
	if (c == '<' || c == '>')
		die("raw '<' or '>' in text", s, len, i);
	if (c < 0x20 && c != '\t' && c != '\n')
		die("control character in text", s, len, i); /* a raw CR would be normalised away by a parser */
	if (c == 0xEF && len - i >= 3 && (unsigned char)s[i + 1] == 0xBF && (unsigned char)s[i + 2] >= 0xBE)
		die("U+FFFE/U+FFFF in text", s, len, i);
	return 1;
}

/* The writer's output must be one well-formed element. */
static void check_xml(const char *s, size_t len)
{
	const char *names[MAX_DEPTH];
	size_t nlens[MAX_DEPTH], depth = 0, i = 0;
	bool root_done = false;

	if (!utf8_valid(s, len))
		die("invalid UTF-8", s, len, 0);
	while (i < len) {
		if (s[i] != '<') {
			if (depth == 0)
				die("text outside the root element", s, len, i);
			i += text_char(s, len, i);
			continue;
		}
		bool closing = i + 1 < len && s[i + 1] == '/';
		size_t j = i + 1 + closing, start = j, nlen;
		while (j < len && name_char((unsigned char)s[j]))
			j++;
		nlen = j - start;
		if (nlen == 0)
			die("empty element name", s, len, i);
		if (!closing && j < len && s[j] == ' ') {
			if (len - j < 8 || memcmp(s + j, " xmlns=\"", 8) != 0)
				die("unexpected attribute", s, len, j);
			j += 8;
			while (j < len && s[j] != '"')
				j += text_char(s, len, j);
			if (j == len)
				die("unterminated attribute", s, len, j);
			j++;
		}
		if (j >= len || s[j] != '>')
			die("malformed tag", s, len, i);
		if (closing) {
			if (depth == 0 || nlens[depth - 1] != nlen || memcmp(names[depth - 1], s + start, nlen) != 0)
				die("mismatched end tag", s, len, i);
			if (--depth == 0)
				root_done = true;
		} else {
			if (depth == MAX_DEPTH)
				die("too deep", s, len, i);
			names[depth] = s + start;
			nlens[depth] = nlen;
			depth++;
		}
		i = j + 1;
		if (root_done && i != len)
			die("content after the root element", s, len, i);
	}
	if (depth != 0 || !root_done)
		die("unclosed element", s, len, len);
}

static const struct service_model *const services[] = {&model_iam, &model_sts};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERROR);
	if (model_init() != C_OK)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct service_model *svc = NULL;
	const struct operation *op = NULL;
	size_t nops = 0, pick;
	const char *rest = (const char *)data + 1;
	size_t rest_len = size ? size - 1 : 0;
	struct form f;
	struct aws_err err;
	struct buf out;
	json_t *tree = NULL;
	int rc;

	if (size < 1)
		return 0;
	for (size_t i = 0; i < ARRAY_LEN(services); i++)
		nops += services[i]->nops;
	pick = (data[0] & 0x7f) % nops;
	for (size_t i = 0; i < ARRAY_LEN(services); i++) {
		if (pick < services[i]->nops) {
			svc = services[i];
			op = &svc->ops[pick];
			break;
		}
		pick -= services[i]->nops;
	}

	memset(&err, 0, sizeof(err));
	form_init(&f);
	if (data[0] & 0x80) {
		const char *nl = memchr(rest, '\n', rest_len);
		size_t qlen = nl ? (size_t)(nl - rest) : rest_len;
		rc = form_parse(&f, rest, qlen, true, &err);
		if (rc == C_OK && nl)
			rc = form_parse(&f, nl + 1, rest_len - qlen - 1, false, &err);
	} else {
		rc = form_parse(&f, rest, rest_len, false, &err);
	}
	if (rc == C_OK)
		rc = form_finish(&f, &err);
	if (rc == C_OK) {
		/* Every key is findable after form_finish. */
		for (size_t i = 0; i < f.n; i++)
			if (form_get(&f, f.pairs[i].key) != &f.pairs[i])
				abort();
		rc = query_decode(svc, op->input, &f, &tree, &err);
	}
	if (rc == C_OK)
		rc = validate_input(svc, op->input, tree, &err);

	buf_init(&out, OUT_MAX);
	if (rc == C_OK) {
		/* The tree, written as a result of the very shape it was decoded from, must encode. */
		if (op->input) {
			const struct operation self = {op->name, op->input, op->input, "FuzzResult"};
			if (query_encode_result(svc, &self, tree, "fuzz-request-id", &out) != C_OK) {
				char *dump = json_dumps(tree, JSON_COMPACT);
				fprintf(stderr, "fuzz_request: %s: decoded tree does not encode: %s\n", op->name, dump);
				abort();
			}
			check_xml(out.p ? out.p : "", out.len);
			buf_reset(&out);
		}
		/* The operation's own envelope: most members do not apply; it must not crash, and what it writes when
		 * it succeeds is well-formed. */
		if (query_encode_result(svc, op, tree, "fuzz-request-id", &out) == C_OK)
			check_xml(out.p ? out.p : "", out.len);
	} else {
		if (err.code == ERR_NONE || !err.message[0]) {
			fprintf(stderr, "fuzz_request: %s refused without an error\n", op->name);
			abort();
		}
		if (err.code == ERR_VALIDATION) {
			/* Messages end with a whole constraint, never with a dangling "; " (they are cut at a cap). */
			size_t ml = strlen(err.message);
			if (err.message[ml - 1] == ' ' || err.message[ml - 1] == ';') {
				fprintf(stderr, "fuzz_request: ValidationError message ends badly: %s\n", err.message);
				abort();
			}
		}
		if (query_encode_error(svc, &err, "fuzz-request-id", &out) != C_OK)
			abort();
		check_xml(out.p ? out.p : "", out.len);
	}
	buf_free(&out);
	json_decref(tree);
	form_free(&f);
	return 0;
}
