/*
 * switchrole.c - switch role (GET/POST /console/switchrole) and back to the user (POST /console/back).
 *
 * GET takes AWS's link shape, ?account=ID-or-alias&roleName=NAME&displayName=TEXT&color=RRGGBB, and shows the form
 * filled in (nothing happens on a GET: a link cannot switch anyone). POST (CSRF-checked by the router) is a real
 * sts:AssumeRole through console_call_signer: as the signed-in user (never as a role switched to earlier: switching
 * while in a role switches from the user again), with the console session's MFA, RoleSessionName the user's name;
 * authorized by the engine and audited durably like any AssumeRole. A refusal shows AWS's error as is; success keeps
 * the role session's token in the console session (session_set_role), records the role among the user's recent
 * roles and goes home, where the role bar shows it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "console/page.h"
#include "console/routes.h"
#include "console/session.h"
#include "console/switchrole.h"
#include "store/console.h"
#include "util/common.h"
#include "util/log.h"
#include "util/utf8.h"

#define INVALID_FIELDS "Invalid information in one or more fields. Check your information or contact your administrator."

const char *const switchrole_colors[] = {"F2B0A9", "FBBF93", "FAD791", "B7CA9D", "99BCE3"};
const char *const switchrole_color_names[] = {"Red", "Orange", "Yellow", "Green", "Blue"};

/* What the form says. */
struct switch_form {
	const char *account_in, *role_in, *display_in, *color_in;
	char account_id[ACCOUNT_ID_LEN + 1];
	char color[CONSOLE_COLOR_MAX + 1];              /* "RRGGBB" or "" */
	char display[CONSOLE_DISPLAY_MAX * 4 + 1];     /* the display name, the default filled in */
	char role_arn[ARN_MAX + 1];
};

const char *switchrole_color_class(const char *color)
{
	for (int i = 0; color && i < SWITCHROLE_NCOLORS; i++)
		if (strcasecmp(color, switchrole_colors[i]) == 0)
			return switchrole_colors[i];
	return "none";
}

void switchrole_session_name(const struct console_req *cr, char out[65])
{
	const struct principal *p = &cr->s->signer;

	if (p->kind == PRINCIPAL_USER)
		snprintf(out, 65, "%s", p->name);
	else if (p->kind == PRINCIPAL_ROLE_SESSION)
		snprintf(out, 65, "%s", p->session_name);
	else
		snprintf(out, 65, "%s", p->account_id);
	if (strlen(out) < 2) /* RoleSessionName takes 2 to 64 characters; a user name may have one */
		snprintf(out + strlen(out), 65 - strlen(out), "%s", strlen(out) ? "-" : "console");
}

/* Whether s is a role name as the link gives it: the path (without its leading '/') and the name, IAM's characters. */
static bool valid_role_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > IAM_PATH_MAX + IAM_NAME_MAX || s[0] == '/' || s[n - 1] == '/' || strstr(s, "//"))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("+=,.@_-/", *s))
			return false;
	return true;
}

/* Copies at most max characters (code points) of s into out (cap bytes), never splitting one. */
static void copy_chars(char *out, size_t cap, const char *s, size_t max)
{
	size_t i = 0, chars = 0;

	while (s[i] && chars < max) {
		unsigned char ch = (unsigned char)s[i];
		size_t step = ch < 0x80 ? 1 : ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;
		if (i + step >= cap)
			break;
		i += step;
		chars++;
	}
	memcpy(out, s, i);
	out[i] = '\0';
}

/* Reads and checks the form's fields into f (the account resolved when it is an alias). NULL when they are usable,
 * else the message to show. The link may leave any of them out: the form then asks. */
