/*
 * audit.c - the audit trail: one row per audited call (a write in the caller's transaction; reads and STS calls
 * through the group committer, src/server/auditlog.c).
 */
#include "store/store.h"

int store_audit_append(struct db_tx *tx, const struct store_audit *a)
{
	return db_exec(tx,
	               "INSERT INTO audit(time_ms, request_id, account_id, principal_arn, access_key_id, action, "
	               "resource, source_ip, outcome, detail, user_agent, region, response, enforcement) "
	               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
	               DB_ARGS(db_int(a->time_ms), db_text(a->request_id), db_text(a->account_id),
	                       db_text(a->principal_arn), db_text(a->access_key_id), db_text(a->action),
	                       db_text(a->resource), db_text(a->source_ip), db_text(a->outcome), db_text(a->detail),
	                       db_text(a->user_agent), db_text(a->region), db_text(a->response),
	                       db_text(a->enforcement)),
	               NULL);
}
