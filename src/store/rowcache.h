/*
 * rowcache.h - the results of read queries, kept in memory and keyed by (SQL text, parameters, data version).
 *
 * A backend (sqlite.c) serves a read-only transaction's db_query from here when the same query was answered at the
 * same data version, which every write transaction advances: an entry can only be found by transactions that see
 * exactly the database it was read from. The hot path of an enforced request (the caller's principal, its
 * policies, the role and its trust policy, the account, its SCPs) then reads no SQLite pages and takes no file
 * locks. Entries are immutable and reference-counted; the table is a fixed number of slots, direct-mapped by a hash
 * of the key (a collision replaces, so no key pattern can make a lookup slower), each slot with its own lock.
 */
#ifndef ROLEGATE_ROWCACHE_H
#define ROLEGATE_ROWCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

#define ROWCACHE_KEY_MAX 1024        /* queries with longer parameters are not cached */
#define ROWCACHE_ENTRY_MAX (16 * 1024) /* results larger than this (cells and bytes) are not cached */

struct rowcache;
struct rowset;
struct rowset_builder;

/* A query's identity: the address of its SQL literal and its parameters, serialized. */
struct rowcache_key {
	uint8_t buf[ROWCACHE_KEY_MAX];
	size_t len;
	uint64_t hash;
};

struct rowcache *rowcache_new(size_t slots);
/* Drops every entry (wiped) and frees the table. No rowset may still be held. */
void rowcache_free(struct rowcache *rc);

/* Builds the key of (sql, args). C_ERR when it does not fit (the query then goes uncached). */
int rowcache_key(const char *sql, const struct db_val *args, size_t nargs, struct rowcache_key *k);
/* The entry for k read at version, with a reference for the caller (rowset_release), or NULL. */
struct rowset *rowcache_get(struct rowcache *rc, const struct rowcache_key *k, uint64_t version);
/* The lookups of every table since the start: found (hits) and not (misses). */
void rowcache_counts(uint64_t *hits, uint64_t *misses);
/* Stores rs (built for a key of this hash; the cache takes the caller's reference) as that key's result at
 * version, replacing its slot's entry. */
void rowcache_put(struct rowcache *rc, uint64_t hash, uint64_t version, struct rowset *rs);

/* A recorded result: rows of ncols cells. Text and blob cells are NUL-terminated; every non-NULL cell has both an
 * integer and a text form, as SQLite's column getters convert. */
size_t rowset_rows(const struct rowset *rs);
bool rowset_is_null(const struct rowset *rs, size_t row, int col);
/* The cell's DB_T_* as it was recorded (db_col_type of a cached result). */
enum db_type rowset_type(const struct rowset *rs, size_t row, int col);
int64_t rowset_int(const struct rowset *rs, size_t row, int col);
/* NULL for a NULL cell; *len (optional) gets the length without the terminator. */
const char *rowset_text(const struct rowset *rs, size_t row, int col, size_t *len);
/* Drops a reference; the last one wipes and frees. */
void rowset_release(struct rowset *rs);

/* Recording a result as a query runs: cells are added row by row, left to right. */
struct rowset_builder *rowset_builder_new(int ncols);
/* Adds a cell. type is the cell's DB_T_*; i its integer form; p/len its bytes (text or blob; NULL for NULL).
 * C_ERR when the result has grown past ROWCACHE_ENTRY_MAX (the builder is then only good for freeing). */
int rowset_builder_cell(struct rowset_builder *b, enum db_type type, int64_t i, const void *p, size_t len);
/* The finished rowset of the query k (one reference), or NULL if it outgrew the limit or memory ran out. The
 * builder is freed. */
struct rowset *rowset_builder_finish(struct rowset_builder *b, const struct rowcache_key *k);
/* Frees an unfinished builder (wiped). */
void rowset_builder_free(struct rowset_builder *b);

#endif
