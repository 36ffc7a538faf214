/*
 * context.c - the condition keys of a call.
 *
 * Present only when AWS would present them: aws:username for IAM users, aws:MultiFactorAuthPresent only for
 * temporary credentials (long-term access keys carry none), aws:RequestTag/KEY and aws:TagKeys only when the request
 * carries tags.
 */
#include "server/context.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/common.h"
#include "util/timeutil.h"

/* Copies s into ctx's storage. NULL when full. */
static const char *keep(struct call_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *keep(struct call_context *ctx, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(ctx->text) - ctx->used;
	char *dst = ctx->text + ctx->used;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return NULL;
	ctx->used += (size_t)n + 1;
	return dst;
}

/* Adds a single-valued key. */
static void add(struct call_context *ctx, const char *key, const char *value)
{
	struct policy_ctx_entry *e;

	if (!key || !value || ctx->n == CONTEXT_MAX_KEYS || ctx->nvalues == CONTEXT_MAX_VALUES)
		return;
	e = &ctx->entries[ctx->n++];
	ctx->values[ctx->nvalues] = value;
	e->key = key;
	e->values = &ctx->values[ctx->nvalues++];
	e->nvalues = 1;
	e->multi = false;
}

struct tag_walk {
	struct call_context *ctx;
};

static int add_principal_tag(void *arg, const struct store_tag *t)
{
	struct tag_walk *w = arg;

	add(w->ctx, keep(w->ctx, "aws:PrincipalTag/%s", t->key), keep(w->ctx, "%s", t->value));
	return C_OK;
}

/* aws:RequestTag/KEY for each tag of the input's Tags, and aws:TagKeys (multi-valued). */
static void add_request_tags(struct call *c, struct call_context *ctx)
{
	json_t *tags = json_object_get(c->in, "Tags"), *t;
	struct policy_ctx_entry *keys;
	size_t i, first;

	if (!json_is_array(tags) || json_array_size(tags) == 0)
		return;
	json_array_foreach(tags, i, t)
	{
		const char *k = json_string_value(json_object_get(t, "Key"));
		const char *v = json_string_value(json_object_get(t, "Value"));
		if (k && v)
			add(ctx, keep(ctx, "aws:RequestTag/%s", k), v);
	}
	if (ctx->n == CONTEXT_MAX_KEYS)
		return;
	first = ctx->nvalues;
	json_array_foreach(tags, i, t)
	{
		const char *k = json_string_value(json_object_get(t, "Key"));
		if (k && ctx->nvalues < CONTEXT_MAX_VALUES)
			ctx->values[ctx->nvalues++] = k;
	}
	keys = &ctx->entries[ctx->n++];
	keys->key = "aws:TagKeys";
	keys->values = &ctx->values[first];
	keys->nvalues = ctx->nvalues - first;
	keys->multi = true;
}

/* Adds a multi-valued key from a JSON array of strings (sts:TransitiveTagKeys ...). */
static void add_list(struct call_context *ctx, const char *key, json_t *arr)
{
	struct policy_ctx_entry *e;
	size_t first = ctx->nvalues, i;
	json_t *v;

	if (!json_is_array(arr) || ctx->n == CONTEXT_MAX_KEYS)
		return;
	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && ctx->nvalues < CONTEXT_MAX_VALUES)
			ctx->values[ctx->nvalues++] = json_string_value(v);
	}
	e = &ctx->entries[ctx->n++];
	e->key = key;
	e->values = &ctx->values[first];
	e->nvalues = ctx->nvalues - first;
	e->multi = true;
}

static const char *principal_type(const struct principal *p)
{
	switch (p->kind) {
	case PRINCIPAL_ROOT: return "Account";
	case PRINCIPAL_USER: return "User";
	default: return "AssumedRole";
	}
}

int context_build(struct call *c, struct call_context *ctx)
{
	const struct principal *p = &c->caller;
	char now[ISO8601_LEN], org[64];
	int64_t now_s = c->now_ms / 1000;

	ctx->n = ctx->nvalues = ctx->used = 0;
	add(ctx, "aws:PrincipalArn", p->kind == PRINCIPAL_ROLE_SESSION ? p->role_arn : p->arn);
	add(ctx, "aws:PrincipalAccount", p->account_id);
	add(ctx, "aws:userid", p->id);
	add(ctx, "aws:PrincipalType", principal_type(p));
	if (p->kind == PRINCIPAL_USER)
		add(ctx, "aws:username", p->name);
	if (p->tags_complete) {
		for (size_t off = 0; off < p->tags_len;) {
			const char *k = p->tags + off, *v = k + strlen(k) + 1;
			add(ctx, keep(ctx, "aws:PrincipalTag/%s", k), v);
			off += strlen(k) + strlen(v) + 2;
		}
	} else if (p->kind == PRINCIPAL_USER) {
		struct tag_walk w = {ctx};
		if (c->tx && store_tag_list(c->tx, p->id, 0, 50, add_principal_tag, &w) < 0)
			return C_ERR;
	}
	if (c->tx && store_account_org_id(c->tx, p->account_id, org, sizeof(org)) == C_OK)
		add(ctx, "aws:PrincipalOrgID", keep(ctx, "%s", org));

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

	time_iso8601(now_s, now);
	add(ctx, "aws:CurrentTime", keep(ctx, "%s", now));
	add(ctx, "aws:EpochTime", keep(ctx, "%" PRId64, now_s));
	add(ctx, "aws:SecureTransport", "false"); /* the listener speaks plain HTTP */
	if (c->req->source_ip[0])
		add(ctx, "aws:SourceIp", c->req->source_ip);
	if (c->region[0])
		add(ctx, "aws:RequestedRegion", c->region);
	if (c->in) {
		add_request_tags(c, ctx);
		/* STS request keys (AssumeRole) and the boundary being set (CreateUser, CreateRole, Put*PermissionsBoundary) */
		add(ctx, "sts:ExternalId", json_string_value(json_object_get(c->in, "ExternalId")));
		add(ctx, "sts:RoleSessionName", json_string_value(json_object_get(c->in, "RoleSessionName")));
		add(ctx, "sts:SourceIdentity", json_string_value(json_object_get(c->in, "SourceIdentity")));
		add_list(ctx, "sts:TransitiveTagKeys", json_object_get(c->in, "TransitiveTagKeys"));
		add(ctx, "iam:PermissionsBoundary", json_string_value(json_object_get(c->in, "PermissionsBoundary")));
	}
	return C_OK;
}
