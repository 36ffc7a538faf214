/*
 * saml_providers.c - IAM SAML identity providers: CreateSAMLProvider, GetSAMLProvider, ListSAMLProviders,
 * UpdateSAMLProvider, DeleteSAMLProvider, TagSAMLProvider, UntagSAMLProvider, ListSAMLProviderTags.
 *
 * A provider is its IdP's metadata document, kept as given: the document is read (src/federation/saml.h) when it
 * is created or replaced, and refused with AWS's InvalidInput "Could not parse metadata" unless it is an
 * EntityDescriptor with an entityID and an IDPSSODescriptor holding a signing certificate. sts:AssumeRoleWithSAML
 * reads it again for each call (src/sts/saml.c).
 *
 * Encrypted assertions: AddPrivateKey (a PEM RSA private key) adds a key, sealed at rest (src/iam/saml_keys.h), at
 * most SAML_PRIVATE_KEYS_MAX per provider (LimitExceeded beyond); RemovePrivateKey removes one by its KeyId;
 * AssertionEncryptionMode Required makes AssumeRoleWithSAML refuse a plain assertion and needs a key. Both in one
 * UpdateSAMLProvider: the removal first. GetSAMLProvider lists the keys' KeyId and Timestamp, never a key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "aws/ids.h"
#include "federation/saml.h"
#include "iam/iam.h"
#include "iam/saml_keys.h"
#include "store/saml.h"
#include "util/common.h"
#include "util/crypto.h"

#define SAML_PROVIDERS_PER_ACCOUNT 100 /* AWS: "SAML providers per AWS account", not adjustable */
#define TAGS_PER_PROVIDER 50

int iam_saml_provider_name(const char *arn, const char *account_id, char *name, size_t cap)
{
	struct arn a;

	if (!arn || arn_parse(arn, &a) != C_OK || strcmp(a.partition, "aws") != 0 || strcmp(a.service, "iam") != 0 ||
	    a.region[0] || strncmp(a.resource, "saml-provider/", 14) != 0 || !a.resource[14] ||
	    strchr(a.resource + 14, '/') || strlen(a.resource + 14) >= cap)
		return C_ERR;
	if (account_id && strcmp(a.account, account_id) != 0)
		return STORE_NOT_FOUND;
	snprintf(name, cap, "%s", a.resource + 14);
	return C_OK;
}

/* Loads the provider SAMLProviderArn names in the caller's account: InvalidInput for what is not such an ARN,
 * NoSuchEntity (AWS's "Manifest not found") for one that does not exist here. */
static int load_provider(struct call *c, struct store_saml_provider *p)
{
	const char *arn = call_str(c, "SAMLProviderArn");
	char name[SAML_PROVIDER_NAME_MAX + 1];
	int rc = iam_saml_provider_name(arn, c->caller.account_id, name, sizeof(name));

	if (rc == C_ERR)
		return aws_err_set(&c->err, ERR_INVALID_INPUT, "ARN %.200s is not valid.", arn ? arn : "");
	if (rc == C_OK)
		rc = store_saml_get(c->tx, c->caller.account_id, name, p);
	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "Manifest not found for arn %.200s", arn);
	return rc == C_OK ? C_OK : C_ERR;
}

/* Reads SAMLMetadataDocument into p (its validUntil; the text itself is the caller's). */
static int check_metadata(struct call *c, const char *doc, struct store_saml_provider *p)
{
	struct saml_metadata md;
	char err[SAML_ERR_MAX];

	if (saml_metadata_parse(doc, strlen(doc), &md, err) != C_OK)
		return aws_err_set(&c->err, ERR_INVALID_INPUT, "Could not parse metadata: %s", err);
	p->valid_until_ms = md.valid_until_s * 1000;
	saml_metadata_clear(&md);
	return C_OK;
}

/* Applies RemovePrivateKey, AddPrivateKey and AssertionEncryptionMode to p (which has n keys stored), in the
 * store: InvalidInput for a key that is not one or not the provider's, LimitExceeded beyond SAML_PRIVATE_KEYS_MAX,
 * InvalidInput for Required without a key. The caller stores p's mode. */
