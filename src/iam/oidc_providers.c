/*
 * oidc_providers.c - IAM OpenID Connect identity providers: CreateOpenIDConnectProvider, GetOpenIDConnectProvider,
 * ListOpenIDConnectProviders, DeleteOpenIDConnectProvider, AddClientIDToOpenIDConnectProvider,
 * RemoveClientIDFromOpenIDConnectProvider, UpdateOpenIDConnectProviderThumbprint, TagOpenIDConnectProvider,
 * UntagOpenIDConnectProvider, ListOpenIDConnectProviderTags.
 *
 * A provider is an issuer that sts:AssumeRoleWithWebIdentity accepts tokens from (src/sts/webidentity.c): its URL
 * (the token's `iss`), the audiences it may name (client ids) and the thumbprints of the CA certificates its HTTPS
 * endpoint may present. Named by arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH, as on AWS. Limits are AWS's: 100
 * providers per account, 100 client ids and 5 thumbprints per provider, 50 tags.
 *
 * The URL as AWS documents it (API reference, CreateOpenIDConnectProvider): it must begin with https://, may have
 * a path but no query, 1 to 255 characters (botocore's model); refused too: a fragment, user info, a host that is
 * not letters, digits, '-' and '.'. AWS's messages for these refusals are not documented. One divergence, on
 * purpose: AWS's documentation says the URL "should not contain a port number" (no refusal documented); rolegate
 * accepts https://HOST:PORT (the ARN keeps it), because a self-hosted issuer (and a test's, on loopback) often
 * listens elsewhere than on 443.
 * A provider created without a ThumbprintList keeps an empty one: its issuer's certificate must then chain to the
 * system's CAs (AWS fetches a thumbprint at creation; rolegate makes no network call from IAM).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/arn.h"
#include "aws/ids.h"
#include "iam/iam.h"
#include "store/oidc.h"
#include "util/common.h"

#define PROVIDERS_PER_ACCOUNT 100
#define CLIENT_IDS_PER_PROVIDER 100
#define THUMBPRINTS_PER_PROVIDER 5
#define TAGS_PER_PROVIDER 50
#define ARN_PREFIX_FMT "arn:aws:iam::%s:oidc-provider/"

/* Whether c is allowed in a URL's path (RFC 3986 unreserved, sub-delims, ':', '@', '/' and '%'). */
static bool path_char(unsigned char c)
{
	return isalnum(c) || strchr("-._~!$&'()*+,;=:@/%", c) != NULL;
}

/* Reads "https://HOST[:PORT][/PATH]" into url (HOST lower-cased, no scheme). C_ERR with AWS's error otherwise. */
static int parse_url(struct call *c, const char *in, char url[OIDC_URL_MAX + 1])
{
	const char *p, *host;
	size_t n = 0, hostlen;

	if (strncasecmp(in, "https://", 8) != 0) {
		if (strstr(in, "://"))
			return aws_err_set(&c->err, ERR_INVALID_INPUT,
			                   "Invalid Open ID Connect Provider URL. The URL must begin with https://.");
		return aws_err_set(&c->err, ERR_VALIDATION, "Invalid Open ID Connect Provider URL");
	}
	host = in + 8;
	hostlen = strcspn(host, ":/");
	if (hostlen == 0)
		return aws_err_set(&c->err, ERR_VALIDATION, "Invalid Open ID Connect Provider URL");
	for (size_t i = 0; i < hostlen; i++) {
		unsigned char ch = (unsigned char)host[i];
		if (!isalnum(ch) && ch != '-' && ch != '.')
			return aws_err_set(&c->err, ERR_INVALID_INPUT, "Invalid Open ID Connect Provider URL.");
		url[n++] = (char)tolower(ch);
	}
	p = host + hostlen;
	if (*p == ':') {
		long port = 0;
		size_t digits = 0;
		url[n++] = *p++;
		while (isdigit((unsigned char)*p) && digits < 5) {
			port = port * 10 + (*p - '0');
			url[n++] = *p++;
			digits++;
		}
		if (digits == 0 || port < 1 || port > 65535 || (*p && *p != '/'))
			return aws_err_set(&c->err, ERR_INVALID_INPUT, "Invalid Open ID Connect Provider URL.");
	}
	for (; *p; p++) {
		if (!path_char((unsigned char)*p) || n >= OIDC_URL_MAX)
			return aws_err_set(&c->err, ERR_INVALID_INPUT, "Invalid Open ID Connect Provider URL.");
		url[n++] = *p;
	}
	url[n] = '\0';
	return C_OK;
}

