/*
 * common.c - what the Organizations families share: the caller's organization and who may call, identifiers and
 * ARNs, paths, the Account structure, NextToken pagination, tags, and the resources of actions without one.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "orgs/internal.h"
#include "util/common.h"
#include "util/crypto.h"

#define TOKEN_PREFIX "rgo1:"

int orgs_context(struct call *c, struct store_org *org, bool management_only)
{
	int rc = store_org_of_account(c->tx, c->caller.account_id, org);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_ORG_NOT_IN_USE, MSG_NOT_IN_USE);
	if (rc != C_OK)
		return C_ERR;
	if (management_only && strcmp(org->management_account_id, c->caller.account_id) != 0)
		return aws_err_set(&c->err, ERR_ORG_ACCESS_DENIED, MSG_ACCESS_DENIED);
	return C_OK;
}

void orgs_random_id(char *out, size_t cap, const char *prefix, size_t n)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	size_t len = strlen(prefix);

	if (len + n + 1 > cap) {
		out[0] = '\0';
		return;
	}
	memcpy(out, prefix, len);
	crypto_random_chars(alphabet, 36, out + len, n);
	out[len + n] = '\0';
}

/* ---- ARNs ---------------------------------------------------------------------------------------------------- */

static int fits(int n, size_t cap)
{
	return n >= 0 && (size_t)n < cap ? C_OK : C_ERR;
}

int orgs_arn_org(const struct store_org *o, char *out, size_t cap)
{
	return fits(snprintf(out, cap, "arn:aws:organizations::%s:organization/%s", o->management_account_id, o->org_id),
	            cap);
}

int orgs_arn_account(const struct store_org *o, const char *account_id, char *out, size_t cap)
{
	return fits(snprintf(out, cap, "arn:aws:organizations::%s:account/%s/%s", o->management_account_id, o->org_id,
	                     account_id),
	            cap);
}

int orgs_arn_root(const struct store_org *o, char *out, size_t cap)
{
	return fits(snprintf(out, cap, "arn:aws:organizations::%s:root/%s/%s", o->management_account_id, o->org_id,
	                     o->root_id),
	            cap);
}

int orgs_arn_ou(const struct store_org *o, const char *ou_id, char *out, size_t cap)
{
	return fits(
	        snprintf(out, cap, "arn:aws:organizations::%s:ou/%s/%s", o->management_account_id, o->org_id, ou_id), cap);
}

int orgs_arn_policy(const struct store_org *o, const char *type, const char *policy_id, bool aws_managed, char *out,
                    size_t cap)
{
	char lower[ORG_TYPE_MAX];
	size_t i = 0;

	for (; type[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)type[i]);
	lower[i] = '\0';
	if (aws_managed)
		return fits(snprintf(out, cap, "arn:aws:organizations::aws:policy/%s/%s", lower, policy_id), cap);
	return fits(snprintf(out, cap, "arn:aws:organizations::%s:policy/%s/%s/%s", o->management_account_id, o->org_id,
	                     lower, policy_id),
	            cap);
}

int orgs_arn_target(const struct store_org *o, const char *id, char *out, size_t cap)
{
	if (strncmp(id, "r-", 2) == 0)
		return fits(snprintf(out, cap, "arn:aws:organizations::%s:root/%s/%s", o->management_account_id,
		                     o->org_id, id),
		            cap);
	if (strncmp(id, "ou-", 3) == 0)
		return orgs_arn_ou(o, id, out, cap);
	return orgs_arn_account(o, id, out, cap);
}

/* ---- parents and paths --------------------------------------------------------------------------------------- */

int orgs_parent_exists(struct call *c, const struct store_org *o, const char *id, bool *exists)
{
	struct store_ou u;
	int rc;

	*exists = false;
	if (strcmp(id, o->root_id) == 0) {
		*exists = true;
		return C_OK;
	}
	if (strncmp(id, "ou-", 3) != 0)
		return C_OK;
	rc = store_ou_get(c->tx, o->org_id, id, &u);
	if (rc == C_OK)
		*exists = true;
	return rc == C_OK || rc == STORE_NOT_FOUND ? C_OK : C_ERR;
}

