/*
 * positions.c - where a statement sits in a policy document's text, for the policy simulator's MatchedStatements
 * (StartPosition / EndPosition). A small scanner over JSON that the engine has already compiled (so well formed):
 * it walks the top-level object to "Statement" and counts its elements. It decides nothing.
 */
#include <string.h>

#include "policy/policy.h"
#include "util/common.h"

struct scan {
	const char *s;
	size_t len, i;
};

static void skip_ws(struct scan *sc)
{
	while (sc->i < sc->len && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' || sc->s[sc->i] == '\n' ||
	                           sc->s[sc->i] == '\r'))
		sc->i++;
}

/* Skips a string (at its opening quote). */
static int skip_string(struct scan *sc)
{
	if (sc->i >= sc->len || sc->s[sc->i] != '"')
		return C_ERR;
	for (sc->i++; sc->i < sc->len; sc->i++) {
		if (sc->s[sc->i] == '\\')
			sc->i++;
		else if (sc->s[sc->i] == '"') {
			sc->i++;
			return C_OK;
		}
	}
	return C_ERR;
}

/* Skips one value: a string, an object or array (with what it nests), or a scalar. */
static int skip_value(struct scan *sc)
{
	int depth = 0;

	skip_ws(sc);
	if (sc->i >= sc->len)
		return C_ERR;
	if (sc->s[sc->i] == '"')
		return skip_string(sc);
	if (sc->s[sc->i] != '{' && sc->s[sc->i] != '[') {
		while (sc->i < sc->len && !strchr(",}] \t\r\n", sc->s[sc->i]))
			sc->i++;
		return C_OK;
	}
	while (sc->i < sc->len) {
		char ch = sc->s[sc->i];
		if (ch == '"') {
			if (skip_string(sc) != C_OK)
				return C_ERR;
			continue;
		}
		if (ch == '{' || ch == '[')
			depth++;
		else if (ch == '}' || ch == ']')
			depth--;
		sc->i++;
		if (depth == 0)
			return C_OK;
	}
	return C_ERR;
}

/* The position of the character at offset off (columns count characters, not UTF-8 continuation bytes). */
static struct policy_position position_of(const char *s, size_t off)
{
	struct policy_position p = {1, 1};

	for (size_t i = 0; i < off; i++) {
		if (s[i] == '\n') {
			p.line++;
			p.column = 1;
		} else if (((unsigned char)s[i] & 0xC0) != 0x80) {
			p.column++;
		}
	}
	p.column++; /* just past the character, as AWS counts */
	return p;
}

/* Fills start / end from the object at sc->i. */
static int object_span(struct scan *sc, struct policy_position *start, struct policy_position *end)
{
	size_t open = sc->i;

	if (sc->i >= sc->len || sc->s[sc->i] != '{' || skip_value(sc) != C_OK)
		return C_ERR;
	*start = position_of(sc->s, open);
	*end = position_of(sc->s, sc->i - 1);
	return C_OK;
}

int policy_statement_position(const char *doc, size_t len, size_t index, struct policy_position *start,
                              struct policy_position *end)
{
	struct scan sc = {.s = doc, .len = len, .i = 0};

	skip_ws(&sc);
	if (sc.i >= len || doc[sc.i] != '{')
		return C_ERR;
	sc.i++;
	for (;;) {
		size_t key;
		skip_ws(&sc);
		if (sc.i >= len || doc[sc.i] == '}')
			return C_ERR;
		key = sc.i;
		if (skip_string(&sc) != C_OK)
			return C_ERR;
		skip_ws(&sc);
		if (sc.i >= len || doc[sc.i] != ':')
			return C_ERR;
		sc.i++;
		skip_ws(&sc);
		if (sc.i - key >= 11 && memcmp(doc + key, "\"Statement\"", 11) == 0 &&
		    (doc[key + 11] == ':' || doc[key + 11] == ' ' || doc[key + 11] == '\t' || doc[key + 11] == '\r' ||
		     doc[key + 11] == '\n')) {
			if (sc.i < len && doc[sc.i] == '{')
				return index == 0 ? object_span(&sc, start, end) : C_ERR;
			if (sc.i >= len || doc[sc.i] != '[')
				return C_ERR;
			sc.i++;
			for (size_t n = 0;; n++) {
				skip_ws(&sc);
				if (sc.i >= len || doc[sc.i] == ']')
					return C_ERR;
				if (n == index)
					return object_span(&sc, start, end);
				if (skip_value(&sc) != C_OK)
					return C_ERR;
				skip_ws(&sc);
				if (sc.i < len && doc[sc.i] == ',')
					sc.i++;
			}
		}
		if (skip_value(&sc) != C_OK)
			return C_ERR;
		skip_ws(&sc);
		if (sc.i < len && doc[sc.i] == ',')
			sc.i++;
	}
}
