/*
 * home.c - the console's home page (GET /console/): who is signed in (the ARN, account id and alias, whether MFA
 * was used), the active role after a switch, and the roles one may switch to (switchrole.h).
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
	if (s->role_active)
		html_printf(b, "<dt>Acting as</dt><dd id=\"active-arn\">%s</dd>\n", s->active.arn);
	buf_puts(b, "</dl>\n</section>\n<section id=\"switchable-roles\" aria-labelledby=\"switchable-roles-heading\">\n");
	switchrole_home_section(cr);
	buf_puts(b, "</section>\n");
	page_end(cr);
}
