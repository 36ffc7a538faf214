/*
 * session.c - console sessions, their cookie and CSRF tokens (session.h).
 *
 * The cookie is "RGC1." KID "." hex(AES-256-GCM(session id)), sealed under the server's token key KID with
 * "RGC1.KID.cookie" as associated data: only this server's keys open it, a changed byte fails the tag, and the id
 * inside must still name a row that has not expired.
 */
#include "console/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth.h"
#include "server/keyring.h"
#include "server/tokens.h"
#include "store/login.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/log.h"

#define COOKIE_PREFIX "RGC1."
#define COOKIE_MAX (sizeof(COOKIE_PREFIX) + KEY_ID_LEN + 1 + 2 * (CONSOLE_ID_LEN + AEAD_OVERHEAD) + 1)

static const char id_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A new random id or CSRF token (CONSOLE_ID_LEN characters of base64url: 258 bits). */
static void new_id(char out[CONSOLE_ID_LEN + 1])
{
	crypto_random_chars(id_alphabet, 64, out, CONSOLE_ID_LEN);
	out[CONSOLE_ID_LEN] = '\0';
}

static void cookie_aad(const char *kid, char aad[32])
{
	snprintf(aad, 32, COOKIE_PREFIX "%s.cookie", kid);
}

/* Seals id into a cookie value (out: COOKIE_MAX). */
static int cookie_seal(struct console_req *cr, const char *id, char *out, size_t cap)
{
	char kid[KEY_ID_LEN + 1], aad[32];
	uint8_t key[AEAD_KEY_LEN], sealed[CONSOLE_ID_LEN + AEAD_OVERHEAD];
	struct db_tx *tx;
	int rc;

	if (db_begin(cr->srv->db, false, &tx) != C_OK)
		return C_ERR;
	rc = keyring_issuing(cr->srv->keyring, tx, kid, key);
	db_rollback(tx);
	if (rc != C_OK)
		return C_ERR;
	cookie_aad(kid, aad);
	rc = aead_seal(key, aad, strlen(aad), id, CONSOLE_ID_LEN, sealed);
	explicit_bzero(key, sizeof(key));
	if (rc != C_OK || cap < COOKIE_MAX)
		return C_ERR;
	snprintf(out, cap, COOKIE_PREFIX "%s.", kid);
	hex_encode(sealed, sizeof(sealed), out + strlen(out));
	return C_OK;
}

/* Opens a cookie value into id. C_ERR when it is not one of this server's or was changed. */
static int cookie_open(struct console_req *cr, const char *cookie, char id[CONSOLE_ID_LEN + 1])
{
	const char *p = cookie + strlen(COOKIE_PREFIX);
	char kid[KEY_ID_LEN + 1], aad[32];
	uint8_t key[AEAD_KEY_LEN], sealed[CONSOLE_ID_LEN + AEAD_OVERHEAD];
	int rc;

	if (strncmp(cookie, COOKIE_PREFIX, strlen(COOKIE_PREFIX)) != 0 || strlen(p) != KEY_ID_LEN + 1 + 2 * sizeof(sealed) ||
	    p[KEY_ID_LEN] != '.' || hex_decode(p + KEY_ID_LEN + 1, sizeof(sealed), sealed) != C_OK)
		return C_ERR;
	memcpy(kid, p, KEY_ID_LEN);
	kid[KEY_ID_LEN] = '\0';
	if (keyring_find(cr->srv->keyring, kid, key) != C_OK)
		return C_ERR;
	cookie_aad(kid, aad);
	rc = aead_open(key, aad, strlen(aad), sealed, sizeof(sealed), (uint8_t *)id);
	explicit_bzero(key, sizeof(key));
	if (rc != C_OK)
		return C_ERR;
	id[CONSOLE_ID_LEN] = '\0';
	for (size_t i = 0; i < CONSOLE_ID_LEN; i++)
		if (!strchr(id_alphabet, id[i]) || !id[i])
			return C_ERR;
	return C_OK;
}

/* The principal of a sealed token, for display and for the row (its session policy is not needed here). */
static int token_principal(struct console_req *cr, const char *token, struct principal *p)
{
	struct policy *sp = NULL;
	struct aws_err err;
	int rc = auth_token_principal(cr->srv, token, cr->now_ms, p, &sp, &err);

	policy_release(sp);
	return rc;
}

/* Fills s's principals and alias from its row. C_ERR when the signer's token no longer opens (expired, account
 * closed, key gone): signed out. */