static int apply_encryption(struct call *c, struct store_saml_provider *p, size_t n)
{
	const char *add = call_str(c, "AddPrivateKey"), *remove = call_str(c, "RemovePrivateKey");
	const char *mode = call_str(c, "AssertionEncryptionMode");
	struct store_saml_key k;
	char why[160] = "";
	int rc;

	if (remove) {
		rc = store_saml_key_delete(c->tx, p->provider_id, remove);
		if (rc == STORE_NOT_FOUND)
			return aws_err_set(&c->err, ERR_INVALID_INPUT,
			                   "The private key %.64s does not exist for SAML provider %s.", remove, p->name);
		if (rc != C_OK)
			return C_ERR;
		n--;
	}
	if (add) {
		if (n >= SAML_PRIVATE_KEYS_MAX)
			return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED,
			                   "Cannot exceed quota for PrivateKeysPerSAMLProvider: %d", SAML_PRIVATE_KEYS_MAX);
		rc = saml_key_seal(add, c->now_ms, &k, why, sizeof(why));
		if (rc == C_OK)
			rc = store_saml_key_add(c->tx, p->provider_id, &k);
		explicit_bzero(&k, sizeof(k));
		if (rc != C_OK)
			return why[0] ? aws_err_set(&c->err, ERR_INVALID_INPUT, "%s", why) : C_ERR;
		n++;
	}
	if (mode)
		snprintf(p->encryption_mode, sizeof(p->encryption_mode), "%s", mode);
	if (strcmp(p->encryption_mode, "Required") == 0 && n == 0)
		return aws_err_set(&c->err, ERR_INVALID_INPUT,
		                   "AssertionEncryptionMode Required needs a private key: add one with AddPrivateKey.");
	return C_OK;
}

static int arn_of(const struct store_saml_provider *p, char *out, size_t cap)
{
	return snprintf(out, cap, "arn:aws:iam::%s:saml-provider/%s", p->account_id, p->name) < (int)cap ? C_OK : C_ERR;
}

/* ---- resources ----------------------------------------------------------------------------------------------- */

static int resource_provider(struct call *c, char *out, size_t cap)
{
	const char *arn = call_str(c, "SAMLProviderArn");

	return snprintf(out, cap, "%s", arn ? arn : "*") < (int)cap ? C_OK : C_ERR;
}

static int resource_new_provider(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "arn:aws:iam::%s:saml-provider/%s", c->caller.account_id, call_str(c, "Name")) <
	               (int)cap
	               ? C_OK
	               : C_ERR;
}

static int resource_any(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "*") < (int)cap ? C_OK : C_ERR;
}

/* ---- actions ------------------------------------------------------------------------------------------------- */

static int create_provider(struct call *c)
{
	const char *doc = call_str(c, "SAMLMetadataDocument"), *name = call_str(c, "Name");
	json_t *tags = json_object_get(c->in, "Tags"), *out_tags;
	struct store_saml_provider p;
	char arn[ARN_MAX + 1];
	int64_t n = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	if (check_metadata(c, doc, &p) != C_OK ||
	    iam_check_tags(c, tags, NULL, "TagsPerSAMLProvider") != C_OK)
		return C_ERR;
	/* the SAMLProviderUUID: 26 random characters of [A-Z2-7] (privateKeyIdType: [A-Z0-9]{22,64}) */
	crypto_random_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 32, p.provider_id, SAML_PROVIDER_ID_LEN);
	p.provider_id[SAML_PROVIDER_ID_LEN] = '\0';
	snprintf(p.account_id, sizeof(p.account_id), "%s", c->caller.account_id);
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.encryption_mode, sizeof(p.encryption_mode), "Allowed");
	p.metadata = (char *)doc; /* borrowed for the insert */
	p.created_ms = c->now_ms;
	rc = store_saml_create(c->tx, &p);
	if (rc == STORE_EXISTS)
		return aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS, "SAMLProvider %s already exists.", name);
	if (rc != C_OK || store_saml_count(c->tx, c->caller.account_id, &n) != C_OK)
		return C_ERR;
	if (n > SAML_PROVIDERS_PER_ACCOUNT)
		return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for SAMLProvidersPerAccount: %d",
		                   SAML_PROVIDERS_PER_ACCOUNT);
	if (apply_encryption(c, &p, 0) != C_OK || store_saml_update(c->tx, &p) != C_OK)
		return C_ERR;
	if (tags && iam_put_tags(c, p.provider_id, tags) != C_OK)
		return C_ERR;
	if (arn_of(&p, arn, sizeof(arn)) != C_OK)
		return C_ERR;
	json_object_set_new(c->out, "SAMLProviderArn", json_string(arn));
	if (json_array_size(tags)) {
		if (!(out_tags = json_array()) || iam_tags_json(c, p.provider_id, 0, TAGS_PER_PROVIDER, out_tags) != C_OK) {
			json_decref(out_tags);
			return C_ERR;
		}
		json_object_set_new(c->out, "Tags", out_tags);
	}
	return C_OK;
}

/* PrivateKeyList: each key's KeyId and Timestamp, oldest first; never the key. */
static json_t *key_list(struct call *c, const char *provider_id)
{
	struct store_saml_key keys[SAML_PRIVATE_KEYS_MAX];
	json_t *list = json_array();
	size_t n = 0;

	if (!list || store_saml_keys(c->tx, provider_id, keys, &n) != C_OK) {
		json_decref(list);
		list = NULL;
		n = 0;
	}
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(list, json_pack("{s:s, s:I}", "KeyId", keys[i].key_id, "Timestamp",
		                                          (json_int_t)(keys[i].created_ms / 1000))) != 0) {
			json_decref(list);
			list = NULL;
			break;
		}
	explicit_bzero(keys, sizeof(keys));
	return list;
}

