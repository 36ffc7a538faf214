/*
 * validate.c - model constraints with AWS's messages.
 */
#include "aws/validate.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/common.h"
#include "util/utf8.h"

#define MAX_REPORTED 16

struct vctx {
	const struct service_model *svc;
	struct buf msgs; /* "Value ... ; Value ..." */
	int count;
	bool full; /* a failure did not fit in msgs: later ones are counted, not described */
};

/* Appends one failure. value_repr is already quoted ('x') or "null". */
static void fail(struct vctx *v, const char *value_repr, const char *path, const char *constraint, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct vctx *v, const char *value_repr, const char *path, const char *constraint, ...)
{
	va_list ap;
	struct buf one;

	if (v->count++ >= MAX_REPORTED || v->full)
		return;
	/* Formatted apart and appended whole, so that a message that reached its cap ends with a complete failure,
	 * never with a fragment or a dangling "; ". */
	buf_init(&one, v->msgs.max);
	if (v->count > 1)
		buf_puts(&one, "; ");
	buf_printf(&one, "Value %s at '%s' failed to satisfy constraint: ", value_repr, path);
	va_start(ap, constraint);
	buf_vprintf(&one, constraint, ap);
	va_end(ap);
	if (buf_append(&v->msgs, buf_str(&one), one.len) != C_OK)
		v->full = true;
	buf_free(&one);
}

/* 'value' as AWS prints it (sensitive values are not echoed). */
static void repr(const struct shape *s, json_t *value, char *out, size_t cap)
{
	if (s->sensitive) {
		snprintf(out, cap, "'***'");
	} else if (json_is_string(value)) {
		snprintf(out, cap, "'%.1024s'", json_string_value(value));
	} else if (json_is_integer(value)) {
		snprintf(out, cap, "'%" PRId64 "'", (int64_t)json_integer_value(value));
	} else {
		char *dump = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(out, cap, "'%.1024s'", dump ? dump : "");
		free(dump);
	}
}

static void check(struct vctx *v, const struct shape *s, json_t *value, const char *path, int depth);

static void check_enum(struct vctx *v, const struct shape *s, const char *str, const char *r, const char *path)
{
	struct buf set;

	for (const char *const *e = s->enums; *e; e++)
		if (strcmp(*e, str) == 0)
			return;
	buf_init(&set, 4096);
	for (const char *const *e = s->enums; *e; e++)
		buf_printf(&set, "%s%s", e == s->enums ? "" : ", ", *e);
	fail(v, r, path, "Member must satisfy enum value set: [%s]", buf_str(&set));
	buf_free(&set);
}

static void check_length(struct vctx *v, const struct shape *s, int64_t len, const char *r, const char *path)
{
	if (s->has_max && len > s->max)
		fail(v, r, path, "Member must have length less than or equal to %" PRId64, s->max);
	if (s->has_min && len < s->min)
		fail(v, r, path, "Member must have length greater than or equal to %" PRId64, s->min);
}

static void check_structure(struct vctx *v, const struct shape *s, json_t *obj, const char *path, int depth)
{
	for (size_t i = 0; i < s->nmembers; i++) {
		const struct shape_member *m = &s->members[i];
		json_t *mv = json_object_get(obj, m->name);
		char sub[600];
		/* AWS names members in lowerCamelCase: "userName", "tags.1.member.key". */
		snprintf(sub, sizeof(sub), "%s%s%c%s", path, *path ? "." : "", tolower((unsigned char)m->name[0]),
		         m->name + 1);
		if (!mv || json_is_null(mv)) {
			if (m->required)
				fail(v, "null", sub, "Member must not be null");
			continue;
		}
		check(v, m->shape, mv, sub, depth + 1);
	}
}

static void check(struct vctx *v, const struct shape *s, json_t *value, const char *path, int depth)
{
	char r[1100];
	size_t i;
	json_t *item;

	if (depth > 32)
		return;
	repr(s, value, r, sizeof(r));
	switch (s->type) {
	case SHAPE_STRING: {
		const char *str = json_string_value(value);
		size_t len = json_string_length(value);
		if (!str)
			return;
		check_length(v, s, (int64_t)utf8_utf16_len(str, len), r, path);
		if (s->pattern >= 0 && !model_pattern_match(v->svc, s->pattern, str, len))
			fail(v, r, path, "Member must satisfy regular expression pattern: %s",
			     v->svc->pattern_sources[s->pattern]);
		if (s->enums)
			check_enum(v, s, str, r, path);
		break;
	}
	case SHAPE_INTEGER:
	case SHAPE_LONG: {
		int64_t n = json_integer_value(value);
		if (s->has_max && n > s->max)
			fail(v, r, path, "Member must have value less than or equal to %" PRId64, s->max);
		if (s->has_min && n < s->min)
			fail(v, r, path, "Member must have value greater than or equal to %" PRId64, s->min);
		break;
	}
	case SHAPE_LIST:
		check_length(v, s, (int64_t)json_array_size(value), r, path);
		json_array_foreach(value, i, item)
		{
			char sub[600];
			if (s->member->type == SHAPE_STRUCTURE)
				snprintf(sub, sizeof(sub), "%s.%zu.member", path, i + 1);
			else
				snprintf(sub, sizeof(sub), "%s", path);
			check(v, s->member, item, sub, depth + 1);
		}
		break;
	case SHAPE_MAP:
		check_length(v, s, (int64_t)json_object_size(value), r, path);
		break;
	case SHAPE_STRUCTURE:
		check_structure(v, s, value, path, depth);
		break;
	default:
		break;
	}
}

int validate_input(const struct service_model *svc, const struct shape *shape, json_t *value, struct aws_err *err)
{
	struct vctx v = {.svc = svc, .count = 0};

	if (!shape)
		return C_OK;
	buf_init(&v.msgs, sizeof(err->message) - 64);
	check_structure(&v, shape, value, "", 0);
	if (v.count) {
		aws_err_set(err, ERR_VALIDATION, "%d validation error%s detected: %s", v.count, v.count > 1 ? "s" : "",
		            buf_str(&v.msgs));
		buf_free(&v.msgs);
		return C_ERR;
	}
	buf_free(&v.msgs);
	return C_OK;
}
