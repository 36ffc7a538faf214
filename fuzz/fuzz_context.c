/*
 * fuzz_context.c - the request-context builder (src/server/context.c, included to reach its statics) at and past
 * AWS's maxima: the input chooses how many principal tags (a user's, or a role's under a session's), session tags,
 * resource tags and request tags a call carries (0-60 of each: 50 is AWS's limit), their key and value lengths
 * (1-128 and 0-256 characters, AWS's maxima) and which action is called. The store is replaced by stubs that answer
 * from the input, so the builder runs without a database.
 *
 * Checks beyond the sanitizers (abort on failure): context_build either succeeds with every tag of every source in
 * the context, with the value that wins (a session tag over its role's tag of the same key, case-insensitively),
 * or fails with the context marked overflowed; it never fails while the call is within AWS's maxima, and never
 * succeeds with a key missing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/condkeys.c"
#include "server/condkeys_table.c"
#include "server/context.c"
#include "server/tokens.c"

/* ---- what the input asks for ------------------------------------------------------------------------------------ */

enum { TS_PRINCIPAL, TS_SESSION, TS_RESOURCE, TS_REQUEST, TS_N };
#define MAX_PER_SOURCE 60

struct tagset {
	char key[MAX_PER_SOURCE][TAG_KEY_MAX + 1];
	char value[MAX_PER_SOURCE][TAG_VALUE_MAX + 1];
	size_t n;
};

static struct tagset sets[TS_N];
static int dummy_tx;

/* Sealing is not reached from here; the keyring is not linked into the fuzz archive. */
int keyring_issuing(struct keyring *k, struct db_tx *tx, char kid[KEY_ID_LEN + 1], uint8_t key[AEAD_KEY_LEN])
{
	(void)k, (void)tx, (void)kid, (void)key;
	abort();
}

int keyring_find(struct keyring *k, const char *kid, uint8_t key[AEAD_KEY_LEN])
{
	(void)k, (void)kid, (void)key;
	abort();
}

/* ---- the store, answered from the input --------------------------------------------------------------------- */

int store_tag_list(struct db_tx *tx, const char *resource_id, int skip, int limit, store_tag_fn fn, void *ctx)
{
	const struct tagset *s = strcmp(resource_id, "PRINCIPAL") == 0 ? &sets[TS_PRINCIPAL] : &sets[TS_RESOURCE];
	struct store_tag t;

	(void)tx, (void)skip, (void)limit;
	for (size_t i = 0; i < s->n; i++) {
		snprintf(t.key, sizeof(t.key), "%s", s->key[i]);
		snprintf(t.value, sizeof(t.value), "%s", s->value[i]);
		if (fn(ctx, &t) != C_OK)
			return C_ERR;
	}
	return (int)s->n;
}

int store_org_of_account(struct db_tx *tx, const char *account_id, struct store_org *out)
{
	(void)tx, (void)account_id;
	memset(out, 0, sizeof(*out));
	snprintf(out->org_id, sizeof(out->org_id), "o-fuzzfuzz00");
	snprintf(out->root_id, sizeof(out->root_id), "r-fuzz");
	return C_OK;
}

int store_org_account_get(struct db_tx *tx, const char *org_id, const char *account_id, int64_t now_ms,
                          struct store_org_account *out)
{
	(void)tx, (void)org_id, (void)account_id, (void)now_ms;
	memset(out, 0, sizeof(*out));
	snprintf(out->parent_id, sizeof(out->parent_id), "ou-fuzz-00000001");
	return C_OK;
}

int store_ou_ancestors(struct db_tx *tx, const char *parent_id, char ids[][ORG_OU_ID_MAX], size_t cap, size_t *n)
{
	(void)tx;
	*n = 0;
	for (size_t i = 0; i < ORG_MAX_DEPTH && i < cap; i++)
		snprintf(ids[(*n)++], ORG_OU_ID_MAX, "%s-%zu", parent_id, i);
	return C_OK;
}

int store_user_get(struct db_tx *tx, const char *account_id, const char *name, struct store_user *out)
{
	(void)tx, (void)account_id, (void)name;
	memset(out, 0, sizeof(*out));
	snprintf(out->user_id, sizeof(out->user_id), "RESOURCE");
	snprintf(out->permissions_boundary, sizeof(out->permissions_boundary), "arn:aws:iam::aws:policy/ReadOnlyAccess");
	return C_OK;
}

int store_role_get(struct db_tx *tx, const char *account_id, const char *name, struct store_role *out)
{
	(void)tx, (void)account_id, (void)name;
	memset(out, 0, sizeof(*out));
	snprintf(out->role_id, sizeof(out->role_id), "RESOURCE");
	return C_OK;
}

void store_role_clear(struct store_role *r)
{
	(void)r;
}

int store_managed_get(struct db_tx *tx, const char *arn, struct store_managed_policy *out)
{
	(void)tx, (void)arn, (void)out;
	return STORE_NOT_FOUND;
}

