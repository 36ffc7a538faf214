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

/* Decodes one component into a malloc'd string. */
static char *decode(const char *s, size_t len, size_t *outlen, struct aws_err *err)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out) {
		aws_err_set(err, ERR_INTERNAL_FAILURE, "Out of memory.");
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = len - i >= 3 ? hex_digit(s[i + 1]) : -1;
			int lo = len - i >= 3 ? hex_digit(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				aws_err_set(err, ERR_MALFORMED_QUERY_STRING,
				            "The query string contains an invalid percent-encoding.");
				goto fail;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0') {
			aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "The query string contains a NUL character.");
			goto fail;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	if (!utf8_valid(out, o)) {
		aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "The query string contains invalid UTF-8.");
		goto fail;
	}
	*outlen = o;
	return out;
fail:
	free(out);
	return NULL;
}

int form_parse(struct form *f, const char *s, size_t len, bool skip_auth, struct aws_err *err)
{
	size_t i = 0;

	while (i < len) {
		size_t start = i, eq, end, klen, vlen = 0;
		char *key, *value;
		while (i < len && s[i] != '&')
			i++;
		end = i++;
		if (end == start)
			continue;
		eq = start;
		while (eq < end && s[eq] != '=')
			eq++;
		if (skip_auth && eq - start > 6 && strncmp(s + start, "X-Amz-", 6) == 0)
			continue;
		if (f->n == FORM_MAX_PAIRS)
			return aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "The request has too many parameters.");
		if (f->n == f->cap) {
			size_t cap = f->cap ? f->cap * 2 : 16;
			struct form_pair *p = realloc(f->pairs, cap * sizeof(*p));
			if (!p)
				return aws_err_set(err, ERR_INTERNAL_FAILURE, "Out of memory.");
			f->pairs = p;
			f->cap = cap;
		}
		key = decode(s + start, eq - start, &klen, err);
		if (!key)
			return C_ERR;
		value = decode(eq < end ? s + eq + 1 : "", eq < end ? end - eq - 1 : 0, &vlen, err);
		if (!value) {
			free(key);
			return C_ERR;
		}
		f->pairs[f->n].key = key;
		f->pairs[f->n].value = value;
		f->pairs[f->n].value_len = vlen;
		f->n++;
	}
	return C_OK;
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
