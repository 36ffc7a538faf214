/*
 * cli_store.h - the store an operator's verb works on (rolegate keys, master-key, audit, root-password): the
 * PostgreSQL database --postgres CONNINFO names, as `rolegate server --postgres` uses it, else DIR/rolegate.db of
 * --data DIR. One place makes that choice, so every verb accepts the same flags and says the same things.
 */
#ifndef ROLEGATE_CLI_STORE_H
#define ROLEGATE_CLI_STORE_H

#include <stdbool.h>

#include "store/db.h"

/*
 * Opens the store: PostgreSQL when conninfo is not NULL, else DIR's (store_node_open: the PostgreSQL database a
 * node's DIR/postgres names, or DIR/rolegate.db, which must exist: a verb never makes an empty data directory). Not migrated: the caller runs store_migrate when it writes. NULL on failure, said on
 * stderr as "rolegate VERB: ..." (a conninfo may hold a password: it is never printed).
 */
struct db *cli_store_open(const char *verb, const char *dir, const char *conninfo);

/* The master key file a verb uses: flag (--master-key-file), else ROLEGATE_MASTER_KEY_FILE as the server reads it,
 * else NULL (DIR/master.key). */
const char *cli_store_key_file(const char *flag);

/*
 * Loads the master key of a verb that opens or seals secrets: key_file (--master-key-file), else DIR/master.key.
 * With PostgreSQL (conninfo, or DIR a PostgreSQL node's directory) the key must exist (every node has been given it; a verb never makes one up for a shared
 * database). C_OK, or C_ERR said on stderr.
 */
int cli_store_load_key(const char *verb, const char *key_file, const char *dir, const char *conninfo);

/* Where the store is, for messages: DIR, or "the PostgreSQL database" (never the conninfo). */
const char *cli_store_where(const char *dir, const char *conninfo);

#endif
