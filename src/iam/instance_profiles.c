/*
 * instance_profiles.c - IAM instance profiles: CreateInstanceProfile, GetInstanceProfile, DeleteInstanceProfile,
 * AddRoleToInstanceProfile, RemoveRoleFromInstanceProfile, ListInstanceProfiles, ListInstanceProfilesForRole.
 *
 * rolegate runs no instances; profiles exist because Terraform (and other tools) manage them beside roles and list
 * them when they delete a role. A profile holds at most one role, as on AWS.
 */
#include <stdio.h>
#include <string.h>

#include "aws/arn.h"
#include "aws/ids.h"
#include "iam/iam.h"
#include "util/common.h"

#define ROLES_PER_PROFILE 1
#define TAGS_PER_PROFILE 50

static int load_profile(struct call *c, const char *name, struct store_instance_profile *p)
{
	int rc = store_profile_get(c->tx, c->caller.account_id, name, p);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "Instance Profile %s cannot be found.", name);
	return rc == C_OK ? C_OK : C_ERR;
}

struct roles_ctx {
	struct call *c;
	json_t *roles;
};

static int add_role(void *ctx, const struct store_role *r)
{
	struct roles_ctx *l = ctx;
	json_t *j = iam_role_json(l->c, r, false);

	return j && json_array_append_new(l->roles, j) == 0 ? C_OK : C_ERR;
}

json_t *iam_instance_profile_json(struct call *c, const struct store_instance_profile *p)
{
	char arn[ARN_MAX + 1];
	struct roles_ctx l = {.c = c};
	json_t *o, *tags;

	if (arn_instance_profile(arn, sizeof(arn), p->account_id, p->path, p->name) != C_OK)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:[]}", "Path", p->path, "InstanceProfileName", p->name,
	              "InstanceProfileId", p->profile_id, "Arn", arn, "CreateDate", (json_int_t)(p->created_ms / 1000),
	              "Roles");
	if (!o)
		return NULL;
	l.roles = json_object_get(o, "Roles");
	tags = json_array();
	if (!tags || store_profile_roles(c->tx, p->profile_id, add_role, &l) < 0 ||
	    iam_tags_json(c, p->profile_id, 0, TAGS_PER_PROFILE, tags) != C_OK) {
		json_decref(tags);
		json_decref(o);
		return NULL;
	}
	if (json_array_size(tags))
		json_object_set_new(o, "Tags", tags);
	else
		json_decref(tags);
	return o;
}

/* ---- resources ----------------------------------------------------------------------------------------------- */

static int resource_profile(struct call *c, char *out, size_t cap)
{
	const char *name = call_str(c, "InstanceProfileName"), *path = call_str(c, "Path");
	struct store_instance_profile p;
	int rc = store_profile_get(c->tx, c->caller.account_id, name, &p);

	if (rc == C_OK)
		return arn_instance_profile(out, cap, p.account_id, p.path, p.name);
	if (rc == STORE_NOT_FOUND)
		return arn_instance_profile(out, cap, c->caller.account_id, path ? path : "/", name);
	return C_ERR;
}

static int resource_profiles(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "arn:aws:iam::%s:instance-profile/", c->caller.account_id) < (int)cap ? C_OK : C_ERR;
}

/* ---- actions ------------------------------------------------------------------------------------------------- */

static int create_profile(struct call *c)
{
	const char *name = call_str(c, "InstanceProfileName"), *path = call_str(c, "Path");
	json_t *tags = json_object_get(c->in, "Tags"), *j;
	struct store_instance_profile p;
	int rc;

	if (iam_check_tags(c, tags, NULL, "TagsPerInstanceProfile") != C_OK)
		return C_ERR;
	memset(&p, 0, sizeof(p));
	id_unique("AIPA", p.profile_id);
	snprintf(p.account_id, sizeof(p.account_id), "%s", c->caller.account_id);
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.path, sizeof(p.path), "%s", path ? path : "/");
	p.created_ms = c->now_ms;
	rc = store_profile_create(c->tx, &p);
	if (rc == STORE_EXISTS)
		return aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS, "Instance Profile %s already exists.", name);
	if (rc != C_OK ||
	    iam_quota_check_after_insert(c, IAM_QUOTA_INSTANCE_PROFILES, STORE_COUNT_INSTANCE_PROFILES) != C_OK ||
	    (tags && iam_put_tags(c, p.profile_id, tags) != C_OK))
		return C_ERR;
	if (!(j = iam_instance_profile_json(c, &p)))
		return C_ERR;
	json_object_set_new(c->out, "InstanceProfile", j);
	return C_OK;
}

static int get_profile(struct call *c)
{
	struct store_instance_profile p;
	json_t *j;

	if (load_profile(c, call_str(c, "InstanceProfileName"), &p) != C_OK || !(j = iam_instance_profile_json(c, &p)))
		return C_ERR;
	json_object_set_new(c->out, "InstanceProfile", j);
	return C_OK;
}

