/*
 * audit_cli.c - `rolegate audit`: the audit trail, filtered.
 *
 *   rolegate audit [--data DIR | --postgres CONNINFO] [--since TIME] [--principal ARN] [--role ARN] [--action SERVICE:ACTION]
 *                  [--limit N] [--json | --format text|json|cloudtrail]
 *   rolegate audit prune --before TIME [--data DIR | --postgres CONNINFO]
 *   rolegate audit --explain REQUEST_ID [--data DIR | --postgres CONNINFO] [--format text|json]   (audit_explain.c)
 *
 * TIME is ISO 8601 (2026-11-25T10:00:00Z) or a duration back from now (90s, 15m, 2h, 7d). --role keeps the records
 * whose resource is that role (sts:AssumeRole and IAM calls on it). Records are printed oldest first, one per line;
 * --json prints them as JSON lines. The trail lives in two databases: rolegate.db (every write, in its own
 * transaction) and audit.db (sts:AssumeRole and sts:GetSessionToken, group-committed); both are read and merged by
 * time; with --postgres the one audit table of the PostgreSQL database the nodes share. Only reads; a running
 * server is not disturbed. --format cloudtrail prints {"Records": [...]} as a CloudTrail
 * log file holds them (cloudtrail.c).
 *
 * prune deletes the records older than TIME from both databases, each in one write transaction (a running server
 * waits for it as for any writer), and prints how many it deleted.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/audit_cli.h"
#include "server/audit_explain.h"
#include "server/cli_store.h"
#include "server/cloudtrail.h"
#include "store/db.h"
#include "store/node.h"
#include "store/store.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/timeutil.h"

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate audit [--data DIR | --postgres CONNINFO] [--since TIME] [--principal ARN] [--role ARN]\n"
	        "                      [--action SERVICE:ACTION] [--limit N] [--json | --format text|json|cloudtrail]\n"
	        "       rolegate audit prune --before TIME [--data DIR | --postgres CONNINFO]\n"
	        "       rolegate audit --explain REQUEST_ID [--data DIR | --postgres CONNINFO] [--format text|json]\n"
	        "TIME: ISO 8601 (2026-11-25T10:00:00Z), a date (2026-11-25: its midnight UTC) or a duration back from now\n"
	        "(90s, 15m, 2h, 7d). prune deletes the records older than TIME and prints how many.\n"
	        "--explain prints the record of one call and, for a denial, its reasoning and its encoded authorization\n"
	        "failure message (for sts:DecodeAuthorizationMessage).\n");
	return status;
}

/* Parses TIME into milliseconds since the epoch. */
static int parse_since(const char *s, int64_t *out)
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

#define NFIELDS 14 /* request_id, account, principal, access key, action, resource, source ip, outcome, detail,
                     * user agent, region, response, explanation, enforcement */

struct row {
	int64_t time_ms;
	int source; /* 0: rolegate.db, 1: audit.db */
	int64_t seq;
	char *f[NFIELDS];
};

struct rows {
	struct row *v;
	size_t n, cap;
};

struct filter {
	int64_t since, limit;
	const char *principal, *role, *action;
};

static void rows_free(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		for (int j = 0; j < NFIELDS; j++)
			free(rs->v[i].f[j]);
	free(rs->v);
}

/* The query of collect_db: with the columns of migrations 4, 6 and 7 (or '' for each). */
#define COLUMNS_4 "coalesce(user_agent, ''), coalesce(region, ''), coalesce(response, '')"
#define NO_COLUMNS_4 "'', '', ''"
#define COLUMN_6 "coalesce(explanation, '')"
#define COLUMN_7 "coalesce(enforcement, '')"
#define AUDIT_SELECT(cols4, col6, col7)                                                                           \
	"SELECT time_ms, seq, request_id, account_id, principal_arn, coalesce(access_key_id, ''), action, "         \
	"coalesce(resource, ''), coalesce(source_ip, ''), outcome, coalesce(detail, ''), " cols4 ", " col6 ", " col7 \
	" FROM audit WHERE time_ms >= ?1 AND (?2 IS NULL OR principal_arn = ?2) AND (?3 IS NULL OR resource = ?3) "  \
	"AND (?4 IS NULL OR action = ?4) ORDER BY seq DESC LIMIT ?5"

/* Appends the newest `limit` matching records of db's audit table (pg: a PostgreSQL database, always at this
 * binary's schema once a node has started on it). */
