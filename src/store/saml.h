/*
 * saml.h - storage of IAM SAML providers (tables saml_providers and saml_private_keys, schema migration 9;
 * src/store/saml.c).
 *
 * Same conventions as store.h: an open transaction; C_OK, STORE_NOT_FOUND, STORE_EXISTS or C_ERR. A provider's tags
 * are in the tags table under its provider_id. Its private keys (for encrypted assertions) are kept sealed: this
 * file stores and returns the sealed blobs only (sealing is src/iam/saml_keys.c's).
 */
#ifndef ROLEGATE_STORE_SAML_H
#define ROLEGATE_STORE_SAML_H

#include "store/store.h"

#define SAML_PROVIDER_ID_LEN 26  /* the SAMLProviderUUID: 26 of [A-Z0-9] (AWS: 22 to 64) */
#define SAML_PROVIDER_NAME_MAX 128
#define SAML_PRIVATE_KEYS_MAX 2  /* AWS: privateKeyList holds at most 2 */
#define SAML_KEY_ID_LEN 26       /* a private key's KeyId: 26 of [A-Z2-7] (privateKeyIdType: [A-Z0-9]{22,64}) */
#define SAML_KEY_DER_MAX 4096    /* the PKCS#8 DER of an RSA key of up to 4096 bits (about 2.4 KB) fits */
#define SAML_KEY_SEALED_MAX (SAML_KEY_DER_MAX + 64)

struct store_saml_provider {
	char provider_id[SAML_PROVIDER_ID_LEN + 1];
	char account_id[ACCOUNT_ID_LEN + 1];
	char name[SAML_PROVIDER_NAME_MAX + 1];
	char *metadata;         /* the metadata document; owned (store_saml_clear frees it), NULL in lists */
	int64_t valid_until_ms; /* the metadata's validUntil, 0 when it has none */
	char encryption_mode[10]; /* "Allowed" or "Required" */
	int64_t created_ms;
};

/* One private key of a provider, as stored: sealed. */
struct store_saml_key {
	char key_id[SAML_KEY_ID_LEN + 1];
	uint8_t sealed[SAML_KEY_SEALED_MAX];
	size_t sealed_len;
	int64_t created_ms;
};

/* Frees what p owns. */
void store_saml_clear(struct store_saml_provider *p);
/* Inserts p (its metadata included). STORE_EXISTS when the account has a provider of that name (any case). */
int store_saml_create(struct db_tx *tx, const struct store_saml_provider *p);
/* Loads the provider `name` of account_id (name compared without regard to case), with its metadata. */
int store_saml_get(struct db_tx *tx, const char *account_id, const char *name, struct store_saml_provider *out);
/* Replaces the metadata, validUntil and encryption mode of provider_id. */
int store_saml_update(struct db_tx *tx, const struct store_saml_provider *p);
/* Deletes provider_id and its tags. STORE_NOT_FOUND when it is not there. */
int store_saml_delete(struct db_tx *tx, const char *provider_id);
typedef int (*store_saml_fn)(void *ctx, const struct store_saml_provider *p);
/* Calls fn for every provider of account_id, in name order (metadata NULL). The count, or C_ERR. */
int store_saml_list(struct db_tx *tx, const char *account_id, store_saml_fn fn, void *ctx);
/* Calls fn for the first `limit` providers of every account (by account, then name), metadata included (freed after
 * fn returns). The count, or C_ERR. */
int store_saml_list_all(struct db_tx *tx, int limit, store_saml_fn fn, void *ctx);
/* How many providers account_id has. */
int store_saml_count(struct db_tx *tx, const char *account_id, int64_t *count);

/* Adds the sealed private key k to provider_id. */
int store_saml_key_add(struct db_tx *tx, const char *provider_id, const struct store_saml_key *k);
/* Removes the key key_id of provider_id. STORE_NOT_FOUND when the provider has no such key. */
int store_saml_key_delete(struct db_tx *tx, const char *provider_id, const char *key_id);
/* Loads the private keys of provider_id, oldest first, into out (at most SAML_PRIVATE_KEYS_MAX; *n of them). The
 * caller wipes out (explicit_bzero) when done: the blobs are sealed, but nothing of a key outlives its use. */
int store_saml_keys(struct db_tx *tx, const char *provider_id, struct store_saml_key out[SAML_PRIVATE_KEYS_MAX],
                    size_t *n);

#endif
