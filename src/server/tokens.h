/*
 * tokens.h - sealed session tokens: everything needed to verify a temporary credential, in the token itself.
 *
 * A token is "RGT2." + key id + "." + base64(AES-256-GCM(claims)), sealed under a server key (keyring.h) with the
 * key id as associated data. Verifying a temporary credential opens the token (no per-session row, no write):
 * the claims name the access key id it was issued with and carry its secret, the principal, the times, MFA, the
 * source identity, the session policy and the session tags. A token that does not open is refused as
 * InvalidClientTokenId; one past its expiry as ExpiredToken.
 */
#ifndef ROLEGATE_TOKENS_H
#define ROLEGATE_TOKENS_H

#include <stdbool.h>
#include <stdint.h>

#include "server/keyring.h"
#include "store/store.h"

#define TOKEN_MAX 8192
#define SESSION_TAGS_MAX 50

struct session_claims {
	/* 'R' an assumed-role session, 'U' a GetSessionToken session, 'C' a console session of a user or root (the web
	 * console's sign-in: temporary, not bound by GetSessionToken's limits on IAM and STS), 'F' a federated-user
	 * session (GetFederationToken: session_name is the federated user's name, user_id the IAM user that called it,
	 * "" for the account root), 'G' that federated user's console session (/federation login with 'F' credentials:
	 * the same claims under a key of its own; IAM is open to it as AWS's console opens it) */
	char kind;
	char account_id[ACCOUNT_ID_LEN + 1]; /* the account of the role (R) or of the user/root (U, C, F, G) */
	char access_key_id[IAM_ID_MAX];      /* ASIA... */
	char secret[64];
	/* R: the role and the session name; U, C: the user ("" for the account root); F, G: the federated user's name
	 * (session_name) and the IAM user that called GetFederationToken (user_id, "" for the account root) */
	char role_id[IAM_ID_MAX];
	char role_name[IAM_NAME_MAX + 1];
	char role_path[IAM_PATH_MAX + 1];
	char session_name[65];
	char user_id[IAM_ID_MAX];
	char source_arn[ARN_MAX + 1]; /* who obtained the session */
	int64_t issued_s, expires_s;
	int64_t mfa_s; /* when MFA was verified, 0 without MFA */
	char source_identity[65];
	char *session_policy; /* the combined session policy document, or NULL; owned: claims_clear() frees it */
	bool chained;         /* obtained with role-session credentials (role chaining) */
	/* the session tags, packed: "key\0value\0T\0" per tag (T: '1' transitive, '0' not) */
	char tags[SESSION_TAGS_BYTES];
	size_t tags_len;
	size_t ntags;
};

void claims_clear(struct session_claims *c);
/* Appends a session tag. C_ERR when the packed tags would not fit. */
int claims_add_tag(struct session_claims *c, const char *key, const char *value, bool transitive);
/* Walks packed tags (buf, len): *off starts at 0; C_OK while there is a tag. */
int tags_next(const char *buf, size_t len, size_t *off, const char **key, const char **value, bool *transitive);
/* Walks the tags of c: *off starts at 0; C_OK while there is a tag. */
int claims_next_tag(const struct session_claims *c, size_t *off, const char **key, const char **value,
                    bool *transitive);

/* Seals c into out (a NUL-terminated token) under the issuing key (tx: the request's open transaction, through
 * which a rotated key is noticed). C_ERR when the keyring has no key or the token would not fit. */
int token_issue(struct keyring *k, struct db_tx *tx, const struct session_claims *c, char *out, size_t cap);
/* Opens a token. C_ERR when it is not one of ours, was tampered with, or its key is unknown. */
int token_open(struct keyring *k, const char *token, struct session_claims *out);
/* Decodes the claims of an opened token (exposed for the fuzzer). C_ERR for anything but a whole, well-formed
 * encoding whose every claim fits its field; out is then cleared. */
int claims_decode(const uint8_t *in, size_t len, struct session_claims *out);

#endif
