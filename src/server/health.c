/*
 * health.c - /health and /ready (see health.h).
 */
#include "server/health.h"

#include <stdatomic.h>
#include <string.h>

#include "store/db.h"
#include "util/common.h"
#include "util/log.h"

static atomic_bool ready;

void health_set_ready(bool r) { atomic_store(&ready, r); }

/* One read from the database itself (never the cache of results): C_OK when it answers. */
static int store_answers(struct db *db, const char *sql)
{
	struct db_tx *tx = NULL;
	int64_t n;
	int rc;

	if (!db || db_begin(db, false, &tx) != C_OK)
		return C_ERR;
	rc = db_one_int(db_query_fresh(tx, sql, DB_NOARGS), &n);
	db_rollback(tx);
	return rc;
}

static bool path_is(const struct http_request *req, const char *path)
{
	size_t len = strlen(path);

	return req->path_len == len && memcmp(req->path, path, len) == 0;
}

static void answer(struct http_response *resp, int status, const char *body)
{
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	if (buf_append(&resp->body, body, strlen(body)) != C_OK)
		buf_reset(&resp->body);
}

bool health_route(struct rg_server *srv, const struct http_request *req, struct http_response *resp)
{
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		return false;
	if (path_is(req, "/health")) {
		/* audit_db: SQLite's second file; NULL on PostgreSQL, whose one database holds the audit table */
		if (store_answers(srv->db, "SELECT count(*) FROM meta") == C_OK &&
		    (!srv->audit_db ||
		     store_answers(srv->audit_db, "SELECT count(*) FROM (SELECT 1 FROM audit LIMIT 1)") == C_OK)) {
			answer(resp, 200, "{\"status\":\"ok\"}\n");
		} else {
			log_warnx("health: the store does not answer");
			answer(resp, 503, "{\"status\":\"unavailable\"}\n");
		}
		return true;
	}
	if (path_is(req, "/ready")) {
		if (atomic_load(&ready))
			answer(resp, 200, "{\"status\":\"ready\"}\n");
		else
			answer(resp, 503, "{\"status\":\"not ready\"}\n");
		return true;
	}
	return false;
}