static int session_fill(struct console_req *cr, struct console_session *s)
{
	struct db_tx *tx;

	if (s->row.expires_ms <= cr->now_ms || token_principal(cr, s->row.token, &s->signer) != C_OK)
		return C_ERR;
	s->active = s->signer;
	s->role_active = false;
	s->role_ended = false;
	if (s->row.role_token[0]) {
		if (token_principal(cr, s->row.role_token, &s->active) == C_OK) {
			s->role_active = true;
		} else {
			s->active = s->signer; /* the role session expired: the console is the signer's again */
			s->role_ended = true;  /* ... and the next page says so (page_begin) */
		}
	}
	s->alias[0] = '\0';
	if (db_begin(cr->srv->db, false, &tx) == C_OK) {
		if (store_alias_get(tx, s->signer.account_id, s->alias, sizeof(s->alias)) != C_OK)
			s->alias[0] = '\0';
		db_rollback(tx);
	}
	return C_OK;
}

void session_load(struct console_req *cr)
{
	char cookie[COOKIE_MAX + 8], id[CONSOLE_ID_LEN + 1];
	struct console_session *s;
	struct db_tx *tx;
	int rc;

	cr->s = NULL;
	if (console_cookie(cr, SESSION_COOKIE, cookie, sizeof(cookie)) != C_OK || cookie_open(cr, cookie, id) != C_OK)
		return;
	if (!(s = calloc(1, sizeof(*s))))
		return;
	if (db_begin(cr->srv->db, false, &tx) != C_OK) {
		free(s);
		return;
	}
	rc = store_console_session_get(tx, id, &s->row);
	db_rollback(tx);
	if (rc != C_OK || session_fill(cr, s) != C_OK) {
		explicit_bzero(s, sizeof(*s));
		free(s);
		return;
	}
	cr->s = s;
}

void session_free(struct console_req *cr)
{
	if (cr->s) {
		explicit_bzero(cr->s, sizeof(*cr->s));
		free(cr->s);
		cr->s = NULL;
	}
}

int session_issue_token(struct console_req *cr, const char *account_id, const char *user_id, int64_t mfa_s,
                        int64_t duration_s, char *out, size_t cap)
{
	struct session_claims cl;
	struct db_tx *tx;
	char arn[ARN_MAX + 1];
	int rc;

	memset(&cl, 0, sizeof(cl));
	cl.kind = 'C';
	id_access_key("ASIA", account_id, cl.access_key_id);
	id_secret_key(cl.secret);
	snprintf(cl.account_id, sizeof(cl.account_id), "%s", account_id);
	snprintf(cl.user_id, sizeof(cl.user_id), "%s", user_id);
	cl.issued_s = cr->now_ms / 1000;
	cl.expires_s = cl.issued_s + duration_s;
	cl.mfa_s = mfa_s;
	if (db_begin(cr->srv->db, false, &tx) != C_OK) {
		claims_clear(&cl);
		return C_ERR;
	}
	if (!user_id[0]) {
		snprintf(arn, sizeof(arn), "arn:aws:iam::%s:root", account_id);
	} else {
		struct store_user u;
		if (store_user_get_by_id(tx, user_id, &u) != C_OK) {
			db_rollback(tx);
			claims_clear(&cl);
			return C_ERR;
		}
		snprintf(arn, sizeof(arn), "arn:aws:iam::%s:user%s%s", account_id, u.path, u.name);
	}
	snprintf(cl.source_arn, sizeof(cl.source_arn), "%s", arn);
	rc = token_issue(cr->srv->keyring, tx, &cl, out, cap);
	db_rollback(tx);
	claims_clear(&cl);
	return rc;
}

/* Sets the session cookie to id's sealed value (or deletes it: id NULL). */
static int set_session_cookie(struct console_req *cr, const char *id)
{
	char cookie[COOKIE_MAX];

	if (!id)
		return console_set_cookie(cr, SESSION_COOKIE, "", -1);
	if (cookie_seal(cr, id, cookie, sizeof(cookie)) != C_OK)
		return C_ERR;
	return console_set_cookie(cr, SESSION_COOKIE, cookie, 0);
}

int session_start(struct console_req *cr, const char *kind, const char *token, int64_t mfa_s, int64_t expires_ms)
{
	struct console_session *s = calloc(1, sizeof(*s));
	struct db_tx *tx;
	int rc;

	if (!s)
		return C_ERR;
	if (token_principal(cr, token, &s->signer) != C_OK || strlen(token) >= sizeof(s->row.token)) {
		log_warnx("console: req=%s: the new session's token does not open", cr->request_id);
		goto fail;
	}
	new_id(s->row.id);
	new_id(s->row.csrf);
	snprintf(s->row.account_id, sizeof(s->row.account_id), "%s", s->signer.account_id);
	snprintf(s->row.principal_arn, sizeof(s->row.principal_arn), "%s", s->signer.arn);
	snprintf(s->row.kind, sizeof(s->row.kind), "%s", kind);
	memcpy(s->row.token, token, strlen(token) + 1);
	s->row.mfa_s = mfa_s;
	s->row.created_ms = cr->now_ms;
	s->row.expires_ms = expires_ms;
	if (db_begin(cr->srv->db, true, &tx) != C_OK)
		goto fail;
	rc = store_console_session_prune(tx, cr->now_ms);
	if (rc == C_OK && cr->s)
		rc = store_console_session_delete(tx, cr->s->row.id) == C_ERR ? C_ERR : C_OK;
	if (rc == C_OK)
		rc = store_console_session_create(tx, &s->row);
	if (rc != C_OK) {
		db_rollback(tx);
		goto fail;
	}
	if (db_commit(tx) != C_OK)
		goto fail;
	if (set_session_cookie(cr, s->row.id) != C_OK || session_fill(cr, s) != C_OK)
		goto fail;
	console_set_cookie(cr, SIGNIN_CSRF_COOKIE, "", -1); /* the pre-session token is spent */
	session_free(cr);
	cr->s = s;
	return C_OK;
fail:
	log_warnx("console: req=%s: cannot start a session", cr->request_id);
	explicit_bzero(s, sizeof(*s));
	free(s);
	return C_ERR;
}

