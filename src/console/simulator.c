/*
 * simulator.c - /console/simulator: the policy simulator page. An action, a resource (default "*") and optional
 * context entries (one "key=value" a line) -> the decision and the statements that decided it.
 *
 * The page acts only through the API: it calls iam:SimulatePrincipalPolicy (src/iam/simulate.c) with console_call,
 * as the active identity, with that identity as PolicySourceArn (a role session: its role; an IAM user: itself), so
 * the engine authorizes the simulation like any API call and the answer is the API's: an identity without
 * iam:SimulatePrincipalPolicy on itself sees AWS's AccessDenied text. The root user is not simulated (AWS's
 * simulator takes users, groups and roles; the root's own account allows it everything), nor a federated user (its
 * session policy is not the simulator's to see). A GET form: a simulation changes nothing, and its URL can be
 * shared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/page.h"
#include "console/routes.h"
#include "console/session.h"
#include "console/simulator.h"
#include "util/common.h"

#define SIM_FIELD_MAX 2048

/* The value of a form field, or "" (absent). */
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

/* The ARN whose policies are simulated: the active identity's (a role session -> its role). "" for root. */
static void source_arn(const struct console_req *cr, char *out, size_t cap)
{
	const struct principal *who = cr->s ? &cr->s->active : NULL;

	out[0] = '\0';
	if (!who)
		return;
	if (who->kind == PRINCIPAL_ROLE_SESSION)
		snprintf(out, cap, "%s", who->role_arn);
	else if (who->kind == PRINCIPAL_USER)
		snprintf(out, cap, "%s", who->arn);
}

/* ContextEntries from the textarea: "key=value" lines (a key repeated: a list). C_ERR with msg on a bad line. */
static int context_entries(const char *text, json_t *out, char *msg, size_t cap)
{
	const char *line = text;

	while (*line) {
		const char *end = line + strcspn(line, "\r\n"), *eq = memchr(line, '=', (size_t)(end - line));
		char key[257], value[1025];
		json_t *e = NULL, *existing;
		size_t i;
		if (end == line) {
			line = end + 1;
			continue;
		}
		if (!eq || eq == line || (size_t)(eq - line) >= sizeof(key) || (size_t)(end - eq - 1) >= sizeof(value)) {
			snprintf(msg, cap, "Each context line is key=value: %.*s", (int)(end - line > 80 ? 80 : end - line),
			         line);
			return C_ERR;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - line), line);
		snprintf(value, sizeof(value), "%.*s", (int)(end - eq - 1), eq + 1);
		json_array_foreach(out, i, existing)
		{
			if (strcmp(str(json_object_get(existing, "ContextKeyName")), key) == 0)
				e = existing;
		}
		if (e) {
			json_array_append_new(json_object_get(e, "ContextKeyValues"), json_string(value));
			json_object_set_new(e, "ContextKeyType", json_string("stringList"));
		} else {
			json_array_append_new(out, json_pack("{s:s, s:[s], s:s}", "ContextKeyName", key, "ContextKeyValues",
			                                     value, "ContextKeyType", "string"));
		}
		line = *end ? end + 1 : end;
	}
	return C_OK;
}

/* ActionNames from the action field: the actions separated by commas or white space (a new array; at least one
 * element, which the API validates). */
static json_t *action_names(const char *field)
{
	json_t *arr = json_array();
	const char *p = field;

	while (arr && *p) {
		size_t n = strcspn(p, ", \t\r\n");
		if (n)
			json_array_append_new(arr, json_stringn(p, n));
		p += n;
		p += strspn(p, ", \t\r\n");
	}
	if (arr && json_array_size(arr) == 0)
		json_array_append_new(arr, json_string(field));
	return arr;
}

static const char *decision_label(const char *d)
{
	if (strcmp(d, "allowed") == 0)
		return "Allowed";
	if (strcmp(d, "explicitDeny") == 0)
		return "Denied: explicitly, by a Deny statement";
	return "Denied: implicitly, no statement allows it";
}