/* The URL a provider ARN of the caller's account names, into url. C_ERR with AWS's error otherwise. */
static int url_of_arn(struct call *c, const char *arn, char url[OIDC_URL_MAX + 1])
{
	char prefix[64];
	size_t plen;

	snprintf(prefix, sizeof(prefix), ARN_PREFIX_FMT, c->caller.account_id);
	plen = strlen(prefix);
	if (strncmp(arn, "arn:aws:iam::", 13) != 0 || !strstr(arn, ":oidc-provider/"))
		return aws_err_set(&c->err, ERR_INVALID_INPUT, "ARN %s is not valid.", arn);
	if (strncmp(arn, prefix, plen) != 0 || !arn[plen] || strlen(arn + plen) > OIDC_URL_MAX)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "OpenIDConnect Provider not found for arn %s", arn);
	snprintf(url, OIDC_URL_MAX + 1, "%s", arn + plen);
	return C_OK;
}

/* Loads the provider OpenIDConnectProviderArn names (the caller frees it with store_oidc_clear). */
/* The provider OpenIDConnectProviderArn names: C_OK, STORE_NOT_FOUND (no error set), or C_ERR (c->err set for an
 * ARN that is not a provider's of the caller's account). */
static int find_provider(struct call *c, struct store_oidc_provider *p)
{
	char url[OIDC_URL_MAX + 1];
	int rc;

	memset(p, 0, sizeof(*p));
	if (url_of_arn(c, call_str(c, "OpenIDConnectProviderArn"), url) != C_OK)
		return C_ERR;
	rc = store_oidc_get(c->tx, c->caller.account_id, url, p);
	return rc == C_OK || rc == STORE_NOT_FOUND ? rc : C_ERR;
}

static int load_provider(struct call *c, struct store_oidc_provider *p)
{
	int rc = find_provider(c, p);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "OpenIDConnect Provider not found for arn %s",
		                   call_str(c, "OpenIDConnectProviderArn"));
	return rc;
}

/* A copy of ThumbprintList, lower-cased and without repeats; InvalidInput past 5. NULL with c->err set. */
static json_t *thumbprints_in(struct call *c)
{
	json_t *in = json_object_get(c->in, "ThumbprintList"), *out = json_array(), *v, *w;
	size_t i, j;

	if (!out)
		return NULL;
	json_array_foreach(in, i, v)
	{
		char t[41];
		bool dup = false;
		snprintf(t, sizeof(t), "%s", json_string_value(v));
		for (char *q = t; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		json_array_foreach(out, j, w) dup = dup || strcmp(json_string_value(w), t) == 0;
		if (!dup)
			json_array_append_new(out, json_string(t));
	}
	if (json_array_size(out) > THUMBPRINTS_PER_PROVIDER) {
		json_decref(out);
		aws_err_set(&c->err, ERR_INVALID_INPUT, "Thumbprint list must contain fewer than %d entries.",
		            THUMBPRINTS_PER_PROVIDER);
		return NULL;
	}
	return out;
}

/* Whether the array of strings arr holds s. */
static bool holds(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static int client_ids_limit(struct call *c)
{
	return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d",
	                   CLIENT_IDS_PER_PROVIDER);
}

/* ---- resources ----------------------------------------------------------------------------------------------- */

static int resource_new_provider(struct call *c, char *out, size_t cap)
{
	const char *in = call_str(c, "Url") ? call_str(c, "Url") : "";
	char url[OIDC_URL_MAX + 1];
	struct aws_err saved = c->err;

	/* an unparsable URL is refused by the action itself, once authorized */
	if (parse_url(c, in, url) != C_OK) {
		c->err = saved;
		snprintf(url, sizeof(url), "%s", strncasecmp(in, "https://", 8) == 0 ? in + 8 : in);
	}
	return snprintf(out, cap, ARN_PREFIX_FMT "%s", c->caller.account_id, url) < (int)cap ? C_OK : C_ERR;
}

static int resource_provider(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "%s", call_str(c, "OpenIDConnectProviderArn")) < (int)cap ? C_OK : C_ERR;
}

