/*
 * query.c - model-driven decoding of query-protocol parameters and encoding of XML responses.
 *
 * Wire names follow botocore's query serializer and parser: a structure member is named by its locationName or
 * member name; a list is "Name.member.N" (the list member's locationName replaces "member"; flattened lists are
 * "Name.N"); a map is "Name.entry.N.key" / ".value". XML output mirrors that.
 */
#include "aws/query.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "aws/xml.h"
#include "util/common.h"
#include "util/timeutil.h"

#define MAX_DEPTH 16
#define MAX_LIST 1000

/* A growing key prefix such as "Tags.member.3". */
struct prefix {
	char s[512];
	size_t len;
};

/* Appends ".name" (or ".idx" when name is NULL) to the prefix. */
static int prefix_push(struct prefix *p, const char *name, size_t idx)
{
	int n;

	if (name)
		n = snprintf(p->s + p->len, sizeof(p->s) - p->len, p->len ? ".%s" : "%s", name);
	else
		n = snprintf(p->s + p->len, sizeof(p->s) - p->len, ".%zu", idx);
	if (n < 0 || (size_t)n >= sizeof(p->s) - p->len)
		return C_ERR;
	p->len += (size_t)n;
	return C_OK;
}

/* Whether any parameter starts with "prefix." (so a structure, list or map is present). */
static bool has_children(const struct form *f, const struct prefix *p)
{
	/* The pairs are sorted: find the first key >= "prefix." and check it. */
	size_t lo = 0, hi = f->n;
	char key[sizeof(p->s) + 1];

	memcpy(key, p->s, p->len);
	key[p->len] = '.';
	key[p->len + 1] = '\0';
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(f->pairs[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->n && strncmp(f->pairs[lo].key, key, p->len + 1) == 0;
}

static int type_error(struct aws_err *err, const char *value, const char *what)
{
	return aws_err_set(err, ERR_VALIDATION,
	                   "1 validation error detected: Value '%.256s' failed to satisfy constraint: Member must be %s",
	                   value, what);
}

static int decode_value(const struct service_model *svc, const struct shape *s, const struct form *f,
                        struct prefix *p, int depth, json_t **out, struct aws_err *err);

static int decode_scalar(const struct shape *s, const struct form_pair *fp, json_t **out, struct aws_err *err)
{
	char *end;

	switch (s->type) {
	case SHAPE_STRING:
	case SHAPE_BLOB:
		*out = json_stringn(fp->value, fp->value_len);
		break;
	case SHAPE_INTEGER:
	case SHAPE_LONG: {
		long long v;
		/* Digits with an optional '-', nothing else (strtoll alone would take " 5" and "+5"). */
		if (!(fp->value[0] == '-' || (fp->value[0] >= '0' && fp->value[0] <= '9')))
			return type_error(err, fp->value, "a valid integer");
		errno = 0;
		v = strtoll(fp->value, &end, 10);
		if (errno || end == fp->value || *end)
			return type_error(err, fp->value, "a valid integer");
		if (s->type == SHAPE_INTEGER && (v < INT32_MIN || v > INT32_MAX))
			return type_error(err, fp->value, "a valid integer");
		*out = json_integer(v);
		break;
	}
	case SHAPE_DOUBLE: {
		double v;
		errno = 0;
		v = strtod(fp->value, &end);
		if (errno || end == fp->value || *end)
			return type_error(err, fp->value, "a valid number");
		*out = json_real(v);
		break;
	}
	case SHAPE_BOOLEAN:
		if (strcmp(fp->value, "true") == 0)
			*out = json_true();
		else if (strcmp(fp->value, "false") == 0)
			*out = json_false();
		else
			return type_error(err, fp->value, "a boolean (true or false)");
		break;
	case SHAPE_TIMESTAMP: {
		int64_t t;
		if (time_parse_iso8601(fp->value, &t) != C_OK)
			return type_error(err, fp->value, "an ISO 8601 timestamp");
		*out = json_integer(t);
		break;
	}
	default:
		return aws_err_set(err, ERR_INTERNAL_FAILURE, "Unexpected shape type.");
	}
	if (!*out)
		return aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "The query string contains invalid UTF-8.");
	return C_OK;
}

static int decode_structure(const struct service_model *svc, const struct shape *s, const struct form *f,
                            struct prefix *p, int depth, json_t **out, struct aws_err *err)
{
	json_t *obj = json_object();

	if (!obj)
		return aws_err_set(err, ERR_INTERNAL_FAILURE, "Out of memory.");
	for (size_t i = 0; i < s->nmembers; i++) {
		const struct shape_member *m = &s->members[i];
		size_t saved = p->len;
		json_t *v = NULL;
		if (prefix_push(p, m->location_name ? m->location_name : m->name, 0) != C_OK)
			goto fail_input;
		if (decode_value(svc, m->shape, f, p, depth + 1, &v, err) != C_OK)
			goto fail;
		p->len = saved;
		p->s[saved] = '\0';
		if (v && json_object_set_new(obj, m->name, v) != 0)
			goto fail;
	}
	*out = obj;
	return C_OK;
fail_input:
	aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "A parameter name is too long.");
fail:
	json_decref(obj);
	return C_ERR;
}

