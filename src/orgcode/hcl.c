/*
 * hcl.c - HCL strings, documents and names (hcl.h).
 */
#include "orgcode/hcl.h"

#include <stdlib.h>
#include <string.h>

/* Writes s with HCL's escapes; in a heredoc (heredoc true) quotes and backslashes stay as they are. */
static void escaped(FILE *f, const char *s, int heredoc)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((p[0] == '$' || p[0] == '%') && p[1] == '{') {
			fputc(p[0], f);
			fputc(p[0], f);
		} else if (!heredoc && (*p == '"' || *p == '\\')) {
			fputc('\\', f);
			fputc(*p, f);
		} else if (!heredoc && *p == '\n') {
			fputs("\\n", f);
		} else if (!heredoc && *p == '\r') {
			fputs("\\r", f);
		} else if (!heredoc && *p == '\t') {
			fputs("\\t", f);
		} else if (*p < 0x20 && *p != '\n') {
			fprintf(f, "\\u%04x", *p);
		} else {
			fputc(*p, f);
		}
	}
}

void hcl_string(FILE *f, const char *s)
{
	fputc('"', f);
	escaped(f, s, 0);
	fputc('"', f);
}

void hcl_attr(FILE *f, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(f, "  %s = ", key);
	hcl_string(f, value);
	fputc('\n', f);
}

void hcl_document(FILE *f, const char *key, const char *doc)
{
	json_t *j;
	char *text;

	if (!doc)
		return;
	j = json_loads(doc, JSON_DECODE_ANY, NULL);
	/* JSON's own escapes keep control characters out of the text: each line is JSON, never "EOT" */
	text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!text) {
		hcl_attr(f, key, doc);
		return;
	}
	fprintf(f, "  %s = <<-EOT\n    ", key);
	for (const char *p = text; *p; p++) {
		char one[3] = {p[0], p[0] && (p[0] == '$' || p[0] == '%') ? p[1] : 0, 0};
		if (*p == '\n') {
			fputs("\n    ", f);
		} else if ((p[0] == '$' || p[0] == '%') && p[1] == '{') {
			escaped(f, one, 1);
			p++;
		} else {
			fputc(*p, f);
		}
	}
	fputs("\n  EOT\n", f);
	free(text);
}

void hcl_tags(FILE *f, json_t *tags)
{
	size_t i;
	json_t *t;

	if (!json_array_size(tags))
		return;
	fputs("  tags = {\n", f);
	json_array_foreach(tags, i, t) {
		fputs("    ", f);
		hcl_string(f, json_string_value(json_object_get(t, "Key")));
		fputs(" = ", f);
		hcl_string(f, json_string_value(json_object_get(t, "Value")));
		fputc('\n', f);
	}
	fputs("  }\n", f);
}

/* Appends s to out sanitised ([a-z0-9_], runs of anything else one "_"). */
static void sanitise(char *out, size_t cap, const char *s)
{
	size_t n = strlen(out);

	for (; s && *s && n + 1 < cap; s++) {
		char c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		if (c == '_' && n > 0 && out[n - 1] == '_')
			continue;
		out[n++] = c;
	}
	out[n] = '\0';
}

void hcl_name(struct hcl_names *n, const char *type, char *out, size_t cap, const char *a, const char *b)
{
	char base[200] = "";
	json_t *set;

	if (!n->used)
		n->used = json_object();
	if (!(set = json_object_get(n->used, type))) {
		set = json_object();
		json_object_set_new(n->used, type, set);
	}
	sanitise(base, sizeof(base), a);
	if (b) {
		if (base[0] && base[strlen(base) - 1] != '_')
			strcat(base, "_");
		sanitise(base, sizeof(base), b);
	}
	if (!(base[0] >= 'a' && base[0] <= 'z')) {
		memmove(base + 2, base, sizeof(base) - 3);
		base[sizeof(base) - 1] = '\0';
		base[0] = 'r';
		base[1] = '_';
	}
	snprintf(out, cap, "%s", base);
	for (int i = 2; json_object_get(set, out); i++)
		snprintf(out, cap, "%.180s_%d", base, i);
	json_object_set_new(set, out, json_true());
}
