/*
 * tokens.c - sealing and opening session tokens. The claims travel in a compact binary encoding (below) inside
 * AES-256-GCM.
 */
#include "server/tokens.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/crypto.h"

#define TOKEN_PREFIX "RGT2." /* RGT1 tokens (JSON claims, before 2026-11-26) no longer open */

void claims_clear(struct session_claims *c)
{
	free(c->session_policy);
	c->session_policy = NULL;
	explicit_bzero(c->secret, sizeof(c->secret));
	c->ntags = c->tags_len = 0;
}

int claims_add_tag(struct session_claims *c, const char *key, const char *value, bool transitive)
{
	size_t kl = strlen(key) + 1, vl = strlen(value) + 1;

	if (c->ntags == SESSION_TAGS_MAX || c->tags_len + kl + vl + 2 > sizeof(c->tags))
		return C_ERR;
	memcpy(c->tags + c->tags_len, key, kl);
	memcpy(c->tags + c->tags_len + kl, value, vl);
	c->tags[c->tags_len + kl + vl] = transitive ? '1' : '0';
	c->tags[c->tags_len + kl + vl + 1] = '\0';
	c->tags_len += kl + vl + 2;
	c->ntags++;
	return C_OK;
}

int tags_next(const char *buf, size_t len, size_t *off, const char **key, const char **value, bool *transitive)
{
	if (*off >= len)
		return C_ERR;
	*key = buf + *off;
	*value = *key + strlen(*key) + 1;
	*transitive = (*value)[strlen(*value) + 1] == '1';
	*off += strlen(*key) + strlen(*value) + 4;
	return C_OK;
}

int claims_next_tag(const struct session_claims *c, size_t *off, const char **key, const char **value,
                    bool *transitive)
{
	return tags_next(c->tags, c->tags_len, off, key, value, transitive);
}

/* ---- the claims' encoding ------------------------------------------------------------------------------------
 *
 * Version byte 2, then in this order: kind, chained (one byte each); account, access key id, secret, role id, role
 * name, role path, session name, user id, source ARN, source identity (each a 2-byte little-endian length and the
 * bytes); issued, expires, MFA time (8 bytes each, little-endian); the session policy (a presence byte, then a
 * 4-byte length and the bytes); the tags (a 1-byte count, then key, value, transitive byte per tag). Nothing may
 * follow. Read back with the same bounds the struct has: a claim that would not fit is refused, not cut; flags are
 * 0 or 1 and the kind 'R', 'U', 'C', 'F' or 'G' (F and G came with GetFederationToken: the encoding is unchanged,
 * so tokens sealed before them still open), so an encoding that decodes is the only one of its claims.
 */
#define CLAIMS_VERSION 2

struct writer {
	uint8_t *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct writer *w, const void *src, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void put_u8(struct writer *w, uint8_t v) { put(w, &v, 1); }

static void put_uint(struct writer *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(w, b, n);
}

static void put_str(struct writer *w, const char *s)
{
	size_t n = strlen(s);

	if (n > UINT16_MAX) {
		w->overflow = true;
		return;
	}
	put_uint(w, n, 2);
	put(w, s, n);
}

struct reader {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static const uint8_t *take(struct reader *r, size_t n)
{
	const uint8_t *at = r->p + r->off;