static const char *read_form(struct console_req *cr, struct switch_form *f, bool need_all)
{
	const char *c;
	struct db_tx *tx;
	int rc;

	memset(f, 0, sizeof(*f));
	f->account_in = console_param(cr, "account");
	f->role_in = console_param(cr, "roleName");
	f->display_in = console_param(cr, "displayName");
	f->color_in = console_param(cr, "color");
	if (f->color_in && f->color_in[0]) {
		c = f->color_in[0] == '#' ? f->color_in + 1 : f->color_in;
		if (strlen(c) != 6 || strspn(c, "0123456789abcdefABCDEF") != 6)
			return "The color must be 6 hexadecimal digits (RRGGBB).";
		for (int i = 0; i < 6; i++)
			f->color[i] = (char)toupper((unsigned char)c[i]);
	}
	if (f->display_in && f->display_in[0]) {
		size_t len = strlen(f->display_in);
		if (!utf8_valid(f->display_in, len) || utf8_utf16_len(f->display_in, len) > CONSOLE_DISPLAY_MAX)
			return "The display name must be at most 64 characters.";
	}
	if (f->role_in && f->role_in[0] && !valid_role_name(f->role_in))
		return INVALID_FIELDS;
	if (f->account_in && f->account_in[0]) {
		if (strlen(f->account_in) == ACCOUNT_ID_LEN && strspn(f->account_in, "0123456789") == ACCOUNT_ID_LEN) {
			snprintf(f->account_id, sizeof(f->account_id), "%s", f->account_in);
		} else {
			if (strlen(f->account_in) > 63 || db_begin(cr->srv->db, false, &tx) != C_OK)
				return INVALID_FIELDS;
			rc = store_alias_account(tx, f->account_in, f->account_id);
			db_rollback(tx);
			if (rc != C_OK)
				return INVALID_FIELDS;
		}
	}
	if (!need_all)
		return NULL;
	if (!f->account_id[0] || !f->role_in || !f->role_in[0])
		return INVALID_FIELDS;
	if ((size_t)snprintf(f->role_arn, sizeof(f->role_arn), "arn:aws:iam::%s:role/%s", f->account_id, f->role_in) >=
	    sizeof(f->role_arn))
		return INVALID_FIELDS;
	if (f->display_in && f->display_in[0]) {
		snprintf(f->display, sizeof(f->display), "%s", f->display_in);
	} else {
		/* AWS's default: "ROLE @ ACCOUNT", as typed, cut to 64 characters */
		char dflt[sizeof(f->display) + ARN_MAX];
		snprintf(dflt, sizeof(dflt), "%s @ %s", f->role_in, f->account_in);
		copy_chars(f->display, sizeof(f->display), dflt, CONSOLE_DISPLAY_MAX);
	}
	return NULL;
}

/* The form, filled in from f; error (AWS's code and message, or a message alone) above it. */
static void form_page(struct console_req *cr, const struct switch_form *f, int status, const char *code,
                      const char *error)
{
	struct buf *b = cr->html;
	bool other = f->color[0] && strcmp(switchrole_color_class(f->color), "none") == 0;

	page_begin(cr, "Switch role");
	cr->resp->status = status;
	if (error) {
		buf_puts(b, "<div class=\"error\" role=\"alert\" id=\"error\">");
		if (code)
			html_printf(b, "<p class=\"code\" id=\"error-code\">%s</p>", code);
		html_printf(b, "<p class=\"message\" id=\"error-message\">%s</p></div>\n", error);
	}
	buf_puts(b, "<p>Switch to a role of any account that trusts you. The role's permissions replace yours until you "
	            "go back; your own user signs the switch, with the MFA you gave at sign-in.</p>\n"
	            "<form method=\"post\" action=\"/console/switchrole\" id=\"switchrole-form\">\n");
	page_csrf_field(cr, b);
	html_printf(b,
	            "<p><label for=\"account\">Account (12-digit account ID or alias)</label>\n"
	            "<input type=\"text\" id=\"account\" name=\"account\" value=\"%s\" required></p>\n"
	            "<p><label for=\"roleName\">Role name</label>\n"
	            "<input type=\"text\" id=\"roleName\" name=\"roleName\" value=\"%s\" required></p>\n"
	            "<p><label for=\"displayName\">Display name (optional; ROLE @ ACCOUNT when empty)</label>\n"
	            "<input type=\"text\" id=\"displayName\" name=\"displayName\" value=\"%s\" maxlength=\"64\"></p>\n"
	            "<fieldset><legend>Color</legend>\n"
	            "<label><input type=\"radio\" name=\"color\" value=\"\" id=\"color-none\"%S> None</label>\n",
	            f->account_in ? f->account_in : "", f->role_in ? f->role_in : "", f->display_in ? f->display_in : "",
	            f->color[0] ? "" : " checked");
	for (int i = 0; i < SWITCHROLE_NCOLORS; i++)
		html_printf(b,
		            "<label><input type=\"radio\" name=\"color\" value=\"%s\" id=\"color-%s\"%S> "
		            "<span class=\"swatch role-color-%s\" aria-hidden=\"true\"></span> %s</label>\n",
		            switchrole_colors[i], switchrole_colors[i],
		            strcasecmp(f->color, switchrole_colors[i]) == 0 ? " checked" : "", switchrole_colors[i],
		            switchrole_color_names[i]);
	if (other)
		html_printf(b, "<label><input type=\"radio\" name=\"color\" value=\"%s\" id=\"color-%s\" checked> #%s</label>\n",
		            f->color, f->color, f->color);
	buf_puts(b, "</fieldset>\n<p><button type=\"submit\" id=\"switchrole-button\">Switch role</button>\n"
	            "<a href=\"/console/\">Cancel</a></p>\n</form>\n");
	page_end(cr);
}

