/*
 * reach_cli.c - `rolegate analyze reach [--data DIR | --postgres CONNINFO] [--account ID]
 * [--format table|json|dot|html] [--output FILE]` (or, instead of a store, --endpoint-url URL [--profile P] [--region R]
 * [--role-name NAME]: the organization read over the API, api.h): the rows of reach.c printed as a table, JSON, a Graphviz
 * digraph, or one self-contained HTML file (the template src/analyze/assets/reach.html, embedded).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/api.h"
#include "analyze/assets.h"
#include "analyze/cli.h"
#include "analyze/reach.h"
#include "analyze/verbs.h"
#include "policy/policy.h"
#include "server/cli_store.h"
#include "util/buf.h"
#include "util/common.h"

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate analyze reach [--data DIR | --postgres CONNINFO] [--account ID]\n"
	        "                              [--format table|json|dot|html] [--output FILE]\n"
	        "       rolegate analyze reach --endpoint-url URL [--profile P] [--region R] [--role-name NAME] [...]\n"
	        "For every IAM user and every role: whether the user can assume it (directly or by a chain of roles),\n"
	        "under which conditions and by which path, as rolegate's policy engine decides.\n"
	        "With --endpoint-url, --profile, --region or --role-name the organization is read over the AWS API as a\n"
	        "principal of the management account (credentials: --profile, else AWS_ACCESS_KEY_ID,\n"
	        "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else the default profile); each member account is entered\n"
	        "by sts:AssumeRole into --role-name (default OrganizationAccountAccessRole).\n");
	return status;
}

/* The conditions of a row in one line: "MFA (max age 3600 s), aws:SourceIp IpAddress 10.0.0.0/8", or "none". */
static void conds_text(json_t *row, char *out, size_t cap)
{
	json_t *c;
	size_t i, off = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(row, "conditions"), i, c) {
		const char *k = json_string_value(json_object_get(c, "key"));
		char *vals = json_dumps(json_object_get(c, "values"), JSON_COMPACT);
		int n = snprintf(out + off, cap - off, "%s%s %s %s", off ? ", " : "", k ? k : "?",
		                 json_string_value(json_object_get(c, "operator")), vals ? vals : "");
		free(vals);
		if (n < 0 || (size_t)n >= cap - off)
			break;
		off += (size_t)n;
	}
	if (!off)
		snprintf(out, cap, "none");
}

/* "mfa", "cond" or "open": the colour class of a row. */
static const char *row_class(json_t *row)
{
	if (json_is_true(json_object_get(row, "mfa")))
		return "mfa";
	return json_array_size(json_object_get(row, "conditions")) ? "cond" : "open";
}

static void print_table(FILE *f, json_t *rows)
{
	json_t *row;
	size_t i;

	fprintf(f, "%-40s %-14s %-12s %-24s %s\n", "PRINCIPAL", "ACCOUNT", "NAME", "ROLE", "CONDITIONS");
	json_array_foreach(rows, i, row) {
		char conds[1024];
		json_t *acct = json_object_get(row, "account");
		conds_text(row, conds, sizeof(conds));
		fprintf(f, "%-40s %-14s %-12s %-24s %s%s\n", json_string_value(json_object_get(row, "principal")),
		        json_string_value(json_object_get(acct, "id")), json_string_value(json_object_get(acct, "name")),
		        json_string_value(json_object_get(json_object_get(row, "role"), "name")), conds,
		        json_array_size(json_object_get(row, "chain")) > 1 ? " (chained: sessions of at most 1 hour)" : "");
	}
}

/* s quoted for Graphviz (a "string" with " and \ escaped). */
static void dot_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void print_dot(FILE *f, json_t *rows)
{
	json_t *row;
	size_t i;

	fprintf(f, "digraph reach {\n  rankdir=LR;\n  node [shape=box];\n");
	json_array_foreach(rows, i, row) {
		json_t *chain = json_object_get(row, "chain");
		const char *from = json_string_value(json_object_get(row, "principal"));
		char conds[1024];
		conds_text(row, conds, sizeof(conds));
		for (size_t k = 0; k < json_array_size(chain); k++) {
			const char *to = json_string_value(json_array_get(chain, k));
			fprintf(f, "  ");
			dot_str(f, from);
			fprintf(f, " -> ");
			dot_str(f, to);
			fprintf(f, " [label=");
			dot_str(f, k + 1 == json_array_size(chain) ? conds : "chain");
			fprintf(f, ", color=%s];\n", strcmp(row_class(row), "mfa") == 0    ? "orange"
			                             : strcmp(row_class(row), "cond") == 0 ? "darkorange3"
			                                                                  : "red");
			from = to;
		}
	}
	fprintf(f, "}\n");
}

