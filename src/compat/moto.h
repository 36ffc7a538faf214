/*
 * moto.h - `rolegate server --compat moto`: rolegate in the place of a moto server, for test suites written for moto.
 *
 * What changes with the flag, and nothing changes without it:
 *   - authentication (src/server/auth.c, its one marked compat block): credentials the store knows are checked as
 *     always; any other access key id, with any secret, is the root user of --compat-account (default
 *     123456789012, moto's), its signature and clock unchecked. Session tokens rolegate issued work as in normal
 *     mode (moto never checks its own: rolegate's are sealed, so they name their role session).
 *   - POST /moto-api/reset (moto's path, method and answer: 200 {"status": "ok"}; another method: 400
 *     {"Error": "Need to POST to reset Moto"}) deletes every row of every table of the store except the schema,
 *     meta (the master key check, the management account's id), the keys that seal session tokens, the management
 *     account, --compat-account and their root users' access keys; the audit trail (both databases) too.
 *     The caches need no clearing: the credential cache is keyed on the store's write generation, signing keys on
 *     the sealed secret, compiled policies on their text. The compat keys (below) are forgotten.
 *   - STS credentials issued in compat mode work without their session token, as moto's do (moto finds a session
 *     by its access key id alone; AWS refuses an ASIA key without its token): the server remembers, in memory, the
 *     token of each access key id it issued (the last COMPAT_KEYS_MAX) and a request signed with such a key and no
 *     X-Amz-Security-Token is authenticated with it (the signature is checked with the session's secret).
 *   - authorization is unchanged: the root user is allowed everything (but a root user may not assume a role, as
 *     in AWS); --enforce soft, when it lands, is where moto's "everything allowed" for other principals belongs.
 *
 * Compat mode has no authentication for unknown keys, so the server refuses to start with it on a non-loopback
 * --listen (TLS or not: TLS protects the wire, not the door) or with --trusted-proxy (a proxy would open it to the
 * network). TLS on loopback is allowed.
 */
#ifndef ROLEGATE_COMPAT_MOTO_H
#define ROLEGATE_COMPAT_MOTO_H

#include <stdbool.h>

#include "http/http.h"
#include "server/server.h"

#define COMPAT_KEYS_MAX 4096

struct compat_keys;

/* Remembers token as the session token of akid (compat mode's STS credentials; the oldest is forgotten past
 * COMPAT_KEYS_MAX). Thread-safe. A token longer than a request may carry is not remembered. */
void compat_keys_remember(struct compat_keys *k, const char *akid, const char *token);
/* Copies the token remembered for akid into out[cap]: true, or false when none (or k is NULL). Thread-safe. */
bool compat_keys_token(struct compat_keys *k, const char *akid, char *out, size_t cap);
/* Frees what compat_start allocated (srv->compat_keys); NULL is fine. */
void compat_keys_free(struct compat_keys *k);

/* Checks the --compat options before anything is written: the mode, --compat-account (12 digits), a loopback
 * --listen, no --trusted-proxy. C_OK (also without --compat), or C_ERR with the reason logged. */
int compat_check(const struct server_config *cfg);

/* After bootstrap: creates --compat-account when absent (ACTIVE, in no organization), srv->compat_keys, and warns,
 * loudly, that authentication is off. C_OK without --compat (srv->compat_keys stays NULL). */
int compat_start(struct rg_server *srv);

/* With --compat only: answers req when its path is /moto-api/reset and returns true; false leaves resp untouched. */
bool compat_route(struct rg_server *srv, const struct http_request *req, struct http_response *resp);

/* Deletes the state POST /moto-api/reset deletes (see above), in one transaction per database. C_OK or C_ERR
 * (logged; nothing of the failed database's transaction is applied). */
int compat_reset(struct rg_server *srv);

#endif
