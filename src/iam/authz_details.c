/*
 * authz_details.c - GetAccountAuthorizationDetails: every user, group and role of the caller's account with its
 * inline and attached policies, and the managed policies (the account's own, and the AWS-managed ones attached in
 * it) with all their versions. Documents are URL-encoded, as IAM returns them.
 *
 * One listing across five kinds, in this order: users, groups, roles, local policies, AWS-managed policies. The
 * marker holds the kind and the key (lowercased name, for policies "name POLICY_ID") of the last entry returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "iam/iam.h"
#include "util/common.h"

enum kind { K_USER, K_GROUP, K_ROLE, K_LOCAL, K_AWS, K_COUNT };

static const char *const filter_names[K_COUNT] = {"User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"};

#define KEY_MAX (IAM_NAME_MAX * 2 + IAM_ID_MAX + 4)

struct walk {
	struct call *c;
	json_t *users, *groups, *roles, *policies;
	int remaining;  /* entries still to return on this page */
	bool more;      /* one more entry exists past the page */
	enum kind kind; /* the kind being listed */
	char last[KEY_MAX];
};

static void lower_into(const char *s, char *out, size_t cap)
{
	size_t i = 0;

	for (; s[i] && i + 1 < cap; i++)
		out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	out[i] = '\0';
}

/* Whether the page has room for one more entry (else records that there is more). */
static bool room(struct walk *w)
{
	if (w->remaining > 0)
		return true;
	w->more = true;
	return false;
}

/* Adds the list `member` to o, filled by fill (C_ERR leaves o untouched but failed). */
static int with_list(json_t *o, const char *member, json_t **arr)
{
	*arr = json_array();
	return *arr && json_object_set_new(o, member, *arr) == 0 ? C_OK : C_ERR;
}

static int add_group_name(void *ctx, const struct store_group *g)
{
	return json_array_append_new(ctx, json_string(g->name)) == 0 ? C_OK : C_ERR;
}

static int walk_user(void *ctx, const struct store_user *u)
{
	struct walk *w = ctx;
	json_t *o, *arr;

	if (!room(w))
		return C_OK;
	if (!(o = iam_user_json(w->c, u, true)) || json_array_append_new(w->users, o) != 0)
		return C_ERR;
	if (with_list(o, "UserPolicyList", &arr) != C_OK || iam_inline_policies_json(w->c, u->user_id, arr) != C_OK ||
	    with_list(o, "GroupList", &arr) != C_OK ||
	    store_user_list_groups(w->c->tx, u->user_id, NULL, 1000, add_group_name, arr) < 0 ||
	    with_list(o, "AttachedManagedPolicies", &arr) != C_OK ||
	    iam_attached_policies_json(w->c, u->user_id, arr) != C_OK)
		return C_ERR;
	w->remaining--;
	lower_into(u->name, w->last, sizeof(w->last));
	return C_OK;
}

static int walk_group(void *ctx, const struct store_group *g)
{
	struct walk *w = ctx;
	json_t *o, *arr;

	if (!room(w))
		return C_OK;
	if (!(o = iam_group_json(g)) || json_array_append_new(w->groups, o) != 0)
		return C_ERR;
	if (with_list(o, "GroupPolicyList", &arr) != C_OK || iam_inline_policies_json(w->c, g->group_id, arr) != C_OK ||
	    with_list(o, "AttachedManagedPolicies", &arr) != C_OK ||
	    iam_attached_policies_json(w->c, g->group_id, arr) != C_OK)
		return C_ERR;
	w->remaining--;
	lower_into(g->name, w->last, sizeof(w->last));
	return C_OK;
}

static int add_profile(void *ctx, const struct store_instance_profile *p)
{
	struct walk *w = ((void **)ctx)[0];
	json_t *arr = ((void **)ctx)[1], *j = iam_instance_profile_json(w->c, p);

	return j && json_array_append_new(arr, j) == 0 ? C_OK : C_ERR;
}

static int walk_role(void *ctx, const struct store_role *r)
{
	struct walk *w = ctx;
	json_t *o, *arr;
	void *pctx[2];

	if (!room(w))
		return C_OK;
	if (!(o = iam_role_json(w->c, r, true)) || json_array_append_new(w->roles, o) != 0)
		return C_ERR;
	/* MaxSessionDuration and Description are not part of RoleDetail. */
	json_object_del(o, "MaxSessionDuration");
	json_object_del(o, "Description");
	if (with_list(o, "InstanceProfileList", &arr) != C_OK)
		return C_ERR;
	pctx[0] = w;
	pctx[1] = arr;
	if (store_role_profiles(w->c->tx, r->role_id, NULL, 1000, add_profile, pctx) < 0 ||
	    with_list(o, "RolePolicyList", &arr) != C_OK || iam_inline_policies_json(w->c, r->role_id, arr) != C_OK ||
	    with_list(o, "AttachedManagedPolicies", &arr) != C_OK ||
	    iam_attached_policies_json(w->c, r->role_id, arr) != C_OK)
		return C_ERR;
	w->remaining--;
	lower_into(r->name, w->last, sizeof(w->last));
	return C_OK;
}