static int collect_db(struct db *db, bool pg, int source, const struct filter *flt, struct rows *rs)
{
	struct db_tx *tx;
	struct db_rows *r;
	const char *sql;
	int rc = C_OK;

	if (db_begin(db, false, &tx) != C_OK)
		return C_ERR;
	/* A data directory no newer server has opened yet lacks the columns of migration 4 (and 6, 7): read as "" then.
	 * One literal per case: the backends cache prepared statements by the SQL text's address. */
	static const char *const selects[2][2][2] = {
		{{AUDIT_SELECT(NO_COLUMNS_4, "''", "''"), AUDIT_SELECT(NO_COLUMNS_4, "''", COLUMN_7)},
		 {AUDIT_SELECT(NO_COLUMNS_4, COLUMN_6, "''"), AUDIT_SELECT(NO_COLUMNS_4, COLUMN_6, COLUMN_7)}},
		{{AUDIT_SELECT(COLUMNS_4, "''", "''"), AUDIT_SELECT(COLUMNS_4, "''", COLUMN_7)},
		 {AUDIT_SELECT(COLUMNS_4, COLUMN_6, "''"), AUDIT_SELECT(COLUMNS_4, COLUMN_6, COLUMN_7)}},
	};
	sql = selects[pg || store_audit_has_column(tx, "response") == 1]
	             [pg || store_audit_has_column(tx, "explanation") == 1]
	             [pg || store_audit_has_column(tx, "enforcement") == 1];
	r = db_query_fresh(tx, sql, /* the audit is always read fresh (db_begin_append) */
	                   DB_ARGS(db_int(flt->since), db_text(flt->principal), db_text(flt->role), db_text(flt->action),
	                           db_int(flt->limit)));
	while (rc == C_OK && db_step(r) == DB_ROW) {
		struct row *row;
		if (rs->n == rs->cap) {
			size_t cap = rs->cap ? rs->cap * 2 : 64;
			struct row *grown = realloc(rs->v, cap * sizeof(*grown));
			if (!grown) {
				rc = C_ERR;
				break;
			}
			rs->v = grown;
			rs->cap = cap;
		}
		row = &rs->v[rs->n++];
		memset(row, 0, sizeof(*row));
		row->time_ms = db_col_int(r, 0);
		row->seq = db_col_int(r, 1);
		row->source = source;
		for (int j = 0; j < NFIELDS; j++) {
			const char *t = db_col_text(r, 2 + j);
			if (!(row->f[j] = strdup(t ? t : "")))
				rc = C_ERR;
		}
	}
	db_rows_done(r);
	db_rollback(tx);
	return rc;
}

/* collect_db() of DIR/FILE (absent file: none). */
static int collect(const char *dir, const char *file, int source, const struct filter *flt, struct rows *rs)
{
	char path[4096];
	struct db *db;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (access(path, R_OK) != 0)
		return source == 0 ? C_ERR : C_OK; /* audit.db appears with the first AssumeRole or GetSessionToken */
	if (!(db = db_open_sqlite_file(dir, file)))
		return C_ERR;
	rc = collect_db(db, false, source, flt, rs);
	db_close(db);
	return rc;
}

/* Oldest first; records of the same millisecond in the order each database wrote them. */
static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	if (x->source != y->source)
		return x->source - y->source;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

enum format { FMT_TEXT, FMT_JSON, FMT_CLOUDTRAIL };

static json_t *cloudtrail_of(struct db_tx *tx, const struct row *row)
{
	char pid[320], eid[37];

	cloudtrail_principal_id(tx, row->f[2], row->f[1], pid, sizeof(pid));
	cloudtrail_event_id(row->source, row->seq, row->f[0], eid);
	return cloudtrail_record(&(struct cloudtrail_in){
		.time_ms = row->time_ms, .request_id = row->f[0], .account_id = row->f[1], .principal_arn = row->f[2],
		.access_key_id = row->f[3], .action = row->f[4], .resource = row->f[5], .source_ip = row->f[6],
		.outcome = row->f[7], .detail = row->f[8], .principal_id = pid, .event_id = eid, .user_agent = row->f[9],
		.region = row->f[10], .response = row->f[11]});
}

