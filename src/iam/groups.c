/*
 * groups.c - IAM groups: CreateGroup, GetGroup (with its users, paged), UpdateGroup, DeleteGroup, ListGroups,
 * AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.
 *
 * Each action: read the validated input -> act on the store (the caller's transaction) -> fill c->out.
 */
#include <stdio.h>
#include <string.h>

#include "aws/arn.h"
#include "aws/ids.h"
#include "iam/iam.h"
#include "util/common.h"

#define GROUPS_PER_USER 10

/* ---- shared -------------------------------------------------------------------------------------------------- */

int iam_load_group(struct call *c, const char *name, struct store_group *g)
{
	int rc = store_group_get(c->tx, c->caller.account_id, name, g);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "The group with name %s cannot be found.", name);
	return rc == C_OK ? C_OK : C_ERR;
}

json_t *iam_group_json(const struct store_group *g)
{
	char arn[ARN_MAX + 1];

	if (arn_group(arn, sizeof(arn), g->account_id, g->path, g->name) != C_OK)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:I}", "Path", g->path, "GroupName", g->name, "GroupId", g->group_id,
	                 "Arn", arn, "CreateDate", (json_int_t)(g->created_ms / 1000));
}

/* Lowercases an IAM name (ASCII) into out: the key lists are ordered and paged by. */
static void name_key(const char *name, char *out, size_t cap)
{
	size_t i = 0;

	for (; name[i] && i + 1 < cap; i++)
		out[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	out[i] = '\0';
}

/* ---- resources ----------------------------------------------------------------------------------------------- */

int iam_resource_group(struct call *c, char *out, size_t cap)
{
	const char *name = call_str(c, "GroupName");
	struct store_group g;
	int rc = store_group_get(c->tx, c->caller.account_id, name, &g);

	if (rc == C_OK)
		return arn_group(out, cap, g.account_id, g.path, g.name);
	if (rc == STORE_NOT_FOUND)
		return arn_group(out, cap, c->caller.account_id, "/", name);
	return C_ERR;
}

static int resource_new_group(struct call *c, char *out, size_t cap)
{
	const char *path = call_str(c, "Path");

	return arn_group(out, cap, c->caller.account_id, path ? path : "/", call_str(c, "GroupName"));
}

static int resource_groups(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "arn:aws:iam::%s:group/", c->caller.account_id) < (int)cap ? C_OK : C_ERR;
}

/* ---- actions ------------------------------------------------------------------------------------------------- */

static int create_group(struct call *c)
{
	const char *name = call_str(c, "GroupName"), *path = call_str(c, "Path");
	struct store_group g;
	json_t *j;
	int rc;

	memset(&g, 0, sizeof(g));
	id_unique("AGPA", g.group_id);
	snprintf(g.account_id, sizeof(g.account_id), "%s", c->caller.account_id);
	snprintf(g.name, sizeof(g.name), "%s", name);
	snprintf(g.path, sizeof(g.path), "%s", path ? path : "/");
	g.created_ms = c->now_ms;
	rc = store_group_create(c->tx, &g);
	if (rc == STORE_EXISTS)
		return aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS, "Group with name %s already exists.", name);
	if (rc != C_OK || iam_quota_check_after_insert(c, IAM_QUOTA_GROUPS, STORE_COUNT_GROUPS) != C_OK ||
	    !(j = iam_group_json(&g)))
		return C_ERR;
	json_object_set_new(c->out, "Group", j);
	return C_OK;
}

struct users_ctx {
	struct call *c;
	json_t *users;
	int limit, seen;
	char last_lc[IAM_NAME_MAX * 2 + 1];
};

static int add_user(void *ctx, const struct store_user *u)
{
	struct users_ctx *l = ctx;
	json_t *j;

	if (l->seen++ >= l->limit)
		return C_OK; /* the extra row only tells that there is more */
	if (!(j = iam_user_json(l->c, u, false)) || json_array_append_new(l->users, j) != 0)
		return C_ERR;
	name_key(u->name, l->last_lc, sizeof(l->last_lc));
	return C_OK;
}

static int get_group(struct call *c)
{
	struct users_ctx l = {.c = c, .limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	char after[IAM_NAME_MAX * 2 + 1];
	struct store_group g;
	json_t *j;

	if (iam_load_group(c, call_str(c, "GroupName"), &g) != C_OK || iam_marker_read(c, after, sizeof(after)) != C_OK)
		return C_ERR;
	if (!(j = iam_group_json(&g)))
		return C_ERR;
	json_object_set_new(c->out, "Group", j);
	l.users = json_array();
	json_object_set_new(c->out, "Users", l.users);
	if (store_group_list_users(c->tx, g.group_id, after[0] ? after : NULL, l.limit + 1, add_user, &l) < 0)
		return C_ERR;
	return iam_marker_write(c, l.seen > l.limit, l.last_lc);
}

static int update_group(struct call *c)
{
	const char *new_name = call_str(c, "NewGroupName"), *new_path = call_str(c, "NewPath");
	struct store_group g;
	int rc;

	if (iam_load_group(c, call_str(c, "GroupName"), &g) != C_OK)
		return C_ERR;
	if (!new_name && !new_path)
		return C_OK;
	rc = store_group_update(c->tx, g.group_id, new_name, new_path);
	if (rc == STORE_EXISTS)
		return aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS, "Group with name %s already exists.", new_name);
	return rc == C_OK ? C_OK : C_ERR;
}

