/*
 * console.h - the web console: served by `rolegate server` on the API listener under /console and /federation.
 *
 * dispatch_request() hands every request to console_route() first; it answers the console's paths and leaves the
 * rest to the API. A request is matched against one route table (console.c: method, path, handler, whether it
 * needs a signed-in session); its form (query string and urlencoded body) is decoded, its session cookie opened
 * (session.h) and, for a POST, its CSRF token checked before the handler runs. Handlers write HTML into cr->html
 * (page.h) and act ONLY through console_call(): the API's own path, as the session's active identity, so the
 * policy engine authorizes and the audit trail records every action; the console has no privileges of its own.
 */
#ifndef ROLEGATE_CONSOLE_H
#define ROLEGATE_CONSOLE_H

#include <jansson.h>
#include <stdbool.h>

#include "aws/errors.h"
#include "aws/form.h"
#include "aws/ids.h"
#include "http/http.h"
#include "server/server.h"
#include "store/console.h"
#include "util/buf.h"

#define CONSOLE_HTML_MAX (4 * 1024 * 1024) /* the largest page */
#define CONSOLE_FORM_MAX (64 * 1024)       /* the largest form body the console reads */
#define CONSOLE_SAML_FORM_MAX (256 * 1024) /* /saml's: a SAMLResponse is up to 100 000 base64 characters */

struct console_session;

/* One console request, as handlers see it. */
struct console_req {
	struct rg_server *srv;
	const struct http_request *req;
	struct http_response *resp;
	struct form form;          /* the query string's and the urlencoded POST body's parameters */
	struct console_session *s; /* NULL: not signed in */
	struct buf *html;          /* the page being written (resp->body) */
	char request_id[REQUEST_ID_LEN + 1];
	int64_t now_ms;
	const char *path;          /* the request's path, NUL-terminated (without the query) */
	const char *subpath;       /* what follows the matched route's prefix ("" for an exact match) */
	char signin_csrf[CONSOLE_ID_LEN + 1]; /* signed out: the pre-session CSRF token (session.h), "" until made */
};

/* A page handler: writes the response (a page, a redirect, an error). */
typedef void (*console_handler_fn)(struct console_req *cr);

/* One route. A path ending in '/' after its prefix (e.g. "/console/iam/users/") matches everything under it
 * (cr->subpath is the rest); any other path matches exactly. */
struct console_route {
	const char *method;  /* "GET" or "POST" (GET routes answer HEAD too) */
	const char *path;
	console_handler_fn handler;
	bool needs_session;  /* without one: GET redirects to the sign-in page, POST is refused */
};

/* Answers req if it is the console's (/console, /console/..., /federation): true then (resp filled). */
bool console_route(struct rg_server *srv, const struct http_request *req, struct http_response *resp);

/*
 * Performs service:operation (botocore names: "iam", "ListUsers") as the session's ACTIVE identity (the role after
 * a switch, else the signed-in user or root), with the browser's request as the request (source IP, User-Agent,
 * TLS): authorized by the policy engine and audited like the API call. in: the input tree (borrowed; NULL for
 * none), as the API decodes it. C_OK with *out the result tree (owned: json_decref), or C_ERR with err holding
 * AWS's error (show it as is: page_error or page_aws_error). C_ERR with InvalidClientTokenId when not signed in.
 */
int console_call(struct console_req *cr, const char *service, const char *operation, json_t *in, json_t **out,
                 struct aws_err *err);
/* console_call as the signed-in identity itself (the user or root, never the switched-to role): for what acts
 * on the signer (the password page, switching roles). */
int console_call_signer(struct console_req *cr, const char *service, const char *operation, json_t *in, json_t **out,
                        struct aws_err *err);

/* The value of form parameter name, or NULL. */
const char *console_param(const struct console_req *cr, const char *name);
/* A request header, or NULL. */
const char *console_header(const struct console_req *cr, const char *name);
/* The value of cookie name in the request (copied into out, NUL-terminated), C_OK; C_ERR when absent or too long. */
int console_cookie(const struct console_req *cr, const char *name, char *out, size_t cap);
/* Sets a cookie: Path=/console (or /federation's), HttpOnly, SameSite=Strict, Secure over TLS; max_age_s < 0 deletes
 * it, 0 makes a browser-session cookie. C_ERR when it does not fit. */
int console_set_cookie(struct console_req *cr, const char *name, const char *value, int64_t max_age_s);

#endif
