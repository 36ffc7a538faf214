/*
 * tags.c - tags of the organization's root, OUs, accounts and policies: TagResource, UntagResource,
 * ListTagsForResource. They are kept in the generic tags table under ORG_TAG_PREFIX + the resource's id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orgs/internal.h"
#include "util/common.h"

int orgs_resource_taggable(struct call *c, char *out, size_t cap)
{
	const char *id = call_str(c, "ResourceId");
	struct store_org_policy p;
	struct store_org o;
	int rc;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	if (strncmp(id, "p-", 2) != 0)
		return orgs_arn_target(&o, id, out, cap);
	rc = store_org_policy_get(c->tx, o.org_id, id, &p);
	if (rc == STORE_NOT_FOUND)
		return orgs_arn_policy(&o, ORG_SCP, id, false, out, cap);
	if (rc != C_OK)
		return C_ERR;
	rc = orgs_arn_policy(&o, p.type, p.policy_id, p.aws_managed, out, cap);
	store_org_policy_clear(&p);
	return rc;
}

/* Checks that ResourceId names something of the caller's organization that can carry tags. */
static int load_resource(struct call *c, struct store_org *o, const char **id)
{
	struct store_org_account a;
	struct store_org_policy p;
	struct store_ou u;
	int rc;

	if (orgs_context(c, o, true) != C_OK)
		return C_ERR;
	*id = call_str(c, "ResourceId");
	if (strncmp(*id, "r-", 2) == 0) {
		rc = strcmp(*id, o->root_id) == 0 ? C_OK : STORE_NOT_FOUND;
	} else if (strncmp(*id, "ou-", 3) == 0) {
		rc = store_ou_get(c->tx, o->org_id, *id, &u);
	} else if (strncmp(*id, "p-", 2) == 0) {
		rc = store_org_policy_get(c->tx, o->org_id, *id, &p);
		if (rc == C_OK) {
			bool managed = p.aws_managed;
			store_org_policy_clear(&p);
			if (managed) {
				aws_err_set(&c->err, ERR_ORG_INVALID_INPUT, MSG_IMMUTABLE_POLICY);
				return aws_err_reason(&c->err, "IMMUTABLE_POLICY");
			}
		}
	} else if (strncmp(*id, "rp-", 3) == 0 || strncmp(*id, "rt-", 3) == 0) {
		rc = STORE_NOT_FOUND; /* resource policies and responsibility transfers are not served */
	} else {
		rc = store_org_account_get(c->tx, o->org_id, *id, c->now_ms, &a);
	}
	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_ORG_TARGET_NOT_FOUND, MSG_TARGET_NOT_FOUND);
	return rc == C_OK ? C_OK : C_ERR;
}

int orgs_tag_resource(struct call *c)
{
	json_t *tags = json_object_get(c->in, "Tags");
	struct store_org o;
	const char *id;

	if (load_resource(c, &o, &id) != C_OK || orgs_check_tags(c, tags, id) != C_OK)
		return C_ERR;
	return orgs_put_tags(c, id, tags);
}

int orgs_untag_resource(struct call *c)
{
	json_t *keys = json_object_get(c->in, "TagKeys"), *k;
	char tag_id[ORG_POLICY_ID_MAX + 8];
	struct store_org o;
	const char *id;
	size_t i;

	if (load_resource(c, &o, &id) != C_OK)
		return C_ERR;
	orgs_tag_id(id, tag_id, sizeof(tag_id));
	json_array_foreach(keys, i, k)
	{
		if (json_is_string(k) && store_tag_delete(c->tx, tag_id, json_string_value(k)) != C_OK)
			return C_ERR;
	}
	return C_OK;
}

static int tag_one(void *ctx, const struct store_tag *t)
{
	return json_array_append_new(ctx, json_pack("{s:s, s:s}", "Key", t->key, "Value", t->value)) == 0 ? C_OK
	                                                                                                  : C_ERR;
}

int orgs_list_tags_for_resource(struct call *c)
{
	char tag_id[ORG_POLICY_ID_MAX + 8], after[32], next[32];
	struct store_org o;
	const char *id;
	json_t *tags;
	char *end = NULL;
	long skip = 0;
	bool more;

	if (load_resource(c, &o, &id) != C_OK)
		return C_ERR;
	/* ListTagsForResource has no MaxResults: a page is what AWS's default would be. */
	if (orgs_page_read(c, "tags", after, sizeof(after), &(int){0}) != C_OK)
		return C_ERR;
	if (after[0]) {
		skip = strtol(after, &end, 10);
		if (*end || skip < 0 || skip > ORGS_TAGS_PER_RESOURCE) {
			aws_err_set(&c->err, ERR_ORG_INVALID_INPUT, MSG_BAD_TOKEN);
			return aws_err_reason(&c->err, "INVALID_NEXT_TOKEN");
		}
	}
	orgs_tag_id(id, tag_id, sizeof(tag_id));
	tags = json_array();
	json_object_set_new(c->out, "Tags", tags);
	if (store_tag_list(c->tx, tag_id, (int)skip, ORGS_TAGS_PER_RESOURCE + 1, tag_one, tags) < 0)
		return C_ERR;
	more = json_array_size(tags) > ORGS_TAGS_PER_RESOURCE;
	if (more)
		json_array_remove(tags, ORGS_TAGS_PER_RESOURCE);
	snprintf(next, sizeof(next), "%ld", skip + ORGS_TAGS_PER_RESOURCE);
	return orgs_page_write(c, "tags", more, next);
}
