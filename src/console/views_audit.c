/*
 * views_audit.c - /console/audit: the audit trail of the active identity's account, newest first, 50 a page,
 * filtered by one attribute (event name, user name, resource name ... as CloudTrail's console filters).
 *
 * The page acts only through the API: it calls cloudtrail:LookupEvents (src/cloudtrail/lookup.c) with console_call
 * as the active identity, so the engine authorizes it like `aws cloudtrail lookup-events` (an identity without
 * cloudtrail:LookupEvents sees AWS's AccessDenied text) and the events are the API's. The next page is a link with
 * LookupEvents' NextToken (and the filter: AWS wants the same parameters with a token).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/page.h"
#include "console/routes.h"
#include "util/common.h"
#include "util/timeutil.h"

#define AUDIT_FIELD_MAX 2000

static const struct {
	const char *key, *label;
} filters[] = {
	{"EventName", "Event name"},   {"Username", "User name"},        {"ResourceName", "Resource name"},
	{"ResourceType", "Resource type"}, {"EventSource", "Event source"}, {"AccessKeyId", "Access key ID"},
	{"ReadOnly", "Read only"},     {"EventId", "Event ID"},
};

static const char *field(const struct console_req *cr, const char *name)
{
	const char *v = console_param(cr, name);

	return v ? v : "";
}

static const char *str(json_t *v)
{
	const char *s = json_string_value(v);

	return s ? s : "";
}

static void render_form(struct console_req *cr, const char *attr, const char *value)
{
	struct buf *h = cr->html;

	html_printf(h, "<form method=\"get\" action=\"/console/audit\" class=\"audit-filter\" id=\"audit-form\">"
	               "<div><label for=\"audit-attr\">Filter</label><select id=\"audit-attr\" name=\"attr\">");
	for (size_t i = 0; i < ARRAY_LEN(filters); i++)
		html_printf(h, "<option value=\"%s\"%s>%s</option>", filters[i].key,
		            strcmp(attr, filters[i].key) == 0 ? " selected" : "", filters[i].label);
	html_printf(h, "</select></div><div><label for=\"audit-value\">Value</label>"
	               "<input type=\"text\" id=\"audit-value\" name=\"value\" value=\"%s\"></div>"
	               "<div><button type=\"submit\">Look up</button></div></form>",
	            value);
}

/* One event as a table row: time, event, user, source address, outcome, resource. */
static void render_event(struct console_req *cr, json_t *e)
{
	json_t *rec = json_loads(str(json_object_get(e, "CloudTrailEvent")), 0, NULL);
	json_t *res = json_array_get(json_object_get(e, "Resources"), 0);
	const char *outcome = str(json_object_get(rec, "errorCode"));
	char when[ISO8601_LEN];

	time_iso8601((int64_t)json_integer_value(json_object_get(e, "EventTime")), when);
	html_printf(cr->html, "<tr><td><time datetime=\"%s\">%s</time></td><td><a href=\"/console/audit/event?id=", when,
	            when);
	html_url(cr->html, str(json_object_get(e, "EventId")));
	html_printf(cr->html, "\">%s</a></td><td>%s</td><td>%s</td><td class=\"%s\">%s</td><td>%s</td></tr>",
	            str(json_object_get(e, "EventName")), str(json_object_get(e, "Username")),
	            str(json_object_get(rec, "sourceIPAddress")), outcome[0] ? "denied" : "ok",
	            outcome[0] ? outcome : "Success", str(json_object_get(res, "ResourceName")));
	json_decref(rec);
}

