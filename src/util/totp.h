/*
 * totp.h - time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) as virtual MFA devices use them: HMAC-SHA1,
 * 6 digits, 30-second steps counted from the Unix epoch; and the RFC 4648 base32 alphabet their seeds are written in.
 *
 * HMAC-SHA1 is fetched from OpenSSL once (on first use, thread-safe); every function is safe to call from any
 * thread and nothing here logs. Keys are the raw seed bytes: callers wipe them (explicit_bzero) when done.
 */
#ifndef ROLEGATE_TOTP_H
#define ROLEGATE_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOTP_DIGITS 6
#define TOTP_STEP_S 30
/* A virtual MFA seed: 40 random bytes, 64 base32 characters (the length of AWS's Base32StringSeed). */
#define TOTP_SEED_LEN 40
#define TOTP_SEED_B32_LEN 64

/* The base32 text of n bytes: ceil(8n / 5) characters, without padding. */
#define BASE32_LEN(n) (((n) * 8 + 4) / 5)

/* The counter (time step) that contains the Unix time now_s. */
uint64_t totp_counter(int64_t now_s);

/* The RFC 4226 HOTP value of key at counter, reduced to `digits` decimal digits (1..9). */
uint32_t hotp_value(const uint8_t *key, size_t keylen, uint64_t counter, int digits);

/* The 6-digit code of key at counter, zero-padded, NUL-terminated. */
void totp_code(const uint8_t *key, size_t keylen, uint64_t counter, char out[TOTP_DIGITS + 1]);

/*
 * Checks code (exactly 6 ASCII digits) against the counters of now_s - window .. now_s + window steps. Every counter
 * in the window is computed and compared in constant time, so timing does not tell which one matched. Returns true
 * and sets *matched (the largest matching counter) when one matches; false otherwise (and for malformed codes).
 */
bool totp_verify(const uint8_t *key, size_t keylen, const char *code, int64_t now_s, int window, uint64_t *matched);

/*
 * Checks two codes generated one step apart (code1 at counter k, code2 at k + 1), for some k + 1 within `window`
 * steps of now_s, as EnableMFADevice and ResyncMFADevice take them. Sets *second to k + 1 (the largest such k + 1
 * when several match).
 */
bool totp_verify_pair(const uint8_t *key, size_t keylen, const char *code1, const char *code2, int64_t now_s,
                      int window, uint64_t *second);

/*
 * Writes the base32 text of n bytes (RFC 4648 alphabet, upper case, no padding) and a NUL into out, which holds
 * cap bytes (at least BASE32_LEN(n) + 1). Returns the number of characters, or -1 when out is too small.
 */
int base32_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/*
 * Decodes base32 text (either case; trailing '=' padding, spaces and hyphens are ignored) into out (cap bytes).
 * Sets *outlen. C_ERR on a character outside the alphabet, non-zero leftover bits, or when out is too small.
 */
int base32_decode(const char *in, uint8_t *out, size_t cap, size_t *outlen);

/*
 * Writes the key URI an authenticator app reads (Google Authenticator's format, what the QR code of a virtual MFA
 * device holds): otpauth://totp/ISSUER:ACCOUNT?secret=SEED&issuer=ISSUER, with ISSUER and ACCOUNT percent-encoded
 * (all but A-Z a-z 0-9 - . _ ~). C_ERR when out (cap bytes) is too small. The URI holds the seed: wipe it.
 */
int totp_uri(char *out, size_t cap, const char *issuer, const char *account, const char *seed_b32);

/* Releases the HMAC-SHA1 objects (for clean exits under LeakSanitizer); the next use fetches them again. */
void totp_cleanup(void);

#endif
