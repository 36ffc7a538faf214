/*
 * cachepin.c - the result cache's version and pins (cachepin.h).
 */
#include "store/cachepin.h"

#include <sched.h>
#include <time.h>

#include "util/log.h"

void cache_view_begin(struct cache_view *v, struct cache_clock *clk, bool allowed)
{
	*v = (struct cache_view){.version = atomic_load(&clk->version)};
	v->use_cache = allowed && !(v->version & 1); /* odd: a write is committing; read the database only */
}

void cache_view_unpin(struct cache_view *v, struct cache_clock *clk)
{
	if (v->pinned) {
		atomic_fetch_sub(&clk->pinned, 1);
		v->pinned = false;
	}
}

bool cache_view_pin(struct cache_view *v, struct cache_clock *clk)
{
	if (v->pinned || v->checked)
		return true; /* pinned already, or the snapshot is fixed and was found to be the version's */
	atomic_fetch_add(&clk->pinned, 1);
	v->pinned = true;
	if (atomic_load(&clk->version) == v->version)
		return true;
	cache_view_unpin(v, clk);
	v->use_cache = false;
	return false;
}

void cache_view_fixed(struct cache_view *v, struct cache_clock *clk)
{
	if (!v->use_cache || v->checked)
		return;
	v->checked = true;
	if (v->pinned)
		cache_view_unpin(v, clk);
	else if (atomic_load(&clk->version) != v->version)
		v->use_cache = false;
}

void cache_clock_commit_begin(struct cache_clock *clk, const char *who)
{
	struct timespec nap = {0, 20 * 1000};
	unsigned spins = 0;

	atomic_fetch_add(&clk->version, 1); /* odd: see cachepin.h */
	/* the pinned readers are between two reads */
	while (atomic_load(&clk->pinned) != 0) {
		if (++spins < 64) {
			sched_yield();
			continue;
		}
		nanosleep(&nap, NULL);
		if (spins == 64 + 50000) /* about a second */
			log_warnx("%s: a commit has waited a second for read transactions to fix their snapshots", who);
	}
}

void cache_clock_commit_end(struct cache_clock *clk)
{
	atomic_fetch_add(&clk->version, 1);
}

void cache_clock_advance(struct cache_clock *clk)
{
	atomic_fetch_add(&clk->version, 2);
}