static int decode_list(const struct service_model *svc, const struct shape *s, const struct form *f,
                       struct prefix *p, int depth, json_t **out, struct aws_err *err)
{
	const struct form_pair *self = form_get(f, p->s);
	json_t *arr;
	size_t saved = p->len;

	if (!has_children(f, p)) {
		/* botocore sends "Name=" for an empty list. */
		if (self && self->value_len == 0)
			*out = json_array();
		return C_OK;
	}
	arr = json_array();
	if (!arr)
		return aws_err_set(err, ERR_INTERNAL_FAILURE, "Out of memory.");
	if (!s->flattened && prefix_push(p, s->member_name, 0) != C_OK)
		goto fail_input;
	for (size_t idx = 1; idx <= MAX_LIST + 1; idx++) {
		size_t base = p->len;
		json_t *v = NULL;
		if (prefix_push(p, NULL, idx) != C_OK)
			goto fail_input;
		if (decode_value(svc, s->member, f, p, depth + 1, &v, err) != C_OK)
			goto fail;
		p->len = base;
		p->s[base] = '\0';
		if (!v)
			break;
		if (json_array_append_new(arr, v) != 0)
			goto fail;
	}
	p->len = saved;
	p->s[saved] = '\0';
	*out = arr;
	return C_OK;
fail_input:
	aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "A parameter name is too long.");
fail:
	json_decref(arr);
	return C_ERR;
}

static int decode_map(const struct service_model *svc, const struct shape *s, const struct form *f,
                      struct prefix *p, int depth, json_t **out, struct aws_err *err)
{
	json_t *obj;
	size_t saved = p->len;

	if (!has_children(f, p))
		return C_OK;
	obj = json_object();
	if (!obj)
		return aws_err_set(err, ERR_INTERNAL_FAILURE, "Out of memory.");
	if (!s->flattened && prefix_push(p, "entry", 0) != C_OK)
		goto fail_input;
	for (size_t idx = 1; idx <= MAX_LIST + 1; idx++) {
		size_t base = p->len, entry;
		const struct form_pair *k;
		json_t *v = NULL;
		if (prefix_push(p, NULL, idx) != C_OK)
			goto fail_input;
		entry = p->len;
		if (prefix_push(p, s->key_name, 0) != C_OK)
			goto fail_input;
		k = form_get(f, p->s);
		p->len = entry;
		p->s[entry] = '\0';
		if (!k) {
			p->len = base;
			p->s[base] = '\0';
			break;
		}
		if (prefix_push(p, s->value_name, 0) != C_OK)
			goto fail_input;
		if (decode_value(svc, s->value, f, p, depth + 1, &v, err) != C_OK)
			goto fail;
		p->len = base;
		p->s[base] = '\0';
		if (!v)
			v = json_null();
		if (json_object_set_new(obj, k->value, v) != 0)
			goto fail;
	}
	p->len = saved;
	p->s[saved] = '\0';
	*out = obj;
	return C_OK;
fail_input:
	aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "A parameter name is too long.");
fail:
	json_decref(obj);
	return C_ERR;
}

/* Decodes the value at prefix p. *out stays NULL when nothing is there. */
static int decode_value(const struct service_model *svc, const struct shape *s, const struct form *f,
                        struct prefix *p, int depth, json_t **out, struct aws_err *err)
{
	const struct form_pair *fp;

	*out = NULL;
	if (depth > MAX_DEPTH)
		return aws_err_set(err, ERR_INVALID_QUERY_PARAMETER, "The parameters are nested too deeply.");
	switch (s->type) {
	case SHAPE_STRUCTURE:
		if (!has_children(f, p))
			return C_OK;
		return decode_structure(svc, s, f, p, depth, out, err);
	case SHAPE_LIST:
		return decode_list(svc, s, f, p, depth, out, err);
	case SHAPE_MAP:
		return decode_map(svc, s, f, p, depth, out, err);
	default:
		fp = form_get(f, p->s);
		if (!fp)
			return C_OK;
		return decode_scalar(s, fp, out, err);
	}
}

int query_decode(const struct service_model *svc, const struct shape *shape, const struct form *f, json_t **out,
                 struct aws_err *err)
{
	struct prefix p = {.s = "", .len = 0};

	if (!shape) {
		*out = json_object();
		return *out ? C_OK : aws_err_set(err, ERR_INTERNAL_FAILURE, "Out of memory.");
	}
	return decode_structure(svc, shape, f, &p, 0, out, err);
}

/* ---- encoding ------------------------------------------------------------------------------------------------ */

static int encode_value(const struct shape *s, json_t *v, struct buf *out, int depth);

