/*
 * groups.c - IAM groups and their members.
 */
#include "store/iam_store.h"

#include <string.h>

#include "util/common.h"

#define GROUP_COLUMNS "g.group_id, g.account_id, g.name, g.path, g.created_ms"

static int read_group(struct db_rows *r, struct store_group *g)
{
	if (db_col_copy(r, 0, g->group_id, sizeof(g->group_id)) ||
	    db_col_copy(r, 1, g->account_id, sizeof(g->account_id)) || db_col_copy(r, 2, g->name, sizeof(g->name)) ||
	    db_col_copy(r, 3, g->path, sizeof(g->path)))
		return C_ERR;
	g->created_ms = db_col_int(r, 4);
	return C_OK;
}

static int one_group(struct db_rows *r, struct store_group *out)
{
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = read_group(r, out);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

static int walk_groups(struct db_rows *r, store_group_fn fn, void *ctx)
{
	struct store_group g;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_group(r, &g) != C_OK || fn(ctx, &g) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_group_create(struct db_tx *tx, const struct store_group *g)
{
	return db_exec(tx,
	               "INSERT INTO groups(group_id, account_id, name, name_lc, path, created_ms) "
	               "VALUES (?1, ?2, ?3, lower(?3), ?4, ?5)",
	               DB_ARGS(db_text(g->group_id), db_text(g->account_id), db_text(g->name), db_text(g->path),
	                       db_int(g->created_ms)),
	               NULL);
}

int store_group_get(struct db_tx *tx, const char *account_id, const char *name, struct store_group *out)
{
	return one_group(db_query(tx, "SELECT " GROUP_COLUMNS " FROM groups g WHERE g.account_id = ?1 AND g.name_lc = lower(?2)",
	                          DB_ARGS(db_text(account_id), db_text(name))),
	                 out);
}

int store_group_get_by_id(struct db_tx *tx, const char *group_id, struct store_group *out)
{
	return one_group(db_query(tx, "SELECT " GROUP_COLUMNS " FROM groups g WHERE g.group_id = ?1", DB_ARGS(db_text(group_id))),
	                 out);
}

int store_group_update(struct db_tx *tx, const char *group_id, const char *new_name, const char *new_path)
{
	int64_t changes = 0;
	int rc = db_exec(tx,
	                 "UPDATE groups SET name = coalesce(?2, name), name_lc = coalesce(lower(?2), name_lc), "
	                 "path = coalesce(?3, path) WHERE group_id = ?1",
	                 DB_ARGS(db_text(group_id), db_text(new_name), db_text(new_path)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_group_delete(struct db_tx *tx, const char *group_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM groups WHERE group_id = ?1", DB_ARGS(db_text(group_id)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_group_list(struct db_tx *tx, const char *account_id, const char *path_prefix, const char *after_lc,
                     int limit, store_group_fn fn, void *ctx)
{
	return walk_groups(db_query(tx,
	                            "SELECT " GROUP_COLUMNS " FROM groups g WHERE g.account_id = ?1 "
	                            "AND (?2 IS NULL OR substr(g.path, 1, length(?2)) = ?2) "
	                            "AND (?3 IS NULL OR g.name_lc > ?3) ORDER BY g.name_lc LIMIT ?4",
	                            DB_ARGS(db_text(account_id), db_text(path_prefix), db_text(after_lc), db_int(limit))),
	                   fn, ctx);
}

int store_group_add_user(struct db_tx *tx, const char *group_id, const char *user_id, int64_t now_ms)
{
	/* Adding a member twice changes nothing, as on AWS. */
	return db_exec(tx, "INSERT INTO group_members(group_id, user_id, added_ms) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
	               DB_ARGS(db_text(group_id), db_text(user_id), db_int(now_ms)), NULL);
}

int store_group_remove_user(struct db_tx *tx, const char *group_id, const char *user_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2",
	                 DB_ARGS(db_text(group_id), db_text(user_id)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_group_list_users(struct db_tx *tx, const char *group_id, const char *after_lc, int limit, store_user_fn fn,
                           void *ctx)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT u.user_id, u.account_id, u.name, u.path, "
	                             "coalesce(u.permissions_boundary, ''), u.created_ms "
	                             "FROM group_members m JOIN users u ON u.user_id = m.user_id WHERE m.group_id = ?1 "
	                             "AND (?2 IS NULL OR u.name_lc > ?2) ORDER BY u.name_lc LIMIT ?3",
	                             DB_ARGS(db_text(group_id), db_text(after_lc), db_int(limit)));
	struct store_user u;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (db_col_copy(r, 0, u.user_id, sizeof(u.user_id)) ||
		    db_col_copy(r, 1, u.account_id, sizeof(u.account_id)) || db_col_copy(r, 2, u.name, sizeof(u.name)) ||
		    db_col_copy(r, 3, u.path, sizeof(u.path)) ||
		    db_col_copy(r, 4, u.permissions_boundary, sizeof(u.permissions_boundary))) {
			rc = C_ERR;
			break;
		}
		u.created_ms = db_col_int(r, 5);
		if (fn(ctx, &u) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_user_list_groups(struct db_tx *tx, const char *user_id, const char *after_lc, int limit, store_group_fn fn,
                           void *ctx)
{
	return walk_groups(db_query(tx,
	                            "SELECT " GROUP_COLUMNS " FROM group_members m JOIN groups g ON g.group_id = m.group_id "
	                            "WHERE m.user_id = ?1 AND (?2 IS NULL OR g.name_lc > ?2) ORDER BY g.name_lc LIMIT ?3",
	                            DB_ARGS(db_text(user_id), db_text(after_lc), db_int(limit))),
	                   fn, ctx);
}

int store_group_member_count(struct db_tx *tx, const char *group_id, int64_t *count)
{
	return db_one_int(db_query(tx, "SELECT count(*) FROM group_members WHERE group_id = ?1", DB_ARGS(db_text(group_id))),
	                count);
}

int store_user_group_count(struct db_tx *tx, const char *user_id, int64_t *count)
{
	return db_one_int(db_query(tx, "SELECT count(*) FROM group_members WHERE user_id = ?1", DB_ARGS(db_text(user_id))),
	                count);
}
