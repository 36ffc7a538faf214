/*
 * globset.c - intersection and containment of glob patterns by a bounded product-automaton search (globset.h).
 *
 * A pattern of n tokens is an NFA with states 0..n (n accepts): at a literal or '?' it reads one matching byte and
 * moves on; at '*' it reads any byte and stays, or moves on without reading. A product state is one position per
 * pattern (and, for containment, the set of positions the outer pattern can be in, which is deterministic once the
 * string is). Only the bytes the patterns name matter, plus one "fresh" byte that stands for every other: a
 * search over those visits every reachable product state, so the answers are exact.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/globset.h"
#include "util/common.h"

#define FRESH 256 /* a byte none of the patterns names */
#define OUTER_WORDS 4 /* bits for positions 0..GLOB_MAX_OUTER */

struct gstate {
	uint16_t pos[GLOB_MAX_PATS];
	uint16_t pad;
	uint64_t outer[OUTER_WORDS];
};

/* The visited states (also the work list, processed in order) and a hash index over them. */
struct gsearch {
	struct gstate *states;
	size_t n, cap;
	uint32_t *index; /* slot -> state number + 1; 0 empty */
	size_t slots;
};

static uint64_t state_hash(const struct gstate *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < sizeof(*s); i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int search_init(struct gsearch *g)
{
	memset(g, 0, sizeof(*g));
	g->cap = 1024;
	g->slots = 4096;
	g->states = malloc(g->cap * sizeof(*g->states));
	g->index = calloc(g->slots, sizeof(*g->index));
	if (!g->states || !g->index) {
		free(g->states);
		free(g->index);
		return C_ERR;
	}
	return C_OK;
}

static void search_free(struct gsearch *g)
{
	free(g->states);
	free(g->index);
}

static int rehash(struct gsearch *g)
{
	size_t slots = g->slots * 2;
	uint32_t *index = calloc(slots, sizeof(*index));

	if (!index)
		return C_ERR;
	for (size_t i = 0; i < g->n; i++) {
		size_t k = (size_t)state_hash(&g->states[i]) & (slots - 1);
		while (index[k])
			k = (k + 1) & (slots - 1);
		index[k] = (uint32_t)(i + 1);
	}
	free(g->index);
	g->index = index;
	g->slots = slots;
	return C_OK;
}

/* Adds s unless visited. C_ERR past GLOB_MAX_STATES or out of memory. */
static int visit(struct gsearch *g, const struct gstate *s)
{
	size_t k = (size_t)state_hash(s) & (g->slots - 1);

	while (g->index[k]) {
		if (memcmp(&g->states[g->index[k] - 1], s, sizeof(*s)) == 0)
			return C_OK;
		k = (k + 1) & (g->slots - 1);
	}
	if (g->n >= GLOB_MAX_STATES)
		return C_ERR;
	if (g->n == g->cap) {
		struct gstate *more = realloc(g->states, g->cap * 2 * sizeof(*more));
		if (!more)
			return C_ERR;
		g->states = more;
		g->cap *= 2;
	}
	g->states[g->n] = *s;
	g->index[k] = (uint32_t)(g->n + 1);
	g->n++;
	if (g->n * 2 > g->slots)
		return rehash(g);
	return C_OK;
}

static bool bit(const uint64_t *set, size_t i) { return (set[i / 64] >> (i % 64)) & 1; }
static void set_bit(uint64_t *set, size_t i) { set[i / 64] |= 1ULL << (i % 64); }

/* Closes a set of outer positions under '*' matching nothing. */
static void outer_close(const struct gpat *o, uint64_t *set)
{
	for (size_t k = 0; k < o->n; k++)
		if (bit(set, k) && o->t[k].kind == GL_STAR)
			set_bit(set, k + 1);
}

/* The outer positions after reading byte c (FRESH: a byte the outer pattern does not name). */
static void outer_step(const struct gpat *o, const uint64_t *from, int c, uint64_t *to)
{
	memset(to, 0, OUTER_WORDS * sizeof(*to));
	for (size_t k = 0; k < o->n; k++) {
		if (!bit(from, k))
			continue;
		if (o->t[k].kind == GL_STAR)
			set_bit(to, k);
		else if (o->t[k].kind == GL_ANY || (c != FRESH && o->t[k].c == c))
			set_bit(to, k + 1);
	}
	outer_close(o, to);
}

/* The inner positions after reading byte c; false when one pattern cannot read it. */
static bool inner_step(const struct gpat *p, size_t n, const struct gstate *from, int c, struct gstate *to)
{
	for (size_t i = 0; i < n; i++) {
		const struct gtok *t;
		if (from->pos[i] == p[i].n)
			return false;
		t = &p[i].t[from->pos[i]];
		if (t->kind == GL_STAR)
			to->pos[i] = from->pos[i];
		else if (t->kind == GL_ANY || (c != FRESH && t->c == c))
			to->pos[i] = (uint16_t)(from->pos[i] + 1);
		else
			return false;
	}
	return true;
}

/* The byte the inner patterns force at this state (a literal one of them stands at), or -1 when all stand at
 * wildcards; -2 when two literals differ (no byte can be read). */
static int forced_byte(const struct gpat *p, size_t n, const struct gstate *s)
{
	int c = -1;

	for (size_t i = 0; i < n; i++) {
		const struct gtok *t;
		if (s->pos[i] == p[i].n)
			return -2;
		t = &p[i].t[s->pos[i]];
		if (t->kind != GL_LIT)
			continue;
		if (c >= 0 && c != t->c)
			return -2;
		c = t->c;
	}
	return c;
}

/* The search shared by both questions (outer NULL: intersection). *found: a string all of p match (and, with
 * outer, that outer does not). */
static int search(const struct gpat *p, size_t n, const struct gpat *outer, bool *found)
{
	struct gsearch g;
	struct gstate s0;
	int rc = C_OK;

	*found = false;
	if (n == 0 || n > GLOB_MAX_PATS || (outer && (n > 2 || outer->n > GLOB_MAX_OUTER)))
		return C_ERR;
	for (size_t i = 0; i < n; i++)
		if (p[i].n > GLOB_MAX_LEN)
			return C_ERR;
	if (search_init(&g) != C_OK)
		return C_ERR;
	memset(&s0, 0, sizeof(s0));
	if (outer) {
		set_bit(s0.outer, 0);
		outer_close(outer, s0.outer);
	}
	rc = visit(&g, &s0);
	for (size_t at = 0; rc == C_OK && at < g.n && !*found; at++) {
		struct gstate s = g.states[at], next;
		bool ended = true;
		int forced;

		for (size_t i = 0; i < n; i++)
			ended &= s.pos[i] == p[i].n;
		if (ended && (!outer || !bit(s.outer, outer->n))) {
			*found = true;
			break;
		}
		/* '*' matching nothing */
		for (size_t i = 0; i < n && rc == C_OK; i++) {
			if (s.pos[i] < p[i].n && p[i].t[s.pos[i]].kind == GL_STAR) {
				next = s;
				next.pos[i]++;
				rc = visit(&g, &next);
			}
		}
		forced = forced_byte(p, n, &s);
		if (forced == -2 || rc != C_OK)
			continue;
		if (forced >= 0 || !outer) {
			next = s;
			if (inner_step(p, n, &s, forced >= 0 ? forced : FRESH, &next)) {
				if (outer)
					outer_step(outer, s.outer, forced, next.outer);
				rc = visit(&g, &next);
			}
			continue;
		}
		/* every inner pattern stands at a wildcard: each byte the outer pattern could read next, and a fresh one */
		{
			bool tried[256] = {false};
			for (size_t k = 0; k <= outer->n && rc == C_OK; k++) {
				int c = k < outer->n && bit(s.outer, k) && outer->t[k].kind == GL_LIT ? outer->t[k].c : -1;
				if (c < 0 || tried[c])
					continue;
				tried[c] = true;
				next = s;
				if (inner_step(p, n, &s, c, &next)) {
					outer_step(outer, s.outer, c, next.outer);
					rc = visit(&g, &next);
				}
			}
			next = s;
			if (rc == C_OK && inner_step(p, n, &s, FRESH, &next)) {
				outer_step(outer, s.outer, FRESH, next.outer);
				rc = visit(&g, &next);
			}
		}
	}
	search_free(&g);
	return rc;
}

int glob_intersects(const struct gpat *p, size_t n, bool *out)
{
	return search(p, n, NULL, out);
}

int glob_covers(const struct gpat *p, size_t n, const struct gpat *outer, bool *out)
{
	bool counterexample;

	if (search(p, n, outer, &counterexample) != C_OK)
		return C_ERR;
	*out = !counterexample;
	return C_OK;
}

int glob_from_request(const char *s, size_t len, bool fold, struct gtok *out, size_t max, size_t *n)
{
	if (len > max)
		return C_ERR;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '*')
			out[i] = (struct gtok){GL_STAR, 0};
		else
			out[i] = (struct gtok){GL_LIT, fold && c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c};
	}
	*n = len;
	return C_OK;
}
