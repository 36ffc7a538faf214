/*
 * schema.c - versioned migrations. Each migration runs once, in its own write transaction, and records itself in
 * schema_migrations; a database newer than this binary is refused rather than misread.
 *
 * Conventions: STRICT tables; times are INTEGER milliseconds since the epoch; IAM names are unique without regard
 * to case (name_lc), as on AWS; secrets are sealed BLOBs (src/server/secrets.c), never plaintext.
 *
 * One list of migrations serves both backends, with the same version numbers: on PostgreSQL each script is the
 * SQLite DDL translated by pgsql_translate_ddl (BIGINT, BYTEA, an identity key for AUTOINCREMENT, TEXT with byte
 * order), giving the same tables and columns. A migration whose DDL does not translate can name its PostgreSQL form
 * in pg_override. Several nodes may start at once on one PostgreSQL: every migration re-reads the version inside
 * its own write transaction, which holds the cluster-wide write lock (postgres.c), and skips what another node
 * applied meanwhile.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/pgsql.h"

#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"

/* The audit table's columns: rolegate.db's (migration 1) and audit.db's (store_migrate_audit) are the same. */
#define AUDIT_COLUMNS                                                                                              \
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"                                                                  \
	"  time_ms INTEGER NOT NULL,"                                                                                \
	"  request_id TEXT NOT NULL,"                                                                                \
	"  account_id TEXT NOT NULL,"                                                                                \
	"  principal_arn TEXT NOT NULL,"                                                                             \
	"  access_key_id TEXT,"                                                                                      \
	"  action TEXT NOT NULL,"                                                                                    \
	"  resource TEXT,"                                                                                           \
	"  source_ip TEXT,"                                                                                          \
	"  outcome TEXT NOT NULL,"                                                                                   \
	"  detail TEXT"

/* The audit columns added by migration 4 (ALTER TABLE in both databases: older data directories have the table). */
static const char *const audit_columns_4[] = {"user_agent", "region", "response"};
#define AUDIT_COLUMNS_4                                                                                            \
	"ALTER TABLE audit ADD COLUMN user_agent TEXT;"                                                              \
	"ALTER TABLE audit ADD COLUMN region TEXT;"                                                                  \
	"ALTER TABLE audit ADD COLUMN response TEXT;"

/* The audit column added by migration 6 (issue 16): the reasoning of a denial, JSON (src/server/explain.h). */
#define AUDIT_COLUMN_EXPLANATION "ALTER TABLE audit ADD COLUMN explanation TEXT;"

/* The audit column added by migration 7 (issue 16), of the enforcement modes (src/server/enforce.h): 'soft-denied'
 * for a call the policies refused but soft mode let through, NULL otherwise. Added to both databases, like 4's. */
