/*
 * console.h - storage of the web console (schema migration 5; src/console/). Each section belongs to the file
 * that implements it:
 *
 *   console_sessions         signed-in browsers (src/store/console.c)
 *   console_signin_failures  failed sign-ins per (account, user name): the growing delay (src/store/console.c)
 *   root_logins              the root users' console passwords, as salted hashes (src/store/console.c)
 *   console_recent_roles     the roles a principal switched to lately (src/store/recent_roles.c)
 *   federation_signin_tokens /federation's one-time sign-in tokens (src/store/federation.c)
 *
 * Same conventions as store.h: an open transaction; C_OK, STORE_NOT_FOUND, STORE_EXISTS or C_ERR.
 */
#ifndef ROLEGATE_STORE_CONSOLE_H
#define ROLEGATE_STORE_CONSOLE_H

#include "store/login.h"
#include "store/store.h"

#define CONSOLE_ID_LEN 43       /* a session id or CSRF token: 32 random bytes, base64url without padding */
#define CONSOLE_TOKEN_MAX 8192  /* a sealed session token (server/tokens.h TOKEN_MAX) */
#define CONSOLE_DISPLAY_MAX 64  /* a switched role's display name (AWS: 64 characters) */
#define CONSOLE_COLOR_MAX 7     /* "RRGGBB" or "#RRGGBB" */

/* ---- console sessions (core) ---- */
struct store_console_session {
	char id[CONSOLE_ID_LEN + 1];
	char account_id[ACCOUNT_ID_LEN + 1];
	char principal_arn[ARN_MAX + 1]; /* who signed in: the user, the root user, or the federated role session */
	char kind[12];                   /* "user", "root", "federated" */
	char token[CONSOLE_TOKEN_MAX];   /* the sealed session token the console acts with (claims kind 'C' or 'R') */
	char role_token[CONSOLE_TOKEN_MAX]; /* after a switch role: the role session's token; "" otherwise */
	char role_arn[ARN_MAX + 1];
	char role_display[CONSOLE_DISPLAY_MAX * 4 + 1];
	char role_color[CONSOLE_COLOR_MAX + 2];
	char csrf[CONSOLE_ID_LEN + 1];
	int64_t mfa_s; /* when MFA was given at sign-in; 0 without */
	int64_t created_ms, expires_ms;
};

/* STORE_EXISTS when the id is taken. */
int store_console_session_create(struct db_tx *tx, const struct store_console_session *s);
/* The session id (expired or not: the caller compares expires_ms). */
int store_console_session_get(struct db_tx *tx, const char *id, struct store_console_session *out);
/* Sets the active role (role_token, role_arn, display, color) or, with role_token NULL, clears it. */
int store_console_session_set_role(struct db_tx *tx, const char *id, const char *role_token, const char *role_arn,
                                   const char *display, const char *color);
int store_console_session_delete(struct db_tx *tx, const char *id);
/* Deletes the sessions that expired before now_ms. */
int store_console_session_prune(struct db_tx *tx, int64_t now_ms);

/* ---- failed sign-ins (core) ---- */
/* The failures since the last success of (account_id, user_name) ("" for the root user) and the time of the latest;
 * 0 and 0 when there are none. */
int store_signin_failures_get(struct db_tx *tx, const char *account_id, const char *user_name, int64_t *failures,
                              int64_t *last_ms);
/* Counts one more failure at now_ms. */
int store_signin_failures_add(struct db_tx *tx, const char *account_id, const char *user_name, int64_t now_ms);
/* Forgets the counts whose latest failure is before before_ms. */
int store_signin_failures_prune(struct db_tx *tx, int64_t before_ms);
/* Forgets them (a successful sign-in). */
int store_signin_failures_clear(struct db_tx *tx, const char *account_id, const char *user_name);

/* ---- the root users' console passwords (core) ---- */
/* The root user's password hash (read from the database itself: `rolegate root-password` writes it). */
int store_root_login_get(struct db_tx *tx, const char *account_id, char hash[PASSWORD_HASH_MAX + 1]);
/* Creates or replaces the root user's password hash. */
int store_root_login_set(struct db_tx *tx, const char *account_id, const char *hash, int64_t now_ms);
int store_root_login_delete(struct db_tx *tx, const char *account_id);
/* The account whose alias is alias (the sign-in form takes either). */
int store_alias_account(struct db_tx *tx, const char *alias, char account_id[ACCOUNT_ID_LEN + 1]);

/* ---- recent roles (switch: src/store/recent_roles.c) ---- */
struct store_recent_role {
	char account_id[ACCOUNT_ID_LEN + 1];
	char role_name[IAM_PATH_MAX + IAM_NAME_MAX + 1]; /* as switched to: the role's name, its path (without the
	                                                  * leading '/') before it when it has one */
	char display_name[CONSOLE_DISPLAY_MAX * 4 + 1];
	char color[CONSOLE_COLOR_MAX + 2];
	int64_t used_ms;
};
typedef int (*store_recent_role_fn)(void *ctx, const struct store_recent_role *r);

/* Records that principal_arn switched to r->role_name in r->account_id now (r->used_ms), with that display name and
 * colour: a new row, or the same role's row updated. */
int store_recent_role_upsert(struct db_tx *tx, const char *principal_arn, const struct store_recent_role *r);
/* principal_arn's recent roles, most recent first, at most limit of them. The count, or C_ERR. */
int store_recent_role_list(struct db_tx *tx, const char *principal_arn, int limit, store_recent_role_fn fn, void *ctx);
/* Forgets one (account_id, role_name) of principal_arn's recent roles. */
int store_recent_role_delete(struct db_tx *tx, const char *principal_arn, const char *account_id,
                             const char *role_name);

#endif
