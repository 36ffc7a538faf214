/*
 * saml.c - sts:AssumeRoleWithSAML: a role session for whoever holds a SAML response the role's trust policy
 * accepts. Unsigned, as on AWS: the response is the credential. The same path as AssumeRoleWithWebIdentity
 * (webidentity.c; src/sts/federated.h):
 *
 *   authenticate  sts_saml_authenticate: the provider (PrincipalArn, of the role's account) loaded, the caller set to
 *                 it (so refusals are audited in its account); the response verified against its metadata
 *                 (src/federation/saml.h), an encrypted assertion decrypted with the provider's private keys
 *                 (opened from their seal for this call only, src/iam/saml_keys.h; a plain one refused when the
 *                 provider's AssertionEncryptionMode is Required); the pair RoleArn,PrincipalArn found in the Role
 *                 attribute; RoleSessionName read; the caller made the provider (PRINCIPAL_IDENTITY_PROVIDER) with the saml:* keys on c->fed,
 *                 and the session name, session tags, transitive tag keys and source identity the assertion asks for
 *                 put in the input, as AssumeRole's own parameters
 *   resource      the role and its trust policy, as AssumeRole loads them (sessions.c)
 *   authorize     the trust policy alone, with principal {"Federated": PROVIDER_ARN} (authz.c), and sts:TagSession /
 *                 sts:SetSourceIdentity when the assertion brings tags / a source identity
 *   run           the session AssumeRole issues (sessions.c), within the SessionDuration attribute, and AWS's answer
 * Audited durably before the credentials leave, granted or refused, like AssumeRole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/arn.h"
#include "federation/saml.h"
#include "iam/iam.h"
#include "iam/saml_keys.h"
#include "server/tokens.h"
#include "store/iam_store.h"
#include "store/saml.h"
#include "sts/federated.h"
#include "sts/sts.h"
#include "util/common.h"
#include "util/log.h"

#define ATTR_ROLE "https://aws.amazon.com/SAML/Attributes/Role"
#define ATTR_SESSION_NAME "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
#define ATTR_SESSION_DURATION "https://aws.amazon.com/SAML/Attributes/SessionDuration"
#define ATTR_SOURCE_IDENTITY "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
#define ATTR_TRANSITIVE "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
#define ATTR_TAG_PREFIX "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
#define NOT_AUTHORIZED "Not authorized to perform sts:AssumeRoleWithSAML"

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
	return aws_err_set(&c->err, ERR_ACCESS_DENIED, NOT_AUTHORIZED);
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

/* The tag key of tags (a JSON array of {Key, Value}) that key names, case-insensitively, or NULL. */
static const char *tag_named(json_t *tags, const char *key)
{
	json_t *t;
	size_t i;

	json_array_foreach(tags, i, t)
	{
		const char *k = json_string_value(json_object_get(t, "Key"));
		if (k && strcasecmp(k, key) == 0)
			return k;
	}
	return NULL;
}

/* The session parameters the assertion asks for, into c->in as AssumeRole's own: RoleSessionName, Tags (its
 * PrincipalTag:KEY attributes), TransitiveTagKeys (those of them the TransitiveTagKeys attribute names) and
 * SourceIdentity. InvalidIdentityToken when one is malformed. */
