/*
 * reach.c - the console's link to the access analysis (`rolegate analyze reach --format html`):
 *
 *   GET /console/reach   the latest report: the file --reach-report FILE names (default DATA/reach.html), written by
 *                        `rolegate analyze reach --format html --output FILE`, sent as it is (a self-contained page:
 *                        no script, no external fetch)
 *
 * The report shows who can enter every role of every account, so it is shown only to whom could have made it: an
 * identity of the management account (the active one: after a switch role, the role's) whose policies allow reading
 * the whole organization (organizations:ListAccounts, organizations:DescribeOrganization and
 * iam:GetAccountAuthorizationDetails), asked of the engine without acting (dispatch_authorize_token, a dry run).
 * Everyone else gets AWS's 403 page, and the home page no link; with no report there is a 404 page and no link.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "console/page.h"
#include "console/routes.h"
#include "console/session.h"
#include "server/dispatch.h"
#include "util/common.h"

#define REPORT_MAX ((size_t)16 * 1024 * 1024) /* an HTTP response's body cap (src/http) */
/* The report is one file with its own inline style and no script: nothing else may load or run. */
#define REPORT_CSP                                                                                                 \
	"default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; form-action 'none'; "  \
	"base-uri 'none'"

/* The report's path (cap PATH_MAX-ish): --reach-report, else DATA/reach.html. */
static void report_path(struct console_req *cr, char *out, size_t cap)
{
	const struct server_config *cfg = cr->srv->cfg;

	if (cfg->reach_report && cfg->reach_report[0])
		snprintf(out, cap, "%s", cfg->reach_report);
	else
		snprintf(out, cap, "%s/reach.html", cfg->data_dir ? cfg->data_dir : ".");
}

/* Whether a report exists (a regular file). */
static bool report_exists(struct console_req *cr)
{
	char path[4096];
	struct stat st;

	report_path(cr, path, sizeof(path));
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

struct verdict {
	int rc;
};

static void keep_verdict(void *ctx, size_t i, int rc, const struct aws_err *err)
{
	struct verdict *v = ctx;

	(void)i;
	(void)err;
	if (rc != C_OK)
		v->rc = C_ERR;
}

/* Whether the active identity's policies allow service:operation (a dry run). Undecided counts as refused. */
static bool may(struct console_req *cr, const char *service, const char *operation)
{
	struct verdict v = {.rc = C_OK};
	struct aws_err err;
	json_t *in = json_object();
	const char *token = session_active_token(cr);
	int rc = token && in ? dispatch_authorize_token(cr->srv, cr->req, token, service, operation, &in, 1,
	                                                keep_verdict, &v, &err)
	                     : C_ERR;

	json_decref(in);
	return rc == C_OK && v.rc == C_OK;
}

/* Whether the active identity may see the report: of the management account, allowed to read the organization. */
static bool allowed(struct console_req *cr)
{
	const struct principal *p = &cr->s->active; /* the switched-to role session, else the signer */

	return strcmp(p->account_id, cr->srv->management_account) == 0 &&
	       may(cr, "organizations", "DescribeOrganization") && may(cr, "organizations", "ListAccounts") &&
	       may(cr, "iam", "GetAccountAuthorizationDetails");
}

void reach_home_section(struct console_req *cr)
{
	if (!report_exists(cr) || !allowed(cr))
		return;
	buf_puts(cr->html, "<section id=\"access-analysis\" aria-labelledby=\"access-analysis-heading\">\n"
	                   "<h2 id=\"access-analysis-heading\">Access analysis</h2>\n"
	                   "<p><a id=\"reach-link\" href=\"/console/reach\">Who can assume which role</a>: the latest "
	                   "report of <code>rolegate analyze reach</code>.</p>\n</section>\n");
}

void console_reach(struct console_req *cr)
{
	char path[4096];
	struct stat st;
	FILE *f;

	if (!report_exists(cr)) {
		page_error(cr, 404, NULL, "There is no access analysis report. Write one with rolegate analyze reach "
		                          "--format html --output FILE.");
		return;
	}
	if (!allowed(cr)) {
		page_error(cr, 403, "AccessDenied", "Only an identity of the management account allowed to read the whole "
		                                    "organization may see the access analysis.");
		return;
	}
	report_path(cr, path, sizeof(path));
	if (!(f = fopen(path, "rb")) || fstat(fileno(f), &st) != 0 || (size_t)st.st_size > REPORT_MAX) {
		if (f)
			fclose(f);
		page_error(cr, 500, "InternalFailure", "The report could not be read (or is larger than 16 MiB).");
		return;
	}
	buf_reset(cr->html);
	if (buf_reserve(cr->html, (size_t)st.st_size) != C_OK ||
	    fread(cr->html->p, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fclose(f);
		page_error(cr, 500, "InternalFailure", "The report could not be read.");
		return;
	}
	fclose(f);
	cr->html->len = (size_t)st.st_size;
	cr->html->p[cr->html->len] = '\0';
	cr->resp->status = 200;
	cr->resp->content_type = "text/html; charset=utf-8";
	/* page_security_headers' set, with the report's own CSP */
	http_response_header(cr->resp, "Content-Security-Policy", REPORT_CSP);
	http_response_header(cr->resp, "X-Frame-Options", "DENY");
	http_response_header(cr->resp, "X-Content-Type-Options", "nosniff");
	http_response_header(cr->resp, "Cache-Control", "no-store");
	http_response_header(cr->resp, "Referrer-Policy", "no-referrer");
	if (cr->req->tls)
		http_response_header(cr->resp, "Strict-Transport-Security", "max-age=31536000");
}
