/*
 * views.h - what the resource pages (views_*.c, mfa.c) share: the name a page is about, dates, list pages with
 * AWS's Marker / NextToken, a section's AWS error, and a policy document shown pretty-printed with the engine's
 * findings (policy/lint.h).
 *
 * Every page acts only through console_call() (console.h): the policy engine authorizes each call as the session's
 * active identity, and a refusal is shown as AWS words it.
 */
#ifndef ROLEGATE_CONSOLE_VIEWS_H
#define ROLEGATE_CONSOLE_VIEWS_H

#include <jansson.h>
#include <stdbool.h>

#include "aws/errors.h"
#include "console/console.h"
#include "policy/policy.h"

#define VIEWS_PAGE_ITEMS 100   /* MaxItems of one list page */
#define VIEWS_NAME_MAX 2048    /* the longest name or ARN a page is about */
#define VIEWS_MARKER_MAX 1024  /* the longest Marker / NextToken a list page takes back */

/*
 * The name the page is about: cr->subpath percent-decoded into out (cap bytes). slash: whether it may hold '/'
 * (a policy ARN does, a user name does not). C_ERR when it is empty, too long or malformed: then a 404 page has been
 * written.
 */
int views_name(struct console_req *cr, char *out, size_t cap, bool slash);
/* Appends a date (a json integer of Unix seconds, as the API's trees hold them) as "YYYY-MM-DD HH:MM:SS UTC" in a
 * <time> element; "-" when absent. */
void views_date(struct buf *b, json_t *seconds);
/* Appends a section's AWS error (code and message, as is) as an alert paragraph: for a part of a page the identity
 * may not read while the rest of the page stands. json: the error came from a JSON-protocol service. */
void views_section_error(struct console_req *cr, const struct aws_err *err, bool json);
/* The whole page for an AWS error of a JSON-protocol service (Organizations): its status, code and message. */
void views_json_error(struct console_req *cr, const struct aws_err *err);
/* The list page's marker (?marker=), or NULL; a too long one is ignored (the first page). */
const char *views_marker(struct console_req *cr);
/* Appends the "Next page" link when out (a list's output) is truncated: href base?EXTRA&marker=M where M is out's
 * member (Marker / NextToken); extra ("" for none) is trusted query text the caller built. */
void views_next_link(struct console_req *cr, const char *base, const char *extra, json_t *out, const char *member);
/*
 * Appends a policy document: pretty-printed JSON in a <pre>, then the findings of the engine's validator for kind
 * (errors and warnings, or "valid") under a heading of level `level` (the one below the document's own heading, so
 * that no level is skipped). encoded: doc is percent-encoded, as IAM returns documents.
 */
void views_policy_document(struct console_req *cr, const char *doc, bool encoded, enum policy_kind kind, int level);
/* Appends the sections "Attached managed policies" and "Inline policies" (each document shown and checked) of a
 * principal: kind "User", "Group" or "Role" (the API's ListAttached{kind}Policies ...), name its name. */
void views_principal_policies(struct console_req *cr, const char *kind, const char *name);
/* Appends a link to a resource page: <a href="PREFIX + name percent-encoded">TEXT</a>. */
void views_link(struct buf *b, const char *prefix, const char *name, const char *text);

#endif