#define AUDIT_COLUMN_ENFORCEMENT "ALTER TABLE audit ADD COLUMN enforcement TEXT;"

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
	"CREATE TABLE audit (" AUDIT_COLUMNS
	") STRICT;"
	"CREATE INDEX audit_by_time ON audit(time_ms);",

	/* 2: groups, roles, policies, instance profiles, login profiles, MFA devices, aliases, Organizations, the
	 * keys that seal session tokens */
	"CREATE TABLE groups ("
	"  group_id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES accounts(account_id),"
	"  name TEXT NOT NULL,"
	"  name_lc TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  UNIQUE (account_id, name_lc)"
	") STRICT;"
	"CREATE TABLE group_members ("
	"  group_id TEXT NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,"
	"  user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,"
	"  added_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (group_id, user_id)"
	") STRICT;"
	"CREATE INDEX group_members_by_user ON group_members(user_id);"
	"CREATE TABLE roles ("
	"  role_id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES accounts(account_id),"
	"  name TEXT NOT NULL,"
	"  name_lc TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  trust_policy TEXT NOT NULL,"
	"  description TEXT,"
	"  max_session_s INTEGER NOT NULL DEFAULT 3600,"
	"  permissions_boundary TEXT,"
	"  created_ms INTEGER NOT NULL,"
	"  last_used_ms INTEGER,"
	"  last_used_region TEXT,"
	"  UNIQUE (account_id, name_lc)"
	") STRICT;"
	/* owner_id: a user, group or role id; names are unique per owner without regard to case */
	"CREATE TABLE inline_policies ("
	"  owner_id TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  name_lc TEXT NOT NULL,"
	"  document TEXT NOT NULL,"
	"  PRIMARY KEY (owner_id, name_lc)"
	") STRICT;"
	/* account_id 'aws' holds the AWS-managed policies */
	"CREATE TABLE managed_policies ("
	"  policy_id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL,"
	"  arn TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL,"
	"  name_lc TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  description TEXT,"
	"  default_version INTEGER NOT NULL,"
	"  next_version INTEGER NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  updated_ms INTEGER NOT NULL,"
	"  UNIQUE (account_id, name_lc)"
	") STRICT;"
	"CREATE TABLE policy_versions ("
	"  policy_id TEXT NOT NULL REFERENCES managed_policies(policy_id) ON DELETE CASCADE,"
	"  version INTEGER NOT NULL,"
	"  document TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (policy_id, version)"
	") STRICT;"
	"CREATE TABLE policy_attachments ("
	"  entity_id TEXT NOT NULL,"
	"  policy_arn TEXT NOT NULL,"
	"  entity_type TEXT NOT NULL CHECK (entity_type IN ('user', 'group', 'role')),"
	"  account_id TEXT NOT NULL,"
	"  attached_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (entity_id, policy_arn)"
	") STRICT;"
	"CREATE INDEX policy_attachments_by_policy ON policy_attachments(policy_arn);"
	"CREATE TABLE instance_profiles ("
	"  profile_id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES accounts(account_id),"
	"  name TEXT NOT NULL,"
	"  name_lc TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  UNIQUE (account_id, name_lc)"
	") STRICT;"
	"CREATE TABLE instance_profile_roles ("
	"  profile_id TEXT NOT NULL REFERENCES instance_profiles(profile_id) ON DELETE CASCADE,"
	"  role_id TEXT NOT NULL REFERENCES roles(role_id),"
	"  PRIMARY KEY (profile_id, role_id)"
	") STRICT;"
	"CREATE INDEX instance_profile_roles_by_role ON instance_profile_roles(role_id);"
	"CREATE TABLE login_profiles ("
	"  user_id TEXT PRIMARY KEY REFERENCES users(user_id),"
	"  password_hash TEXT NOT NULL,"
	"  reset_required INTEGER NOT NULL,"
	"  created_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE password_policies ("
	"  account_id TEXT PRIMARY KEY REFERENCES accounts(account_id),"
	"  policy TEXT NOT NULL"
	") STRICT;"
	/* serial: arn:aws:iam::ACCT:mfa/PATH/NAME; user_id NULL while unassigned, owner 'root' for the account root */
	"CREATE TABLE mfa_devices ("
	"  serial TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES accounts(account_id),"
	"  name TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  seed_sealed BLOB NOT NULL,"
	"  user_id TEXT REFERENCES users(user_id),"
	"  is_root INTEGER NOT NULL DEFAULT 0,"
	"  enabled_ms INTEGER,"
	"  last_counter INTEGER NOT NULL DEFAULT 0,"
	"  failures INTEGER NOT NULL DEFAULT 0,"
	"  locked_until_ms INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX mfa_devices_by_user ON mfa_devices(user_id);"
	"CREATE TABLE account_aliases ("
	"  account_id TEXT PRIMARY KEY REFERENCES accounts(account_id),"
	"  alias TEXT NOT NULL UNIQUE"
	") STRICT;"
	"CREATE TABLE organizations ("
	"  org_id TEXT PRIMARY KEY,"
	"  management_account_id TEXT NOT NULL UNIQUE REFERENCES accounts(account_id),"
	"  root_id TEXT NOT NULL UNIQUE,"
	"  feature_set TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE org_units ("
	"  ou_id TEXT PRIMARY KEY,"
	"  org_id TEXT NOT NULL REFERENCES organizations(org_id),"
	"  parent_id TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX org_units_by_parent ON org_units(parent_id);"
	/* membership of an account: its organization, its parent (root or OU), how and when it joined */
	"CREATE TABLE org_accounts ("
	"  account_id TEXT PRIMARY KEY REFERENCES accounts(account_id),"
	"  org_id TEXT NOT NULL REFERENCES organizations(org_id),"
	"  parent_id TEXT NOT NULL,"
	"  joined_method TEXT NOT NULL,"
	"  joined_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX org_accounts_by_parent ON org_accounts(parent_id);"
	"CREATE TABLE create_account_status ("
	"  request_id TEXT PRIMARY KEY,"
	"  org_id TEXT NOT NULL REFERENCES organizations(org_id),"
	"  account_name TEXT NOT NULL,"
	"  email TEXT NOT NULL,"
	"  role_name TEXT NOT NULL,"
	"  account_id TEXT,"
	"  state TEXT NOT NULL,"
	"  failure_reason TEXT,"
	"  requested_ms INTEGER NOT NULL,"
	"  completed_ms INTEGER"
	") STRICT;"
	"CREATE TABLE org_policies ("
	"  policy_id TEXT PRIMARY KEY,"
	"  org_id TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  description TEXT NOT NULL,"
	"  content TEXT NOT NULL,"
	"  aws_managed INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE org_policy_targets ("
	"  policy_id TEXT NOT NULL REFERENCES org_policies(policy_id) ON DELETE CASCADE,"
	"  target_id TEXT NOT NULL,"
	"  PRIMARY KEY (policy_id, target_id)"
	") STRICT;"
	"CREATE INDEX org_policy_targets_by_target ON org_policy_targets(target_id);"
	"CREATE TABLE org_policy_types ("
	"  root_id TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  PRIMARY KEY (root_id, type)"
	") STRICT;"
	/* the AES-256-GCM keys that seal session tokens, each sealed under the master key; the newest issues */
	"CREATE TABLE server_keys ("
	"  kid TEXT PRIMARY KEY,"
	"  key_sealed BLOB NOT NULL,"
	"  created_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX audit_by_principal ON audit(principal_arn, time_ms);",
	/* 3: who uses a policy as permissions boundary (ListEntitiesForPolicy, DeletePolicy's DeleteConflict,
	 * PermissionsBoundaryUsageCount) without scanning every user and role; only rows with a boundary are indexed */
	"CREATE INDEX users_by_boundary ON users(permissions_boundary) WHERE permissions_boundary IS NOT NULL;"
	"CREATE INDEX roles_by_boundary ON roles(permissions_boundary) WHERE permissions_boundary IS NOT NULL;",
	/* 4: what CloudTrail's record shows besides the request: the caller's User-Agent, the region of its SigV4
	 * scope and the answer without its secrets (audit.db gets the same columns in store_migrate_audit) */
	AUDIT_COLUMNS_4,
	/* 5: the web console (src/console/): its sessions (the cookie names one; token is the sealed session token it
	 * acts with, role_token the switched-to role's), the roles a principal switched to recently, failed sign-ins
	 * (the growing delay), the one-time sign-in tokens of /federation (stored hashed) and the root users' console
	 * passwords (salted hashes, src/iam/login.c) */
	"CREATE TABLE console_sessions ("
	"  id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL,"
	"  principal_arn TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('user', 'root', 'federated')),"
	"  token TEXT NOT NULL,"
	"  role_token TEXT,"
	"  role_arn TEXT,"
	"  role_display TEXT,"
	"  role_color TEXT,"
	"  csrf TEXT NOT NULL,"
	"  mfa_s INTEGER NOT NULL DEFAULT 0,"
	"  created_ms INTEGER NOT NULL,"
	"  expires_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX console_sessions_by_expiry ON console_sessions(expires_ms);"
	"CREATE TABLE console_recent_roles ("
	"  principal_arn TEXT NOT NULL,"
	"  account_id TEXT NOT NULL,"
	"  role_name TEXT NOT NULL,"
	"  display_name TEXT NOT NULL,"
	"  color TEXT NOT NULL,"
	"  used_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (principal_arn, account_id, role_name)"
	") STRICT;"
	"CREATE TABLE console_signin_failures ("
	"  account_id TEXT NOT NULL,"
	"  user_name TEXT NOT NULL,"
	"  failures INTEGER NOT NULL,"
	"  last_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (account_id, user_name)"
	") STRICT;"
	"CREATE TABLE federation_signin_tokens ("
	"  id_hash TEXT PRIMARY KEY,"
	"  token TEXT NOT NULL,"
	"  session_duration_s INTEGER NOT NULL,"
	"  expires_ms INTEGER NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0"
	") STRICT;"
	"CREATE INDEX federation_signin_tokens_by_expiry ON federation_signin_tokens(expires_ms);"
	"CREATE TABLE root_logins ("
	"  account_id TEXT PRIMARY KEY,"
	"  password_hash TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL"
	") STRICT;",
	/* 6: the reasoning of a denial on its audit record (audit.db gets it in store_migrate_audit) */
	AUDIT_COLUMN_EXPLANATION,
	/* 7: enforcement modes (src/server/enforce.c): the audit's enforcement column ('soft-denied') and the
	 * per-account setting of `rolegate accounts set-enforcement` (no row: inherit the tag, then --enforce) */
	AUDIT_COLUMN_ENFORCEMENT
	"CREATE TABLE account_enforcement ("
	"  account_id TEXT PRIMARY KEY CHECK (length(account_id) = 12),"
	"  mode TEXT NOT NULL CHECK (mode IN ('strict', 'soft')),"
	"  updated_ms INTEGER NOT NULL"
	") STRICT;",
	/* 8: IAM's OpenID Connect identity providers (issue 17, src/store/oidc.c): url is the issuer without its
	 * scheme, as the provider's ARN names it; the client ids and thumbprints are JSON arrays, in the order given */
	"CREATE TABLE oidc_providers ("
	"  provider_id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES accounts(account_id),"
	"  url TEXT NOT NULL,"
	"  client_ids TEXT NOT NULL,"
	"  thumbprints TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL,"
	"  UNIQUE (account_id, url)"
	") STRICT;",
	/* 9: SAML providers (issue 17, src/iam/saml_providers.c): the metadata document as given, what
	 * AssumeRoleWithSAML reads of it (src/federation/saml.h) being parsed again from it; valid_until_ms the
	 * metadata's validUntil (NULL: none); encryption_mode AssertionEncryptionMode ('Allowed' or 'Required').
	 * saml_private_keys: a provider's keys for encrypted assertions (at most 2), PKCS#8 DER sealed under the master
	 * key bound to "saml-key:" key_id (src/iam/saml_keys.c; re-sealed by src/server/masterkey.c) */
	"CREATE TABLE saml_providers ("
	"  provider_id TEXT PRIMARY KEY,"
	"  account_id TEXT NOT NULL REFERENCES accounts(account_id),"
	"  name TEXT NOT NULL,"
	"  name_lc TEXT NOT NULL,"
	"  metadata TEXT NOT NULL,"
	"  valid_until_ms INTEGER,"
	"  encryption_mode TEXT NOT NULL CHECK (encryption_mode IN ('Allowed', 'Required')),"
	"  created_ms INTEGER NOT NULL,"
	"  UNIQUE (account_id, name_lc)"
	") STRICT;"
	"CREATE TABLE saml_private_keys ("
	"  key_id TEXT PRIMARY KEY,"
	"  provider_id TEXT NOT NULL REFERENCES saml_providers(provider_id),"
	"  key_sealed BLOB NOT NULL,"
	"  created_ms INTEGER NOT NULL"
	") STRICT;"
	"CREATE INDEX saml_private_keys_by_provider ON saml_private_keys(provider_id);",
};

