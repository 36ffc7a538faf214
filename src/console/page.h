/*
 * page.h - the console's HTML: the layout every page shares and the escaping every byte of data goes through.
 *
 * A page is page_begin(cr, title) ... page_end(cr): a complete, accessible HTML document (lang, a skip link, one
 * h1, labelled forms), the header with who is signed in, the navigation and, while a switched role is active, the
 * switch-role bar (the display name, account and role in the chosen colour, and "Back to USER"). Every string that
 * comes from data goes through html_text / html_attr / html_printf's %s: nothing is written unescaped. No inline
 * script or style: the Content-Security-Policy forbids both (colours are classes of console.css).
 */
#ifndef ROLEGATE_CONSOLE_PAGE_H
#define ROLEGATE_CONSOLE_PAGE_H

#include "aws/errors.h"
#include "console/console.h"

/* The console's icon, linked by every page (so browsers do not ask for /favicon.ico: a 404). */
#define PAGE_ICON "/console/static/favicon.svg"

/* Appends s escaped for HTML text (& < > " '). */
void html_text(struct buf *b, const char *s);
/* Appends s escaped for a double-quoted attribute value (the same escaping: safe in both). */
void html_attr(struct buf *b, const char *s);
/* printf into b where every %s argument is escaped (html_text); other conversions (%d, %lld, %zu...) are as
 * printf's. Use %S (capital) to append a string of trusted HTML unescaped (markup the caller wrote). */
void html_printf(struct buf *b, const char *fmt, ...);
/* Appends s percent-encoded for a URL's path segment or query value (RFC 3986 unreserved bytes kept). */
void html_url(struct buf *b, const char *s);

/* Starts the page: status 200, the security headers, the document head, the header (identity, nav, the
 * switch-role bar) and <main>, with an <h1> of title. */
void page_begin(struct console_req *cr, const char *title);
/* Closes <main> and the document. */
void page_end(struct console_req *cr);
/* A whole error page: status, AWS's error code (e.g. "AccessDenied", or NULL) and message, shown as is. */
void page_error(struct console_req *cr, int status, const char *aws_code, const char *message);
/* page_error for an AWS error from console_call: its HTTP status, code and message. */
void page_aws_error(struct console_req *cr, const struct aws_err *err);
/* A 303 See Other to location (a path of this server, e.g. "/console/"), with the security headers. */
void page_redirect(struct console_req *cr, const char *location);
/* page_redirect to path with "?redirect_uri=" and ret URL-encoded: the page to go on to afterwards (the sign-in and
 * password pages carry it). ret NULL, or one signin_return_ok refuses: path alone. */
void page_redirect_return(struct console_req *cr, const char *path, const char *ret);
/* Appends the hidden CSRF field every POST form carries. */
void page_csrf_field(struct console_req *cr, struct buf *b);
/* Appends a small POST form with one button (sign out, back to user...): action, the button's text, and cls: the
 * form's CSS class, its id "CLS-form" and the button's id "CLS-button" (one per page). */
void page_post_button(struct console_req *cr, const char *action, const char *label, const char *cls);
/* Sets the security headers on cr->resp (CSP, X-Frame-Options, nosniff, no-store, Referrer-Policy; HSTS over TLS),
 * once per response however often it is called. Called by page_begin, page_error and page_redirect; for other
 * responses call it yourself. */
void page_security_headers(struct console_req *cr);

#endif
