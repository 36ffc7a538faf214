/*
 * jsonp.c - JSON 1.1 protocol decoding and encoding, shaped by the model.
 */
#include "aws/jsonp.h"

#include <math.h>
#include <string.h>

#include "util/common.h"

#define MAX_DEPTH 32

static int serialization(struct aws_err *err, const char *what, const char *member)
{
	return aws_err_set(err, ERR_SERIALIZATION, "%s%s%s", what, member ? ": " : "", member ? member : "");
}

/* Checks that v has the JSON type shape s wants, recursively. */
static int check(const struct shape *s, json_t *v, const char *name, int depth, struct aws_err *err)
{
	size_t i;
	json_t *item;
	const char *key;

	if (depth > MAX_DEPTH)
		return serialization(err, "The request is nested too deeply", name);
	if (json_is_null(v))
		return C_OK;
	switch (s->type) {
	case SHAPE_STRUCTURE:
		if (!json_is_object(v))
			return serialization(err, "Start of structure or map found where not expected", name);
		for (size_t m = 0; m < s->nmembers; m++) {
			json_t *mv = json_object_get(v, s->members[m].name);
			if (mv && check(s->members[m].shape, mv, s->members[m].name, depth + 1, err) != C_OK)
				return C_ERR;
		}
		return C_OK;
	case SHAPE_LIST:
		if (!json_is_array(v))
			return serialization(err, "Start of list found where not expected", name);
		json_array_foreach(v, i, item)
		{
			if (check(s->member, item, name, depth + 1, err) != C_OK)
				return C_ERR;
		}
		return C_OK;
	case SHAPE_MAP:
		if (!json_is_object(v))
			return serialization(err, "Start of structure or map found where not expected", name);
		json_object_foreach(v, key, item)
		{
			if (check(s->value, item, key, depth + 1, err) != C_OK)
				return C_ERR;
		}
		return C_OK;
	case SHAPE_STRING:
	case SHAPE_BLOB:
		return json_is_string(v) ? C_OK : serialization(err, "STRING_VALUE expected", name);
	case SHAPE_BOOLEAN:
		return json_is_boolean(v) ? C_OK : serialization(err, "Boolean expected", name);
	case SHAPE_INTEGER:
	case SHAPE_LONG:
		return json_is_integer(v) ? C_OK : serialization(err, "Number expected", name);
	case SHAPE_DOUBLE:
	case SHAPE_TIMESTAMP:
		return json_is_number(v) ? C_OK : serialization(err, "Number expected", name);
	}
	return C_OK;
}

int jsonp_decode(const struct shape *shape, const char *body, size_t len, json_t **out, struct aws_err *err)
{
	json_error_t jerr;
	json_t *v;

	if (len == 0) {
		*out = json_object();
		return *out ? C_OK : aws_err_set(err, ERR_INTERNAL_FAILURE, "Out of memory.");
	}
	v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		return aws_err_set(err, ERR_SERIALIZATION, "Malformed JSON: %s", jerr.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return serialization(err, "The request body must be a JSON object", NULL);
	}
	if (shape && check(shape, v, NULL, 0, err) != C_OK) {
		json_decref(v);
		return C_ERR;
	}
	*out = v;
	return C_OK;
}

/* A copy of v holding only what shape s describes. */
static json_t *shaped(const struct shape *s, json_t *v, int depth)
{
	json_t *out, *item;
	size_t i;
	const char *key;

	if (!v || json_is_null(v) || depth > MAX_DEPTH)
		return NULL;
	switch (s->type) {
	case SHAPE_STRUCTURE:
		if (!json_is_object(v))
			return NULL;
		out = json_object();
		for (size_t m = 0; out && m < s->nmembers; m++) {
			json_t *mv = shaped(s->members[m].shape, json_object_get(v, s->members[m].name), depth + 1);
			if (mv)
				json_object_set_new(out, s->members[m].name, mv);
		}
		return out;
	case SHAPE_LIST:
		if (!json_is_array(v))
			return NULL;
		out = json_array();
		json_array_foreach(v, i, item)
		{
			json_t *e = shaped(s->member, item, depth + 1);
			if (e)
				json_array_append_new(out, e);
		}
		return out;
	case SHAPE_MAP:
		if (!json_is_object(v))
			return NULL;
		out = json_object();
		json_object_foreach(v, key, item)
		{
			json_t *e = shaped(s->value, item, depth + 1);
			if (e)
				json_object_set_new(out, key, e);
		}
		return out;
	default:
		return json_incref(v);
	}
}

int jsonp_encode_result(const struct operation *op, json_t *result, struct buf *out)
{
	json_t *v = op->output && result ? shaped(op->output, result, 0) : NULL;
	char *text;
	int rc;

	if (!v)
		v = json_object();
	text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (!text)
		return C_ERR;
	rc = buf_puts(out, text);
	free(text);
	return rc;
}

int jsonp_encode_error(const struct aws_err *err, struct buf *out)
{
	json_t *v = json_pack("{s:s, s:s}", "__type", aws_code_name_json(err->code), "Message", err->message);
	char *text;
	int rc;

	if (!v)
		return C_ERR;
	if (err->reason[0])
		json_object_set_new(v, "Reason", json_string(err->reason));
	text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (!text)
		return C_ERR;
	rc = buf_puts(out, text);
	free(text);
	return rc;
}
