/*
 * console.c - the console's router (console.h): which paths are the console's, the route table, the request's
 * form, cookies and session, the CSRF check, static files, and console_call.
 */
#include "console/console.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "console/assets.h"
#include "console/page.h"
#include "console/rolecolor.h"
#include "console/routes.h"
#include "console/session.h"
#include "server/dispatch.h"
#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"

#define PATH_MAX_LEN 1024 /* a longer console path is refused (404) */

/*
 * The route table. Each engineer adds the lines of its pages in its own section (keep the blank line between
 * sections: merges stay clean). More specific paths before prefixes that contain them.
 */
static const struct console_route routes[] = {
	/* ---- core ---- */
	{"GET", "/console/", console_home, true},
	{"GET", "/console/signin", console_signin_form, false},
	{"POST", "/console/signin", console_signin, false},
	{"POST", "/console/signout", console_signout, true},
	{"GET", "/console/password", console_password_form, true},
	{"POST", "/console/password", console_password, true},

	/* ---- fed ---- */
	{"GET", "/federation", federation_handler, false},
	{"POST", "/federation", federation_handler, false},

	/* ---- saml ---- */
	{"POST", "/saml", console_saml, false},

	/* ---- switch ---- */
	{"GET", "/console/switchrole", console_switchrole_form, true},
	{"POST", "/console/switchrole", console_switchrole, true},
	{"POST", "/console/back", console_back, true},

	/* ---- views ---- */
	{"GET", "/console/iam/users", console_iam_users, true},
	{"GET", "/console/iam/users/", console_iam_user, true},
	{"GET", "/console/iam/groups", console_iam_groups, true},
	{"GET", "/console/iam/groups/", console_iam_group, true},
	{"GET", "/console/iam/roles", console_iam_roles, true},
	{"GET", "/console/iam/roles/", console_iam_role, true},
	{"GET", "/console/iam/policies", console_iam_policies, true},
	{"GET", "/console/iam/policies/", console_iam_policy, true},
	{"GET", "/console/organizations", console_organizations, true},
	{"GET", "/console/mfa", console_mfa, true},
	{"POST", "/console/mfa/create", console_mfa_create, true},
	{"POST", "/console/mfa/enable", console_mfa_enable, true},
	{"POST", "/console/mfa/remove", console_mfa_remove, true},

	/* ---- sim ---- */
	{"GET", "/console/simulator", console_simulator, true},
	{"GET", "/console/audit", console_audit, true},
	{"GET", "/console/audit/event", console_audit_event, true},
	{"GET", "/console/reach", console_reach, true},

	/* ---- polish ---- */
	{"GET", "/console/session.css", console_session_css, false}, /* empty when signed out: not a redirect */
};

/* ---- request helpers ------------------------------------------------------------------------------------------ */

const char *console_header(const struct console_req *cr, const char *name)
{
	for (size_t i = 0; i < cr->req->nheaders; i++)
		if (strcasecmp(cr->req->headers[i].name, name) == 0)
			return cr->req->headers[i].value;
	return NULL;
}

const char *console_param(const struct console_req *cr, const char *name)
{
	const struct form_pair *p = form_get(&cr->form, name);

	return p ? p->value : NULL;
}

int console_cookie(const struct console_req *cr, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);

	for (size_t i = 0; i < cr->req->nheaders; i++) {
		const char *p;
		if (strcasecmp(cr->req->headers[i].name, "Cookie") != 0)
			continue;
		for (p = cr->req->headers[i].value; *p;) {
			const char *end = strchr(p, ';');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			while (len && *p == ' ')
				p++, len--;
			if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
				size_t vlen = len - nlen - 1;
				while (vlen && p[nlen + 1 + vlen - 1] == ' ')
					vlen--;
				if (vlen >= cap)
					return C_ERR;
				memcpy(out, p + nlen + 1, vlen);
				out[vlen] = '\0';
				return C_OK;
			}
			if (!end)
				break;
			p = end + 1;
		}
	}
	return C_ERR;
}

int console_set_cookie(struct console_req *cr, const char *name, const char *value, int64_t max_age_s)
{
	char h[HTTP_RESP_HEADER_VALUE_MAX], age[40] = "";

	if (max_age_s < 0)
		snprintf(age, sizeof(age), "; Max-Age=0");
	else if (max_age_s > 0)
		snprintf(age, sizeof(age), "; Max-Age=%" PRId64, max_age_s);
	if ((size_t)snprintf(h, sizeof(h), "%s=%s; Path=/console; HttpOnly; SameSite=Strict%s%s", name, value,
	                     cr->req->tls ? "; Secure" : "", age) >= sizeof(h))
		return C_ERR;
	return http_response_header(cr->resp, "Set-Cookie", h);
}

