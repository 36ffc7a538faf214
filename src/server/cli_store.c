/*
 * cli_store.c - the store an operator's verb works on (cli_store.h).
 */
#include "server/cli_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "server/secrets.h"
#include "store/node.h"
#include "util/common.h"

struct db *cli_store_open(const char *verb, const char *dir, const char *conninfo)
{
	char path[4096];
	struct db *db;

	if (conninfo) {
		if (!(db = db_open_postgres(conninfo)))
			fprintf(stderr, "rolegate %s: cannot connect to the PostgreSQL database (the message above says why)\n",
			        verb);
		return db;
	}
	/* a PostgreSQL node's directory names its database (DIR/postgres, store/node.h) */
	if (store_node_is_postgres(dir)) {
		if (!(db = store_node_open(dir)))
			fprintf(stderr, "rolegate %s: cannot connect to the PostgreSQL database of %s (the message above says "
			                "why)\n", verb, dir);
		return db;
	}
	snprintf(path, sizeof(path), "%s/rolegate.db", dir);
	if (access(path, F_OK) != 0) {
		fprintf(stderr, "rolegate %s: %s has no database (%s); --postgres CONNINFO names a PostgreSQL one\n", verb,
		        dir, path);
		return NULL;
	}
	if (!(db = db_open_sqlite(dir)))
		fprintf(stderr, "rolegate %s: cannot open %s\n", verb, path);
	return db;
}

const char *cli_store_key_file(const char *flag)
{
	const char *env = getenv("ROLEGATE_MASTER_KEY_FILE");

	return flag ? flag : env && *env ? env : NULL;
}

int cli_store_load_key(const char *verb, const char *key_file, const char *dir, const char *conninfo)
{
	char path[4096];

	if ((conninfo || store_node_is_postgres(dir)) && !key_file) {
		snprintf(path, sizeof(path), "%s/master.key", dir);
		if (access(path, R_OK) != 0) {
			fprintf(stderr, "rolegate %s: with --postgres give the nodes' master key: --master-key-file FILE (or "
			                "%s)\n", verb, path);
			return C_ERR;
		}
	}
	if (secrets_load_master_key(key_file, dir) != C_OK) {
		fprintf(stderr, "rolegate %s: cannot load the master key\n", verb);
		return C_ERR;
	}
	return C_OK;
}

const char *cli_store_where(const char *dir, const char *conninfo)
{
	return conninfo ? "the PostgreSQL database" : dir;
}
