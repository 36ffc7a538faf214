/*
 * unused.c - `rolegate analyze unused --days N`: what was granted and not used in the last N days.
 *
 *   UnusedIAMRole           a role created before the window and not assumed in it (the audit's successful
 *                           sts:AssumeRole records, and the role's RoleLastUsed)
 *   UnusedIAMUserAccessKey  an active access key made before the window, not used in it (AccessKeyLastUsed, and the
 *                           audit records signed with it)
 *   UnusedIAMUserPassword   a console password (login profile) made before the window, no successful
 *                           signin:ConsoleLogin in it
 *   UnusedPermission        per user and role: the actions rolegate serves and audits (writes, sts:AssumeRole and
 *                           GetSessionToken: a successful read leaves no record, so its use cannot be told) that its
 *                           policies allow (the engine, on "*", with its boundary and SCPs) and that no successful
 *                           audit record of the window shows it calling, grouped by service; a service none of whose
 *                           allowed actions was called is marked serviceUnused
 *
 * The audit trail is rolegate.db's and audit.db's (or the PostgreSQL database's one table); everything is read in
 * read transactions, beside a running server.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/cli.h"
#include "analyze/unused.h"
#include "iam/effective.h"
#include "orgs/orgs.h"
#include "policy/policy.h"
#include "server/call.h"
#include "server/cli_store.h"
#include "store/db.h"
#include "store/node.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/timeutil.h"

/* One successful call of the window: who, what, on what, with which key. */
struct audit_call {
	char *principal, *action, *resource, *key;
	int64_t time_ms;
};

struct audit_calls {
	struct audit_call *v;
	size_t n, cap;
};

static void calls_free(struct audit_calls *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		free(cs->v[i].principal);
		free(cs->v[i].action);
		free(cs->v[i].resource);
		free(cs->v[i].key);
	}
	free(cs->v);
}

/* Appends db's successful audit records since since_ms. */
static int calls_read(struct db *db, int64_t since_ms, struct audit_calls *cs)
{
	struct db_tx *tx;
	struct db_rows *r;
	int rc = C_OK, st = DB_DONE;

	if (db_begin(db, false, &tx) != C_OK)
		return C_ERR;
	r = db_query_fresh(tx,
	                   "SELECT principal_arn, action, coalesce(resource, ''), coalesce(access_key_id, ''), time_ms "
	                   "FROM audit WHERE time_ms >= ?1 AND outcome = 'Success'",
	                   DB_ARGS(db_int(since_ms)));
	while (r && rc == C_OK && (st = db_step(r)) == DB_ROW) {
		if (cs->n == cs->cap) {
			size_t cap = cs->cap ? cs->cap * 2 : 256;
			struct audit_call *g = realloc(cs->v, cap * sizeof(*g));
			if (!g) {
				rc = C_ERR;
				break;
			}
			cs->v = g;
			cs->cap = cap;
		}
		struct audit_call *c = &cs->v[cs->n++];
		c->principal = strdup(db_col_text(r, 0));
		c->action = strdup(db_col_text(r, 1));
		c->resource = strdup(db_col_text(r, 2));
		c->key = strdup(db_col_text(r, 3));
		c->time_ms = db_col_int(r, 4);
		if (!c->principal || !c->action || !c->resource || !c->key)
			rc = C_ERR;
	}
	if (!r || (rc == C_OK && st != DB_DONE))
		rc = C_ERR;
	db_rows_done(r);
	db_rollback(tx);
	return rc;
}

/* Whether principal (a user ARN, or a session of role NAME of account) made a call of the window for which
 * match(call) holds. */
static bool role_session_of(const char *principal, const char *account, const char *name)
{
	char prefix[ARN_MAX + 64];
	int n = snprintf(prefix, sizeof(prefix), "arn:aws:sts::%s:assumed-role/%s/", account, name);
	return n > 0 && (size_t)n < sizeof(prefix) && strncmp(principal, prefix, (size_t)n) == 0;
}

struct who {
	char kind[8], id[64], account[16], name[129], arn[ARN_MAX + 1];
	int64_t created_ms;
};

