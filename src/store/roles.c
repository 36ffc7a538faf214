/*
 * roles.c - IAM roles (with their trust policies) and instance profiles (which hold at most one role).
 */
#include "store/iam_store.h"

#include <stdlib.h>
#include <string.h>

#include "util/common.h"

#define ROLE_COLUMNS                                                                                                \
	"r.role_id, r.account_id, r.name, r.path, r.trust_policy, coalesce(r.description, ''), r.max_session_s, "  \
	"coalesce(r.permissions_boundary, ''), r.created_ms, coalesce(r.last_used_ms, 0), "                         \
	"coalesce(r.last_used_region, '')"

void store_role_clear(struct store_role *r)
{
	free(r->trust_policy);
	r->trust_policy = NULL;
}

/* Reads a row; trust_policy is a copy when copy, else points into the row (valid until the next step). */
static int read_role(struct db_rows *r, struct store_role *out, bool copy)
{
	const char *trust = db_col_text(r, 4);

	out->trust_policy = NULL;
	if (db_col_copy(r, 0, out->role_id, sizeof(out->role_id)) ||
	    db_col_copy(r, 1, out->account_id, sizeof(out->account_id)) ||
	    db_col_copy(r, 2, out->name, sizeof(out->name)) || db_col_copy(r, 3, out->path, sizeof(out->path)) ||
	    db_col_copy(r, 5, out->description, sizeof(out->description)) ||
	    db_col_copy(r, 7, out->permissions_boundary, sizeof(out->permissions_boundary)) ||
	    db_col_copy(r, 10, out->last_used_region, sizeof(out->last_used_region)))
		return C_ERR;
	out->max_session_s = db_col_int(r, 6);
	out->created_ms = db_col_int(r, 8);
	out->last_used_ms = db_col_int(r, 9);
	if (!copy) {
		out->trust_policy = (char *)(trust ? trust : "");
		return C_OK;
	}
	out->trust_policy = strdup(trust ? trust : "");
	return out->trust_policy ? C_OK : C_ERR;
}

