/*
 * sessions.c - sts:AssumeRole and sts:GetSessionToken: temporary credentials in a sealed token.
 *
 * AssumeRole: the role's trust policy is the resource policy of the request (the server's one authorization call
 * weighs it against the caller's identity policies, boundary, session policy and SCPs, as AWS documents: both
 * sides must allow). MFA given as SerialNumber + TokenCode is verified before authorization, so that
 * aws:MultiFactorAuthPresent / aws:MultiFactorAuthAge are in the context the trust policy sees.
 * Both calls are audited, granted or refused, and the record is durable before the credentials leave.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/arn.h"
#include "aws/ids.h"
#include "compat/moto.h"
#include "policy/policy.h"
#include "server/metrics.h"
#include "server/tokens.h"
#include "store/iam_store.h"
#include "sts/issue.h"
#include "sts/mfa_check.h"
#include "sts/sts.h"
#include "util/common.h"
#include "util/log.h"

#define CHAINED_MAX_S 3600
#define SESSION_POLICY_MAX 2048 /* characters of an inline session policy (AWS's documented limit) */

int sts_role_arn_parts(const char *arn, char account[ACCOUNT_ID_LEN + 1], char *name, size_t cap)
{
	struct arn a;
	const char *slash;

	if (arn_parse(arn, &a) != C_OK || strcmp(a.service, "iam") != 0 || strlen(a.account) != ACCOUNT_ID_LEN ||
	    strncmp(a.resource, "role/", 5) != 0)
		return C_ERR;
	slash = strrchr(a.resource, '/');
	if (!slash[1] || strlen(slash + 1) >= cap)
		return C_ERR;
	snprintf(account, ACCOUNT_ID_LEN + 1, "%s", a.account);
	snprintf(name, cap, "%s", slash + 1);
	return C_OK;
}

/* Whether arn is exactly the ARN of role (its path included). */
static bool same_role_arn(const char *arn, const struct store_role *role)
{
	char own[ARN_MAX + 1];

	snprintf(own, sizeof(own), "arn:aws:iam::%s:role%s%s", role->account_id, role->path, role->name);
	return strcmp(own, arn) == 0;
}

