/*
 * saml.c - the saml_providers and saml_private_keys tables (saml.h).
 */
#include "store/saml.h"

#include <stdlib.h>
#include <string.h>

#include "util/common.h"

#define SAML_COLUMNS "provider_id, account_id, name, valid_until_ms, encryption_mode, created_ms"

void store_saml_clear(struct store_saml_provider *p)
{
	free(p->metadata);
	p->metadata = NULL;
}

static int read_provider(struct db_rows *r, struct store_saml_provider *p, bool with_metadata)
{
	const char *md;

	memset(p, 0, sizeof(*p));
	if (db_col_copy(r, 0, p->provider_id, sizeof(p->provider_id)) ||
	    db_col_copy(r, 1, p->account_id, sizeof(p->account_id)) || db_col_copy(r, 2, p->name, sizeof(p->name)) ||
	    db_col_copy(r, 4, p->encryption_mode, sizeof(p->encryption_mode)))
		return C_ERR;
	p->valid_until_ms = db_col_is_null(r, 3) ? 0 : db_col_int(r, 3);
	p->created_ms = db_col_int(r, 5);
	if (with_metadata) {
		md = db_col_text(r, 6);
		if (!md || !(p->metadata = strdup(md)))
			return C_ERR;
	}
	return C_OK;
}

int store_saml_create(struct db_tx *tx, const struct store_saml_provider *p)
{
	return db_exec(tx,
	               "INSERT INTO saml_providers(provider_id, account_id, name, name_lc, metadata, valid_until_ms, "
	               "encryption_mode, created_ms) VALUES (?1, ?2, ?3, lower(?3), ?4, ?5, ?6, ?7)",
	               DB_ARGS(db_text(p->provider_id), db_text(p->account_id), db_text(p->name), db_text(p->metadata),
	                       p->valid_until_ms ? db_int(p->valid_until_ms) : db_null(), db_text(p->encryption_mode),
	                       db_int(p->created_ms)),
	               NULL);
}

int store_saml_get(struct db_tx *tx, const char *account_id, const char *name, struct store_saml_provider *out)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT " SAML_COLUMNS ", metadata FROM saml_providers "
	                             "WHERE account_id = ?1 AND name_lc = lower(?2)",
	                             DB_ARGS(db_text(account_id), db_text(name)));
	int rc;

	memset(out, 0, sizeof(*out));
	rc = db_step(r);
	if (rc == DB_ROW) {
		rc = read_provider(r, out, true);
		if (rc != C_OK)
			store_saml_clear(out);
	} else if (rc == DB_DONE) {
		rc = STORE_NOT_FOUND;
	}
	db_rows_done(r);
	return rc;
}

int store_saml_update(struct db_tx *tx, const struct store_saml_provider *p)
{
	int64_t changes = 0;
	int rc = db_exec(tx,
	                 "UPDATE saml_providers SET metadata = ?2, valid_until_ms = ?3, encryption_mode = ?4 "
	                 "WHERE provider_id = ?1",
	                 DB_ARGS(db_text(p->provider_id), db_text(p->metadata),
	                         p->valid_until_ms ? db_int(p->valid_until_ms) : db_null(), db_text(p->encryption_mode)),
	                 &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_saml_delete(struct db_tx *tx, const char *provider_id)
{
	int64_t changes = 0;
	int rc;

	if (store_tag_delete_all(tx, provider_id) != C_OK ||
	    db_exec(tx, "DELETE FROM saml_private_keys WHERE provider_id = ?1", DB_ARGS(db_text(provider_id)), NULL) !=
	        C_OK)
		return C_ERR;
	rc = db_exec(tx, "DELETE FROM saml_providers WHERE provider_id = ?1", DB_ARGS(db_text(provider_id)), &changes);
	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_saml_list(struct db_tx *tx, const char *account_id, store_saml_fn fn, void *ctx)
{
	struct db_rows *r = db_query(tx, "SELECT " SAML_COLUMNS " FROM saml_providers WHERE account_id = ?1 ORDER BY name_lc",
	                             DB_ARGS(db_text(account_id)));
	struct store_saml_provider p;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_provider(r, &p, false) != C_OK || fn(ctx, &p) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_saml_list_all(struct db_tx *tx, int limit, store_saml_fn fn, void *ctx)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT " SAML_COLUMNS ", metadata FROM saml_providers ORDER BY account_id, name_lc "
	                             "LIMIT ?1",
	                             DB_ARGS(db_int(limit)));
	struct store_saml_provider p;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_provider(r, &p, true) != C_OK || fn(ctx, &p) != C_OK) {
			store_saml_clear(&p);
			rc = C_ERR;
			break;
		}
		store_saml_clear(&p);
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_saml_count(struct db_tx *tx, const char *account_id, int64_t *count)
{
	return db_one_int(db_query_fresh(tx, "SELECT count(*) FROM saml_providers WHERE account_id = ?1",
	                                 DB_ARGS(db_text(account_id))),
	                  count);
}

int store_saml_key_add(struct db_tx *tx, const char *provider_id, const struct store_saml_key *k)
{
	return db_exec(tx,
	               "INSERT INTO saml_private_keys(key_id, provider_id, key_sealed, created_ms) VALUES (?1, ?2, ?3, ?4)",
	               DB_ARGS(db_text(k->key_id), db_text(provider_id), db_blob(k->sealed, k->sealed_len),
	                       db_int(k->created_ms)),
	               NULL);
}

int store_saml_key_delete(struct db_tx *tx, const char *provider_id, const char *key_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM saml_private_keys WHERE provider_id = ?1 AND key_id = ?2",
	                 DB_ARGS(db_text(provider_id), db_text(key_id)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_saml_keys(struct db_tx *tx, const char *provider_id, struct store_saml_key out[SAML_PRIVATE_KEYS_MAX],
                    size_t *n)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT key_id, key_sealed, created_ms FROM saml_private_keys WHERE provider_id = ?1 "
	                             "ORDER BY created_ms, key_id",
	                             DB_ARGS(db_text(provider_id)));
	int rc;

	*n = 0;
	while ((rc = db_step(r)) == DB_ROW) {
		struct store_saml_key *k = &out[*n];
		const void *blob;
		size_t len = 0;
		if (*n == SAML_PRIVATE_KEYS_MAX || db_col_copy(r, 0, k->key_id, sizeof(k->key_id)) != C_OK ||
		    !(blob = db_col_blob(r, 1, &len)) || len > sizeof(k->sealed)) {
			rc = C_ERR;
			break;
		}
		memcpy(k->sealed, blob, len);
		k->sealed_len = len;
		k->created_ms = db_col_int(r, 2);
		(*n)++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? C_OK : C_ERR;
}