/* One EvaluationResult: the decision, the deciding statements, the missing context and the guardrails. */
static void render_result(struct console_req *cr, json_t *r, size_t n)
{
	struct buf *h = cr->html;
	const char *d = str(json_object_get(r, "EvalDecision"));
	json_t *matched = json_object_get(r, "MatchedStatements"), *m, *missing = json_object_get(r, "MissingContextValues");
	json_t *specific = json_array_get(json_object_get(r, "ResourceSpecificResults"), 0);
	json_t *org = json_object_get(r, "OrganizationsDecisionDetail");
	json_t *pb = json_object_get(r, "PermissionsBoundaryDecisionDetail");
	size_t i;

	if (specific) /* a named resource: its missing keys are there (AWS's placement) */
		missing = json_object_get(specific, "MissingContextValues");
	html_printf(h, "<section class=\"sim-result\"><h2>%s</h2>"
	               "<p class=\"decision decision-%s\" id=\"decision-%zu\"><strong>%s</strong> %s on %s</p>",
	            str(json_object_get(r, "EvalActionName")), d, n,
	            decision_label(d), str(json_object_get(r, "EvalActionName")),
	            str(json_object_get(r, "EvalResourceName")));
	if (json_array_size(matched)) {
		html_printf(h, "<h3>Statements that decided</h3><table class=\"matched\" id=\"matched-%zu\"><thead><tr>"
		               "<th scope=\"col\">Policy</th><th scope=\"col\">Type</th><th scope=\"col\">Statement</th>"
		               "</tr></thead><tbody>",
		            n);
		json_array_foreach(matched, i, m)
		{
			json_t *s = json_object_get(m, "StartPosition"), *e = json_object_get(m, "EndPosition");
			const char *type = json_string_value(json_object_get(m, "SourcePolicyType"));
			html_printf(h, "<tr><td>%s</td><td>%s</td>", str(json_object_get(m, "SourcePolicyId")),
			            type ? type : "input");
			html_printf(h, "<td>");
			if (s && e) {
				char *text = simulator_statement_text(cr, m);
				if (text)
					html_printf(h, "<pre class=\"statement\"><code>%s</code></pre>", text);
				free(text);
				html_printf(h, "line %d, column %d to line %d, column %d",
				            (int)json_integer_value(json_object_get(s, "Line")),
				            (int)json_integer_value(json_object_get(s, "Column")),
				            (int)json_integer_value(json_object_get(e, "Line")),
				            (int)json_integer_value(json_object_get(e, "Column")));
			}
			html_printf(h, "</td></tr>");
		}
		html_printf(h, "</tbody></table>");
	}
	if (json_array_size(missing)) {
		html_printf(h, "<h3>Context keys the policies test and the simulation lacked</h3><ul class=\"missing\">");
		json_array_foreach(missing, i, m) html_printf(h, "<li><code>%s</code></li>", str(m));
		html_printf(h, "</ul>");
	}
	if (org)
		html_printf(h, "<p>Service control policies: %s</p>",
		            json_is_true(json_object_get(org, "AllowedByOrganizations")) ? "allow" : "do not allow");
	if (pb)
		html_printf(h, "<p>Permissions boundary: %s</p>",
		            json_is_true(json_object_get(pb, "AllowedByPermissionsBoundary")) ? "allows" : "does not allow");
	html_printf(h, "</section>");
}

