/*
 * oidc.c - IAM's OpenID Connect identity providers (oidc.h).
 */
#include "store/oidc.h"

#include <stdlib.h>
#include <string.h>

#include "util/common.h"

#define OIDC_COLUMNS "provider_id, account_id, url, client_ids, thumbprints, created_ms"

void store_oidc_clear(struct store_oidc_provider *p)
{
	json_decref(p->client_ids);
	json_decref(p->thumbprints);
	p->client_ids = p->thumbprints = NULL;
}

/* A JSON array of strings from a column; NULL when the column is not one. */
static json_t *string_array(const char *text)
{
	json_t *a = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL, *v;
	size_t i;

	if (!json_is_array(a)) {
		json_decref(a);
		return NULL;
	}
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int read_provider(struct db_rows *r, struct store_oidc_provider *p)
{
	memset(p, 0, sizeof(*p));
	if (db_col_copy(r, 0, p->provider_id, sizeof(p->provider_id)) ||
	    db_col_copy(r, 1, p->account_id, sizeof(p->account_id)) || db_col_copy(r, 2, p->url, sizeof(p->url)))
		return C_ERR;
	p->client_ids = string_array(db_col_text(r, 3));
	p->thumbprints = string_array(db_col_text(r, 4));
	p->created_ms = db_col_int(r, 5);
	if (!p->client_ids || !p->thumbprints) {
		store_oidc_clear(p);
		return C_ERR;
	}
	return C_OK;
}

/* The compact text of a list for its column (the caller frees it); NULL when out of memory. */
static char *list_text(json_t *list)
{
	return list ? json_dumps(list, JSON_COMPACT) : strdup("[]");
}

int store_oidc_create(struct db_tx *tx, const struct store_oidc_provider *p)
{
	char *ids = list_text(p->client_ids), *thumbs = list_text(p->thumbprints);
	int rc = C_ERR;

	if (ids && thumbs)
		rc = db_exec(tx,
		             "INSERT INTO oidc_providers(" OIDC_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		             DB_ARGS(db_text(p->provider_id), db_text(p->account_id), db_text(p->url), db_text(ids),
		                     db_text(thumbs), db_int(p->created_ms)),
		             NULL);
	free(ids);
	free(thumbs);
	return rc;
}

int store_oidc_get(struct db_tx *tx, const char *account_id, const char *url, struct store_oidc_provider *out)
{
	struct db_rows *r = db_query(tx, "SELECT " OIDC_COLUMNS " FROM oidc_providers WHERE account_id = ?1 AND url = ?2",
	                             DB_ARGS(db_text(account_id), db_text(url)));
	int rc = db_step(r);

	memset(out, 0, sizeof(*out));
	if (rc == DB_ROW)
		rc = read_provider(r, out);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

int store_oidc_set_lists(struct db_tx *tx, const char *provider_id, json_t *client_ids, json_t *thumbprints)
{
	char *ids = list_text(client_ids), *thumbs = list_text(thumbprints);
	int64_t changes = 0;
	int rc = C_ERR;

	if (ids && thumbs)
		rc = db_exec(tx, "UPDATE oidc_providers SET client_ids = ?2, thumbprints = ?3 WHERE provider_id = ?1",
		             DB_ARGS(db_text(provider_id), db_text(ids), db_text(thumbs)), &changes);
	free(ids);
	free(thumbs);
	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_oidc_delete(struct db_tx *tx, const char *provider_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM oidc_providers WHERE provider_id = ?1", DB_ARGS(db_text(provider_id)),
	                 &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_oidc_count(struct db_tx *tx, const char *account_id, int64_t *count)
{
	return db_one_int(db_query(tx, "SELECT count(*) FROM oidc_providers WHERE account_id = ?1",
	                           DB_ARGS(db_text(account_id))),
	                  count);
}

int store_oidc_list(struct db_tx *tx, const char *account_id, store_oidc_fn fn, void *ctx)
{
	struct db_rows *r = db_query(tx, "SELECT " OIDC_COLUMNS " FROM oidc_providers WHERE account_id = ?1 ORDER BY url",
	                             DB_ARGS(db_text(account_id)));
	struct store_oidc_provider p;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_provider(r, &p) != C_OK) {
			rc = C_ERR;
			break;
		}
		rc = fn(ctx, &p);
		store_oidc_clear(&p);
		if (rc != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}