static int session_params(struct call *c, const struct saml_assertion *as, const char *session_name)
{
	const struct saml_attribute *tr = saml_attribute(as, ATTR_TRANSITIVE);
	const struct saml_attribute *si = saml_attribute(as, ATTR_SOURCE_IDENTITY);
	json_t *tags = json_array(), *ttk = json_array();
	int rc = C_ERR;

	if (!tags || !ttk)
		goto oom;
	for (size_t i = 0; i < as->nattrs; i++) {
		const struct saml_attribute *a = &as->attrs[i];
		const char *k = a->name + sizeof(ATTR_TAG_PREFIX) - 1;
		if (strncmp(a->name, ATTR_TAG_PREFIX, sizeof(ATTR_TAG_PREFIX) - 1) != 0 || a->n != 1)
			continue;
		if (!k[0] || strlen(k) > 128 || strlen(a->values[0]) > 256 || tag_named(tags, k)) {
			invalid(c, "Invalid session tag in AuthnResponse: %.150s", k);
			goto done;
		}
		if (json_array_size(tags) >= SESSION_TAGS_MAX) {
			aws_err_set(&c->err, ERR_PACKED_POLICY_TOO_LARGE,
			            "Packed size of session tags consumes more than 100%% of allotted space.");
			goto done;
		}
		if (json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", k, "Value", a->values[0])) != 0)
			goto oom;
	}
	for (size_t j = 0; tr && j < tr->n; j++) {
		const char *k = tag_named(tags, tr->values[j]);
		if (k && json_array_append_new(ttk, json_string(k)) != 0)
			goto oom;
	}
	if (si && (si->n != 1 || strlen(si->values[0]) < 2 || strlen(si->values[0]) > 64)) {
		invalid(c, "%s", "SourceIdentity in AuthnResponse must be 2 to 64 characters");
		goto done;
	}
	if (json_object_set_new(c->in, "RoleSessionName", json_string(session_name)) != 0 ||
	    (json_array_size(tags) && json_object_set(c->in, "Tags", tags) != 0) ||
	    (json_array_size(ttk) && json_object_set(c->in, "TransitiveTagKeys", ttk) != 0) ||
	    (si && json_object_set_new(c->in, "SourceIdentity", json_string(si->values[0])) != 0))
		goto oom;
	rc = C_OK;
	goto done;
oom:
	aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
done:
	json_decref(tags);
	json_decref(ttk);
	return rc;
}

int sts_saml_set_caller(struct call *c, const struct saml_assertion *as, const char *account,
                        const char *provider_name, const char *session_name)
{
	struct federated *fed = federated_new(FEDERATED_SAML);
	const struct saml_attribute *dur = saml_attribute(as, ATTR_SESSION_DURATION);
	char nq[64], doc[ACCOUNT_ID_LEN + SAML_PROVIDER_NAME_MAX + 2];
	json_t *keys, *claims;
	int rc = C_ERR;

	if (!fed || !(fed->keys = keys = json_object()) || !(fed->claims = claims = json_object()))
		goto oom;
	snprintf(fed->provider_arn, sizeof(fed->provider_arn), "arn:aws:iam::%s:saml-provider/%s", account, provider_name);
	if (saml_name_qualifier(as->issuer, account, provider_name, nq, sizeof(nq)) != C_OK)
		goto oom;
	snprintf(doc, sizeof(doc), "%s/%s", account, provider_name);
	if (add_key(keys, "saml:aud", as->recipient) || add_key(keys, "saml:iss", as->issuer) ||
	    add_key(keys, "saml:sub", as->name_id) || add_key(keys, "saml:sub_type", saml_subject_type(as->name_id_format)) ||
	    add_key(keys, "saml:namequalifier", nq) || add_key(keys, "saml:doc", doc))
		goto oom;
	for (size_t i = 0; i < as->nattrs; i++) {
		const struct saml_attribute *a = &as->attrs[i];
		for (size_t m = 0; m < ARRAY_LEN(mapped); m++)
			if (strcmp(a->name, mapped[m].attribute) == 0)
				for (size_t j = 0; j < a->n; j++)
					if (add_key(keys, mapped[m].key, a->values[j]) != C_OK)
						goto oom;
	}
	if (dur) {
		char *end;
		long long d = dur->n == 1 ? strtoll(dur->values[0], &end, 10) : 0;
		if (dur->n != 1 || end == dur->values[0] || *end || d < 900 || d > 43200) {
			invalid(c, "%s", "SessionDuration in AuthnResponse must be a number between 900 and 43200");
			goto done;
		}
		json_object_set_new(claims, "SessionDuration", json_integer(d));
	}
	json_object_set_new(claims, "Subject", json_string(as->name_id));
	json_object_set_new(claims, "SubjectType", json_string(saml_subject_type(as->name_id_format)));
	json_object_set_new(claims, "Issuer", json_string(as->issuer));
	json_object_set_new(claims, "Audience", json_string(as->recipient));
	json_object_set_new(claims, "NameQualifier", json_string(nq));
	if (json_object_size(claims) < 5)
		goto oom;
	if (c->in && session_params(c, as, session_name) != C_OK)
		goto done;
	federated_free(c->fed);
	c->fed = fed;
	fed = NULL;
	c->caller.kind = PRINCIPAL_IDENTITY_PROVIDER;
	snprintf(c->caller.account_id, sizeof(c->caller.account_id), "%s", account);
	snprintf(c->caller.arn, sizeof(c->caller.arn), "%s", c->fed->provider_arn);
	snprintf(c->caller.name, sizeof(c->caller.name), "%.64s", as->name_id);
	snprintf(c->caller.id, sizeof(c->caller.id), "%.28s:%.68s", nq, as->name_id);
	c->caller.path[0] = c->caller.access_key_id[0] = '\0';
	c->caller.temporary = false;
	rc = C_OK;
	goto done;
oom:
	aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
done:
	federated_free(fed);
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

/* Verifies SAMLAssertion against the provider p and its private keys: the caller and c->fed set on success. */
static int verify(struct call *c, const struct store_saml_provider *p, const struct saml_keys *keys,
                  const char *role_arn, const char *provider_arn)
{
	const char *b64 = call_str(c, "SAMLAssertion");
	const struct saml_attribute *roles, *sn;
	struct saml_metadata md;
	struct saml_assertion as;
	struct saml_expect exp = {.now_s = c->now_ms / 1000, .keys = keys};
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
		aws_err_set(&c->err, ERR_EXPIRED_IDENTITY_TOKEN, "%s", err);
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
	rc = sts_saml_set_caller(c, &as, p->account_id, p->name, sn->values[0]);
done:
	saml_assertion_clear(&as);
	return rc;
}

/* Finds the provider name of account and its private keys, opened (p and keys are the caller's to clear), in a
 * read transaction of its own: the call's comes after authentication. */
static int find_provider(struct call *c, const char *account, const char *name, struct store_saml_provider *p,
                         struct saml_keys *keys)
{
	struct db_tx *tx;
	int rc;

	if (db_begin(c->srv->db, false, &tx) != C_OK)
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	rc = store_saml_get(tx, account, name, p);
	if (rc == C_OK && saml_keys_load(tx, p->provider_id, p->encryption_mode, keys) != C_OK)
		rc = C_ERR;
	db_rollback(tx);
	if (rc == C_ERR)
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	return rc;
}

int sts_saml_authenticate(struct call *c)
{
	const char *role_arn = call_str(c, "RoleArn"), *provider_arn = call_str(c, "PrincipalArn");
	char account[ACCOUNT_ID_LEN + 1], name[IAM_NAME_MAX + 1], pname[SAML_PROVIDER_NAME_MAX + 1];
	struct store_saml_provider p = {0};
	struct saml_keys keys = {0};
	int rc;

	snprintf(c->resource, sizeof(c->resource), "%s", role_arn);
	if (sts_role_arn_parts(role_arn, account, name, sizeof(name)) != C_OK)
		return aws_err_set(&c->err, ERR_VALIDATION, "%.200s is not a valid role ARN.", role_arn);
	if (iam_saml_provider_name(provider_arn, NULL, pname, sizeof(pname)) != C_OK)
		return aws_err_set(&c->err, ERR_VALIDATION, "%.200s is not a valid SAML provider ARN.", provider_arn);
	/* the provider must be the role's account's own */
	if (iam_saml_provider_name(provider_arn, account, pname, sizeof(pname)) != C_OK)
		return not_authorized(c);
	rc = find_provider(c, account, pname, &p, &keys);
	if (rc == STORE_NOT_FOUND)
		return invalid(c, "%s", "Specified provider doesn't exist.");
	if (rc != C_OK) {
		store_saml_clear(&p);
		return C_ERR;
	}
	/* from here on the call is the provider's: refusals are audited in its account */
	c->caller.kind = PRINCIPAL_IDENTITY_PROVIDER;
	snprintf(c->caller.account_id, sizeof(c->caller.account_id), "%s", account);
	snprintf(c->caller.arn, sizeof(c->caller.arn), "arn:aws:iam::%s:saml-provider/%s", account, p.name);
	rc = C_ERR;
	if (strcmp(c->caller.arn, provider_arn) != 0) /* the name's case: the ARN must be the provider's own */
		invalid(c, "%s", "Specified provider doesn't exist.");
	else
		rc = verify(c, &p, &keys, role_arn, provider_arn);
	saml_keys_clear(&keys);
	store_saml_clear(&p);
	return rc;
}

/* ---- the action ------------------------------------------------------------------------------------------------ */

/* The role, its trust policy into c->resource_policy (AssumeRole's resource), refused in this action's words. */
static int resource_saml(struct call *c, char *out, size_t cap)
{
	if (c->caller.kind != PRINCIPAL_IDENTITY_PROVIDER || !c->fed || c->fed->kind != FEDERATED_SAML)
		return not_authorized(c);
	if (sts_resource_assume_role(c, out, cap) == C_OK)
		return C_OK;
	if (c->err.code == ERR_ACCESS_DENIED)
		not_authorized(c);
	return C_ERR;
}

/* AssumeRole's session; its length DurationSeconds, else the SessionDuration attribute (at most the role's
 * maximum), else an hour. */
static int assume_role_with_saml(struct call *c)
{
	json_t *claims = c->fed->claims, *dur = json_object_get(claims, "SessionDuration");
	static const char *const answered[] = {"Subject", "SubjectType", "Issuer", "Audience", "NameQualifier"};

	if (dur && !json_object_get(c->in, "DurationSeconds")) {
		char account[ACCOUNT_ID_LEN + 1], name[IAM_NAME_MAX + 1];
		struct store_role role = {0};
		json_int_t d = json_integer_value(dur);
		if (sts_role_arn_parts(call_str(c, "RoleArn"), account, name, sizeof(name)) != C_OK ||
		    store_role_get(c->tx, account, name, &role) != C_OK)
			return not_authorized(c);
		if (d > role.max_session_s)
			d = role.max_session_s; /* the attribute asks; the role's maximum decides */
		store_role_clear(&role);
		if (json_object_set_new(c->in, "DurationSeconds", json_integer(d)) != 0)
			return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	}
	if (sts_assume_role(c) != C_OK) {
		if (c->err.code == ERR_ACCESS_DENIED && strstr(c->err.message, "sts:AssumeRole on"))
			not_authorized(c);
		return C_ERR;
	}
	for (size_t i = 0; i < ARRAY_LEN(answered); i++)
		json_object_set(c->out, answered[i], json_object_get(claims, answered[i]));
	return C_OK;
}

static const struct action actions[] = {
	{"sts", "AssumeRoleWithSAML", false, resource_saml, assume_role_with_saml, .audit_durably = true,
	 .after = sts_sessions_after, .authenticate = sts_saml_authenticate},
};

ACTION_TABLE(sts_saml_actions, actions);