static void render_form(struct console_req *cr, const char *source, const char *action, const char *resource,
                        const char *context)
{
	html_printf(cr->html,
	            "<p>Simulates a request by <code>%s</code> with its policies, its permissions boundary and its "
	            "account's service control policies, as the policy engine decides it.</p>"
	            "<form method=\"get\" action=\"/console/simulator\" class=\"sim-form\" id=\"sim-form\">"
	            "<div><label for=\"sim-action\">Actions (separated by commas)</label>"
	            "<input type=\"text\" id=\"sim-action\" name=\"action\" required placeholder=\"s3:GetObject\" "
	            "value=\"%s\"></div>"
	            "<div><label for=\"sim-resource\">Resource ARN</label>"
	            "<input type=\"text\" id=\"sim-resource\" name=\"resource\" placeholder=\"*\" value=\"%s\"></div>"
	            "<div class=\"wide\"><label for=\"sim-context\">Context (optional, one key=value a line)</label>"
	            "<textarea id=\"sim-context\" name=\"context\" rows=\"2\" "
	            "placeholder=\"aws:MultiFactorAuthPresent=true\">%s</textarea></div>"
	            "<div><button type=\"submit\">Simulate</button></div></form>",
	            source, action, resource, context);
}

/* GET /console/simulator[?action=A&resource=R&context=...] */
void console_simulator(struct console_req *cr)
{
	char source[ARN_MAX + 1], msg[256];
	const char *action = field(cr, "action"), *resource = field(cr, "resource"), *context = field(cr, "context");
	json_t *in = NULL, *out = NULL, *ctx = NULL, *r;
	struct aws_err err;
	size_t i;

	if (strlen(action) > SIM_FIELD_MAX || strlen(resource) > SIM_FIELD_MAX || strlen(context) > SIM_FIELD_MAX) {
		page_error(cr, 400, "InvalidInput", "The simulation's fields are too long.");
		return;
	}
	source_arn(cr, source, sizeof(source));
	page_begin(cr, "Policy simulator");
	if (!source[0] && cr->s && cr->s->active.kind == PRINCIPAL_FEDERATED_USER) {
		/* AWS's simulator takes users, groups and roles: a federated user's permissions are its IAM user's
		 * limited by a session policy the simulator does not see, so simulating the user would say too much */
		html_printf(cr->html, "<p class=\"notice\">A federated user (GetFederationToken) is not simulated: its "
		                      "permissions are its IAM user's policies limited by the session policy it was given. "
		                      "Sign in as the IAM user to simulate its policies.</p>");
		goto done;
	}
	if (!source[0]) {
		html_printf(cr->html, "<p class=\"notice\">The root user's permissions are not set by policies: its own "
		                      "account allows it everything (service control policies aside). Switch to a role or "
		                      "sign in as an IAM user to simulate.</p>");
		goto done;
	}
	render_form(cr, source, action, resource, context);
	if (!action[0])
		goto done;
	ctx = json_array();
	in = json_pack("{s:s, s:o, s:[s]}", "PolicySourceArn", source, "ActionNames", action_names(action),
	               "ResourceArns", resource[0] ? resource : "*");
	if (!ctx || !in) {
		html_printf(cr->html, "<p class=\"error\" role=\"alert\" id=\"error\">The request processing has failed.</p>");
		goto done;
	}
	if (context_entries(context, ctx, msg, sizeof(msg)) != C_OK) {
		html_printf(cr->html, "<p class=\"error\" role=\"alert\" id=\"error\">%s</p>", msg);
		goto done;
	}
	if (json_array_size(ctx))
		json_object_set(in, "ContextEntries", ctx);
	if (console_call(cr, "iam", "SimulatePrincipalPolicy", in, &out, &err) != C_OK) {
		/* AWS's words, as the API gives them */
		html_printf(cr->html, "<p class=\"error\" role=\"alert\" id=\"error\"><strong>%s:</strong> %s</p>",
		            aws_code_name(err.code), err.message);
		goto done;
	}
	html_printf(cr->html, "<div id=\"results\" aria-live=\"polite\">");
	json_array_foreach(json_object_get(out, "EvaluationResults"), i, r) render_result(cr, r, i + 1);
	html_printf(cr->html, "</div>");
done:
	json_decref(ctx);
	json_decref(in);
	json_decref(out);
	page_end(cr);
}
