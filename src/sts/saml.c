/*
 * saml.c - sts:AssumeRoleWithSAML: a role session for whoever holds a SAML response the role's trust policy
 * accepts. Unsigned, as on AWS: the response is the credential.
 *
 *   resource hook  the provider (PrincipalArn) loaded, the caller set to it (so refusals are audited under its
 *                  account); the response verified against its metadata (src/federation/saml.h); the pair
 *                  RoleArn,PrincipalArn found in the Role attribute; RoleSessionName read; the role's trust policy
 *                  loaded; the saml:* keys and the assertion's session tags put on c->federation for the context
 *   authorize      the trust policy alone, with principal {"Federated": PROVIDER_ARN} (authz.c), and sts:TagSession /
 *                  sts:SetSourceIdentity when the assertion brings tags / a source identity
 *   run            the sealed session token, as AssumeRole issues it (sessions.c), and AWS's answer
 * Audited durably before the credentials leave, granted or refused, like AssumeRole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/arn.h"
#include "federation/saml.h"
#include "iam/iam.h"
#include "server/tokens.h"
#include "store/iam_store.h"
#include "store/saml.h"
#include "sts/sts.h"
#include "util/common.h"
#include "util/log.h"

#define ATTR_ROLE "https://aws.amazon.com/SAML/Attributes/Role"
#define ATTR_SESSION_NAME "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
#define ATTR_SESSION_DURATION "https://aws.amazon.com/SAML/Attributes/SessionDuration"
#define ATTR_SOURCE_IDENTITY "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
#define ATTR_TRANSITIVE "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
#define ATTR_TAG_PREFIX "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
#define PACKED_LIMIT 4096

/* The attributes AWS maps to saml:* condition keys (IAM User Guide, "Mapping SAML attributes to AWS trust policy
 * context keys"): by OID, and the ADFS claim names. */