static int delete_profile(struct call *c)
{
	struct store_instance_profile p;
	int64_t n = 0;

	if (load_profile(c, call_str(c, "InstanceProfileName"), &p) != C_OK)
		return C_ERR;
	if (store_profile_role_count(c->tx, p.profile_id, &n) != C_OK)
		return C_ERR;
	if (n > 0)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT,
		                   "Cannot delete entity, must remove roles from instance profile first.");
	if (store_tag_delete_all(c->tx, p.profile_id) != C_OK || store_profile_delete(c->tx, p.profile_id) != C_OK)
		return C_ERR;
	return C_OK;
}

static int add_role_to_profile(struct call *c)
{
	struct store_instance_profile p;
	struct store_role r;
	int64_t n = 0;
	int rc = C_ERR;

	if (load_profile(c, call_str(c, "InstanceProfileName"), &p) != C_OK ||
	    iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	if (store_profile_role_count(c->tx, p.profile_id, &n) != C_OK)
		goto done;
	if (n >= ROLES_PER_PROFILE) {
		aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d",
		            ROLES_PER_PROFILE);
		goto done;
	}
	rc = store_profile_add_role(c->tx, p.profile_id, r.role_id) == C_OK ? C_OK : C_ERR;
done:
	store_role_clear(&r);
	return rc;
}

static int remove_role_from_profile(struct call *c)
{
	const char *role = call_str(c, "RoleName");
	struct store_instance_profile p;
	struct store_role r;
	int rc;

	if (load_profile(c, call_str(c, "InstanceProfileName"), &p) != C_OK || iam_load_role(c, role, &r) != C_OK)
		return C_ERR;
	rc = store_profile_remove_role(c->tx, p.profile_id, r.role_id);
	store_role_clear(&r);
	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "The role with name %s cannot be found.", role);
	return rc == C_OK ? C_OK : C_ERR;
}

struct list_ctx {
	struct call *c;
	json_t *profiles;
	int limit, seen;
	char last_lc[130];
};

static int list_one(void *ctx, const struct store_instance_profile *p)
{
	struct list_ctx *l = ctx;
	json_t *j;
	size_t i;

	if (l->seen++ >= l->limit)
		return C_OK;
	if (!(j = iam_instance_profile_json(l->c, p)) || json_array_append_new(l->profiles, j) != 0)
		return C_ERR;
	/* ListInstanceProfiles does not return tags (AWS: list operations return a subset of the attributes). */
	json_object_del(j, "Tags");
	for (i = 0; p->name[i] && i + 1 < sizeof(l->last_lc); i++)
		l->last_lc[i] = (char)((p->name[i] >= 'A' && p->name[i] <= 'Z') ? p->name[i] + 32 : p->name[i]);
	l->last_lc[i] = '\0';
	return C_OK;
}

static int list_profiles(struct call *c)
{
	struct list_ctx l = {.c = c, .limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	char after[130];

	if (iam_marker_read(c, after, sizeof(after)) != C_OK)
		return C_ERR;
	l.profiles = json_array();
	json_object_set_new(c->out, "InstanceProfiles", l.profiles);
	if (store_profile_list(c->tx, c->caller.account_id, call_str(c, "PathPrefix"), after[0] ? after : NULL,
	                       l.limit + 1, list_one, &l) < 0)
		return C_ERR;
	return iam_marker_write(c, l.seen > l.limit, l.last_lc);
}

static int list_profiles_for_role(struct call *c)
{
	struct list_ctx l = {.c = c, .limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	char after[130];
	struct store_role r;
	int rc;

	if (iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	store_role_clear(&r);
	if (iam_marker_read(c, after, sizeof(after)) != C_OK)
		return C_ERR;
	l.profiles = json_array();
	json_object_set_new(c->out, "InstanceProfiles", l.profiles);
	rc = store_role_profiles(c->tx, r.role_id, after[0] ? after : NULL, l.limit + 1, list_one, &l);
	if (rc < 0)
		return C_ERR;
	return iam_marker_write(c, l.seen > l.limit, l.last_lc);
}

static const struct action actions[] = {
	{"iam", "CreateInstanceProfile", true, resource_profile, create_profile},
	{"iam", "GetInstanceProfile", false, resource_profile, get_profile},
	{"iam", "DeleteInstanceProfile", true, resource_profile, delete_profile},
	{"iam", "AddRoleToInstanceProfile", true, resource_profile, add_role_to_profile},
	{"iam", "RemoveRoleFromInstanceProfile", true, resource_profile, remove_role_from_profile},
	{"iam", "ListInstanceProfiles", false, resource_profiles, list_profiles},
	{"iam", "ListInstanceProfilesForRole", false, iam_resource_role, list_profiles_for_role},
};

ACTION_TABLE(iam_instance_profile_actions, actions);
