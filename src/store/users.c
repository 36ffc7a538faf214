/*
 * users.c - IAM users.
 */
#include "store/store.h"

#include <ctype.h>
#include <string.h>

#include "util/common.h"

#define USER_COLUMNS "user_id, account_id, name, path, permissions_boundary, created_ms"

/* Lowercases ASCII letters of s into out (IAM names are ASCII: [\w+=,.@-]). */
static void lower(const char *s, char *out, size_t cap)
{
	size_t i = 0;

	for (; s[i] && i + 1 < cap; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

static int read_user(struct db_rows *r, struct store_user *u)
{
	if (db_col_copy(r, 0, u->user_id, sizeof(u->user_id)) ||
	    db_col_copy(r, 1, u->account_id, sizeof(u->account_id)) || db_col_copy(r, 2, u->name, sizeof(u->name)) ||
	    db_col_copy(r, 3, u->path, sizeof(u->path)) ||
	    db_col_copy(r, 4, u->permissions_boundary, sizeof(u->permissions_boundary)))
		return C_ERR;
	u->created_ms = db_col_int(r, 5);
	return C_OK;
}

/* Runs a query expected to return at most one user. */
static int one_user(struct db_rows *r, struct store_user *out)
{
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = read_user(r, out);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

int store_user_create(struct db_tx *tx, const struct store_user *u)
{
	char lc[IAM_NAME_MAX + 1];

	lower(u->name, lc, sizeof(lc));
	return db_exec(tx,
	               "INSERT INTO users(user_id, account_id, name, name_lc, path, permissions_boundary, created_ms) "
	               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	               DB_ARGS(db_text(u->user_id), db_text(u->account_id), db_text(u->name), db_text(lc),
	                       db_text(u->path), db_text(u->permissions_boundary[0] ? u->permissions_boundary : NULL),
	                       db_int(u->created_ms)),
	               NULL);
}

int store_user_get(struct db_tx *tx, const char *account_id, const char *name, struct store_user *out)
{
	char lc[IAM_NAME_MAX * 2 + 1];

	lower(name, lc, sizeof(lc));
	return one_user(db_query(tx, "SELECT " USER_COLUMNS " FROM users WHERE account_id = ?1 AND name_lc = ?2",
	                         DB_ARGS(db_text(account_id), db_text(lc))),
	                out);
}

int store_user_get_by_id(struct db_tx *tx, const char *user_id, struct store_user *out)
{
	return one_user(db_query(tx, "SELECT " USER_COLUMNS " FROM users WHERE user_id = ?1", DB_ARGS(db_text(user_id))),
	                out);
}

int store_user_update(struct db_tx *tx, const char *user_id, const char *new_name, const char *new_path)
{
	char lc[IAM_NAME_MAX + 1];
	int64_t changes = 0;
	int rc;

	if (new_name)
		lower(new_name, lc, sizeof(lc));
	rc = db_exec(tx,
	             "UPDATE users SET name = coalesce(?2, name), name_lc = coalesce(?3, name_lc), "
	             "path = coalesce(?4, path) WHERE user_id = ?1",
	             DB_ARGS(db_text(user_id), db_text(new_name), db_text(new_name ? lc : NULL), db_text(new_path)),
	             &changes);
	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_user_delete(struct db_tx *tx, const char *user_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM users WHERE user_id = ?1", DB_ARGS(db_text(user_id)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_user_list(struct db_tx *tx, const char *account_id, const char *path_prefix, const char *after_lc,
                    int limit, store_user_fn fn, void *ctx)
{
	/* A path prefix match without LIKE (whose wildcards a path may contain): substr(path, 1, n) = prefix. */
	struct db_rows *r = db_query(tx,
	                             "SELECT " USER_COLUMNS " FROM users WHERE account_id = ?1 "
	                             "AND (?2 IS NULL OR substr(path, 1, length(?2)) = ?2) "
	                             "AND (?3 IS NULL OR name_lc > ?3) ORDER BY name_lc LIMIT ?4",
	                             DB_ARGS(db_text(account_id), db_text(path_prefix), db_text(after_lc),
	                                     db_int(limit)));
	struct store_user u;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_user(r, &u) != C_OK || fn(ctx, &u) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}
