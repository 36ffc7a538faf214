/*
 * webidentity.c - sts:AssumeRoleWithWebIdentity (webidentity.h).
 *
 * The token's checks, in AWS's order and words:
 *   a compact JWS of an accepted alg          InvalidIdentityToken
 *   iss names a provider of the role's account InvalidIdentityToken "No OpenIDConnect provider found in your account
 *                                              for ISS"
 *   the issuer's keys can be fetched           IDPCommunicationError (unreachable) / InvalidIdentityToken ("Couldn't
 *                                              retrieve verification key ...", or the thumbprint message)
 *   the signature verifies                     InvalidIdentityToken
 *   exp is in the future                       ExpiredTokenException "Token expired: current date/time NOW must be
 *                                              before the expiration date/time EXP"
 *   nbf and iat are not ahead of the clock (WEBID_SKEW_S of skew)       InvalidIdentityToken
 *   aud (or azp) is present                    InvalidIdentityToken "Missing a required claim: aud"
 *   the audience (azp when present, else aud) is one of the provider's client ids
 *                                              InvalidIdentityToken "Incorrect token audience"
 *   sub is present                             IDPRejectedClaim "Missing a required claim: sub" (a sub that is not
 *                                              a string of 1 to 255 characters: IDPRejectedClaim too)
 * then the trust policy decides (AccessDenied "Not authorized to perform sts:AssumeRoleWithWebIdentity").
 */
#include "sts/webidentity.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "sts/jwt.h"
#include "sts/oidc_keys.h"
#include "sts/sts.h"
#include "util/common.h"
#include "util/log.h"

#define NOT_AUTHORIZED "Not authorized to perform sts:AssumeRoleWithWebIdentity"
#define NO_KEY                                                                                                         \
	"Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity "  \
	"documentation for requirements"

static int invalid_token(struct call *c, const char *msg)
{
	return aws_err_set(&c->err, ERR_INVALID_IDENTITY_TOKEN, "%s", msg);
}

/* The provider URL an issuer names: "https://HOST[:PORT][/PATH]" without the scheme, HOST lower-cased (as
 * CreateOpenIDConnectProvider keeps it). C_ERR when iss is not an https URL that fits. */
static int provider_url_of(const char *iss, char url[OIDC_URL_MAX + 1])
{
	size_t n = 0;
	bool in_host = true;

	if (!iss || strncmp(iss, "https://", 8) != 0 || !iss[8] || strlen(iss + 8) > OIDC_URL_MAX)
		return C_ERR;
	for (const char *p = iss + 8; *p; p++) {
		if (*p == '/' || *p == ':')
			in_host = false;
		if ((unsigned char)*p <= 0x20 || *p == '?' || *p == '#' || *p == '@')
			return C_ERR;
		url[n++] = in_host ? (char)tolower((unsigned char)*p) : *p;
	}
	url[n] = '\0';
	return C_OK;
}

/* A NumericDate claim (RFC 7519 2: seconds, possibly fractional) into *out: 1 when present, 0 when absent, -1 when
 * it is not a number. */
static int numeric_date(json_t *claims, const char *name, int64_t *out)
{
	json_t *v = json_object_get(claims, name);

	if (!v)
		return 0;
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 1;
	}
	if (json_is_real(v) && isfinite(json_real_value(v)) && fabs(json_real_value(v)) < 1e15) {
		*out = (int64_t)json_real_value(v);
		return 1;
	}
	return -1;
}