/* The query string's and (a POST's urlencoded body) parameters into cr->form. */
static int read_form(struct console_req *cr, struct aws_err *err)
{
	const char *ct = console_header(cr, "Content-Type");

	if (cr->req->query && form_parse(&cr->form, cr->req->query, cr->req->query_len, false, err) != C_OK)
		return C_ERR;
	if (strcmp(cr->req->method, "POST") == 0 && cr->req->body_len) {
		if (cr->req->body_len > (strcmp(cr->path, "/saml") == 0 ? CONSOLE_SAML_FORM_MAX : CONSOLE_FORM_MAX))
			return aws_err_set(err, ERR_INVALID_PARAMETER_VALUE, "The form is too large.");
		if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
			return aws_err_set(err, ERR_INVALID_PARAMETER_VALUE,
			                   "The form must be sent as application/x-www-form-urlencoded.");
		if (form_parse(&cr->form, cr->req->body, cr->req->body_len, false, err) != C_OK)
			return C_ERR;
	}
	return form_finish(&cr->form, err);
}

/* ---- static files -------------------------------------------------------------------------------------------- */

static const char *content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (!dot)
		return "application/octet-stream";
	if (strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	return "application/octet-stream";
}

/* GET /console/static/NAME: an embedded file, or 404. */
static void serve_static(struct console_req *cr, const char *name)
{
	for (size_t i = 0; i < console_nassets; i++) {
		if (strcmp(console_assets[i].name, name) != 0)
			continue;
		cr->resp->status = 200;
		cr->resp->content_type = content_type(name);
		http_response_header(cr->resp, "X-Content-Type-Options", "nosniff");
		http_response_header(cr->resp, "Cache-Control", "max-age=300");
		buf_reset(cr->html);
		if (buf_append(cr->html, console_assets[i].data, console_assets[i].len) != C_OK)
			page_error(cr, 500, "InternalFailure", "The file could not be sent.");
		return;
	}
	page_error(cr, 404, NULL, "There is no such page.");
}

/* ---- acting ---------------------------------------------------------------------------------------------------- */

static int call_with(struct console_req *cr, const char *token, const char *service, const char *operation,
                     json_t *in, json_t **out, struct aws_err *err)
{
	*out = NULL;
	if (!token)
		return aws_err_set(err, ERR_INVALID_CLIENT_TOKEN_ID, "The security token included in the request is invalid.");
	return dispatch_invoke_token(cr->srv, cr->req, token, service, operation, in, out, err);
}

int console_call(struct console_req *cr, const char *service, const char *operation, json_t *in, json_t **out,
                 struct aws_err *err)
{
	return call_with(cr, session_active_token(cr), service, operation, in, out, err);
}

int console_call_signer(struct console_req *cr, const char *service, const char *operation, json_t *in, json_t **out,
                        struct aws_err *err)
{
	return call_with(cr, cr->s ? cr->s->row.token : NULL, service, operation, in, out, err);
}

/* ---- routing ------------------------------------------------------------------------------------------------- */

/* Whether path is the console's (with /federation and /saml, AWS's sign-in endpoints; and /favicon.ico, which
 * browsers ask for: a 404, not the API's 403). */
static bool is_console_path(const struct http_request *req)
{
	static const char console[] = "/console", federation[] = "/federation", favicon[] = "/favicon.ico";
	static const char saml[] = "/saml";
	size_t n = req->path_len;

	if ((n == sizeof(favicon) - 1 && memcmp(req->path, favicon, n) == 0) ||
	    (n == sizeof(saml) - 1 && memcmp(req->path, saml, n) == 0))
		return true;
	if (n >= sizeof(console) - 1 && memcmp(req->path, console, sizeof(console) - 1) == 0)
		return n == sizeof(console) - 1 || req->path[sizeof(console) - 1] == '/';
	return n == sizeof(federation) - 1 && memcmp(req->path, federation, n) == 0;
}

/* The route for cr's method and path (cr->subpath set), or NULL; *path_known tells whether some method has it. */
static const struct console_route *find_route(struct console_req *cr, bool *path_known)
{
	const char *method = strcmp(cr->req->method, "HEAD") == 0 ? "GET" : cr->req->method;

	*path_known = false;
	for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
		const struct console_route *r = &routes[i];
		size_t len = strlen(r->path);
		bool prefix = len > 1 && r->path[len - 1] == '/' && strcmp(r->path, "/console/") != 0;
		if (prefix ? strncmp(cr->path, r->path, len) != 0 : strcmp(cr->path, r->path) != 0)
			continue;
		*path_known = true;
		if (strcmp(r->method, method) != 0)
			continue;
		cr->subpath = cr->path + len;
		return r;
	}
	return NULL;
}

/* The page asked for (path and query) into want, for coming back to it: NULL when it is the home page, does not
 * fit, or is not one signin_return_ok accepts. */
static const char *asked_for(const struct console_req *cr, char *want, size_t cap)
{
	int n = snprintf(want, cap, "%s%s%.*s", cr->path, cr->req->query ? "?" : "",
	                 cr->req->query ? (int)cr->req->query_len : 0, cr->req->query ? cr->req->query : "");

	if (n < 0 || (size_t)n >= cap || strcmp(cr->path, "/console/") == 0 || !signin_return_ok(want))
		return NULL;
	return want;
}

