/*
 * session.h - console sessions: who a browser is signed in as.
 *
 * A session is a row of console_sessions (store/console.h). The browser holds only a cookie: the session's random
 * id sealed (AES-256-GCM) under the server's token keys (server/keyring.h), so a cookie from another server, or one
 * tampered with, does not open and the browser is treated as signed out. The row holds the sealed session token the
 * console acts with (claims kind 'C' for a user's or root's sign-in; a role session's token for /federation), the
 * switched-to role's token after a switch, and the session's CSRF token, checked in constant time on every POST.
 * Sessions end at expires_ms (at most SESSION_USER_MAX_S after sign-in) or at sign-out, which deletes the row:
 * the cookie then opens nothing anywhere.
 */
#ifndef ROLEGATE_CONSOLE_SESSION_H
#define ROLEGATE_CONSOLE_SESSION_H

#include "console/console.h"
#include "server/principal.h"
#include "store/console.h"

#define SESSION_COOKIE "rg_console"        /* the session cookie */
#define SIGNIN_CSRF_COOKIE "rg_signin_csrf" /* the sign-in form's pre-session CSRF token */
#define SESSION_USER_MAX_S (12 * 3600)     /* a user's or root's console session (AWS: 12 hours) */
#define SESSION_CSRF_FIELD "csrf"          /* the CSRF form field every POST carries (page_csrf_field) */

/* A signed-in browser (cr->s). */
struct console_session {
	struct store_console_session row;
	struct principal signer; /* who signed in (the user, root or federated role session), from row.token */
	struct principal active; /* who acts: the switched-to role session, else signer */
	bool role_active;        /* a switch role is in effect (row.role_token) */
	bool role_ended;         /* row.role_token no longer opens (expired): page_begin says so once and clears it */
	char alias[64];          /* the signer's account alias, "" without one */
};

/* Opens the request's session cookie into cr->s (NULL when absent, not ours, tampered, deleted or expired; an
 * expired or unopenable token also counts as signed out). Called by the router before the handler. */
void session_load(struct console_req *cr);
/* Frees cr->s. */
void session_free(struct console_req *cr);

/*
 * Starts a session for the browser: a new row (kind "user", "root" or "federated"; principal_arn and account_id as
 * the token's principal), token (the sealed session token it acts with: kind 'C' from session_issue_token, or a role
 * session's for /federation), mfa_s, lasting until expires_ms; sets the cookie (replacing any earlier session's,
 * whose row is deleted) and loads it into cr->s. C_OK or C_ERR (logged).
 */
int session_start(struct console_req *cr, const char *kind, const char *token, int64_t mfa_s, int64_t expires_ms);
/*
 * Issues the sealed token (claims kind 'C') of a console session of the user user_id ("" for the account's root)
 * in account_id, valid duration_s from now, with mfa_s (0: no MFA at sign-in). out holds CONSOLE_TOKEN_MAX.
 */
int session_issue_token(struct console_req *cr, const char *account_id, const char *user_id, int64_t mfa_s,
                        int64_t duration_s, char *out, size_t cap);
/* Ends cr's session: deletes its row and the cookie. */
void session_end(struct console_req *cr);

/* Makes role_token (a role session's sealed token, from sts:AssumeRole made with the signer's) the active identity,
 * shown as display (the name the user chose) in color ("RRGGBB"). C_OK or C_ERR. */
int session_set_role(struct console_req *cr, const char *role_token, const char *role_arn, const char *display,
                     const char *color);
/* Back to the signed-in identity (clears the role). */
int session_clear_role(struct console_req *cr);

/* The token the session acts with: the role's after a switch, else the signer's. NULL when not signed in. */
const char *session_active_token(const struct console_req *cr);

/* Whether the request's form carries the right CSRF token: the session's, or (signed out: the sign-in form) the
 * pre-session cookie's. Constant-time. */
bool session_csrf_ok(struct console_req *cr);
/* The CSRF token for forms: the session's, or a pre-session one (set as SIGNIN_CSRF_COOKIE when the browser has
 * none yet). "" when none could be made. */
const char *session_csrf(struct console_req *cr);

#endif
