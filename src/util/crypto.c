/*
 * crypto.c - SHA-256, HMAC, AES-256-GCM and randomness over OpenSSL 3, with the EVP objects fetched once.
 */
#include "util/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

static EVP_MD *md_sha256;
static EVP_MAC *mac_hmac;
static EVP_CIPHER *cipher_gcm;
/* A ready HMAC-SHA-256 context template; per call we dup it and set the key. */
static EVP_MAC_CTX *hmac_template;

#define SEAL_VERSION 1

int crypto_init(void)
{
	OSSL_PARAM params[2];

	if (md_sha256)
		return C_OK;
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	cipher_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (!md_sha256 || !mac_hmac || !cipher_gcm)
		return C_ERR;
	hmac_template = EVP_MAC_CTX_new(mac_hmac);
	if (!hmac_template)
		return C_ERR;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_CTX_set_params(hmac_template, params))
		return C_ERR;
	return C_OK;
}

void crypto_cleanup(void)
{
	EVP_MAC_CTX_free(hmac_template);
	EVP_MAC_free(mac_hmac);
	EVP_MD_free(md_sha256);
	EVP_CIPHER_free(cipher_gcm);
	hmac_template = NULL;
	mac_hmac = NULL;
	md_sha256 = NULL;
	cipher_gcm = NULL;
}

void crypto_sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	unsigned int outlen = SHA256_LEN;

	if (!EVP_Digest(data, len, out, &outlen, md_sha256, NULL))
		abort();
}

void crypto_sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	uint8_t d[SHA256_LEN];

	crypto_sha256(data, len, d);
	hex_encode(d, SHA256_LEN, out);
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(hmac_template);
	size_t outlen = 0;

	if (!ctx || !EVP_MAC_init(ctx, key, keylen, NULL) || !EVP_MAC_update(ctx, data, len) ||
	    !EVP_MAC_final(ctx, out, &outlen, SHA256_LEN))
		abort();
	EVP_MAC_CTX_free(ctx);
}

/* Small draws (identifiers, nonces: a request takes several) come from a per-thread pool filled by one RAND_bytes
 * call; each byte handed out is wiped from the pool. OpenSSL's DRBG checks for a fork (getpid) on every call, which
 * costs a system call per draw. rolegate never forks. */
#define POOL_BYTES 256
#define POOL_MAX_DRAW 64

static _Thread_local struct {
	uint8_t b[POOL_BYTES];
	size_t used; /* bytes of b already handed out (and wiped) */
	bool filled;
} rand_pool;

int crypto_random(void *buf, size_t n)
{
	if (n > POOL_MAX_DRAW)
		return RAND_bytes(buf, (int)n) == 1 ? C_OK : C_ERR;
	if (!rand_pool.filled || POOL_BYTES - rand_pool.used < n) {
		if (RAND_bytes(rand_pool.b, POOL_BYTES) != 1)
			return C_ERR;
		rand_pool.used = 0;
		rand_pool.filled = true;
	}
	memcpy(buf, rand_pool.b + rand_pool.used, n);
	explicit_bzero(rand_pool.b + rand_pool.used, n);
	rand_pool.used += n;
	return C_OK;
}

uint32_t crypto_random_below(uint32_t bound)
{
	uint32_t x, limit;

	if (bound <= 1)
		return 0;
	limit = UINT32_MAX - UINT32_MAX % bound;

	do {
		if (crypto_random(&x, sizeof(x)) != C_OK)
			abort();
	} while (x >= limit);
	return x % bound;
}

void crypto_random_chars(const char *alphabet, size_t alphabet_len, char *out, size_t n)
{
	/* A byte b is used only below the largest multiple of alphabet_len (rejection keeps the draw uniform). */
	unsigned limit = 256 - 256 % (unsigned)alphabet_len;
	uint8_t pool[64];
	size_t used = sizeof(pool);

	while (n > 0) {
		if (used == sizeof(pool)) {
			if (crypto_random(pool, sizeof(pool)) != C_OK)
				abort();
			used = 0;
		}
		if (pool[used] < limit) {
			*out++ = alphabet[pool[used] % alphabet_len];
			n--;
		}
		used++;
	}
	explicit_bzero(pool, sizeof(pool));
}

int crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *in, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(in[2 * i]), lo = hex_digit(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return C_ERR;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return C_OK;
}

char *base64_encode(const uint8_t *in, size_t n)
{
	char *out;

	if (n > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc(4 * ((n + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

uint8_t *base64_decode(const char *in, size_t inlen, size_t *outlen)
{
	uint8_t *out;
	int n, pad = 0;

	if (inlen % 4 != 0 || inlen > (size_t)INT32_MAX / 2)
		return NULL;
	for (size_t i = 0; i < inlen; i++) {
		char c = in[i];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
		         c == '/';
		if (c == '=' && i >= inlen - 2) {
			pad++;
			continue;
		}
		if (!ok || pad)
			return NULL;
	}
	out = malloc(inlen / 4 * 3 + 1);
	if (!out)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
	if (n < 0) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)n - (size_t)pad;
	return out;
}

int aead_seal(const uint8_t key[AEAD_KEY_LEN], const void *aad, size_t aadlen, const void *pt, size_t ptlen,
              uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t *nonce = out + 1, *ct = out + 1 + AEAD_NONCE_LEN;
	int len, ok = 0;

	if (!ctx || ptlen > INT32_MAX || aadlen > INT32_MAX)
		goto done;
	out[0] = SEAL_VERSION;
	if (crypto_random(nonce, AEAD_NONCE_LEN) != C_OK)
		goto done;
	if (!EVP_EncryptInit_ex2(ctx, cipher_gcm, key, nonce, NULL))
		goto done;
	if (aadlen && !EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aadlen))
		goto done;
	if (ptlen && !EVP_EncryptUpdate(ctx, ct, &len, pt, (int)ptlen))
		goto done;
	if (!EVP_EncryptFinal_ex(ctx, ct + ptlen, &len))
		goto done;
	if (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, AEAD_TAG_LEN, ct + ptlen))
		goto done;
	ok = 1;
done:
	EVP_CIPHER_CTX_free(ctx);
	return ok ? C_OK : C_ERR;
}

int aead_open(const uint8_t key[AEAD_KEY_LEN], const void *aad, size_t aadlen, const uint8_t *sealed,
              size_t sealedlen, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = NULL;
	const uint8_t *nonce, *ct;
	size_t ctlen;
	uint8_t tag[AEAD_TAG_LEN];
	int len, ok = 0;

	if (sealedlen < AEAD_OVERHEAD || sealed[0] != SEAL_VERSION || sealedlen > INT32_MAX || aadlen > INT32_MAX)
		return C_ERR;
	nonce = sealed + 1;
	ct = sealed + 1 + AEAD_NONCE_LEN;
	ctlen = sealedlen - AEAD_OVERHEAD;
	memcpy(tag, ct + ctlen, AEAD_TAG_LEN);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || !EVP_DecryptInit_ex2(ctx, cipher_gcm, key, nonce, NULL))
		goto done;
	if (aadlen && !EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aadlen))
		goto done;
	if (ctlen && !EVP_DecryptUpdate(ctx, out, &len, ct, (int)ctlen))
		goto done;
	if (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, AEAD_TAG_LEN, tag))
		goto done;
	if (EVP_DecryptFinal_ex(ctx, out + ctlen, &len) <= 0)
		goto done;
	ok = 1;
done:
	EVP_CIPHER_CTX_free(ctx);
	if (!ok && ctlen)
		explicit_bzero(out, ctlen);
	return ok ? C_OK : C_ERR;
}