static bool called_by(const struct audit_calls *cs, const struct who *w, const char *action)
{
	for (size_t i = 0; i < cs->n; i++) {
		bool mine = strcmp(w->kind, "user") == 0 ? strcmp(cs->v[i].principal, w->arn) == 0
		                                         : role_session_of(cs->v[i].principal, w->account, w->name);
		if (mine && (!action || strcmp(cs->v[i].action, action) == 0))
			return true;
	}
	return false;
}

static void iso_or_null(json_t *o, const char *key, int64_t ms)
{
	char when[ISO8601_LEN];
	if (ms <= 0) {
		json_object_set_new(o, key, json_null());
		return;
	}
	time_iso8601(ms / 1000, when);
	json_object_set_new(o, key, json_string(when));
}

/* UnusedPermission of w: the served actions its policies allow and it did not call. */
static int unused_permissions(struct db_tx *tx, const struct who *w, const struct audit_calls *cs, json_t *out)
{
	struct principal_policies pp = {0};
	struct scp_layers scp = {0};
	json_t *services = json_object(), *f = NULL;
	int rc = C_ERR;
	char session[ARN_MAX + 64];

	if (!services || principal_policies_load(tx, w->kind, w->id, &pp) != C_OK)
		goto out;
	if (orgs_scp_layers(tx, w->account, &scp) != C_OK)
		goto out;
	snprintf(session, sizeof(session), "arn:aws:sts::%s:assumed-role/%s/rolegate-analyze", w->account, w->name);
	struct policy_set set = {.identity = (struct policy *const *)pp.identity, .nidentity = pp.nidentity,
	                         .scp = scp.layers, .nscp = scp.n};
	if (pp.boundary) {
		set.boundaries = (struct policy *const *)&pp.boundary;
		set.nboundaries = 1;
	}
	const char *arnv[1] = {w->arn}, *acctv[1] = {w->account};
	struct policy_ctx_entry ctx[2] = {{"aws:PrincipalArn", arnv, 1, false}, {"aws:PrincipalAccount", acctv, 1, false}};
	for (size_t i = 0; ; i++) {
		const struct action *a = action_nth(i);
		char action[128];
		if (!a)
			break;
		if (!a->write && !a->audit_durably)
			continue; /* a successful read leaves no audit record: its use cannot be told from the trail */
		snprintf(action, sizeof(action), "%s:%s", a->service, a->name);
		struct policy_request req = {.action = action, .resource = "*", .resource_account = w->account,
		                             .principal = strcmp(w->kind, "role") == 0 ? session : w->arn,
		                             .principal_account = w->account, .principal_id = w->id, .ctx = ctx, .nctx = 2};
		if (policy_action_needs_no_permission(action) || policy_evaluate(&req, &set, NULL) != POLICY_ALLOWED)
			continue;
		json_t *svc = json_object_get(services, a->service);
		if (!svc) {
			svc = json_pack("{s:b, s:[]}", "used", 0, "unusedActions");
			json_object_set_new(services, a->service, svc);
		}
		if (called_by(cs, w, action))
			json_object_set_new(svc, "used", json_true());
		else
			json_array_append_new(json_object_get(svc, "unusedActions"), json_string(action));
	}
	json_t *list = json_array();
	const char *name;
	json_t *svc;
	json_object_foreach(services, name, svc) {
		size_t n = json_array_size(json_object_get(svc, "unusedActions"));
		if (n)
			json_array_append_new(list, json_pack("{s:s, s:b, s:O}", "service", name, "serviceUnused",
			                                      !json_is_true(json_object_get(svc, "used")), "actions",
			                                      json_object_get(svc, "unusedActions")));
	}
	if (json_array_size(list)) {
		f = json_pack("{s:s, s:s, s:s, s:o}", "findingType", "UnusedPermission", "principal", w->arn, "account",
		              w->account, "services", list);
		json_array_append_new(out, f);
	} else {
		json_decref(list);
	}
	rc = C_OK;
out:
	json_decref(services);
	principal_policies_release(&pp);
	orgs_scp_layers_release(&scp);
	return rc;
}