static int resource_any(struct call *c, char *out, size_t cap)
{
	(void)c;
	return snprintf(out, cap, "*") < (int)cap ? C_OK : C_ERR;
}

/* ---- actions ------------------------------------------------------------------------------------------------- */

static int create_provider(struct call *c)
{
	const char *in = call_str(c, "Url");
	json_t *tags = json_object_get(c->in, "Tags"), *ids = json_object_get(c->in, "ClientIDList"), *v;
	struct store_oidc_provider p;
	int64_t n = 0;
	size_t i;
	int rc = C_ERR;

	memset(&p, 0, sizeof(p));
	if (parse_url(c, in, p.url) != C_OK)
		return C_ERR;
	if (!(p.thumbprints = thumbprints_in(c)))
		return C_ERR;
	if (!(p.client_ids = json_array()))
		goto done;
	json_array_foreach(ids, i, v)
	{
		if (!holds(p.client_ids, json_string_value(v)))
			json_array_append(p.client_ids, v);
	}
	if (json_array_size(p.client_ids) > CLIENT_IDS_PER_PROVIDER) {
		client_ids_limit(c);
		goto done;
	}
	if (iam_check_tags(c, tags, NULL, "TagsPerOpenIdConnectProvider") != C_OK)
		goto done;
	id_unique("OIDP", p.provider_id);
	snprintf(p.account_id, sizeof(p.account_id), "%s", c->caller.account_id);
	p.created_ms = c->now_ms;
	rc = store_oidc_create(c->tx, &p);
	if (rc == STORE_EXISTS) {
		rc = aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS, "Provider with url https://%s already exists.", p.url);
		goto done;
	}
	if (rc != C_OK || store_oidc_count(c->tx, c->caller.account_id, &n) != C_OK) {
		rc = C_ERR;
		goto done;
	}
	if (n > PROVIDERS_PER_ACCOUNT) {
		rc = aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for OpenIdConnectProvidersPerAccount: %d",
		                 PROVIDERS_PER_ACCOUNT);
		goto done;
	}
	if (tags && iam_put_tags(c, p.provider_id, tags) != C_OK) {
		rc = C_ERR;
		goto done;
	}
	{
		char arn[ARN_MAX + 1];
		snprintf(arn, sizeof(arn), ARN_PREFIX_FMT "%s", p.account_id, p.url);
		json_object_set_new(c->out, "OpenIDConnectProviderArn", json_string(arn));
	}
	if (json_array_size(tags))
		json_object_set(c->out, "Tags", tags);
	rc = C_OK;
done:
	store_oidc_clear(&p);
	return rc;
}

static int get_provider(struct call *c)
{
	struct store_oidc_provider p;
	json_t *tags;
	int rc = C_ERR;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	tags = json_array();
	if (!tags || iam_tags_json(c, p.provider_id, 0, TAGS_PER_PROVIDER, tags) != C_OK)
		goto done;
	json_object_set_new(c->out, "Url", json_string(p.url));
	json_object_set(c->out, "ClientIDList", p.client_ids);
	json_object_set(c->out, "ThumbprintList", p.thumbprints);
	json_object_set_new(c->out, "CreateDate", json_integer((json_int_t)(p.created_ms / 1000)));
	if (json_array_size(tags)) {
		json_object_set_new(c->out, "Tags", tags);
		tags = NULL;
	}
	rc = C_OK;
done:
	json_decref(tags);
	store_oidc_clear(&p);
	return rc;
}

static int list_one(void *ctx, const struct store_oidc_provider *p)
{
	json_t *list = ctx;
	char arn[ARN_MAX + 1];

	snprintf(arn, sizeof(arn), ARN_PREFIX_FMT "%s", p->account_id, p->url);
	return json_array_append_new(list, json_pack("{s:s}", "Arn", arn)) == 0 ? C_OK : C_ERR;
}

static int list_providers(struct call *c)
{
	json_t *list = json_array();

	if (!list)
		return C_ERR;
	json_object_set_new(c->out, "OpenIDConnectProviderList", list);
	return store_oidc_list(c->tx, c->caller.account_id, list_one, list) < 0 ? C_ERR : C_OK;
}