static const struct {
	const char *attribute, *key;
} mapped[] = {
	{"urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "saml:edupersonaffiliation"},
	{"urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "saml:edupersonnickname"},
	{"urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "saml:edupersonorgdn"},
	{"urn:oid:1.3.6.1.4.1.5923.1.1.1.4", "saml:edupersonorgunitdn"},
	{"urn:oid:1.3.6.1.4.1.5923.1.1.1.5", "saml:edupersonprimaryaffiliation"},
	{"urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "saml:edupersonprincipalname"},
	{"urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "saml:edupersonentitlement"},
	{"urn:oid:1.3.6.1.4.1.5923.1.1.1.8", "saml:edupersonprimaryorgunitdn"},
	{"urn:oid:1.3.6.1.4.1.5923.1.1.1.9", "saml:edupersonscopedaffiliation"},
	{"urn:oid:1.3.6.1.4.1.5923.1.1.1.10", "saml:edupersontargetedid"},
	{"urn:oid:1.3.6.1.4.1.5923.1.1.1.11", "saml:edupersonassurance"},
	{"urn:oid:1.3.6.1.4.1.5923.1.2.1.2", "saml:eduorghomepageuri"},
	{"urn:oid:1.3.6.1.4.1.5923.1.2.1.3", "saml:eduorgidentityauthnpolicyuri"},
	{"urn:oid:1.3.6.1.4.1.5923.1.2.1.4", "saml:eduorglegalname"},
	{"urn:oid:1.3.6.1.4.1.5923.1.2.1.5", "saml:eduorgsuperioruri"},
	{"urn:oid:1.3.6.1.4.1.5923.1.2.1.6", "saml:eduorgwhitepagesuri"},
	{"urn:oid:2.5.4.3", "saml:cn"},
	{"urn:oid:0.9.2342.19200300.100.1.1", "saml:uid"},
	{"urn:oid:0.9.2342.19200300.100.1.3", "saml:mail"},
	{"urn:oid:2.5.4.45", "saml:x500UniqueIdentifier"},
	{"http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid", "saml:primaryGroupSID"},
	{"http://schemas.xmlsoap.org/claims/CommonName", "saml:commonName"},
	{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "saml:givenName"},
	{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "saml:surname"},
	{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "saml:name"},
	{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "saml:mail"},
	{"urn:oid:1.3.6.1.4.1.25178.1.2.9", "saml:organizationStatus"},
};

static int invalid(struct call *c, const char *fmt, const char *arg)
{
	return aws_err_set(&c->err, ERR_INVALID_IDENTITY_TOKEN, fmt, arg);
}

static int not_authorized(struct call *c)
{
	return aws_err_set(&c->err, ERR_ACCESS_DENIED, "Not authorized to perform sts:AssumeRoleWithSAML");
}

/* Splits arn:aws:iam::ACCT:role/PATH/NAME into account and name. */
static int role_arn_parts(const char *arn, char account[ACCOUNT_ID_LEN + 1], char *name, size_t cap)
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

/* Whether one value of the Role attribute is the pair "role,provider" (either order, spaces around ignored). */
static bool names_pair(const char *value, const char *role, const char *provider)
{
	const char *comma = strchr(value, ','), *a = value, *b;
	size_t la, lb;

	if (!comma || strchr(comma + 1, ','))
		return false;
	while (*a == ' ')
		a++;
	la = (size_t)(comma - a);
	while (la && a[la - 1] == ' ')
		la--;
	for (b = comma + 1; *b == ' '; b++)
		;
	lb = strlen(b);
	while (lb && b[lb - 1] == ' ')
		lb--;
	return (la == strlen(role) && strncmp(a, role, la) == 0 && lb == strlen(provider) && strncmp(b, provider, lb) == 0) ||
	       (la == strlen(provider) && strncmp(a, provider, la) == 0 && lb == strlen(role) && strncmp(b, role, lb) == 0);
}

static bool session_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("_+=,.@-", *s)))
			return false;
	return true;
}

/* Appends value to keys[key] (an array, created when absent). */
static int add_key(json_t *keys, const char *key, const char *value)
{
	json_t *arr = json_object_get(keys, key);

	if (!arr) {
		if (!(arr = json_array()) || json_object_set_new(keys, key, arr) != 0)
			return C_ERR;
	}
	return json_array_append_new(arr, json_string(value)) == 0 ? C_OK : C_ERR;
}

int sts_saml_federation(struct call *c, const struct saml_assertion *as, const char *account,
                         const char *provider_name, const char *session_name)
{
	json_t *fed = json_object(), *keys = json_object(), *claims = json_object(), *tags = json_object();
	const struct saml_attribute *tr = saml_attribute(as, ATTR_TRANSITIVE), *si = saml_attribute(as, ATTR_SOURCE_IDENTITY);
	const struct saml_attribute *dur = saml_attribute(as, ATTR_SESSION_DURATION);
	char nq[64], doc[ACCOUNT_ID_LEN + SAML_PROVIDER_NAME_MAX + 2];
	int rc = C_ERR;

	if (!fed || !keys || !claims || !tags)
		goto done;
	json_object_set(fed, "keys", keys);
	json_object_set(fed, "claims", claims);
	if (saml_name_qualifier(as->issuer, account, provider_name, nq, sizeof(nq)) != C_OK)
		goto done;
	snprintf(doc, sizeof(doc), "%s/%s", account, provider_name);
	if (add_key(keys, "saml:aud", as->recipient) || add_key(keys, "saml:iss", as->issuer) ||
	    add_key(keys, "saml:sub", as->name_id) || add_key(keys, "saml:sub_type", saml_subject_type(as->name_id_format)) ||
	    add_key(keys, "saml:namequalifier", nq) || add_key(keys, "saml:doc", doc) ||
	    add_key(keys, "sts:RoleSessionName", session_name))
		goto done;
	for (size_t i = 0; i < as->nattrs; i++) {
		const struct saml_attribute *a = &as->attrs[i];
		for (size_t m = 0; m < ARRAY_LEN(mapped); m++)
			if (strcmp(a->name, mapped[m].attribute) == 0)
				for (size_t j = 0; j < a->n; j++)
					if (add_key(keys, mapped[m].key, a->values[j]) != C_OK)
						goto done;
		if (strncmp(a->name, ATTR_TAG_PREFIX, sizeof(ATTR_TAG_PREFIX) - 1) == 0 && a->n == 1) {
			const char *k = a->name + sizeof(ATTR_TAG_PREFIX) - 1;
			char rk[200];
			if (!k[0] || strlen(k) > 128 || strlen(a->values[0]) > 256) {
				invalid(c, "Invalid session tag in AuthnResponse: %.150s", k);
				goto done;
			}
			if (json_object_size(tags) >= SESSION_TAGS_MAX) {
				aws_err_set(&c->err, ERR_PACKED_POLICY_TOO_LARGE,
				            "Packed size of session tags consumes more than 100%% of allotted space.");
				goto done;
			}
			snprintf(rk, sizeof(rk), "aws:RequestTag/%s", k);
			if (json_object_set_new(tags, k, json_string(a->values[0])) != 0 || add_key(keys, rk, a->values[0]) ||
			    add_key(keys, "aws:TagKeys", k))
				goto done;
		}
	}
	for (size_t j = 0; tr && j < tr->n; j++)
		if (add_key(keys, "sts:TransitiveTagKeys", tr->values[j]) != C_OK)
			goto done;
	if (si && si->n == 1 && add_key(keys, "sts:SourceIdentity", si->values[0]) != C_OK)
		goto done;
	json_object_set_new(claims, "Subject", json_string(as->name_id));
	json_object_set_new(claims, "SubjectType", json_string(saml_subject_type(as->name_id_format)));
	json_object_set_new(claims, "Issuer", json_string(as->issuer));
	json_object_set_new(claims, "Audience", json_string(as->recipient));
	json_object_set_new(claims, "NameQualifier", json_string(nq));
	json_object_set_new(claims, "RoleSessionName", json_string(session_name));
	json_object_set(claims, "Tags", tags);
	if (tr)
		json_object_set(claims, "TransitiveTagKeys", json_object_get(keys, "sts:TransitiveTagKeys"));
	if (si && si->n == 1)
		json_object_set_new(claims, "SourceIdentity", json_string(si->values[0]));
	if (dur && dur->n == 1)
		json_object_set_new(claims, "SessionDuration", json_string(dur->values[0]));
	c->federation = fed;
	fed = NULL;
	rc = C_OK;
done:
	json_decref(fed);
	json_decref(keys);
	json_decref(claims);
	json_decref(tags);
	return rc;
}

/* The URL of this server's own /saml, as the browser reached it (a Recipient accepted besides AWS's). */
static void own_recipient(struct call *c, char *out, size_t cap)
{
	const char *host = NULL;

	out[0] = '\0';
	if (!c->req)
		return;
	for (size_t i = 0; i < c->req->nheaders; i++)
		if (strcasecmp(c->req->headers[i].name, "Host") == 0)
			host = c->req->headers[i].value;
	if (host && !strpbrk(host, "/?#@ "))
		snprintf(out, cap, "%s://%s/saml", c->req->tls ? "https" : "http", host);
}

/* Verifies SAMLAssertion against the provider p: c->federation set on success. */
static int verify(struct call *c, const struct store_saml_provider *p, const char *role_arn, const char *provider_arn,
                  char *session_name, size_t cap)
{
	const char *b64 = call_str(c, "SAMLAssertion");
	const struct saml_attribute *roles, *sn;
	struct saml_metadata md;
	struct saml_assertion as;
	struct saml_expect exp = {.now_s = c->now_ms / 1000};
	char err[SAML_ERR_MAX], own[300];
	enum saml_verdict v;
	bool paired = false;
	int rc = C_ERR;

	if (saml_metadata_parse(p->metadata, strlen(p->metadata), &md, err) != C_OK) {
		log_warnx("saml provider %s: its metadata no longer reads: %s", provider_arn, err);
		return invalid(c, "%s", "Unable to read the metadata of the specified provider");
	}
	own_recipient(c, own, sizeof(own));
	exp.own_recipient = own[0] ? own : NULL;
	v = saml_response_verify(b64, strlen(b64), &md, &exp, &as, err);
	saml_metadata_clear(&md);
	if (v == SAML_EXPIRED)
		aws_err_set(&c->err, ERR_EXPIRED_TOKEN_EXCEPTION, "%s", err);
	else if (v == SAML_FAILURE)
		aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed: %s", err);
	else if (v != SAML_VALID)
		invalid(c, "%s", err);
	if (v != SAML_VALID)
		goto done;
	roles = saml_attribute(&as, ATTR_ROLE);
	for (size_t i = 0; roles && i < roles->n && !paired; i++)
		paired = names_pair(roles->values[i], role_arn, provider_arn);
	if (!paired) {
		not_authorized(c);
		goto done;
	}
	sn = saml_attribute(&as, ATTR_SESSION_NAME);
	if (!sn || sn->n != 1) {
		invalid(c, "%s", "RoleSessionName is required in AuthnResponse");
		goto done;
	}
	if (!session_name_ok(sn->values[0])) {
		invalid(c, "%s", "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}");
		goto done;
	}
	snprintf(session_name, cap, "%s", sn->values[0]);
	rc = sts_saml_federation(c, &as, p->account_id, p->name, session_name);
	if (rc != C_OK && c->err.code == ERR_NONE)
		aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
done:
	saml_assertion_clear(&as);
	return rc;
}

/* Resource: the role; authenticates the response (see the top of this file). */
static int resource_saml(struct call *c, char *out, size_t cap)
{
	const char *role_arn = call_str(c, "RoleArn"), *provider_arn = call_str(c, "PrincipalArn");
	char account[ACCOUNT_ID_LEN + 1], name[IAM_NAME_MAX + 1], pname[SAML_PROVIDER_NAME_MAX + 1], perr[POLICY_ERROR_MAX];
	char session[65];
	struct store_saml_provider p = {0};
	struct store_account acct;
	struct store_role role = {0};
	int rc = C_ERR;

	if (snprintf(out, cap, "%s", role_arn) >= (int)cap)
		return C_ERR;
	if (role_arn_parts(role_arn, account, name, sizeof(name)) != C_OK)
		return aws_err_set(&c->err, ERR_VALIDATION, "%.200s is not a valid role ARN.", role_arn);
	if (iam_saml_provider_name(provider_arn, NULL, pname, sizeof(pname)) != C_OK)
		return aws_err_set(&c->err, ERR_VALIDATION, "%.200s is not a valid SAML provider ARN.", provider_arn);
	/* the provider must be the role's account's own */
	if (iam_saml_provider_name(provider_arn, account, pname, sizeof(pname)) != C_OK)
		return not_authorized(c);
	rc = store_saml_get(c->tx, account, pname, &p);
	if (rc == STORE_NOT_FOUND)
		return invalid(c, "%s", "Specified provider doesn't exist.");
	if (rc != C_OK)
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	/* the caller, from here: the provider (a refusal is audited in its account) */
	c->caller.kind = PRINCIPAL_SAML;
	snprintf(c->caller.account_id, sizeof(c->caller.account_id), "%s", account);
	snprintf(c->caller.arn, sizeof(c->caller.arn), "arn:aws:iam::%s:saml-provider/%s", account, p.name);
	snprintf(c->caller.id, sizeof(c->caller.id), "%.64s", p.name);
	rc = C_ERR;
	if (strcmp(c->caller.arn, provider_arn) != 0) { /* the name's case: the ARN must be the provider's own */
		invalid(c, "%s", "Specified provider doesn't exist.");
		goto done;
	}
	if (verify(c, &p, role_arn, provider_arn, session, sizeof(session)) != C_OK)
		goto done;
	{
		json_t *claims = json_object_get(c->federation, "claims");
		snprintf(c->caller.name, sizeof(c->caller.name), "%.64s", json_string_value(json_object_get(claims, "Subject")));
		snprintf(c->caller.id, sizeof(c->caller.id), "%.28s:%.68s",
		         json_string_value(json_object_get(claims, "NameQualifier")),
		         json_string_value(json_object_get(claims, "Subject")));
	}
	/* the role, in an open account, by its own ARN: else refused as the trust policy would */
	if (store_account_get(c->tx, account, &acct) != C_OK || strcmp(acct.status, "ACTIVE") != 0 ||
	    store_role_get(c->tx, account, name, &role) != C_OK) {
		not_authorized(c);
		goto done;
	}
	{
		char own[ARN_MAX + 1];
		snprintf(own, sizeof(own), "arn:aws:iam::%s:role%s%s", role.account_id, role.path, role.name);
		if (strcmp(own, role_arn) != 0) {
			not_authorized(c);
			goto done;
		}
	}
	if (policy_compile(role.trust_policy, strlen(role.trust_policy), POLICY_TRUST, &c->resource_policy, perr) !=
	    C_OK) {
		log_warnx("role %s: its trust policy no longer compiles: %s", role_arn, perr);
		not_authorized(c);
		goto done;
	}
	rc = C_OK;
done:
	store_role_clear(&role);
	store_saml_clear(&p);
	return rc;
}

/* The session's length: DurationSeconds, else the SessionDuration attribute, else an hour; within the role's. */
static int session_duration(struct call *c, json_t *claims, int64_t max_s, int64_t *out)
{
	const char *attr = json_string_value(json_object_get(claims, "SessionDuration"));
	char *end;
	long long d;

	*out = 3600;
	if (json_object_get(c->in, "DurationSeconds")) {
		*out = call_int(c, "DurationSeconds", 3600);
	} else if (attr) {
		d = strtoll(attr, &end, 10);
		if (end == attr || *end || d < 900 || d > 43200)
			return invalid(c, "%s", "SessionDuration in AuthnResponse must be a number between 900 and 43200");
		*out = d;
		if (*out > max_s)
			*out = max_s; /* the attribute asks; the role's maximum decides */
	}
	if (*out > max_s)
		return aws_err_set(&c->err, ERR_VALIDATION,
		                   "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
	return C_OK;
}

static int assume_role_with_saml(struct call *c)
{
	const char *arn = call_str(c, "RoleArn");
	json_t *claims = json_object_get(c->federation, "claims"), *tags = json_object_get(claims, "Tags"),
	       *transitive = json_object_get(claims, "TransitiveTagKeys"), *v, *user;
	const char *session = json_string_value(json_object_get(claims, "RoleSessionName")), *k;
	const char *source_identity = json_string_value(json_object_get(claims, "SourceIdentity"));
	char account[ACCOUNT_ID_LEN + 1], name[IAM_NAME_MAX + 1], token[TOKEN_MAX], id[IAM_ID_MAX + 66], sarn[ARN_MAX + 1];
	struct store_role role = {0};
	struct session_claims cl;
	int64_t duration, packed;
	int rc = C_ERR;

	memset(&cl, 0, sizeof(cl));
	token[0] = '\0';
	if (!claims || !session || role_arn_parts(arn, account, name, sizeof(name)) != C_OK ||
	    store_role_get(c->tx, account, name, &role) != C_OK)
		return not_authorized(c);
	if (session_duration(c, claims, role.max_session_s, &duration) != C_OK)
		goto done;
	if (source_identity && (strlen(source_identity) < 2 || strlen(source_identity) > 64)) {
		invalid(c, "%s", "SourceIdentity in AuthnResponse must be 2 to 64 characters");
		goto done;
	}
	if (c->now_ms - role.last_used_ms >= 60 * 1000 || strcmp(role.last_used_region, c->region) != 0)
		snprintf(c->role_used, sizeof(c->role_used), "%s", role.role_id);
	cl.kind = 'R';
	id_access_key("ASIA", account, cl.access_key_id);
	id_secret_key(cl.secret);
	snprintf(cl.account_id, sizeof(cl.account_id), "%s", account);
	snprintf(cl.source_arn, sizeof(cl.source_arn), "%s", c->caller.arn);
	cl.issued_s = c->now_ms / 1000;
	cl.expires_s = cl.issued_s + duration;
	snprintf(cl.role_id, sizeof(cl.role_id), "%s", role.role_id);
	snprintf(cl.role_name, sizeof(cl.role_name), "%s", role.name);
	snprintf(cl.role_path, sizeof(cl.role_path), "%s", role.path);
	snprintf(cl.session_name, sizeof(cl.session_name), "%s", session);
	if (source_identity)
		snprintf(cl.source_identity, sizeof(cl.source_identity), "%s", source_identity);
	if (sts_session_policy(c, account, &cl.session_policy) != C_OK)
		goto done;
	json_object_foreach(tags, k, v)
	{
		bool tr = false;
		size_t i;
		json_t *t;
		json_array_foreach(transitive, i, t) tr = tr || strcasecmp(json_string_value(t), k) == 0;
		if (claims_add_tag(&cl, k, json_string_value(v), tr) != C_OK) {
			aws_err_set(&c->err, ERR_PACKED_POLICY_TOO_LARGE,
			            "Packed size of session tags consumes more than 100%% of allotted space.");
			goto done;
		}
	}
	packed = (int64_t)(cl.session_policy ? strlen(cl.session_policy) : 0) + (int64_t)cl.tags_len;
	if (packed > PACKED_LIMIT) {
		aws_err_set(&c->err, ERR_PACKED_POLICY_TOO_LARGE,
		            "Packed size of session policy and tags consumes %lld%% of allotted space.",
		            (long long)(packed * 100 / PACKED_LIMIT));
		goto done;
	}
	if (token_issue(c->srv->keyring, c->tx, &cl, token, sizeof(token)) != C_OK) {
		aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The session token could not be issued.");
		goto done;
	}
	if (sts_credentials_json(c, &cl, token) != C_OK)
		goto done;
	snprintf(id, sizeof(id), "%s:%s", role.role_id, session);
	snprintf(sarn, sizeof(sarn), "arn:aws:sts::%s:assumed-role/%s/%s", account, role.name, session);
	if (!(user = json_pack("{s:s, s:s}", "AssumedRoleId", id, "Arn", sarn)))
		goto done;
	json_object_set_new(c->out, "AssumedRoleUser", user);
	if (cl.session_policy || cl.ntags)
		json_object_set_new(c->out, "PackedPolicySize", json_integer(packed * 100 / PACKED_LIMIT + 1));
	json_object_set(c->out, "Subject", json_object_get(claims, "Subject"));
	json_object_set(c->out, "SubjectType", json_object_get(claims, "SubjectType"));
	json_object_set(c->out, "Issuer", json_object_get(claims, "Issuer"));
	json_object_set(c->out, "Audience", json_object_get(claims, "Audience"));
	json_object_set(c->out, "NameQualifier", json_object_get(claims, "NameQualifier"));
	if (cl.source_identity[0])
		json_object_set_new(c->out, "SourceIdentity", json_string(cl.source_identity));
	rc = C_OK;
done:
	explicit_bzero(token, sizeof(token));
	claims_clear(&cl);
	store_role_clear(&role);
	return rc;
}

/* A granted call advances the role's RoleLastUsed (a statistics write, at most once a minute per role). */
static void saml_after(struct call *c, bool ok)
{
	struct db_tx *tx;

	if (ok && c->role_used[0] && db_begin_stats(c->srv->db, &tx) == C_OK) {
		if (store_role_touch(tx, c->role_used, c->now_ms, c->region) != C_OK)
			db_rollback(tx);
		else
			db_commit(tx);
	}
}

static const struct action actions[] = {
	{"sts", "AssumeRoleWithSAML", false, resource_saml, assume_role_with_saml, .audit_durably = true,
	 .after = saml_after, .unsigned_call = true},
};

ACTION_TABLE(sts_saml_actions, actions);
