/*
 * keycache.h - derived SigV4 signing keys, cached per (access key, date, region, service).
 *
 * Deriving a signing key costs four HMACs and opening the sealed secret; a cache hit costs a hash and a memcmp.
 * Entries also remember a tag of the sealed secret they came from, so a key whose secret changed (the root key
 * replaced from the environment) is never served stale. Fixed size, direct-mapped, striped locks.
 */
#ifndef ROLEGATE_KEYCACHE_H
#define ROLEGATE_KEYCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/crypto.h"

struct sigkey_cache;

struct sigkey_cache *sigkey_cache_new(void);
/* Wipes every key and frees the cache. */
void sigkey_cache_free(struct sigkey_cache *c);
/* Copies the cached key for the tuple into key. false on a miss. */
bool sigkey_cache_get(struct sigkey_cache *c, const char *akid, const char *date, const char *region,
                      const char *service, const uint8_t tag[16], uint8_t key[SHA256_LEN]);
/* Lookups answered (hits) and not (misses) by sigkey_cache_get since c was made. */
void sigkey_cache_counts(struct sigkey_cache *c, uint64_t *hits, uint64_t *misses);
void sigkey_cache_put(struct sigkey_cache *c, const char *akid, const char *date, const char *region,
                      const char *service, const uint8_t tag[16], const uint8_t key[SHA256_LEN]);

#endif
