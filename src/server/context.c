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

int context_build(struct call *c, struct call_context *ctx)
{
	const struct principal *p = &c->caller;
	char now[ISO8601_LEN];

	ctx->n = ctx->nvalues = ctx->used = 0;
	add(ctx, "aws:PrincipalArn", p->arn);
	add(ctx, "aws:PrincipalAccount", p->account_id);
	add(ctx, "aws:userid", p->id);
	switch (p->kind) {
	case PRINCIPAL_ROOT:
		add(ctx, "aws:PrincipalType", "Account");
		break;
	case PRINCIPAL_USER:
		add(ctx, "aws:PrincipalType", "User");
		add(ctx, "aws:username", p->name);
		if (p->tags_complete) {
			for (size_t off = 0; off < p->tags_len;) {
				const char *k = p->tags + off, *v = k + strlen(k) + 1;
				add(ctx, keep(ctx, "aws:PrincipalTag/%s", k), v);
				off += strlen(k) + strlen(v) + 2;
			}
		} else {
			struct tag_walk w = {ctx};
			if (c->tx && store_tag_list(c->tx, p->id, 0, 50, add_principal_tag, &w) < 0)
				return C_ERR;
		}
		break;
	}
	time_iso8601(c->now_ms / 1000, now);
	add(ctx, "aws:CurrentTime", keep(ctx, "%s", now));
	add(ctx, "aws:EpochTime", keep(ctx, "%" PRId64, c->now_ms / 1000));
	add(ctx, "aws:SecureTransport", "false"); /* the listener speaks plain HTTP */
	if (c->req->source_ip[0])
		add(ctx, "aws:SourceIp", c->req->source_ip);
	if (c->region[0])
		add(ctx, "aws:RequestedRegion", c->region);
	if (c->in)
		add_request_tags(c, ctx);
	return C_OK;
}
