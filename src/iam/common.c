/*
 * common.c - what IAM actions share: loading users, the User structure, tags, pagination markers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/arn.h"
#include "iam/iam.h"
#include "util/common.h"
#include "util/crypto.h"

#define TAGS_PER_RESOURCE 50
#define MARKER_PREFIX "rg1:"

int iam_load_user(struct call *c, const char *name, struct store_user *u)
{
	int rc = store_user_get(c->tx, c->caller.account_id, name, u);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "The user with name %s cannot be found.", name);
	return rc == C_OK ? C_OK : C_ERR;
}

int iam_load_named_or_self(struct call *c, const char *name, struct store_user *u)
{
	if (!name) {
		/* Only an IAM user's credentials (long-term or GetSessionToken's) stand for a user: a role session
		 * sharing a user's name must not act on that user. */
		if (c->caller.kind != PRINCIPAL_USER)
			return aws_err_set(&c->err, ERR_VALIDATION,
			                   "Must specify userName when calling with non-User credentials");
		name = c->caller.name;
	}
	return iam_load_user(c, name, u);
}

int64_t iam_quota(const struct call *c, enum iam_quota which)
{
	return iam_quota_limit(c->srv && c->srv->cfg ? &c->srv->cfg->quotas : NULL, which);
}

int iam_quota_refuse(struct call *c, enum iam_quota which)
{
	return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for %s: %lld", iam_quota_error_name(which),
	                   (long long)iam_quota(c, which));
}

int iam_quota_check_after_insert(struct call *c, enum iam_quota which, enum store_counted what)
{
	int64_t n = 0;

	if (store_account_count(c->tx, c->caller.account_id, what, &n) != C_OK)
		return C_ERR;
	return n > iam_quota(c, which) ? iam_quota_refuse(c, which) : C_OK;
}

static int tag_to_json(void *ctx, const struct store_tag *t)
{
	json_t *arr = ctx;

	return json_array_append_new(arr, json_pack("{s:s, s:s}", "Key", t->key, "Value", t->value)) == 0 ? C_OK
	                                                                                                  : C_ERR;
}

int iam_tags_json(struct call *c, const char *resource_id, int skip, int limit, json_t *arr)
{
	return store_tag_list(c->tx, resource_id, skip, limit, tag_to_json, arr) >= 0 ? C_OK : C_ERR;
}

json_t *iam_user_json(struct call *c, const struct store_user *u, bool with_tags)
{
	char arn[ARN_MAX + 1];
	json_t *o;

	if (arn_user(arn, sizeof(arn), u->account_id, u->path, u->name) != C_OK)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "Path", u->path, "UserName", u->name, "UserId", u->user_id, "Arn",
	              arn, "CreateDate", (json_int_t)(u->created_ms / 1000));
	if (!o)
		return NULL;
	if (with_tags) { /* ListUsers, GetGroup's Users: neither PermissionsBoundary nor Tags, as AWS answers */
		json_t *tags = json_array();
		if (u->permissions_boundary[0])
			json_object_set_new(o, "PermissionsBoundary",
			                    json_pack("{s:s, s:s}", "PermissionsBoundaryType", "PermissionsBoundaryPolicy",
			                              "PermissionsBoundaryArn", u->permissions_boundary));
		if (!tags || iam_tags_json(c, u->user_id, 0, TAGS_PER_RESOURCE, tags) != C_OK) {
			json_decref(tags);
			json_decref(o);
			return NULL;
		}
		if (json_array_size(tags))
			json_object_set_new(o, "Tags", tags);
		else
			json_decref(tags);
	}
	return o;
}

struct tag_probe {
	const char *key;
	bool found;
};

static int tag_probe(void *ctx, const struct store_tag *t)
{
	struct tag_probe *p = ctx;

	if (strcasecmp(t->key, p->key) == 0)
		p->found = true;
	return C_OK;
}

