/*
 * views_roles.c - the account's roles: /console/iam/roles and /console/iam/roles/NAME (the trust policy, checked as
 * one; the permissions: managed and inline policies, the permissions boundary; when the role was last used).
 * Acts only through console_call() as the active identity (ListRoles, GetRole, ListAttachedRolePolicies,
 * ListRolePolicies, GetRolePolicy).
 */
#include <stdio.h>
#include <string.h>

#include "console/page.h"
#include "console/routes.h"
#include "console/views.h"
#include "util/common.h"

void console_iam_roles(struct console_req *cr)
{
	const char *marker = views_marker(cr);
	json_t *in = json_pack("{s:i}", "MaxItems", VIEWS_PAGE_ITEMS), *out = NULL, *r;
	struct aws_err err;
	size_t i;

	if (marker)
		json_object_set_new(in, "Marker", json_string(marker));
	if (console_call(cr, "iam", "ListRoles", in, &out, &err) != C_OK) {
		page_aws_error(cr, &err);
		goto done;
	}
	page_begin(cr, "Roles");
	buf_puts(cr->html, "<table class=\"list\" id=\"roles\"><caption>IAM roles of the account</caption>\n"
	                   "<thead><tr><th scope=\"col\">Role name</th><th scope=\"col\">Description</th>"
	                   "<th scope=\"col\">Created</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(out, "Roles"), i, r)
	{
		const char *name = json_string_value(json_object_get(r, "RoleName"));
		const char *desc = json_string_value(json_object_get(r, "Description"));
		buf_puts(cr->html, "<tr><th scope=\"row\">");
		views_link(cr->html, "/console/iam/roles/", name, name);
		html_printf(cr->html, "</th><td>%s</td><td>", desc ? desc : "");
		views_date(cr->html, json_object_get(r, "CreateDate"));
		buf_puts(cr->html, "</td></tr>\n");
	}
	buf_puts(cr->html, "</tbody></table>\n");
	if (json_array_size(json_object_get(out, "Roles")) == 0)
		buf_puts(cr->html, "<p>No roles.</p>\n");
	views_next_link(cr, "/console/iam/roles", "", out, "Marker");
	page_end(cr);
done:
	json_decref(in);
	json_decref(out);
}

void console_iam_role(struct console_req *cr)
{
	char name[VIEWS_NAME_MAX];
	json_t *in = NULL, *out = NULL, *r, *used, *boundary;
	struct aws_err err;
	const char *desc;

	if (views_name(cr, name, sizeof(name), false) != C_OK)
		return;
	in = json_pack("{s:s}", "RoleName", name);
	if (console_call(cr, "iam", "GetRole", in, &out, &err) != C_OK) {
		page_aws_error(cr, &err);
		goto done;
	}
	r = json_object_get(out, "Role");
	desc = json_string_value(json_object_get(r, "Description"));
	page_begin(cr, name);
	html_printf(cr->html,
	            "<dl class=\"summary\"><dt>ARN</dt><dd><code id=\"arn\">%s</code></dd><dt>Role ID</dt><dd><code>%s"
	            "</code></dd><dt>Description</dt><dd>%s</dd><dt>Maximum session duration</dt><dd>%lld seconds</dd>"
	            "<dt>Created</dt><dd>",
	            json_string_value(json_object_get(r, "Arn")), json_string_value(json_object_get(r, "RoleId")),
	            desc ? desc : "", (long long)json_integer_value(json_object_get(r, "MaxSessionDuration")));
	views_date(cr->html, json_object_get(r, "CreateDate"));
	buf_puts(cr->html, "</dd><dt>Last used</dt><dd id=\"last-used\">");
	used = json_object_get(r, "RoleLastUsed");
	if (json_is_integer(json_object_get(used, "LastUsedDate"))) {
		views_date(cr->html, json_object_get(used, "LastUsedDate"));
		if (json_string_value(json_object_get(used, "Region")))
			html_printf(cr->html, " in %s", json_string_value(json_object_get(used, "Region")));
	} else {
		buf_puts(cr->html, "Never (or not within the tracking period)");
	}
	buf_puts(cr->html, "</dd>");
	boundary = json_object_get(r, "PermissionsBoundary");
	if (json_string_value(json_object_get(boundary, "PermissionsBoundaryArn"))) {
		const char *arn = json_string_value(json_object_get(boundary, "PermissionsBoundaryArn"));
		buf_puts(cr->html, "<dt>Permissions boundary</dt><dd>");
		views_link(cr->html, "/console/iam/policies/", arn, arn);
		buf_puts(cr->html, "</dd>");
	}
	buf_puts(cr->html, "</dl>\n<section aria-labelledby=\"trust\"><h2 id=\"trust\">Trust policy</h2>\n");
	views_policy_document(cr, json_string_value(json_object_get(r, "AssumeRolePolicyDocument")), true, POLICY_TRUST,
	                      3); /* below "Trust policy" (<h2>) */
	buf_puts(cr->html, "</section>\n");
	views_principal_policies(cr, "Role", name);
	buf_puts(cr->html, "<p><a href=\"/console/iam/roles\">All roles</a></p>\n");
	page_end(cr);
done:
	json_decref(in);
	json_decref(out);
}