/* Whether arr (a JSON array of strings) holds s. */
static bool holds(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* The audience the token was issued for, into out: azp when the token has one (it must be a client id), else the
 * one of aud's values that is a client id. C_ERR when none is. */
static int audience_of(json_t *claims, json_t *client_ids, char out[256])
{
	json_t *aud = json_object_get(claims, "aud"), *azp = json_object_get(claims, "azp"), *v;
	size_t i;

	if (azp) {
		if (!json_is_string(azp) || !holds(client_ids, json_string_value(azp)) ||
		    json_string_length(azp) >= 256)
			return C_ERR;
		snprintf(out, 256, "%s", json_string_value(azp));
		return C_OK;
	}
	if (json_is_string(aud) && holds(client_ids, json_string_value(aud)) && json_string_length(aud) < 256) {
		snprintf(out, 256, "%s", json_string_value(aud));
		return C_OK;
	}
	json_array_foreach(json_is_array(aud) ? aud : NULL, i, v)
	{
		if (json_is_string(v) && holds(client_ids, json_string_value(v)) && json_string_length(v) < 256) {
			snprintf(out, 256, "%s", json_string_value(v));
			return C_OK;
		}
	}
	return C_ERR;
}

/* The session tags and source identity a token asks for, as AWS reads them: the claim "https://aws.amazon.com/tags"
 * {"principal_tags": {"KEY": ["VALUE"]}, "transitive_tag_keys": ["KEY"]} and the claim
 * "https://aws.amazon.com/source_identity". They become the call's Tags, TransitiveTagKeys and SourceIdentity, so
 * that the trust policy must allow sts:TagSession and sts:SetSourceIdentity for them (authz.c) and the session
 * carries them (sessions.c), exactly as for AssumeRole's own parameters. InvalidIdentityToken when malformed. */
static int token_session_params(struct call *c, json_t *claims)
{
	json_t *tags = json_object_get(claims, "https://aws.amazon.com/tags"), *src, *pt, *ttk, *v, *list = NULL;
	const char *key;
	size_t i;

	src = json_object_get(claims, "https://aws.amazon.com/source_identity");
	if (src) {
		if (!json_is_string(src) || json_string_length(src) < 2 || json_string_length(src) > 64)
			return invalid_token(c, "The source identity in the ID Token provided is not valid.");
		json_object_set(c->in, "SourceIdentity", src);
	}
	if (!tags)
		return C_OK;
	pt = json_object_get(tags, "principal_tags");
	ttk = json_object_get(tags, "transitive_tag_keys");
	if (!json_is_object(tags) || (pt && !json_is_object(pt)) || (ttk && !json_is_array(ttk)) ||
	    json_object_size(pt) > 50 || json_array_size(ttk) > 50)
		return invalid_token(c, "The session tags in the ID Token provided are not valid.");
	if (!(list = json_array()))
		return C_ERR;
	json_object_foreach(pt, key, v)
	{
		json_t *value = json_is_array(v) && json_array_size(v) == 1 ? json_array_get(v, 0) : v;
		if (!json_is_string(value) || strlen(key) == 0 || strlen(key) > 128 || json_string_length(value) > 256) {
			json_decref(list);
			return invalid_token(c, "The session tags in the ID Token provided are not valid.");
		}
		json_array_append_new(list, json_pack("{s:s, s:O}", "Key", key, "Value", value));
	}
	json_array_foreach(ttk, i, v)
	{
		if (!json_is_string(v)) {
			json_decref(list);
			return invalid_token(c, "The session tags in the ID Token provided are not valid.");
		}
	}
	json_object_set_new(c->in, "Tags", list);
	if (ttk)
		json_object_set(c->in, "TransitiveTagKeys", ttk);
	return C_OK;
}

int webid_set_caller(struct call *c, const struct store_oidc_provider *p, const char *issuer, json_t *claims,
                     const char *audience)
{
	struct federated *w = federated_new(FEDERATED_OIDC);

	if (!w) {
		json_decref(claims);
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	}
	snprintf(w->provider_url, sizeof(w->provider_url), "%s", p->url);
	snprintf(w->provider_arn, sizeof(w->provider_arn), "arn:aws:iam::%s:oidc-provider/%s", p->account_id, p->url);
	snprintf(w->issuer, sizeof(w->issuer), "%s", issuer);
	snprintf(w->audience, sizeof(w->audience), "%s", audience);
	w->claims = claims;
	if (c->in && token_session_params(c, claims) != C_OK) {
		federated_free(w);
		return C_ERR;
	}
	federated_free(c->fed);
	c->fed = w;
	c->caller.kind = PRINCIPAL_IDENTITY_PROVIDER;
	snprintf(c->caller.account_id, sizeof(c->caller.account_id), "%s", p->account_id);
	snprintf(c->caller.arn, sizeof(c->caller.arn), "%s", w->provider_arn);
	c->caller.id[0] = c->caller.name[0] = c->caller.path[0] = c->caller.access_key_id[0] = '\0';
	c->caller.temporary = false;
	return C_OK;
}

/* Finds the provider of url in account (p is the caller's to clear). */
static int find_provider(struct call *c, const char *account, const char *url, struct store_oidc_provider *p)
{
	struct db_tx *tx;
	int rc;

	if (db_begin(c->srv->db, false, &tx) != C_OK)
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	rc = store_oidc_get(tx, account, url, p);
	db_rollback(tx);
	if (rc == C_ERR)
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	return rc;
}

/* The signature, against the issuer's keys (cached; fetched over HTTPS outside any transaction). */
static int check_signature(struct call *c, const char *iss, const struct store_oidc_provider *p, const struct jwt *t)
{
	char why[JWT_ERROR_MAX];

	switch (oidc_keys_verify(iss, p->thumbprints, t, c->now_ms / 1000, why)) {
	case OIDC_KEYS_VERIFIED:
		return C_OK;
	case OIDC_KEYS_BAD_CERT:
		log_warnx("req=%s: AssumeRoleWithWebIdentity: %s: %s", c->request_id, iss, why);
		return invalid_token(c, "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint");
	case OIDC_KEYS_UNREACHABLE:
		log_warnx("req=%s: AssumeRoleWithWebIdentity: %s: %s", c->request_id, iss, why);
		return aws_err_set(&c->err, ERR_IDP_COMMUNICATION,
		                   "The request could not be fulfilled because the identity provider (IDP) that was asked to "
		                   "verify the incoming identity token could not be reached. Couldn't retrieve verification "
		                   "key from your identity provider.");
	case OIDC_KEYS_BAD_DOCS:
		log_warnx("req=%s: AssumeRoleWithWebIdentity: %s: %s", c->request_id, iss, why);
		return invalid_token(c, NO_KEY);
	case OIDC_KEYS_NO_KEY:
		return invalid_token(c, NO_KEY);
	default:
		return invalid_token(c, "The ID Token provided could not be verified: its signature is invalid.");
	}
}

/* exp, nbf, iat against the clock. */
static int check_times(struct call *c, json_t *claims)
{
	int64_t now = c->now_ms / 1000, exp = 0, nbf = 0, iat = 0;
	int has_exp = numeric_date(claims, "exp", &exp), has_nbf = numeric_date(claims, "nbf", &nbf),
	    has_iat = numeric_date(claims, "iat", &iat);

	if (has_exp != 1 || has_nbf < 0 || has_iat < 0)
		return invalid_token(c, "The ID Token provided is not valid: exp is required, and exp, nbf and iat must be "
		                        "numbers.");
	if (now >= exp)
		return aws_err_set(&c->err, ERR_EXPIRED_IDENTITY_TOKEN,
		                   "Token expired: current date/time %lld must be before the expiration date/time %lld",
		                   (long long)now, (long long)exp);
	if (has_nbf && nbf > now + WEBID_SKEW_S)
		return invalid_token(c, "The ID Token provided is not yet valid (nbf is in the future).");
	if (has_iat && iat > now + WEBID_SKEW_S)
		return invalid_token(c, "The ID Token provided is not valid: it was issued in the future (iat).");
	return C_OK;
}

int webid_authenticate(struct call *c)
{
	const char *token = call_str(c, "WebIdentityToken"), *iss;
	char account[ACCOUNT_ID_LEN + 1], role_name[IAM_NAME_MAX + 1], url[OIDC_URL_MAX + 1], why[JWT_ERROR_MAX];
	char audience[256];
	struct store_oidc_provider p = {0};
	struct jwt t;
	json_t *sub;
	int rc = C_ERR;

	snprintf(c->resource, sizeof(c->resource), "%s", call_str(c, "RoleArn"));
	if (call_str(c, "ProviderId"))
		return aws_err_set(&c->err, ERR_INVALID_PARAMETER_VALUE,
		                   "ProviderId is for OAuth 2.0 access tokens of Login with Amazon and Facebook, which "
		                   "rolegate does not accept; an OpenID Connect ID token names its issuer itself.");
	if (!call_str(c, "RoleArn") ||
	    sts_role_arn_parts(call_str(c, "RoleArn"), account, role_name, sizeof(role_name)) != C_OK)
		return aws_err_set(&c->err, ERR_VALIDATION, "%s is not a valid role ARN.", call_str(c, "RoleArn"));
	if (!token || jwt_parse(token, strlen(token), &t, why) != C_OK) {
		log_debug("req=%s: AssumeRoleWithWebIdentity: token refused: %s", c->request_id, why);
		return invalid_token(c, strstr(why, "alg") ? "The ID Token's signing algorithm is not supported: tokens must "
		                                             "be signed with RS256, RS384, RS512, PS256, PS384, PS512, "
		                                             "ES256, ES384 or ES512."
		                                           : "The ID Token provided is not a valid JWT.");
	}
	iss = json_string_value(json_object_get(t.claims, "iss"));
	if (!iss || provider_url_of(iss, url) != C_OK) {
		invalid_token(c, "The ID Token provided has no valid issuer (iss).");
		goto done;
	}
	rc = find_provider(c, account, url, &p);
	if (rc == STORE_NOT_FOUND) {
		aws_err_set(&c->err, ERR_INVALID_IDENTITY_TOKEN, "No OpenIDConnect provider found in your account for %.300s",
		            iss);
		rc = C_ERR;
		goto done;
	}
	if (rc != C_OK)
		goto done;
	/* from here on the call is the provider's: refusals are audited against it */
	snprintf(c->caller.account_id, sizeof(c->caller.account_id), "%s", p.account_id);
	snprintf(c->caller.arn, sizeof(c->caller.arn), "arn:aws:iam::%s:oidc-provider/%s", p.account_id, p.url);
	c->caller.kind = PRINCIPAL_IDENTITY_PROVIDER;
	rc = C_ERR;
	if (check_signature(c, iss, &p, &t) != C_OK || check_times(c, t.claims) != C_OK)
		goto done;
	if (!json_object_get(t.claims, "aud") && !json_object_get(t.claims, "azp")) {
		invalid_token(c, "Missing a required claim: aud");
		goto done;
	}
	if (audience_of(t.claims, p.client_ids, audience) != C_OK) {
		invalid_token(c, "Incorrect token audience");
		goto done;
	}
	sub = json_object_get(t.claims, "sub");
	if (!sub) {
		aws_err_set(&c->err, ERR_IDP_REJECTED_CLAIM, "Missing a required claim: sub");
		goto done;
	}
	if (!json_is_string(sub) || json_string_length(sub) == 0 || json_string_length(sub) > 255) {
		aws_err_set(&c->err, ERR_IDP_REJECTED_CLAIM, "The ID Token provided has no valid subject (sub).");
		goto done;
	}
	rc = webid_set_caller(c, &p, iss, json_incref(t.claims), audience);
done:
	store_oidc_clear(&p);
	jwt_free(&t);
	return rc;
}

/* ---- the action ------------------------------------------------------------------------------------------------ */

/* The role, its trust policy into c->resource_policy (AssumeRole's resource), refused in this action's words. */
static int resource_web_identity(struct call *c, char *out, size_t cap)
{
	if (c->caller.kind != PRINCIPAL_IDENTITY_PROVIDER || !c->fed || c->fed->kind != FEDERATED_OIDC)
		return aws_err_set(&c->err, ERR_ACCESS_DENIED, NOT_AUTHORIZED);
	if (sts_resource_assume_role(c, out, cap) == C_OK)
		return C_OK;
	if (c->err.code == ERR_ACCESS_DENIED)
		aws_err_set(&c->err, ERR_ACCESS_DENIED, NOT_AUTHORIZED);
	return C_ERR;
}

static int assume_role_with_web_identity(struct call *c)
{
	const char *sub = json_string_value(json_object_get(c->fed->claims, "sub"));

	if (sts_assume_role(c) != C_OK)
		return C_ERR;
	json_object_set_new(c->out, "SubjectFromWebIdentityToken", json_string(sub));
	json_object_set_new(c->out, "Audience", json_string(c->fed->audience));
	json_object_set_new(c->out, "Provider", json_string(c->fed->provider_arn));
	return C_OK;
}

static const struct action actions[] = {
	{"sts", "AssumeRoleWithWebIdentity", false, resource_web_identity, assume_role_with_web_identity,
	 .audit_durably = true, .after = sts_sessions_after, .authenticate = webid_authenticate},
};

ACTION_TABLE(sts_web_identity_actions, actions);