int store_mfa_get(struct db_tx *tx, const char *serial, struct store_mfa_device *out)
{
	(void)tx, (void)serial, (void)out;
	return STORE_NOT_FOUND;
}

int store_profile_get(struct db_tx *tx, const char *account_id, const char *name, struct store_instance_profile *out)
{
	(void)tx, (void)account_id, (void)name, (void)out;
	return STORE_NOT_FOUND;
}

int store_oidc_get(struct db_tx *tx, const char *account_id, const char *url, struct store_oidc_provider *out)
{
	(void)tx, (void)account_id, (void)url;
	memset(out, 0, sizeof(*out));
	return STORE_NOT_FOUND;
}

void store_oidc_clear(struct store_oidc_provider *p)
{
	(void)p;
}

int store_saml_get(struct db_tx *tx, const char *account_id, const char *name, struct store_saml_provider *out)
{
	(void)tx, (void)account_id, (void)name;
	memset(out, 0, sizeof(*out));
	return STORE_NOT_FOUND;
}

void store_saml_clear(struct store_saml_provider *p)
{
	(void)p;
}

const char *call_str(struct call *c, const char *name)
{
	return json_string_value(json_object_get(c->in, name));
}

/* ---- the target ----------------------------------------------------------------------------------------------- */

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned next(struct input *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

/* Tag i of source s: a unique key (prefix, index) padded with input bytes to the input's length. */
static void make_tag(struct input *r, int s, size_t i, char *key, char *value)
{
	size_t klen = 1 + next(r) % TAG_KEY_MAX, vlen = (next(r) | next(r) << 8) % (TAG_VALUE_MAX + 1), pre;
	char fill = (char)('a' + next(r) % 26);

	pre = (size_t)snprintf(key, TAG_KEY_MAX + 1, "%c%02zu", "psrq"[s], i);
	for (size_t j = pre; j < klen; j++)
		key[j] = fill;
	key[klen > pre ? klen : pre] = '\0';
	for (size_t j = 0; j < vlen; j++)
		value[j] = (char)('A' + (j + i) % 26);
	value[vlen] = '\0';
}

/* Whether ctx has key (case-insensitive) with exactly value among its values. */
static bool has(const struct call_context *ctx, const char *fmt, const char *key, const char *value)
{
	char k[TAG_KEY_MAX + 32];
	const struct policy_ctx_entry *e;

	snprintf(k, sizeof(k), fmt, key);
	e = context_get(ctx, k);
	if (!e)
		return false;
	for (size_t i = 0; i < e->nvalues; i++)
		if (strcmp(e->values[i], value) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const actions[][2] = {
		{"iam", "TagRole"}, {"iam", "TagUser"}, {"sts", "AssumeRole"}, {"organizations", "TagResource"},
		{"iam", "AttachUserPolicy"}, {"iam", "ListUsers"},
	};
	static const struct http_request req = {.method = "POST", .source_ip = "192.0.2.1"};
	static struct call c;
	struct input r = {data, size};
	struct call_context ctx;
	size_t a, overrides = 0;
	bool role_session, within = true;
	json_t *tags;
	int rc;

	if (model_init() != C_OK)
		abort();
	a = next(&r) % (sizeof(actions) / sizeof(actions[0]));
	role_session = next(&r) & 1;
	for (int s = 0; s < TS_N; s++) {
		sets[s].n = next(&r) % (MAX_PER_SOURCE + 1);
		if (sets[s].n > 50)
			within = false;
		for (size_t i = 0; i < sets[s].n; i++)
			make_tag(&r, s, i, sets[s].key[i], sets[s].value[i]);
	}
	if (!role_session)
		sets[TS_SESSION].n = 0;
	/* some session tags replace their role's tag of the same key, written in another case */
	for (size_t i = 0; role_session && i < sets[TS_SESSION].n && i < sets[TS_PRINCIPAL].n; i++)
		if (next(&r) & 1) {
			snprintf(sets[TS_SESSION].key[i], TAG_KEY_MAX + 1, "%s", sets[TS_PRINCIPAL].key[i]);
			sets[TS_SESSION].key[i][0] = 'P';
			overrides++;
		}

	memset(&c, 0, sizeof(c));
	c.req = &req;
	c.tx = (struct db_tx *)&dummy_tx;
	c.now_ms = 1700000000000;
	snprintf(c.region, sizeof(c.region), "us-east-1");
	c.svc = model_service(actions[a][0]);
	c.op = c.svc ? model_operation(c.svc, actions[a][1]) : NULL;
	if (!c.op)
		abort();
	snprintf(c.caller.account_id, sizeof(c.caller.account_id), "123456789012");
	if (role_session) {
		size_t off = 0;
		c.caller.kind = PRINCIPAL_ROLE_SESSION;
		c.caller.temporary = true;
		snprintf(c.caller.role_id, sizeof(c.caller.role_id), "PRINCIPAL");
		snprintf(c.caller.role_arn, sizeof(c.caller.role_arn), "arn:aws:iam::123456789012:role/r");
		snprintf(c.caller.arn, sizeof(c.caller.arn), "arn:aws:sts::123456789012:assumed-role/r/s");
		for (size_t i = 0; i < sets[TS_SESSION].n; i++) {
			size_t kl = strlen(sets[TS_SESSION].key[i]) + 1, vl = strlen(sets[TS_SESSION].value[i]) + 1;
			if (off + kl + vl + 2 > sizeof(c.caller.session_tags)) {
				sets[TS_SESSION].n = i; /* AssumeRole refuses more (PackedPolicyTooLarge) */
				break;
			}
			memcpy(c.caller.session_tags + off, sets[TS_SESSION].key[i], kl);
			memcpy(c.caller.session_tags + off + kl, sets[TS_SESSION].value[i], vl);
			memcpy(c.caller.session_tags + off + kl + vl, "0", 2);
			off += kl + vl + 2;
		}
		c.caller.session_tags_len = off;
	} else {
		c.caller.kind = PRINCIPAL_USER;
		snprintf(c.caller.id, sizeof(c.caller.id), "PRINCIPAL");
		snprintf(c.caller.name, sizeof(c.caller.name), "u");
		snprintf(c.caller.arn, sizeof(c.caller.arn), "arn:aws:iam::123456789012:user/u");
	}
	snprintf(c.resource, sizeof(c.resource), "%s",
	         strcmp(actions[a][1], "TagUser") == 0 || strcmp(actions[a][1], "AttachUserPolicy") == 0
	             ? "arn:aws:iam::123456789012:user/target"
	         : strcmp(actions[a][0], "organizations") == 0 ? "arn:aws:organizations::123456789012:ou/o-fuzzfuzz00/ou-fuzz-00000001"
	                                                       : "arn:aws:iam::123456789012:role/target");
	tags = json_array();
	for (size_t i = 0; i < sets[TS_REQUEST].n; i++)
		json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", sets[TS_REQUEST].key[i], "Value",
		                                      sets[TS_REQUEST].value[i]));
	c.in = json_pack("{s:o, s:s, s:s}", "Tags", tags, "PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess",
	                 "RoleSessionName", "s");
	if (!c.in)
		abort();

	context_init(&ctx);
	rc = context_build(&c, &ctx);
	if (rc != C_OK) {
		/* only an overflow fails here (the stubs never do), and never within AWS's maxima */
		if (!ctx.overflow || within)
			abort();
	} else {
		const struct condkeys_action *ck;
		char action[160];
		snprintf(action, sizeof(action), "%s:%s", actions[a][0], actions[a][1]);
		ck = condkeys_find(action);
		if (ctx.overflow)
			abort();
		for (size_t i = 0; i < sets[TS_SESSION].n; i++)
			if (!has(&ctx, "aws:PrincipalTag/%s", sets[TS_SESSION].key[i], sets[TS_SESSION].value[i]))
				abort();
		for (size_t i = 0; i < sets[TS_PRINCIPAL].n; i++) {
			bool replaced = false;
			for (size_t j = 0; j < sets[TS_SESSION].n; j++)
				replaced |= strcasecmp(sets[TS_SESSION].key[j], sets[TS_PRINCIPAL].key[i]) == 0;
			if (!replaced && !has(&ctx, "aws:PrincipalTag/%s", sets[TS_PRINCIPAL].key[i], sets[TS_PRINCIPAL].value[i]))
				abort();
			if (replaced && has(&ctx, "aws:PrincipalTag/%s", sets[TS_PRINCIPAL].key[i], sets[TS_PRINCIPAL].value[i]) &&
			    !has(&ctx, "aws:PrincipalTag/%s", sets[TS_PRINCIPAL].key[i], sets[TS_SESSION].value[i]))
				abort();
		}
		for (size_t i = 0; condkeys_lists(ck, "aws:ResourceTag/x") && i < sets[TS_RESOURCE].n; i++)
			if (!has(&ctx, "aws:ResourceTag/%s", sets[TS_RESOURCE].key[i], sets[TS_RESOURCE].value[i]))
				abort();
		for (size_t i = 0; condkeys_lists(ck, "aws:RequestTag/x") && i < sets[TS_REQUEST].n; i++)
			if (!has(&ctx, "aws:RequestTag/%s", sets[TS_REQUEST].key[i], sets[TS_REQUEST].value[i]) ||
			    !has(&ctx, "%s", "aws:TagKeys", sets[TS_REQUEST].key[i]))
				abort();
		if (!context_get(&ctx, "aws:CurrentTime") || !context_get(&ctx, "aws:PrincipalOrgPaths"))
			abort();
	}
	(void)overrides;
	context_free(&ctx);
	json_decref(c.in);
	return 0;
}