/* Signed out, on a page that needs a session: to the sign-in page (GET), then back to that page once signed in
 * (the sign-in form carries it; signin_return_ok checks it there too), or refused (POST). */
static void signed_out(struct console_req *cr)
{
	char want[SIGNIN_RETURN_MAX + 1];

	if (strcmp(cr->req->method, "POST") == 0) {
		page_error(cr, 403, "AccessDenied", "You are not signed in, or your session has ended. Sign in again.");
		return;
	}
	page_redirect_return(cr, "/console/signin", asked_for(cr, want, sizeof(want)));
}

static void log_request(const struct console_req *cr, int64_t t0)
{
	char line[4096], ip[160], path[600], arn[1200];

	snprintf(line, sizeof(line), "level=info req=%s ip=%s console=%s path=%s principal=%s status=%d latency_us=%" PRId64,
	         cr->request_id, cr->req->source_ip[0] ? log_value(cr->req->source_ip, ip, sizeof(ip)) : "-",
	         cr->req->method, log_value(cr->path, path, sizeof(path)), cr->s ? log_value(cr->s->signer.arn, arn, sizeof(arn)) : "-",
	         cr->resp->status, mono_us() - t0);
	log_record(line);
}

bool console_route(struct rg_server *srv, const struct http_request *req, struct http_response *resp)
{
	struct console_req cr;
	const struct console_route *r;
	struct aws_err err;
	char path[PATH_MAX_LEN + 1];
	bool known, post;
	int64_t t0 = mono_us();

	if (!is_console_path(req))
		return false;
	memset(&cr, 0, sizeof(cr));
	cr.srv = srv;
	cr.req = req;
	cr.resp = resp;
	cr.html = &resp->body;
	if (resp->body.len == 0 && resp->body.max > CONSOLE_HTML_MAX)
		resp->body.max = CONSOLE_HTML_MAX; /* a page larger than this is cut, never grown without bound */
	cr.now_ms = now_ms();
	cr.path = path;
	id_request(cr.request_id);
	memcpy(resp->request_id, cr.request_id, sizeof(cr.request_id));
	form_init(&cr.form);
	snprintf(path, sizeof(path), "%.*s", (int)(req->path_len > PATH_MAX_LEN ? 0 : req->path_len), req->path);
	post = strcmp(req->method, "POST") == 0;

	if (!post && strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		page_error(&cr, 405, "MethodNotAllowed", "The HTTP method is not allowed.");
		goto done;
	}
	if (req->forwarded_error[0] || req->too_many_headers) {
		page_error(&cr, 400, "InvalidParameterValue", "The request's headers cannot be used.");
		goto done;
	}
	if (strcmp(path, "/console") == 0) {
		page_redirect(&cr, "/console/");
		goto done;
	}
	if (strncmp(path, "/console/static/", 16) == 0 && !post) {
		serve_static(&cr, path + 16);
		goto done;
	}
	if (read_form(&cr, &err) != C_OK) {
		page_error(&cr, 400, aws_code_name(err.code), err.message);
		goto done;
	}
	session_load(&cr);
	/* PasswordResetRequired: nothing but setting a new password (or signing out) until it is done; /federation
	 * and /saml sign in another identity (or answer a script), so the gate is not theirs */
	if (cr.s && strcmp(path, "/console/password") != 0 && strcmp(path, "/console/signout") != 0 &&
	    strcmp(path, "/federation") != 0 && strcmp(path, "/saml") != 0 && signin_reset_required(&cr)) {
		char want[SIGNIN_RETURN_MAX + 1];
		if (post)
			page_error(&cr, 403, "PasswordResetRequired", "You must set a new password before you continue.");
		else /* then on to the page asked for */
			page_redirect_return(&cr, "/console/password", asked_for(&cr, want, sizeof(want)));
		goto done;
	}
	if (!(r = find_route(&cr, &known))) {
		if (known)
			page_error(&cr, 405, "MethodNotAllowed", "The HTTP method is not allowed.");
		else
			page_error(&cr, 404, NULL, "There is no such page.");
		goto done;
	}
	if (r->needs_session && !cr.s) {
		signed_out(&cr);
		goto done;
	}
	/* every POST carries the session's CSRF token (the sign-in form: the pre-session cookie's); /federation's
	 * POST is AWS's API for scripts (a form post of getSigninToken), authenticated by its credentials instead, and
	 * /saml's is an identity provider's, from its own site, authenticated by the signed response it carries */
	if (post && strcmp(path, "/federation") != 0 && strcmp(path, "/saml") != 0 && !session_csrf_ok(&cr)) {
		log_warnx("console: req=%s ip=%s: POST %s refused: missing or wrong CSRF token", cr.request_id,
		          req->source_ip, path);
		page_error(&cr, 403, "InvalidCsrfToken",
		           "The form has expired or did not come from this console. Reload the page and try again.");
		goto done;
	}
	r->handler(&cr);
done:
	log_request(&cr, t0);
	session_free(&cr);
	form_free(&cr.form);
	return true;
}
