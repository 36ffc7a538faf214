/*
 * oidc_keys.h - an OpenID Connect issuer's signing keys, for sts:AssumeRoleWithWebIdentity: fetched over HTTPS
 * (libcurl) from the issuer's discovery document (ISSUER/.well-known/openid-configuration -> jwks_uri), kept in
 * memory, and fetched again when a token names a key the cache does not hold (at most once per
 * OIDC_REFETCH_MIN_S per issuer: a flood of tokens with made-up kids costs one fetch, not one each).
 *
 * TLS: the issuer's certificate is accepted when it chains to the system's CAs (libcurl's own verification, host
 * name included); failing that, when the provider has thumbprints, when the last certificate of the chain the server
 * presents (its top intermediate or root CA, as AWS documents) has one of the provider's thumbprints (SHA-1 of its
 * DER) and the chain verifies up to it, with the host name, dates and purpose checked by OpenSSL. A thumbprint pins
 * a CA the operator chose; nothing is ever accepted unverified.
 *
 * Bounded: a document of at most JWKS_MAX bytes, 3 s to connect and 5 s per fetch, no redirects, https only, at
 * most OIDC_CACHE_MAX issuers (the least recently used is forgotten).
 */
#ifndef ROLEGATE_OIDC_KEYS_H
#define ROLEGATE_OIDC_KEYS_H

#include <jansson.h>
#include <stdint.h>

#include "sts/jwt.h"

#define OIDC_CACHE_MAX 64
#define OIDC_REFETCH_MIN_S 10 /* an unknown kid fetches the keys again at most this often per issuer */
#define OIDC_KEYS_TTL_S 3600  /* keys are fetched again after an hour, in case the issuer revoked one */
#define OIDC_FAILURE_HOLD_S 5 /* an issuer that could not be reached is not tried again for this long */

enum oidc_keys_result {
	OIDC_KEYS_VERIFIED,    /* the token's signature verifies with one of the issuer's keys */
	OIDC_KEYS_BAD_SIG,     /* the key the token names does not verify it */
	OIDC_KEYS_NO_KEY,      /* no key of the issuer (fetched again, within the bound) is the one the token names */
	OIDC_KEYS_UNREACHABLE, /* the issuer could not be reached (connection, timeout) */
	OIDC_KEYS_BAD_DOCS,    /* it answered, but not its discovery document and key set (HTTP status, content) */
	OIDC_KEYS_BAD_CERT,    /* its HTTPS certificate is neither trusted by the system nor a thumbprint's */
};

/*
 * Verifies t, whose issuer is `issuer` ("https://HOST[/PATH]"), against the issuer's key set; thumbprints is the
 * provider's ThumbprintList (a JSON array of 40 hex digits each). why receives a reason for the log. Thread-safe.
 */
enum oidc_keys_result oidc_keys_verify(const char *issuer, json_t *thumbprints, const struct jwt *t, int64_t now_s,
                                       char why[JWT_ERROR_MAX]);
/* How many HTTPS fetches of key sets were made since the start (for the tests of the refetch bound). */
uint64_t oidc_keys_fetches(void);
/* Forgets every cached key set (at exit). */
void oidc_keys_clear(void);

#endif