int orgs_path(struct call *c, const struct store_org *o, const char *parent_id, const char *leaf_id, char *out,
              size_t cap)
{
	char ids[ORG_MAX_DEPTH + 2][ORG_OU_ID_MAX];
	size_t n = 0, len;

	if (strcmp(parent_id, o->root_id) != 0 &&
	    store_ou_ancestors(c->tx, parent_id, ids, ARRAY_LEN(ids), &n) != C_OK)
		return C_ERR;
	len = (size_t)snprintf(out, cap, "%s/%s/", o->org_id, o->root_id);
	for (size_t i = n; i-- > 0 && len < cap;)
		len += (size_t)snprintf(out + len, cap - len, "%s/", ids[i]);
	if (len < cap)
		len += (size_t)snprintf(out + len, cap - len, "%s/", leaf_id);
	return len < cap ? C_OK : C_ERR;
}

/* ---- structures ---------------------------------------------------------------------------------------------- */

json_t *orgs_time(int64_t ms)
{
	return json_integer((json_int_t)(ms / 1000));
}

const char *orgs_account_status(const struct store_org_account *a, int64_t now_ms)
{
	if (strcmp(a->status, "PENDING_CLOSURE") == 0)
		return now_ms >= a->closure_ms ? "SUSPENDED" : "PENDING_CLOSURE";
	return a->status;
}

json_t *orgs_account_json(struct call *c, const struct store_org *o, const struct store_org_account *a)
{
	const char *status = orgs_account_status(a, c->now_ms);
	char arn[ARN_MAX + 1], path[512];
	json_t *j;

	if (orgs_arn_account(o, a->account_id, arn, sizeof(arn)) != C_OK ||
	    orgs_path(c, o, a->parent_id, a->account_id, path, sizeof(path)) != C_OK)
		return NULL;
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:[s]}", "Id", a->account_id, "Arn", arn, "Name", a->name,
	              "Status", status,
	              /* State: a closed account is CLOSED (SUSPENDED is AWS's word for its Status) */
	              "State", strcmp(status, "SUSPENDED") == 0 ? "CLOSED" : status, "JoinedMethod", a->joined_method,
	              "JoinedTimestamp", orgs_time(a->joined_ms), "Paths", path);
	if (j && a->email[0])
		json_object_set_new(j, "Email", json_string(a->email));
	return j;
}

/* ---- pagination ---------------------------------------------------------------------------------------------- */

int orgs_page_read(struct call *c, const char *kind, char *after, size_t cap, int *limit)
{
	const char *token = call_str(c, "NextToken");
	size_t plen = strlen(TOKEN_PREFIX), klen = strlen(kind), len = 0;
	uint8_t *raw;

	*limit = (int)call_int(c, "MaxResults", ORGS_DEFAULT_MAX_RESULTS);
	after[0] = '\0';
	if (!token)
		return C_OK;
	raw = base64_decode(token, strlen(token), &len);
	if (!raw || len < plen + klen + 1 || len - plen - klen - 1 >= cap || memchr(raw, '\0', len) ||
	    memcmp(raw, TOKEN_PREFIX, plen) != 0 || memcmp(raw + plen, kind, klen) != 0 || raw[plen + klen] != ':' ||
	    len == plen + klen + 1) {
		free(raw);
		aws_err_set(&c->err, ERR_ORG_INVALID_INPUT, MSG_BAD_TOKEN);
		return aws_err_reason(&c->err, "INVALID_NEXT_TOKEN");
	}
	memcpy(after, raw + plen + klen + 1, len - plen - klen - 1);
	after[len - plen - klen - 1] = '\0';
	free(raw);
	return C_OK;
}

