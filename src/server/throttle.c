/*
 * throttle.c - token buckets per principal and per account, in two fixed-size striped tables (see throttle.h).
 */
#include "server/throttle.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

#define STRIPES 64 /* one mutex each: requests of different principals rarely wait for each other */
#define PROBE 8    /* the slots of a stripe a key may live in */
#define RATE_MAX 1000000.0

struct bucket {
	uint64_t hash; /* 0: an empty slot */
	char key[THROTTLE_KEY_MAX];
	double tokens;
	int64_t last_us; /* when tokens was last brought up to date (and the bucket last used) */
};

struct stripe {
	pthread_mutex_t lock;
	struct bucket *slots;
};

struct table {
	struct rate_limit rate; /* rps 0: this table is not used */
	size_t per_stripe;      /* slots in each stripe, >= PROBE */
	struct stripe stripes[STRIPES];
};

struct throttle {
	struct table principals, accounts;
	atomic_uint_fast64_t refused;
};

int rate_limit_parse(const char *text, struct rate_limit *out, char *err, size_t errlen)
{
	char *end;
	double rps;
	unsigned long long burst;

	if (!text || text[0] < '0' || text[0] > '9')
		goto bad;
	errno = 0;
	rps = strtod(text, &end);
	if (errno || end == text || strspn(text, "0123456789.") != (size_t)(end - text) || !isfinite(rps) || rps < 0 ||
	    rps > RATE_MAX || (*end && *end != ':'))
		goto bad; /* decimal digits only: no "1e3", "0x10", "inf" */
	if (*end == ':') {
		const char *b = end + 1;
		if (*b < '0' || *b > '9')
			goto bad;
		errno = 0;
		burst = strtoull(b, &end, 10);
		if (errno || *end || burst < 1 || burst > (unsigned long long)RATE_MAX)
			goto bad;
	} else {
		burst = (unsigned long long)ceil(rps);
		if (burst < 1)
			burst = 1;
	}
	out->rps = rps;
	out->burst = (unsigned)burst;
	return C_OK;
bad:
	snprintf(err, errlen, "'%s' is not RPS[:BURST] (requests a second, 0 for no limit, up to 1000000; BURST from 1 "
	                      "to 1000000 requests)", text ? text : "");
	return C_ERR;
}

/* FNV-1a, never 0 (0 marks an empty slot). */
static uint64_t hash_key(const char *key)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h ? h : 1;
}

static int table_init(struct table *t, const struct rate_limit *rate, size_t slots)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->rate = *rate;
	if (rate->rps <= 0)
		return C_OK;
	t->per_stripe = (slots + STRIPES - 1) / STRIPES;
	if (t->per_stripe < PROBE)
		t->per_stripe = PROBE;
	for (i = 0; i < STRIPES; i++) {
		t->stripes[i].slots = calloc(t->per_stripe, sizeof(struct bucket));
		if (!t->stripes[i].slots)
			goto fail;
		pthread_mutex_init(&t->stripes[i].lock, NULL);
	}
	return C_OK;
fail:
	while (i-- > 0) {
		pthread_mutex_destroy(&t->stripes[i].lock);
		free(t->stripes[i].slots);
	}
	t->rate.rps = 0;
	return C_ERR;
}

static void table_free(struct table *t)
{
	if (t->rate.rps <= 0)
		return;
	for (size_t i = 0; i < STRIPES; i++) {
		pthread_mutex_destroy(&t->stripes[i].lock);
		free(t->stripes[i].slots);
	}
}

/* The bucket's tokens at now_us (a clock that went back adds nothing). */
static double refilled(const struct table *t, const struct bucket *b, int64_t now_us)
{
	double tokens = b->tokens;

	if (now_us > b->last_us)
		tokens += (double)(now_us - b->last_us) * t->rate.rps / 1e6;
	return tokens > t->rate.burst ? t->rate.burst : tokens;
}

/* The bucket of key in stripe s (locked by the caller), brought up to date; a new full one (evicting the fullest,
 * then the least recently used, of the probed slots) if key has none. */
