/*
 * cachepin.h - when a transaction may answer from the result cache (rowcache.h): the version a database's cached
 * results are stored under, and the pins that keep a transaction's reads one state. Both backends (sqlite.c,
 * postgres.c) use it the same way.
 *
 * Every write transaction advances the version twice, seqlock-style: to an odd value before its COMMIT and to the
 * next even one after. A read-only transaction notes the version when it begins and only uses the cache if it was
 * even; results are stored and found under that version, so an entry is only ever seen by transactions of the same
 * database state. Two rules keep a transaction's reads one state even when it mixes cached answers and the
 * database:
 *   - before its first cached answer, a transaction pins the state (cache_view_pin) and checks the version has not
 *     moved; a committing writer, once it has made the version odd, waits until no transaction is pinned. So the
 *     database's snapshot, fixed later at the transaction's first miss, is still that version's; the pin is dropped
 *     then (cache_view_fixed) or at the end (cache_view_unpin).
 *   - a transaction that reads the database before any cached answer compares the version again once its snapshot
 *     is fixed (cache_view_fixed): if it moved, the transaction reads the database only and stores nothing.
 * Pins last microseconds (a request's reads between two cache misses), so a writer's wait is that short; nothing
 * waits on a pinned transaction but a committing writer.
 */
#ifndef ROLEGATE_CACHEPIN_H
#define ROLEGATE_CACHEPIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* A database's: the version of its cached results and the transactions pinned to it. Zero-initialised is ready. */
struct cache_clock {
	atomic_uint_fast64_t version; /* odd while a write commits */
	atomic_uint_fast64_t pinned;  /* read transactions served from the cache whose snapshot is not fixed yet */
};

/* A read-only transaction's: the version it reads under and where it stands. */
struct cache_view {
	uint64_t version;
	bool use_cache; /* its snapshot is (or will be checked to be) the version's */
	bool checked;   /* the snapshot was compared with the version */
	bool pinned;    /* holds a pin (see the top of this file) */
};

/* At a read-only transaction's start: notes the version; the cache is used if allowed and no write is committing. */
void cache_view_begin(struct cache_view *v, struct cache_clock *clk, bool allowed);
/* Before the view's first cached answer: pins its version, true; or finds it moved on, false (the view then stops
 * using the cache). */
bool cache_view_pin(struct cache_view *v, struct cache_clock *clk);
/* After the transaction's first statement on the database, which fixed its snapshot: a pinned view's snapshot is
 * its version's (the pin is dropped); an unpinned one whose version moved stops using the cache. */
void cache_view_fixed(struct cache_view *v, struct cache_clock *clk);
/* Drops the view's pin, if it holds one (at the transaction's end). */
void cache_view_unpin(struct cache_view *v, struct cache_clock *clk);

/* Before a write's COMMIT: makes the version odd and waits for the pinned readers (who says it names the backend in
 * the warning logged after a second of waiting). */
void cache_clock_commit_begin(struct cache_clock *clk, const char *who);
/* After the COMMIT, whatever its outcome: the version even again. */
void cache_clock_commit_end(struct cache_clock *clk);
/* A write made elsewhere (another node): every cached result is older; the parity is left to this node's writer. */
void cache_clock_advance(struct cache_clock *clk);

#endif
