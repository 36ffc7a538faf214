/*
 * globset.h - exact questions about the sets of strings that glob patterns ('*': any run of characters, possibly
 * empty; '?': one character) stand for: do some patterns have a string in common, does the common part of some
 * patterns lie inside another.
 *
 * Both are decided by the classic product-automaton search (each pattern is a small NFA: one state per token;
 * containment determinises the outer pattern on the fly, as a set of its positions). The search is bounded in
 * patterns' length and in states visited; past a bound the answer is C_ERR (the caller fails closed).
 * Characters are bytes; the caller folds case first when the comparison ignores it.
 */
#ifndef ROLEGATE_POLICY_GLOBSET_H
#define ROLEGATE_POLICY_GLOBSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { GL_LIT, GL_STAR, GL_ANY };

/* One token: a literal byte, '*' or '?'. */
struct gtok {
	uint8_t kind;
	unsigned char c; /* GL_LIT */
};

struct gpat {
	const struct gtok *t;
	size_t n;
};

#define GLOB_MAX_LEN 1024      /* tokens of one pattern (intersection) */
#define GLOB_MAX_OUTER 255     /* tokens of the outer pattern of a containment question */
#define GLOB_MAX_STATES 200000 /* product states one question may visit */
#define GLOB_MAX_PATS 3        /* patterns of one intersection */

/* Whether the patterns p[0..n) (1 <= n <= GLOB_MAX_PATS) have a string in common: *out. C_ERR past the bounds
 * (or out of memory). */
int glob_intersects(const struct gpat *p, size_t n, bool *out);

/* Whether every string common to p[0..n) (1 <= n <= 2) matches outer: *out. C_ERR past the bounds. */
int glob_covers(const struct gpat *p, size_t n, const struct gpat *outer, bool *out);

/* Tokenises text as a request pattern: '*' is a wildcard, every other byte (even '?') literal; lowercased when
 * fold. C_ERR when longer than max tokens. */
int glob_from_request(const char *s, size_t len, bool fold, struct gtok *out, size_t max, size_t *n);

#endif
