/*
 * roles.c - IAM roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy,
 * DeleteRole, TagRole, UntagRole, ListRoleTags.
 *
 * A role's trust policy (AssumeRolePolicyDocument) is validated by the policy engine as a trust policy, must stay
 * within IAM's ACLSizePerRole quota, and may name as AWS principals only accounts, users and roles that exist
 * here, as IAM refuses principals it cannot resolve ("Invalid principal in policy"). It is stored with the users and
 * roles it names replaced by their unique ids and shown with their current ARNs (iam/principal_ids.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "aws/ids.h"
#include "iam/iam.h"
#include "iam/principal_ids.h"
#include "util/common.h"

#define TRUST_POLICY_SIZE_MAX 2048
#define TAGS_PER_ROLE 50

/* ---- shared -------------------------------------------------------------------------------------------------- */

int iam_load_role(struct call *c, const char *name, struct store_role *r)
{
	int rc = store_role_get(c->tx, c->caller.account_id, name, r);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "The role with name %s cannot be found.", name);
	return rc == C_OK ? C_OK : C_ERR;
}

json_t *iam_role_json(struct call *c, const struct store_role *r, bool with_details)
{
	char arn[ARN_MAX + 1], *trust = NULL;
	json_t *o;

	if (arn_role(arn, sizeof(arn), r->account_id, r->path, r->name) != C_OK)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "Path", r->path, "RoleName", r->name, "RoleId", r->role_id,
	              "Arn", arn, "CreateDate", (json_int_t)(r->created_ms / 1000), "MaxSessionDuration",
	              (json_int_t)r->max_session_s);
	/* The trust policy as IAM shows it: the current ARN of each user or role it names, the id of one deleted. */
	if (!o || iam_trust_policy_shown(c, r->trust_policy ? r->trust_policy : "", &trust) != C_OK ||
	    iam_set_document(o, "AssumeRolePolicyDocument", trust) != C_OK)
		goto fail;
	free(trust);
	trust = NULL;
	if (r->description[0])
		json_object_set_new(o, "Description", json_string(r->description));
	if (with_details) {
		json_t *tags = json_array(), *used;
		if (r->permissions_boundary[0])
			json_object_set_new(o, "PermissionsBoundary",
			                    json_pack("{s:s, s:s}", "PermissionsBoundaryType", "PermissionsBoundaryPolicy",
			                              "PermissionsBoundaryArn", r->permissions_boundary));
		if (!tags || iam_tags_json(c, r->role_id, 0, TAGS_PER_ROLE, tags) != C_OK) {
			json_decref(tags);
			goto fail;
		}
		if (json_array_size(tags))
			json_object_set_new(o, "Tags", tags);
		else
			json_decref(tags);
		/* AWS answers an empty RoleLastUsed for a role never used. */
		used = r->last_used_ms ? json_pack("{s:I, s:s}", "LastUsedDate", (json_int_t)(r->last_used_ms / 1000),
		                                   "Region", r->last_used_region)
		                       : json_object();
		if (!used)
			goto fail;
		json_object_set_new(o, "RoleLastUsed", used);
	}
	return o;
fail:
	free(trust);
	json_decref(o);
	return NULL;
}

/* ---- trust policies ------------------------------------------------------------------------------------------ */

/* Validates a trust policy (the engine's rules, the size quota, principals that exist) and gives the text to store
 * in *stored (the caller frees it): users and roles named by their unique ids (iam/principal_ids.h). */
static int check_trust_policy(struct call *c, const char *doc, char **stored)
{
	*stored = NULL;
	if (iam_policy_validate(c, doc, POLICY_TRUST) != C_OK)
		return C_ERR;
	if (iam_policy_size(doc) > TRUST_POLICY_SIZE_MAX)
		return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for ACLSizePerRole: %d",
		                   TRUST_POLICY_SIZE_MAX);
	return iam_trust_policy_stored(c, doc, stored);
}

/* ---- resources ----------------------------------------------------------------------------------------------- */

int iam_resource_role(struct call *c, char *out, size_t cap)
{
	const char *name = call_str(c, "RoleName");
	struct store_role r;
	int rc = store_role_get(c->tx, c->caller.account_id, name, &r);

	if (rc == C_OK) {
		rc = arn_role(out, cap, r.account_id, r.path, r.name);
		store_role_clear(&r);
		return rc;
	}
	if (rc == STORE_NOT_FOUND)
		return arn_role(out, cap, c->caller.account_id, "/", name);
	return C_ERR;
}

