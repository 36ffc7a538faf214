/*
 * secrets.h - the master key and the sealing of secrets at rest.
 *
 * Access-key secrets (and later server signing keys) are stored sealed with AES-256-GCM under the master key, with
 * the owning identifier (the access key id) as associated data so a sealed blob cannot be moved to another row.
 * The master key comes from --master-key-file, or is generated once into DATA/master.key (mode 0600).
 */
#ifndef ROLEGATE_SECRETS_H
#define ROLEGATE_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "util/crypto.h"

/* A master key's id: the first bytes of HMAC-SHA256(key, "rolegate master key id"), hex. Names a key without
 * revealing it; DATA/rolegate.db records the id of the key its secrets are sealed under (src/server/masterkey.c). */
#define MASTER_KEY_ID_LEN 32
/* The largest secret secrets_reseal() carries across (plaintext bytes): a SAML provider's private key, PKCS#8 DER
 * of up to 4096 bits (src/store/saml.h SAML_KEY_DER_MAX), is the largest. */
#define SECRETS_RESEAL_MAX 4096

/* Loads the master key from path; when path is NULL uses DATA/master.key, creating it if absent in a new data
 * directory (one without rolegate.db): a directory with a database but no key is refused (logged). */
int secrets_load_master_key(const char *path, const char *data_dir);
/* Wipes the master key from memory. */
void secrets_wipe(void);

/* Seals secret (len bytes) bound to id; writes *outlen bytes into out (cap >= len + AEAD_OVERHEAD). */
int secrets_seal(const char *id, const void *secret, size_t len, uint8_t *out, size_t cap, size_t *outlen);
/* Opens a sealed blob bound to id into out (cap bytes, NUL-terminated). C_ERR when it does not open. */
int secrets_open(const char *id, const uint8_t *sealed, size_t len, char *out, size_t cap);

/* Writes the id of key into out. */
void secrets_key_id_of(const uint8_t key[AEAD_KEY_LEN], char out[MASTER_KEY_ID_LEN + 1]);
/* Writes the id of the loaded master key into out; C_ERR when none is loaded. */
int secrets_key_id(char out[MASTER_KEY_ID_LEN + 1]);
/* Opens sealed (bound to id) with the loaded master key and seals it again under newkey into out (cap >= len);
 * *outlen = len. C_ERR when it does not open. The plaintext is wiped. */
int secrets_reseal(const uint8_t newkey[AEAD_KEY_LEN], const char *id, const uint8_t *sealed, size_t len,
                   uint8_t *out, size_t cap, size_t *outlen);

#endif
