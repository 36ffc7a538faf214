/*
 * audit_cli.c - `rolegate audit`: the audit trail, filtered.
 *
 *   rolegate audit [--data DIR | --postgres CONNINFO] [--since TIME] [--principal ARN] [--role ARN] [--action SERVICE:ACTION]
 *                  [--limit N] [--json | --format text|json|cloudtrail]
 *   rolegate audit --follow [--data DIR | --postgres CONNINFO] [--principal ARN] [--since TIME] [--format text|json]
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
 * --principal naming a role (arn:aws:iam::ACCT:role/NAME) keeps the calls of its sessions. --follow streams the
 * decisions as they are committed, from now on (or from --since), until SIGINT or SIGTERM: each table is polled by
 * its sequence number (a server in another process, PostgreSQL's nodes included), one line or JSON object per call.
 *
 * prune deletes the records older than TIME from both databases, each in one write transaction (a running server
 * waits for it as for any writer), and prints how many it deleted.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/audit_cli.h"
#include "server/audit_explain.h"
#include "server/audit_read.h"
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
	        "       rolegate audit --follow [--data DIR | --postgres CONNINFO] [--principal ARN] [--since TIME]\n"
	        "                      [--format text|json]\n"
	        "       rolegate audit prune --before TIME [--data DIR | --postgres CONNINFO]\n"
	        "       rolegate audit --explain REQUEST_ID [--data DIR | --postgres CONNINFO] [--format text|json]\n"
	        "TIME: ISO 8601 (2026-11-25T10:00:00Z), a date (2026-11-25: its midnight UTC) or a duration back from now\n"
	        "(90s, 15m, 2h, 7d). prune deletes the records older than TIME and prints how many. --follow prints the\n"
	        "decisions as they are recorded (from now, or from --since) until interrupted; a role's ARN as --principal\n"
	        "names its sessions. --explain prints the record of one call and, for a denial, its reasoning and its\n"
	        "encoded authorization failure message (for sts:DecodeAuthorizationMessage).\n");
	return status;
}

struct row {
	int64_t time_ms;
	int source; /* 0: rolegate.db, 1: audit.db */
	int64_t seq;
	char *f[AUDIT_NFIELDS]; /* owned copies of audit_row's fields */
};

struct rows {
	struct row *v;
	size_t n, cap;
	int64_t last[2]; /* per source: the highest seq read */
};

static void rows_free(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		for (int j = 0; j < AUDIT_NFIELDS; j++)
			free(rs->v[i].f[j]);
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
}

/* audit_row_fn: appends a copy of the row to the struct rows arg. */
static int keep_row(const struct audit_row *in, void *arg)
{
	struct rows *rs = arg;
	struct row *row;
	int rc = C_OK;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct row *grown = realloc(rs->v, cap * sizeof(*grown));
		if (!grown)
			return C_ERR;
		rs->v = grown;
		rs->cap = cap;
	}
	row = &rs->v[rs->n++];
	memset(row, 0, sizeof(*row));
	row->time_ms = in->time_ms;
	row->seq = in->seq;
	row->source = in->source;
	if (in->seq > rs->last[in->source])
		rs->last[in->source] = in->seq;
	for (int j = 0; j < AUDIT_NFIELDS; j++)
		if (!(row->f[j] = strdup(in->f[j])))
			rc = C_ERR;
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
	struct audit_row r = {.time_ms = row->time_ms, .seq = row->seq, .source = row->source};

	for (int j = 0; j < AUDIT_NFIELDS; j++)
		r.f[j] = row->f[j];
	audit_row_print(&r, json);
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
	if (audit_parse_time(before, &before_ms) != C_OK) {
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

static volatile sig_atomic_t follow_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	follow_stop = 1;
}

/* --follow: the records committed from now on (or since --since), oldest first, until SIGINT or SIGTERM. Each
 * table of the trail is polled by seq every FOLLOW_POLL_MS; the records of one poll are merged by time. */