/* GET /console/audit[?attr=KEY&value=V][&token=NEXT] */
void console_audit(struct console_req *cr)
{
	const char *attr = field(cr, "attr"), *value = field(cr, "value"), *token = field(cr, "token");
	json_t *in, *out = NULL, *events, *e;
	struct aws_err err;
	bool known = false;
	size_t i;

	if (strlen(value) > AUDIT_FIELD_MAX || strlen(token) > AUDIT_FIELD_MAX) {
		page_error(cr, 400, "InvalidInput", "The filter is too long.");
		return;
	}
	if (!(in = json_pack("{s:i}", "MaxResults", 50))) {
		page_error(cr, 500, "ServiceFailure", "The request processing has failed.");
		return;
	}
	for (i = 0; i < ARRAY_LEN(filters); i++)
		known |= strcmp(attr, filters[i].key) == 0;
	if (value[0] && known)
		json_object_set_new(in, "LookupAttributes",
		                    json_pack("[{s:s, s:s}]", "AttributeKey", attr, "AttributeValue", value));
	if (token[0])
		json_object_set_new(in, "NextToken", json_string(token));

	page_begin(cr, "Audit trail");
	render_form(cr, known ? attr : "EventName", value);
	if (console_call(cr, "cloudtrail", "LookupEvents", in, &out, &err) != C_OK) {
		/* AWS's words, as the API gives them */
		html_printf(cr->html, "<p class=\"error\" role=\"alert\" id=\"error\"><strong>%s:</strong> %s</p>",
		            aws_code_name_json(err.code), err.message);
		goto done;
	}
	events = json_object_get(out, "Events");
	if (!json_array_size(events)) {
		html_printf(cr->html, "<p id=\"no-events\">No events.</p>");
		goto done;
	}
	html_printf(cr->html, "<table id=\"events\"><caption>Newest first</caption><thead><tr>"
	                      "<th scope=\"col\">Time (UTC)</th><th scope=\"col\">Event</th><th scope=\"col\">User</th>"
	                      "<th scope=\"col\">Source address</th><th scope=\"col\">Outcome</th>"
	                      "<th scope=\"col\">Resource</th></tr></thead><tbody>");
	json_array_foreach(events, i, e) render_event(cr, e);
	html_printf(cr->html, "</tbody></table>");
	if (json_string_value(json_object_get(out, "NextToken"))) {
		/* the token and the filter again (LookupEvents wants the same parameters with a token), URL-encoded */
		buf_puts(cr->html, "<p><a id=\"next\" href=\"/console/audit?attr=");
		html_url(cr->html, known ? attr : "");
		buf_puts(cr->html, "&amp;value=");
		html_url(cr->html, value);
		buf_puts(cr->html, "&amp;token=");
		html_url(cr->html, str(json_object_get(out, "NextToken")));
		buf_puts(cr->html, "\">Older events</a></p>");
	}
done:
	json_decref(in);
	json_decref(out);
	page_end(cr);
}

/* GET /console/audit/event?id=EVENT_ID: one event, its CloudTrail record in full (LookupEvents by EventId). */
void console_audit_event(struct console_req *cr)
{
	const char *id = field(cr, "id");
	json_t *in, *out = NULL, *e, *rec;
	struct aws_err err;
	char *pretty = NULL, when[ISO8601_LEN];

	if (!id[0] || strlen(id) > 64) {
		page_error(cr, 400, "InvalidInput", "An event ID is required.");
		return;
	}
	in = json_pack("{s:[{s:s, s:s}]}", "LookupAttributes", "AttributeKey", "EventId", "AttributeValue", id);
	if (!in) {
		page_error(cr, 500, "ServiceFailure", "The request processing has failed.");
		return;
	}
	if (console_call(cr, "cloudtrail", "LookupEvents", in, &out, &err) != C_OK) {
		json_decref(in);
		page_aws_error(cr, &err);
		return;
	}
	json_decref(in);
	e = json_array_get(json_object_get(out, "Events"), 0);
	if (!e) {
		json_decref(out);
		page_error(cr, 404, "ResourceNotFound", "No event of this account has that ID.");
		return;
	}
	page_begin(cr, "Audit event");
	time_iso8601((int64_t)json_integer_value(json_object_get(e, "EventTime")), when);
	html_printf(cr->html, "<dl id=\"event\"><dt>Event</dt><dd>%s</dd><dt>Time (UTC)</dt><dd>%s</dd><dt>User</dt>"
	                      "<dd>%s</dd><dt>Source</dt><dd>%s</dd><dt>Event ID</dt><dd>%s</dd></dl>",
	            str(json_object_get(e, "EventName")), when, str(json_object_get(e, "Username")),
	            str(json_object_get(e, "EventSource")), str(json_object_get(e, "EventId")));
	rec = json_loads(str(json_object_get(e, "CloudTrailEvent")), 0, NULL);
	if (rec)
		pretty = json_dumps(rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	html_printf(cr->html, "<h2>CloudTrail record</h2><pre class=\"statement\" id=\"record\"><code>%s</code></pre>"
	                      "<p><a href=\"/console/audit\">Back to the audit trail</a></p>",
	            pretty ? pretty : "");
	free(pretty);
	json_decref(rec);
	json_decref(out);
	page_end(cr);
}
