/*
 * ids.h - identifiers in AWS's formats.
 *
 *   account id      12 digits
 *   access key id   AKIA (long-term) / ASIA (temporary) + 16 base32 characters that carry the account id the way
 *                   AWS's do, so sts:GetAccessKeyInfo can answer for any well-formed key
 *   secret key      40 characters of [A-Za-z0-9+/]
 *   unique ids      AIDA (user), AROA (role), ANPA (policy), AGPA (group) ... + 17 base32 characters
 *   request id      a random UUID
 */
#ifndef ROLEGATE_IDS_H
#define ROLEGATE_IDS_H

#include <stdbool.h>
#include <stddef.h>

#define ACCESS_KEY_ID_LEN 20
#define SECRET_KEY_LEN 40
#define UNIQUE_ID_LEN 21
#define REQUEST_ID_LEN 36

/* Writes 12 random digits + NUL. */
void id_account(char out[13]);
/* Writes prefix ("AKIA"/"ASIA") + 16 characters encoding account_id + NUL (21 bytes). */
void id_access_key(const char *prefix, const char *account_id, char out[ACCESS_KEY_ID_LEN + 1]);
/* Writes a 40-character secret + NUL. The caller wipes it when done. */
void id_secret_key(char out[SECRET_KEY_LEN + 1]);
/* Writes prefix (4 characters) + 17 random base32 characters + NUL. */
void id_unique(const char *prefix, char out[UNIQUE_ID_LEN + 1]);
/* Writes a random (version 4) UUID + NUL. */
void id_request(char out[REQUEST_ID_LEN + 1]);
/* Recovers the account id from an AKIA/ASIA key id of 20 characters. false when the key is not of that form. */
bool id_access_key_account(const char *access_key_id, char out[13]);

#endif
