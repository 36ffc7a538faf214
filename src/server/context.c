/*
 * context.c - the condition keys of a call (context.h).
 *
 * Present only when AWS would present them: aws:username for IAM users, aws:MultiFactorAuthPresent only for
 * temporary credentials (long-term access keys carry none), aws:RequestTag/KEY and aws:TagKeys only when the request
 * carries tags; an action's service-specific keys only when the Service Authorization Reference lists them for it
 * (condkeys.h), so that a condition never matches a key AWS would leave out.
 *
 * Storage grows in chunks up to the caps of context.h; anything that does not fit marks the context overflowed and
 * context_build fails: a decision is never made on part of a context.
 */
#include "server/context.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/arn.h"
#include "server/condkeys.h"
#include "server/tokens.h"
#include "store/iam_store.h"
#include "store/mfa.h"
#include "store/oidc.h"
#include "store/orgs.h"
#include "store/saml.h"
#include "sts/federated.h"
#include "util/common.h"
#include "util/timeutil.h"

#define CHUNK_MIN 16384

struct context_chunk {
	struct context_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void context_init(struct call_context *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
}

void context_free(struct call_context *ctx)
{
	struct context_chunk *ch = ctx->chunks, *next;

	for (; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	free(ctx->entries);
	context_init(ctx);
}

/* n bytes of ctx's storage (aligned for pointers), or NULL (then the context is overflowed). */
static void *alloc(struct call_context *ctx, size_t n)
{
	struct context_chunk *ch = ctx->chunks;
	size_t need = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	void *p;

	if (ctx->overflow)
		return NULL;
	if (!ch || ch->cap - ch->used < need) {
		size_t cap = need > CHUNK_MIN ? need : CHUNK_MIN;
		if (need > CONTEXT_MAX_BYTES || ctx->bytes + cap > CONTEXT_MAX_BYTES ||
		    !(ch = malloc(sizeof(*ch) + cap))) {
			ctx->overflow = true;
			return NULL;
		}
		ch->used = 0;
		ch->cap = cap;
		ch->next = ctx->chunks;
		ctx->chunks = ch;
		ctx->bytes += cap;
	}
	p = (char *)ch->data + ch->used;
	ch->used += need;
	return p;
}

/* A formatted copy in ctx's storage, or NULL (overflowed). */
static const char *keep(struct call_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *keep(struct call_context *ctx, const char *fmt, ...)
{
	va_list ap;
	char *dst;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(dst = alloc(ctx, (size_t)n + 1))) {
		ctx->overflow = true;
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(dst, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return dst;
}

/* Adds key with n values (copied as pointers: the strings must outlive ctx's use). A NULL key means its text did
 * not fit: ctx is already overflowed. */
static void add_values(struct call_context *ctx, const char *key, const char *const *values, size_t n, bool multi)
{
	struct policy_ctx_entry *e;
	const char **vals;

	if (!key || ctx->overflow)
		return;
	if (ctx->n == ctx->cap) {
		size_t cap = ctx->cap ? ctx->cap * 2 : 64;
		if (cap > CONTEXT_MAX_KEYS)
			cap = CONTEXT_MAX_KEYS;
		if (ctx->n == cap || !(e = realloc(ctx->entries, cap * sizeof(*e)))) {
			ctx->overflow = true;
			return;
		}
		ctx->entries = e;
		ctx->cap = cap;
	}
	if (!(vals = alloc(ctx, (n ? n : 1) * sizeof(*vals))))
		return;
	for (size_t i = 0; i < n; i++)
		vals[i] = values[i];
	e = &ctx->entries[ctx->n++];
	e->key = key;
	e->values = vals;
	e->nvalues = n;
	e->multi = multi;
}

/* Adds a single-valued key; nothing when value is NULL (the key is absent). */
static void add(struct call_context *ctx, const char *key, const char *value)
{
	if (value)
		add_values(ctx, key, &value, 1, false);
	else if (!key)
		ctx->overflow = true;
}

const struct policy_ctx_entry *context_get(const struct call_context *ctx, const char *key)
{
	for (size_t i = 0; i < ctx->n; i++)
		if (strcasecmp(ctx->entries[i].key, key) == 0)
			return &ctx->entries[i];
	return NULL;
}

/* ---- the caller ----------------------------------------------------------------------------------------------- */

struct tag_walk {
	struct call_context *ctx;
	const char *fmt;         /* "aws:PrincipalTag/%s" ... */
	const char *fmt2;        /* a second key to set from the same tag (iam:ResourceTag/%s), or NULL */
	const struct principal *skip_session; /* role sessions: a role tag a session tag replaces is left out */
};

static bool in_session_tags(const struct principal *p, const char *key)
{
	size_t off = 0;
	const char *k, *v;
	bool tr;

	while (tags_next(p->session_tags, p->session_tags_len, &off, &k, &v, &tr) == C_OK)
		if (strcasecmp(k, key) == 0)
			return true;
	return false;
}

static int add_tag(void *arg, const struct store_tag *t)
{
	struct tag_walk *w = arg;
	const char *value;

	if (w->skip_session && in_session_tags(w->skip_session, t->key))
		return C_OK;
	value = keep(w->ctx, "%s", t->value);
	add(w->ctx, keep(w->ctx, w->fmt, t->key), value);
	if (w->fmt2)
		add(w->ctx, keep(w->ctx, w->fmt2, t->key), value);
	return w->ctx->overflow ? C_ERR : C_OK;
}

/* aws:PrincipalTag/KEY: a user's tags (also in its GetSessionToken sessions); a role session's session tags and
 * the tags of its role that no session tag replaces; a federated user's session tags and the tags of the IAM user
 * that made it that no session tag replaces (AWS: "the session tag passed in the request takes precedence over the
 * user tag"). Keys compare without regard to case. */
static int add_principal_tags(struct call *c, struct call_context *ctx)
{
	const struct principal *p = &c->caller;
	struct tag_walk w = {ctx, "aws:PrincipalTag/%s", NULL, NULL};
	const char *id = NULL;

	if (p->kind == PRINCIPAL_USER) {
		id = p->id;
	} else if (p->kind == PRINCIPAL_ROLE_SESSION || p->kind == PRINCIPAL_FEDERATED_USER) {
		size_t off = 0;
		const char *k, *v;
		bool tr;
		while (tags_next(p->session_tags, p->session_tags_len, &off, &k, &v, &tr) == C_OK)
			add(ctx, keep(ctx, "aws:PrincipalTag/%s", k), v);
		id = p->kind == PRINCIPAL_ROLE_SESSION ? p->role_id : (p->federator_id[0] ? p->federator_id : NULL);
		w.skip_session = p;
	}
	if (!id)
		return C_OK;
	if (!c->tx || store_tag_list(c->tx, id, 0, -1, add_tag, &w) < 0)
		return C_ERR;
	return C_OK;
}

/* The organization path of an account as AWS writes it ("o-x/r-x/ou-x/ou-y/"). STORE_NOT_FOUND outside any
 * organization; C_ERR on a storage failure. org_id receives the organization's id. */
static int org_path(struct call *c, const char *account, char org_id[ORG_ID_MAX], char *out, size_t cap)
{
	char chain[ORG_MAX_DEPTH + 8][ORG_OU_ID_MAX];
	struct store_org_account a;
	struct store_org o;
	size_t n = 0, len;
	int rc = store_org_of_account(c->tx, account, &o);

	if (rc != C_OK)
		return rc;
	snprintf(org_id, ORG_ID_MAX, "%s", o.org_id);
	rc = store_org_account_get(c->tx, o.org_id, account, c->now_ms, &a);
	if (rc == STORE_NOT_FOUND)
		snprintf(a.parent_id, sizeof(a.parent_id), "%s", o.root_id); /* not visible yet: under the root */
	else if (rc != C_OK)
		return C_ERR;
	if (strcmp(a.parent_id, o.root_id) != 0 &&
	    store_ou_ancestors(c->tx, a.parent_id, chain, ARRAY_LEN(chain), &n) != C_OK)
		return C_ERR;
	len = (size_t)snprintf(out, cap, "%s/%s/", o.org_id, o.root_id);
	for (size_t i = n; i-- > 0 && len < cap;)
		len += (size_t)snprintf(out + len, cap - len, "%s/", chain[i]);
	return len < cap ? C_OK : C_ERR;
}

/* aws:<prefix>OrgID and aws:<prefix>OrgPaths of an account in an organization. */
static int add_org_keys(struct call *c, struct call_context *ctx, const char *account, const char *prefix)
{
	char org[ORG_ID_MAX], path[ORG_ID_MAX * 2 + (ORG_MAX_DEPTH + 8) * ORG_OU_ID_MAX];
	const char *paths[1];
	int rc;

	if (!c->tx)
		return C_OK;
	if (strcmp(prefix, "Resource") == 0 && strcmp(account, c->caller.account_id) == 0) {
		/* the caller's own account (the usual case): what its Principal keys say, without asking the store again */
		const struct policy_ctx_entry *id = context_get(ctx, "aws:PrincipalOrgID"),
		                              *paths_of = context_get(ctx, "aws:PrincipalOrgPaths");
		if (id && paths_of) {
			/* copied first: adding may move the entries (the value arrays stay where they are) */
			const char *const *idv = id->values, *const *pv = paths_of->values;
			size_t idn = id->nvalues, pn = paths_of->nvalues;
			add_values(ctx, "aws:ResourceOrgID", idv, idn, false);
			add_values(ctx, "aws:ResourceOrgPaths", pv, pn, true);
		}
		return C_OK;
	}
	rc = org_path(c, account, org, path, sizeof(path));
	if (rc == STORE_NOT_FOUND)
		return C_OK;
	if (rc != C_OK)
		return C_ERR;
	add(ctx, keep(ctx, "aws:%sOrgID", prefix), keep(ctx, "%s", org));
	paths[0] = keep(ctx, "%s", path);
	if (paths[0])
		add_values(ctx, keep(ctx, "aws:%sOrgPaths", prefix), paths, 1, true);
	return C_OK;
}

static const char *principal_type(const struct principal *p)
{
	switch (p->kind) {
	case PRINCIPAL_ROOT: return "Account";
	case PRINCIPAL_USER: return "User";
	case PRINCIPAL_FEDERATED_USER: return "FederatedUser";
	default: return "AssumedRole";
	}
}

/* A claim's value(s) as strings: a string, a number or a boolean (one value), or an array of them (multi-valued).
 * NULL-terminated in the context's arena; NULL when the claim is absent or of another type. */
static const char **claim_values(struct call_context *ctx, json_t *v, size_t *n, bool *multi)
{
	json_t *items = json_is_array(v) ? v : NULL, *item;
	size_t count = items ? json_array_size(items) : 1, i;
	const char **vals;

	*n = 0;
	*multi = items != NULL;
	if (!v || count > 64 || !(vals = alloc(ctx, (count + 1) * sizeof(*vals))))
		return NULL;
	for (i = 0; i < count; i++) {
		item = items ? json_array_get(items, i) : v;
		if (json_is_string(item))
			vals[*n] = keep(ctx, "%s", json_string_value(item));
		else if (json_is_integer(item))
			vals[*n] = keep(ctx, "%" PRId64, (int64_t)json_integer_value(item));
		else if (json_is_boolean(item))
			vals[*n] = json_is_true(item) ? "true" : "false";
		else
			continue;
		if (vals[*n])
			(*n)++;
	}
	return *n || items ? vals : NULL;
}

/* An OIDC caller (sts:AssumeRoleWithWebIdentity): aws:FederatedProvider and the provider's keys, as AWS
 * documents them: URL:aud (the audience the token was accepted for: azp when present), URL:sub, URL:oaud (the aud
 * claim when azp took its place), URL:amr, and the issuer-specific claims the Service Authorization Reference lists
 * for the action under this very URL (token.actions.githubusercontent.com:repository, ...). Unsigned, the request
 * carries none of the aws:Principal* keys. */
static void add_web_identity(struct call *c, struct call_context *ctx, const struct condkeys_action *ck)
{
	const struct federated *w = c->fed;
	size_t ulen = strlen(w->provider_url), n;
	const char **vals;
	bool multi;

	add(ctx, "aws:FederatedProvider", w->provider_arn);
	add(ctx, keep(ctx, "%s:aud", w->provider_url), w->audience);
	add(ctx, keep(ctx, "%s:sub", w->provider_url), json_string_value(json_object_get(w->claims, "sub")));
	if (json_object_get(w->claims, "azp") &&
	    (vals = claim_values(ctx, json_object_get(w->claims, "aud"), &n, &multi)))
		add_values(ctx, keep(ctx, "%s:oaud", w->provider_url), vals, n, multi);
	if ((vals = claim_values(ctx, json_object_get(w->claims, "amr"), &n, &multi)))
		add_values(ctx, keep(ctx, "%s:amr", w->provider_url), vals, n, true);
	for (size_t k = 0; ck && k < ck->nkeys; k++) {
		const char *key = ck->keys[k], *claim = key + ulen + 1;
		if (strncasecmp(key, w->provider_url, ulen) != 0 || key[ulen] != ':' || strchr(claim, '$') ||
		    strcmp(claim, "aud") == 0 || strcmp(claim, "sub") == 0 || strcmp(claim, "oaud") == 0 ||
		    strcmp(claim, "amr") == 0)
			continue;
		if ((vals = claim_values(ctx, json_object_get(w->claims, claim), &n, &multi)))
			add_values(ctx, keep(ctx, "%s:%s", w->provider_url, claim), vals, n, multi);
	}
}

/* A SAML caller (sts:AssumeRoleWithSAML): the saml:* keys its assertion brings (c->fed->keys, {KEY: [values]}:
 * saml:aud, saml:iss, saml:sub, saml:sub_type, saml:namequalifier, saml:doc and the attributes AWS maps to keys); a
 * key of several values is multi-valued. The session tags, source identity and session name the assertion asks for
 * are the input's (add_request_tags, context_build). */
static void add_saml(struct call *c, struct call_context *ctx)
{
	json_t *vals, *v;
	const char *key, **arr;
	size_t i, n;

	json_object_foreach(c->fed->keys, key, vals)
	{
		if (!json_is_array(vals) || !(arr = alloc(ctx, (json_array_size(vals) + 1) * sizeof(*arr))))
			continue;
		n = 0;
		json_array_foreach(vals, i, v)
			if (json_is_string(v))
				arr[n++] = json_string_value(v);
		add_values(ctx, key, arr, n, n != 1);
	}
}

static int add_caller(struct call *c, struct call_context *ctx)
{
	const struct principal *p = &c->caller;
	int64_t now_s = c->now_ms / 1000;

	if (p->kind == PRINCIPAL_IDENTITY_PROVIDER)
		return C_OK; /* add_federated: an unsigned request has no principal keys */

	add(ctx, "aws:PrincipalArn", p->kind == PRINCIPAL_ROLE_SESSION ? p->role_arn : p->arn);
	add(ctx, "aws:PrincipalAccount", p->account_id);
	add(ctx, "aws:userid", p->id);
	add(ctx, "aws:PrincipalType", principal_type(p));
	if (p->kind == PRINCIPAL_USER)
		add(ctx, "aws:username", p->name);
	if (add_principal_tags(c, ctx) != C_OK || add_org_keys(c, ctx, p->account_id, "Principal") != C_OK)
		return C_ERR;

	/* MFA and token keys exist only for temporary credentials (and for the request that verified MFA itself). */
	if (c->mfa_verified_s) {
		add(ctx, "aws:MultiFactorAuthPresent", "true");
		add(ctx, "aws:MultiFactorAuthAge", "0");
	} else if (p->temporary) {
		add(ctx, "aws:MultiFactorAuthPresent", p->mfa_s ? "true" : "false");
		if (p->mfa_s)
			add(ctx, "aws:MultiFactorAuthAge", keep(ctx, "%" PRId64, now_s - p->mfa_s));
	}
	if (p->temporary) {
		char issued[ISO8601_LEN];
		time_iso8601(p->token_issued_s, issued);
		add(ctx, "aws:TokenIssueTime", keep(ctx, "%s", issued));
	}
	if (p->source_identity[0])
		add(ctx, "aws:SourceIdentity", p->source_identity);
	return C_OK;
}

/* ---- the resource --------------------------------------------------------------------------------------------- */

/* What the store knows of the resource acted on. */
struct resource_facts {
	char tag_id[MFA_SERIAL_MAX + ORG_POLICY_ID_MAX + 8]; /* its id in the tags table, "" when it has none */
	char boundary[ARN_MAX + 1];                          /* a user's or role's permissions boundary */
	char policy_type[ORG_TYPE_MAX];                      /* an Organizations policy's type */
};

/* The last "/"-separated segment of s. */
static const char *last_segment(const char *s)
{
	const char *slash = strrchr(s, '/');

	return slash ? slash + 1 : s;
}

/* Finds the resource of ARN a in the store. C_OK (found or not: an action on a missing resource answers for
 * itself) or C_ERR. */
static int resource_facts(struct call *c, const struct arn *a, struct resource_facts *f)
{
	const char *r = a->resource, *name = last_segment(r);
	int rc = C_OK;

	memset(f, 0, sizeof(*f));
	if (strcmp(a->service, "iam") == 0) {
		if (strncmp(r, "user/", 5) == 0) {
			struct store_user u;
			if ((rc = store_user_get(c->tx, a->account, name, &u)) == C_OK) {
				snprintf(f->tag_id, sizeof(f->tag_id), "%s", u.user_id);
				snprintf(f->boundary, sizeof(f->boundary), "%s", u.permissions_boundary);
			}
		} else if (strncmp(r, "role/", 5) == 0) {
			struct store_role role = {0};
			if ((rc = store_role_get(c->tx, a->account, name, &role)) == C_OK) {
				snprintf(f->tag_id, sizeof(f->tag_id), "%s", role.role_id);
				snprintf(f->boundary, sizeof(f->boundary), "%s", role.permissions_boundary);
			}
			store_role_clear(&role);
		} else if (strncmp(r, "policy/", 7) == 0) {
			struct store_managed_policy p;
			if ((rc = store_managed_get(c->tx, c->resource, &p)) == C_OK)
				snprintf(f->tag_id, sizeof(f->tag_id), "%s", p.policy_id);
		} else if (strncmp(r, "mfa/", 4) == 0) {
			struct store_mfa_device d;
			if ((rc = store_mfa_get(c->tx, c->resource, &d)) == C_OK)
				snprintf(f->tag_id, sizeof(f->tag_id), "%s", d.serial);
			explicit_bzero(&d, sizeof(d));
		} else if (strncmp(r, "oidc-provider/", 14) == 0) {
			struct store_oidc_provider p;
			if ((rc = store_oidc_get(c->tx, a->account, r + 14, &p)) == C_OK)
				snprintf(f->tag_id, sizeof(f->tag_id), "%s", p.provider_id);
			store_oidc_clear(&p);
		} else if (strncmp(r, "saml-provider/", 14) == 0) {
			struct store_saml_provider sp;
			if ((rc = store_saml_get(c->tx, a->account, name, &sp)) == C_OK)
				snprintf(f->tag_id, sizeof(f->tag_id), "%s", sp.provider_id);
			store_saml_clear(&sp);
		} else if (strncmp(r, "instance-profile/", 17) == 0) {
			struct store_instance_profile p;
			if ((rc = store_profile_get(c->tx, a->account, name, &p)) == C_OK)
				snprintf(f->tag_id, sizeof(f->tag_id), "%s", p.profile_id);
		}
	} else if (strcmp(a->service, "organizations") == 0 && strchr(r, '/')) {
		/* account/o-x/ID, ou/o-x/ou-ID, root/o-x/r-ID, policy/o-x/TYPE/p-ID (policy/TYPE/p-ID: AWS-managed) */
		snprintf(f->tag_id, sizeof(f->tag_id), ORG_TAG_PREFIX "%s", name);
		if (strncmp(r, "policy/", 7) == 0 && name - r > 8) {
			const char *type = name - 1;
			size_t i = 0;
			while (type > r && type[-1] != '/')
				type--;
			for (; type + i < name - 1 && i + 1 < sizeof(f->policy_type); i++)
				f->policy_type[i] = (char)(type[i] >= 'a' && type[i] <= 'z' ? type[i] - 32 : type[i]);
			f->policy_type[i] = '\0';
		}
	}
	return rc == C_OK || rc == STORE_NOT_FOUND ? C_OK : C_ERR;
}

/* aws:ResourceAccount and the organization keys of the resource's account; aws:ResourceTag/KEY (and
 * iam:ResourceTag/KEY) where the action's resource types carry them. */
static int add_resource(struct call *c, struct call_context *ctx, const struct condkeys_action *ck,
                        struct resource_facts *f)
{
	struct arn a;
	bool aws_tag = condkeys_lists(ck, "aws:ResourceTag/x"), iam_tag = condkeys_lists(ck, "iam:ResourceTag/x");

	memset(f, 0, sizeof(*f));
	if (!c->resource[0] || arn_parse(c->resource, &a) != C_OK)
		return C_OK;
	if (strlen(a.account) == ACCOUNT_ID_LEN) {
		add(ctx, "aws:ResourceAccount", keep(ctx, "%s", a.account));
		if (add_org_keys(c, ctx, a.account, "Resource") != C_OK)
			return C_ERR;
	}
	if (!c->tx || resource_facts(c, &a, f) != C_OK)
		return c->tx ? C_ERR : C_OK;
	if (f->tag_id[0] && (aws_tag || iam_tag)) {
		struct tag_walk w = {ctx, aws_tag ? "aws:ResourceTag/%s" : "iam:ResourceTag/%s",
		                     aws_tag && iam_tag ? "iam:ResourceTag/%s" : NULL, NULL};
		if (store_tag_list(c->tx, f->tag_id, 0, -1, add_tag, &w) < 0)
			return C_ERR;
	}
	return C_OK;
}

/* ---- the request ---------------------------------------------------------------------------------------------- */

/* aws:RequestTag/KEY for each tag of the input's Tags, and aws:TagKeys (multi-valued): the keys of Tags, or the
 * input's TagKeys (Untag*). */
static void add_request_tags(struct call *c, struct call_context *ctx, const struct condkeys_action *ck)
{
	json_t *tags = json_object_get(c->in, "Tags"), *untag = json_object_get(c->in, "TagKeys"), *t;
	const char **keys;
	size_t i, n = 0;

	if (json_is_array(tags) && condkeys_lists(ck, "aws:RequestTag/x"))
		json_array_foreach(tags, i, t)
		{
			const char *k = json_string_value(json_object_get(t, "Key"));
			if (k) /* validation requires it */
				add(ctx, keep(ctx, "aws:RequestTag/%s", k), json_string_value(json_object_get(t, "Value")));
		}
	if (!condkeys_lists(ck, "aws:TagKeys"))
		return;
	if (!json_is_array(tags) || json_array_size(tags) == 0)
		tags = json_is_array(untag) && json_array_size(untag) ? untag : NULL;
	if (!tags || !(keys = alloc(ctx, json_array_size(tags) * sizeof(*keys))))
		return;
	json_array_foreach(tags, i, t)
	{
		const char *k = json_is_string(t) ? json_string_value(t) : json_string_value(json_object_get(t, "Key"));
		if (k)
			keys[n++] = k;
	}
	add_values(ctx, "aws:TagKeys", keys, n, true);
}

/* A multi-valued key from a JSON array of strings (sts:TransitiveTagKeys). */
static void add_list(struct call_context *ctx, const char *key, json_t *arr)
{
	const char **vals;
	size_t i, n = 0;
	json_t *v;

	if (!json_is_array(arr) || !(vals = alloc(ctx, (json_array_size(arr) + 1) * sizeof(*vals))))
		return;
	json_array_foreach(arr, i, v)
		if (json_is_string(v))
			vals[n++] = json_string_value(v);
	add_values(ctx, key, vals, n, true);
}

/* Adds key = value when the action's row lists key. */
static void add_listed(struct call_context *ctx, const struct condkeys_action *ck, const char *key, const char *value)
{
	if (value && condkeys_lists(ck, key))
		add(ctx, key, value);
}

/* The service-specific keys of the request, for the actions that have them. */
static void add_action_keys(struct call *c, struct call_context *ctx, const struct condkeys_action *ck,
                            const struct resource_facts *f)
{
	const char *boundary = call_str(c, "PermissionsBoundary"), *type;

	add_request_tags(c, ctx, ck);
	/* iam: the managed policy attached or detached; the boundary set by the request, else the target's */
	add_listed(ctx, ck, "iam:PolicyARN", call_str(c, "PolicyArn"));
	add_listed(ctx, ck, "iam:PermissionsBoundary", boundary ? boundary : (f->boundary[0] ? f->boundary : NULL));
	add_listed(ctx, ck, "iam:AWSServiceName", call_str(c, "AWSServiceName"));
	/* organizations: the type of the policy named, created, listed or whose type is enabled */
	type = call_str(c, "Type");
	if (!type)
		type = call_str(c, "PolicyType");
	if (!type)
		type = call_str(c, "Filter");
	if (!type && f->policy_type[0])
		type = f->policy_type;
	add_listed(ctx, ck, "organizations:PolicyType", type);
	add_listed(ctx, ck, "organizations:ServicePrincipal", call_str(c, "ServicePrincipal"));
	/* sts: AssumeRole's request keys */
	add_listed(ctx, ck, "sts:ExternalId", call_str(c, "ExternalId"));
	add_listed(ctx, ck, "sts:RoleSessionName", call_str(c, "RoleSessionName"));
	add_listed(ctx, ck, "sts:SourceIdentity", call_str(c, "SourceIdentity"));
	if (condkeys_lists(ck, "sts:TransitiveTagKeys"))
		add_list(ctx, "sts:TransitiveTagKeys", json_object_get(c->in, "TransitiveTagKeys"));
}

int context_build(struct call *c, struct call_context *ctx)
{
	struct resource_facts facts;
	const struct condkeys_action *ck = NULL;
	char now[ISO8601_LEN], action[160];
	int64_t now_s = c->now_ms / 1000;

	context_free(ctx);
	if (c->svc && c->op) {
		snprintf(action, sizeof(action), "%s:%s", c->svc->id, c->op->name);
		ck = condkeys_find(action);
	}
	if (add_caller(c, ctx) != C_OK)
		return C_ERR;
	if (c->caller.kind == PRINCIPAL_IDENTITY_PROVIDER && c->fed) {
		if (c->fed->kind == FEDERATED_OIDC)
			add_web_identity(c, ctx, ck);
		else
			add_saml(c, ctx);
	}
	time_iso8601(now_s, now);
	add(ctx, "aws:CurrentTime", keep(ctx, "%s", now));
	add(ctx, "aws:EpochTime", keep(ctx, "%" PRId64, now_s));
	/* true only when this request came over the listener's TLS; no request, no claim of TLS */
	add(ctx, "aws:SecureTransport", c->req && c->req->tls ? "true" : "false");
	if (c->req && c->req->source_ip[0])
		add(ctx, "aws:SourceIp", c->req->source_ip);
	if (c->region[0])
		add(ctx, "aws:RequestedRegion", c->region);
	if (add_resource(c, ctx, ck, &facts) != C_OK)
		return C_ERR;
	if (c->in && c->op)
		add_action_keys(c, ctx, ck, &facts);
	return ctx->overflow ? C_ERR : C_OK;
}