/* The PostgreSQL form of a migration where the translation of its SQLite DDL would not do (none so far): NULL
 * entries are translated. Indexed like migrations[]. */
static const char *const pg_override[ARRAY_LEN(migrations)] = {NULL};

/* Runs a DDL script written for SQLite, translated when db is PostgreSQL. */
static int run_ddl(struct db *db, struct db_tx *tx, const char *sqlite_ddl, const char *pg_ddl)
{
	char *pg;
	int rc;

	if (!db_is_postgres(db))
		return db_exec_script(tx, sqlite_ddl);
	if (pg_ddl)
		return db_exec_script(tx, pg_ddl);
	pg = pgsql_translate_ddl(sqlite_ddl);
	if (!pg)
		return C_ERR;
	rc = db_exec_script(tx, pg);
	free(pg);
	return rc;
}

/* The highest migration applied (0: none), in tx; C_ERR when the database is newer than this binary. */
static int schema_version(struct db_tx *tx, int64_t *current)
{
	struct db_rows *r = db_query_fresh(tx, "SELECT coalesce(max(version), 0) FROM schema_migrations", DB_NOARGS);

	if (db_one_int(r, current) != C_OK)
		return C_ERR;
	if (*current > (int64_t)ARRAY_LEN(migrations)) {
		log_warnx("store: the database has schema version %lld, newer than this rolegate (%zu)",
		          (long long)*current, ARRAY_LEN(migrations));
		return C_ERR;
	}
	return C_OK;
}