void session_end(struct console_req *cr)
{
	struct db_tx *tx;

	if (cr->s && db_begin(cr->srv->db, true, &tx) == C_OK) {
		if (store_console_session_delete(tx, cr->s->row.id) == C_ERR || db_commit(tx) != C_OK)
			log_warnx("console: req=%s: cannot delete the session", cr->request_id);
	}
	set_session_cookie(cr, NULL);
	session_free(cr);
}

int session_set_role(struct console_req *cr, const char *role_token, const char *role_arn, const char *display,
                     const char *color)
{
	struct db_tx *tx;

	if (!cr->s || !role_token || strlen(role_token) >= CONSOLE_TOKEN_MAX || db_begin(cr->srv->db, true, &tx) != C_OK)
		return C_ERR;
	if (store_console_session_set_role(tx, cr->s->row.id, role_token, role_arn, display, color) != C_OK) {
		db_rollback(tx);
		return C_ERR;
	}
	if (db_commit(tx) != C_OK)
		return C_ERR;
	snprintf(cr->s->row.role_token, sizeof(cr->s->row.role_token), "%s", role_token);
	snprintf(cr->s->row.role_arn, sizeof(cr->s->row.role_arn), "%s", role_arn ? role_arn : "");
	snprintf(cr->s->row.role_display, sizeof(cr->s->row.role_display), "%s", display ? display : "");
	snprintf(cr->s->row.role_color, sizeof(cr->s->row.role_color), "%s", color ? color : "");
	return session_fill(cr, cr->s);
}

int session_clear_role(struct console_req *cr)
{
	struct db_tx *tx;

	if (!cr->s || db_begin(cr->srv->db, true, &tx) != C_OK)
		return C_ERR;
	if (store_console_session_set_role(tx, cr->s->row.id, NULL, NULL, NULL, NULL) != C_OK) {
		db_rollback(tx);
		return C_ERR;
	}
	if (db_commit(tx) != C_OK)
		return C_ERR;
	explicit_bzero(cr->s->row.role_token, sizeof(cr->s->row.role_token));
	cr->s->row.role_arn[0] = cr->s->row.role_display[0] = cr->s->row.role_color[0] = '\0';
	return session_fill(cr, cr->s);
}

const char *session_active_token(const struct console_req *cr)
{
	if (!cr->s)
		return NULL;
	return cr->s->role_active ? cr->s->row.role_token : cr->s->row.token;
}

const char *session_csrf(struct console_req *cr)
{
	if (cr->s)
		return cr->s->row.csrf;
	if (!cr->signin_csrf[0]) {
		if (console_cookie(cr, SIGNIN_CSRF_COOKIE, cr->signin_csrf, sizeof(cr->signin_csrf)) != C_OK ||
		    strlen(cr->signin_csrf) != CONSOLE_ID_LEN) {
			new_id(cr->signin_csrf);
			if (console_set_cookie(cr, SIGNIN_CSRF_COOKIE, cr->signin_csrf, 0) != C_OK)
				cr->signin_csrf[0] = '\0';
		}
	}
	return cr->signin_csrf;
}

bool session_csrf_ok(struct console_req *cr)
{
	const char *given = console_param(cr, SESSION_CSRF_FIELD);
	char have[CONSOLE_ID_LEN + 8];

	if (!given || strlen(given) != CONSOLE_ID_LEN)
		return false;
	if (cr->s)
		return crypto_equal(given, cr->s->row.csrf, CONSOLE_ID_LEN) == 1;
	/* signed out (the sign-in form): the token must match the browser's pre-session cookie (double submit; the
	 * cookie is SameSite=Strict and HttpOnly, so another site can neither send nor read it) */
	if (console_cookie(cr, SIGNIN_CSRF_COOKIE, have, sizeof(have)) != C_OK || strlen(have) != CONSOLE_ID_LEN)
		return false;
	return crypto_equal(given, have, CONSOLE_ID_LEN) == 1;
}