static int delete_group(struct call *c)
{
	struct store_group g;
	int64_t n = 0;

	if (iam_load_group(c, call_str(c, "GroupName"), &g) != C_OK)
		return C_ERR;
	if (store_group_member_count(c->tx, g.group_id, &n) != C_OK)
		return C_ERR;
	if (n > 0)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must remove users from group first.");
	if (store_inline_count(c->tx, g.group_id, &n) != C_OK)
		return C_ERR;
	if (n > 0)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must delete policies first.");
	if (store_attachment_count(c->tx, g.group_id, &n) != C_OK)
		return C_ERR;
	if (n > 0)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must detach all policies first.");
	return store_group_delete(c->tx, g.group_id) == C_OK ? C_OK : C_ERR;
}

struct groups_ctx {
	json_t *groups;
	int limit, seen;
	char last_lc[IAM_NAME_MAX * 2 + 1];
};

static int add_group(void *ctx, const struct store_group *g)
{
	struct groups_ctx *l = ctx;
	json_t *j;

	if (l->seen++ >= l->limit)
		return C_OK;
	if (!(j = iam_group_json(g)) || json_array_append_new(l->groups, j) != 0)
		return C_ERR;
	name_key(g->name, l->last_lc, sizeof(l->last_lc));
	return C_OK;
}

static int list_groups(struct call *c)
{
	struct groups_ctx l = {.limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	char after[IAM_NAME_MAX * 2 + 1];

	if (iam_marker_read(c, after, sizeof(after)) != C_OK)
		return C_ERR;
	l.groups = json_array();
	json_object_set_new(c->out, "Groups", l.groups);
	if (store_group_list(c->tx, c->caller.account_id, call_str(c, "PathPrefix"), after[0] ? after : NULL,
	                     l.limit + 1, add_group, &l) < 0)
		return C_ERR;
	return iam_marker_write(c, l.seen > l.limit, l.last_lc);
}

static int add_user_to_group(struct call *c)
{
	struct store_group g;
	struct store_user u;
	int64_t n = 0;

	if (iam_load_group(c, call_str(c, "GroupName"), &g) != C_OK ||
	    iam_load_user(c, call_str(c, "UserName"), &u) != C_OK)
		return C_ERR;
	if (store_user_group_count(c->tx, u.user_id, &n) != C_OK)
		return C_ERR;
	if (store_group_add_user(c->tx, g.group_id, u.user_id, c->now_ms) != C_OK)
		return C_ERR;
	if (n >= GROUPS_PER_USER) {
		/* Adding a user to a group it is already in changes nothing and is not refused. */
		int64_t after = 0;
		if (store_user_group_count(c->tx, u.user_id, &after) != C_OK)
			return C_ERR;
		if (after > n)
			return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for GroupsPerUser: %d",
			                   GROUPS_PER_USER);
	}
	return C_OK;
}

static int remove_user_from_group(struct call *c)
{
	const char *user = call_str(c, "UserName");
	struct store_group g;
	struct store_user u;
	int rc;

	if (iam_load_group(c, call_str(c, "GroupName"), &g) != C_OK || iam_load_user(c, user, &u) != C_OK)
		return C_ERR;
	rc = store_group_remove_user(c->tx, g.group_id, u.user_id);
	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "The user with name %s cannot be found.", user);
	return rc == C_OK ? C_OK : C_ERR;
}

static int list_groups_for_user(struct call *c)
{
	struct groups_ctx l = {.limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	char after[IAM_NAME_MAX * 2 + 1];
	struct store_user u;

	if (iam_load_user(c, call_str(c, "UserName"), &u) != C_OK || iam_marker_read(c, after, sizeof(after)) != C_OK)
		return C_ERR;
	l.groups = json_array();
	json_object_set_new(c->out, "Groups", l.groups);
	if (store_user_list_groups(c->tx, u.user_id, after[0] ? after : NULL, l.limit + 1, add_group, &l) < 0)
		return C_ERR;
	return iam_marker_write(c, l.seen > l.limit, l.last_lc);
}

static const struct action actions[] = {
	{"iam", "CreateGroup", true, resource_new_group, create_group},
	{"iam", "GetGroup", false, iam_resource_group, get_group},
	{"iam", "UpdateGroup", true, iam_resource_group, update_group},
	{"iam", "DeleteGroup", true, iam_resource_group, delete_group},
	{"iam", "ListGroups", false, resource_groups, list_groups},
	{"iam", "AddUserToGroup", true, iam_resource_group, add_user_to_group},
	{"iam", "RemoveUserFromGroup", true, iam_resource_group, remove_user_from_group},
	{"iam", "ListGroupsForUser", false, iam_resource_user, list_groups_for_user},
};

ACTION_TABLE(iam_group_actions, actions);