	if (r->bad || n > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	r->off += n;
	return at;
}

static uint64_t get_uint(struct reader *r, size_t n)
{
	const uint8_t *b = take(r, n);
	uint64_t v = 0;

	for (size_t i = 0; b && i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* A byte that must be 0 or 1. */
static bool get_flag(struct reader *r)
{
	uint64_t v = get_uint(r, 1);

	if (v > 1)
		r->bad = true;
	return v == 1;
}

/* A string into dst (cap bytes with its NUL); refused if it holds a NUL or does not fit. */
static void get_str(struct reader *r, char *dst, size_t cap)
{
	size_t n = (size_t)get_uint(r, 2);
	const uint8_t *b = take(r, n);

	dst[0] = '\0';
	if (!b || n >= cap || memchr(b, '\0', n)) {
		r->bad = true;
		return;
	}
	memcpy(dst, b, n);
	dst[n] = '\0';
}

/* The string claims, in their order in the encoding: one list for both directions. */
#define CLAIM(f) {offsetof(struct session_claims, f), sizeof(((struct session_claims *)0)->f)}
static const struct {
	size_t off, size;
} string_claims[] = {
	CLAIM(account_id), CLAIM(access_key_id), CLAIM(secret),       CLAIM(role_id),    CLAIM(role_name),
	CLAIM(role_path),  CLAIM(session_name),  CLAIM(user_id),      CLAIM(source_arn), CLAIM(source_identity),
};
#undef CLAIM

/* Encodes c into out (cap bytes); the length, or 0 if it does not fit. */
static size_t claims_encode(const struct session_claims *c, uint8_t *out, size_t cap)
{
	struct writer w = {.p = out, .cap = cap};
	size_t off = 0;
	const char *tk, *tv;
	bool tt;

	put_u8(&w, CLAIMS_VERSION);
	put_u8(&w, (uint8_t)c->kind);
	put_u8(&w, c->chained);
	for (size_t i = 0; i < ARRAY_LEN(string_claims); i++)
		put_str(&w, (const char *)c + string_claims[i].off);
	put_uint(&w, (uint64_t)c->issued_s, 8);
	put_uint(&w, (uint64_t)c->expires_s, 8);
	put_uint(&w, (uint64_t)c->mfa_s, 8);
	put_u8(&w, c->session_policy != NULL);
	if (c->session_policy) {
		size_t n = strlen(c->session_policy);
		put_uint(&w, n, 4);
		put(&w, c->session_policy, n);
	}
	put_u8(&w, (uint8_t)c->ntags);
	while (claims_next_tag(c, &off, &tk, &tv, &tt) == C_OK) {
		put_str(&w, tk);
		put_str(&w, tv);
		put_u8(&w, tt);
	}
	return w.overflow ? 0 : w.len;
}

int claims_decode(const uint8_t *in, size_t len, struct session_claims *out)
{
	struct reader r = {.p = in, .len = len};
	uint8_t ntags;

	memset(out, 0, offsetof(struct session_claims, tags));
	out->tags_len = out->ntags = 0;
	if (get_uint(&r, 1) != CLAIMS_VERSION)
		goto bad;
	out->kind = (char)get_uint(&r, 1);
	out->chained = get_flag(&r);
	if (!out->kind || !strchr("RUCFG", out->kind))
		goto bad;
	for (size_t i = 0; i < ARRAY_LEN(string_claims); i++)
		get_str(&r, (char *)out + string_claims[i].off, string_claims[i].size);
	out->issued_s = (int64_t)get_uint(&r, 8);
	out->expires_s = (int64_t)get_uint(&r, 8);
	out->mfa_s = (int64_t)get_uint(&r, 8);
	if (get_flag(&r)) {
		size_t n = (size_t)get_uint(&r, 4);
		const uint8_t *b = take(&r, n);
		if (!b || memchr(b, '\0', n) || !(out->session_policy = malloc(n + 1)))
			goto bad;
		memcpy(out->session_policy, b, n);
		out->session_policy[n] = '\0';
	}
	ntags = (uint8_t)get_uint(&r, 1);
	for (unsigned i = 0; i < ntags && !r.bad; i++) {
		char k[TAG_KEY_MAX * 4 + 1], v[TAG_VALUE_MAX * 4 + 1];
		get_str(&r, k, sizeof(k));
		get_str(&r, v, sizeof(v));
		bool transitive = get_flag(&r);
		if (r.bad || claims_add_tag(out, k, v, transitive) != C_OK)
			goto bad;
	}
	if (r.bad || r.off != r.len || !out->access_key_id[0] || !out->secret[0] || !out->expires_s)
		goto bad;
	return C_OK;
bad:
	claims_clear(out);
	return C_ERR;
}

/* ---- sealing ------------------------------------------------------------------------------------------------- */

int token_issue(struct keyring *k, struct db_tx *tx, const struct session_claims *c, char *out, size_t cap)
{
	char kid[KEY_ID_LEN + 1], aad[32];
	uint8_t key[AEAD_KEY_LEN], plain[TOKEN_MAX], sealed[TOKEN_MAX + AEAD_OVERHEAD];
	char *b64 = NULL;
	size_t plen;
	int rc = C_ERR;

	if (keyring_issuing(k, tx, kid, key) != C_OK)
		return C_ERR;
	plen = claims_encode(c, plain, sizeof(plain));
	snprintf(aad, sizeof(aad), TOKEN_PREFIX "%s", kid);
	if (!plen || aead_seal(key, aad, strlen(aad), plain, plen, sealed) != C_OK)
		goto done;
	b64 = base64_encode(sealed, plen + AEAD_OVERHEAD);
	if (!b64)
		goto done;
	if ((size_t)snprintf(out, cap, TOKEN_PREFIX "%s.%s", kid, b64) >= cap)
		goto done;
	rc = C_OK;
done:
	explicit_bzero(key, sizeof(key));
	explicit_bzero(plain, sizeof(plain));
	free(b64);
	return rc;
}

int token_open(struct keyring *k, const char *token, struct session_claims *out)
{
	const char *p, *dot;
	char kid[KEY_ID_LEN + 1], aad[32];
	uint8_t key[AEAD_KEY_LEN], *raw = NULL, plain[TOKEN_MAX];
	size_t rawlen = 0;
	int rc = C_ERR;

	memset(out, 0, offsetof(struct session_claims, tags));
	out->tags_len = out->ntags = 0;
	if (strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0)
		return C_ERR;
	p = token + strlen(TOKEN_PREFIX);
	dot = strchr(p, '.');
	if (!dot || dot - p != KEY_ID_LEN)
		return C_ERR;
	memcpy(kid, p, KEY_ID_LEN);
	kid[KEY_ID_LEN] = '\0';
	if (keyring_find(k, kid, key) != C_OK)
		return C_ERR;
	raw = base64_decode(dot + 1, strlen(dot + 1), &rawlen);
	if (!raw || rawlen < AEAD_OVERHEAD || rawlen - AEAD_OVERHEAD > sizeof(plain))
		goto done;
	snprintf(aad, sizeof(aad), TOKEN_PREFIX "%s", kid);
	if (aead_open(key, aad, strlen(aad), raw, rawlen, plain) != C_OK)
		goto done;
	rc = claims_decode(plain, rawlen - AEAD_OVERHEAD, out);
done:
	explicit_bzero(key, sizeof(key));
	explicit_bzero(plain, sizeof(plain));
	free(raw);
	return rc;
}
