/*
 * saml_keys.h - a SAML provider's private keys (AddPrivateKey): read from PEM, sealed at rest under the master key
 * (src/server/secrets.h) bound to "saml-key:" KEY_ID, opened only to decrypt an assertion (src/iam/saml_keys.c).
 */
#ifndef ROLEGATE_IAM_SAML_KEYS_H
#define ROLEGATE_IAM_SAML_KEYS_H

#include <stddef.h>

#include "federation/saml.h"
#include "store/saml.h"

#define SAML_KEY_BITS_MIN 2048
#define SAML_KEY_BITS_MAX 4096

/* Reads pem (an unencrypted PEM RSA private key, PKCS#8 or PKCS#1, of SAML_KEY_BITS_MIN to SAML_KEY_BITS_MAX
 * bits) and seals its PKCS#8 DER into k under a new KeyId, created now_ms. C_OK; C_ERR with why (one line, no key
 * material) when it is not such a key, with why untouched when sealing fails (a fault). Nothing of the key is left
 * in memory but k's sealed blob. */
int saml_key_seal(const char *pem, int64_t now_ms, struct store_saml_key *k, char *why, size_t why_cap);
/* Opens the sealed keys of a provider into out (their DER, owned by out: saml_keys_clear wipes and frees it) and
 * sets out->required from mode ("Required"). C_ERR (logged, without key material) when one does not open. */
int saml_keys_open(const struct store_saml_key *keys, size_t n, const char *mode, struct saml_keys *out);
/* Loads and opens the keys of provider_id in tx (saml_keys_open). */
int saml_keys_load(struct db_tx *tx, const char *provider_id, const char *mode, struct saml_keys *out);

#endif
