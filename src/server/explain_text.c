/*
 * explain_text.c - a denial's explanation (explain.h) in words, for `rolegate audit --explain REQUEST_ID`.
 */
#include <stdio.h>
#include <string.h>

#include "server/explain.h"
#include "util/buf.h"
#include "util/common.h"

#define TEXT_MAX (4u * 1024 * 1024)

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* "a, b, c" of a JSON array of strings */
static void join(struct buf *b, const json_t *arr)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) buf_printf(b, "%s%s", i ? ", " : "", json_is_string(v) ? json_string_value(v) : "?");
}

static void consulted(struct buf *b, const json_t *e)
{
	size_t i, j;
	json_t *k, *l;

	buf_puts(b, "Policies consulted\n");
	json_array_foreach(json_object_get(e, "consulted"), i, k) {
		const char *kind = str(k, "kind");
		if (strcmp(kind, "identity") == 0) {
			buf_puts(b, "  identity-based: ");
			if (json_array_size(json_object_get(k, "policies")))
				join(b, json_object_get(k, "policies"));
			else
				buf_puts(b, "none");
			buf_puts(b, "\n");
		} else if (strcmp(kind, "boundary") == 0) {
			buf_printf(b, "  permissions boundary: %s\n", str(k, "arn"));
		} else if (strcmp(kind, "session") == 0) {
			buf_puts(b, "  session policy\n");
		} else if (strcmp(kind, "resource") == 0) {
			buf_printf(b, "  %s: %s\n", str(k, "type"), str(k, "arn"));
		} else if (strcmp(kind, "scp") == 0) {
			buf_puts(b, "  service control policies:");
			json_array_foreach(json_object_get(k, "layers"), j, l)
				buf_printf(b, "%s %s (%lld)", j ? "," : "", str(l, "id"),
				           (long long)json_integer_value(json_object_get(l, "policies")));
			buf_puts(b, "\n");
		}
	}
}

static void statements(struct buf *b, const json_t *e)
{
	size_t i;
	json_t *s;

	buf_printf(b, "Statements (%zu of %lld%s)\n", json_array_size(json_object_get(e, "statements")),
	           (long long)json_integer_value(json_object_get(e, "statementsTotal")),
	           json_is_true(json_object_get(e, "truncated")) ? ", truncated" : "");
	json_array_foreach(json_object_get(e, "statements"), i, s) {
		const json_t *c = json_object_get(s, "condition");
		buf_printf(b, "  %-8s %s #%lld%s%s %s: ", str(s, "kind"), str(s, "policy"),
		           (long long)json_integer_value(json_object_get(s, "statement")), str(s, "sid")[0] ? " " : "",
		           str(s, "sid"), str(s, "effect"));
		if (json_is_true(json_object_get(s, "matched"))) {
			buf_puts(b, "applies\n");
			continue;
		}
		buf_printf(b, "does not apply (%s", str(s, "failed"));
		if (c) {
			const json_t *rv = json_object_get(c, "requestValues");
			buf_printf(b, ": %s %s [", str(c, "operator"), str(c, "key"));
			join(b, json_object_get(c, "policyValues"));
			buf_puts(b, "], the request has ");
			if (json_is_array(rv)) {
				buf_puts(b, "[");
				join(b, rv);
				buf_puts(b, "]");
			} else {
				buf_puts(b, "none");
			}
		}
		buf_puts(b, ")\n");
	}
}

char *explain_text(const json_t *e)
{
	struct buf b;
	size_t i;
	json_t *v;

	if (!json_is_object(e))
		return NULL;
	buf_init(&b, TEXT_MAX);
	buf_printf(&b, "Decision  %s (%s)\n", str(e, "decision"), str(e, "reason"));
	buf_puts(&b, "Missing\n");
	json_array_foreach(json_object_get(e, "missing"), i, v) buf_printf(&b, "  - %s\n", json_string_value(v));
	consulted(&b, e);
	statements(&b, e);
	buf_puts(&b, "Request context\n");
	json_array_foreach(json_object_get(e, "context"), i, v) {
		buf_printf(&b, "  %s = ", str(v, "key"));
		join(&b, json_object_get(v, "values"));
		buf_puts(&b, "\n");
	}
	if (json_object_get(e, "encodedMessage"))
		buf_printf(&b, "Encoded authorization failure message (aws sts decode-authorization-message "
		               "--encoded-message ...)\n  %s\n",
		           str(e, "encodedMessage"));
	return buf_steal(&b);
}
