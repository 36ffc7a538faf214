/*
 * form.h - application/x-www-form-urlencoded decoding (AWS query protocol bodies and GET query strings).
 *
 * Keys and values are percent-decoded ('+' is a space), must be valid UTF-8 and may not contain NUL. A key may
 * appear once. Parameters are bounded in number (FORM_MAX_PAIRS).
 */
#ifndef ROLEGATE_FORM_H
#define ROLEGATE_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/errors.h"

#define FORM_MAX_PAIRS 4096

struct form_pair {
	char *key;   /* owned, NUL-terminated */
	char *value; /* owned, NUL-terminated */
	size_t value_len;
};

struct form {
	struct form_pair *pairs; /* sorted by key after form_finish() */
	size_t n, cap;
};

/* An empty form. */
void form_init(struct form *f);
void form_free(struct form *f);
/*
 * Decodes s[0..len) and adds its parameters. skip_auth leaves out the X-Amz-* parameters of presigned requests
 * (they authenticate the request; they are not the action's input). C_ERR with MalformedQueryString (bad escape)
 * or InvalidQueryParameter (invalid UTF-8, NUL, too many parameters).
 */
int form_parse(struct form *f, const char *s, size_t len, bool skip_auth, struct aws_err *err);
/* Sorts the parameters and refuses a repeated key (InvalidQueryParameter). Call once after the last form_parse. */
int form_finish(struct form *f, struct aws_err *err);
/* The value of key, or NULL. Needs form_finish(). */
const struct form_pair *form_get(const struct form *f, const char *key);

#endif
