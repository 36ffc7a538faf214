/*
 * views.c - helpers of the resource pages (views.h).
 */
#include "console/views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console/page.h"
#include "policy/lint.h"
#include "util/common.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes in into out (cap bytes, NUL-terminated). C_ERR on a bad escape, a NUL, or when out is too small. */
static int percent_decode(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in; in++) {
		char c = *in;
		if (c == '%') {
			int hi = hexval(in[1]), lo = hi < 0 ? -1 : hexval(in[2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return C_ERR;
			c = (char)(hi * 16 + lo);
			in += 2;
		}
		if (n + 1 >= cap)
			return C_ERR;
		out[n++] = c;
	}
	out[n] = '\0';
	return C_OK;
}

int views_name(struct console_req *cr, char *out, size_t cap, bool slash)
{
	const char *sub = cr->subpath ? cr->subpath : "";

	if (!*sub || percent_decode(sub, out, cap) != C_OK || !*out || (!slash && strchr(out, '/'))) {
		page_error(cr, 404, "NoSuchEntity", "The page does not exist.");
		return C_ERR;
	}
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			page_error(cr, 404, "NoSuchEntity", "The page does not exist.");
			return C_ERR;
		}
	return C_OK;
}

void views_date(struct buf *b, json_t *seconds)
{
	time_t t;
	struct tm tm;
	char text[64], iso[64];

	if (!json_is_integer(seconds)) {
		buf_puts(b, "-");
		return;
	}
	t = (time_t)json_integer_value(seconds);
	if (!gmtime_r(&t, &tm)) {
		buf_puts(b, "-");
		return;
	}
	strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	html_printf(b, "<time datetime=\"%s\">%s</time>", iso, text);
}

void views_section_error(struct console_req *cr, const struct aws_err *err, bool json)
{
	html_printf(cr->html, "<p class=\"error\" role=\"alert\"><code>%s</code>: %s</p>\n",
	            json ? aws_code_name_json(err->code) : aws_code_name(err->code), err->message);
}

void views_json_error(struct console_req *cr, const struct aws_err *err)
{
	page_error(cr, aws_code_status_json(err->code), aws_code_name_json(err->code), err->message);
}

const char *views_marker(struct console_req *cr)
{
	const char *m = console_param(cr, "marker");

	return m && *m && strlen(m) <= VIEWS_MARKER_MAX ? m : NULL;
}

void views_next_link(struct console_req *cr, const char *base, const char *extra, json_t *out, const char *member)
{
	const char *next = json_string_value(json_object_get(out, member));

	if (!next || !*next || (strcmp(member, "Marker") == 0 && !json_is_true(json_object_get(out, "IsTruncated"))))
		return;
	html_printf(cr->html, "<p class=\"pager\"><a rel=\"next\" href=\"%s?%S%S", base, extra, *extra ? "&amp;" : "");
	buf_puts(cr->html, "marker=");
	html_url(cr->html, next);
	buf_puts(cr->html, "\">Next page</a></p>\n");
}

void views_link(struct buf *b, const char *prefix, const char *name, const char *text)
{
	html_printf(b, "<a href=\"%s", prefix);
	html_url(b, name);
	html_printf(b, "\">%s</a>", text);
}

static const char *severity_name(enum policy_severity s)
{
	return s == POLICY_FINDING_ERROR ? "Error" : "Warning";
}

void views_policy_document(struct console_req *cr, const char *doc, bool encoded, enum policy_kind kind, int level)
{
	struct policy_finding findings[POLICY_FINDINGS_MAX];
	size_t n, len = doc ? strlen(doc) : 0;
	char *text = NULL, *pretty = NULL;
	json_t *tree;

	if (!doc)
		return;
	text = malloc(len + 1);
	if (!text)
		return;
	if (encoded ? percent_decode(doc, text, len + 1) != C_OK : (memcpy(text, doc, len + 1), 0)) {
		free(text);
		buf_puts(cr->html, "<p class=\"error\" role=\"alert\">The document cannot be decoded.</p>\n");
		return;
	}
	len = strlen(text);
	tree = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (tree)
		pretty = json_dumps(tree, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(tree);
	html_printf(cr->html, "<pre class=\"policy\"><code>%s</code></pre>\n", pretty ? pretty : text);
	free(pretty);
	n = policy_lint(text, len, kind, findings, ARRAY_LEN(findings));
	free(text);
	level = level < 2 ? 2 : level > 6 ? 6 : level; /* the heading right below the document's: none skipped */
	html_printf(cr->html,
	            "<section class=\"findings\" aria-label=\"Policy validation\"><h%d>Validation (%s policy)</h%d>\n",
	            level, policy_kind_name(kind), level);
	if (n == 0)
		buf_puts(cr->html, "<p class=\"notice finding-none\" role=\"status\">No errors or warnings.</p>\n");
	else
		buf_puts(cr->html, "<ul class=\"finding-list\">\n");
	for (size_t i = 0; i < n; i++)
		html_printf(cr->html,
		            "<li class=\"finding finding-%s\"><strong>%s</strong> <code>%s</code>: %s</li>\n",
		            findings[i].severity == POLICY_FINDING_ERROR ? "error" : "warning",
		            severity_name(findings[i].severity), findings[i].code, findings[i].message);
	if (n)
		buf_puts(cr->html, "</ul>\n");
	buf_puts(cr->html, "</section>\n");
}
