/*
 * oidc.h - IAM's OpenID Connect identity providers in the store (table oidc_providers, migration 8).
 *
 * A provider is named by its URL without the scheme ("token.actions.githubusercontent.com",
 * "example.com/tenant"), unique per account, as its ARN arn:aws:iam::ACCOUNT:oidc-provider/URL names it. Its client
 * ids and thumbprints are JSON arrays of strings kept in the order they were given. Its tags live in the tags table
 * under provider_id.
 */
#ifndef ROLEGATE_STORE_OIDC_H
#define ROLEGATE_STORE_OIDC_H

#include <jansson.h>

#include "store/store.h"

#define OIDC_URL_MAX 255

struct store_oidc_provider {
	char provider_id[IAM_ID_MAX]; /* "OIDP" + unique: the tags' resource id */
	char account_id[ACCOUNT_ID_LEN + 1];
	char url[OIDC_URL_MAX + 1];   /* host[:port][/path], no scheme, no trailing '/' */
	json_t *client_ids;           /* owned: array of strings (store_oidc_clear releases it) */
	json_t *thumbprints;          /* owned: array of 40 lower-case hex digits each */
	int64_t created_ms;
};

/* Releases what p owns. */
void store_oidc_clear(struct store_oidc_provider *p);
/* Inserts p. STORE_EXISTS when the account has a provider of that URL. */
int store_oidc_create(struct db_tx *tx, const struct store_oidc_provider *p);
/* The provider of account_id named url (exactly). STORE_NOT_FOUND when there is none; *out is then cleared. */
int store_oidc_get(struct db_tx *tx, const char *account_id, const char *url, struct store_oidc_provider *out);
/* Replaces the client id and thumbprint lists of a provider. */
int store_oidc_set_lists(struct db_tx *tx, const char *provider_id, json_t *client_ids, json_t *thumbprints);
/* Deletes a provider (its tags are the caller's to delete). STORE_NOT_FOUND when absent. */
int store_oidc_delete(struct db_tx *tx, const char *provider_id);
/* The number of providers of an account. */
int store_oidc_count(struct db_tx *tx, const char *account_id, int64_t *count);

typedef int (*store_oidc_fn)(void *ctx, const struct store_oidc_provider *p);
/* Calls fn for every provider of account_id, by URL. Returns how many, or C_ERR (fn's C_ERR stops the walk). */
int store_oidc_list(struct db_tx *tx, const char *account_id, store_oidc_fn fn, void *ctx);

#endif