static int not_authorized(struct call *c, const char *arn)
{
	return aws_err_set(&c->err, ERR_ACCESS_DENIED,
	                   "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c->caller.arn, arn);
}

/* Verifies SerialNumber + TokenCode (both or neither) for the caller; the code is spent in the call's (write)
 * transaction. A refusal is counted toward the device's lockout by sessions_after(), once that is rolled back. */
static int verify_mfa(struct call *c)
{
	const char *serial = call_str(c, "SerialNumber"), *code = call_str(c, "TokenCode");
	int64_t when = 0;
	int rc;

	if (!serial && !code)
		return C_OK;
	if (!serial || !code)
		return aws_err_set(&c->err, ERR_VALIDATION, "SerialNumber and TokenCode must be given together.");
	if (c->caller.kind == PRINCIPAL_ROLE_SESSION) {
		c->mfa_rc = MFA_REFUSED_DEVICE; /* a role session has no MFA device (counted by sessions_after) */
		return aws_err_set(&c->err, ERR_ACCESS_DENIED,
		                   "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
		                   "serial number is valid and associated with this user.");
	}
	rc = mfa_check(c->tx, c->caller.account_id, serial, c->caller.kind == PRINCIPAL_USER ? c->caller.id : NULL, code,
	               c->now_ms, &when, &c->err);
	c->mfa_rc = rc;
	c->mfa_outcome = mfa_check_outcome(rc);
	if (rc != C_OK)
		return C_ERR;
	c->mfa_verified_s = when ? when : c->now_ms / 1000;
	return C_OK;
}

/* Whether the role's account can be entered (a closed account's roles cannot be assumed): C_OK when ACTIVE,
 * STORE_NOT_FOUND when absent or closed, C_ERR when the store cannot tell. */
static int account_open(struct call *c, const char *account_id)
{
	struct store_account a;
	int rc = store_account_get(c->tx, account_id, &a);

	if (rc != C_OK)
		return rc == STORE_NOT_FOUND ? STORE_NOT_FOUND : C_ERR;
	return strcmp(a.status, "ACTIVE") == 0 ? C_OK : STORE_NOT_FOUND;
}

int sts_resource_assume_role(struct call *c, char *out, size_t cap)
{
	const char *arn = call_str(c, "RoleArn");
	char account[ACCOUNT_ID_LEN + 1], name[IAM_NAME_MAX + 1], err[POLICY_ERROR_MAX];
	struct store_role role = {0};
	int rc;

	if (snprintf(out, cap, "%s", arn) >= (int)cap)
		return C_ERR;
	if (c->caller.kind == PRINCIPAL_ROOT)
		return aws_err_set(&c->err, ERR_ACCESS_DENIED, "Roles may not be assumed by root accounts.");
	if (sts_role_arn_parts(arn, account, name, sizeof(name)) != C_OK)
		return aws_err_set(&c->err, ERR_VALIDATION, "%s is not a valid role ARN.", arn);
	rc = account_open(c, account);
	if (rc == STORE_NOT_FOUND)
		return not_authorized(c, arn); /* AWS does not tell whether an account exists either */
	if (rc == C_OK)
		rc = store_role_get(c->tx, account, name, &role);
	if (rc == STORE_NOT_FOUND)
		return not_authorized(c, arn); /* AWS does not tell whether a role exists */
	if (rc != C_OK) /* the store could not say: a failure to retry, never a refusal */
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	/* The ARN must be the role's own, path included. */
	if (!same_role_arn(arn, &role)) {
		store_role_clear(&role);
		return not_authorized(c, arn);
	}
	rc = policy_compile(role.trust_policy, strlen(role.trust_policy), POLICY_TRUST, &c->resource_policy, err);
	store_role_clear(&role);
	if (rc != C_OK) {
		log_warnx("role %s: its trust policy no longer compiles: %s", arn, err);
		return not_authorized(c, arn);
	}
	return verify_mfa(c);
}

int sts_resource_session(struct call *c, char *out, size_t cap)
{
	if (snprintf(out, cap, "*") >= (int)cap)
		return C_ERR;
	return verify_mfa(c);
}

/* An MFA code is spent in the call's transaction, which must therefore be a write transaction. */
static bool spends_mfa_code(struct call *c)
{
	return call_str(c, "TokenCode") != NULL;
}

/* After the call: a refused code counts toward the lockout (its own transaction: the call's was rolled back);
 * a granted AssumeRole advances the role's RoleLastUsed (a statistics write, at most once a minute per role). */
void sts_sessions_after(struct call *c, bool ok)
{
	struct db_tx *tx;
	bool locked = false;

	if (!ok && c->mfa_rc != 0 && c->mfa_rc != C_OK && c->mfa_rc != C_ERR) {
		metrics_mfa_refused(c->mfa_rc);
		if (mfa_record_refusal(c->srv->db, call_str(c, "SerialNumber"), c->mfa_rc, c->now_ms, &locked) != C_OK)
			log_warnx("req=%s: cannot record a refused MFA code", c->request_id);
		else if (locked) {
			metrics_mfa_lockout();
			log_warnx("req=%s: MFA device %s locked after %d refused codes", c->request_id,
			          call_str(c, "SerialNumber"), MFA_MAX_FAILURES);
		}
	}
	if (ok && c->role_used[0] && db_begin_stats(c->srv->db, &tx) == C_OK) {
		if (store_role_touch(tx, c->role_used, c->now_ms, c->region) != C_OK)
			db_rollback(tx);
		else
			db_commit(tx); /* ends the transaction either way */
	}
}

/* ---- the session policy: Policy and PolicyArns, as one document ------------------------------------------------ */

/* Appends the statements of one document to arr. */
static int add_statements(struct call *c, json_t *arr, const char *doc, const char *what)
{
	json_t *d = json_loads(doc, JSON_REJECT_DUPLICATES, NULL), *st;

	if (!json_is_object(d)) {
		json_decref(d);
		return aws_err_set(&c->err, ERR_MALFORMED_POLICY_DOCUMENT, "Syntax errors in policy.");
	}
	st = json_object_get(d, "Statement");
	if (json_is_array(st))
		json_array_extend(arr, st);
	else if (json_is_object(st))
		json_array_append(arr, st);
	else {
		json_decref(d);
		return aws_err_set(&c->err, ERR_MALFORMED_POLICY_DOCUMENT, "%s has no statement.", what);
	}
	json_decref(d);
	return C_OK;
}

/* Whether arn names a managed policy a session of a principal in role_account may use: one of that account's
 * customer managed policies or an AWS-managed one ("arn:aws:iam::aws:policy/..."). */
static bool usable_policy_arn(const char *arn, const char *role_account)
{
	struct arn a;

	if (arn_parse(arn, &a) != C_OK)
		return false;
	return strcmp(a.partition, "aws") == 0 && strcmp(a.service, "iam") == 0 && a.region[0] == '\0' &&
	       (strcmp(a.account, role_account) == 0 || strcmp(a.account, "aws") == 0) &&
	       strncmp(a.resource, "policy/", 7) == 0;
}

int sts_session_policy(struct call *c, const char *role_account, char **out)
{
	const char *inline_doc = call_str(c, "Policy");
	json_t *arns = json_object_get(c->in, "PolicyArns"), *a, *stmts, *doc;
	struct policy *compiled = NULL;
	char err[POLICY_ERROR_MAX];
	size_t i;
	int rc;

	*out = NULL;
	if (!inline_doc && json_array_size(arns) == 0)
		return C_OK;
	if (inline_doc && strlen(inline_doc) > SESSION_POLICY_MAX)
		return aws_err_set(&c->err, ERR_VALIDATION,
		                   "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must "
		                   "have length less than or equal to %d",
		                   SESSION_POLICY_MAX);
	if (inline_doc) {
		/* The inline policy alone must compile as a session policy, with IAM's message when it does not. */
		if (policy_compile(inline_doc, strlen(inline_doc), POLICY_SESSION, &compiled, err) != C_OK)
			return aws_err_set(&c->err, ERR_MALFORMED_POLICY_DOCUMENT, "%s", err);
		policy_release(compiled);
	}
	stmts = json_array();
	if (inline_doc && add_statements(c, stmts, inline_doc, "Policy") != C_OK)
		goto fail;
	json_array_foreach(arns, i, a)
	{
		const char *arn = json_string_value(json_object_get(a, "arn"));
		char *text = NULL;
		if (!arn)
			continue;
		/* Only the role's account's customer managed policies and AWS's own may shape its session; another
		 * account's policy is refused exactly as a missing one, so the answer tells nothing about it. */
		rc = usable_policy_arn(arn, role_account) ? store_managed_default_document(c->tx, arn, &text)
		                                          : STORE_NOT_FOUND;
		if (rc == STORE_NOT_FOUND) {
			aws_err_set(&c->err, ERR_INVALID_PARAMETER_VALUE, "Policy %s does not exist or is not attachable.", arn);
			goto fail;
		}
		if (rc != C_OK || add_statements(c, stmts, text, arn) != C_OK) {
			free(text);
			goto fail;
		}
		free(text);
	}
	doc = json_pack("{s:s, s:o}", "Version", "2012-10-17", "Statement", stmts);
	*out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!*out || policy_compile(*out, strlen(*out), POLICY_SESSION, &compiled, err) != C_OK) {
		free(*out);
		*out = NULL;
		return aws_err_set(&c->err, ERR_MALFORMED_POLICY_DOCUMENT, "%s", err);
	}
	policy_release(compiled);
	return C_OK;
fail:
	json_decref(stmts);
	return C_ERR;
}

