/*
 * principal_ids.c - trust policies name users and roles by identity (see principal_ids.h).
 *
 * Why the stored text holds the ids (and not the ARNs, translated at evaluation): the engine then compiles the
 * stored text itself, so the compiled-policy cache keys on text that changes only when the policy does, AssumeRole
 * reads no other principal to decide, and a Deny naming a user keeps naming that user, not its namesake. Only the
 * answers that show a trust policy (GetRole, ListRoles, GetAccountAuthorizationDetails, ...) translate ids back to
 * ARNs.
 *
 * The rewrite (policy/rewrite.h) touches only the values of Statement[].Principal.AWS and copies every other byte:
 * the answer keeps the document's layout, as IAM's does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "iam/iam.h"
#include "iam/principal_ids.h"
#include "policy/policy.h"
#include "policy/rewrite.h"
#include "util/common.h"

/* ---- stored form: ARNs -> ids, principals that exist -------------------------------------------------------- */

static int invalid_principal(struct call *c, const char *value)
{
	return aws_err_set(&c->err, ERR_MALFORMED_POLICY_DOCUMENT, "Invalid principal in policy: \"AWS\":\"%.300s\"",
	                   value);
}

/* ok is set when found; C_ERR only on a storage failure. */
static int found(int rc, bool *ok)
{
	*ok = rc == C_OK;
	return rc == C_OK || rc == STORE_NOT_FOUND ? C_OK : C_ERR;
}

/* A unique id names a user or role that exists (whichever account): kept as it is. */
static int stored_id(struct call *c, const char *id, bool *ok)
{
	struct store_user u;
	struct store_role r = {0};
	int rc;

	if (strncmp(id, "AIDA", 4) == 0)
		return found(store_user_get_by_id(c->tx, id, &u), ok);
	rc = store_role_get_by_id(c->tx, id, &r);
	store_role_clear(&r);
	return found(rc, ok);
}

/* arn:aws:iam::ACCT:user/PATH/NAME or role/PATH/NAME (res is the part after the account): its id in repl. */
static int stored_entity(struct call *c, const char *account, const char *res, char *repl, size_t cap, bool *ok)
{
	const char *slash = strrchr(res, '/'), *name;
	char path[IAM_PATH_MAX + 1];
	int rc;

	*ok = false;
	if (!slash || (size_t)(slash - res - 4 + 1) > IAM_PATH_MAX)
		return C_OK;
	name = slash + 1;
	snprintf(path, sizeof(path), "%.*s", (int)(slash - res - 4 + 1), res + 4);
	if (strncmp(res, "user/", 5) == 0) {
		struct store_user u;
		rc = store_user_get(c->tx, account, name, &u);
		if (rc == C_OK && strcmp(u.path, path) == 0 && strcmp(u.name, name) == 0) {
			*ok = true;
			snprintf(repl, cap, "%s", u.user_id);
		}
	} else if (strncmp(res, "role/", 5) == 0) {
		struct store_role r = {0};
		rc = store_role_get(c->tx, account, name, &r);
		if (rc == C_OK && strcmp(r.path, path) == 0 && strcmp(r.name, name) == 0) {
			*ok = true;
			snprintf(repl, cap, "%s", r.role_id);
		}
		store_role_clear(&r);
	} else {
		return C_OK;
	}
	return rc == C_OK || rc == STORE_NOT_FOUND ? C_OK : C_ERR;
}

/* One Principal "AWS" value of a trust policy being saved: refused unless it exists here; a user or role becomes
 * its id. */
static int map_stored(void *ctx, const char *p, char *repl, size_t cap)
{
	struct call *c = ctx;
	struct store_account acct;
	struct arn a;
	const char *res;
	bool ok = false;

	if (strcmp(p, "*") == 0)
		return C_OK;
	if (strlen(p) == ACCOUNT_ID_LEN && strspn(p, "0123456789") == ACCOUNT_ID_LEN) {
		if (found(store_account_get(c->tx, p, &acct), &ok) != C_OK)
			return C_ERR;
		return ok ? C_OK : invalid_principal(c, p);
	}
	if (policy_is_principal_id(p, strlen(p))) {
		if (stored_id(c, p, &ok) != C_OK)
			return C_ERR;
		return ok ? C_OK : invalid_principal(c, p);
	}
	if (arn_parse(p, &a) != C_OK || strlen(a.account) != ACCOUNT_ID_LEN)
		return invalid_principal(c, p);
	if (found(store_account_get(c->tx, a.account, &acct), &ok) != C_OK)
		return C_ERR;
	if (!ok)
		return invalid_principal(c, p);
	res = a.resource;
	if (strcmp(a.service, "iam") == 0 && strcmp(res, "root") == 0)
		return C_OK;
	if (strcmp(a.service, "sts") == 0 && strncmp(res, "assumed-role/", 13) == 0) {
		/* arn:aws:sts::ACCT:assumed-role/ROLE/SESSION stays a string; its role must exist */
		char role[IAM_NAME_MAX + 1];
		struct store_role r = {0};
		const char *end = strchr(res + 13, '/');
		int rc;
		if (!end || (size_t)(end - (res + 13)) > IAM_NAME_MAX)
			return invalid_principal(c, p);
		snprintf(role, sizeof(role), "%.*s", (int)(end - (res + 13)), res + 13);
		rc = store_role_get(c->tx, a.account, role, &r);
		store_role_clear(&r);
		if (found(rc, &ok) != C_OK)
			return C_ERR;
		return ok ? C_OK : invalid_principal(c, p);
	}
	if (strcmp(a.service, "sts") == 0 && strncmp(res, "federated-user/", 15) == 0)
		return C_OK;
	if (strcmp(a.service, "iam") != 0)
		return invalid_principal(c, p);
	if (stored_entity(c, a.account, res, repl, cap, &ok) != C_OK)
		return C_ERR;
	return ok ? C_OK : invalid_principal(c, p);
}

int iam_trust_policy_stored(struct call *c, const char *doc, char **out)
{
	/* doc has passed the engine's validation: a failure is a refused principal (c->err says which), a storage
	 * failure or a lack of memory (the call fails as a service failure). */
	return policy_map_aws_principals(doc, map_stored, c, out);
}

/* ---- shown form: ids -> current ARNs -------------------------------------------------------------------------- */

static int map_shown(void *ctx, const char *p, char *repl, size_t cap)
{
	struct call *c = ctx;
	int rc;

	if (!policy_is_principal_id(p, strlen(p)))
		return C_OK;
	if (strncmp(p, "AIDA", 4) == 0) {
		struct store_user u;
		rc = store_user_get_by_id(c->tx, p, &u);
		if (rc == C_OK)
			return arn_user(repl, cap, u.account_id, u.path, u.name);
	} else {
		struct store_role r = {0};
		rc = store_role_get_by_id(c->tx, p, &r);
		if (rc == C_OK)
			rc = arn_role(repl, cap, r.account_id, r.path, r.name);
		store_role_clear(&r);
		if (rc == C_OK)
			return C_OK;
	}
	return rc == STORE_NOT_FOUND ? C_OK : C_ERR; /* a deleted principal shows as its id */
}

int iam_trust_policy_shown(struct call *c, const char *stored, char **out)
{
	/* Most trust policies name no user or role: no need to walk them. */
	if (!strstr(stored, "AIDA") && !strstr(stored, "AROA")) {
		*out = strdup(stored);
		return *out ? C_OK : C_ERR;
	}
	return policy_map_aws_principals(stored, map_shown, c, out);
}
