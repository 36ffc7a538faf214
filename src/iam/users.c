/*
 * users.c - IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, TagUser, UntagUser, ListUserTags.
 *
 * Each action: read the validated input -> act on the store (the caller's transaction) -> fill c->out.
 */
#include <stdio.h>
#include <string.h>

#include "aws/arn.h"
#include "aws/ids.h"
#include "iam/iam.h"
#include "store/login.h"
#include "store/mfa.h"
#include "util/common.h"

/* ---- resources ----------------------------------------------------------------------------------------------- */

int iam_resource_user(struct call *c, char *out, size_t cap)
{
	const char *name = call_str(c, "UserName");
	struct store_user u;
	int rc;

	if (!name)
		return snprintf(out, cap, "%s", c->caller.arn) < (int)cap ? C_OK : C_ERR;
	rc = store_user_get(c->tx, c->caller.account_id, name, &u);
	if (rc == C_OK)
		return arn_user(out, cap, u.account_id, u.path, u.name);
	if (rc == STORE_NOT_FOUND)
		return arn_user(out, cap, c->caller.account_id, "/", name);
	return C_ERR;
}

int iam_resource_new_user(struct call *c, char *out, size_t cap)
{
	const char *path = call_str(c, "Path");

	return arn_user(out, cap, c->caller.account_id, path ? path : "/", call_str(c, "UserName"));
}

int iam_resource_users(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "arn:aws:iam::%s:user/", c->caller.account_id) < (int)cap ? C_OK : C_ERR;
}

/* ---- actions ------------------------------------------------------------------------------------------------- */

int iam_create_user(struct call *c)
{
	const char *name = call_str(c, "UserName"), *path = call_str(c, "Path");
	const char *boundary = call_str(c, "PermissionsBoundary");
	json_t *tags = json_object_get(c->in, "Tags"), *user;
	struct store_user u;
	int rc;

	if (boundary && iam_check_boundary(c, boundary) != C_OK)
		return C_ERR;
	if (iam_check_tags(c, tags, NULL, "TagsPerUser") != C_OK)
		return C_ERR;
	memset(&u, 0, sizeof(u));
	id_unique("AIDA", u.user_id);
	snprintf(u.account_id, sizeof(u.account_id), "%s", c->caller.account_id);
	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.path, sizeof(u.path), "%s", path ? path : "/");
	snprintf(u.permissions_boundary, sizeof(u.permissions_boundary), "%s", boundary ? boundary : "");
	u.created_ms = c->now_ms;
	rc = store_user_create(c->tx, &u);
	if (rc == STORE_EXISTS)
		return aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS, "User with name %s already exists.", name);
	if (rc != C_OK || iam_quota_check_after_insert(c, IAM_QUOTA_USERS, STORE_COUNT_USERS) != C_OK ||
	    (tags && iam_put_tags(c, u.user_id, tags) != C_OK))
		return C_ERR;
	user = iam_user_json(c, &u, true);
	if (!user)
		return C_ERR;
	json_object_set_new(c->out, "User", user);
	return C_OK;
}

int iam_get_user(struct call *c)
{
	const char *name = call_str(c, "UserName");
	struct store_user u;
	json_t *user;

	if (!name && c->caller.kind == PRINCIPAL_ROOT) {
		/* The root user: AWS answers with its id, ARN and creation date only. */
		user = json_pack("{s:s, s:s, s:I}", "UserId", c->caller.account_id, "Arn", c->caller.arn, "CreateDate",
		                 (json_int_t)(c->caller.created_ms / 1000));
	} else {
		if (iam_load_named_or_self(c, name, &u) != C_OK)
			return C_ERR;
		user = iam_user_json(c, &u, true);
	}
	if (!user)
		return C_ERR;
	json_object_set_new(c->out, "User", user);
	return C_OK;
}

struct list_ctx {
	struct call *c;
	json_t *users;
	int limit;
	int seen;
	char last_lc[IAM_NAME_MAX + 1];
};

static int list_one(void *ctx, const struct store_user *u)
{
	struct list_ctx *l = ctx;
	json_t *j;

	if (l->seen++ >= l->limit)
		return C_OK; /* the extra row only tells that there is more */
	j = iam_user_json(l->c, u, false);
	if (!j || json_array_append_new(l->users, j) != 0)
		return C_ERR;
	for (size_t i = 0; i <= strlen(u->name); i++)
		l->last_lc[i] = (char)((u->name[i] >= 'A' && u->name[i] <= 'Z') ? u->name[i] + 32 : u->name[i]);
	return C_OK;
}