/* ---- tags ---------------------------------------------------------------------------------------------------- */

/* Whether the list of strings arr holds key (without regard to case). */
static bool listed(json_t *arr, const char *key)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && strcasecmp(json_string_value(v), key) == 0)
			return true;
	}
	return false;
}

/* Whether the Tags list holds a tag of that key (without regard to case). */
static bool tag_listed(json_t *tags, const char *key)
{
	size_t i;
	json_t *t;

	json_array_foreach(tags, i, t)
	{
		const char *k = json_string_value(json_object_get(t, "Key"));
		if (k && strcasecmp(k, key) == 0)
			return true;
	}
	return false;
}

int sts_session_tags(struct call *c, struct session_claims *cl)
{
	json_t *tags = json_object_get(c->in, "Tags"), *ttk = json_object_get(c->in, "TransitiveTagKeys"), *t;
	size_t i, off = 0;
	const char *k, *v;
	bool tr;

	/* The caller's transitive tags travel with chained sessions. */
	while (c->caller.temporary &&
	       tags_next(c->caller.session_tags, c->caller.session_tags_len, &off, &k, &v, &tr) == C_OK) {
		if (!tr)
			continue;
		if (tag_listed(tags, k))
			return aws_err_set(&c->err, ERR_INVALID_PARAMETER_VALUE,
			                   "One or more of the specified transitive tag keys can't be set because it conflicts "
			                   "with a transitive tag key from the calling session: %s",
			                   k);
		if (claims_add_tag(cl, k, v, true) != C_OK)
			goto too_large;
	}
	json_array_foreach(ttk, i, t)
	{
		if (!json_is_string(t) || !tag_listed(tags, json_string_value(t)))
			return aws_err_set(&c->err, ERR_INVALID_PARAMETER_VALUE,
			                   "The transitive tag key %s is not one of the session tags.",
			                   json_is_string(t) ? json_string_value(t) : "");
	}
	json_array_foreach(tags, i, t)
	{
		const char *key = json_string_value(json_object_get(t, "Key"));
		const char *value = json_string_value(json_object_get(t, "Value"));
		if (!key || !value)
			continue;
		if (claims_add_tag(cl, key, value, listed(ttk, key)) != C_OK)
			goto too_large;
	}
	return C_OK;
too_large:
	return aws_err_set(&c->err, ERR_PACKED_POLICY_TOO_LARGE,
	                   "Packed size of session tags consumes more than 100%% of allotted space.");
}

