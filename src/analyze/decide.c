/*
 * decide.c - one sts:AssumeRole question put to the engine (reach.h): the request's context, synthesized from the
 * principal and from the conditions of the policies that apply, and the conditions the decision depends on, found
 * by asking the engine again without each synthesized key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/reach.h"
#include "util/common.h"

static int add(struct am_ctx *c, const char *key, const char *value, bool own_key)
{
	char *k, *v;

	if (c->n >= AM_CTX_MAX || c->nowned + 2 > AM_CTX_MAX * 2)
		return C_ERR;
	for (size_t i = 0; i < c->n; i++)
		if (strcasecmp(c->e[i].key, key) == 0)
			return C_OK; /* the first value given wins */
	if (!(k = strdup(key)) || !(v = strdup(value))) {
		free(k);
		return C_ERR;
	}
	UNUSED(own_key);
	c->owned[c->nowned++] = k;
	c->owned[c->nowned++] = v;
	c->vals[c->n] = v;
	c->e[c->n] = (struct policy_ctx_entry){.key = k, .values = &c->vals[c->n], .nvalues = 1};
	c->n++;
	return C_OK;
}

/* A value that satisfies op on the policy value v (an Allow's condition met), or NULL when none is made up. */
static const char *satisfying(const char *op, const char *v, bool allow, char *buf, size_t cap)
{
	size_t oplen = strlen(op);
	bool if_exists = oplen > 8 && strcmp(op + oplen - 8, "IfExists") == 0;
	char o[64];

	snprintf(o, sizeof(o), "%.*s", (int)(if_exists ? oplen - 8 : oplen), op);
	if (strcmp(o, "Bool") == 0)
		return allow ? v : strcasecmp(v, "true") == 0 ? "false" : "true";
	if (strncmp(o, "NumericLess", 11) == 0 || strncmp(o, "NumericGreater", 14) == 0) {
		bool less = strncmp(o, "NumericLess", 11) == 0;
		if (less != allow) /* a Deny on less-than, an Allow on greater-than: a large value */
			snprintf(buf, cap, "%.0f", strtod(v, NULL) + 1);
		else
			snprintf(buf, cap, "0");
		return buf;
	}
	if ((allow && strcmp(o, "IpAddress") == 0) || (!allow && strcmp(o, "NotIpAddress") == 0)) {
		snprintf(buf, cap, "%s", v);
		if (strchr(buf, '/'))
			*strchr(buf, '/') = '\0';
		return buf;
	}
	if ((allow && (strncmp(o, "StringEquals", 12) == 0 || strcmp(o, "StringLike") == 0 ||
	               strcmp(o, "ArnEquals") == 0 || strcmp(o, "ArnLike") == 0 || strcmp(o, "NumericEquals") == 0)) ||
	    (!allow && (strncmp(o, "StringNotEquals", 15) == 0 || strcmp(o, "StringNotLike") == 0 ||
	                strcmp(o, "ArnNotEquals") == 0 || strcmp(o, "ArnNotLike") == 0))) {
		size_t j = 0;
		for (const char *s = v; *s && j + 1 < cap; s++)
			buf[j++] = *s == '*' || *s == '?' ? 'x' : *s;
		buf[j] = '\0';
		return buf;
	}
	return NULL;
}

/* The satisfying values of one policy's conditions (key, operator, value, the policy's values), read once per
 * compiled policy: identical documents share one. */
struct hint {
	char *key, *op, *value;
	json_t *values;
};
struct hints {
	const struct policy *p;
	struct hint *v;
	size_t n;
};
static struct hints *hcache;
static size_t nhcache, cap_hcache;

static int hints_add(struct hints *h, const char *key, const char *op, const char *value, json_t *values)
{
	struct hint *g = realloc(h->v, (h->n + 1) * sizeof(*g));

	if (!g)
		return C_ERR;
	h->v = g;
	g = &h->v[h->n];
	g->key = strdup(key);
	g->op = strdup(op);
	g->value = strdup(value);
	g->values = values;
	h->n++;
	return g->key && g->op && g->value ? C_OK : C_ERR;
}

