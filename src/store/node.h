/*
 * node.h - which database a data directory's node uses. A server started with --postgres records its conninfo in
 * DIR/postgres (mode 0600: it may hold a password, as DIR/master.key is a secret too), so that the commands that
 * take --data DIR (rolegate audit, keys, master-key id, root-password) reach the same PostgreSQL database; without
 * the file, DIR holds SQLite's rolegate.db.
 */
#ifndef ROLEGATE_STORE_NODE_H
#define ROLEGATE_STORE_NODE_H

#include <stdbool.h>

#include "store/db.h"

#define STORE_NODE_PG_FILE "postgres"
#define STORE_NODE_CONNINFO_MAX 4096

/* Records conninfo in DIR/postgres (atomically, mode 0600). C_OK or C_ERR (logged). */
int store_node_record(const char *dir, const char *conninfo);
/* Whether DIR/postgres exists (DIR is a PostgreSQL node's directory). */
bool store_node_is_postgres(const char *dir);
/* The database of DIR: PostgreSQL's recorded in DIR/postgres, else SQLite's DIR/rolegate.db. NULL on failure. */
struct db *store_node_open(const char *dir);

#endif
