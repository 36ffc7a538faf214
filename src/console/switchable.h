/*
 * switchable.h - the roles a console identity could switch to now: every role of every account of its organization
 * (its own account's alone when it is in none) that sts:AssumeRole would grant it, decided by a dry run of the very
 * AssumeRole authorization a switch makes (dispatch_authorize_token: the action's resource function, the role's
 * trust policy, the caller's policies, boundary, session policy and SCPs, the session's MFA context), so the list
 * and a real switch cannot disagree.
 */
#ifndef ROLEGATE_CONSOLE_SWITCHABLE_H
#define ROLEGATE_CONSOLE_SWITCHABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http.h"
#include "server/server.h"
#include "store/store.h"

/* At most this many roles are weighed for one list: each is one full AssumeRole authorization (the role read, its
 * trust policy from the engine's cache, the caller's policies, SCPs and context loaded, one evaluation), measured at
 * ~0.5-1 ms a role in the ASan build on a loaded 2-core machine (206 roles: 92 ms a home page, 906: ~1 s). An
 * organization with more roles gets a list of the first ones (accounts in id order, then roles in name order),
 * marked truncated. */
#define SWITCHABLE_MAX 500

struct switchable_role {
	char account_id[ACCOUNT_ID_LEN + 1];
	char account_name[128];
	char role_name[IAM_NAME_MAX + 1];
	char role_path[IAM_PATH_MAX + 1];
	char role_arn[ARN_MAX + 1];
	char link_name[IAM_PATH_MAX + IAM_NAME_MAX + 1]; /* the switch-role link's roleName: the path (without its
	                                                  * leading '/') and the name */
};

struct switchable_list {
	struct switchable_role *roles; /* the switchable ones, in account id then role name order (owned) */
	size_t n;
	size_t weighed;  /* roles whose AssumeRole was evaluated */
	size_t failed;   /* roles whose evaluation failed (logged; never listed) */
	bool truncated;  /* more than SWITCHABLE_MAX roles: only the first were weighed */
};

/*
 * Fills out with the roles the holder of token (a console session's: the signer's, never a switched role's) may
 * assume now, given req (the browser's request: source IP, TLS, User-Agent in the context). account_id is the
 * signer's account, session_name the RoleSessionName a switch would use. Fail closed: a role whose evaluation
 * fails is left out and logged. C_OK, or C_ERR (nothing listed; logged) when the token or the store fails.
 */
int switchable_roles(struct rg_server *srv, const struct http_request *req, const char *token, const char *account_id,
                     const char *session_name, struct switchable_list *out);
/* Frees what switchable_roles() filled. */
void switchable_free(struct switchable_list *l);

#endif