/* Reads a document's condition hints into h. */
static int hints_read(struct hints *h, const char *doc)
{
	json_t *j = json_loads(doc, JSON_REJECT_DUPLICATES, NULL), *stmts, *st;
	size_t i;
	int rc = C_OK;

	if (!j)
		return C_OK; /* the engine compiled it; a text it cannot read as JSON gives no hints */
	stmts = json_object_get(j, "Statement");
	if (json_is_object(stmts))
		stmts = json_pack("[O]", stmts);
	else
		json_incref(stmts);
	json_array_foreach(stmts, i, st) {
		bool allow = json_is_string(json_object_get(st, "Effect")) &&
		             strcmp(json_string_value(json_object_get(st, "Effect")), "Allow") == 0;
		const char *op, *key;
		json_t *keys, *vals;
		json_object_foreach(json_object_get(st, "Condition"), op, keys) {
			if (!json_is_object(keys))
				continue;
			json_object_foreach(keys, key, vals) {
				json_t *first = json_is_array(vals) ? json_array_get(vals, 0) : vals;
				char buf[256];
				const char *v = json_is_string(first) ? json_string_value(first) : NULL;
				const char *s = v ? satisfying(op, v, allow, buf, sizeof(buf)) : NULL;
				if (s && hints_add(h, key, op, s, json_is_array(vals) ? json_incref(vals)
				                                                      : json_pack("[O]", vals)) != C_OK) {
					rc = C_ERR;
					goto out;
				}
			}
		}
	}
out:
	json_decref(stmts);
	json_decref(j);
	return rc;
}

static const struct hints *hints_of(const struct policy *p, const char *doc)
{
	struct hints *h;

	for (size_t i = 0; i < nhcache; i++)
		if (hcache[i].p == p)
			return &hcache[i];
	if (nhcache == cap_hcache) {
		struct hints *g = realloc(hcache, (cap_hcache = cap_hcache ? cap_hcache * 2 : 64) * sizeof(*g));
		if (!g)
			return NULL;
		hcache = g;
	}
	h = &hcache[nhcache++];
	*h = (struct hints){.p = p};
	return hints_read(h, doc) == C_OK ? h : NULL;
}

void am_hints_clear(void)
{
	for (size_t i = 0; i < nhcache; i++) {
		for (size_t k = 0; k < hcache[i].n; k++) {
			free(hcache[i].v[k].key);
			free(hcache[i].v[k].op);
			free(hcache[i].v[k].value);
			json_decref(hcache[i].v[k].values);
		}
		free(hcache[i].v);
	}
	free(hcache);
	hcache = NULL;
	nhcache = cap_hcache = 0;
}

/* Adds satisfying values for the conditions of one policy's statements. */
static int from_policy(struct am_ctx *c, const struct policy *p, const char *doc)
{
	const struct hints *h = hints_of(p, doc);

	if (!h)
		return C_ERR;
	for (size_t i = 0; i < h->n; i++) {
		bool known = false;
		for (size_t k = 0; k < c->n; k++)
			known = known || strcasecmp(c->e[k].key, h->v[i].key) == 0;
		if (known)
			continue;
		if (add(c, h->v[i].key, h->v[i].value, true) != C_OK)
			return C_ERR;
		snprintf(c->cond[c->n - 1].key, sizeof(c->cond[0].key), "%s", h->v[i].key);
		snprintf(c->cond[c->n - 1].op, sizeof(c->cond[0].op), "%s", h->v[i].op);
		c->cond[c->n - 1].values = json_incref(h->v[i].values);
	}
	return C_OK;
}

int am_ctx_build(struct am_ctx *c, const struct am_principal *p, const struct policy *const *pols,
                 const char *const *docs, size_t ndocs)
{
	char acct[ACCOUNT_ID_LEN + 1], key[192];
	const char *slash = strrchr(p->arn, ':');

	memset(c, 0, sizeof(*c));
	memcpy(acct, p->arn + 13, ACCOUNT_ID_LEN);
	acct[ACCOUNT_ID_LEN] = '\0';
	UNUSED(slash);
	if (add(c, "aws:PrincipalArn", p->arn, false) != C_OK || add(c, "aws:PrincipalAccount", acct, false) != C_OK ||
	    add(c, "aws:PrincipalType", p->is_role ? "AssumedRole" : "User", false) != C_OK)
		return C_ERR;
	if (!p->is_role && (add(c, "aws:username", p->name, false) != C_OK || add(c, "aws:userid", p->id, false) != C_OK))
		return C_ERR;
	for (size_t i = 0; i < p->ntags; i++) {
		snprintf(key, sizeof(key), "aws:PrincipalTag/%s", p->tags[i].key);
		if (add(c, key, p->tags[i].value, false) != C_OK)
			return C_ERR;
	}
	c->first_synth = c->n;
	for (size_t i = 0; i < ndocs; i++)
		if (docs[i] && pols[i] && from_policy(c, pols[i], docs[i]) != C_OK)
			return C_ERR;
	return C_OK;
}

