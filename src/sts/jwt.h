/*
 * jwt.h - JSON Web Tokens (RFC 7519) in compact JWS form and JSON Web Key Sets (RFC 7517), for
 * sts:AssumeRoleWithWebIdentity: parsing (jansson, duplicate members refused) and signature verification (OpenSSL 3
 * EVP: no signature code of rolegate's own).
 *
 * Algorithms: RS256, RS384, RS512, PS256, PS384, PS512 (RSA keys of 2048 bits or more), ES256, ES384, ES512 (P-256,
 * P-384, P-521). "none" and the HMAC family (HS*) are refused at parsing: a public-key issuer never signs with a
 * shared secret, and accepting one would let anyone who knows the public key forge tokens.
 *
 * Bounded: a token of at most JWT_MAX bytes, a key set of at most JWKS_MAX bytes and JWKS_KEYS_MAX keys. Nothing
 * here does I/O; src/sts/oidc_keys.c fetches and caches key sets.
 */
#ifndef ROLEGATE_JWT_H
#define ROLEGATE_JWT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JWT_MAX 20000 /* botocore's clientTokenType: at most 20000 characters */
#define JWKS_MAX (256 * 1024)
#define JWKS_KEYS_MAX 64
#define JWT_ERROR_MAX 512

/* A parsed (not yet verified) token. */
struct jwt {
	json_t *header; /* owned */
	json_t *claims; /* owned */
	const char *alg, *kid; /* in header (kid NULL when absent) */
	char *signing_input;   /* owned: "HEADER.PAYLOAD" as received */
	size_t signing_input_len;
	uint8_t *sig; /* owned */
	size_t sig_len;
};

/* Parses a compact JWS. C_OK, or C_ERR with why (a short reason, for the log and the fuzzer) and *out cleared. */
int jwt_parse(const char *token, size_t len, struct jwt *out, char why[JWT_ERROR_MAX]);
/* Releases what a parsed token holds (a cleared one too). */
void jwt_free(struct jwt *t);

struct jwks;

/* Parses a key set: its RSA and EC signing keys ("use" absent or "sig"); others are skipped. NULL when the text is
 * not a key set (why says why) or out of memory. */
struct jwks *jwks_parse(const char *text, size_t len, char why[JWT_ERROR_MAX]);
/* Releases a key set. NULL is fine. */
void jwks_free(struct jwks *k);
/* How many usable keys the set holds. */
size_t jwks_count(const struct jwks *k);

enum jwt_verdict {
	JWT_VALID,     /* signed by a key of the set */
	JWT_NO_KEY,    /* no key of the set has the token's kid (or, without a kid, none fits its alg) */
	JWT_BAD_SIG,   /* the key was found and the signature does not verify */
};

/* Verifies t's signature against the set: by kid when the token names one, else against each key of the right
 * type. */
enum jwt_verdict jwt_verify(const struct jwt *t, const struct jwks *k);

#endif