static void print_row(const struct row *row, bool json)
{
	char when[ISO8601_LEN];

	time_iso8601(row->time_ms / 1000, when);
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "time", when, "requestId", row->f[0],
		                      "account", row->f[1], "principal", row->f[2], "accessKeyId", row->f[3], "action",
		                      row->f[4], "resource", row->f[5], "sourceIp", row->f[6], "outcome", row->f[7]);
		json_t *detail = row->f[8][0] ? json_loads(row->f[8], 0, NULL) : NULL;
		json_t *response = row->f[11][0] ? json_loads(row->f[11], 0, NULL) : NULL;
		char *line;
		if (!o) {
			json_decref(detail);
			json_decref(response);
			return;
		}
		if (detail)
			json_object_set_new(o, "detail", detail);
		if (row->f[9][0])
			json_object_set_new(o, "userAgent", json_string(row->f[9]));
		if (row->f[10][0])
			json_object_set_new(o, "region", json_string(row->f[10]));
		if (response)
			json_object_set_new(o, "response", response);
		if (row->f[12][0]) /* a denial's reasoning (explain.h); `audit --explain REQUEST_ID` puts it in words */
			json_object_set_new(o, "explanation", json_loads(row->f[12], 0, NULL));
		if (row->f[13][0])
			json_object_set_new(o, "enforcement", json_string(row->f[13]));
		line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (line)
			puts(line);
		free(line);
		json_decref(o);
	} else {
		printf("%s  %-18s %-40s %-32s %s  %s\n", when, row->f[13][0] ? row->f[13] : row->f[7], row->f[4], row->f[2],
		       row->f[5], row->f[8]);
	}
}

/* Deletes db's audit records older than before_ms in one write transaction; *n gets how many. */
static int prune_db(struct db *db, int64_t before_ms, int64_t *n)
{
	struct db_tx *tx;

	if (db_begin(db, true, &tx) != C_OK)
		return C_ERR;
	if (db_exec(tx, "DELETE FROM audit WHERE time_ms < ?1", DB_ARGS(db_int(before_ms)), n) != C_OK) {
		db_rollback(tx);
		return C_ERR;
	}
	return db_commit(tx);
}

/* prune_db() of DIR/FILE (an absent audit.db holds nothing to prune). */
static int prune_one(const char *dir, const char *file, int64_t before_ms, int64_t *n)
{
	char path[4096];
	struct db *db;
	int rc;

	*n = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (access(path, F_OK) != 0)
		return strcmp(file, "rolegate.db") == 0 ? C_ERR : C_OK;
	if (!(db = db_open_sqlite_file(dir, file)))
		return C_ERR;
	rc = prune_db(db, before_ms, n);
	db_close(db);
	return rc;
}

static int prune_main(int argc, char **argv)
{
	const char *dir = "./data", *before = NULL, *pg = NULL;
	int64_t before_ms, a = 0, b = 0;
	char when[ISO8601_LEN];
	struct db *db;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(0);
		if (i + 1 >= argc)
			return usage(2);
		if (strcmp(argv[i], "--data") == 0)
			dir = argv[++i];
		else if (strcmp(argv[i], "--postgres") == 0)
			pg = argv[++i];
		else if (strcmp(argv[i], "--before") == 0)
			before = argv[++i];
		else
			return usage(2);
	}
	if (!before) {
		fprintf(stderr, "rolegate audit prune: --before TIME is required\n");
		return 2;
	}
	if (parse_since(before, &before_ms) != C_OK) {
		fprintf(stderr, "rolegate audit prune: --before %s: not a time (ISO 8601), date or duration (7d...)\n",
		        before);
		return 2;
	}
	time_iso8601(before_ms / 1000, when);
	/* PostgreSQL (--postgres, or a node's DIR/postgres): one database, one audit table */
	if (pg || store_node_is_postgres(dir)) {
		if (!(db = cli_store_open("audit prune", dir, pg)))
			return 1;
		rc = prune_db(db, before_ms, &a);
		db_close(db);
		if (rc != C_OK) {
			fprintf(stderr, "rolegate audit prune: cannot prune the audit trail in the PostgreSQL database\n");
			return 1;
		}
		printf("pruned %lld audit records older than %s (PostgreSQL)\n", (long long)a, when);
		return 0;
	}
	if (prune_one(dir, "rolegate.db", before_ms, &a) != C_OK || prune_one(dir, "audit.db", before_ms, &b) != C_OK) {
		fprintf(stderr, "rolegate audit prune: cannot prune the audit trail in %s\n", dir);
		return 1;
	}
	printf("pruned %lld audit records older than %s (rolegate.db: %lld, audit.db: %lld)\n", (long long)(a + b), when,
	       (long long)a, (long long)b);
	return 0;
}