int store_migrate(struct db *db)
{
	struct db_tx *tx;
	int64_t current = 0;
	size_t latest = ARRAY_LEN(migrations);

	if (db_begin(db, true, &tx) != C_OK)
		return C_ERR;
	if (run_ddl(db, tx,
	            "CREATE TABLE IF NOT EXISTS schema_migrations ("
	            "  version INTEGER PRIMARY KEY,"
	            "  applied_ms INTEGER NOT NULL"
	            ") STRICT",
	            NULL) != C_OK ||
	    schema_version(tx, &current) != C_OK)
		goto fail;
	if (db_commit(tx) != C_OK)
		return C_ERR;
	for (size_t v = (size_t)current + 1; v <= latest; v++) {
		if (db_begin(db, true, &tx) != C_OK)
			return C_ERR;
		/* again, under the write lock: another node may have applied it since */
		if (schema_version(tx, &current) != C_OK)
			goto fail;
		if (current >= (int64_t)v) {
			db_rollback(tx);
			continue;
		}
		if (run_ddl(db, tx, migrations[v - 1], pg_override[v - 1]) != C_OK ||
		    db_exec(tx, "INSERT INTO schema_migrations(version, applied_ms) VALUES (?1, ?2)",
		            DB_ARGS(db_int((int64_t)v), db_int(now_ms())), NULL) != C_OK)
			goto fail;
		if (db_commit(tx) != C_OK)
			return C_ERR;
		log_info("store: applied schema migration %zu", v);
	}
	return store_upgrade_trust_ids(db);
fail:
	db_rollback(tx);
	return C_ERR;
}

