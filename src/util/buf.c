/*
 * buf.c - capped growable buffer.
 */
#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

void buf_init(struct buf *b, size_t max)
{
	/* The NUL and the doubling in buf_reserve need headroom: cap max well below SIZE_MAX. */
	if (max > SIZE_MAX / 4)
		max = SIZE_MAX / 4;
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b, b->max);
}

void buf_free_secret(struct buf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	buf_free(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

int buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > b->max - b->len)
		return C_ERR;
	need = b->len + n + 1;
	if (need <= b->cap)
		return C_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = realloc(b->p, cap);
	if (!p)
		return C_ERR;
	b->p = p;
	b->cap = cap;
	return C_OK;
}

int buf_append(struct buf *b, const void *data, size_t n)
{
	if (buf_reserve(b, n) != C_OK)
		return C_ERR;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return C_OK;
}

int buf_puts(struct buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

int buf_putc(struct buf *b, char c) { return buf_append(b, &c, 1); }

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || buf_reserve(b, (size_t)n) != C_OK)
		return C_ERR;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return C_OK;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *buf_str(const struct buf *b) { return b->p ? b->p : ""; }

char *buf_steal(struct buf *b)
{
	char *p = b->p;

	if (!p)
		p = calloc(1, 1);
	buf_init(b, b->max);
	return p;
}
