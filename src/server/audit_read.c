/*
 * audit_read.c - the audit trail's rows, filtered in SQL, one callback per row (see audit_read.h).
 *
 * A data directory written by an older binary may lack the columns of migration 4 (user_agent, region, response),
 * 6 (explanation) or 7 (enforcement, soft mode): they read as "" then, and `granted` keeps only outcome Success.
 */
#include "server/audit_read.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/cli_store.h"
#include "store/node.h"
#include "store/store.h"
#include "util/common.h"
#include "util/timeutil.h"

/* The query of audit_read, one literal per case (the backends cache prepared statements by the SQL text's
 * address): with the columns of migration 4 (user_agent, region, response), 6 (explanation) and 7 (enforcement),
 * or '' for each one the table lacks; ascending or descending. ?8 nonzero keeps only the granted calls: outcome
 * Success, or soft-denied (soft mode let it through). */
#define COLUMNS_4 "coalesce(user_agent, ''), coalesce(region, ''), coalesce(response, '')"
#define NO_COLUMNS_4 "'', '', ''"
#define COLUMN_6 "coalesce(explanation, '')"
#define COLUMN_7 "coalesce(enforcement, '')"
#define AUDIT_SELECT(c4, c6, c7, order)                                                                             \
	"SELECT time_ms, seq, request_id, account_id, principal_arn, coalesce(access_key_id, ''), action, "           \
	"coalesce(resource, ''), coalesce(source_ip, ''), outcome, coalesce(detail, ''), " c4 ", " c6 ", " c7          \
	" FROM audit WHERE time_ms >= ?1 AND seq > ?2 AND (?3 IS NULL OR principal_arn = ?3) "                       \
	"AND (?4 IS NULL OR substr(principal_arn, 1, length(CAST(?4 AS TEXT))) = ?4) "                                \
	"AND (?5 IS NULL OR resource = ?5) AND (?6 IS NULL OR action = ?6) "                                          \
	"AND (?8 = 0 OR outcome = 'Success' OR " c7 " = 'soft-denied') ORDER BY seq " order " LIMIT ?7"
#define AUDIT_SELECT_ORDERS(c4, c6, c7) {AUDIT_SELECT(c4, c6, c7, "ASC"), AUDIT_SELECT(c4, c6, c7, "DESC")}
static const char *const selects[2][2][2][2] = {
	{{AUDIT_SELECT_ORDERS(NO_COLUMNS_4, "''", "''"), AUDIT_SELECT_ORDERS(NO_COLUMNS_4, "''", COLUMN_7)},
	 {AUDIT_SELECT_ORDERS(NO_COLUMNS_4, COLUMN_6, "''"), AUDIT_SELECT_ORDERS(NO_COLUMNS_4, COLUMN_6, COLUMN_7)}},
	{{AUDIT_SELECT_ORDERS(COLUMNS_4, "''", "''"), AUDIT_SELECT_ORDERS(COLUMNS_4, "''", COLUMN_7)},
	 {AUDIT_SELECT_ORDERS(COLUMNS_4, COLUMN_6, "''"), AUDIT_SELECT_ORDERS(COLUMNS_4, COLUMN_6, COLUMN_7)}},
};

int audit_read(struct db *db, bool pg, int source, const struct audit_query *q, audit_row_fn fn, void *arg)
{
	const char *sql;
	struct db_tx *tx;
	struct db_rows *r;
	int rc = C_OK, step, has4, has6, has7;

	if (db_begin(db, false, &tx) != C_OK)
		return C_ERR;
	has4 = pg ? 1 : store_audit_has_column(tx, "response");
	has6 = pg ? 1 : store_audit_has_column(tx, "explanation");
	has7 = pg ? 1 : store_audit_has_column(tx, "enforcement");
	if (has4 < 0 || has6 < 0 || has7 < 0) {
		db_rollback(tx);
		return C_ERR;
	}
	sql = selects[has4][has6][has7][q->newest_first];
	r = db_query_fresh(tx, sql,
	                   DB_ARGS(db_int(q->since_ms), db_int(q->after_seq), db_text(q->principal),
	                           db_text(q->principal_prefix), db_text(q->resource), db_text(q->action),
	                           db_int(q->limit > 0 ? q->limit : INT64_MAX), db_int(q->granted)));
	while ((step = db_step(r)) == DB_ROW) {
		struct audit_row row = {.time_ms = db_col_int(r, 0), .seq = db_col_int(r, 1), .source = source};
		for (int j = 0; j < AUDIT_NFIELDS; j++) {
			const char *t = db_col_text(r, 2 + j);
			row.f[j] = t ? t : "";
		}
		if ((rc = fn(&row, arg)) != 0)
			break;
	}
	if (step == C_ERR)
		rc = C_ERR;
	db_rows_done(r);
	db_rollback(tx);
	return rc;
}

int audit_max_seq(struct db *db, int64_t *out)
{
	struct db_tx *tx;
	int rc;

	if (db_begin(db, false, &tx) != C_OK)
		return C_ERR;
	rc = db_one_int(db_query_fresh(tx, "SELECT coalesce(max(seq), 0) FROM audit", NULL, 0), out);
	db_rollback(tx);
	return rc;
}

