/*
 * keycache.c - a direct-mapped cache of SigV4 signing keys.
 */
#include "server/keycache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

#define SLOTS 4096 /* power of two */
#define STRIPES 64

struct slot {
	char id[160]; /* "akid/date/region/service" */
	uint8_t tag[16];
	uint8_t key[SHA256_LEN];
	bool used;
};

struct sigkey_cache {
	pthread_mutex_t locks[STRIPES];
	struct slot slots[SLOTS];
	_Atomic uint64_t hits, misses;
};

struct sigkey_cache *sigkey_cache_new(void)
{
	struct sigkey_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	return c;
}

void sigkey_cache_free(struct sigkey_cache *c)
{
	if (!c)
		return;
	explicit_bzero(c->slots, sizeof(c->slots));
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&c->locks[i]);
	free(c);
}

/* FNV-1a. */
static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static bool make_id(char *id, size_t cap, const char *akid, const char *date, const char *region, const char *service)
{
	int n = snprintf(id, cap, "%s/%s/%s/%s", akid, date, region, service);
	return n > 0 && (size_t)n < cap;
}

bool sigkey_cache_get(struct sigkey_cache *c, const char *akid, const char *date, const char *region,
                      const char *service, const uint8_t tag[16], uint8_t key[SHA256_LEN])
{
	char id[160];
	size_t h;
	struct slot *s;
	bool hit;

	if (!make_id(id, sizeof(id), akid, date, region, service))
		return false;
	h = hash(id);
	s = &c->slots[h & (SLOTS - 1)];
	pthread_mutex_lock(&c->locks[h % STRIPES]);
	hit = s->used && strcmp(s->id, id) == 0 && memcmp(s->tag, tag, 16) == 0;
	if (hit)
		memcpy(key, s->key, SHA256_LEN);
	pthread_mutex_unlock(&c->locks[h % STRIPES]);
	atomic_fetch_add_explicit(hit ? &c->hits : &c->misses, 1, memory_order_relaxed);
	return hit;
}

void sigkey_cache_counts(struct sigkey_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = c ? atomic_load_explicit(&c->hits, memory_order_relaxed) : 0;
	*misses = c ? atomic_load_explicit(&c->misses, memory_order_relaxed) : 0;
}

void sigkey_cache_put(struct sigkey_cache *c, const char *akid, const char *date, const char *region,
                      const char *service, const uint8_t tag[16], const uint8_t key[SHA256_LEN])
{
	char id[160];
	size_t h;
	struct slot *s;

	if (!make_id(id, sizeof(id), akid, date, region, service))
		return;
	h = hash(id);
	s = &c->slots[h & (SLOTS - 1)];
	pthread_mutex_lock(&c->locks[h % STRIPES]);
	memcpy(s->id, id, sizeof(id));
	memcpy(s->tag, tag, 16);
	memcpy(s->key, key, SHA256_LEN);
	s->used = true;
	pthread_mutex_unlock(&c->locks[h % STRIPES]);
}