int iam_list_users(struct call *c)
{
	struct list_ctx l = {.c = c, .limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	char after[IAM_NAME_MAX + 1];

	if (iam_marker_read(c, after, sizeof(after)) != C_OK)
		return C_ERR;
	l.users = json_array();
	json_object_set_new(c->out, "Users", l.users);
	if (store_user_list(c->tx, c->caller.account_id, call_str(c, "PathPrefix"), after[0] ? after : NULL,
	                    l.limit + 1, list_one, &l) < 0)
		return C_ERR;
	return iam_marker_write(c, l.seen > l.limit, l.last_lc);
}

int iam_update_user(struct call *c)
{
	const char *name = call_str(c, "UserName"), *new_name = call_str(c, "NewUserName");
	const char *new_path = call_str(c, "NewPath");
	struct store_user u;
	int rc;

	if (iam_load_user(c, name, &u) != C_OK)
		return C_ERR;
	if (!new_name && !new_path)
		return C_OK;
	rc = store_user_update(c->tx, u.user_id, new_name, new_path);
	if (rc == STORE_EXISTS)
		return aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS, "User with name %s already exists.", new_name);
	return rc == C_OK ? C_OK : C_ERR;
}

/* AWS refuses to delete a user who still has a login profile or an MFA device. */
static int user_credentials_conflict(struct call *c, const struct store_user *u)
{
	struct store_login_profile lp;
	int64_t devices = 0;
	int rc = store_login_get(c->tx, u->user_id, &lp);

	explicit_bzero(&lp, sizeof(lp));
	if (rc == C_OK)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must delete login profile first.");
	if (rc != STORE_NOT_FOUND || store_mfa_count_owner(c->tx, u->account_id, u->user_id, &devices) != C_OK)
		return C_ERR;
	if (devices > 0)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must delete MFA device first.");
	return C_OK;
}

int iam_delete_user(struct call *c)
{
	const char *name = call_str(c, "UserName");
	struct store_user u;
	int64_t keys = 0;

	if (iam_load_user(c, name, &u) != C_OK)
		return C_ERR;
	if (store_key_count(c->tx, u.account_id, u.user_id, &keys) != C_OK)
		return C_ERR;
	if (keys > 0)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must delete access keys first.");
	if (user_credentials_conflict(c, &u) != C_OK || iam_user_delete_conflicts(c, &u) != C_OK)
		return C_ERR;
	if (store_tag_delete_all(c->tx, u.user_id) != C_OK || store_user_delete(c->tx, u.user_id) != C_OK)
		return C_ERR;
	return C_OK;
}

int iam_tag_user(struct call *c)
{
	struct store_user u;
	json_t *tags = json_object_get(c->in, "Tags");

	if (iam_load_user(c, call_str(c, "UserName"), &u) != C_OK)
		return C_ERR;
	if (iam_check_tags(c, tags, u.user_id, "TagsPerUser") != C_OK)
		return C_ERR;
	return iam_put_tags(c, u.user_id, tags);
}

int iam_untag_user(struct call *c)
{
	struct store_user u;

	if (iam_load_user(c, call_str(c, "UserName"), &u) != C_OK)
		return C_ERR;
	return iam_untag(c, u.user_id);
}

int iam_list_user_tags(struct call *c)
{
	struct store_user u;

	if (iam_load_user(c, call_str(c, "UserName"), &u) != C_OK)
		return C_ERR;
	return iam_list_tags_page(c, u.user_id);
}

static const struct action actions[] = {
	{"iam", "CreateUser", true, iam_resource_new_user, iam_create_user},
	{"iam", "GetUser", false, iam_resource_user, iam_get_user},
	{"iam", "ListUsers", false, iam_resource_users, iam_list_users},
	{"iam", "UpdateUser", true, iam_resource_user, iam_update_user},
	{"iam", "DeleteUser", true, iam_resource_user, iam_delete_user},
	{"iam", "TagUser", true, iam_resource_user, iam_tag_user},
	{"iam", "UntagUser", true, iam_resource_user, iam_untag_user},
	{"iam", "ListUserTags", false, iam_resource_user, iam_list_user_tags},
};

ACTION_TABLE(iam_user_actions, actions);
