/*
 * federation.c - sts:GetFederationToken: temporary credentials for a federated user, as AWS issues them.
 *
 * Called with an IAM user's long-term access key (or the account root's: allowed, its sessions last at most an hour;
 * a longer DurationSeconds gives an hour, as AWS documents), never with temporary credentials. The caller's own
 * policies must allow sts:GetFederationToken on arn:aws:sts::ACCT:federated-user/NAME (and sts:TagSession when it
 * passes Tags); the server's one authorization call decides both. The session it makes:
 *   principal   arn:aws:sts::ACCT:federated-user/NAME, aws:userid ACCT:NAME, aws:PrincipalType FederatedUser
 *   permissions the calling user's policies as they are when each request is made, limited by the session policy
 *               (Policy, PolicyArns); without a session policy it can do nothing (src/policy: session_required)
 *   limits      no IAM action, and of STS only GetCallerIdentity (src/server/authz.c)
 *   tags        Tags become its aws:PrincipalTag keys, over the user's own tags of the same key; none is transitive
 *   duration    900..129600 s (the model's range), 43200 by default
 * Sealed in the session token (kind 'F', src/server/tokens.h). The call is audited, granted or refused, and the
 * record is durable before the credentials leave.
 */
#include <stdio.h>
#include <string.h>

#include "server/tokens.h"
#include "sts/issue.h"
#include "sts/sts.h"
#include "util/common.h"

#define FEDERATION_DEFAULT_S 43200
#define FEDERATION_ROOT_MAX_S 3600

int sts_resource_federation(struct call *c, char *out, size_t cap)
{
	const char *name = call_str(c, "Name");

	/* AWS refuses any temporary caller before it weighs a policy: a role session, a GetSessionToken or federated
	 * user session, a console session. */
	if (c->caller.temporary)
		return aws_err_set(&c->err, ERR_ACCESS_DENIED, "Cannot call GetFederationToken with session credentials");
	if (!name || snprintf(out, cap, "arn:aws:sts::%s:federated-user/%s", c->caller.account_id, name) >= (int)cap)
		return C_ERR;
	return C_OK;
}

int sts_get_federation_token(struct call *c)
{
	const char *name = call_str(c, "Name");
	int64_t duration = call_int(c, "DurationSeconds", FEDERATION_DEFAULT_S), packed = 0;
	struct session_claims cl;
	char token[TOKEN_MAX], arn[ARN_MAX + 1], id[ACCOUNT_ID_LEN + 40];
	json_t *user;
	int rc = C_ERR;

	if (c->caller.temporary) /* the resource function refused it already: never issue from a session */
		return aws_err_set(&c->err, ERR_ACCESS_DENIED, "Cannot call GetFederationToken with session credentials");
	/* AWS: "If the specified duration is longer than one hour, the session obtained by using root user credentials
	 * defaults to one hour." */
	if (c->caller.kind == PRINCIPAL_ROOT && duration > FEDERATION_ROOT_MAX_S)
		duration = FEDERATION_ROOT_MAX_S;
	memset(&cl, 0, sizeof(cl));
	cl.kind = 'F';
	sts_common_claims(c, &cl, c->caller.account_id, duration);
	snprintf(cl.session_name, sizeof(cl.session_name), "%s", name);
	if (c->caller.kind == PRINCIPAL_USER)
		snprintf(cl.user_id, sizeof(cl.user_id), "%.*s", (int)sizeof(cl.user_id) - 1, c->caller.id);
	if (sts_session_policy(c, c->caller.account_id, &cl.session_policy) != C_OK || sts_session_tags(c, &cl) != C_OK ||
	    sts_packed_size(c, &cl, &packed) != C_OK)
		goto done;
	if (token_issue(c->srv->keyring, c->tx, &cl, token, sizeof(token)) != C_OK) {
		aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The session token could not be issued.");
		goto done;
	}
	if (sts_credentials_json(c, &cl, token) != C_OK)
		goto done;
	snprintf(arn, sizeof(arn), "arn:aws:sts::%s:federated-user/%s", cl.account_id, name);
	snprintf(id, sizeof(id), "%s:%s", cl.account_id, name);
	if (!(user = json_pack("{s:s, s:s}", "FederatedUserId", id, "Arn", arn)))
		goto done;
	json_object_set_new(c->out, "FederatedUser", user);
	if (cl.session_policy || cl.ntags)
		json_object_set_new(c->out, "PackedPolicySize", json_integer(packed));
	rc = C_OK;
done:
	explicit_bzero(token, sizeof(token));
	claims_clear(&cl);
	return rc;
}

static const struct action actions[] = {
	{"sts", "GetFederationToken", false, sts_resource_federation, sts_get_federation_token, .audit_durably = true},
};

ACTION_TABLE(sts_federation_actions, actions);
