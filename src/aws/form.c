/*
 * form.c - strict form decoding into a sorted array of pairs.
 */
#include "aws/form.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/utf8.h"

void form_init(struct form *f)
{
	f->pairs = NULL;
	f->n = f->cap = 0;
}

void form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->pairs[i].key);
		free(f->pairs[i].value);
	}
	free(f->pairs);
	form_init(f);
}

void form_cursor_init(struct form_cursor *c, const char *s, size_t len)
{
	c->s = s;
	c->len = s ? len : 0;
	c->pos = 0;
}

/* Appends the percent-decoding of s[0..len) to out, '+' as a space. C_ERR on a malformed escape or at out's cap.
 * Runs without an escape are copied whole (a web identity token or a SAML response is kilobytes of them). */
static int unescape(struct buf *out, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t run = i;
		char c;

		while (run < len && s[run] != '%' && s[run] != '+')
			run++;
		if (run > i && buf_append(out, s + i, run - i) != C_OK)
			return C_ERR;
		if (run == len)
			break;
		i = run;
		c = ' ';
		if (s[i] == '%') {
			int hi = len - i >= 3 ? hex_digit(s[i + 1]) : -1;
			int lo = len - i >= 3 ? hex_digit(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return C_ERR;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (buf_putc(out, c) != C_OK)
			return C_ERR;
		i++;
	}
	return C_OK;
}

int form_next(struct form_cursor *c, struct buf *key, struct buf *value)
{
	const char *s = c->s;

	buf_reset(key);
	buf_reset(value);
	while (c->pos < c->len) {
		size_t start = c->pos, eq, end;
		while (c->pos < c->len && s[c->pos] != '&')
			c->pos++;
		end = c->pos;
		if (c->pos < c->len)
			c->pos++; /* the '&' */
		if (end == start)
			continue;
		eq = start;
		while (eq < end && s[eq] != '=')
			eq++;
		if (unescape(key, s + start, eq - start) != C_OK ||
		    (eq < end && unescape(value, s + eq + 1, end - eq - 1) != C_OK))
			return -1;
		return 1;
	}
	return 0;
}

/* Copies a decoded component into a malloc'd C string, refusing NUL and invalid UTF-8 (the action's rules). */
static char *checked_copy(const struct buf *b, struct aws_err *err)
{
	char *out;

	if (memchr(buf_str(b), '\0', b->len)) {
		aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "The query string contains a NUL character.");
		return NULL;
	}
	if (!utf8_valid(buf_str(b), b->len)) {
		aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "The query string contains invalid UTF-8.");
		return NULL;
	}
	out = malloc(b->len + 1);
	if (!out) {
		aws_err_set(err, ERR_INTERNAL_FAILURE, "Out of memory.");
		return NULL;
	}
	memcpy(out, buf_str(b), b->len + 1);
	return out;
}

int form_parse(struct form *f, const char *s, size_t len, bool skip_auth, struct aws_err *err)
{
	struct form_cursor cur;
	struct buf k, v;
	int r, rc = C_ERR;

	/* A component is never longer than the input it came from. */
	buf_init(&k, len + 1);
	buf_init(&v, len + 1);
	form_cursor_init(&cur, s, len);
	while ((r = form_next(&cur, &k, &v)) == 1) {
		char *key, *value;
		if (skip_auth && k.len >= 6 && memcmp(buf_str(&k), "X-Amz-", 6) == 0)
			continue;
		if (f->n == FORM_MAX_PAIRS) {
			aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "The request has too many parameters.");
			goto fail;
		}
		if (f->n == f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 16;
			struct form_pair *p = realloc(f->pairs, cap * sizeof(*p));
			if (!p) {
				aws_err_set(err, ERR_INTERNAL_FAILURE, "Out of memory.");
				goto fail;
			}
			f->pairs = p;
			f->cap = cap;
		}
		if (!(key = checked_copy(&k, err)))
			goto fail;
		if (!(value = checked_copy(&v, err))) {
			free(key);
			goto fail;
		}
		f->pairs[f->n].key = key;
		f->pairs[f->n].value = value;
		f->pairs[f->n].value_len = v.len;
		f->n++;
	}
	if (r < 0) {
		aws_err_set(err, ERR_MALFORMED_QUERY_STRING, "The query string contains an invalid percent-encoding.");
		goto fail;
	}
	rc = C_OK;
fail:
	buf_free(&k);
	buf_free(&v);
	return rc;
}

static int pair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct form_pair *)a)->key, ((const struct form_pair *)b)->key);
}

int form_finish(struct form *f, struct aws_err *err)
{
	if (f->n > 1)
		qsort(f->pairs, f->n, sizeof(f->pairs[0]), pair_cmp);
	for (size_t i = 1; i < f->n; i++) {
		if (strcmp(f->pairs[i - 1].key, f->pairs[i].key) == 0)
			return aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "The parameter %.128s appears more than once.",
			                   f->pairs[i].key);
	}
	return C_OK;
}

static int key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct form_pair *)elem)->key);
}

const struct form_pair *form_get(const struct form *f, const char *key)
{
	if (!f->n)
		return NULL;
	return bsearch(key, f->pairs, f->n, sizeof(f->pairs[0]), key_cmp);
}
