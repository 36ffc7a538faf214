/*
 * audit_explain.c - `rolegate audit --explain REQUEST_ID [--data DIR | --postgres CONNINFO] [--format text|json]`:
 * the audit record of one call and, for a denial, its reasoning (the `explanation` column, src/server/explain.h),
 * in words or as JSON; with the encoded authorization failure message an operator can hand to the user
 * (`aws sts decode-authorization-message`).
 *
 * The record is looked up in rolegate.db and audit.db (a data directory) or in the one audit table (PostgreSQL).
 * Exit status 0 when the record holds an explanation, 1 when there is no such record or it holds none (a call that
 * was not denied by a policy: refused by authentication, or allowed), 2 for a usage error.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/audit_explain.h"
#include "server/cli_store.h"
#include "server/explain.h"
#include "store/db.h"
#include "store/node.h"
#include "store/store.h"
#include "util/common.h"
#include "util/timeutil.h"

/* One record, as read. */
struct record {
	int64_t time_ms;
	char *f[8]; /* account, principal, action, resource, source ip, outcome, explanation, access key */
	bool found;
};

static void record_free(struct record *r)
{
	for (size_t i = 0; i < ARRAY_LEN(r->f); i++)
		free(r->f[i]);
	memset(r, 0, sizeof(*r));
}

/* Looks request_id up in db's audit table (the newest record of it: a call writes one). C_OK (found or not). */
static int lookup_db(struct db *db, const char *request_id, struct record *out)
{
	struct db_tx *tx;
	struct db_rows *r;
	int has, rc = C_OK;

	if (db_begin(db, false, &tx) != C_OK)
		return C_ERR;
	if ((has = store_audit_has_column(tx, "explanation")) < 0) {
		db_rollback(tx);
		return C_ERR;
	}
	r = db_query_fresh(tx,
	                   has ? "SELECT time_ms, account_id, principal_arn, action, coalesce(resource, ''), "
	                         "coalesce(source_ip, ''), outcome, coalesce(explanation, ''), coalesce(access_key_id, '') "
	                         "FROM audit WHERE request_id = ?1 ORDER BY seq DESC LIMIT 1"
	                       : "SELECT time_ms, account_id, principal_arn, action, coalesce(resource, ''), "
	                         "coalesce(source_ip, ''), outcome, '', coalesce(access_key_id, '') "
	                         "FROM audit WHERE request_id = ?1 ORDER BY seq DESC LIMIT 1",
	                   DB_ARGS(db_text(request_id)));
	if (db_step(r) == DB_ROW && !out->found) {
		out->found = true;
		out->time_ms = db_col_int(r, 0);
		for (size_t i = 0; i < ARRAY_LEN(out->f); i++) {
			const char *t = db_col_text(r, 1 + (int)i);
			if (!(out->f[i] = strdup(t ? t : "")))
				rc = C_ERR;
		}
	}
	db_rows_done(r);
	db_rollback(tx);
	return rc;
}

static int print_record(const char *request_id, const struct record *rec, bool json)
{
	char when[ISO8601_LEN];
	json_t *e = rec->f[6][0] ? json_loads(rec->f[6], JSON_REJECT_DUPLICATES, NULL) : NULL;
	char *text;

	time_iso8601(rec->time_ms / 1000, when);
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "requestId", request_id, "time", when,
		                      "account", rec->f[0], "principal", rec->f[1], "accessKeyId", rec->f[7], "action",
		                      rec->f[2], "resource", rec->f[3], "sourceIp", rec->f[4], "outcome", rec->f[5],
		                      "explanation", e ? json_incref(e) : json_null());
		char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (line)
			puts(line);
		free(line);
		json_decref(o);
	} else {
		printf("Request   %s\nTime      %s\nPrincipal %s (account %s)\nAction    %s\nResource  %s\nSource    %s\n"
		       "Outcome   %s\n",
		       request_id, when, rec->f[1], rec->f[0], rec->f[2], rec->f[3], rec->f[4], rec->f[5]);
		if (e && (text = explain_text(e))) {
			fputs(text, stdout);
			free(text);
		} else {
			printf("No explanation recorded: the call was not denied by a policy (or was recorded by an older "
			       "rolegate).\n");
		}
	}
	json_decref(e);
	return e ? 0 : 1;
}

int audit_explain_main(const char *dir, const char *pg, const char *request_id, bool json)
{
	struct record rec = {0};
	struct db *db, *adb;
	char path[4096];
	int status = 1;

	if (!(db = cli_store_open("audit", dir, pg)))
		return 1;
	if (lookup_db(db, request_id, &rec) != C_OK)
		goto fail;
	/* a data directory's sts:AssumeRole and sts:GetSessionToken records are in audit.db */
	if (!rec.found && !pg && !store_node_is_postgres(dir)) {
		snprintf(path, sizeof(path), "%s/audit.db", dir);
		if (access(path, R_OK) == 0) {
			if (!(adb = db_open_sqlite_file(dir, "audit.db")))
				goto fail;
			status = lookup_db(adb, request_id, &rec);
			db_close(adb);
			if (status != C_OK)
				goto fail;
			status = 1;
		}
	}
	db_close(db);
	if (!rec.found) {
		fprintf(stderr, "rolegate audit: no audit record with request id %s in %s\n", request_id,
		        cli_store_where(dir, pg));
		return 1;
	}
	status = print_record(request_id, &rec, json);
	record_free(&rec);
	return status;
fail:
	fprintf(stderr, "rolegate audit: cannot read the audit trail in %s\n", cli_store_where(dir, pg));
	record_free(&rec);
	db_close(db);
	return 1;
}
