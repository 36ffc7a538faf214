/*
 * page.c - the console's layout and HTML escaping (page.h).
 */
#include "console/page.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "console/rolecolor.h"
#include "console/routes.h"
#include "console/session.h"
#include "util/common.h"
#include "util/log.h"

#define CSP                                                                                                        \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "  \
	"form-action 'self'; base-uri 'none'"

/* The colours AWS's switch role page offers (its "color" values), as console.css classes. */
static const char *const role_colors[] = {"F2B0A9", "FBBF93", "FAD791", "B7CA9D", "99BCE3"};

/* ---- escaping ------------------------------------------------------------------------------------------------ */

void html_text(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_putc(b, *s); break;
		}
	}
}

void html_attr(struct buf *b, const char *s) { html_text(b, s); }

void html_url(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~')
			buf_putc(b, (char)ch);
		else
			buf_printf(b, "%%%02X", ch);
	}
}

void html_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char spec[32], tmp[128];

	va_start(ap, fmt);
	while (*fmt) {
		const char *pct = strchr(fmt, '%');
		size_t n, len;
		char conv;
		enum { L_INT, L_LONG, L_LLONG, L_SIZE } lm = L_INT;

		if (!pct) {
			buf_puts(b, fmt);
			break;
		}
		buf_append(b, fmt, (size_t)(pct - fmt));
		/* the conversion: flags, width, precision (digits only), a length, the letter */
		len = 1 + strspn(pct + 1, "-+ #0123456789.");
		if (pct[len] == 'h')
			len += pct[len + 1] == 'h' ? 2 : 1;
		else if (pct[len] == 'l' && pct[len + 1] == 'l')
			lm = L_LLONG, len += 2;
		else if (pct[len] == 'l')
			lm = L_LONG, len += 1;
		else if (pct[len] == 'z' || pct[len] == 'j' || pct[len] == 't')
			lm = pct[len] == 'z' ? L_SIZE : L_LLONG, len += 1;
		conv = pct[len];
		if (!conv || len + 2 > sizeof(spec))
			break; /* a malformed format: stop rather than guess */
		n = len + 1;
		memcpy(spec, pct, n);
		spec[n] = '\0';
		switch (conv) {
		case '%': buf_putc(b, '%'); break;
		case 's': html_text(b, va_arg(ap, const char *)); break;
		case 'S': buf_puts(b, va_arg(ap, const char *)); break;
		case 'c': snprintf(tmp, sizeof(tmp), "%c", (char)va_arg(ap, int)); html_text(b, tmp); break;
		case 'd': case 'i': case 'u': case 'x': case 'X': case 'o':
			switch (lm) {
			case L_INT: snprintf(tmp, sizeof(tmp), spec, va_arg(ap, int)); break;
			case L_LONG: snprintf(tmp, sizeof(tmp), spec, va_arg(ap, long)); break;
			case L_LLONG: snprintf(tmp, sizeof(tmp), spec, va_arg(ap, long long)); break;
			case L_SIZE: snprintf(tmp, sizeof(tmp), spec, va_arg(ap, size_t)); break;
			}
			buf_puts(b, tmp);
			break;
		default:
			va_end(ap);
			return; /* unsupported: nothing more is written */
		}
		fmt = pct + n;
	}
	va_end(ap);
}

/* ---- the layout ---------------------------------------------------------------------------------------------- */

void page_security_headers(struct console_req *cr)
{
	struct http_response *r = cr->resp;

	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].name, "Content-Security-Policy") == 0)
			return; /* set already (a page begun, then an error page instead): once is enough */

	http_response_header(r, "Content-Security-Policy", CSP);
	http_response_header(r, "X-Frame-Options", "DENY");
	http_response_header(r, "X-Content-Type-Options", "nosniff");
	http_response_header(r, "Cache-Control", "no-store");
	http_response_header(r, "Referrer-Policy", "no-referrer");
	if (cr->req->tls)
		http_response_header(r, "Strict-Transport-Security", "max-age=31536000");
}