static struct bucket *find(struct table *t, struct stripe *s, const char *key, uint64_t h, int64_t now_us)
{
	size_t start = (size_t)(h / STRIPES) % t->per_stripe;
	struct bucket *victim = NULL;
	double victim_tokens = -1;

	for (size_t k = 0; k < PROBE; k++) {
		struct bucket *b = &s->slots[(start + k) % t->per_stripe];
		double tokens;
		if (b->hash == h && strcmp(b->key, key) == 0) {
			b->tokens = refilled(t, b, now_us);
			if (now_us > b->last_us)
				b->last_us = now_us;
			return b;
		}
		if (!b->hash) {
			if (victim_tokens < (double)t->rate.burst + 1) {
				victim = b;
				victim_tokens = (double)t->rate.burst + 1; /* an empty slot beats any bucket */
			}
			continue;
		}
		tokens = refilled(t, b, now_us);
		if (!victim || tokens > victim_tokens || (tokens == victim_tokens && b->last_us < victim->last_us)) {
			victim = b;
			victim_tokens = tokens;
		}
	}
	victim->hash = h;
	snprintf(victim->key, sizeof(victim->key), "%s", key);
	victim->tokens = t->rate.burst;
	victim->last_us = now_us;
	return victim;
}

struct throttle *throttle_new(const struct rate_limit *principal, const struct rate_limit *account, size_t slots)
{
	struct throttle *t;

	if (principal->rps <= 0 && account->rps <= 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	atomic_init(&t->refused, 0);
	if (table_init(&t->principals, principal, slots) != C_OK)
		goto fail;
	if (table_init(&t->accounts, account, slots) != C_OK) {
		table_free(&t->principals);
		goto fail;
	}
	return t;
fail:
	free(t);
	errno = ENOMEM;
	return NULL;
}

void throttle_free(struct throttle *t)
{
	if (!t)
		return;
	table_free(&t->principals);
	table_free(&t->accounts);
	free(t);
}

enum throttle_verdict throttle_take(struct throttle *t, const char *principal, const char *account, int64_t now_us)
{
	uint64_t hp, ha;
	struct stripe *sp = NULL, *sa = NULL;
	struct bucket *bp = NULL, *ba = NULL;
	enum throttle_verdict v = THROTTLE_PASS;

	if (!t)
		return THROTTLE_PASS;
	if (strlen(principal) >= THROTTLE_KEY_MAX || strlen(account) >= THROTTLE_KEY_MAX) {
		atomic_fetch_add(&t->refused, 1);
		return THROTTLE_PRINCIPAL;
	}
	hp = hash_key(principal);
	ha = hash_key(account);
	/* Always the principal's stripe first, then the account's: one order, no deadlock. */
	if (t->principals.rate.rps > 0) {
		sp = &t->principals.stripes[hp % STRIPES];
		pthread_mutex_lock(&sp->lock);
		bp = find(&t->principals, sp, principal, hp, now_us);
	}
	if (t->accounts.rate.rps > 0) {
		sa = &t->accounts.stripes[ha % STRIPES];
		pthread_mutex_lock(&sa->lock);
		ba = find(&t->accounts, sa, account, ha, now_us);
	}
	if (bp && bp->tokens < 1)
		v = THROTTLE_PRINCIPAL;
	else if (ba && ba->tokens < 1)
		v = THROTTLE_ACCOUNT;
	if (v == THROTTLE_PASS) {
		if (bp)
			bp->tokens -= 1;
		if (ba)
			ba->tokens -= 1;
	}
	if (sa)
		pthread_mutex_unlock(&sa->lock);
	if (sp)
		pthread_mutex_unlock(&sp->lock);
	if (v != THROTTLE_PASS)
		atomic_fetch_add(&t->refused, 1);
	return v;
}

uint64_t throttle_refused(const struct throttle *t)
{
	return t ? atomic_load(&((struct throttle *)t)->refused) : 0;
}
