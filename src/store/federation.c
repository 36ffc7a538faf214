/*
 * federation.c - the sign-in tokens of /federation (table federation_signin_tokens, schema migration 5): a token is
 * kept only as its SHA-256 (hex), beside the sealed session token it signs in with, the console session's length
 * and its expiry; it is spent once (store_fed_token_take marks it used in the caller's transaction).
 */
#include "store/console.h"

#include <string.h>

#include "util/common.h"

int store_fed_token_put(struct db_tx *tx, const char *id_hash, const char *token, int64_t session_duration_s,
                        int64_t expires_ms)
{
	return db_exec(tx,
	               "INSERT INTO federation_signin_tokens(id_hash, token, session_duration_s, expires_ms, used) "
	               "VALUES (?1, ?2, ?3, ?4, 0)",
	               DB_ARGS(db_text(id_hash), db_text(token), db_int(session_duration_s), db_int(expires_ms)), NULL);
}

int store_fed_token_take(struct db_tx *tx, const char *id_hash, int64_t now_ms, struct store_fed_token *out)
{
	struct db_rows *r;
	int64_t changes = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	/* spent first: of two concurrent logins with one token, only the one whose update changed the row goes on */
	rc = db_exec(tx,
	             "UPDATE federation_signin_tokens SET used = 1 WHERE id_hash = ?1 AND used = 0 AND expires_ms > ?2",
	             DB_ARGS(db_text(id_hash), db_int(now_ms)), &changes);
	if (rc != C_OK)
		return rc;
	if (changes == 0)
		return STORE_NOT_FOUND;
	r = db_query_fresh(tx,
	                   "SELECT token, session_duration_s, expires_ms FROM federation_signin_tokens WHERE id_hash = ?1",
	                   DB_ARGS(db_text(id_hash)));
	rc = db_step(r);
	if (rc == DB_ROW) {
		rc = db_col_copy(r, 0, out->token, sizeof(out->token)) == C_OK ? C_OK : C_ERR;
		out->session_duration_s = db_col_int(r, 1);
		out->expires_ms = db_col_int(r, 2);
	} else {
		rc = C_ERR; /* it was there a moment ago, in this transaction */
	}
	db_rows_done(r);
	if (rc != C_OK)
		explicit_bzero(out, sizeof(*out));
	return rc;
}

int store_fed_token_prune(struct db_tx *tx, int64_t now_ms)
{
	return db_exec(tx, "DELETE FROM federation_signin_tokens WHERE expires_ms <= ?1", DB_ARGS(db_int(now_ms)), NULL);
}
