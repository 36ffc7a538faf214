/*
 * rolecolor.c - the switch-role bar in any colour: GET /console/session.css.
 *
 * AWS's switch role link takes any colour (?color=RRGGBB); console.css has classes for the five the form offers,
 * and the Content-Security-Policy forbids inline style. So, while a role of another colour is active, page_begin
 * links this stylesheet: it is the signed-in browser's own (the session cookie), never cached, and written only
 * from the session's validated hex digits (nothing else of the request or the session goes into it). Signed out, or
 * with no such role, it is an empty stylesheet.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "console/page.h"
#include "console/rolecolor.h"
#include "console/routes.h"
#include "console/session.h"
#include "console/switchrole.h"

/* Whether c is exactly six hexadecimal digits. */
static bool is_hex6(const char *c)
{
	return c && strlen(c) == 6 && strspn(c, "0123456789abcdefABCDEF") == 6;
}

bool rolecolor_custom(const char *color)
{
	return is_hex6(color) && strcmp(switchrole_color_class(color), "none") == 0;
}

/* The value (0..255) of the two hex digits at p. */
static int hex2(const char *p)
{
	int v = 0;

	for (int i = 0; i < 2; i++) {
		int ch = tolower((unsigned char)p[i]);
		v = v * 16 + (isdigit(ch) ? ch - '0' : ch - 'a' + 10);
	}
	return v;
}

void console_session_css(struct console_req *cr)
{
	const char *color = cr->s && cr->s->role_active ? cr->s->row.role_color : NULL;

	page_security_headers(cr); /* no-store and nosniff among them */
	cr->resp->status = 200;
	cr->resp->content_type = "text/css; charset=utf-8";
	buf_reset(cr->html);
	buf_puts(cr->html, "/* the active role's colour */\n");
	if (rolecolor_custom(color)) {
		/* dark text on a light colour, white on a dark one (ITU-R BT.601 luma) */
		int luma = (299 * hex2(color) + 587 * hex2(color + 2) + 114 * hex2(color + 4)) / 1000;
		buf_printf(cr->html, "#rolebar { background: #%.6s; color: %s; }\n", color, luma < 128 ? "#ffffff" : "#16191f");
	}
}
