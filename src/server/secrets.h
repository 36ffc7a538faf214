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

/* Loads the master key from path; when path is NULL uses DATA/master.key, creating it if absent. */
int secrets_load_master_key(const char *path, const char *data_dir);
/* Wipes the master key from memory. */
void secrets_wipe(void);

/* Seals secret (len bytes) bound to id; writes *outlen bytes into out (cap >= len + AEAD_OVERHEAD). */
int secrets_seal(const char *id, const void *secret, size_t len, uint8_t *out, size_t cap, size_t *outlen);
/* Opens a sealed blob bound to id into out (cap bytes, NUL-terminated). C_ERR when it does not open. */
int secrets_open(const char *id, const uint8_t *sealed, size_t len, char *out, size_t cap);

#endif