static int analyze(struct db *db, const char *account, int64_t cutoff, const struct audit_calls *cs, json_t *out)
{
	static const char *const sql[] = {
		"SELECT role_id, account_id, name, path, created_ms, coalesce(last_used_ms, 0) FROM roles "
		"WHERE ?1 IS NULL OR account_id = ?1 ORDER BY account_id, name_lc",
		"SELECT u.user_id, u.account_id, u.name, u.path, u.created_ms, 0 FROM users u "
		"WHERE ?1 IS NULL OR u.account_id = ?1 ORDER BY u.account_id, u.name_lc",
	};
	struct db_tx *tx;
	int rc = C_OK;

	if (db_begin(db, false, &tx) != C_OK)
		return C_ERR;
	for (int k = 0; rc == C_OK && k < 2; k++) {
		struct who *ws = NULL;
		size_t n = 0, cap = 0;
		int64_t *last = NULL;
		struct db_rows *r = db_query(tx, sql[k], DB_ARGS(db_text(account)));
		while (r && db_step(r) == DB_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				struct who *g = realloc(ws, cap * sizeof(*g));
				int64_t *l = realloc(last, cap * sizeof(*l));
				if (g)
					ws = g;
				if (l)
					last = l;
				if (!g || !l) {
					rc = C_ERR;
					break;
				}
			}
			struct who *w = &ws[n];
			snprintf(w->kind, sizeof(w->kind), "%s", k == 0 ? "role" : "user");
			db_col_copy(r, 0, w->id, sizeof(w->id));
			db_col_copy(r, 1, w->account, sizeof(w->account));
			db_col_copy(r, 2, w->name, sizeof(w->name));
			snprintf(w->arn, sizeof(w->arn), "arn:aws:iam::%s:%s%s%s", w->account, w->kind, db_col_text(r, 3),
			         w->name);
			w->created_ms = db_col_int(r, 4);
			last[n++] = db_col_int(r, 5);
		}
		if (!r)
			rc = C_ERR;
		db_rows_done(r);
		for (size_t i = 0; rc == C_OK && i < n; i++) {
			struct who *w = &ws[i];
			if (k == 0) { /* roles: assumed in the window? */
				int64_t used = last[i];
				for (size_t j = 0; j < cs->n; j++)
					if (strcmp(cs->v[j].action, "sts:AssumeRole") == 0 && strcmp(cs->v[j].resource, w->arn) == 0 &&
					    cs->v[j].time_ms > used)
						used = cs->v[j].time_ms;
				if (w->created_ms < cutoff && used < cutoff) {
					json_t *f = json_pack("{s:s, s:s, s:s}", "findingType", "UnusedIAMRole", "principal", w->arn,
					                      "account", w->account);
					iso_or_null(f, "lastUsed", used);
					json_array_append_new(out, f);
				}
			} else { /* users: their active keys and their password */
				struct db_rows *kr = db_query(tx,
				                              "SELECT access_key_id, created_ms, coalesce(last_used_ms, 0) FROM access_keys "
				                              "WHERE user_id = ?1 AND status = 'Active' ORDER BY created_ms",
				                              DB_ARGS(db_text(w->id)));
				while (kr && db_step(kr) == DB_ROW) {
					const char *kid = db_col_text(kr, 0);
					int64_t used = db_col_int(kr, 2);
					for (size_t j = 0; j < cs->n; j++)
						if (strcmp(cs->v[j].key, kid) == 0 && cs->v[j].time_ms > used)
							used = cs->v[j].time_ms;
					if (db_col_int(kr, 1) < cutoff && used < cutoff) {
						json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "findingType", "UnusedIAMUserAccessKey",
						                      "principal", w->arn, "account", w->account, "accessKeyId", kid);
						iso_or_null(f, "lastUsed", used);
						json_array_append_new(out, f);
					}
				}
				db_rows_done(kr);
				struct db_rows *lr = db_query(tx, "SELECT created_ms FROM login_profiles WHERE user_id = ?1",
				                              DB_ARGS(db_text(w->id)));
				if (lr && db_step(lr) == DB_ROW && db_col_int(lr, 0) < cutoff &&
				    !called_by(cs, w, "signin:ConsoleLogin")) {
					json_t *f = json_pack("{s:s, s:s, s:s}", "findingType", "UnusedIAMUserPassword", "principal",
					                      w->arn, "account", w->account);
					iso_or_null(f, "lastUsed", 0);
					json_array_append_new(out, f);
				}
				db_rows_done(lr);
			}
			if (w->created_ms < cutoff && unused_permissions(tx, w, cs, out) != C_OK)
				rc = C_ERR;
		}
		free(ws);
		free(last);
	}
	db_rollback(tx);
	return rc;
}

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate analyze unused --days N [--data DIR | --postgres CONNINFO] [--account ID]\n"
	        "                               [--format table|json]\n"
	        "Roles not assumed, access keys and passwords not used, and permissions granted but not exercised in the\n"
	        "last N days (the audit trail), as IAM Access Analyzer's unused access findings.\n");
	return status;
}