#define FOLLOW_POLL_MS 200
static int follow(struct audit_trail *t, struct audit_query *q, bool history, bool json)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};
	struct rows rs = {0};
	int rc = C_OK;

	sigemptyset(&sa.sa_mask); /* no SA_RESTART: the sleep ends at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (int i = 0; i < 2 && !history; i++)
		if (t->db[i] && audit_max_seq(t->db[i], &rs.last[i]) != C_OK)
			return C_ERR;
	q->limit = 1000;
	q->newest_first = false;
	while (!follow_stop) {
		struct timespec pause = {0, FOLLOW_POLL_MS * 1000000L};
		bool had_audit_db = t->db[1] != NULL;
		audit_trail_refresh(t);
		if (t->db[1] && !had_audit_db)
			rs.last[1] = 0; /* a new audit.db: every record in it is new */
		for (int i = 0; i < 2 && rc == C_OK; i++) {
			q->after_seq = rs.last[i];
			if (t->db[i])
				rc = audit_read(t->db[i], t->pg, i, q, keep_row, &rs);
		}
		if (rc != C_OK)
			break;
		if (rs.n > 1)
			qsort(rs.v, rs.n, sizeof(*rs.v), row_cmp);
		for (size_t i = 0; i < rs.n; i++)
			print_row(&rs.v[i], json);
		if (fflush(stdout) != 0)
			break; /* the reader went away */
		if (rs.n == 0)
			nanosleep(&pause, NULL);
		for (size_t i = 0; i < rs.n; i++)
			for (int j = 0; j < AUDIT_NFIELDS; j++)
				free(rs.v[i].f[j]);
		rs.n = 0;
	}
	rows_free(&rs);
	return rc;
}

int audit_main(int argc, char **argv)
{
	const char *dir = "./data", *principal = NULL, *role = NULL, *action = NULL, *pg = NULL, *explain = NULL;
	struct audit_trail trail;
	int64_t since = 0, limit = 1000;
	enum format fmt = FMT_TEXT;
	struct audit_query q;
	char prefix[512];
	bool follow_mode = false, since_given = false;
	size_t from;
	struct rows rs = {0};
	int rc;

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
		if (strcmp(a, "--follow") == 0 || strcmp(a, "-f") == 0) {
			follow_mode = true;
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
			if (audit_parse_time(v, &since) != C_OK) {
				fprintf(stderr, "rolegate audit: --since %s: not a time (ISO 8601) or duration (15m, 2h...)\n", v);
				return 2;
			}
			since_given = true;
		} else
			return usage(2);
		i++;
	}
	if (explain) {
		if (fmt == FMT_CLOUDTRAIL || follow_mode) {
			fprintf(stderr, "rolegate audit: --explain prints one record, as text or json\n");
			return 2;
		}
		return audit_explain_main(dir, pg, explain, fmt == FMT_JSON);
	}
	if (follow_mode && fmt == FMT_CLOUDTRAIL) {
		fprintf(stderr, "rolegate audit: --follow prints text or json, not a CloudTrail log file\n");
		return 2;
	}
	if (limit <= 0)
		limit = 1000;
	q = (struct audit_query){.since_ms = since, .limit = limit, .resource = role, .action = action,
	                         .newest_first = true};
	if (principal && audit_principal_filter(principal, &q, prefix, sizeof(prefix)) != C_OK) {
		fprintf(stderr, "rolegate audit: --principal %s: too long\n", principal);
		return 2;
	}
	/* PostgreSQL (--postgres, or a node's DIR/postgres) holds the whole trail in one table; a data directory in
	 * rolegate.db and audit.db. */
	if (audit_trail_open(&trail, "audit", dir, pg) != C_OK)
		return 1;
	if (follow_mode) {
		rc = follow(&trail, &q, since_given, fmt == FMT_JSON);
		audit_trail_close(&trail);
		if (rc != C_OK)
			fprintf(stderr, "rolegate audit: cannot read the audit trail in %s\n", cli_store_where(dir, pg));
		return rc == C_OK ? 0 : 1;
	}
	if (audit_trail_read(&trail, &q, keep_row, &rs) != C_OK) {
		fprintf(stderr, "rolegate audit: cannot read the audit trail in %s\n", cli_store_where(dir, pg));
		rows_free(&rs);
		audit_trail_close(&trail);
		return 1;
	}
	if (rs.n > 1)
		qsort(rs.v, rs.n, sizeof(*rs.v), row_cmp);
	from = rs.n > (size_t)limit ? rs.n - (size_t)limit : 0;
	if (fmt == FMT_CLOUDTRAIL) {
		if (print_cloudtrail(trail.db[0], &rs, from) != C_OK) {
			fprintf(stderr, "rolegate audit: cannot write the CloudTrail records\n");
			rows_free(&rs);
			audit_trail_close(&trail);
			return 1;
		}
	} else {
		for (size_t i = from; i < rs.n; i++)
			print_row(&rs.v[i], fmt == FMT_JSON);
	}
	rows_free(&rs);
	audit_trail_close(&trail);
	return 0;
}
