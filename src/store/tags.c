/*
 * tags.c - tags of any resource, keyed by the resource's unique id. Keys are unique without regard to case (AWS:
 * "Tag keys are case insensitive") but keep the case they were given.
 */
#include "store/store.h"

#include "util/common.h"

int store_tag_put(struct db_tx *tx, const char *resource_id, const char *key, const char *value)
{
	/* lower() in SQL folds ASCII only, like IAM's own comparison of tag keys. */
	return db_exec(tx,
	               "INSERT INTO tags(resource_id, key_lc, key, value, seq) VALUES (?1, lower(?2), ?2, ?3, "
	               "(SELECT coalesce(max(seq), 0) + 1 FROM tags WHERE resource_id = ?1)) "
	               "ON CONFLICT(resource_id, key_lc) DO UPDATE SET key = ?2, value = ?3",
	               DB_ARGS(db_text(resource_id), db_text(key), db_text(value)), NULL);
}

int store_tag_delete(struct db_tx *tx, const char *resource_id, const char *key)
{
	return db_exec(tx, "DELETE FROM tags WHERE resource_id = ?1 AND key_lc = lower(?2)",
	               DB_ARGS(db_text(resource_id), db_text(key)), NULL);
}

int store_tag_delete_all(struct db_tx *tx, const char *resource_id)
{
	return db_exec(tx, "DELETE FROM tags WHERE resource_id = ?1", DB_ARGS(db_text(resource_id)), NULL);
}

int store_tag_count(struct db_tx *tx, const char *resource_id, int64_t *count)
{
	struct db_rows *r = db_query(tx, "SELECT count(*) FROM tags WHERE resource_id = ?1", DB_ARGS(db_text(resource_id)));

	return db_one_int(r, count);
}

int store_tag_list(struct db_tx *tx, const char *resource_id, int skip, int limit, store_tag_fn fn, void *ctx)
{
	struct db_rows *r = db_query(tx, "SELECT key, value FROM tags WHERE resource_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3",
	                             DB_ARGS(db_text(resource_id), db_int(limit), db_int(skip)));
	struct store_tag t;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (db_col_copy(r, 0, t.key, sizeof(t.key)) || db_col_copy(r, 1, t.value, sizeof(t.value)) ||
		    fn(ctx, &t) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}
