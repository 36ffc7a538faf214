/*
 * mfa.c - virtual MFA devices. The seed is stored sealed; this file never sees it in the clear.
 */
#include "store/mfa.h"

#include <string.h>

#include "util/common.h"

#define MFA_COLUMNS                                                                                                 \
	"serial, account_id, name, path, seed_sealed, coalesce(user_id, ''), is_root, coalesce(enabled_ms, 0), "     \
	"last_counter, failures, locked_until_ms, created_ms"

static int read_device(struct db_rows *r, struct store_mfa_device *d)
{
	const void *sealed;
	size_t len = 0;

	if (db_col_copy(r, 0, d->serial, sizeof(d->serial)) || db_col_copy(r, 1, d->account_id, sizeof(d->account_id)) ||
	    db_col_copy(r, 2, d->name, sizeof(d->name)) || db_col_copy(r, 3, d->path, sizeof(d->path)) ||
	    db_col_copy(r, 5, d->user_id, sizeof(d->user_id)))
		return C_ERR;
	sealed = db_col_blob(r, 4, &len);
	if (len > sizeof(d->seed_sealed))
		return C_ERR;
	if (len)
		memcpy(d->seed_sealed, sealed, len);
	d->seed_sealed_len = len;
	d->is_root = db_col_int(r, 6) != 0;
	d->enabled_ms = db_col_int(r, 7);
	d->last_counter = db_col_int(r, 8);
	d->failures = db_col_int(r, 9);
	d->locked_until_ms = db_col_int(r, 10);
	d->created_ms = db_col_int(r, 11);
	return C_OK;
}

/* Reads every row of r through fn; returns the number of rows or C_ERR. Finishes r. */
static int walk(struct db_rows *r, store_mfa_fn fn, void *ctx)
{
	struct store_mfa_device d;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_device(r, &d) != C_OK || fn(ctx, &d) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	explicit_bzero(&d, sizeof(d));
	return rc == DB_DONE ? n : C_ERR;
}

