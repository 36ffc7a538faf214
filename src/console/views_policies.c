/*
 * views_policies.c - managed policies: /console/iam/policies (?scope=All|AWS|Local, as ListPolicies' Scope) and
 * /console/iam/policies/ARN (?version=vN): the policy, its versions, and the chosen version's document (the default
 * one unless asked) pretty-printed and checked with the engine's validator (policy/lint.h). Acts only through
 * console_call() as the active identity (ListPolicies, GetPolicy, ListPolicyVersions, GetPolicyVersion).
 */
#include <stdio.h>
#include <string.h>

#include "console/page.h"
#include "console/routes.h"
#include "console/views.h"
#include "util/common.h"

static const char *const scopes[] = {"All", "AWS", "Local"};
static const char *const scope_labels[] = {"All", "AWS managed", "Customer managed"};

void console_iam_policies(struct console_req *cr)
{
	const char *marker = views_marker(cr), *scope = console_param(cr, "scope");
	json_t *in = NULL, *out = NULL, *p;
	struct aws_err err;
	char extra[32];
	size_t i, s = 0;

	for (i = 0; scope && i < ARRAY_LEN(scopes); i++)
		if (strcmp(scope, scopes[i]) == 0)
			s = i;
	in = json_pack("{s:i, s:s}", "MaxItems", VIEWS_PAGE_ITEMS, "Scope", scopes[s]);
	if (marker)
		json_object_set_new(in, "Marker", json_string(marker));
	if (console_call(cr, "iam", "ListPolicies", in, &out, &err) != C_OK) {
		page_aws_error(cr, &err);
		goto done;
	}
	page_begin(cr, "Policies");
	buf_puts(cr->html, "<nav aria-label=\"Policy type\"><ul class=\"filters\">\n");
	for (i = 0; i < ARRAY_LEN(scopes); i++)
		html_printf(cr->html, "<li><a href=\"/console/iam/policies?scope=%s\"%S>%s</a></li>\n", scopes[i],
		            i == s ? " aria-current=\"page\"" : "", scope_labels[i]);
	buf_puts(cr->html, "</ul></nav>\n<table class=\"list\" id=\"policies\"><caption>Managed policies</caption>\n"
	                   "<thead><tr><th scope=\"col\">Policy name</th><th scope=\"col\">Type</th>"
	                   "<th scope=\"col\">Attachments</th><th scope=\"col\">Default version</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(out, "Policies"), i, p)
	{
		const char *arn = json_string_value(json_object_get(p, "Arn"));
		buf_puts(cr->html, "<tr><th scope=\"row\">");
		views_link(cr->html, "/console/iam/policies/", arn, json_string_value(json_object_get(p, "PolicyName")));
		html_printf(cr->html, "</th><td>%s</td><td>%lld</td><td>%s</td></tr>\n",
		            arn && strncmp(arn, "arn:aws:iam::aws:", 17) == 0 ? "AWS managed" : "Customer managed",
		            (long long)json_integer_value(json_object_get(p, "AttachmentCount")),
		            json_string_value(json_object_get(p, "DefaultVersionId")));
	}
	buf_puts(cr->html, "</tbody></table>\n");
	if (json_array_size(json_object_get(out, "Policies")) == 0)
		buf_puts(cr->html, "<p>No policies.</p>\n");
	snprintf(extra, sizeof(extra), "scope=%s", scopes[s]);
	views_next_link(cr, "/console/iam/policies", extra, out, "Marker");
	page_end(cr);
done:
	json_decref(in);
	json_decref(out);
}

/* The policy's versions, each a link to its page (?version=); the default and the one shown are marked. */
static void versions(struct console_req *cr, const char *arn, const char *shown)
{
	json_t *in = json_pack("{s:s, s:i}", "PolicyArn", arn, "MaxItems", VIEWS_PAGE_ITEMS), *out = NULL, *v;
	struct aws_err err;
	size_t i;

	buf_puts(cr->html, "<section aria-labelledby=\"versions\"><h2 id=\"versions\">Versions</h2>\n");
	if (console_call(cr, "iam", "ListPolicyVersions", in, &out, &err) != C_OK) {
		views_section_error(cr, &err, false);
	} else {
		buf_puts(cr->html, "<ul class=\"versions\">\n");
		json_array_foreach(json_object_get(out, "Versions"), i, v)
		{
			const char *id = json_string_value(json_object_get(v, "VersionId"));
			buf_puts(cr->html, "<li><a href=\"/console/iam/policies/");
			html_url(cr->html, arn);
			buf_puts(cr->html, "?version=");
			html_url(cr->html, id);
			html_printf(cr->html, "\">%s</a>%S%S</li>\n", id,
			            json_is_true(json_object_get(v, "IsDefaultVersion")) ? " (default)" : "",
			            id && shown && strcmp(id, shown) == 0 ? " <strong>(shown)</strong>" : "");
		}
		buf_puts(cr->html, "</ul>\n");
	}
	buf_puts(cr->html, "</section>\n");
	json_decref(in);
	json_decref(out);
}

void console_iam_policy(struct console_req *cr)
{
	char arn[VIEWS_NAME_MAX], version[32];
	const char *want = console_param(cr, "version"), *desc;
	json_t *in = NULL, *out = NULL, *vin = NULL, *vout = NULL, *p;
	struct aws_err err;

	if (views_name(cr, arn, sizeof(arn), true) != C_OK)
		return;
	in = json_pack("{s:s}", "PolicyArn", arn);
	if (console_call(cr, "iam", "GetPolicy", in, &out, &err) != C_OK) {
		page_aws_error(cr, &err);
		goto done;
	}
	p = json_object_get(out, "Policy");
	snprintf(version, sizeof(version), "%s",
	         want && *want && strlen(want) < sizeof(version) ? want
	                                                          : json_string_value(json_object_get(p, "DefaultVersionId")));
	vin = json_pack("{s:s, s:s}", "PolicyArn", arn, "VersionId", version);
	desc = json_string_value(json_object_get(p, "Description"));
	page_begin(cr, json_string_value(json_object_get(p, "PolicyName")));
	html_printf(cr->html,
	            "<dl class=\"summary\"><dt>ARN</dt><dd><code id=\"arn\">%s</code></dd><dt>Description</dt><dd>%s</dd>"
	            "<dt>Attachments</dt><dd>%lld</dd><dt>Default version</dt><dd>%s</dd><dt>Updated</dt><dd>",
	            arn, desc ? desc : "", (long long)json_integer_value(json_object_get(p, "AttachmentCount")),
	            json_string_value(json_object_get(p, "DefaultVersionId")));
	views_date(cr->html, json_object_get(p, "UpdateDate"));
	html_printf(cr->html, "</dd></dl>\n<section aria-labelledby=\"document\"><h2 id=\"document\">Document (version %s)"
	                      "</h2>\n",
	            version);
	if (console_call(cr, "iam", "GetPolicyVersion", vin, &vout, &err) != C_OK)
		views_section_error(cr, &err, false);
	else
		views_policy_document(cr, json_string_value(json_object_get(json_object_get(vout, "PolicyVersion"), "Document")),
		                      true, POLICY_IDENTITY, 3); /* below "Document" (<h2>) */
	buf_puts(cr->html, "</section>\n");
	versions(cr, arn, version);
	buf_puts(cr->html, "<p><a href=\"/console/iam/policies\">All policies</a></p>\n");
	page_end(cr);
done:
	json_decref(in);
	json_decref(out);
	json_decref(vin);
	json_decref(vout);
}
