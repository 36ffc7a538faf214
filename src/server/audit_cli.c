/*
 * audit_cli.c - `rolegate audit`: the audit trail, filtered.
 *
 *   rolegate audit [--data DIR] [--since TIME] [--principal ARN] [--role ARN] [--action SERVICE:ACTION]
 *                  [--limit N] [--json]
 *
 * TIME is ISO 8601 (2026-11-25T10:00:00Z) or a duration back from now (90s, 15m, 2h, 7d). --role keeps the records
 * whose resource is that role (sts:AssumeRole and IAM calls on it). Records are printed oldest first, one per line;
 * --json prints them as JSON lines. Opens the database read-only; a running server is not disturbed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/audit_cli.h"
#include "store/db.h"
#include "store/store.h"
#include "util/common.h"
#include "util/timeutil.h"

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate audit [--data DIR] [--since TIME] [--principal ARN] [--role ARN]\n"
	        "                      [--action SERVICE:ACTION] [--limit N] [--json]\n"
	        "TIME: ISO 8601 (2026-11-25T10:00:00Z) or a duration back from now (90s, 15m, 2h, 7d)\n");
	return status;
}

/* Parses TIME into milliseconds since the epoch. */
static int parse_since(const char *s, int64_t *out)
{
	char *end;
	long long n;
	int64_t t;

	if (time_parse_iso8601(s, &t) == C_OK) {
		*out = t * 1000;
		return C_OK;
	}
	n = strtoll(s, &end, 10);
	if (end == s || n < 0 || end[1] != '\0')
		return C_ERR;
	switch (*end) {
	case 's': n *= 1000; break;
	case 'm': n *= 60 * 1000; break;
	case 'h': n *= 3600 * 1000; break;
	case 'd': n *= 86400 * 1000; break;
	default: return C_ERR;
	}
	*out = now_ms() - n;
	return C_OK;
}

int audit_main(int argc, char **argv)
{
	const char *dir = "./data", *principal = NULL, *role = NULL, *action = NULL;
	int64_t since = 0, limit = 1000;
	bool json = false;
	struct db *db = NULL;
	struct db_tx *tx;
	struct db_rows *r;
	int status = 1;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return usage(0);
		if (strcmp(a, "--json") == 0) {
			json = true;
			continue;
		}
		if (!v)
			return usage(2);
		if (strcmp(a, "--data") == 0)
			dir = v;
		else if (strcmp(a, "--principal") == 0)
			principal = v;
		else if (strcmp(a, "--role") == 0)
			role = v;
		else if (strcmp(a, "--action") == 0)
			action = v;
		else if (strcmp(a, "--limit") == 0)
			limit = strtoll(v, NULL, 10);
		else if (strcmp(a, "--since") == 0) {
			if (parse_since(v, &since) != C_OK) {
				fprintf(stderr, "rolegate audit: --since %s: not a time (ISO 8601) or duration (15m, 2h...)\n", v);
				return 2;
			}
		} else
			return usage(2);
		i++;
	}
	if (limit <= 0)
		limit = 1000;
	db = db_open_sqlite(dir);
	if (!db || db_begin(db, false, &tx) != C_OK) {
		fprintf(stderr, "rolegate audit: cannot open the database in %s\n", dir);
		db_close(db);
		return 1;
	}
	r = db_query(tx,
	             "SELECT time_ms, request_id, account_id, principal_arn, coalesce(access_key_id, ''), action, "
	             "coalesce(resource, ''), coalesce(source_ip, ''), outcome, coalesce(detail, '') FROM ("
	             "SELECT * FROM audit WHERE time_ms >= ?1 AND (?2 IS NULL OR principal_arn = ?2) "
	             "AND (?3 IS NULL OR resource = ?3) AND (?4 IS NULL OR action = ?4) "
	             "ORDER BY seq DESC LIMIT ?5) ORDER BY seq",
	             DB_ARGS(db_int(since), db_text(principal), db_text(role), db_text(action), db_int(limit)));
	while (db_step(r) == DB_ROW) {
		char when[ISO8601_LEN];
		time_iso8601(db_col_int(r, 0) / 1000, when);
		if (json) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "time", when, "requestId",
			                      db_col_text(r, 1), "account", db_col_text(r, 2), "principal", db_col_text(r, 3),
			                      "accessKeyId", db_col_text(r, 4), "action", db_col_text(r, 5), "resource",
			                      db_col_text(r, 6), "sourceIp", db_col_text(r, 7), "outcome", db_col_text(r, 8));
			const char *d = db_col_text(r, 9);
			json_t *detail = d && *d ? json_loads(d, 0, NULL) : NULL;
			char *line;
			if (detail)
				json_object_set_new(o, "detail", detail);
			line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			if (line)
				puts(line);
			free(line);
			json_decref(o);
		} else {
			printf("%s  %-18s %-40s %-32s %s  %s\n", when, db_col_text(r, 8), db_col_text(r, 5), db_col_text(r, 3),
			       db_col_text(r, 6), db_col_text(r, 9));
		}
	}
	db_rows_done(r);
	db_rollback(tx);
	status = 0;
	db_close(db);
	return status;
}
