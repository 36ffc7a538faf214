/*
 * totp.c - RFC 6238 TOTP / RFC 4226 HOTP with HMAC-SHA1 over OpenSSL 3, and RFC 4648 base32.
 */
#include "util/totp.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* HMAC-SHA1, fetched on first use; each call duplicates the template and sets its key. */
static pthread_mutex_t hmac_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_MAC *mac_hmac;
static EVP_MAC_CTX *hmac_sha1_template;

#define SHA1_LEN 20

/* A fresh HMAC-SHA1 context (caller frees), or NULL when OpenSSL lacks HMAC or SHA1. */
static EVP_MAC_CTX *hmac_sha1_ctx(void)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = NULL;

	pthread_mutex_lock(&hmac_lock);
	if (!hmac_sha1_template) {
		if (!mac_hmac)
			mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		if (mac_hmac)
			hmac_sha1_template = EVP_MAC_CTX_new(mac_hmac);
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0);
		params[1] = OSSL_PARAM_construct_end();
		if (hmac_sha1_template && !EVP_MAC_CTX_set_params(hmac_sha1_template, params)) {
			EVP_MAC_CTX_free(hmac_sha1_template);
			hmac_sha1_template = NULL;
		}
	}
	if (hmac_sha1_template)
		ctx = EVP_MAC_CTX_dup(hmac_sha1_template);
	pthread_mutex_unlock(&hmac_lock);
	return ctx;
}

void totp_cleanup(void)
{
	pthread_mutex_lock(&hmac_lock);
	EVP_MAC_CTX_free(hmac_sha1_template);
	EVP_MAC_free(mac_hmac);
	hmac_sha1_template = NULL;
	mac_hmac = NULL;
	pthread_mutex_unlock(&hmac_lock);
}

/* out = HMAC-SHA1(key, 8-byte big-endian counter). Aborts when OpenSSL cannot compute it (as crypto.c does). */
static void hmac_sha1_counter(const uint8_t *key, size_t keylen, uint64_t counter, uint8_t out[SHA1_LEN])
{
	EVP_MAC_CTX *ctx = hmac_sha1_ctx();
	uint8_t msg[8];
	size_t outlen = 0;

	for (int i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(counter & 0xff);
		counter >>= 8;
	}
	if (!ctx || !EVP_MAC_init(ctx, key, keylen, NULL) || !EVP_MAC_update(ctx, msg, sizeof(msg)) ||
	    !EVP_MAC_final(ctx, out, &outlen, SHA1_LEN) || outlen != SHA1_LEN)
		abort();
	EVP_MAC_CTX_free(ctx);
}

uint64_t totp_counter(int64_t now_s)
{
	return now_s < 0 ? 0 : (uint64_t)now_s / TOTP_STEP_S;
}

