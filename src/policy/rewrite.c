/*
 * rewrite.c - rewrites the Principal "AWS" values of a policy document and copies every other byte as written (see
 * rewrite.h). A small JSON scanner that tracks where each value sits (the document has been parsed by jansson
 * before: this only finds the byte ranges of the values to replace, and fails on anything it does not expect).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rewrite.h"
#include "util/buf.h"
#include "util/common.h"

#define NEST_MAX 64
#define REWRITTEN_MAX (1024 * 1024)
#define VALUE_MAX 4096

/* What a JSON value is, seen from the policy's root. */
enum level { L_NONE, L_ROOT, L_STMTS, L_STMT, L_PRIN, L_AWS, L_AWS_ITEM };

struct walk {
	const char *s;
	size_t len, pos;
	size_t copied; /* s[0 .. copied) is in out already */
	struct buf out;
	principal_map_fn fn;
	void *ctx;
};

static void skip_ws(struct walk *w)
{
	while (w->pos < w->len && strchr(" \t\r\n", w->s[w->pos]))
		w->pos++;
}

/* The string at w->pos ('"'): sets *end past its closing quote and moves there. */
static int string_token(struct walk *w, size_t *end)
{
	size_t i = w->pos + 1;

	while (i < w->len && w->s[i] != '"')
		i += w->s[i] == '\\' ? 2 : 1;
	if (i >= w->len)
		return C_ERR;
	*end = i + 1;
	w->pos = i + 1;
	return C_OK;
}

/* The decoded value of the string token s[start .. end) into out (cap bytes). C_ERR when it does not fit. */
static int decode(const struct walk *w, size_t start, size_t end, char *out, size_t cap)
{
	const char *body = w->s + start + 1;
	size_t n = end - start - 2;
	json_t *j;
	int rc = C_ERR;

	if (!memchr(body, '\\', n)) {
		if (n >= cap)
			return C_ERR;
		memcpy(out, body, n);
		out[n] = '\0';
		return C_OK;
	}
	j = json_loadb(w->s + start, end - start, JSON_DECODE_ANY, NULL);
	if (j && json_is_string(j) && json_string_length(j) < cap && !memchr(json_string_value(j), '\0',
	                                                                      json_string_length(j))) {
		memcpy(out, json_string_value(j), json_string_length(j) + 1);
		rc = C_OK;
	}
	json_decref(j);
	return rc;
}

/* A Principal "AWS" value at s[start .. end): replaced when fn says so. */
static int map_value(struct walk *w, size_t start, size_t end)
{
	char value[VALUE_MAX], repl[VALUE_MAX] = "", *enc = NULL;
	json_t *j;
	int rc = C_ERR;

	if (decode(w, start, end, value, sizeof(value)) != C_OK || w->fn(w->ctx, value, repl, sizeof(repl)) != C_OK)
		return C_ERR;
	if (!repl[0])
		return C_OK;
	j = json_string(repl);
	enc = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	if (enc && buf_append(&w->out, w->s + w->copied, start - w->copied) == C_OK && buf_puts(&w->out, enc) == C_OK) {
		w->copied = end;
		rc = C_OK;
	}
	free(enc);
	json_decref(j);
	return rc;
}

static int value(struct walk *w, enum level lv, int depth);

static enum level member_level(enum level lv, const char *key)
{
	if (lv == L_ROOT && strcmp(key, "Statement") == 0)
		return L_STMTS;
	if (lv == L_STMT && strcmp(key, "Principal") == 0)
		return L_PRIN;
	if (lv == L_PRIN && strcmp(key, "AWS") == 0)
		return L_AWS;
	return L_NONE;
}

static int object(struct walk *w, enum level lv, int depth)
{
	char key[16];
	size_t start, end;

	if (lv == L_STMTS)
		lv = L_STMT; /* "Statement": {...} is one statement */
	w->pos++;
	skip_ws(w);
	if (w->pos < w->len && w->s[w->pos] == '}') {
		w->pos++;
		return C_OK;
	}
	for (;;) {
		skip_ws(w);
		if (w->pos >= w->len || w->s[w->pos] != '"')
			return C_ERR;
		start = w->pos;
		if (string_token(w, &end) != C_OK)
			return C_ERR;
		if (decode(w, start, end, key, sizeof(key)) != C_OK)
			key[0] = '\0'; /* longer than any member of interest */
		skip_ws(w);
		if (w->pos >= w->len || w->s[w->pos] != ':')
			return C_ERR;
		w->pos++;
		if (value(w, member_level(lv, key), depth + 1) != C_OK)
			return C_ERR;
		skip_ws(w);
		if (w->pos < w->len && w->s[w->pos] == ',') {
			w->pos++;
			continue;
		}
		if (w->pos < w->len && w->s[w->pos] == '}') {
			w->pos++;
			return C_OK;
		}
		return C_ERR;
	}
}

static int array(struct walk *w, enum level lv, int depth)
{
	enum level item = lv == L_STMTS ? L_STMT : lv == L_AWS ? L_AWS_ITEM : L_NONE;

	w->pos++;
	skip_ws(w);
	if (w->pos < w->len && w->s[w->pos] == ']') {
		w->pos++;
		return C_OK;
	}
	for (;;) {
		if (value(w, item, depth + 1) != C_OK)
			return C_ERR;
		skip_ws(w);
		if (w->pos < w->len && w->s[w->pos] == ',') {
			w->pos++;
			continue;
		}
		if (w->pos < w->len && w->s[w->pos] == ']') {
			w->pos++;
			return C_OK;
		}
		return C_ERR;
	}
}

static int value(struct walk *w, enum level lv, int depth)
{
	size_t start, end;

	skip_ws(w);
	if (depth > NEST_MAX || w->pos >= w->len)
		return C_ERR;
	switch (w->s[w->pos]) {
	case '{':
		return object(w, lv, depth);
	case '[':
		return array(w, lv, depth);
	case '"':
		start = w->pos;
		if (string_token(w, &end) != C_OK)
			return C_ERR;
		return lv == L_AWS || lv == L_AWS_ITEM ? map_value(w, start, end) : C_OK;
	default: /* a number, true, false or null */
		start = w->pos;
		while (w->pos < w->len && !strchr(",]}: \t\r\n", w->s[w->pos]))
			w->pos++;
		return w->pos > start ? C_OK : C_ERR;
	}
}

int policy_map_aws_principals(const char *doc, principal_map_fn fn, void *ctx, char **out)
{
	struct walk w = {.s = doc, .len = strlen(doc), .fn = fn, .ctx = ctx};

	*out = NULL;
	buf_init(&w.out, REWRITTEN_MAX);
	if (value(&w, L_ROOT, 0) != C_OK || buf_append(&w.out, doc + w.copied, w.len - w.copied) != C_OK ||
	    !(*out = buf_steal(&w.out))) {
		buf_free(&w.out);
		return C_ERR;
	}
	return C_OK;
}
