/*
 * home.c - the console's home page (GET /console/): who is signed in (the ARN, account id and alias, whether MFA
 * was used), who the console acts as (sts:GetCallerIdentity through console_call: the role after a switch), and
 * the roles one may switch to (switchrole.h), and the link to the access analysis report when there is one that
 * the active identity may see (reach.c).
 */
#include <string.h>

#include "console/page.h"
#include "console/routes.h"
#include "console/session.h"
#include "console/switchrole.h"
#include "util/common.h"

void console_home(struct console_req *cr)
{
	struct console_session *s = cr->s;
	struct buf *b = cr->html;
	const char *changed = console_param(cr, "password");
	struct aws_err err;
	json_t *out = NULL;

	page_begin(cr, "Console home");
	if (changed && strcmp(changed, "changed") == 0)
		buf_puts(b, "<div class=\"notice\" role=\"status\" id=\"notice\"><p>Your password has been changed.</p></div>\n");
	html_printf(b,
	            "<section id=\"whoami\" aria-labelledby=\"whoami-heading\">\n<h2 id=\"whoami-heading\">Signed in</h2>\n"
	            "<dl>\n<dt>ARN</dt><dd id=\"signer-arn\">%s</dd>\n"
	            "<dt>Account</dt><dd id=\"account-id\">%s</dd>\n"
	            "<dt>Account alias</dt><dd id=\"account-alias\">%s</dd>\n"
	            "<dt>MFA used at sign-in</dt><dd id=\"mfa-used\">%s</dd>\n",
	            s->signer.arn, s->signer.account_id, s->alias[0] ? s->alias : "(none)", s->row.mfa_s ? "Yes" : "No");
	/* who the console acts as, asked the way a CLI would: sts:GetCallerIdentity with the session's credentials */
	if (console_call(cr, "sts", "GetCallerIdentity", NULL, &out, &err) == C_OK) {
		html_printf(b, "<dt>Acting as</dt><dd id=\"active-arn\">%s</dd>\n<dt>User ID</dt><dd id=\"active-userid\">%s</dd>\n",
		            json_string_value(json_object_get(out, "Arn")), json_string_value(json_object_get(out, "UserId")));
		json_decref(out);
	} else {
		html_printf(b, "<dt>Acting as</dt><dd id=\"active-arn\">%s (%s)</dd>\n", aws_code_name(err.code), err.message);
	}
	buf_puts(b, "</dl>\n</section>\n<section id=\"switchable-roles\" aria-labelledby=\"switchable-roles-heading\">\n");
	switchrole_home_section(cr);
	buf_puts(b, "</section>\n");
	reach_home_section(cr);
	page_end(cr);
}