/* Prints rs as a CloudTrail log file: {"Records": [...]}; db (rolegate.db's, or NULL) names the principals. */
static int print_cloudtrail(struct db *db, const struct rows *rs, size_t from)
{
	struct db_tx *tx = NULL;
	json_t *records = json_array(), *doc = NULL;
	int rc = C_ERR;

	if (!records || crypto_init() != C_OK)
		goto out;
	if (db && db_begin(db, false, &tx) != C_OK)
		tx = NULL;
	for (size_t i = from; i < rs->n; i++) {
		json_t *rec = cloudtrail_of(tx, &rs->v[i]);
		if (!rec || json_array_append_new(records, rec) != 0)
			goto out;
	}
	doc = json_pack("{s:O}", "Records", records);
	if (doc && json_dumpf(doc, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0) {
		putchar('\n');
		rc = C_OK;
	}
	json_decref(doc);
out:
	if (tx)
		db_rollback(tx);
	json_decref(records);
	crypto_cleanup();
	return rc;
}

int audit_main(int argc, char **argv)
{
	const char *dir = "./data", *principal = NULL, *role = NULL, *action = NULL, *pg = NULL, *explain = NULL;
	struct db *db = NULL;
	bool on_pg;
	int64_t since = 0, limit = 1000;
	enum format fmt = FMT_TEXT;
	struct filter flt;
	size_t from;
	struct rows rs = {0};
	int status = 1;

	if (argc > 0 && strcmp(argv[0], "prune") == 0)
		return prune_main(argc - 1, argv + 1);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return usage(0);
		if (strcmp(a, "--json") == 0) {
			fmt = FMT_JSON;
			continue;
		}
		if (!v)
			return usage(2);
		if (strcmp(a, "--data") == 0)
			dir = v;
		else if (strcmp(a, "--postgres") == 0)
			pg = v;
		else if (strcmp(a, "--principal") == 0)
			principal = v;
		else if (strcmp(a, "--role") == 0)
			role = v;
		else if (strcmp(a, "--action") == 0)
			action = v;
		else if (strcmp(a, "--explain") == 0)
			explain = v;
		else if (strcmp(a, "--limit") == 0)
			limit = strtoll(v, NULL, 10);
		else if (strcmp(a, "--format") == 0) {
			if (strcmp(v, "text") == 0)
				fmt = FMT_TEXT;
			else if (strcmp(v, "json") == 0)
				fmt = FMT_JSON;
			else if (strcmp(v, "cloudtrail") == 0)
				fmt = FMT_CLOUDTRAIL;
			else {
				fprintf(stderr, "rolegate audit: --format %s: text, json or cloudtrail\n", v);
				return 2;
			}
		}
		else if (strcmp(a, "--since") == 0) {
			if (parse_since(v, &since) != C_OK) {
				fprintf(stderr, "rolegate audit: --since %s: not a time (ISO 8601) or duration (15m, 2h...)\n", v);
				return 2;
			}
		} else
			return usage(2);
		i++;
	}
	if (explain) {
		if (fmt == FMT_CLOUDTRAIL) {
			fprintf(stderr, "rolegate audit: --explain prints text or json\n");
			return 2;
		}
		return audit_explain_main(dir, pg, explain, fmt == FMT_JSON);
	}
	if (limit <= 0)
		limit = 1000;
	flt = (struct filter){.since = since, .limit = limit, .principal = principal, .role = role, .action = action};
	/* PostgreSQL (--postgres, or a node's DIR/postgres) holds the whole trail in one table; a data directory in
	 * rolegate.db and audit.db. */
	on_pg = pg || store_node_is_postgres(dir);
	if (!(db = cli_store_open("audit", dir, pg)) || collect_db(db, on_pg, 0, &flt, &rs) != C_OK ||
	    (!on_pg && collect(dir, "audit.db", 1, &flt, &rs) != C_OK)) {
		fprintf(stderr, "rolegate audit: cannot read the audit trail in %s\n", cli_store_where(dir, pg));
		rows_free(&rs);
		db_close(db);
		return 1;
	}
	qsort(rs.v, rs.n, sizeof(*rs.v), row_cmp);
	from = rs.n > (size_t)limit ? rs.n - (size_t)limit : 0;
	if (fmt == FMT_CLOUDTRAIL) {
		if (print_cloudtrail(db, &rs, from) != C_OK) {
			fprintf(stderr, "rolegate audit: cannot write the CloudTrail records\n");
			rows_free(&rs);
			db_close(db);
			return 1;
		}
	} else {
		for (size_t i = from; i < rs.n; i++)
			print_row(&rs.v[i], fmt == FMT_JSON);
	}
	rows_free(&rs);
	db_close(db);
	status = 0;
	return status;
}