void am_ctx_free(struct am_ctx *c)
{
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	for (size_t i = 0; i < c->n; i++)
		json_decref(c->cond[i].values);
	memset(c, 0, sizeof(*c));
}

int am_can_assume(struct am_model *m, struct am_principal *caller, struct am_principal *role, bool *allowed,
                  json_t **conds, json_t **path)
{
	const struct principal_policies *pol;
	struct policy_set set;
	struct policy_request req;
	struct policy_explain ex;
	struct am_ctx c;
	const char **docs = NULL;
	const struct policy **pols = NULL;
	size_t ndocs = 0;
	char acct_caller[ACCOUNT_ID_LEN + 1], acct_role[ACCOUNT_ID_LEN + 1];
	int rc = C_ERR;

	*allowed = false;
	*conds = *path = NULL;
	if (am_policy_set(m, caller, role->trust, &set) != C_OK || !(pol = am_principal_policies(m, caller)))
		return C_ERR;
	if (!(docs = calloc(pol->nidentity + 2, sizeof(*docs))) || !(pols = calloc(pol->nidentity + 2, sizeof(*pols)))) {
		free(docs);
		return C_ERR;
	}
	pols[ndocs] = role->trust;
	docs[ndocs++] = role->trust_doc;
	for (size_t i = 0; i < pol->nidentity; i++) {
		pols[ndocs] = pol->identity[i];
		docs[ndocs++] = pol->sources ? pol->sources[i].document : NULL;
	}
	pols[ndocs] = pol->boundary;
	docs[ndocs++] = pol->boundary_document;
	if (am_ctx_build(&c, caller, pols, docs, ndocs) != C_OK)
		goto out;
	snprintf(acct_caller, sizeof(acct_caller), "%s", m->accounts[caller->account].id);
	snprintf(acct_role, sizeof(acct_role), "%s", m->accounts[role->account].id);
	req = (struct policy_request){.action = "sts:AssumeRole", .resource = role->arn, .resource_account = acct_role,
	                              .principal = caller->is_role ? caller->session_arn : caller->arn,
	                              .principal_account = acct_caller, .principal_id = caller->id,
	                              .ctx = c.e, .nctx = c.n};
	if (policy_evaluate(&req, &set, &ex) != POLICY_ALLOWED) {
		rc = C_OK;
		goto out;
	}
	*allowed = true;
	*conds = json_array();
	*path = json_array();
	/* the conditions: each synthesized key without which the engine no longer allows */
	for (size_t k = c.first_synth; k < c.n; k++) {
		struct policy_ctx_entry saved = c.e[k];
		c.e[k].key = "rolegate:analyze-absent"; /* the key is absent from this request */
		if (policy_evaluate(&req, &set, NULL) != POLICY_ALLOWED)
			json_array_append_new(*conds, json_pack("{s:s, s:s, s:O}", "key", c.cond[k].key, "operator",
			                                        c.cond[k].op, "values", c.cond[k].values));
		c.e[k] = saved;
	}
	for (size_t i = 0; i < ex.n; i++) {
		char origin[512];
		if (ex.items[i].source == SRC_IDENTITY) {
			am_policy_origin(m, caller, (size_t)ex.items[i].policy, origin, sizeof(origin));
			json_array_append_new(*path, json_pack("{s:s, s:s, s:i, s:s}", "type", "identity", "policy", origin,
			                                       "statement", ex.items[i].statement, "sid", ex.items[i].sid));
		} else if (ex.items[i].source == SRC_RESOURCE) {
			json_array_append_new(*path, json_pack("{s:s, s:s, s:i, s:s}", "type", "trust", "role", role->arn,
			                                       "statement", ex.items[i].statement, "sid", ex.items[i].sid));
		}
	}
	rc = C_OK;
out:
	am_ctx_free(&c);
	free(docs);
	free(pols);
	return rc;
}