int audit_trail_open(struct audit_trail *t, const char *verb, const char *dir, const char *conninfo)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "%s", dir);
	t->pg = conninfo || store_node_is_postgres(dir);
	if (!(t->db[0] = cli_store_open(verb, dir, conninfo)))
		return C_ERR;
	audit_trail_refresh(t);
	return C_OK;
}

void audit_trail_refresh(struct audit_trail *t)
{
	char path[4200];

	if (t->pg || t->db[1])
		return;
	snprintf(path, sizeof(path), "%s/audit.db", t->dir);
	if (access(path, R_OK) == 0) /* audit.db appears with the first AssumeRole or GetSessionToken */
		t->db[1] = db_open_sqlite_file(t->dir, "audit.db");
}

void audit_trail_close(struct audit_trail *t)
{
	for (int i = 0; i < 2; i++)
		db_close(t->db[i]);
	memset(t, 0, sizeof(*t));
}

int audit_trail_read(struct audit_trail *t, const struct audit_query *q, audit_row_fn fn, void *arg)
{
	int rc;

	for (int i = 0; i < 2; i++)
		if (t->db[i] && (rc = audit_read(t->db[i], t->pg, i, q, fn, arg)) != C_OK)
			return rc;
	return C_OK;
}

void audit_row_print(const struct audit_row *row, bool json)
{
	char when[ISO8601_LEN];
	const char *const *f = row->f;

	time_iso8601(row->time_ms / 1000, when);
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "time", when, "requestId",
		                      f[AUDIT_F_REQUEST_ID], "account", f[AUDIT_F_ACCOUNT], "principal", f[AUDIT_F_PRINCIPAL],
		                      "accessKeyId", f[AUDIT_F_KEY], "action", f[AUDIT_F_ACTION], "resource",
		                      f[AUDIT_F_RESOURCE], "sourceIp", f[AUDIT_F_IP], "outcome", f[AUDIT_F_OUTCOME]);
		json_t *detail = f[AUDIT_F_DETAIL][0] ? json_loads(f[AUDIT_F_DETAIL], 0, NULL) : NULL;
		json_t *response = f[AUDIT_F_RESPONSE][0] ? json_loads(f[AUDIT_F_RESPONSE], 0, NULL) : NULL;
		char *line;
		if (!o) {
			json_decref(detail);
			json_decref(response);
			return;
		}
		if (f[AUDIT_F_ENFORCEMENT][0])
			json_object_set_new(o, "enforcement", json_string(f[AUDIT_F_ENFORCEMENT]));
		if (f[AUDIT_F_EXPLANATION][0]) /* a denial's reasoning (explain.h); `audit --explain REQUEST_ID` in words */
			json_object_set_new(o, "explanation", json_loads(f[AUDIT_F_EXPLANATION], 0, NULL));
		if (detail)
			json_object_set_new(o, "detail", detail);
		if (f[AUDIT_F_AGENT][0])
			json_object_set_new(o, "userAgent", json_string(f[AUDIT_F_AGENT]));
		if (f[AUDIT_F_REGION][0])
			json_object_set_new(o, "region", json_string(f[AUDIT_F_REGION]));
		if (response)
			json_object_set_new(o, "response", response);
		line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (line)
			puts(line);
		free(line);
		json_decref(o);
	} else {
		printf("%s  %-18s %-40s %-32s %s  %s%s%s\n", when, f[AUDIT_F_OUTCOME], f[AUDIT_F_ACTION],
		       f[AUDIT_F_PRINCIPAL], f[AUDIT_F_RESOURCE], f[AUDIT_F_DETAIL], f[AUDIT_F_ENFORCEMENT][0] ? "  " : "",
		       f[AUDIT_F_ENFORCEMENT]);
	}
}

int audit_principal_filter(const char *arn, struct audit_query *q, char *buf, size_t cap)
{
	const char *iam = strstr(arn, ":iam::"), *acct = iam ? iam + 6 : NULL, *res, *name;
	int n;

	q->principal = arn;
	q->principal_prefix = NULL;
	if (strncmp(arn, "arn:", 4) != 0 || !iam || !(res = strchr(acct, ':')) ||
	    strncmp(res, ":role/", 6) != 0)
		return C_OK;
	name = strrchr(res, '/') + 1;
	n = snprintf(buf, cap, "%.*s:sts::%.*s:assumed-role/%s/", (int)(iam - arn), arn, (int)(res - acct), acct, name);
	if (n < 0 || (size_t)n >= cap)
		return C_ERR;
	q->principal = NULL;
	q->principal_prefix = buf;
	return C_OK;
}

int audit_parse_time(const char *s, int64_t *out)
{
	char *end;
	long long n;
	int64_t t;

	char day[32];

	if (time_parse_iso8601(s, &t) == C_OK) {
		*out = t * 1000;
		return C_OK;
	}
	if (strlen(s) == 10 && (size_t)snprintf(day, sizeof(day), "%sT00:00:00Z", s) < sizeof(day) &&
	    time_parse_iso8601(day, &t) == C_OK) {
		*out = t * 1000;
		return C_OK;
	}
	n = strtoll(s, &end, 10);
	if (end == s || n < 0 || *end == '\0' || end[1] != '\0')
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