static int changed_one(int rc, int64_t changes)
{
	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_mfa_create(struct db_tx *tx, const struct store_mfa_device *d)
{
	int64_t taken = 0;

	/* Names (and so serials) are unique in an account without regard to case, like every IAM name. */
	if (db_one_int(db_query(tx, "SELECT count(*) FROM mfa_devices WHERE account_id = ?1 AND lower(serial) = lower(?2)",
	                     DB_ARGS(db_text(d->account_id), db_text(d->serial))),
	            &taken) != C_OK)
		return C_ERR;
	if (taken)
		return STORE_EXISTS;
	return db_exec(tx,
	               "INSERT INTO mfa_devices(serial, account_id, name, path, seed_sealed, created_ms) "
	               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	               DB_ARGS(db_text(d->serial), db_text(d->account_id), db_text(d->name), db_text(d->path),
	                       db_blob(d->seed_sealed, d->seed_sealed_len), db_int(d->created_ms)),
	               NULL);
}

int store_mfa_get(struct db_tx *tx, const char *serial, struct store_mfa_device *out)
{
	struct db_rows *r =
		db_query(tx, "SELECT " MFA_COLUMNS " FROM mfa_devices WHERE serial = ?1", DB_ARGS(db_text(serial)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = read_device(r, out);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

int store_mfa_delete(struct db_tx *tx, const char *serial)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM mfa_devices WHERE serial = ?1", DB_ARGS(db_text(serial)), &changes);

	return changed_one(rc, changes);
}

int store_mfa_list(struct db_tx *tx, const char *account_id, enum store_mfa_filter filter, const char *after_serial,
                   int limit, store_mfa_fn fn, void *ctx)
{
	/* ?2: 0 any, 1 assigned, 2 unassigned */
	return walk(db_query(tx,
	                     "SELECT " MFA_COLUMNS " FROM mfa_devices WHERE account_id = ?1 "
	                     "AND (?2 = 0 OR (?2 = 1) = (enabled_ms IS NOT NULL)) "
	                     "AND (?3 IS NULL OR serial > ?3) ORDER BY serial LIMIT ?4",
	                     DB_ARGS(db_text(account_id), db_int((int64_t)filter), db_text(after_serial), db_int(limit))),
	            fn, ctx);
}

int store_mfa_list_owner(struct db_tx *tx, const char *account_id, const char *user_id, const char *after_serial,
                         int limit, store_mfa_fn fn, void *ctx)
{
	return walk(db_query(tx,
	                     "SELECT " MFA_COLUMNS " FROM mfa_devices WHERE account_id = ?1 AND enabled_ms IS NOT NULL "
	                     "AND ((?2 IS NULL AND is_root = 1) OR user_id = ?2) "
	                     "AND (?3 IS NULL OR serial > ?3) ORDER BY serial LIMIT ?4",
	                     DB_ARGS(db_text(account_id), db_text(user_id), db_text(after_serial), db_int(limit))),
	            fn, ctx);
}

int store_mfa_count_owner(struct db_tx *tx, const char *account_id, const char *user_id, int64_t *count)
{
	return db_one_int(db_query(tx,
	                        "SELECT count(*) FROM mfa_devices WHERE account_id = ?1 AND enabled_ms IS NOT NULL "
	                        "AND ((?2 IS NULL AND is_root = 1) OR user_id = ?2)",
	                        DB_ARGS(db_text(account_id), db_text(user_id))),
	               count);
}

int store_mfa_count(struct db_tx *tx, const char *account_id, int64_t *total, int64_t *assigned)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT count(*), count(enabled_ms) FROM mfa_devices WHERE account_id = ?1",
	                             DB_ARGS(db_text(account_id)));
	int rc = db_step(r);

	if (rc == DB_ROW) {
		*total = db_col_int(r, 0);
		*assigned = db_col_int(r, 1);
		rc = C_OK;
	} else {
		rc = C_ERR;
	}
	db_rows_done(r);
	return rc;
}

int store_mfa_assign(struct db_tx *tx, const char *serial, const char *user_id, int64_t enabled_ms,
                     int64_t last_counter)
{
	int64_t changes = 0;
	int rc = db_exec(tx,
	                 "UPDATE mfa_devices SET user_id = ?2, is_root = ?3, enabled_ms = ?4, last_counter = ?5, "
	                 "failures = 0, locked_until_ms = 0 WHERE serial = ?1",
	                 DB_ARGS(db_text(serial), db_text(user_id), db_int(user_id ? 0 : 1), db_int(enabled_ms),
	                         db_int(last_counter)),
	                 &changes);

	return changed_one(rc, changes);
}

int store_mfa_unassign(struct db_tx *tx, const char *serial)
{
	int64_t changes = 0;
	int rc = db_exec(tx,
	                 "UPDATE mfa_devices SET user_id = NULL, is_root = 0, enabled_ms = NULL, last_counter = 0, "
	                 "failures = 0, locked_until_ms = 0 WHERE serial = ?1",
	                 DB_ARGS(db_text(serial)), &changes);

	return changed_one(rc, changes);
}

int store_mfa_accept(struct db_tx *tx, const char *serial, int64_t counter)
{
	int64_t changes = 0;
	int rc = db_exec(tx,
	                 "UPDATE mfa_devices SET last_counter = CASE WHEN last_counter > ?2 THEN last_counter ELSE ?2 END, "
	                 "failures = 0, locked_until_ms = 0 "
	                 "WHERE serial = ?1",
	                 DB_ARGS(db_text(serial), db_int(counter)), &changes);

	return changed_one(rc, changes);
}

int store_mfa_refuse(struct db_tx *tx, const char *serial, int64_t now_ms, int max_failures, int64_t lock_ms,
                     bool *locked)
{
	struct store_mfa_device d;
	int64_t failures;
	int64_t until;
	int rc = store_mfa_get(tx, serial, &d);

	if (rc != C_OK)
		return rc;
	explicit_bzero(d.seed_sealed, sizeof(d.seed_sealed));
	if (d.locked_until_ms > now_ms) {
		/* Already locked: the lockout is not extended by attempts made during it. */
		if (locked)
			*locked = true;
		return C_OK;
	}
	/* A lockout that has ended starts the count again. */
	failures = (d.locked_until_ms ? 0 : d.failures) + 1;
	until = failures >= max_failures ? now_ms + lock_ms : 0;
	rc = db_exec(tx, "UPDATE mfa_devices SET failures = ?2, locked_until_ms = ?3 WHERE serial = ?1",
	             DB_ARGS(db_text(serial), db_int(failures), db_int(until)), NULL);
	if (rc == C_OK && locked)
		*locked = until != 0;
	return rc;
}
