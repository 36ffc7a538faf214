/*
 * credcache.h - what authentication learns about an access key (its row and its principal), kept in memory.
 *
 * Entries are tagged with db_generation() as read before the store was consulted and are ignored once any write
 * has committed since: a key made Inactive or deleted stops working at once, not after a timeout. A fixed number
 * of slots, direct-mapped by key id, each with its own lock.
 */
#ifndef ROLEGATE_CREDCACHE_H
#define ROLEGATE_CREDCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "server/principal.h"
#include "store/store.h"

struct credcache;

struct cred {
	struct store_access_key key;
	struct principal principal;
};

struct credcache *credcache_new(void);
/* Wipes and frees. */
void credcache_free(struct credcache *c);
/* Copies the entry for akid into out when present and tagged with generation gen. */
bool credcache_get(struct credcache *c, const char *akid, uint64_t gen, struct cred *out);
/* Stores an entry read at generation gen. */
/* Lookups answered (hits) and not (misses) by credcache_get since c was made. */
void credcache_counts(struct credcache *c, uint64_t *hits, uint64_t *misses);
void credcache_put(struct credcache *c, uint64_t gen, const struct cred *in);
/* Records a new last use of akid in its entry (if cached), so the next request does not record it again. */
void credcache_touch(struct credcache *c, const char *akid, int64_t when_ms, const char *service, const char *region);

#endif