static int walk_policy(void *ctx, const struct store_managed_policy *p)
{
	struct walk *w = ctx;
	json_t *o, *arr;
	size_t n;

	if (!room(w))
		return C_OK;
	if (!(o = iam_policy_json(w->c, p, IAM_POLICY_LISTED)) || json_array_append_new(w->policies, o) != 0)
		return C_ERR;
	if (p->description[0])
		json_object_set_new(o, "Description", json_string(p->description));
	if (with_list(o, "PolicyVersionList", &arr) != C_OK || iam_policy_versions_json(w->c, p->policy_id, arr) != C_OK)
		return C_ERR;
	w->remaining--;
	lower_into(p->name, w->last, sizeof(w->last));
	n = strlen(w->last);
	snprintf(w->last + n, sizeof(w->last) - n, " %s", p->policy_id);
	return C_OK;
}

/* Lists one kind from `after` (NULL: its start). */
static int walk_kind(struct walk *w, enum kind k, const char *after)
{
	struct call *c = w->c;
	const char *acct = c->caller.account_id;
	int limit = w->remaining + 1;

	/* A page that ends here continues with this kind from its start. */
	w->kind = k;
	w->last[0] = '\0';
	switch (k) {
	case K_USER: return store_user_list(c->tx, acct, NULL, after, limit, walk_user, w) < 0 ? C_ERR : C_OK;
	case K_GROUP: return store_group_list(c->tx, acct, NULL, after, limit, walk_group, w) < 0 ? C_ERR : C_OK;
	case K_ROLE: return store_role_list(c->tx, acct, NULL, after, limit, walk_role, w) < 0 ? C_ERR : C_OK;
	case K_LOCAL:
		return store_managed_list_ex(c->tx, acct, "Local", false, NULL, NULL, after, limit, walk_policy, w) < 0
		           ? C_ERR
		           : C_OK;
	case K_AWS:
		/* The AWS-managed policies in use in this account. */
		return store_managed_list_ex(c->tx, acct, "AWS", true, NULL, NULL, after, limit, walk_policy, w) < 0
		           ? C_ERR
		           : C_OK;
	default: return C_ERR;
	}
}

static int get_account_authorization_details(struct call *c)
{
	struct walk w = {.c = c, .remaining = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	json_t *filter = json_object_get(c->in, "Filter"), *f;
	bool wanted[K_COUNT];
	char marker[KEY_MAX + 8], next[KEY_MAX + 8];
	const char *after = NULL;
	int start = 0;
	size_t i;

	for (int k = 0; k < K_COUNT; k++)
		wanted[k] = json_array_size(filter) == 0;
	json_array_foreach(filter, i, f)
	{
		for (int k = 0; k < K_COUNT; k++)
			if (strcmp(json_string_value(f), filter_names[k]) == 0)
				wanted[k] = true;
	}
	if (iam_marker_read(c, marker, sizeof(marker)) != C_OK)
		return C_ERR;
	if (marker[0]) {
		/* "K:key" */
		if (marker[0] < '0' || marker[0] >= '0' + K_COUNT || marker[1] != ':')
			return aws_err_set(&c->err, ERR_INVALID_INPUT, "Invalid Marker.");
		start = marker[0] - '0';
		after = marker[2] ? marker + 2 : NULL;
	}
	w.users = json_array();
	w.groups = json_array();
	w.roles = json_array();
	w.policies = json_array();
	json_object_set_new(c->out, "UserDetailList", w.users);
	json_object_set_new(c->out, "GroupDetailList", w.groups);
	json_object_set_new(c->out, "RoleDetailList", w.roles);
	json_object_set_new(c->out, "Policies", w.policies);
	if (!w.users || !w.groups || !w.roles || !w.policies)
		return C_ERR;
	for (int k = start; k < K_COUNT && !w.more; k++) {
		if (!wanted[k])
			continue;
		if (walk_kind(&w, (enum kind)k, k == start ? after : NULL) != C_OK)
			return C_ERR;
	}
	snprintf(next, sizeof(next), "%d:%s", (int)w.kind, w.last);
	return iam_marker_write(c, w.more, next);
}

static int resource_account(struct call *c, char *out, size_t cap)
{
	(void)c;
	return snprintf(out, cap, "*") < (int)cap ? C_OK : C_ERR;
}

static const struct action actions[] = {
	{"iam", "GetAccountAuthorizationDetails", false, resource_account, get_account_authorization_details},
};

ACTION_TABLE(iam_authz_details_actions, actions);