static int resource_new_role(struct call *c, char *out, size_t cap)
{
	const char *path = call_str(c, "Path");

	return arn_role(out, cap, c->caller.account_id, path ? path : "/", call_str(c, "RoleName"));
}

static int resource_roles(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "arn:aws:iam::%s:role/", c->caller.account_id) < (int)cap ? C_OK : C_ERR;
}

/* ---- actions ------------------------------------------------------------------------------------------------- */

static int create_role(struct call *c)
{
	const char *name = call_str(c, "RoleName"), *path = call_str(c, "Path");
	const char *doc = call_str(c, "AssumeRolePolicyDocument"), *description = call_str(c, "Description");
	const char *boundary = call_str(c, "PermissionsBoundary");
	json_t *tags = json_object_get(c->in, "Tags"), *j = NULL;
	struct store_role r;
	char *stored = NULL;
	int rc;

	if (check_trust_policy(c, doc, &stored) != C_OK || (boundary && iam_check_boundary(c, boundary) != C_OK) ||
	    iam_check_tags(c, tags, NULL, "TagsPerRole") != C_OK) {
		free(stored);
		return C_ERR;
	}
	memset(&r, 0, sizeof(r));
	id_unique("AROA", r.role_id);
	snprintf(r.account_id, sizeof(r.account_id), "%s", c->caller.account_id);
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.path, sizeof(r.path), "%s", path ? path : "/");
	snprintf(r.description, sizeof(r.description), "%s", description ? description : "");
	snprintf(r.permissions_boundary, sizeof(r.permissions_boundary), "%s", boundary ? boundary : "");
	r.trust_policy = stored; /* owned here: freed below, r is not cleared */
	r.max_session_s = call_int(c, "MaxSessionDuration", 3600);
	r.created_ms = c->now_ms;
	rc = store_role_create(c->tx, &r);
	if (rc == STORE_EXISTS)
		rc = aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS, "Role with name %s already exists.", name);
	else if (rc != C_OK || iam_quota_check_after_insert(c, IAM_QUOTA_ROLES, STORE_COUNT_ROLES) != C_OK ||
	         (tags && iam_put_tags(c, r.role_id, tags) != C_OK) || !(j = iam_role_json(c, &r, true)))
		rc = C_ERR;
	free(stored);
	if (rc != C_OK)
		return C_ERR;
	/* CreateRole's answer has no RoleLastUsed. */
	json_object_del(j, "RoleLastUsed");
	json_object_set_new(c->out, "Role", j);
	return C_OK;
}

