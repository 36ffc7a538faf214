/*
 * views_iam.c - the account's users and groups: /console/iam/users[/NAME], /console/iam/groups[/NAME].
 *
 * Each page is a handful of IAM calls made through console_call() as the active identity (ListUsers, GetUser,
 * ListGroupsForUser, ListAttachedUserPolicies, ListUserPolicies + GetUserPolicy, ListAccessKeys, ListMFADevices,
 * GetLoginProfile; ListGroups, GetGroup, ...): the first one decides the page (a refusal is the page, with AWS's
 * status and text); a later one the identity may not make shows AWS's error in its section. Access keys are shown
 * by id only: the API never returns a secret after CreateAccessKey, and neither does the console.
 */
#include <stdio.h>
#include <string.h>

#include "console/page.h"
#include "console/routes.h"
#include "console/views.h"
#include "util/common.h"

/* ---- shared with groups and roles: a principal's policies ---------------------------------------------------- */

/* The managed policies attached to a user, group or role (op: ListAttached{User,Group,Role}Policies; member: the
 * input's name member, e.g. "UserName"). */
static void attached_policies(struct console_req *cr, const char *op, const char *member, const char *name)
{
	json_t *in = json_pack("{s:s, s:i}", member, name, "MaxItems", VIEWS_PAGE_ITEMS), *out = NULL, *p;
	struct aws_err err;
	size_t i;

	buf_puts(cr->html, "<section aria-labelledby=\"attached\"><h2 id=\"attached\">Attached managed policies</h2>\n");
	if (console_call(cr, "iam", op, in, &out, &err) != C_OK) {
		views_section_error(cr, &err, false);
	} else if (json_array_size(json_object_get(out, "AttachedPolicies")) == 0) {
		buf_puts(cr->html, "<p>None.</p>\n");
	} else {
		buf_puts(cr->html, "<ul class=\"attached-policies\">\n");
		json_array_foreach(json_object_get(out, "AttachedPolicies"), i, p)
		{
			buf_puts(cr->html, "<li>");
			views_link(cr->html, "/console/iam/policies/", json_string_value(json_object_get(p, "PolicyArn")),
			           json_string_value(json_object_get(p, "PolicyName")));
			buf_puts(cr->html, "</li>\n");
		}
		buf_puts(cr->html, "</ul>\n");
		if (json_is_true(json_object_get(out, "IsTruncated")))
			html_printf(cr->html, "<p>Only the first %d are shown.</p>\n", VIEWS_PAGE_ITEMS);
	}
	buf_puts(cr->html, "</section>\n");
	json_decref(in);
	json_decref(out);
}

/* The inline policies of a user, group or role, each document shown and checked (list_op: List{X}Policies, get_op:
 * Get{X}Policy). At most VIEWS_PAGE_ITEMS documents. */
static void inline_policies(struct console_req *cr, const char *list_op, const char *get_op, const char *member,
                            const char *name)
{
	json_t *in = json_pack("{s:s, s:i}", member, name, "MaxItems", VIEWS_PAGE_ITEMS), *out = NULL, *pn;
	struct aws_err err;
	size_t i;

	buf_puts(cr->html, "<section aria-labelledby=\"inline\"><h2 id=\"inline\">Inline policies</h2>\n");
	if (console_call(cr, "iam", list_op, in, &out, &err) != C_OK) {
		views_section_error(cr, &err, false);
	} else if (json_array_size(json_object_get(out, "PolicyNames")) == 0) {
		buf_puts(cr->html, "<p>None.</p>\n");
	} else {
		json_array_foreach(json_object_get(out, "PolicyNames"), i, pn)
		{
			json_t *gin = json_pack("{s:s, s:O}", member, name, "PolicyName", pn), *gout = NULL;
			html_printf(cr->html, "<h3 class=\"inline-policy\">%s</h3>\n", json_string_value(pn));
			if (console_call(cr, "iam", get_op, gin, &gout, &err) != C_OK)
				views_section_error(cr, &err, false);
			else
				views_policy_document(cr, json_string_value(json_object_get(gout, "PolicyDocument")), true,
				                      POLICY_IDENTITY, 4); /* below the policy's <h3> */
			json_decref(gin);
			json_decref(gout);
		}
	}
	buf_puts(cr->html, "</section>\n");
	json_decref(in);
	json_decref(out);
}

