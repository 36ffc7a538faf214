/*
 * masterkey.h - which master key a data directory's secrets are sealed under, and `rolegate master-key rotate`.
 *
 * rolegate.db's meta table records the id of the master key (secrets_key_id: an HMAC of the key, not the key) its
 * sealed secrets open with. Rotation writes the new key beside the old one (DATA/master.key.new, or the operator's
 * --new-key-file), re-seals every secret and records the new id in ONE transaction, then renames master.key.new over
 * master.key. Whatever a kill -9 interrupts, the database names exactly one of the two keys, and every start
 * (masterkey_reconcile) goes with the key the database names: it finishes the rename, or removes the key that never
 * committed.
 */
#ifndef ROLEGATE_MASTERKEY_H
#define ROLEGATE_MASTERKEY_H

#include <stdbool.h>

#include "store/db.h"

/*
 * Checks that the loaded master key (secrets_load_master_key) is the one db's secrets are sealed under, after the
 * database is migrated and before anything is sealed or opened:
 *   - the database records a key id: it must be the loaded key's. With the default key file (key_file NULL) and
 *     repair (the caller holds DATA/lock), an interrupted rotation is settled: DATA/master.key.new that the database
 *     names is renamed over master.key and loaded; one it does not name is removed.
 *   - no id yet (a directory from before ids): the loaded key must open a sealed value (the check value, else any
 *     secret); its id is then recorded. A directory with no secrets at all records the loaded key.
 * C_OK, or C_ERR (logged: which key ids differ).
 */
int masterkey_reconcile(struct db *db, const char *data_dir, const char *key_file, bool repair);

/* C_OK when db records the loaded master key's id (or records none yet), in tx. Writers that seal a secret outside
 * the server (rolegate keys rotate) check this in their own transaction, so nothing is sealed under a key a
 * concurrent rotation has just replaced. */
int masterkey_current_tx(struct db_tx *tx);

/* `rolegate master-key rotate --data DIR [--master-key-file FILE --new-key-file FILE]` and
 * `rolegate master-key id [--data DIR] [--master-key-file FILE]`. */
int masterkey_main(int argc, char **argv);

#endif