void console_switchrole_form(struct console_req *cr)
{
	struct switch_form f;
	const char *error = read_form(cr, &f, false);

	form_page(cr, &f, error ? 400 : 200, NULL, error);
}

/* Overwrites the result's secrets before it is freed. */
static void scrub_credentials(json_t *out)
{
	json_t *cred = json_object_get(out, "Credentials");
	const char *names[] = {"SecretAccessKey", "SessionToken"};

	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		json_t *v = json_object_get(cred, names[i]);
		if (json_is_string(v))
			explicit_bzero((char *)json_string_value(v), json_string_length(v));
	}
}

/* Adds the role to the signer's recent roles (a failure is logged: the switch itself stands). */
static void remember(struct console_req *cr, const struct switch_form *f)
{
	struct store_recent_role r;
	struct db_tx *tx;

	memset(&r, 0, sizeof(r));
	snprintf(r.account_id, sizeof(r.account_id), "%s", f->account_id);
	snprintf(r.role_name, sizeof(r.role_name), "%s", f->role_in);
	snprintf(r.display_name, sizeof(r.display_name), "%s", f->display);
	snprintf(r.color, sizeof(r.color), "%s", f->color);
	r.used_ms = cr->now_ms;
	if (db_begin(cr->srv->db, true, &tx) != C_OK)
		goto fail;
	if (store_recent_role_upsert(tx, cr->s->signer.arn, &r) != C_OK) {
		db_rollback(tx);
		goto fail;
	}
	if (db_commit(tx) == C_OK)
		return;
fail:
	log_warnx("console: req=%s: cannot record %s among the recent roles", cr->request_id, f->role_arn);
}

void console_switchrole(struct console_req *cr)
{
	struct switch_form f;
	const char *error = read_form(cr, &f, true), *token;
	char session_name[65];
	json_t *in = NULL, *out = NULL;
	struct aws_err err;

	if (error) {
		form_page(cr, &f, 400, NULL, error);
		return;
	}
	switchrole_session_name(cr, session_name);
	in = json_pack("{s:s, s:s}", "RoleArn", f.role_arn, "RoleSessionName", session_name);
	if (!in) {
		page_error(cr, 500, "InternalFailure", "The request processing has failed.");
		return;
	}
	/* as the signer, never as a role switched to before */
	if (console_call_signer(cr, "sts", "AssumeRole", in, &out, &err) != C_OK) {
		json_decref(in);
		form_page(cr, &f, aws_code_status(err.code), aws_code_name(err.code), err.message);
		return;
	}
	json_decref(in);
	token = json_string_value(json_object_get(json_object_get(out, "Credentials"), "SessionToken"));
	if (!token || session_set_role(cr, token, f.role_arn, f.display, f.color) != C_OK) {
		log_warnx("console: req=%s: the switch to %s could not be kept in the session", cr->request_id, f.role_arn);
		scrub_credentials(out);
		json_decref(out);
		page_error(cr, 500, "InternalFailure", "The role session could not be kept; try again.");
		return;
	}
	scrub_credentials(out);
	json_decref(out);
	remember(cr, &f);
	page_redirect(cr, "/console/");
}

void console_back(struct console_req *cr)
{
	if (cr->s->row.role_token[0] && session_clear_role(cr) != C_OK) {
		page_error(cr, 500, "InternalFailure", "The console could not go back to your user; try again.");
		return;
	}
	page_redirect(cr, "/console/");
}