void views_principal_policies(struct console_req *cr, const char *kind, const char *name)
{
	char attached[48], list[48], get[48], member[16];

	snprintf(attached, sizeof(attached), "ListAttached%sPolicies", kind);
	snprintf(list, sizeof(list), "List%sPolicies", kind);
	snprintf(get, sizeof(get), "Get%sPolicy", kind);
	snprintf(member, sizeof(member), "%sName", kind);
	attached_policies(cr, attached, member, name);
	inline_policies(cr, list, get, member, name);
}

/* ---- users --------------------------------------------------------------------------------------------------- */

void console_iam_users(struct console_req *cr)
{
	const char *marker = views_marker(cr);
	json_t *in = json_pack("{s:i}", "MaxItems", VIEWS_PAGE_ITEMS), *out = NULL, *u;
	struct aws_err err;
	size_t i;

	if (marker)
		json_object_set_new(in, "Marker", json_string(marker));
	if (console_call(cr, "iam", "ListUsers", in, &out, &err) != C_OK) {
		page_aws_error(cr, &err);
		goto done;
	}
	page_begin(cr, "Users");
	buf_puts(cr->html, "<table class=\"list\" id=\"users\"><caption>IAM users of the account</caption>\n"
	                   "<thead><tr><th scope=\"col\">User name</th><th scope=\"col\">Path</th>"
	                   "<th scope=\"col\">Created</th><th scope=\"col\">Password last used</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(out, "Users"), i, u)
	{
		const char *name = json_string_value(json_object_get(u, "UserName"));
		buf_puts(cr->html, "<tr><th scope=\"row\">");
		views_link(cr->html, "/console/iam/users/", name, name);
		html_printf(cr->html, "</th><td>%s</td><td>", json_string_value(json_object_get(u, "Path")));
		views_date(cr->html, json_object_get(u, "CreateDate"));
		buf_puts(cr->html, "</td><td>");
		views_date(cr->html, json_object_get(u, "PasswordLastUsed"));
		buf_puts(cr->html, "</td></tr>\n");
	}
	buf_puts(cr->html, "</tbody></table>\n");
	if (json_array_size(json_object_get(out, "Users")) == 0)
		buf_puts(cr->html, "<p>No users.</p>\n");
	views_next_link(cr, "/console/iam/users", "", out, "Marker");
	page_end(cr);
done:
	json_decref(in);
	json_decref(out);
}

static void user_groups(struct console_req *cr, const char *name)
{
	json_t *in = json_pack("{s:s, s:i}", "UserName", name, "MaxItems", VIEWS_PAGE_ITEMS), *out = NULL, *g;
	struct aws_err err;
	size_t i;

	buf_puts(cr->html, "<section aria-labelledby=\"groups\"><h2 id=\"groups\">Groups</h2>\n");
	if (console_call(cr, "iam", "ListGroupsForUser", in, &out, &err) != C_OK) {
		views_section_error(cr, &err, false);
	} else if (json_array_size(json_object_get(out, "Groups")) == 0) {
		buf_puts(cr->html, "<p>None.</p>\n");
	} else {
		buf_puts(cr->html, "<ul class=\"user-groups\">\n");
		json_array_foreach(json_object_get(out, "Groups"), i, g)
		{
			const char *gname = json_string_value(json_object_get(g, "GroupName"));
			buf_puts(cr->html, "<li>");
			views_link(cr->html, "/console/iam/groups/", gname, gname);
			buf_puts(cr->html, "</li>\n");
		}
		buf_puts(cr->html, "</ul>\n");
	}
	buf_puts(cr->html, "</section>\n");
	json_decref(in);
	json_decref(out);
}

/* Access keys: id, status, created. Never a secret (the API returns none). */
static void user_keys(struct console_req *cr, const char *name)
{
	json_t *in = json_pack("{s:s, s:i}", "UserName", name, "MaxItems", VIEWS_PAGE_ITEMS), *out = NULL, *k;
	struct aws_err err;
	size_t i;

	buf_puts(cr->html, "<section aria-labelledby=\"keys\"><h2 id=\"keys\">Access keys</h2>\n");
	if (console_call(cr, "iam", "ListAccessKeys", in, &out, &err) != C_OK) {
		views_section_error(cr, &err, false);
	} else if (json_array_size(json_object_get(out, "AccessKeyMetadata")) == 0) {
		buf_puts(cr->html, "<p>None.</p>\n");
	} else {
		buf_puts(cr->html, "<table class=\"list\" id=\"access-keys\" aria-labelledby=\"keys\"><thead><tr>"
		                   "<th scope=\"col\">Access key ID</th><th scope=\"col\">Status</th>"
		                   "<th scope=\"col\">Created</th></tr></thead><tbody>\n");
		json_array_foreach(json_object_get(out, "AccessKeyMetadata"), i, k)
		{
			html_printf(cr->html, "<tr><td><code>%s</code></td><td>%s</td><td>",
			            json_string_value(json_object_get(k, "AccessKeyId")),
			            json_string_value(json_object_get(k, "Status")));
			views_date(cr->html, json_object_get(k, "CreateDate"));
			buf_puts(cr->html, "</td></tr>\n");
		}
		buf_puts(cr->html, "</tbody></table>\n");
	}
	buf_puts(cr->html, "</section>\n");
	json_decref(in);
	json_decref(out);
}

static void user_mfa(struct console_req *cr, const char *name)
{
	json_t *in = json_pack("{s:s, s:i}", "UserName", name, "MaxItems", VIEWS_PAGE_ITEMS), *out = NULL, *d;
	struct aws_err err;
	size_t i;

	buf_puts(cr->html, "<section aria-labelledby=\"mfa\"><h2 id=\"mfa\">MFA devices</h2>\n");
	if (console_call(cr, "iam", "ListMFADevices", in, &out, &err) != C_OK) {
		views_section_error(cr, &err, false);
	} else if (json_array_size(json_object_get(out, "MFADevices")) == 0) {
		buf_puts(cr->html, "<p>None.</p>\n");
	} else {
		buf_puts(cr->html, "<ul class=\"mfa-devices\">\n");
		json_array_foreach(json_object_get(out, "MFADevices"), i, d)
		{
			html_printf(cr->html, "<li><code>%s</code>, enabled ",
			            json_string_value(json_object_get(d, "SerialNumber")));
			views_date(cr->html, json_object_get(d, "EnableDate"));
			buf_puts(cr->html, "</li>\n");
		}
		buf_puts(cr->html, "</ul>\n");
	}
	buf_puts(cr->html, "</section>\n");
	json_decref(in);
	json_decref(out);
}

/* Console access: whether the user has a login profile (a password); NoSuchEntity means no. */
static void user_login(struct console_req *cr, const char *name)
{
	json_t *in = json_pack("{s:s}", "UserName", name), *out = NULL;
	struct aws_err err;

	buf_puts(cr->html, "<section aria-labelledby=\"login\"><h2 id=\"login\">Console password</h2>\n");
	if (console_call(cr, "iam", "GetLoginProfile", in, &out, &err) == C_OK) {
		json_t *lp = json_object_get(out, "LoginProfile");
		buf_puts(cr->html, "<p id=\"login-profile\">Yes, since ");
		views_date(cr->html, json_object_get(lp, "CreateDate"));
		if (json_is_true(json_object_get(lp, "PasswordResetRequired")))
			buf_puts(cr->html, " (a new password is required at the next sign-in)");
		buf_puts(cr->html, ".</p>\n");
	} else if (err.code == ERR_NO_SUCH_ENTITY) {
		buf_puts(cr->html, "<p id=\"login-profile\">No.</p>\n");
	} else {
		views_section_error(cr, &err, false);
	}
	buf_puts(cr->html, "</section>\n");
	json_decref(in);
	json_decref(out);
}

void console_iam_user(struct console_req *cr)
{
	char name[VIEWS_NAME_MAX];
	json_t *in = NULL, *out = NULL, *u;
	struct aws_err err;

	if (views_name(cr, name, sizeof(name), false) != C_OK)
		return;
	in = json_pack("{s:s}", "UserName", name);
	if (console_call(cr, "iam", "GetUser", in, &out, &err) != C_OK) {
		page_aws_error(cr, &err);
		goto done;
	}
	u = json_object_get(out, "User");
	page_begin(cr, name);
	html_printf(cr->html,
	            "<dl class=\"summary\"><dt>ARN</dt><dd><code id=\"arn\">%s</code></dd><dt>User ID</dt><dd><code>%s"
	            "</code></dd><dt>Path</dt><dd>%s</dd><dt>Created</dt><dd>",
	            json_string_value(json_object_get(u, "Arn")), json_string_value(json_object_get(u, "UserId")),
	            json_string_value(json_object_get(u, "Path")));
	views_date(cr->html, json_object_get(u, "CreateDate"));
	buf_puts(cr->html, "</dd><dt>Password last used</dt><dd>");
	views_date(cr->html, json_object_get(u, "PasswordLastUsed"));
	buf_puts(cr->html, "</dd></dl>\n");
	user_groups(cr, name);
	views_principal_policies(cr, "User", name);
	user_keys(cr, name);
	user_mfa(cr, name);
	user_login(cr, name);
	buf_puts(cr->html, "<p><a href=\"/console/iam/users\">All users</a></p>\n");
	page_end(cr);
done:
	json_decref(in);
	json_decref(out);
}

/* ---- groups -------------------------------------------------------------------------------------------------- */

void console_iam_groups(struct console_req *cr)
{
	const char *marker = views_marker(cr);
	json_t *in = json_pack("{s:i}", "MaxItems", VIEWS_PAGE_ITEMS), *out = NULL, *g;
	struct aws_err err;
	size_t i;

	if (marker)
		json_object_set_new(in, "Marker", json_string(marker));
	if (console_call(cr, "iam", "ListGroups", in, &out, &err) != C_OK) {
		page_aws_error(cr, &err);
		goto done;
	}
	page_begin(cr, "Groups");
	buf_puts(cr->html, "<table class=\"list\" id=\"groups\"><caption>IAM groups of the account</caption>\n"
	                   "<thead><tr><th scope=\"col\">Group name</th><th scope=\"col\">Path</th>"
	                   "<th scope=\"col\">Created</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(out, "Groups"), i, g)
	{
		const char *name = json_string_value(json_object_get(g, "GroupName"));
		buf_puts(cr->html, "<tr><th scope=\"row\">");
		views_link(cr->html, "/console/iam/groups/", name, name);
		html_printf(cr->html, "</th><td>%s</td><td>", json_string_value(json_object_get(g, "Path")));
		views_date(cr->html, json_object_get(g, "CreateDate"));
		buf_puts(cr->html, "</td></tr>\n");
	}
	buf_puts(cr->html, "</tbody></table>\n");
	if (json_array_size(json_object_get(out, "Groups")) == 0)
		buf_puts(cr->html, "<p>No groups.</p>\n");
	views_next_link(cr, "/console/iam/groups", "", out, "Marker");
	page_end(cr);
done:
	json_decref(in);
	json_decref(out);
}

void console_iam_group(struct console_req *cr)
{
	const char *marker = views_marker(cr);
	char name[VIEWS_NAME_MAX];
	json_t *in = NULL, *out = NULL, *g, *u;
	struct aws_err err;
	struct buf base;
	size_t i;

	if (views_name(cr, name, sizeof(name), false) != C_OK)
		return;
	in = json_pack("{s:s, s:i}", "GroupName", name, "MaxItems", VIEWS_PAGE_ITEMS);
	if (marker)
		json_object_set_new(in, "Marker", json_string(marker));
	if (console_call(cr, "iam", "GetGroup", in, &out, &err) != C_OK) {
		page_aws_error(cr, &err);
		goto done;
	}
	g = json_object_get(out, "Group");
	page_begin(cr, name);
	html_printf(cr->html, "<dl class=\"summary\"><dt>ARN</dt><dd><code id=\"arn\">%s</code></dd><dt>Created</dt><dd>",
	            json_string_value(json_object_get(g, "Arn")));
	views_date(cr->html, json_object_get(g, "CreateDate"));
	buf_puts(cr->html, "</dd></dl>\n<section aria-labelledby=\"members\"><h2 id=\"members\">Users</h2>\n");
	if (json_array_size(json_object_get(out, "Users")) == 0)
		buf_puts(cr->html, "<p>None.</p>\n");
	else
		buf_puts(cr->html, "<ul class=\"group-users\">\n");
	json_array_foreach(json_object_get(out, "Users"), i, u)
	{
		const char *uname = json_string_value(json_object_get(u, "UserName"));
		buf_puts(cr->html, "<li>");
		views_link(cr->html, "/console/iam/users/", uname, uname);
		buf_puts(cr->html, "</li>\n");
	}
	if (json_array_size(json_object_get(out, "Users")))
		buf_puts(cr->html, "</ul>\n");
	buf_init(&base, VIEWS_NAME_MAX * 3 + 64);
	buf_puts(&base, "/console/iam/groups/");
	html_url(&base, name);
	views_next_link(cr, buf_str(&base), "", out, "Marker");
	buf_free(&base);
	buf_puts(cr->html, "</section>\n");
	views_principal_policies(cr, "Group", name);
	buf_puts(cr->html, "<p><a href=\"/console/iam/groups\">All groups</a></p>\n");
	page_end(cr);
done:
	json_decref(in);
	json_decref(out);
}
