/*
 * buf.h - a capped, growable byte buffer (in the spirit of curl's dynbuf).
 *
 * Every buffer has a maximum size chosen by its owner; an append that would exceed it fails with C_ERR and leaves
 * the buffer as it was, so input from the network can never grow memory without bound. The contents are always
 * NUL-terminated (the NUL is not counted in len).
 */
#ifndef ROLEGATE_BUF_H
#define ROLEGATE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *p;    /* owned; NULL until the first append */
	size_t len; /* bytes used, excluding the terminating NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* largest len allowed */
};

/* Prepares an empty buffer that may hold at most max bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t max);
/* Frees the storage and leaves an empty buffer with the same max. */
void buf_free(struct buf *b);
/* Frees the storage after overwriting it with zeros (for buffers that held secrets). */
void buf_free_secret(struct buf *b);
/* Empties the buffer, keeping its storage. */
void buf_reset(struct buf *b);
/* Makes room for n more bytes plus the NUL, so that appending up to n bytes does not move the storage (a buffer
 * about to hold a secret: no copy is left behind in freed memory). C_ERR as buf_append. */
int buf_reserve(struct buf *b, size_t n);
/* Appends n bytes. C_ERR (buffer unchanged) on allocation failure or when max would be exceeded. */
int buf_append(struct buf *b, const void *data, size_t n);
/* Appends a NUL-terminated string. */
int buf_puts(struct buf *b, const char *s);
/* Appends one byte. */
int buf_putc(struct buf *b, char c);
/* Appends printf-formatted text. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Returns the contents (never NULL: "" when empty). */
const char *buf_str(const struct buf *b);
/* Passes ownership of the storage to the caller (who frees it) and empties the buffer. Never NULL on C_OK. */
char *buf_steal(struct buf *b);

#endif