static int get_role(struct call *c)
{
	struct store_role r;
	json_t *j;

	if (iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	j = iam_role_json(c, &r, true);
	store_role_clear(&r);
	if (!j)
		return C_ERR;
	json_object_set_new(c->out, "Role", j);
	return C_OK;
}

struct list_ctx {
	struct call *c;
	json_t *roles;
	int limit, seen;
	char last_lc[IAM_NAME_MAX + 1];
};

static int list_one(void *ctx, const struct store_role *r)
{
	struct list_ctx *l = ctx;
	json_t *j;
	size_t i;

	if (l->seen++ >= l->limit)
		return C_OK;
	if (!(j = iam_role_json(l->c, r, false)) || json_array_append_new(l->roles, j) != 0)
		return C_ERR;
	for (i = 0; r->name[i] && i + 1 < sizeof(l->last_lc); i++)
		l->last_lc[i] = (char)((r->name[i] >= 'A' && r->name[i] <= 'Z') ? r->name[i] + 32 : r->name[i]);
	l->last_lc[i] = '\0';
	return C_OK;
}

static int list_roles(struct call *c)
{
	struct list_ctx l = {.c = c, .limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	char after[IAM_NAME_MAX + 1];

	if (iam_marker_read(c, after, sizeof(after)) != C_OK)
		return C_ERR;
	l.roles = json_array();
	json_object_set_new(c->out, "Roles", l.roles);
	if (store_role_list(c->tx, c->caller.account_id, call_str(c, "PathPrefix"), after[0] ? after : NULL,
	                    l.limit + 1, list_one, &l) < 0)
		return C_ERR;
	return iam_marker_write(c, l.seen > l.limit, l.last_lc);
}

static int update_role(struct call *c)
{
	const char *description = call_str(c, "Description");
	struct store_role r;
	int rc;

	if (iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	if (description)
		snprintf(r.description, sizeof(r.description), "%s", description);
	r.max_session_s = call_int(c, "MaxSessionDuration", r.max_session_s);
	rc = store_role_update(c->tx, &r) == C_OK ? C_OK : C_ERR;
	store_role_clear(&r);
	return rc;
}

static int update_role_description(struct call *c)
{
	struct store_role r;
	json_t *j = NULL;
	int rc;

	if (iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	snprintf(r.description, sizeof(r.description), "%s", call_str(c, "Description"));
	rc = store_role_update(c->tx, &r) == C_OK ? C_OK : C_ERR;
	if (rc == C_OK && !(j = iam_role_json(c, &r, true)))
		rc = C_ERR;
	store_role_clear(&r);
	if (rc == C_OK)
		json_object_set_new(c->out, "Role", j);
	return rc;
}

static int update_assume_role_policy(struct call *c)
{
	const char *doc = call_str(c, "PolicyDocument");
	struct store_role r;
	char *stored = NULL;
	int rc;

	if (iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	rc = check_trust_policy(c, doc, &stored);
	if (rc == C_OK) {
		free(r.trust_policy);
		r.trust_policy = stored; /* now r's: store_role_clear frees it */
		rc = store_role_update(c->tx, &r) == C_OK ? C_OK : C_ERR;
	} else {
		free(stored);
	}
	store_role_clear(&r);
	return rc;
}

static int delete_role(struct call *c)
{
	struct store_role r;
	int64_t n = 0;
	int rc = C_ERR;

	if (iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	if (store_role_profile_count(c->tx, r.role_id, &n) != C_OK)
		goto done;
	if (n > 0) {
		aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must remove roles from instance profile first.");
		goto done;
	}
	if (store_inline_count(c->tx, r.role_id, &n) != C_OK)
		goto done;
	if (n > 0) {
		aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must delete policies first.");
		goto done;
	}
	if (store_attachment_count(c->tx, r.role_id, &n) != C_OK)
		goto done;
	if (n > 0) {
		aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must detach all policies first.");
		goto done;
	}
	if (store_tag_delete_all(c->tx, r.role_id) != C_OK || store_role_delete(c->tx, r.role_id) != C_OK)
		goto done;
	rc = C_OK;
done:
	store_role_clear(&r);
	return rc;
}

static int tag_role(struct call *c)
{
	struct store_role r;
	json_t *tags = json_object_get(c->in, "Tags");
	int rc;

	if (iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	rc = iam_check_tags(c, tags, r.role_id, "TagsPerRole");
	if (rc == C_OK)
		rc = iam_put_tags(c, r.role_id, tags);
	store_role_clear(&r);
	return rc;
}

static int untag_role(struct call *c)
{
	struct store_role r;
	int rc;

	if (iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	rc = iam_untag(c, r.role_id);
	store_role_clear(&r);
	return rc;
}

static int list_role_tags(struct call *c)
{
	struct store_role r;
	int rc;

	if (iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	rc = iam_list_tags_page(c, r.role_id);
	store_role_clear(&r);
	return rc;
}

static const struct action actions[] = {
	{"iam", "CreateRole", true, resource_new_role, create_role},
	{"iam", "GetRole", false, iam_resource_role, get_role},
	{"iam", "ListRoles", false, resource_roles, list_roles},
	{"iam", "UpdateRole", true, iam_resource_role, update_role},
	{"iam", "UpdateRoleDescription", true, iam_resource_role, update_role_description},
	{"iam", "UpdateAssumeRolePolicy", true, iam_resource_role, update_assume_role_policy},
	{"iam", "DeleteRole", true, iam_resource_role, delete_role},
	{"iam", "TagRole", true, iam_resource_role, tag_role},
	{"iam", "UntagRole", true, iam_resource_role, untag_role},
	{"iam", "ListRoleTags", false, iam_resource_role, list_role_tags},
};

ACTION_TABLE(iam_role_actions, actions);
