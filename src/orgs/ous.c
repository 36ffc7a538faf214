/*
 * ous.c - organizational units and the tree: CreateOrganizationalUnit, DescribeOrganizationalUnit,
 * UpdateOrganizationalUnit, DeleteOrganizationalUnit, ListOrganizationalUnitsForParent, ListParents, ListChildren.
 *
 * An OU id is "ou-" + the root's id without its "r-" + "-" + 8 random characters, as AWS writes them; OUs nest at
 * most ORG_MAX_DEPTH levels below the root.
 */
#include <stdio.h>
#include <string.h>

#include "orgs/internal.h"
#include "util/common.h"

int orgs_resource_parent(struct call *c, char *out, size_t cap)
{
	struct store_org o;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	return orgs_arn_target(&o, call_str(c, "ParentId"), out, cap);
}

int orgs_resource_ou(struct call *c, char *out, size_t cap)
{
	struct store_org o;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	return orgs_arn_ou(&o, call_str(c, "OrganizationalUnitId"), out, cap);
}

int orgs_resource_child(struct call *c, char *out, size_t cap)
{
	struct store_org o;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	return orgs_arn_target(&o, call_str(c, "ChildId"), out, cap);
}

/* OrganizationalUnit {...} as AWS returns it. */
static json_t *ou_json(struct call *c, const struct store_org *o, const struct store_ou *u)
{
	char arn[ARN_MAX + 1], path[512];

	if (orgs_arn_ou(o, u->ou_id, arn, sizeof(arn)) != C_OK ||
	    orgs_path(c, o, u->parent_id, u->ou_id, path, sizeof(path)) != C_OK)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s}", "Id", u->ou_id, "Arn", arn, "Name", u->name, "Path", path);
}

/* Loads OrganizationalUnitId of o; OrganizationalUnitNotFoundException when there is none. */
static int load_ou(struct call *c, const struct store_org *o, struct store_ou *u)
{
	int rc = store_ou_get(c->tx, o->org_id, call_str(c, "OrganizationalUnitId"), u);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_ORG_OU_NOT_FOUND, MSG_OU_NOT_FOUND);
	return rc == C_OK ? C_OK : C_ERR;
}

static int duplicate_name(struct call *c, const char *parent_id, const char *name, const char *except_id)
{
	bool taken = false;

	if (store_ou_name_taken(c->tx, parent_id, name, except_id, &taken) != C_OK)
		return C_ERR;
	return taken ? aws_err_set(&c->err, ERR_ORG_DUPLICATE_OU, MSG_DUPLICATE_OU) : C_OK;
}

int orgs_create_ou(struct call *c)
{
	const char *parent = call_str(c, "ParentId"), *name = call_str(c, "Name");
	json_t *tags = json_object_get(c->in, "Tags"), *j;
	char ancestors[ORG_MAX_DEPTH + 2][ORG_OU_ID_MAX];
	struct store_org o;
	struct store_ou u;
	bool exists = false, scp = false;
	int64_t count = 0;
	size_t depth = 0;

	if (orgs_context(c, &o, true) != C_OK || orgs_parent_exists(c, &o, parent, &exists) != C_OK)
		return C_ERR;
	if (!exists)
		return aws_err_set(&c->err, ERR_ORG_PARENT_NOT_FOUND, MSG_PARENT_NOT_FOUND);
	if (strcmp(parent, o.root_id) != 0 &&
	    store_ou_ancestors(c->tx, parent, ancestors, ARRAY_LEN(ancestors), &depth) != C_OK)
		return C_ERR;
	if (depth + 1 > ORG_MAX_DEPTH) {
		aws_err_set(&c->err, ERR_ORG_CONSTRAINT_VIOLATION,
		            "You attempted to create an OU tree that is too many levels deep.");
		return aws_err_reason(&c->err, "OU_DEPTH_LIMIT_EXCEEDED");
	}
	if (store_ou_count(c->tx, o.org_id, &count) != C_OK)
		return C_ERR;
	if (count >= ORGS_OUS_MAX) {
		aws_err_set(&c->err, ERR_ORG_CONSTRAINT_VIOLATION,
		            "You attempted to exceed the number of OUs that you can have in an organization.");
		return aws_err_reason(&c->err, "OU_NUMBER_LIMIT_EXCEEDED");
	}
	if (duplicate_name(c, parent, name, NULL) != C_OK || orgs_check_tags(c, tags, NULL) != C_OK)
		return C_ERR;
	memset(&u, 0, sizeof(u));
	snprintf(u.ou_id, sizeof(u.ou_id), "ou-%.32s-", o.root_id + 2);
	orgs_random_id(u.ou_id + strlen(u.ou_id), sizeof(u.ou_id) - strlen(u.ou_id), "", 8);
	snprintf(u.org_id, sizeof(u.org_id), "%s", o.org_id);
	snprintf(u.parent_id, sizeof(u.parent_id), "%s", parent);
	snprintf(u.name, sizeof(u.name), "%s", name);
	u.created_ms = c->now_ms;
	if (store_ou_create(c->tx, &u) != C_OK ||
	    store_org_policy_type_enabled(c->tx, o.root_id, ORG_SCP, &scp) != C_OK ||
	    (scp && store_org_attach(c->tx, ORG_FULL_ACCESS_ID, u.ou_id) != C_OK) ||
	    orgs_put_tags(c, u.ou_id, tags) != C_OK || !(j = ou_json(c, &o, &u)))
		return C_ERR;
	json_object_set_new(c->out, "OrganizationalUnit", j);
	return C_OK;
}