int iam_check_tags(struct call *c, json_t *tags, const char *existing_id, const char *quota_name)
{
	size_t i, j, added = 0;
	json_t *t, *u;
	int64_t have = 0;

	if (!tags)
		return C_OK;
	json_array_foreach(tags, i, t)
	{
		const char *k = json_string_value(json_object_get(t, "Key"));
		struct tag_probe probe = {.key = k, .found = false};
		json_array_foreach(tags, j, u)
		{
			if (j < i && strcasecmp(k, json_string_value(json_object_get(u, "Key"))) == 0)
				return aws_err_set(&c->err, ERR_INVALID_INPUT,
				                   "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
		}
		if (existing_id && store_tag_list(c->tx, existing_id, 0, TAGS_PER_RESOURCE, tag_probe, &probe) < 0)
			return C_ERR;
		if (!probe.found)
			added++;
	}
	if (existing_id && store_tag_count(c->tx, existing_id, &have) != C_OK)
		return C_ERR;
	if (have + (int64_t)added > TAGS_PER_RESOURCE)
		return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for %s: %d", quota_name,
		                   TAGS_PER_RESOURCE);
	return C_OK;
}

int iam_put_tags(struct call *c, const char *resource_id, json_t *tags)
{
	size_t i;
	json_t *t;

	json_array_foreach(tags, i, t)
	{
		if (store_tag_put(c->tx, resource_id, json_string_value(json_object_get(t, "Key")),
		                  json_string_value(json_object_get(t, "Value"))) != C_OK)
			return C_ERR;
	}
	return C_OK;
}

int iam_untag(struct call *c, const char *resource_id)
{
	json_t *keys = json_object_get(c->in, "TagKeys"), *k;
	size_t i;

	json_array_foreach(keys, i, k)
	{
		if (store_tag_delete(c->tx, resource_id, json_string_value(k)) != C_OK)
			return C_ERR;
	}
	return C_OK;
}

int iam_list_tags_page(struct call *c, const char *resource_id)
{
	int limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS), skip = 0;
	char pos[32], next[32];
	json_t *tags;
	bool more;

	if (iam_marker_read(c, pos, sizeof(pos)) != C_OK)
		return C_ERR;
	if (pos[0])
		skip = atoi(pos);
	tags = json_array();
	json_object_set_new(c->out, "Tags", tags);
	if (iam_tags_json(c, resource_id, skip, limit + 1, tags) != C_OK)
		return C_ERR;
	more = json_array_size(tags) > (size_t)limit;
	if (more)
		json_array_remove(tags, (size_t)limit);
	snprintf(next, sizeof(next), "%d", skip + limit);
	return iam_marker_write(c, more, next);
}

int iam_marker_read(struct call *c, char *pos, size_t cap)
{
	const char *m = call_str(c, "Marker");
	size_t len = 0;
	uint8_t *raw;

	pos[0] = '\0';
	if (!m)
		return C_OK;
	raw = base64_decode(m, strlen(m), &len);
	if (!raw || len < strlen(MARKER_PREFIX) || len - strlen(MARKER_PREFIX) >= cap ||
	    memcmp(raw, MARKER_PREFIX, strlen(MARKER_PREFIX)) != 0 || memchr(raw, '\0', len)) {
		free(raw);
		return aws_err_set(&c->err, ERR_INVALID_INPUT, "Invalid Marker.");
	}
	memcpy(pos, raw + strlen(MARKER_PREFIX), len - strlen(MARKER_PREFIX));
	pos[len - strlen(MARKER_PREFIX)] = '\0';
	free(raw);
	return C_OK;
}

int iam_marker_write(struct call *c, bool truncated, const char *pos)
{
	char raw[512];
	char *m;
	int n;

	json_object_set_new(c->out, "IsTruncated", json_boolean(truncated));
	if (!truncated)
		return C_OK;
	n = snprintf(raw, sizeof(raw), MARKER_PREFIX "%s", pos);
	if (n < 0 || (size_t)n >= sizeof(raw))
		return C_ERR;
	m = base64_encode((const uint8_t *)raw, (size_t)n);
	if (!m)
		return C_ERR;
	json_object_set_new(c->out, "Marker", json_string(m));
	free(m);
	return C_OK;
}