static int delete_provider(struct call *c)
{
	struct store_oidc_provider p;
	int rc;

	/* "This operation is idempotent; it does not fail or return an error if you call the operation for a provider
	 * that does not exist." (AWS's API reference) */
	rc = find_provider(c, &p);
	if (rc == STORE_NOT_FOUND)
		return C_OK;
	if (rc != C_OK)
		return C_ERR;
	rc = store_tag_delete_all(c->tx, p.provider_id) == C_OK && store_oidc_delete(c->tx, p.provider_id) == C_OK
	             ? C_OK
	             : C_ERR;
	store_oidc_clear(&p);
	return rc;
}

static int add_client_id(struct call *c)
{
	const char *id = call_str(c, "ClientID");
	struct store_oidc_provider p;
	int rc = C_OK;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	if (!holds(p.client_ids, id)) { /* AWS: adding one already there succeeds and changes nothing */
		if (json_array_size(p.client_ids) >= CLIENT_IDS_PER_PROVIDER)
			rc = client_ids_limit(c);
		else if (json_array_append_new(p.client_ids, json_string(id)) != 0 ||
		         store_oidc_set_lists(c->tx, p.provider_id, p.client_ids, p.thumbprints) != C_OK)
			rc = C_ERR;
	}
	store_oidc_clear(&p);
	return rc;
}

static int remove_client_id(struct call *c)
{
	const char *id = call_str(c, "ClientID");
	struct store_oidc_provider p;
	size_t i;
	json_t *v;
	int rc = C_OK;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	json_array_foreach(p.client_ids, i, v)
	{
		if (strcmp(json_string_value(v), id) == 0) { /* AWS: removing one that is absent is no error */
			json_array_remove(p.client_ids, i);
			rc = store_oidc_set_lists(c->tx, p.provider_id, p.client_ids, p.thumbprints) == C_OK ? C_OK : C_ERR;
			break;
		}
	}
	store_oidc_clear(&p);
	return rc;
}

static int update_thumbprints(struct call *c)
{
	struct store_oidc_provider p;
	json_t *thumbs;
	int rc;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	if (!(thumbs = thumbprints_in(c))) {
		store_oidc_clear(&p);
		return C_ERR;
	}
	rc = store_oidc_set_lists(c->tx, p.provider_id, p.client_ids, thumbs) == C_OK ? C_OK : C_ERR;
	json_decref(thumbs);
	store_oidc_clear(&p);
	return rc;
}

static int tag_provider(struct call *c)
{
	struct store_oidc_provider p;
	json_t *tags = json_object_get(c->in, "Tags");
	int rc;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	rc = iam_check_tags(c, tags, p.provider_id, "TagsPerOpenIdConnectProvider");
	if (rc == C_OK)
		rc = iam_put_tags(c, p.provider_id, tags);
	store_oidc_clear(&p);
	return rc;
}

static int untag_provider(struct call *c)
{
	struct store_oidc_provider p;
	int rc;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	rc = iam_untag(c, p.provider_id);
	store_oidc_clear(&p);
	return rc;
}

static int list_provider_tags(struct call *c)
{
	struct store_oidc_provider p;
	int rc;

	if (load_provider(c, &p) != C_OK)
		return C_ERR;
	rc = iam_list_tags_page(c, p.provider_id);
	store_oidc_clear(&p);
	return rc;
}

static const struct action actions[] = {
	{"iam", "CreateOpenIDConnectProvider", true, resource_new_provider, create_provider},
	{"iam", "GetOpenIDConnectProvider", false, resource_provider, get_provider},
	{"iam", "ListOpenIDConnectProviders", false, resource_any, list_providers},
	{"iam", "DeleteOpenIDConnectProvider", true, resource_provider, delete_provider},
	{"iam", "AddClientIDToOpenIDConnectProvider", true, resource_provider, add_client_id},
	{"iam", "RemoveClientIDFromOpenIDConnectProvider", true, resource_provider, remove_client_id},
	{"iam", "UpdateOpenIDConnectProviderThumbprint", true, resource_provider, update_thumbprints},
	{"iam", "TagOpenIDConnectProvider", true, resource_provider, tag_provider},
	{"iam", "UntagOpenIDConnectProvider", true, resource_provider, untag_provider},
	{"iam", "ListOpenIDConnectProviderTags", false, resource_provider, list_provider_tags},
};

ACTION_TABLE(iam_oidc_provider_actions, actions);
