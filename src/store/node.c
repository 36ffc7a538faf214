/*
 * node.c - DIR/postgres: the database of a PostgreSQL node's data directory (see node.h).
 */
#include "store/node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/common.h"
#include "util/file.h"
#include "util/log.h"

/* DIR/postgres into path; C_ERR when it does not fit. */
static int node_path(const char *dir, char *path, size_t cap)
{
	return (size_t)snprintf(path, cap, "%s/%s", dir, STORE_NODE_PG_FILE) < cap ? C_OK : C_ERR;
}

int store_node_record(const char *dir, const char *conninfo)
{
	char path[4096];

	if (node_path(dir, path, sizeof(path)) != C_OK || strchr(conninfo, '\n'))
		return C_ERR;
	return file_write_private(path, conninfo);
}

bool store_node_is_postgres(const char *dir)
{
	char path[4096];

	return node_path(dir, path, sizeof(path)) == C_OK && access(path, F_OK) == 0;
}

struct db *store_node_open(const char *dir)
{
	char path[4096], *conninfo = NULL;
	size_t len = 0;
	struct db *db;

	if (!store_node_is_postgres(dir))
		return db_open_sqlite(dir);
	if (node_path(dir, path, sizeof(path)) != C_OK ||
	    file_read_bounded(path, STORE_NODE_CONNINFO_MAX, &conninfo, &len) != C_OK)
		return NULL;
	conninfo[strcspn(conninfo, "\n")] = '\0';
	db = db_open_postgres(conninfo);
	explicit_bzero(conninfo, len);
	free(conninfo);
	return db;
}
