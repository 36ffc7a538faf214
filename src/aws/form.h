/*
 * form.h - application/x-www-form-urlencoded decoding (AWS query protocol bodies and GET query strings).
 *
 * Keys and values are percent-decoded ('+' is a space), must be valid UTF-8 and may not contain NUL. A key may
 * appear once. Parameters are bounded in number (FORM_MAX_PAIRS).
 *
 * form_next() is the ONE decoding of a query string: the action's parameters (form_parse) and the signature's
 * canonical query (aws/sigv4.c, which re-encodes what form_next hands it) both come from it, so that no byte of a
 * signed query can mean one thing to the verifier and another to the action (a literal '+' is a space to both).
 */
#ifndef ROLEGATE_FORM_H
#define ROLEGATE_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/errors.h"
#include "util/buf.h"

#define FORM_MAX_PAIRS 4096

/* A position in a query string or form body being decoded by form_next(). Points into the caller's bytes. */
struct form_cursor {
	const char *s;
	size_t len, pos;
};

struct form_pair {
	char *key;   /* owned, NUL-terminated */
	char *value; /* owned, NUL-terminated */
	size_t value_len;
};

struct form {
	struct form_pair *pairs; /* sorted by key after form_finish() */
	size_t n, cap;
};

/* Starts decoding s[0..len) (s may be NULL when len is 0). */
void form_cursor_init(struct form_cursor *c, const char *s, size_t len);
/*
 * Decodes the next parameter: the pieces between '&' (empty ones skipped), each split at its first '=' (none: the
 * value is empty), both halves percent-decoded with '+' as a space, into key and value (reset first; they may hold
 * any byte, NUL included, and are as long as their len). 1 when a parameter was decoded, 0 at the end, -1 on a
 * malformed escape or when key or value reaches its buffer's cap.
 */
int form_next(struct form_cursor *c, struct buf *key, struct buf *value);

/* An empty form. */
void form_init(struct form *f);
void form_free(struct form *f);
/*
 * Decodes s[0..len) with form_next() and adds its parameters. skip_auth leaves out the parameters whose decoded
 * name starts with X-Amz- (a presigned request's: they authenticate the request; they are not the action's input). C_ERR with MalformedQueryString (bad escape)
 * or InvalidQueryParameter (invalid UTF-8, NUL, too many parameters).
 */
int form_parse(struct form *f, const char *s, size_t len, bool skip_auth, struct aws_err *err);
/* Sorts the parameters and refuses a repeated key (InvalidQueryParameter). Call once after the last form_parse. */
int form_finish(struct form *f, struct aws_err *err);
/* The value of key, or NULL. Needs form_finish(). */
const struct form_pair *form_get(const struct form *f, const char *key);

#endif