int orgs_page_write(struct call *c, const char *kind, bool more, const char *last)
{
	char raw[512];
	char *token;
	int n;

	if (!more)
		return C_OK;
	n = snprintf(raw, sizeof(raw), TOKEN_PREFIX "%s:%s", kind, last);
	if (n < 0 || (size_t)n >= sizeof(raw))
		return C_ERR;
	token = base64_encode((const uint8_t *)raw, (size_t)n);
	if (!token)
		return C_ERR;
	json_object_set_new(c->out, "NextToken", json_string(token));
	free(token);
	return C_OK;
}

/* ---- tags ---------------------------------------------------------------------------------------------------- */

void orgs_tag_id(const char *id, char *out, size_t cap)
{
	snprintf(out, cap, ORG_TAG_PREFIX "%s", id);
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

int orgs_check_tags(struct call *c, json_t *tags, const char *id)
{
	char tag_id[ORG_POLICY_ID_MAX + 8];
	int64_t existing = 0, added = 0;
	size_t i, j;
	json_t *t;

	if (!tags)
		return C_OK;
	if (id) {
		orgs_tag_id(id, tag_id, sizeof(tag_id));
		if (store_tag_count(c->tx, tag_id, &existing) != C_OK)
			return C_ERR;
	}
	json_array_foreach(tags, i, t)
	{
		const char *key = json_string_value(json_object_get(t, "Key"));
		struct tag_probe p = {.key = key, .found = false};

		if (!key)
			continue;
		if (strncasecmp(key, "aws:", 4) == 0) {
			aws_err_set(&c->err, ERR_ORG_INVALID_INPUT,
			            "You specified a tag key that is a system tag. You can't add, edit, or delete system tag "
			            "keys because they're reserved for Amazon Web Services use.");
			return aws_err_reason(&c->err, "INVALID_SYSTEM_TAGS_PARAMETER");
		}
		for (j = 0; j < i; j++) {
			const char *other = json_string_value(json_object_get(json_array_get(tags, j), "Key"));
			if (other && strcasecmp(other, key) == 0) {
				aws_err_set(&c->err, ERR_ORG_INVALID_INPUT,
				            "Tag keys must be unique among the tags attached to the same entity.");
				return aws_err_reason(&c->err, "DUPLICATE_TAG_KEY");
			}
		}
		if (id && store_tag_list(c->tx, tag_id, 0, ORGS_TAGS_PER_RESOURCE * 2, tag_probe, &p) < 0)
			return C_ERR;
		if (!p.found)
			added++;
	}
	if (existing + added > ORGS_TAGS_PER_RESOURCE) {
		aws_err_set(&c->err, ERR_ORG_CONSTRAINT_VIOLATION,
		            "You have exceeded the number of tags allowed on this resource.");
		return aws_err_reason(&c->err, "MAX_TAG_LIMIT_EXCEEDED");
	}
	return C_OK;
}

int orgs_put_tags(struct call *c, const char *id, json_t *tags)
{
	char tag_id[ORG_POLICY_ID_MAX + 8];
	size_t i;
	json_t *t;

	if (!tags)
		return C_OK;
	orgs_tag_id(id, tag_id, sizeof(tag_id));
	json_array_foreach(tags, i, t)
	{
		const char *key = json_string_value(json_object_get(t, "Key"));
		const char *value = json_string_value(json_object_get(t, "Value"));
		if (!key || !value || store_tag_put(c->tx, tag_id, key, value) != C_OK)
			return C_ERR;
	}
	return C_OK;
}

/* ---- resources of actions that act on no particular resource ------------------------------------------------- */

static int star(char *out, size_t cap)
{
	return fits(snprintf(out, cap, "*"), cap);
}

int orgs_resource_none(struct call *c, char *out, size_t cap)
{
	UNUSED(c);
	return star(out, cap);
}

int orgs_resource_member(struct call *c, char *out, size_t cap)
{
	struct store_org o;

	if (orgs_context(c, &o, false) != C_OK)
		return C_ERR;
	return star(out, cap);
}

int orgs_resource_management(struct call *c, char *out, size_t cap)
{
	struct store_org o;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	return star(out, cap);
}