int orgs_describe_ou(struct call *c)
{
	struct store_org o;
	struct store_ou u;
	json_t *j;

	if (orgs_context(c, &o, true) != C_OK || load_ou(c, &o, &u) != C_OK || !(j = ou_json(c, &o, &u)))
		return C_ERR;
	json_object_set_new(c->out, "OrganizationalUnit", j);
	return C_OK;
}

int orgs_update_ou(struct call *c)
{
	const char *name = call_str(c, "Name");
	struct store_org o;
	struct store_ou u;
	json_t *j;

	if (orgs_context(c, &o, true) != C_OK || load_ou(c, &o, &u) != C_OK)
		return C_ERR;
	if (name && strcmp(name, u.name) != 0) {
		if (duplicate_name(c, u.parent_id, name, u.ou_id) != C_OK || store_ou_rename(c->tx, u.ou_id, name) != C_OK)
			return C_ERR;
		snprintf(u.name, sizeof(u.name), "%s", name);
	}
	if (!(j = ou_json(c, &o, &u)))
		return C_ERR;
	json_object_set_new(c->out, "OrganizationalUnit", j);
	return C_OK;
}

int orgs_delete_ou(struct call *c)
{
	struct store_org o;
	struct store_ou u;
	int64_t children = 0;
	char tag_id[ORG_OU_ID_MAX + 8];

	if (orgs_context(c, &o, true) != C_OK || load_ou(c, &o, &u) != C_OK ||
	    store_ou_child_count(c->tx, u.ou_id, &children) != C_OK)
		return C_ERR;
	if (children > 0)
		return aws_err_set(&c->err, ERR_ORG_OU_NOT_EMPTY, MSG_OU_NOT_EMPTY);
	orgs_tag_id(u.ou_id, tag_id, sizeof(tag_id));
	if (store_org_detach_target(c->tx, u.ou_id) != C_OK || store_tag_delete_all(c->tx, tag_id) != C_OK ||
	    store_ou_delete(c->tx, u.ou_id) != C_OK)
		return C_ERR;
	return C_OK;
}

struct ou_list {
	struct call *c;
	const struct store_org *o;
	json_t *arr;
	bool children; /* Children {Id, Type} rather than OrganizationalUnit */
	int limit, seen;
	char last[ORG_OU_ID_MAX];
};

static int ou_one(void *ctx, const struct store_ou *u)
{
	struct ou_list *l = ctx;
	json_t *j;

	if (l->seen++ >= l->limit)
		return C_OK;
	j = l->children ? json_pack("{s:s, s:s}", "Id", u->ou_id, "Type", "ORGANIZATIONAL_UNIT")
	                : ou_json(l->c, l->o, u);
	if (!j || json_array_append_new(l->arr, j) != 0)
		return C_ERR;
	snprintf(l->last, sizeof(l->last), "%s", u->ou_id);
	return C_OK;
}

