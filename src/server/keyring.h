/*
 * keyring.h - the keys that seal session tokens.
 *
 * Each key is 32 random bytes with an 8-character key id, stored sealed under the master key in server_keys. All
 * keys verify; the newest issues. `rolegate keys rotate` adds a key to the database; a running server notices it
 * within seconds (and at once when a token names a key id it does not know), so rotation needs no restart and old
 * tokens keep working until they expire.
 */
#ifndef ROLEGATE_KEYRING_H
#define ROLEGATE_KEYRING_H

#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/crypto.h"

#define KEY_ID_LEN 8

struct keyring;

/* Loads every key (creating the first one when there is none). NULL on failure (logged). */
struct keyring *keyring_open(struct db *db);
/* Wipes and frees. */
void keyring_free(struct keyring *k);
/* Copies the issuing key and its id, first reloading the keys through tx (the request's open transaction) when
 * they were loaded more than two seconds ago. C_ERR when there is none. */
int keyring_issuing(struct keyring *k, struct db_tx *tx, char kid[KEY_ID_LEN + 1], uint8_t key[AEAD_KEY_LEN]);
/* Copies the key of kid (reloading from the database, at most once a second, when it is unknown). */
int keyring_find(struct keyring *k, const char *kid, uint8_t key[AEAD_KEY_LEN]);

/* Adds a new key to the database (used by `rolegate keys rotate`). Writes its id into kid. */
int keyring_add(struct db *db, int64_t now_ms, char kid[KEY_ID_LEN + 1]);

/* `rolegate keys rotate|list [--data DIR] [--master-key-file FILE]`. */
int keys_main(int argc, char **argv);

#endif
