/*
 * crypto.h - the few primitives rolegate needs, over OpenSSL 3 libcrypto.
 *
 * crypto_init() fetches the EVP objects (SHA-256, HMAC, AES-256-GCM) once; every other function uses those and is
 * safe to call from any thread. Nothing here logs.
 */
#ifndef ROLEGATE_CRYPTO_H
#define ROLEGATE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64
#define AEAD_KEY_LEN 32
#define AEAD_NONCE_LEN 12
#define AEAD_TAG_LEN 16
/* A sealed blob is: version byte, nonce, ciphertext, tag. */
#define AEAD_OVERHEAD (1 + AEAD_NONCE_LEN + AEAD_TAG_LEN)

/* Fetches the algorithms once. Returns C_ERR if OpenSSL lacks one of them. */
int crypto_init(void);
/* Releases what crypto_init fetched (for clean exits under LeakSanitizer). */
void crypto_cleanup(void);

/* out = SHA-256(data). */
void crypto_sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/* out = lowercase hex of SHA-256(data), NUL-terminated (65 bytes). */
void crypto_sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
/* out = HMAC-SHA-256(key, data). */
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* Fills buf with n cryptographically random bytes; C_ERR only if the RNG fails. */
int crypto_random(void *buf, size_t n);
/* Returns a uniformly random integer in [0, bound). */
uint32_t crypto_random_below(uint32_t bound);
/* Fills out[0..n) with characters drawn uniformly from alphabet (1 to 256 characters), asking the RNG for bytes in
 * bulk (one RAND_bytes call per 64 bytes, not per character); aborts if the RNG fails. Does not terminate out. */
void crypto_random_chars(const char *alphabet, size_t alphabet_len, char *out, size_t n);

/* Compares n bytes in time independent of their contents. Returns 1 when equal. */
int crypto_equal(const void *a, const void *b, size_t n);

/* Writes 2*n lowercase hex digits and a NUL into out. */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* The value of one hex digit (either case), or -1. */
int hex_digit(char c);
/* Decodes exactly 2*n hex digits from in into out. C_ERR on a non-hex digit. */
int hex_decode(const char *in, size_t n, uint8_t *out);

/* Standard base64 with padding. Returns a malloc'd NUL-terminated string (caller frees) or NULL. */
char *base64_encode(const uint8_t *in, size_t n);
/* Decodes standard base64. Returns a malloc'd buffer (caller frees) with *outlen set, or NULL when malformed. */
uint8_t *base64_decode(const char *in, size_t inlen, size_t *outlen);

/*
 * AES-256-GCM. aead_seal writes AEAD_OVERHEAD + ptlen bytes to out (the caller sizes it); aad is authenticated but
 * not stored, so the same aad must be given to aead_open. aead_open writes ptlen = sealedlen - AEAD_OVERHEAD bytes
 * and returns C_ERR when the blob was not sealed under this key and aad (tampering, wrong key, truncation).
 */
int aead_seal(const uint8_t key[AEAD_KEY_LEN], const void *aad, size_t aadlen, const void *pt, size_t ptlen,
              uint8_t *out);
int aead_open(const uint8_t key[AEAD_KEY_LEN], const void *aad, size_t aadlen, const uint8_t *sealed,
              size_t sealedlen, uint8_t *out);

#endif