/* s escaped for HTML text and attributes. */
static int html_str(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		int rc = *s == '<' ? buf_puts(b, "&lt;") : *s == '>' ? buf_puts(b, "&gt;") : *s == '&' ? buf_puts(b, "&amp;")
		         : *s == '"' ? buf_puts(b, "&quot;") : buf_putc(b, *s);
		if (rc != C_OK)
			return C_ERR;
	}
	return C_OK;
}

/* The matrix: one row per person, one column per (account, role) reached by anyone; each cell coloured. */
static int html_matrix(struct buf *b, json_t *rows)
{
	json_t *cols = json_object(), *people = json_object(), *row, *v;
	const char *k, *pk;
	size_t i;
	int rc = C_OK;

	json_array_foreach(rows, i, row) {
		json_t *acct = json_object_get(row, "account");
		char col[600];
		snprintf(col, sizeof(col), "%s (%s) / %s", json_string_value(json_object_get(acct, "name")),
		         json_string_value(json_object_get(acct, "id")),
		         json_string_value(json_object_get(json_object_get(row, "role"), "name")));
		json_object_set_new(cols, col, json_true());
		if (!json_object_get(people, json_string_value(json_object_get(row, "principal"))))
			json_object_set_new(people, json_string_value(json_object_get(row, "principal")), json_object());
		json_object_set(json_object_get(people, json_string_value(json_object_get(row, "principal"))), col, row);
	}
	rc |= buf_puts(b, "<table><tr><th>person</th>");
	json_object_foreach(cols, k, v) {
		rc |= buf_puts(b, "<th>");
		rc |= html_str(b, k);
		rc |= buf_puts(b, "</th>");
	}
	rc |= buf_puts(b, "</tr>\n");
	json_object_foreach(people, pk, v) {
		json_t *cv;
		const char *ck;
		rc |= buf_puts(b, "<tr><th>");
		rc |= html_str(b, pk);
		rc |= buf_puts(b, "</th>");
		json_object_foreach(cols, ck, cv) {
			json_t *cell = json_object_get(v, ck);
			char conds[1024];
			if (!cell) {
				rc |= buf_puts(b, "<td class=\"none\">-</td>");
				continue;
			}
			conds_text(cell, conds, sizeof(conds));
			rc |= buf_printf(b, "<td class=\"%s\" title=\"", row_class(cell));
			rc |= html_str(b, conds);
			rc |= buf_printf(b, "\">%s</td>", strcmp(row_class(cell), "mfa") == 0    ? "MFA"
			                                  : strcmp(row_class(cell), "cond") == 0 ? "conditions"
			                                                                         : "yes");
		}
		rc |= buf_puts(b, "</tr>\n");
	}
	rc |= buf_puts(b, "</table>\n");
	json_decref(cols);
	json_decref(people);
	return rc ? C_ERR : C_OK;
}

static int html_rows(struct buf *b, json_t *rows)
{
	json_t *row;
	size_t i;
	int rc = buf_puts(b, "<table><tr><th>person</th><th>account</th><th>role</th><th>conditions</th><th>path</th></tr>\n");

	json_array_foreach(rows, i, row) {
		char conds[1024], *path = json_dumps(json_object_get(row, "path"), JSON_COMPACT);
		conds_text(row, conds, sizeof(conds));
		rc |= buf_puts(b, "<tr><td>");
		rc |= html_str(b, json_string_value(json_object_get(row, "principal")));
		rc |= buf_puts(b, "</td><td>");
		rc |= html_str(b, json_string_value(json_object_get(json_object_get(row, "account"), "name")));
		rc |= buf_puts(b, "</td><td>");
		rc |= html_str(b, json_string_value(json_object_get(json_object_get(row, "role"), "arn")));
		rc |= buf_printf(b, "</td><td class=\"%s\">", row_class(row));
		rc |= html_str(b, conds);
		rc |= buf_puts(b, "</td><td><code>");
		rc |= html_str(b, path);
		rc |= buf_puts(b, "</code></td></tr>\n");
		free(path);
	}
	rc |= buf_puts(b, "</table>\n");
	return rc ? C_ERR : C_OK;
}