uint32_t hotp_value(const uint8_t *key, size_t keylen, uint64_t counter, int digits)
{
	uint8_t mac[SHA1_LEN];
	uint32_t bin, mod = 1;
	int off;

	hmac_sha1_counter(key, keylen, counter, mac);
	/* RFC 4226 5.3: dynamic truncation */
	off = mac[SHA1_LEN - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 | (uint32_t)mac[off + 2] << 8 |
	      (uint32_t)mac[off + 3];
	explicit_bzero(mac, sizeof(mac));
	if (digits < 1)
		digits = 1;
	if (digits > 9)
		digits = 9;
	while (digits-- > 0)
		mod *= 10;
	return bin % mod;
}

void totp_code(const uint8_t *key, size_t keylen, uint64_t counter, char out[TOTP_DIGITS + 1])
{
	uint32_t v = hotp_value(key, keylen, counter, TOTP_DIGITS);

	for (int i = TOTP_DIGITS - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[TOTP_DIGITS] = '\0';
}

/* Whether code is exactly TOTP_DIGITS ASCII digits. */
static bool well_formed(const char *code)
{
	size_t i;

	if (!code)
		return false;
	for (i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return false;
	return code[i] == '\0';
}

bool totp_verify(const uint8_t *key, size_t keylen, const char *code, int64_t now_s, int window, uint64_t *matched)
{
	uint64_t now = totp_counter(now_s), c, best = 0;
	char expect[TOTP_DIGITS + 1];
	bool found = false;

	if (!well_formed(code) || window < 0)
		return false;
	for (int64_t d = -window; d <= window; d++) {
		if (d < 0 && (uint64_t)-d > now)
			continue;
		c = now + (uint64_t)d;
		totp_code(key, keylen, c, expect);
		/* no early exit: every step of the window costs the same */
		if (CRYPTO_memcmp(expect, code, TOTP_DIGITS) == 0) {
			found = true;
			best = c;
		}
	}
	explicit_bzero(expect, sizeof(expect));
	if (found && matched)
		*matched = best;
	return found;
}

bool totp_verify_pair(const uint8_t *key, size_t keylen, const char *code1, const char *code2, int64_t now_s,
                      int window, uint64_t *second)
{
	uint64_t now = totp_counter(now_s), c, best = 0;
	char prev[TOTP_DIGITS + 1], cur[TOTP_DIGITS + 1];
	bool found = false, have_prev = false;

	if (!well_formed(code1) || !well_formed(code2) || window < 0)
		return false;
	/* Walk k + 1 over the window; the code of k is the previous step's, computed once. */
	for (int64_t d = -window - 1; d <= window; d++) {
		if (d < 0 && (uint64_t)-d > now)
			continue;
		c = now + (uint64_t)d;
		totp_code(key, keylen, c, cur);
		if (have_prev && d >= -window) {
			int ok = CRYPTO_memcmp(prev, code1, TOTP_DIGITS) == 0;
			ok &= CRYPTO_memcmp(cur, code2, TOTP_DIGITS) == 0;
			if (ok) {
				found = true;
				best = c;
			}
		}
		memcpy(prev, cur, sizeof(prev));
		have_prev = true;
	}
	explicit_bzero(prev, sizeof(prev));
	explicit_bzero(cur, sizeof(cur));
	if (found && second)
		*second = best;
	return found;
}

int base32_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t len = BASE32_LEN(n), o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (cap < len + 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | in[i]; /* only the low `bits` bits matter */
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	explicit_bzero(&acc, sizeof(acc));
	return (int)o;
}

int base32_decode(const char *in, uint8_t *out, size_t cap, size_t *outlen)
{
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;
	bool padding = false;

	for (const char *p = in; *p; p++) {
		char ch = *p;
		const char *at;
		if (ch == ' ' || ch == '-')
			continue;
		if (ch == '=') {
			padding = true;
			continue;
		}
		if (padding)
			return C_ERR; /* data after padding */
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		at = strchr(b32_alphabet, ch);
		if (!at)
			return C_ERR;
		acc = acc << 5 | (uint32_t)(at - b32_alphabet); /* only the low `bits` bits matter */
		bits += 5;
		if (bits >= 8) {
			if (o >= cap)
				return C_ERR;
			out[o++] = (uint8_t)((acc >> (bits - 8)) & 0xff);
			bits -= 8;
		}
	}
	/* What is left over must be fewer than 5 bits, all zero (a canonical encoding). */
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) {
		explicit_bzero(&acc, sizeof(acc));
		return C_ERR;
	}
	explicit_bzero(&acc, sizeof(acc));
	*outlen = o;
	return C_OK;
}

/* Appends s percent-encoded (all but A-Z a-z 0-9 - . _ ~) at out[*o], within cap bytes (NUL included). */
static int uri_append(char *out, size_t cap, size_t *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		bool plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		             ch == '-' || ch == '.' || ch == '_' || ch == '~';
		if (*o + (plain ? 1 : 3) >= cap)
			return C_ERR;
		if (plain) {
			out[(*o)++] = (char)ch;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[ch >> 4];
			out[(*o)++] = hex[ch & 15];
		}
	}
	out[*o] = '\0';
	return C_OK;
}

/* Appends s as it is. */
static int raw_append(char *out, size_t cap, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + n >= cap)
		return C_ERR;
	memcpy(out + *o, s, n + 1);
	*o += n;
	return C_OK;
}

int totp_uri(char *out, size_t cap, const char *issuer, const char *account, const char *seed_b32)
{
	size_t o = 0;

	if (cap == 0)
		return C_ERR;
	out[0] = '\0';
	if (raw_append(out, cap, &o, "otpauth://totp/") != C_OK || uri_append(out, cap, &o, issuer) != C_OK ||
	    raw_append(out, cap, &o, ":") != C_OK || uri_append(out, cap, &o, account) != C_OK ||
	    raw_append(out, cap, &o, "?secret=") != C_OK || raw_append(out, cap, &o, seed_b32) != C_OK ||
	    raw_append(out, cap, &o, "&issuer=") != C_OK || uri_append(out, cap, &o, issuer) != C_OK) {
		explicit_bzero(out, cap);
		return C_ERR;
	}
	return C_OK;
}