static int encode_scalar(const struct shape *s, json_t *v, struct buf *out)
{
	char tmp[64];

	switch (s->type) {
	case SHAPE_STRING:
	case SHAPE_BLOB:
		if (!json_is_string(v))
			return C_ERR;
		return xml_text(out, json_string_value(v), json_string_length(v));
	case SHAPE_INTEGER:
	case SHAPE_LONG:
		if (!json_is_integer(v))
			return C_ERR;
		return buf_printf(out, "%" PRId64, (int64_t)json_integer_value(v));
	case SHAPE_DOUBLE:
		if (!json_is_number(v))
			return C_ERR;
		return buf_printf(out, "%.17g", json_number_value(v));
	case SHAPE_BOOLEAN:
		if (!json_is_boolean(v))
			return C_ERR;
		return buf_puts(out, json_is_true(v) ? "true" : "false");
	case SHAPE_TIMESTAMP:
		if (!json_is_number(v))
			return C_ERR;
		time_iso8601((int64_t)json_number_value(v), tmp);
		return buf_puts(out, tmp);
	default:
		return C_ERR;
	}
}

static int encode_named(const char *name, const struct shape *s, json_t *v, struct buf *out, int depth)
{
	if (xml_open(out, name) != C_OK || encode_value(s, v, out, depth + 1) != C_OK)
		return C_ERR;
	return xml_close(out, name);
}

static int encode_structure(const struct shape *s, json_t *obj, struct buf *out, int depth)
{
	if (!json_is_object(obj))
		return C_ERR;
	for (size_t i = 0; i < s->nmembers; i++) {
		const struct shape_member *m = &s->members[i];
		json_t *v = json_object_get(obj, m->name);
		const char *name = m->location_name ? m->location_name : m->name;
		if (!v || json_is_null(v))
			continue;
		if (m->shape->type == SHAPE_LIST && m->shape->flattened) {
			size_t k;
			json_t *item;
			if (!json_is_array(v))
				return C_ERR;
			json_array_foreach(v, k, item)
			{
				if (encode_named(name, m->shape->member, item, out, depth) != C_OK)
					return C_ERR;
			}
			continue;
		}
		if (encode_named(name, m->shape, v, out, depth) != C_OK)
			return C_ERR;
	}
	return C_OK;
}

static int encode_value(const struct shape *s, json_t *v, struct buf *out, int depth)
{
	size_t k;
	json_t *item;
	const char *key;

	if (depth > MAX_DEPTH * 2)
		return C_ERR;
	switch (s->type) {
	case SHAPE_STRUCTURE:
		return encode_structure(s, v, out, depth);
	case SHAPE_LIST:
		if (!json_is_array(v))
			return C_ERR;
		json_array_foreach(v, k, item)
		{
			if (encode_named(s->member_name, s->member, item, out, depth) != C_OK)
				return C_ERR;
		}
		return C_OK;
	case SHAPE_MAP:
		if (!json_is_object(v))
			return C_ERR;
		json_object_foreach(v, key, item)
		{
			if (xml_open(out, "entry") != C_OK || xml_open(out, s->key_name) != C_OK ||
			    xml_text(out, key, strlen(key)) != C_OK || xml_close(out, s->key_name) != C_OK ||
			    encode_named(s->value_name, s->value, item, out, depth) != C_OK ||
			    xml_close(out, "entry") != C_OK)
				return C_ERR;
		}
		return C_OK;
	default:
		return encode_scalar(s, v, out);
	}
}

int query_encode_result(const struct service_model *svc, const struct operation *op, json_t *result,
                        const char *request_id, struct buf *out)
{
	char root[128];

	snprintf(root, sizeof(root), "%sResponse", op->name);
	if (xml_open_ns(out, root, svc->xml_namespace) != C_OK)
		return C_ERR;
	if (op->output && op->result_wrapper) {
		if (xml_open(out, op->result_wrapper) != C_OK)
			return C_ERR;
		if (result && encode_structure(op->output, result, out, 0) != C_OK)
			return C_ERR;
		if (xml_close(out, op->result_wrapper) != C_OK)
			return C_ERR;
	}
	if (xml_open(out, "ResponseMetadata") != C_OK || xml_element(out, "RequestId", request_id) != C_OK ||
	    xml_close(out, "ResponseMetadata") != C_OK)
		return C_ERR;
	return xml_close(out, root);
}

int query_encode_error(const struct service_model *svc, const struct aws_err *err, const char *request_id,
                       struct buf *out)
{
	const char *ns = svc && svc->xml_namespace ? svc->xml_namespace : "https://iam.amazonaws.com/doc/2010-05-08/";

	if (xml_open_ns(out, "ErrorResponse", ns) != C_OK || xml_open(out, "Error") != C_OK ||
	    xml_element(out, "Type", aws_code_is_sender(err->code) ? "Sender" : "Receiver") != C_OK ||
	    xml_element(out, "Code", aws_code_name(err->code)) != C_OK ||
	    xml_element(out, "Message", err->message) != C_OK || xml_close(out, "Error") != C_OK ||
	    xml_element(out, "RequestId", request_id) != C_OK)
		return C_ERR;
	return xml_close(out, "ErrorResponse");
}