static int one_role(struct db_rows *r, struct store_role *out)
{
	int rc = db_step(r);

	out->trust_policy = NULL;
	if (rc == DB_ROW)
		rc = read_role(r, out, true);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

static int walk_roles(struct db_rows *r, store_role_fn fn, void *ctx)
{
	struct store_role role;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_role(r, &role, false) != C_OK || fn(ctx, &role) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_role_create(struct db_tx *tx, const struct store_role *r)
{
	return db_exec(tx,
	               "INSERT INTO roles(role_id, account_id, name, name_lc, path, trust_policy, description, "
	               "max_session_s, permissions_boundary, created_ms) "
	               "VALUES (?1, ?2, ?3, lower(?3), ?4, ?5, ?6, ?7, ?8, ?9)",
	               DB_ARGS(db_text(r->role_id), db_text(r->account_id), db_text(r->name), db_text(r->path),
	                       db_text(r->trust_policy), db_text(r->description[0] ? r->description : NULL),
	                       db_int(r->max_session_s ? r->max_session_s : 3600),
	                       db_text(r->permissions_boundary[0] ? r->permissions_boundary : NULL),
	                       db_int(r->created_ms)),
	               NULL);
}

int store_role_get(struct db_tx *tx, const char *account_id, const char *name, struct store_role *out)
{
	return one_role(db_query(tx, "SELECT " ROLE_COLUMNS " FROM roles r WHERE r.account_id = ?1 AND r.name_lc = lower(?2)",
	                         DB_ARGS(db_text(account_id), db_text(name))),
	                out);
}

int store_role_get_by_id(struct db_tx *tx, const char *role_id, struct store_role *out)
{
	return one_role(db_query(tx, "SELECT " ROLE_COLUMNS " FROM roles r WHERE r.role_id = ?1", DB_ARGS(db_text(role_id))),
	                out);
}

int store_role_update(struct db_tx *tx, const struct store_role *r)
{
	int64_t changes = 0;
	int rc = db_exec(tx,
	                 "UPDATE roles SET trust_policy = ?2, description = ?3, max_session_s = ?4, "
	                 "permissions_boundary = ?5 WHERE role_id = ?1",
	                 DB_ARGS(db_text(r->role_id), db_text(r->trust_policy),
	                         db_text(r->description[0] ? r->description : NULL), db_int(r->max_session_s),
	                         db_text(r->permissions_boundary[0] ? r->permissions_boundary : NULL)),
	                 &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_role_delete(struct db_tx *tx, const char *role_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM roles WHERE role_id = ?1", DB_ARGS(db_text(role_id)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_role_list(struct db_tx *tx, const char *account_id, const char *path_prefix, const char *after_lc,
                    int limit, store_role_fn fn, void *ctx)
{
	return walk_roles(db_query(tx,
	                           "SELECT " ROLE_COLUMNS " FROM roles r WHERE r.account_id = ?1 "
	                           "AND (?2 IS NULL OR substr(r.path, 1, length(?2)) = ?2) "
	                           "AND (?3 IS NULL OR r.name_lc > ?3) ORDER BY r.name_lc LIMIT ?4",
	                           DB_ARGS(db_text(account_id), db_text(path_prefix), db_text(after_lc), db_int(limit))),
	                  fn, ctx);
}

int store_role_touch(struct db_tx *tx, const char *role_id, int64_t when_ms, const char *region)
{
	return db_exec(tx, "UPDATE roles SET last_used_ms = ?2, last_used_region = ?3 WHERE role_id = ?1",
	               DB_ARGS(db_text(role_id), db_int(when_ms), db_text(region)), NULL);
}

/* ---- instance profiles --------------------------------------------------------------------------------------- */

#define PROFILE_COLUMNS "p.profile_id, p.account_id, p.name, p.path, p.created_ms"

static int read_profile(struct db_rows *r, struct store_instance_profile *p)
{
	if (db_col_copy(r, 0, p->profile_id, sizeof(p->profile_id)) ||
	    db_col_copy(r, 1, p->account_id, sizeof(p->account_id)) || db_col_copy(r, 2, p->name, sizeof(p->name)) ||
	    db_col_copy(r, 3, p->path, sizeof(p->path)))
		return C_ERR;
	p->created_ms = db_col_int(r, 4);
	return C_OK;
}

static int walk_profiles(struct db_rows *r, store_profile_fn fn, void *ctx)
{
	struct store_instance_profile p;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_profile(r, &p) != C_OK || fn(ctx, &p) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_profile_create(struct db_tx *tx, const struct store_instance_profile *p)
{
	return db_exec(tx,
	               "INSERT INTO instance_profiles(profile_id, account_id, name, name_lc, path, created_ms) "
	               "VALUES (?1, ?2, ?3, lower(?3), ?4, ?5)",
	               DB_ARGS(db_text(p->profile_id), db_text(p->account_id), db_text(p->name), db_text(p->path),
	                       db_int(p->created_ms)),
	               NULL);
}

int store_profile_get(struct db_tx *tx, const char *account_id, const char *name, struct store_instance_profile *out)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT " PROFILE_COLUMNS " FROM instance_profiles p "
	                             "WHERE p.account_id = ?1 AND p.name_lc = lower(?2)",
	                             DB_ARGS(db_text(account_id), db_text(name)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = read_profile(r, out);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

int store_profile_delete(struct db_tx *tx, const char *profile_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM instance_profiles WHERE profile_id = ?1", DB_ARGS(db_text(profile_id)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_profile_list(struct db_tx *tx, const char *account_id, const char *path_prefix, const char *after_lc,
                       int limit, store_profile_fn fn, void *ctx)
{
	return walk_profiles(db_query(tx,
	                              "SELECT " PROFILE_COLUMNS " FROM instance_profiles p WHERE p.account_id = ?1 "
	                              "AND (?2 IS NULL OR substr(p.path, 1, length(?2)) = ?2) "
	                              "AND (?3 IS NULL OR p.name_lc > ?3) ORDER BY p.name_lc LIMIT ?4",
	                              DB_ARGS(db_text(account_id), db_text(path_prefix), db_text(after_lc),
	                                      db_int(limit))),
	                     fn, ctx);
}

int store_profile_add_role(struct db_tx *tx, const char *profile_id, const char *role_id)
{
	return db_exec(tx, "INSERT INTO instance_profile_roles(profile_id, role_id) VALUES (?1, ?2)",
	               DB_ARGS(db_text(profile_id), db_text(role_id)), NULL);
}

int store_profile_remove_role(struct db_tx *tx, const char *profile_id, const char *role_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM instance_profile_roles WHERE profile_id = ?1 AND role_id = ?2",
	                 DB_ARGS(db_text(profile_id), db_text(role_id)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_profile_roles(struct db_tx *tx, const char *profile_id, store_role_fn fn, void *ctx)
{
	return walk_roles(db_query(tx,
	                           "SELECT " ROLE_COLUMNS " FROM instance_profile_roles x JOIN roles r "
	                           "ON r.role_id = x.role_id WHERE x.profile_id = ?1 ORDER BY r.name_lc",
	                           DB_ARGS(db_text(profile_id))),
	                  fn, ctx);
}

int store_role_profiles(struct db_tx *tx, const char *role_id, const char *after_lc, int limit, store_profile_fn fn,
                        void *ctx)
{
	return walk_profiles(db_query(tx,
	                              "SELECT " PROFILE_COLUMNS " FROM instance_profile_roles x JOIN instance_profiles p "
	                              "ON p.profile_id = x.profile_id WHERE x.role_id = ?1 "
	                              "AND (?2 IS NULL OR p.name_lc > ?2) ORDER BY p.name_lc LIMIT ?3",
	                              DB_ARGS(db_text(role_id), db_text(after_lc), db_int(limit))),
	                     fn, ctx);
}

int store_profile_role_count(struct db_tx *tx, const char *profile_id, int64_t *count)
{
	return db_one_int(db_query(tx, "SELECT count(*) FROM instance_profile_roles WHERE profile_id = ?1",
	                         DB_ARGS(db_text(profile_id))),
	                count);
}

int store_role_profile_count(struct db_tx *tx, const char *role_id, int64_t *count)
{
	return db_one_int(db_query(tx, "SELECT count(*) FROM instance_profile_roles WHERE role_id = ?1",
	                         DB_ARGS(db_text(role_id))),
	                count);
}