int store_audit_has_column(struct db_tx *tx, const char *column)
{
	struct db_rows *r = db_tx_is_postgres(tx)
	                            ? db_query(tx, "SELECT count(*) FROM information_schema.columns WHERE "
	                                           "table_schema = current_schema() AND table_name = 'audit' AND "
	                                           "column_name = ?1",
	                                       DB_ARGS(db_text(column)))
	                            : db_query(tx, "SELECT count(*) FROM pragma_table_info('audit') WHERE name = ?1",
	                                       DB_ARGS(db_text(column)));
	int rc = -1;

	if (db_step(r) == DB_ROW)
		rc = db_col_int(r, 0) > 0;
	db_rows_done(r);
	return rc;
}

int store_migrate_audit(struct db *db)
{
	struct db_tx *tx;

	if (db_begin(db, true, &tx) != C_OK)
		return C_ERR;
	if (db_exec_script(tx, "CREATE TABLE IF NOT EXISTS audit (" AUDIT_COLUMNS ") STRICT;"
	                       "CREATE INDEX IF NOT EXISTS audit_by_time ON audit(time_ms);"
	                       "CREATE INDEX IF NOT EXISTS audit_by_principal ON audit(principal_arn, time_ms);") != C_OK)
		goto fail;
	/* audit.db has no migration table: the columns of migration 4 are added when absent (a new file or one an
	 * older rolegate made), in the same transaction. */
	switch (store_audit_has_column(tx, audit_columns_4[0])) {
	case 0:
		if (db_exec_script(tx, AUDIT_COLUMNS_4) != C_OK)
			goto fail;
		log_info("store: audit.db upgraded (user_agent, region, response)");
		break;
	case 1:
		break;
	default:
		goto fail;
	}
	/* and migration 6's */
	switch (store_audit_has_column(tx, "explanation")) {
	case 0:
		if (db_exec_script(tx, AUDIT_COLUMN_EXPLANATION) != C_OK)
			goto fail;
		log_info("store: audit.db upgraded (explanation)");
		break;
	case 1:
		break;
	default:
		goto fail;
	}
	/* and migration 7's */
	switch (store_audit_has_column(tx, "enforcement")) {
	case 0:
		if (db_exec_script(tx, AUDIT_COLUMN_ENFORCEMENT) != C_OK)
			goto fail;
		log_info("store: audit.db upgraded (enforcement)");
		break;
	case 1:
		break;
	default:
		goto fail;
	}
	return db_commit(tx);
fail:
	db_rollback(tx);
	return C_ERR;
}
