/*
 * schema.c - versioned migrations. Each migration runs once, in its own write transaction, and records itself in
 * schema_migrations; a database newer than this binary is refused rather than misread.
 *
 * Conventions: STRICT tables; times are INTEGER milliseconds since the epoch; IAM names are unique without regard
 * to case (name_lc), as on AWS; secrets are sealed BLOBs (src/server/secrets.c), never plaintext.
 */
#include "store/store.h"

#include <stdio.h>

#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"

static const char *const migrations[] = {
	/* 1: accounts, IAM users, tags, access keys, audit */
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	") STRICT;"
	"CREATE TABLE accounts ("
	"  account_id TEXT PRIMARY KEY CHECK (length(account_id) = 12),"
	"  name TEXT NOT NULL,"
	"  email TEXT,"
	"  is_management INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL DEFAULT 'ACTIVE',"
	"  created_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE users ("
	"  user_id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES accounts(account_id),"
	"  name TEXT NOT NULL,"
	"  name_lc TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  permissions_boundary TEXT,"
	"  created_ms INTEGER NOT NULL,"
	"  UNIQUE (account_id, name_lc)"
	") STRICT;"
	"CREATE TABLE tags ("
	"  resource_id TEXT NOT NULL,"
	"  key_lc TEXT NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  PRIMARY KEY (resource_id, key_lc)"
	") STRICT;"
	"CREATE TABLE access_keys ("
	"  access_key_id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES accounts(account_id),"
	"  user_id TEXT REFERENCES users(user_id),"
	"  secret_sealed BLOB NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),"
	"  created_ms INTEGER NOT NULL,"
	"  last_used_ms INTEGER,"
	"  last_used_service TEXT,"
	"  last_used_region TEXT"
	") STRICT;"
	"CREATE INDEX access_keys_by_owner ON access_keys(account_id, user_id);"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time_ms INTEGER NOT NULL,"
	"  request_id TEXT NOT NULL,"
	"  account_id TEXT NOT NULL,"
	"  principal_arn TEXT NOT NULL,"
	"  access_key_id TEXT,"
	"  action TEXT NOT NULL,"
	"  resource TEXT,"
	"  source_ip TEXT,"
	"  outcome TEXT NOT NULL,"
	"  detail TEXT"
	") STRICT;"
	"CREATE INDEX audit_by_time ON audit(time_ms);",
};

int store_migrate(struct db *db)
{
	struct db_tx *tx;
	struct db_rows *r;
	int64_t current = 0;
	size_t latest = ARRAY_LEN(migrations);

	if (db_begin(db, true, &tx) != C_OK)
		return C_ERR;
	if (db_exec_script(tx, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                       "  version INTEGER PRIMARY KEY,"
	                       "  applied_ms INTEGER NOT NULL"
	                       ") STRICT") != C_OK)
		goto fail;
	r = db_query(tx, "SELECT coalesce(max(version), 0) FROM schema_migrations", DB_NOARGS);
	if (db_step(r) != DB_ROW) {
		db_rows_done(r);
		goto fail;
	}
	current = db_col_int(r, 0);
	db_rows_done(r);
	if (current > (int64_t)latest) {
		log_warnx("store: the database has schema version %lld, newer than this rolegate (%zu)",
		          (long long)current, latest);
		goto fail;
	}
	if (db_commit(tx) != C_OK)
		return C_ERR;
	for (size_t v = (size_t)current + 1; v <= latest; v++) {
		if (db_begin(db, true, &tx) != C_OK)
			return C_ERR;
		if (db_exec_script(tx, migrations[v - 1]) != C_OK ||
		    db_exec(tx, "INSERT INTO schema_migrations(version, applied_ms) VALUES (?1, ?2)",
		            DB_ARGS(db_int((int64_t)v), db_int(now_ms())), NULL) != C_OK)
			goto fail;
		if (db_commit(tx) != C_OK)
			return C_ERR;
		log_info("store: applied schema migration %zu", v);
	}
	return C_OK;
fail:
	db_rollback(tx);
	return C_ERR;
}