static int get_provider(struct call *c)
{
	struct store_saml_provider p;
	json_t *tags, *keys = NULL;
	int rc = C_ERR;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	if (!(tags = json_array()) || iam_tags_json(c, p.provider_id, 0, TAGS_PER_PROVIDER, tags) != C_OK ||
	    !(keys = key_list(c, p.provider_id))) {
		json_decref(tags);
		goto done;
	}
	json_object_set_new(c->out, "SAMLProviderUUID", json_string(p.provider_id));
	json_object_set_new(c->out, "SAMLMetadataDocument", json_string(p.metadata));
	json_object_set_new(c->out, "CreateDate", json_integer(p.created_ms / 1000));
	if (p.valid_until_ms)
		json_object_set_new(c->out, "ValidUntil", json_integer(p.valid_until_ms / 1000));
	json_object_set_new(c->out, "Tags", tags);
	json_object_set_new(c->out, "AssertionEncryptionMode", json_string(p.encryption_mode));
	json_object_set_new(c->out, "PrivateKeyList", keys);
	rc = C_OK;
done:
	store_saml_clear(&p);
	return rc;
}

static int list_one(void *ctx, const struct store_saml_provider *p)
{
	json_t *list = ctx, *e;
	char arn[ARN_MAX + 1];

	if (arn_of(p, arn, sizeof(arn)) != C_OK ||
	    !(e = json_pack("{s:s, s:I}", "Arn", arn, "CreateDate", (json_int_t)(p->created_ms / 1000))))
		return C_ERR;
	if (p->valid_until_ms)
		json_object_set_new(e, "ValidUntil", json_integer(p->valid_until_ms / 1000));
	return json_array_append_new(list, e) == 0 ? C_OK : C_ERR;
}

static int list_providers(struct call *c)
{
	json_t *list = json_array();

	if (!list)
		return C_ERR;
	json_object_set_new(c->out, "SAMLProviderList", list);
	return store_saml_list(c->tx, c->caller.account_id, list_one, list) < 0 ? C_ERR : C_OK;
}

static int update_provider(struct call *c)
{
	const char *doc = call_str(c, "SAMLMetadataDocument");
	struct store_saml_provider p;
	struct store_saml_key keys[SAML_PRIVATE_KEYS_MAX];
	char arn[ARN_MAX + 1];
	size_t n = 0;
	int rc = C_ERR;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	if (store_saml_keys(c->tx, p.provider_id, keys, &n) != C_OK || apply_encryption(c, &p, n) != C_OK)
		goto done;
	if (doc) {
		if (check_metadata(c, doc, &p) != C_OK)
			goto done;
		free(p.metadata);
		if (!(p.metadata = strdup(doc)))
			goto done;
	}
	if (store_saml_update(c->tx, &p) != C_OK || arn_of(&p, arn, sizeof(arn)) != C_OK)
		goto done;
	json_object_set_new(c->out, "SAMLProviderArn", json_string(arn));
	rc = C_OK;
done:
	explicit_bzero(keys, sizeof(keys));
	store_saml_clear(&p);
	return rc;
}

static int delete_provider(struct call *c)
{
	struct store_saml_provider p;
	int rc;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	rc = store_saml_delete(c->tx, p.provider_id) == C_OK ? C_OK : C_ERR;
	store_saml_clear(&p);
	return rc;
}

static int tag_provider(struct call *c)
{
	struct store_saml_provider p;
	json_t *tags = json_object_get(c->in, "Tags");
	int rc;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	rc = iam_check_tags(c, tags, p.provider_id, "TagsPerSAMLProvider");
	if (rc == C_OK)
		rc = iam_put_tags(c, p.provider_id, tags);
	store_saml_clear(&p);
	return rc;
}

static int untag_provider(struct call *c)
{
	struct store_saml_provider p;
	int rc;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	rc = iam_untag(c, p.provider_id);
	store_saml_clear(&p);
	return rc;
}

static int list_provider_tags(struct call *c)
{
	struct store_saml_provider p;
	int rc;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	rc = iam_list_tags_page(c, p.provider_id);
	store_saml_clear(&p);
	return rc;
}

static const struct action actions[] = {
	{"iam", "CreateSAMLProvider", true, resource_new_provider, create_provider},
	{"iam", "GetSAMLProvider", false, resource_provider, get_provider},
	{"iam", "ListSAMLProviders", false, resource_any, list_providers},
	{"iam", "UpdateSAMLProvider", true, resource_provider, update_provider},
	{"iam", "DeleteSAMLProvider", true, resource_provider, delete_provider},
	{"iam", "TagSAMLProvider", true, resource_provider, tag_provider},
	{"iam", "UntagSAMLProvider", true, resource_provider, untag_provider},
	{"iam", "ListSAMLProviderTags", false, resource_provider, list_provider_tags},
};

ACTION_TABLE(iam_saml_provider_actions, actions);