static void print_table(json_t *findings)
{
	size_t i;
	json_t *f;

	printf("%-24s %-60s %s\n", "FINDING", "PRINCIPAL", "DETAIL");
	json_array_foreach(findings, i, f) {
		const char *type = json_string_value(json_object_get(f, "findingType"));
		char detail[512] = "";
		if (strcmp(type, "UnusedPermission") == 0) {
			size_t j, len = 0;
			json_t *s;
			json_array_foreach(json_object_get(f, "services"), j, s) {
				int w = snprintf(detail + len, sizeof(detail) - len, "%s%s (%zu%s)", j ? ", " : "",
				                 json_string_value(json_object_get(s, "service")),
				                 json_array_size(json_object_get(s, "actions")),
				                 json_is_true(json_object_get(s, "serviceUnused")) ? ", whole service" : "");
				if (w < 0 || (size_t)w >= sizeof(detail) - len)
					break;
				len += (size_t)w;
			}
		} else {
			const char *kid = json_string_value(json_object_get(f, "accessKeyId"));
			const char *last = json_string_value(json_object_get(f, "lastUsed"));
			snprintf(detail, sizeof(detail), "%s%slast used %s", kid ? kid : "", kid ? ", " : "",
			         last ? last : "never");
		}
		printf("%-24s %-60s %s\n", type, json_string_value(json_object_get(f, "principal")), detail);
	}
	printf("%zu finding(s)\n", json_array_size(findings));
}

int analyze_unused_main(int argc, char **argv)
{
	struct analyze_common_opts o = {.store = {.dir = "./data"}, .format = "table"};
	struct analyze_store_opts so;
	const char *account, *format;
	long days = -1;
	struct db *db = NULL, *audit_db = NULL;
	struct audit_calls cs = {0};
	json_t *findings = NULL;
	int status = 1;
	char path[4096];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(0);
		if (analyze_common_flags(argc, argv, &i, &o))
			continue;
		if (strcmp(argv[i], "--days") == 0 && i + 1 < argc) {
			char *end;
			days = strtol(argv[++i], &end, 10);
			if (*end || end == argv[i] || days < 1 || days > 36500)
				return usage(2);
		} else
			return usage(2);
	}
	so = o.store;
	account = o.account;
	format = o.format;
	if (days < 0 || (strcmp(format, "table") != 0 && strcmp(format, "json") != 0))
		return usage(2);
	int64_t cutoff = now_ms() - (int64_t)days * 86400 * 1000;
	if (!(db = cli_store_open("analyze unused", so.dir, so.conninfo)))
		return 1;
	if (crypto_init() != C_OK || !(findings = json_array()))
		goto out;
	if (calls_read(db, cutoff, &cs) != C_OK)
		goto fail_read;
	/* SQLite: sts:AssumeRole and GetSessionToken are in DIR/audit.db (absent until the first one) */
	if (!so.conninfo && !store_node_is_postgres(so.dir) &&
	    snprintf(path, sizeof(path), "%s/audit.db", so.dir) < (int)sizeof(path) && access(path, R_OK) == 0) {
		if (!(audit_db = db_open_sqlite_file(so.dir, "audit.db")) || calls_read(audit_db, cutoff, &cs) != C_OK)
			goto fail_read;
	}
	if (analyze(db, account, cutoff, &cs, findings) != C_OK)
		goto fail_read;
	if (strcmp(format, "json") == 0) {
		if (json_dumpf(findings, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
			goto out;
		putchar('\n');
	} else {
		print_table(findings);
	}
	status = 0;
	goto out;
fail_read:
	fprintf(stderr, "rolegate analyze unused: cannot read %s\n", cli_store_where(so.dir, so.conninfo));
out:
	calls_free(&cs);
	json_decref(findings);
	db_close(audit_db);
	db_close(db);
	policy_cache_clear();
	crypto_cleanup();
	return status;
}
