/*
 * credcache.c - access key -> (row, principal), invalidated by the store's write generation.
 */
#include "server/credcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

#define SLOTS 1024 /* power of two */

struct slot {
	pthread_mutex_t lock;
	bool used;
	uint64_t gen;
	struct cred cred;
};

struct credcache {
	struct slot slots[SLOTS];
	_Atomic uint64_t hits, misses;
};

static size_t slot_of(const char *akid)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *akid; akid++)
		h = (h ^ (unsigned char)*akid) * 1099511628211ULL;
	return (size_t)(h & (SLOTS - 1));
}

struct credcache *credcache_new(void)
{
	struct credcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	for (size_t i = 0; i < SLOTS; i++)
		pthread_mutex_init(&c->slots[i].lock, NULL);
	return c;
}

void credcache_free(struct credcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < SLOTS; i++) {
		explicit_bzero(&c->slots[i].cred, sizeof(c->slots[i].cred));
		pthread_mutex_destroy(&c->slots[i].lock);
	}
	free(c);
}

bool credcache_get(struct credcache *c, const char *akid, uint64_t gen, struct cred *out)
{
	struct slot *s = &c->slots[slot_of(akid)];
	bool hit;

	pthread_mutex_lock(&s->lock);
	hit = s->used && s->gen == gen && strcmp(s->cred.key.access_key_id, akid) == 0;
	if (hit)
		*out = s->cred;
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_add_explicit(hit ? &c->hits : &c->misses, 1, memory_order_relaxed);
	return hit;
}

void credcache_counts(struct credcache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = c ? atomic_load_explicit(&c->hits, memory_order_relaxed) : 0;
	*misses = c ? atomic_load_explicit(&c->misses, memory_order_relaxed) : 0;
}

void credcache_put(struct credcache *c, uint64_t gen, const struct cred *in)
{
	struct slot *s = &c->slots[slot_of(in->key.access_key_id)];

	pthread_mutex_lock(&s->lock);
	s->cred = *in;
	s->gen = gen;
	s->used = true;
	pthread_mutex_unlock(&s->lock);
}

void credcache_touch(struct credcache *c, const char *akid, int64_t when_ms, const char *service, const char *region)
{
	struct slot *s = &c->slots[slot_of(akid)];

	pthread_mutex_lock(&s->lock);
	if (s->used && strcmp(s->cred.key.access_key_id, akid) == 0) {
		s->cred.key.last_used_ms = when_ms;
		snprintf(s->cred.key.last_used_service, sizeof(s->cred.key.last_used_service), "%s", service);
		snprintf(s->cred.key.last_used_region, sizeof(s->cred.key.last_used_region), "%s", region);
	}
	pthread_mutex_unlock(&s->lock);
}
