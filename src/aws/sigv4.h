/*
 * sigv4.h - AWS Signature Version 4: one implementation for the server's verifier and the client's signer.
 *
 * The canonicalisation follows AWS's published algorithm and its test suite (tests/data/aws-signing-test-suite):
 * path normalisation (non-S3 services), double URI-encoding of the path, the query parameters as aws/form.c's
 * form_next() decodes them for the action ('+' a space) URI-encoded again and sorted,
 * lowercased, trimmed and space-collapsed header values joined with ',' for repeated names.
 *
 * A verifier does, per request:
 *   sigv4_parse()            -> struct sigv4_auth (from the Authorization header or a presigned query)
 *   look up the secret for auth.access_key_id, derive or fetch the signing key (sigv4_signing_key)
 *   sigv4_check_time()       -> skew / expiry with AWS's messages
 *   sigv4_verify()           -> recomputes the signature and compares it in constant time
 */
#ifndef ROLEGATE_SIGV4_H
#define ROLEGATE_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/crypto.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* Largest clock difference accepted between the request's date and ours, as on AWS. */
#define SIGV4_MAX_SKEW_S (15 * 60)
/* Presigned URLs may be valid for at most 7 days. */
#define SIGV4_MAX_EXPIRES_S 604800

struct sigv4_header {
	const char *name; /* any case; not NUL-terminated necessarily */
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* A request as received (verifier) or about to be sent (signer). Nothing here is owned. */
struct sigv4_request {
	const char *method;
	const char *path; /* the path as on the wire, without the query string */
	size_t path_len;
	const char *query; /* the raw query string without '?', or NULL */
	size_t query_len;
	const struct sigv4_header *headers;
	size_t nheaders;
	/* Lowercase hex SHA-256 of the body, computed by the caller (the verifier never trusts the header's value). */
	char payload_hash[SHA256_HEX_LEN + 1];
	bool normalize_path; /* true for every service except S3 */
};

/* What the signature claims: parsed from the Authorization header or the X-Amz-* query parameters. */
struct sigv4_auth {
	char access_key_id[129];
	char scope_date[9];      /* YYYYMMDD from the credential scope */
	char region[64];
	char service[64];
	char amz_date[17];       /* YYYYMMDDTHHMMSSZ: the request's signing time */
	char signed_headers[1024]; /* "host;x-amz-date", as given */
	char signature[65];       /* lowercase hex */
	bool presigned;
	int64_t expires_s; /* presigned only: X-Amz-Expires */
	int64_t time_s;    /* amz_date as seconds since the epoch */
	/* The x-amz-content-sha256 value when present ("" otherwise): checked against the body by sigv4_verify. */
	char content_sha256[SHA256_HEX_LEN + 1 + 16];
	/* Last, so that sigv4_parse need not clear all of it. */
	char security_token[4096]; /* X-Amz-Security-Token, "" when absent */
};

/* Why a request failed: an AWS error code and AWS's message. */
struct sigv4_error {
	const char *code; /* "IncompleteSignature", "SignatureDoesNotMatch", "MissingAuthenticationToken", ... */
	char message[512];
};

/*
 * Extracts the claimed signature from req. Returns C_OK, or C_ERR with err set:
 * MissingAuthenticationToken when the request carries no signature at all, IncompleteSignature when it is
 * malformed (AWS's messages).
 */
int sigv4_parse(const struct sigv4_request *req, struct sigv4_auth *auth, struct sigv4_error *err);

/*
 * Checks the signing time against now_s: at most SIGV4_MAX_SKEW_S either way, and for presigned requests not past
 * X-Amz-Expires. C_ERR with AWS's "Signature expired: ..." / "Signature not yet current: ..." messages.
 */
int sigv4_check_time(const struct sigv4_auth *auth, int64_t now_s, struct sigv4_error *err);

/* Derives the signing key HMAC chain for (secret, date, region, service). */
void sigv4_signing_key(const char *secret, size_t secret_len, const char *date, const char *region,
                       const char *service, uint8_t key[SHA256_LEN]);

/*
 * Builds the canonical request for req and the given signed-header list ("a;b;c"). presigned drops
 * X-Amz-Signature from the query. payload is the hash line to use. C_ERR on malformed input (bad
 * percent-encoding in the query) or when out's cap is reached.
 */
int sigv4_canonical_request(const struct sigv4_request *req, const char *signed_headers, bool presigned,
                            const char *payload, struct buf *out);

/* Builds the string to sign from the signing time, the scope "date/region/service/aws4_request" and the
 * canonical request. */
int sigv4_string_to_sign(const char *amz_date, const char *scope, const char *canonical, struct buf *out);

/*
 * Recomputes the signature of req under key and compares it with auth->signature in constant time.
 * Also checks that every signed header is present and that x-amz-content-sha256, when present, matches the body.
 * C_ERR with SignatureDoesNotMatch and AWS's message.
 *
 * The session token need not be signed: an X-Amz-Security-Token header missing from SignedHeaders is accepted,
 * and so is a presigned request whose X-Amz-Security-Token parameter was added after signing (AWS's
 * omit_session_token; the signature is then checked over every other parameter). Either way the signature does not
 * bind auth->security_token, so the caller must check that the token belongs to auth->access_key_id.
 */
int sigv4_verify(const struct sigv4_request *req, const struct sigv4_auth *auth, const uint8_t key[SHA256_LEN],
                 struct sigv4_error *err);

/* Writes the scope "YYYYMMDD/region/service/aws4_request" for auth into out. */
void sigv4_scope(const struct sigv4_auth *auth, char *out, size_t cap);

/* Formats t as "YYYYMMDDTHHMMSSZ" (17 bytes with the NUL). */
void sigv4_format_time(int64_t t, char out[17]);
/* Parses "YYYYMMDDTHHMMSSZ". C_ERR when malformed. */
int sigv4_parse_time(const char *s, int64_t *t);

/* Credentials for signing. session_token may be NULL. */
struct sigv4_credentials {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;
};

/*
 * Signs req with the Authorization header: computes the signature over every header in req (all of them are
 * signed; the caller includes host and x-amz-date, and x-amz-security-token when it has one) and writes the
 * header value "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." into out.
 */
int sigv4_sign_header(const struct sigv4_request *req, const struct sigv4_credentials *creds, const char *region,
                      const char *service, int64_t now_s, struct buf *out);

/* Lowercase-hex signature of string_to_sign under key (65 bytes with the NUL). */
void sigv4_signature(const uint8_t key[SHA256_LEN], const char *string_to_sign, size_t len, char out[65]);

/* Appends the URI encoding of s (unreserved characters kept; '/' kept when keep_slash). */
int sigv4_uri_encode(struct buf *out, const char *s, size_t len, bool keep_slash);

#endif
