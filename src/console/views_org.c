/*
 * views_org.c - /console/organizations: the organization the active identity's account belongs to, its accounts
 * (id, name, email, status) and its service control policies with their documents, checked as SCPs.
 *
 * As on AWS, only the management account (and identities its policies allow) may list them: elsewhere the page is
 * Organizations' own refusal (AccessDeniedException, AWSOrganizationsNotInUseException), with its status. Acts only
 * through console_call() (DescribeOrganization, ListAccounts, ListPolicies, DescribePolicy). Lists page with
 * NextToken (?marker= for accounts, ?scp_marker= for policies).
 */
#include <stdio.h>
#include <string.h>

#include "console/page.h"
#include "console/routes.h"
#include "console/views.h"
#include "util/common.h"

#define ORG_PAGE_ITEMS 20 /* MaxResults of one Organizations list page (AWS's maximum) */

static void accounts(struct console_req *cr, json_t *out)
{
	json_t *a;
	size_t i;

	buf_puts(cr->html, "<section aria-labelledby=\"accounts\"><h2 id=\"accounts\">Accounts</h2>\n"
	                   "<table class=\"list\" id=\"org-accounts\" aria-labelledby=\"accounts\"><thead><tr>"
	                   "<th scope=\"col\">Account ID</th><th scope=\"col\">Name</th><th scope=\"col\">Email</th>"
	                   "<th scope=\"col\">Status</th>"
	                   "<th scope=\"col\">Joined</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(out, "Accounts"), i, a)
	{
		html_printf(cr->html, "<tr><th scope=\"row\"><code>%s</code></th><td>%s</td><td>%s</td><td>%s</td><td>",
		            json_string_value(json_object_get(a, "Id")), json_string_value(json_object_get(a, "Name")),
		            json_string_value(json_object_get(a, "Email")), json_string_value(json_object_get(a, "Status")));
		views_date(cr->html, json_object_get(a, "JoinedTimestamp"));
		buf_puts(cr->html, "</td></tr>\n");
	}
	buf_puts(cr->html, "</tbody></table>\n");
	views_next_link(cr, "/console/organizations", "", out, "NextToken");
	buf_puts(cr->html, "</section>\n");
}

static void scp(struct console_req *cr, json_t *summary)
{
	const char *id = json_string_value(json_object_get(summary, "Id"));
	const char *desc = json_string_value(json_object_get(summary, "Description"));
	json_t *in = json_pack("{s:s}", "PolicyId", id ? id : ""), *out = NULL;
	struct aws_err err;

	html_printf(cr->html, "<h3 class=\"scp\">%s <code>%s</code></h3>\n",
	            json_string_value(json_object_get(summary, "Name")), id);
	if (desc && *desc)
		html_printf(cr->html, "<p>%s</p>\n", desc);
	if (console_call(cr, "organizations", "DescribePolicy", in, &out, &err) != C_OK)
		views_section_error(cr, &err, true);
	else
		views_policy_document(cr, json_string_value(json_object_get(json_object_get(out, "Policy"), "Content")),
		                      false, POLICY_SCP, 4); /* below the SCP's <h3> */
	json_decref(in);
	json_decref(out);
}

static void scps(struct console_req *cr)
{
	const char *marker = console_param(cr, "scp_marker"), *next;
	json_t *in = json_pack("{s:s, s:i}", "Filter", "SERVICE_CONTROL_POLICY", "MaxResults", ORG_PAGE_ITEMS),
	       *out = NULL, *p;
	struct aws_err err;
	size_t i;

	if (marker && *marker && strlen(marker) <= VIEWS_MARKER_MAX)
		json_object_set_new(in, "NextToken", json_string(marker));
	buf_puts(cr->html, "<section aria-labelledby=\"scps\"><h2 id=\"scps\">Service control policies</h2>\n");
	if (console_call(cr, "organizations", "ListPolicies", in, &out, &err) != C_OK) {
		views_section_error(cr, &err, true);
	} else {
		if (json_array_size(json_object_get(out, "Policies")) == 0)
			buf_puts(cr->html, "<p>None.</p>\n");
		json_array_foreach(json_object_get(out, "Policies"), i, p)
			scp(cr, p);
		next = json_string_value(json_object_get(out, "NextToken"));
		if (next && *next) {
			buf_puts(cr->html, "<p class=\"pager\"><a rel=\"next\" href=\"/console/organizations?scp_marker=");
			html_url(cr->html, next);
			buf_puts(cr->html, "#scps\">More policies</a></p>\n");
		}
	}
	buf_puts(cr->html, "</section>\n");
	json_decref(in);
	json_decref(out);
}

void console_organizations(struct console_req *cr)
{
	const char *marker = views_marker(cr);
	json_t *org = NULL, *in = json_pack("{s:i}", "MaxResults", ORG_PAGE_ITEMS), *out = NULL, *o;
	const char *email;
	struct aws_err err;

	if (marker)
		json_object_set_new(in, "NextToken", json_string(marker));
	if (console_call(cr, "organizations", "DescribeOrganization", NULL, &org, &err) != C_OK ||
	    console_call(cr, "organizations", "ListAccounts", in, &out, &err) != C_OK) {
		views_json_error(cr, &err);
		goto done;
	}
	o = json_object_get(org, "Organization");
	page_begin(cr, "Organization");
	email = json_string_value(json_object_get(o, "MasterAccountEmail"));
	html_printf(cr->html,
	            "<dl class=\"summary\"><dt>Organization</dt><dd><code id=\"org-id\">%s</code></dd>"
	            "<dt>Management account</dt><dd><code>%s</code>%s%s%s</dd><dt>Feature set</dt><dd>%s</dd></dl>\n",
	            json_string_value(json_object_get(o, "Id")), json_string_value(json_object_get(o, "MasterAccountId")),
	            email && *email ? " (" : "", email && *email ? email : "", email && *email ? ")" : "",
	            json_string_value(json_object_get(o, "FeatureSet")));
	accounts(cr, out);
	scps(cr);
	page_end(cr);
done:
	json_decref(org);
	json_decref(in);
	json_decref(out);
}