static int print_html(FILE *f, json_t *rows)
{
	const struct console_asset *t = NULL;
	struct buf b;
	const char *m1 = "<!--ROLEGATE-MATRIX-->", *m2 = "<!--ROLEGATE-ROWS-->";
	char *tpl;
	const char *p1, *p2;
	int rc = C_ERR;

	for (size_t i = 0; i < analyze_nassets; i++)
		if (strcmp(analyze_assets[i].name, "reach.html") == 0)
			t = &analyze_assets[i];
	if (!t || !(tpl = strndup((const char *)t->data, t->len)))
		return C_ERR;
	buf_init(&b, (size_t)1 << 34);
	if (!(p1 = strstr(tpl, m1)) || !(p2 = strstr(tpl, m2)))
		goto out;
	if (buf_append(&b, tpl, (size_t)(p1 - tpl)) != C_OK || html_matrix(&b, rows) != C_OK ||
	    buf_append(&b, p1 + strlen(m1), (size_t)(p2 - p1 - strlen(m1))) != C_OK || html_rows(&b, rows) != C_OK ||
	    buf_puts(&b, p2 + strlen(m2)) != C_OK)
		goto out;
	rc = fwrite(buf_str(&b), 1, b.len, f) == b.len ? C_OK : C_ERR;
out:
	buf_free(&b);
	free(tpl);
	return rc;
}

int analyze_reach_main(int argc, char **argv)
{
	struct analyze_common_opts o = {.store = {.dir = "./data"}, .format = "table"};
	struct analyze_store_opts so;
	struct reach_api_opts api = {0};
	const char *account, *format, *output = NULL;
	char tmpdir[PATH_MAX] = "";
	bool store_flag = false;
	struct am_model m;
	struct db *db;
	json_t *rows;
	FILE *f = stdout;
	int status = 1, rc;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return usage(0);
		if (analyze_store_flag(argc, argv, &i, &o.store)) {
			store_flag = true;
			continue;
		}
		if (analyze_common_flags(argc, argv, &i, &o))
			continue;
		if (!v)
			return usage(2);
		if (strcmp(a, "--endpoint-url") == 0)
			api.endpoint = v;
		else if (strcmp(a, "--profile") == 0)
			api.profile = v;
		else if (strcmp(a, "--region") == 0)
			api.region = v;
		else if (strcmp(a, "--role-name") == 0)
			api.role_name = v;
		else if (strcmp(a, "--output") == 0)
			output = v;
		else
			return usage(2);
		i++;
	}
	so = o.store;
	account = o.account;
	format = o.format;
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0 && strcmp(format, "dot") != 0 &&
	    strcmp(format, "html") != 0) {
		fprintf(stderr, "rolegate analyze reach: --format %s: table, json, dot or html\n", format);
		return 2;
	}
	if (account && (strlen(account) != ACCOUNT_ID_LEN || strspn(account, "0123456789") != ACCOUNT_ID_LEN)) {
		fprintf(stderr, "rolegate analyze reach: --account %s: not an account id (12 digits)\n", account);
		return 2;
	}
	if (store_flag && (api.endpoint || api.profile || api.role_name || api.region)) {
		fprintf(stderr, "rolegate analyze reach: --data/--postgres read a store; --endpoint-url, --profile, "
		                "--region and --role-name read the API: one or the other\n");
		return 2;
	}
	if (api.endpoint || api.profile || api.role_name || api.region) {
		if (!(db = reach_api_load(&api, tmpdir)))
			return 1;
	} else if (!(db = cli_store_open("analyze reach", so.dir, so.conninfo))) {
		return 1;
	}
	if (am_load(&m, db, "analyze reach") != C_OK) {
		db_close(db);
		if (tmpdir[0])
			reach_api_remove(tmpdir);
		return 1;
	}
	if (account && !am_account_find(&m, account)) {
		fprintf(stderr, "rolegate analyze reach: --account %s: no such account in %s\n", account,
		        tmpdir[0] ? "the organization" : cli_store_where(so.dir, so.conninfo));
		goto out;
	}
	if (!(rows = reach_analyze(&m, account)))
		goto out;
	if (output && !(f = fopen(output, "w"))) {
		fprintf(stderr, "rolegate analyze reach: cannot write %s\n", output);
		json_decref(rows);
		goto out;
	}
	if (strcmp(format, "json") == 0)
		rc = json_dumpf(rows, f, JSON_INDENT(2)) == 0 && fputc('\n', f) != EOF ? C_OK : C_ERR;
	else if (strcmp(format, "dot") == 0)
		print_dot(f, rows), rc = C_OK;
	else if (strcmp(format, "html") == 0)
		rc = print_html(f, rows);
	else
		print_table(f, rows), rc = C_OK;
	if ((f != stdout ? fclose(f) : fflush(f)) != 0 || rc != C_OK)
		fprintf(stderr, "rolegate analyze reach: cannot write the report\n");
	else
		status = 0;
	json_decref(rows);
out:
	am_free(&m);
	db_close(db);
	if (tmpdir[0])
		reach_api_remove(tmpdir);
	am_hints_clear();
	policy_cache_clear();
	return status;
}