/* ---- the calls ------------------------------------------------------------------------------------------------ */

int sts_packed_size(struct call *c, const struct session_claims *cl, int64_t *percent)
{
	int64_t packed = (int64_t)(cl->session_policy ? strlen(cl->session_policy) : 0) + (int64_t)cl->tags_len;

	if (packed > STS_PACKED_LIMIT)
		return aws_err_set(&c->err, ERR_PACKED_POLICY_TOO_LARGE,
		                   "Packed size of session policy and tags consumes %lld%% of allotted space.",
		                   (long long)(packed * 100 / STS_PACKED_LIMIT));
	*percent = packed * 100 / STS_PACKED_LIMIT + 1;
	return C_OK;
}

int sts_credentials_json(struct call *c, const struct session_claims *cl, const char *token)
{
	json_t *cred = json_pack("{s:s, s:s, s:s, s:I}", "AccessKeyId", cl->access_key_id, "SecretAccessKey", cl->secret,
	                         "SessionToken", token, "Expiration", (json_int_t)cl->expires_s);

	if (!cred)
		return C_ERR;
	compat_keys_remember(c->srv->compat_keys, cl->access_key_id, token); /* --compat moto only (else NULL) */
	json_object_set_new(c->out, "Credentials", cred);
	return C_OK;
}

void sts_common_claims(struct call *c, struct session_claims *cl, const char *account, int64_t duration)
{
	id_access_key("ASIA", account, cl->access_key_id);
	id_secret_key(cl->secret);
	snprintf(cl->account_id, sizeof(cl->account_id), "%s", account);
	snprintf(cl->source_arn, sizeof(cl->source_arn), "%s", c->caller.arn);
	cl->issued_s = c->now_ms / 1000;
	cl->expires_s = cl->issued_s + duration;
	/* MFA verified now, or carried from the caller's own MFA session (GetSessionToken with MFA, then AssumeRole). */
	cl->mfa_s = c->mfa_verified_s ? c->mfa_verified_s : (c->caller.temporary ? c->caller.mfa_s : 0);
}

