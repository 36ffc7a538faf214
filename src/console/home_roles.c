/*
 * home_roles.c - the home page's roles (switchrole.h): the roles the signed-in identity may switch to now
 * (switchable.h: the engine's dry run of each AssumeRole), each with a one-click switch and AWS's switch-role link,
 * and the identity's recent roles, most recent first.
 */
#include <stdio.h>
#include <string.h>

#include "console/page.h"
#include "console/session.h"
#include "console/switchable.h"
#include "console/switchrole.h"
#include "store/console.h"
#include "util/common.h"
#include "util/log.h"

/* A one-button form that switches to (account, role_name) with a display name and colour. */
static void switch_button(struct console_req *cr, const char *account, const char *role_name, const char *display,
                          const char *color, const char *label)
{
	struct buf *b = cr->html;

	buf_puts(b, "<form method=\"post\" action=\"/console/switchrole\" class=\"inline switch\">\n");
	page_csrf_field(cr, b);
	html_printf(b,
	            "<input type=\"hidden\" name=\"account\" value=\"%s\">\n"
	            "<input type=\"hidden\" name=\"roleName\" value=\"%s\">\n",
	            account, role_name);
	if (display && display[0])
		html_printf(b, "<input type=\"hidden\" name=\"displayName\" value=\"%s\">\n", display);
	if (color && color[0])
		html_printf(b, "<input type=\"hidden\" name=\"color\" value=\"%s\">\n", color);
	html_printf(b, "<button type=\"submit\">%s</button>\n</form>\n", label);
}

/* AWS's switch-role link for a role: /console/switchrole?account=ID&roleName=NAME[&displayName=..][&color=..] */
static void switch_link(struct buf *b, const char *account, const char *role_name, const char *display,
                        const char *color)
{
	buf_puts(b, "/console/switchrole?account=");
	html_url(b, account);
	buf_puts(b, "&amp;roleName=");
	html_url(b, role_name);
	if (display && display[0]) {
		buf_puts(b, "&amp;displayName=");
		html_url(b, display);
	}
	if (color && color[0]) {
		buf_puts(b, "&amp;color=");
		html_url(b, color);
	}
}

static void switchable_section(struct console_req *cr)
{
	struct buf *b = cr->html;
	struct switchable_list l;
	char session_name[65], label[IAM_PATH_MAX + IAM_NAME_MAX + 160];

	buf_puts(b, "<h2 id=\"switchable-roles-heading\">Roles you can switch to</h2>\n");
	switchrole_session_name(cr, session_name);
	if (switchable_roles(cr->srv, cr->req, cr->s->row.token, cr->s->signer.account_id, session_name, &l) != C_OK) {
		buf_puts(b, "<p class=\"error\" role=\"alert\" id=\"switchable-error\">The roles you can switch to could not "
		            "be determined; <a href=\"/console/switchrole\">switch role</a> by name.</p>\n");
		return;
	}
	if (l.n == 0) {
		html_printf(b, "<p id=\"no-switchable\">%s <a href=\"/console/switchrole\">Switch role</a> by name.</p>\n",
		            cr->s->signer.kind == PRINCIPAL_ROOT ? "Roles may not be assumed by root accounts."
		                                                 : "No role of your organization would let you in now.");
	} else {
		buf_puts(b, "<table id=\"switchable\">\n<caption>Every role of your organization's accounts whose trust policy "
		            "and your policies allow you to assume it now</caption>\n<thead><tr><th scope=\"col\">Account"
		            "</th><th scope=\"col\">Role</th><th scope=\"col\">Switch</th></tr></thead>\n<tbody>\n");
		for (size_t i = 0; i < l.n; i++) {
			const struct switchable_role *r = &l.roles[i];
			html_printf(b,
			            "<tr class=\"switchable-role\" data-account=\"%s\" data-role=\"%s\">"
			            "<td><span class=\"account-name\">%s</span> <span class=\"account-id\">%s</span></td>"
			            "<td><span class=\"role-name\">%s</span><br><code class=\"role-arn\">%s</code></td><td>",
			            r->account_id, r->link_name, r->account_name, r->account_id, r->role_name, r->role_arn);
			snprintf(label, sizeof(label), "Switch to %s @ %s", r->link_name, r->account_name);
			switch_button(cr, r->account_id, r->link_name, NULL, NULL, label);
			buf_puts(b, " <a class=\"switch-link\" href=\"");
			switch_link(b, r->account_id, r->link_name, NULL, NULL);
			html_printf(b, "\">Switch role link<span class=\"visually-hidden\"> for %s @ %s</span></a></td></tr>\n",
			            r->link_name, r->account_name);
		}
		buf_puts(b, "</tbody>\n</table>\n");
	}
	if (l.truncated)
		html_printf(b, "<p id=\"switchable-truncated\">Only the first %d roles of the organization were looked at.</p>\n",
		            SWITCHABLE_MAX);
	if (l.failed)
		html_printf(b, "<p id=\"switchable-failed\">%zu roles could not be evaluated and are not shown.</p>\n", l.failed);
	switchable_free(&l);
}

struct recent_ctx {
	struct console_req *cr;
	int n;
};

static int recent_row(void *ctx, const struct store_recent_role *r)
{
	struct recent_ctx *rc = ctx;
	struct buf *b = rc->cr->html;
	char label[sizeof(((struct store_recent_role *)0)->display_name) + 16];

	if (rc->n++ == 0)
		buf_puts(b, "<ul id=\"recent-roles\">\n");
	html_printf(b,
	            "<li class=\"recent-role\" data-account=\"%s\" data-role=\"%s\">"
	            "<span class=\"swatch role-color-%s\" aria-hidden=\"true\"></span> "
	            "<span class=\"recent-display\">%s</span> (account <span class=\"account-id\">%s</span>, role "
	            "<span class=\"role-name\">%s</span>) ",
	            r->account_id, r->role_name, switchrole_color_class(r->color), r->display_name, r->account_id,
	            r->role_name);
	snprintf(label, sizeof(label), "Switch to %s", r->display_name);
	switch_button(rc->cr, r->account_id, r->role_name, r->display_name, r->color, label);
	buf_puts(b, "</li>\n");
	return C_OK;
}

static void recent_section(struct console_req *cr)
{
	struct buf *b = cr->html;
	struct recent_ctx ctx = {cr, 0};
	struct db_tx *tx;
	int rc = C_ERR;

	buf_puts(b, "<h2 id=\"recent-roles-heading\">Recent roles</h2>\n");
	if (db_begin(cr->srv->db, false, &tx) == C_OK) {
		rc = store_recent_role_list(tx, cr->s->signer.arn, SWITCHROLE_RECENT_SHOWN, recent_row, &ctx);
		db_rollback(tx);
	}
	if (ctx.n)
		buf_puts(b, "</ul>\n");
	if (rc < 0) {
		log_warnx("console: req=%s: cannot read the recent roles", cr->request_id);
		buf_puts(b, "<p class=\"error\" role=\"alert\">Your recent roles could not be read.</p>\n");
	} else if (ctx.n == 0) {
		buf_puts(b, "<p id=\"no-recent\">You have not switched roles yet.</p>\n");
	}
}

void switchrole_home_section(struct console_req *cr)
{
	switchable_section(cr);
	recent_section(cr);
}