/* Checks ParentId and lists its OUs into member `key` of the output. */
static int list_ous(struct call *c, const char *key, bool children, const char *kind)
{
	const char *parent = call_str(c, "ParentId");
	struct ou_list l = {.c = c, .children = children};
	struct store_org o;
	bool exists = false;
	char after[ORG_OU_ID_MAX];

	if (orgs_context(c, &o, true) != C_OK || orgs_parent_exists(c, &o, parent, &exists) != C_OK)
		return C_ERR;
	if (!exists)
		return aws_err_set(&c->err, ERR_ORG_PARENT_NOT_FOUND, MSG_PARENT_NOT_FOUND);
	if (orgs_page_read(c, kind, after, sizeof(after), &l.limit) != C_OK)
		return C_ERR;
	l.o = &o;
	l.arr = json_array();
	json_object_set_new(c->out, key, l.arr);
	if (store_ou_list(c->tx, parent, after[0] ? after : NULL, l.limit + 1, ou_one, &l) < 0)
		return C_ERR;
	return orgs_page_write(c, kind, l.seen > l.limit, l.last);
}

int orgs_list_ous_for_parent(struct call *c)
{
	return list_ous(c, "OrganizationalUnits", false, "ous");
}

struct child_list {
	json_t *arr;
	int limit, seen;
	char last[ACCOUNT_ID_LEN + 1];
};

static int account_child(void *ctx, const struct store_org_account *a)
{
	struct child_list *l = ctx;

	if (l->seen++ >= l->limit)
		return C_OK;
	if (json_array_append_new(l->arr, json_pack("{s:s, s:s}", "Id", a->account_id, "Type", "ACCOUNT")) != 0)
		return C_ERR;
	snprintf(l->last, sizeof(l->last), "%s", a->account_id);
	return C_OK;
}

int orgs_list_children(struct call *c)
{
	const char *parent = call_str(c, "ParentId");
	struct child_list l = {0};
	struct store_org o;
	bool exists = false;
	char after[64];

	if (strcmp(call_str(c, "ChildType"), "ORGANIZATIONAL_UNIT") == 0)
		return list_ous(c, "Children", true, "children-ous");
	if (orgs_context(c, &o, true) != C_OK || orgs_parent_exists(c, &o, parent, &exists) != C_OK)
		return C_ERR;
	if (!exists)
		return aws_err_set(&c->err, ERR_ORG_PARENT_NOT_FOUND, MSG_PARENT_NOT_FOUND);
	if (orgs_page_read(c, "children-accounts", after, sizeof(after), &l.limit) != C_OK)
		return C_ERR;
	l.arr = json_array();
	json_object_set_new(c->out, "Children", l.arr);
	if (store_org_account_list(c->tx, o.org_id, parent, c->now_ms, after[0] ? after : NULL, l.limit + 1,
	                           account_child, &l) < 0)
		return C_ERR;
	return orgs_page_write(c, "children-accounts", l.seen > l.limit, l.last);
}

int orgs_list_parents(struct call *c)
{
	const char *child = call_str(c, "ChildId");
	char parent[ORG_OU_ID_MAX], after[64];
	struct store_org_account a;
	struct store_org o;
	struct store_ou u;
	json_t *parents;
	int rc, limit;

	if (orgs_context(c, &o, true) != C_OK || orgs_page_read(c, "parents", after, sizeof(after), &limit) != C_OK)
		return C_ERR;
	if (strncmp(child, "ou-", 3) == 0) {
		rc = store_ou_get(c->tx, o.org_id, child, &u);
		if (rc == C_OK)
			snprintf(parent, sizeof(parent), "%s", u.parent_id);
	} else {
		rc = store_org_account_get(c->tx, o.org_id, child, c->now_ms, &a);
		if (rc == C_OK)
			snprintf(parent, sizeof(parent), "%s", a.parent_id);
	}
	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_ORG_CHILD_NOT_FOUND, MSG_CHILD_NOT_FOUND);
	if (rc != C_OK)
		return C_ERR;
	parents = json_array();
	json_object_set_new(c->out, "Parents", parents);
	/* Every child has exactly one parent: a token can only point past it. */
	if (after[0])
		return C_OK;
	return json_array_append_new(parents, json_pack("{s:s, s:s}", "Id", parent, "Type",
	                                                strcmp(parent, o.root_id) == 0 ? "ROOT" : "ORGANIZATIONAL_UNIT")) == 0
	               ? C_OK
	               : C_ERR;
}
