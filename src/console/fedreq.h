/*
 * fedreq.h - the pure parts of /federation (src/console/federation.c): its inputs read and checked, no server state.
 *
 * Action=getSigninToken takes Session, a JSON object {"sessionId": ACCESS_KEY_ID, "sessionKey": SECRET,
 * "sessionToken": TOKEN} of temporary credentials, and an optional SessionDuration (900..43200 seconds, the console
 * session's length). Action=login takes SigninToken and Destination, which must be this server's console: a path
 * under /console, or an http(s) URL of the request's own host with such a path (never another site: no open
 * redirect). Kept apart so that fuzz/fuzz_fedreq.c reaches the parsers without the server.
 */
#ifndef ROLEGATE_CONSOLE_FEDREQ_H
#define ROLEGATE_CONSOLE_FEDREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/tokens.h"
#include "store/store.h"

#define FED_SESSION_MAX (TOKEN_MAX + 1024) /* the longest Session parameter read */
#define FED_SECRET_MAX 128
#define FED_DURATION_MIN 900
#define FED_DURATION_MAX 43200
#define FED_DESTINATION_MAX 2048

/* The credentials of a Session parameter. Holds a secret: fed_session_clear() wipes it. */
struct fed_session {
	char access_key_id[IAM_ID_MAX];
	char secret[FED_SECRET_MAX];
	char token[TOKEN_MAX];
	bool has_token; /* false: no sessionToken (long-term keys, which the endpoint refuses) */
};

/*
 * Reads a Session parameter (json, len bytes, at most FED_SESSION_MAX): a JSON object (duplicate keys refused) whose
 * sessionId and sessionKey are non-empty strings that fit, and whose sessionToken, when present, is one too; other
 * keys are ignored. C_ERR for anything else, with *out wiped.
 */
int fed_session_parse(const char *json, size_t len, struct fed_session *out);

/* Wipes s. */
void fed_session_clear(struct fed_session *s);

/* Reads SessionDuration: NULL or "" -> *out = 0 (not given); else decimal digits within 900..43200. C_ERR else. */
int fed_duration_parse(const char *s, int64_t *out);

/*
 * Whether dest may be the Destination of a login at a server reached as host (the request's Host header, NULL when
 * it sent none): "/console" or a path under "/console/" (a query or fragment may follow), or "http://" or
 * "https://" + host (compared without regard to case) + such a path. Anything with a control character, a
 * backslash, user info, another host or a scheme-relative "//" is refused.
 */
bool fed_destination_ok(const char *dest, const char *host);

/* The path (with its query and fragment) of a Destination fed_destination_ok accepted: dest itself when it is a
 * path, else what follows the URL's host (points into dest). */
const char *fed_destination_path(const char *dest);

#endif