/* The CSS class of a switch-role colour: one of AWS's five, else the neutral one. */
static const char *color_class(const char *color)
{
	const char *c = color && color[0] == '#' ? color + 1 : color;

	for (size_t i = 0; c && i < ARRAY_LEN(role_colors); i++)
		if (strcasecmp(c, role_colors[i]) == 0)
			return role_colors[i];
	return "none";
}

/* The last part of an ARN's resource ("user/path/NAME" -> "NAME"; root -> "root"). */
static const char *arn_last(const char *arn)
{
	const char *slash = strrchr(arn, '/'), *colon = strrchr(arn, ':');

	return slash ? slash + 1 : colon ? colon + 1 : arn;
}

/* The header: who is signed in (and the role in use), the navigation, sign out. */
static void page_header(struct console_req *cr)
{
	struct buf *b = cr->html;
	struct console_session *s = cr->s;

	buf_puts(b, "<header class=\"top\">\n<a class=\"brand\" href=\"/console/\">rolegate console</a>\n");
	if (!s) {
		buf_puts(b, "</header>\n");
		return;
	}
	html_printf(b, "<p class=\"identity\" id=\"identity\"><span class=\"who\">%s</span> @ <span class=\"acct\">%s</span>"
	               "</p>\n",
	            strcmp(s->row.kind, "root") == 0 ? "root" : arn_last(s->signer.arn),
	            s->alias[0] ? s->alias : s->signer.account_id);
	page_post_button(cr, "/console/signout", "Sign out", "signout");
	buf_puts(b, "<nav aria-label=\"Console\"><ul>\n"
	            "<li><a href=\"/console/\">Home</a></li>\n"
	            "<li><a href=\"/console/iam/users\">Users</a></li>\n"
	            "<li><a href=\"/console/iam/groups\">Groups</a></li>\n"
	            "<li><a href=\"/console/iam/roles\">Roles</a></li>\n"
	            "<li><a href=\"/console/iam/policies\">Policies</a></li>\n"
	            "<li><a href=\"/console/organizations\">Organizations</a></li>\n"
	            "<li><a href=\"/console/audit\">Audit</a></li>\n"
	            "<li><a href=\"/console/simulator\">Policy simulator</a></li>\n"
	            "<li><a href=\"/console/mfa\">My MFA</a></li>\n"
	            "<li><a href=\"/console/password\">My password</a></li>\n"
	            "<li><a href=\"/console/switchrole\">Switch role</a></li>\n"
	            "</ul></nav>\n</header>\n");
	if (s->role_active) {
		html_printf(b,
		            "<section class=\"rolebar role-color-%S\" id=\"rolebar\" aria-label=\"Active role\">\n"
		            "<p><span class=\"role-display\">%s</span> <span class=\"role-detail\">Account: "
		            "<span class=\"role-account\">%s</span> Role: <span class=\"role-name\">%s</span></span></p>\n",
		            color_class(s->row.role_color), s->row.role_display[0] ? s->row.role_display : arn_last(s->row.role_arn),
		            s->active.account_id, s->active.name);
		{
			char label[IAM_NAME_MAX + 16];
			snprintf(label, sizeof(label), "Back to %.64s",
			         strcmp(s->row.kind, "root") == 0 ? "root" : arn_last(s->signer.arn));
			page_post_button(cr, "/console/back", label, "back");
		}
		buf_puts(b, "</section>\n");
	}
}