int sts_assume_role(struct call *c)
{
	const char *arn = call_str(c, "RoleArn"), *session = call_str(c, "RoleSessionName");
	const char *source_identity = call_str(c, "SourceIdentity");
	char account[ACCOUNT_ID_LEN + 1], name[IAM_NAME_MAX + 1], token[TOKEN_MAX];
	struct store_role role = {0};
	struct session_claims cl;
	int64_t duration = call_int(c, "DurationSeconds", 3600), packed;
	json_t *user;
	int rc = C_ERR;

	memset(&cl, 0, sizeof(cl));
	if (sts_role_arn_parts(arn, account, name, sizeof(name)) != C_OK ||
	    store_role_get(c->tx, account, name, &role) != C_OK)
		return not_authorized(c, arn);
	/* AWS counts any temporary caller as role chaining here: a role session, and also the MFA session of an IAM
	 * user (GetSessionToken), which is why aws-vault and rolegate's --direct skip GetSessionToken for long roles. */
	if (c->caller.temporary && duration > CHAINED_MAX_S) {
		aws_err_set(&c->err, ERR_VALIDATION,
		            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role "
		            "chaining.");
		goto done;
	}
	if (duration > role.max_session_s) {
		aws_err_set(&c->err, ERR_VALIDATION,
		            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
		goto done;
	}
	if (c->caller.source_identity[0] && source_identity && strcmp(source_identity, c->caller.source_identity) != 0) {
		aws_err_set(&c->err, ERR_ACCESS_DENIED,
		            "The source identity of a session cannot be changed: the calling session's is %s.",
		            c->caller.source_identity);
		goto done;
	}
	if (c->now_ms - role.last_used_ms >= 60 * 1000 || strcmp(role.last_used_region, c->region) != 0)
		snprintf(c->role_used, sizeof(c->role_used), "%s", role.role_id);
	cl.kind = 'R';
	sts_common_claims(c, &cl, account, duration);
	snprintf(cl.role_id, sizeof(cl.role_id), "%s", role.role_id);
	snprintf(cl.role_name, sizeof(cl.role_name), "%s", role.name);
	snprintf(cl.role_path, sizeof(cl.role_path), "%s", role.path);
	snprintf(cl.session_name, sizeof(cl.session_name), "%s", session);
	snprintf(cl.source_identity, sizeof(cl.source_identity), "%s",
	         source_identity ? source_identity : c->caller.source_identity);
	cl.chained = c->caller.kind == PRINCIPAL_ROLE_SESSION;
	if (sts_session_policy(c, account, &cl.session_policy) != C_OK || sts_session_tags(c, &cl) != C_OK ||
	    sts_packed_size(c, &cl, &packed) != C_OK)
		goto done;
	if (token_issue(c->srv->keyring, c->tx, &cl, token, sizeof(token)) != C_OK) {
		aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The session token could not be issued.");
		goto done;
	}
	if (sts_credentials_json(c, &cl, token) != C_OK)
		goto done;
	user = json_pack("{s:s, s:s}", "AssumedRoleId", "", "Arn", "");
	{
		char id[IAM_ID_MAX + 66], sarn[ARN_MAX + 1];
		snprintf(id, sizeof(id), "%s:%s", role.role_id, session);
		snprintf(sarn, sizeof(sarn), "arn:aws:sts::%s:assumed-role/%s/%s", account, role.name, session);
		json_object_set_new(user, "AssumedRoleId", json_string(id));
		json_object_set_new(user, "Arn", json_string(sarn));
	}
	json_object_set_new(c->out, "AssumedRoleUser", user);
	if (cl.session_policy || cl.ntags)
		json_object_set_new(c->out, "PackedPolicySize", json_integer(packed));
	if (cl.source_identity[0])
		json_object_set_new(c->out, "SourceIdentity", json_string(cl.source_identity));
	rc = C_OK;
done:
	explicit_bzero(token, sizeof(token));
	claims_clear(&cl);
	store_role_clear(&role);
	return rc;
}

int sts_get_session_token(struct call *c)
{
	int64_t duration = call_int(c, "DurationSeconds", 43200);
	struct session_claims cl;
	char token[TOKEN_MAX];
	int rc = C_ERR;

	if (c->caller.temporary)
		return aws_err_set(&c->err, ERR_ACCESS_DENIED, "Cannot call GetSessionToken with session credentials");
	if (c->caller.kind == PRINCIPAL_ROOT) {
		if (!json_object_get(c->in, "DurationSeconds"))
			duration = 3600;
		if (duration > 3600)
			return aws_err_set(&c->err, ERR_VALIDATION,
			                   "The requested DurationSeconds exceeds the 1 hour session limit for the root user.");
	}
	memset(&cl, 0, sizeof(cl));
	cl.kind = 'U';
	sts_common_claims(c, &cl, c->caller.account_id, duration);
	if (c->caller.kind == PRINCIPAL_USER)
		snprintf(cl.user_id, sizeof(cl.user_id), "%.31s", c->caller.id);
	if (token_issue(c->srv->keyring, c->tx, &cl, token, sizeof(token)) == C_OK &&
	    sts_credentials_json(c, &cl, token) == C_OK)
		rc = C_OK;
	else
		aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The session token could not be issued.");
	explicit_bzero(token, sizeof(token));
	claims_clear(&cl);
	return rc;
}

static const struct action actions[] = {
	{"sts", "AssumeRole", false, sts_resource_assume_role, sts_assume_role, .audit_durably = true,
	 .writes = spends_mfa_code, .after = sts_sessions_after},
	{"sts", "GetSessionToken", false, sts_resource_session, sts_get_session_token, .audit_durably = true,
	 .writes = spends_mfa_code, .after = sts_sessions_after},
};

ACTION_TABLE(sts_session_actions, actions);