void page_begin(struct console_req *cr, const char *title)
{
	struct buf *b = cr->html;

	cr->resp->status = 200;
	cr->resp->content_type = "text/html; charset=utf-8";
	page_security_headers(cr);
	buf_reset(b);
	html_printf(b,
	            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	            "<title>%s - rolegate console</title>\n"
	            "<link rel=\"icon\" href=\"" PAGE_ICON "\" type=\"image/svg+xml\">\n"
	            "<link rel=\"stylesheet\" href=\"/console/static/console.css\">\n"
	            "<script src=\"/console/static/console.js\" defer></script>\n",
	            title);
	if (cr->s && cr->s->role_active && rolecolor_custom(cr->s->row.role_color)) /* CSP: no inline style */
		buf_puts(b, "<link rel=\"stylesheet\" href=\"/console/session.css\">\n");
	buf_puts(b, "</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n");
	page_header(cr);
	html_printf(b, "<main id=\"main\" tabindex=\"-1\">\n<h1>%s</h1>\n", title);
	if (cr->s && cr->s->role_ended) {
		/* the switched-to role's credentials expired: said once, then the session forgets the role */
		if (session_clear_role(cr) != C_OK)
			log_warnx("console: req=%s: cannot clear the ended role session", cr->request_id);
		buf_puts(b, "<div class=\"notice\" role=\"status\" id=\"role-ended\"><p>Your role session ended; switch "
		            "role again.</p></div>\n");
	}
}

void page_end(struct console_req *cr)
{
	buf_puts(cr->html, "</main>\n<footer><p>rolegate: AWS IAM, STS and Organizations, self-hosted.</p></footer>\n"
	                   "</body>\n</html>\n");
}

void page_error(struct console_req *cr, int status, const char *aws_code, const char *message)
{
	page_begin(cr, "Error");
	cr->resp->status = status;
	html_printf(cr->html, "<div class=\"error\" role=\"alert\" id=\"error\">%S<p class=\"message\">%s</p></div>\n",
	            "", message ? message : "");
	if (aws_code && aws_code[0])
		html_printf(cr->html, "<p class=\"code\">Error code: <code id=\"error-code\">%s</code></p>\n", aws_code);
	buf_puts(cr->html, "<p><a href=\"/console/\">Back to the console home</a></p>\n");
	page_end(cr);
}

void page_aws_error(struct console_req *cr, const struct aws_err *err)
{
	page_error(cr, aws_code_status(err->code), aws_code_name(err->code), err->message);
}

void page_redirect(struct console_req *cr, const char *location)
{
	cr->resp->status = 303;
	cr->resp->content_type = "text/html; charset=utf-8";
	page_security_headers(cr);
	if (location[0] != '/' || location[1] == '/' || location[1] == '\\')
		location = "/console/"; /* only this server's paths: never an open redirect */
	http_response_header(cr->resp, "Location", location);
	buf_reset(cr->html);
	html_printf(cr->html, "<!DOCTYPE html>\n<html lang=\"en\"><head><title>Redirect</title></head><body>"
	                      "<p><a href=\"%s\">Continue</a></p></body></html>\n",
	            location);
}

void page_redirect_return(struct console_req *cr, const char *path, const char *ret)
{
	struct buf loc;

	if (!ret || !signin_return_ok(ret)) {
		page_redirect(cr, path);
		return;
	}
	buf_init(&loc, strlen(path) + sizeof("?" SIGNIN_RETURN_PARAM "=") + 3 * SIGNIN_RETURN_MAX);
	buf_puts(&loc, path);
	buf_puts(&loc, "?" SIGNIN_RETURN_PARAM "=");
	html_url(&loc, ret);
	page_redirect(cr, buf_str(&loc));
	buf_free(&loc);
}

void page_csrf_field(struct console_req *cr, struct buf *b)
{
	html_printf(b, "<input type=\"hidden\" name=\"" SESSION_CSRF_FIELD "\" value=\"%s\">\n", session_csrf(cr));
}

void page_post_button(struct console_req *cr, const char *action, const char *label, const char *cls)
{
	html_printf(cr->html, "<form method=\"post\" action=\"%s\" class=\"inline %s\" id=\"%s-form\">\n", action, cls,
	            cls);
	page_csrf_field(cr, cr->html);
	html_printf(cr->html, "<button type=\"submit\" id=\"%s-button\">%s</button>\n</form>\n", cls, label);
}
