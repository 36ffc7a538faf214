/*
 * explain.c - the reasoning of a denial as JSON (explain.h), its words for `rolegate audit --explain`, and the
 * sealed "encoded authorization failure message" that sts:DecodeAuthorizationMessage opens.
 *
 * Built only after the engine has denied (authz.c decide()): policy_trace() walks every statement again; nothing
 * here can turn a deny into an allow, and an explanation that cannot be built is simply absent.
 */
#include "server/explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iam/effective.h"
#include "server/tokens.h"
#include "util/buf.h"
#include "util/common.h"
#include "util/crypto.h"

/* An encoded message: this prefix, the sealing key's id, '.', base64(AES-256-GCM(decoded message)). The associated
 * data differs from a session token's, so neither opens as the other. */
#define MSG_PREFIX "RGAM1."
#define MSG_AAD "rolegate authorization message "

/* A policy's name in the explanation: at most an ARN and a little more. */
#define LABEL_MAX (ARN_MAX + 64)

/* What the explanation knows of the policies decided on. */
struct names {
	struct principal_policies pp; /* with sources: the identity policies' names, the boundary's ARN */
	bool loaded;
	bool assume_role;
};

static const char *kind_name(enum policy_source s, const struct names *nm)
{
	switch (s) {
	case SRC_IDENTITY: return "identity-based policy";
	case SRC_RESOURCE: return nm->assume_role ? "trust policy" : "resource-based policy";
	case SRC_BOUNDARY: return "permissions boundary";
	case SRC_SESSION: return "session policy";
	case SRC_SCP: return "service control policy";
	default: return "resource control policy";
	}
}

static const char *kind_key(enum policy_source s)
{
	switch (s) {
	case SRC_IDENTITY: return "identity";
	case SRC_RESOURCE: return "resource";
	case SRC_BOUNDARY: return "boundary";
	case SRC_SESSION: return "session";
	case SRC_SCP: return "scp";
	default: return "rcp";
	}
}

/* A name for policy `index` of its kind: the identity policy's name, the boundary's ARN, the role's ARN... */
static void policy_label(const struct call *c, const struct policy_set *set, const struct names *nm,
                         enum policy_source s, int index, char *out, size_t cap)
{
	switch (s) {
	case SRC_IDENTITY:
		if (c->caller.kind == PRINCIPAL_ROOT ||
		    (c->caller.kind == PRINCIPAL_FEDERATED_USER && !c->caller.federator_id[0]))
			snprintf(out, cap, "the root user's implicit full access");
		else if (nm->loaded && nm->pp.sources && (size_t)index < nm->pp.nidentity)
			snprintf(out, cap, "%s (%s)", nm->pp.sources[index].name, nm->pp.sources[index].type);
		else if ((size_t)index + 1 == set->nidentity && strcmp(c->op->name, "ChangePassword") == 0)
			snprintf(out, cap, "the account password policy's AllowUsersToChangePassword");
		else
			snprintf(out, cap, "#%d", index);
		return;
	case SRC_BOUNDARY:
		snprintf(out, cap, "%s", nm->loaded && nm->pp.boundary_arn[0] ? nm->pp.boundary_arn : "(boundary)");
		return;
	case SRC_SESSION:
		snprintf(out, cap, "of the session");
		return;
	case SRC_RESOURCE:
		snprintf(out, cap, "%s", c->resource);
		return;
	case SRC_SCP:
	case SRC_RCP: {
		const struct policy_layer *l = s == SRC_SCP ? set->scp : set->rcp;
		size_t n = s == SRC_SCP ? set->nscp : set->nrcp;
		size_t layer = (size_t)index / 1000;
		snprintf(out, cap, "%s #%d", layer < n && l[layer].id ? l[layer].id : "?", index % 1000);
		return;
	}
	}
}

static struct policy *policy_at(const struct policy_set *set, enum policy_source s, int index)
{
	size_t layer = (size_t)index / 1000, i = (size_t)index % 1000;

	switch (s) {
	case SRC_IDENTITY: return (size_t)index < set->nidentity ? set->identity[index] : NULL;
	case SRC_BOUNDARY: return (size_t)index < set->nboundaries ? set->boundaries[index] : NULL;
	case SRC_SESSION: return set->session;
	case SRC_RESOURCE: return set->resource;
	case SRC_SCP: return layer < set->nscp && i < set->scp[layer].n ? set->scp[layer].policies[i] : NULL;
	case SRC_RCP: return layer < set->nrcp && i < set->rcp[layer].n ? set->rcp[layer].policies[i] : NULL;
	}
	return NULL;
}

static const char *miss_name(enum policy_miss m)
{
	switch (m) {
	case POLICY_MISS_ACTION: return "action";
	case POLICY_MISS_RESOURCE: return "resource";
	case POLICY_MISS_PRINCIPAL: return "principal";
	case POLICY_MISS_CONDITION: return "condition";
	default: return NULL;
	}
}

static json_t *values_array(const struct policy_ctx_entry *e)
{
	json_t *a = json_array();

	for (size_t i = 0; a && e && i < e->nvalues; i++)
		json_array_append_new(a, json_string(e->values[i]));
	return a;
}

/* "aws:MultiFactorAuthPresent (Bool: true; the request has none)" */
static void condition_words(const struct policy_trace_item *it, char *out, size_t cap)
{
	struct buf b;

	buf_init(&b, cap - 1);
	buf_printf(&b, "%s (%s:", it->cond_key, it->cond_op);
	for (size_t i = 0; i < it->ncond_values && i < POLICY_TRACE_VALUES; i++)
		buf_printf(&b, "%s %s", i ? "," : "", it->cond_values[i]);
	if (it->ncond_values > POLICY_TRACE_VALUES)
		buf_printf(&b, ", ...");
	if (!it->request_value || !it->request_value->nvalues) {
		buf_printf(&b, "; the request has none)");
	} else {
		buf_printf(&b, "; the request has");
		for (size_t i = 0; i < it->request_value->nvalues && i < POLICY_TRACE_VALUES; i++)
			buf_printf(&b, "%s %s", i ? "," : "", it->request_value->values[i]);
		buf_printf(&b, ")");
	}
	snprintf(out, cap, "%s", buf_str(&b));
	buf_free(&b);
}

static json_t *statement_json(const struct call *c, const struct policy_set *set, const struct names *nm,
                              const struct policy_trace_item *it)
{
	char label[LABEL_MAX];
	json_t *o;

	policy_label(c, set, nm, it->source, it->policy, label, sizeof(label));
	o = json_pack("{s:s,s:s,s:s,s:i,s:s,s:b}", "kind", kind_key(it->source), "policy", label, "sid", it->sid,
	              "statement", it->statement, "effect", it->allow ? "Allow" : "Deny", "matched",
	              it->miss == POLICY_MISS_NONE);
	if (!o || it->miss == POLICY_MISS_NONE)
		return o;
	json_object_set_new(o, "failed", json_string(miss_name(it->miss)));
	if (it->miss == POLICY_MISS_CONDITION) {
		json_t *pv = json_array();
		for (size_t i = 0; pv && i < it->ncond_values && i < POLICY_TRACE_VALUES; i++)
			json_array_append_new(pv, json_string(it->cond_values[i]));
		json_object_set_new(o, "condition",
		                    json_pack("{s:s,s:s,s:o,s:o}", "operator", it->cond_op, "key", it->cond_key,
		                              "policyValues", pv ? pv : json_array(), "requestValues",
		                              it->request_value ? values_array(it->request_value) : json_null()));
	}
	return o;
}

#define MISSING_CONDITIONS_MAX 16

/* What was missing, in AWS's terms. */
static json_t *missing_lines(const struct call *c, const struct policy_request *req, const struct policy_set *set,
                             const struct names *nm, const struct policy_trace *t, const struct policy_explain *ex,
                             enum policy_decision d)
{
	json_t *a = json_array(), *first;
	char label[LABEL_MAX], cond[1024];
	const char *reason = ex->reason ? ex->reason : "no policy";

	if (!a)
		return NULL;
	if (d == POLICY_EXPLICIT_DENY) {
		for (size_t i = 0; i < t->n; i++) {
			const struct policy_trace_item *it = &t->items[i];
			if (it->allow || it->miss != POLICY_MISS_NONE)
				continue;
			policy_label(c, set, nm, it->source, it->policy, label, sizeof(label));
			json_array_append_new(a, json_sprintf("an explicit deny in %s %s (statement %s%s%d) applies to %s on %s",
			                                      kind_name(it->source, nm), label, it->sid,
			                                      it->sid[0] ? ", #" : "#", it->statement, req->action,
			                                      req->resource));
		}
		return a;
	}
	if (strcmp(reason, "no resource-based policy") == 0 && set->resource)
		first = json_sprintf("the %s of %s does not allow %s to perform %s", kind_name(SRC_RESOURCE, nm),
		                     req->resource, req->principal, req->action);
	else if (strcmp(reason, "no permissions boundary") == 0)
		first = json_sprintf("the permissions boundary %s does not allow %s on %s",
		                     nm->loaded && nm->pp.boundary_arn[0] ? nm->pp.boundary_arn : "", req->action,
		                     req->resource);
	else if (strcmp(reason, "no session policy") == 0)
		first = json_sprintf("the session policy does not allow %s on %s", req->action, req->resource);
	else if (strcmp(reason, "no policy") == 0)
		first = json_sprintf("no policy can allow %s on %s (the resource is managed by AWS)", req->action,
		                     req->resource);
	else
		first = json_sprintf("%s allows %s on %s", reason, req->action, req->resource);
	json_array_append_new(a, first);
	/* the allows that would have applied but for a condition (the first MISSING_CONDITIONS_MAX of them) */
	for (size_t i = 0, n = 0; i < t->n && n < MISSING_CONDITIONS_MAX; i++) {
		const struct policy_trace_item *it = &t->items[i];
		if (!it->allow || it->miss != POLICY_MISS_CONDITION)
			continue;
		n++;
		policy_label(c, set, nm, it->source, it->policy, label, sizeof(label));
		condition_words(it, cond, sizeof(cond));
		if (it->source == SRC_RESOURCE || it->source == SRC_SESSION)
			json_array_append_new(a, it->source == SRC_RESOURCE
			                                 ? json_sprintf("%s of %s requires %s", kind_name(it->source, nm),
			                                                label, cond)
			                                 : json_sprintf("the session policy requires %s", cond));
		else
			json_array_append_new(a, json_sprintf("%s %s (statement %s%s%d) allows %s only with %s",
			                                      kind_name(it->source, nm), label, it->sid,
			                                      it->sid[0] ? ", #" : "#", it->statement, req->action, cond));
	}
	return a;
}

static json_t *consulted(const struct call *c, const struct policy_set *set, const struct names *nm)
{
	json_t *a = json_array(), *ids = json_array();
	char label[LABEL_MAX];

	if (!a || !ids) {
		json_decref(a);
		json_decref(ids);
		return NULL;
	}
	for (size_t i = 0; i < set->nidentity; i++) {
		policy_label(c, set, nm, SRC_IDENTITY, (int)i, label, sizeof(label));
		json_array_append_new(ids, json_string(label));
	}
	json_array_append_new(a, json_pack("{s:s,s:o}", "kind", "identity", "policies", ids));
	if (set->nboundaries) {
		policy_label(c, set, nm, SRC_BOUNDARY, 0, label, sizeof(label));
		json_array_append_new(a, json_pack("{s:s,s:s}", "kind", "boundary", "arn", label));
	}
	if (set->session || set->session_required) /* a federated user without one: it allows nothing */
		json_array_append_new(a, json_pack("{s:s}", "kind", "session"));
	if (set->resource)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "kind", "resource", "type",
		                                   kind_name(SRC_RESOURCE, nm), "arn", c->resource));
	if (set->nscp) {
		json_t *layers = json_array();
		for (size_t l = 0; layers && l < set->nscp; l++)
			json_array_append_new(layers, json_pack("{s:s,s:i}", "id", set->scp[l].id ? set->scp[l].id : "",
			                                        "policies", (int)set->scp[l].n));
		json_array_append_new(a, json_pack("{s:s,s:o}", "kind", "scp", "layers", layers ? layers : json_array()));
	}
	return a;
}

/* AWS's DecodedMessage for the denial: matched deny statements, the caller, action, resource, condition keys. */
static json_t *decoded_message(const struct call *c, const struct policy_request *req, const struct policy_set *set,
                               const struct policy_trace *t, enum policy_decision d)
{
	json_t *matched = json_array(), *conds = json_array(), *principal, *o;

	if (!matched || !conds) {
		json_decref(matched);
		json_decref(conds);
		return NULL;
	}
	for (size_t i = 0; d == POLICY_EXPLICIT_DENY && i < t->n; i++) {
		const struct policy_trace_item *it = &t->items[i];
		json_t *st;
		if (it->allow || it->miss != POLICY_MISS_NONE)
			continue;
		st = policy_statement_items(policy_at(set, it->source, it->policy), (size_t)it->statement);
		if (st && it->source != SRC_RESOURCE) /* AWS names the principal the policy applies to */
			json_object_set_new(st, "principals",
			                    json_pack("{s:[{s:s}]}", "items", "value", req->principal_id ? req->principal_id
			                                                                                 : req->principal));
		if (st)
			json_array_append_new(matched, st);
	}
	for (size_t i = 0; i < req->nctx; i++) {
		const struct policy_ctx_entry *e = &req->ctx[i];
		json_t *vals = json_array();
		for (size_t v = 0; vals && v < e->nvalues; v++)
			json_array_append_new(vals, json_pack("{s:s}", "value", e->values[v]));
		json_array_append_new(conds, json_pack("{s:s,s:{s:o}}", "key", e->key, "values", "items",
		                                       vals ? vals : json_array()));
	}
	/* AWS: {"id":"AIDA...","name":"bob","arn":"..."} for a user, {"id":"AROA...:session","arn":"..."} for a role
	 * session */
	principal = c->caller.kind == PRINCIPAL_USER
	                    ? json_pack("{s:s,s:s,s:s}", "id", c->caller.id, "name", c->caller.name, "arn", c->caller.arn)
	                    : json_pack("{s:s,s:s}", "id", c->caller.id, "arn", c->caller.arn);
	o = json_pack("{s:b,s:b,s:{s:o},s:{s:[]},s:{s:o,s:s,s:s,s:{s:o}}}", "allowed", 0, "explicitDeny",
	              d == POLICY_EXPLICIT_DENY, "matchedStatements", "items", matched, "failures", "items", "context",
	              "principal", principal, "action", req->action, "resource", req->resource, "conditions", "items",
	              conds);
	return o;
}

/* The decoded message as text of at most EXPLAIN_DECODED_MAX bytes: condition keys, then matched statements, are
 * dropped from the end until it fits. A malloc'd string, or NULL. */
static char *decoded_text(json_t *dm)
{
	json_t *conds = json_object_get(json_object_get(json_object_get(dm, "context"), "conditions"), "items");
	json_t *matched = json_object_get(json_object_get(dm, "matchedStatements"), "items");

	for (;;) {
		char *s = json_dumps(dm, JSON_COMPACT);
		if (!s || strlen(s) <= EXPLAIN_DECODED_MAX)
			return s;
		free(s);
		if (json_array_size(conds))
			json_array_remove(conds, json_array_size(conds) - 1);
		else if (json_array_size(matched))
			json_array_remove(matched, json_array_size(matched) - 1);
		else
			return NULL;
	}
}

/* Keeps o (the explanation) within EXPLAIN_JSON_MAX bytes of JSON: the request context goes first, then statements
 * from the end; "truncated" says so. The decision and what was missing always stay. */
static void bound(json_t *o)
{
	json_t *stmts = json_object_get(o, "statements");

	for (;;) {
		char *s = json_dumps(o, JSON_COMPACT);
		size_t len = s ? strlen(s) : 0;
		free(s);
		if (len <= EXPLAIN_JSON_MAX)
			return;
		json_object_set_new(o, "truncated", json_true());
		if (json_array_size(json_object_get(o, "context"))) {
			json_object_set_new(o, "context", json_array());
			json_object_del(o, "decodedMessage"); /* it repeats the context */
		} else if (json_array_size(stmts) > 1) {
			size_t keep = json_array_size(stmts) / 2; /* halved until it fits: O(log n) dumps */
			while (json_array_size(stmts) > keep)
				json_array_remove(stmts, json_array_size(stmts) - 1);
		} else {
			json_object_set_new(o, "statements", json_array());
			return;
		}
	}
}

json_t *explain_denial(struct call *c, const struct policy_request *req, const struct policy_set *set,
                       const struct policy_explain *ex, enum policy_decision d)
{
	struct policy_trace *t = malloc(sizeof(*t));
	struct names nm;
	json_t *o = NULL, *stmts = NULL, *ctx = NULL, *dm = NULL;
	char *text = NULL, *sealed = NULL;

	memset(&nm, 0, sizeof(nm));
	nm.assume_role = strcasecmp(req->action, "sts:AssumeRole") == 0;
	if (!t)
		return NULL;
	policy_trace(req, set, t);
	if (c->tx && (c->caller.kind == PRINCIPAL_USER || c->caller.kind == PRINCIPAL_ROLE_SESSION))
		nm.loaded = principal_policies_load_sources(c->tx, c->caller.kind == PRINCIPAL_USER ? "user" : "role",
		                                            c->caller.kind == PRINCIPAL_USER ? c->caller.id
		                                                                             : c->caller.role_id,
		                                            &nm.pp) == C_OK;
	else if (c->tx && c->caller.kind == PRINCIPAL_FEDERATED_USER && c->caller.federator_id[0])
		nm.loaded = principal_policies_load_sources(c->tx, "user", c->caller.federator_id, &nm.pp) == C_OK;
	if (!(stmts = json_array()) || !(ctx = json_array()))
		goto fail;
	for (size_t i = 0; i < t->n; i++)
		json_array_append_new(stmts, statement_json(c, set, &nm, &t->items[i]));
	for (size_t i = 0; i < req->nctx; i++)
		json_array_append_new(ctx, json_pack("{s:s,s:o}", "key", req->ctx[i].key, "values",
		                                     values_array(&req->ctx[i])));
	o = json_pack("{s:s,s:s,s:s,s:s?,s:{s:s,s:s,s:s},s:s,s:o,s:o,s:o,s:i,s:b,s:o}", "decision",
	              policy_decision_name(d), "action", req->action, "resource", req->resource, "resourceAccount",
	              req->resource_account, "principal", "arn", c->caller.arn, "id", c->caller.id, "account",
	              c->caller.account_id, "reason", ex->reason ? ex->reason : "no policy", "missing",
	              missing_lines(c, req, set, &nm, t, ex, d), "consulted", consulted(c, set, &nm), "statements", stmts,
	              "statementsTotal", (int)t->total, "truncated", t->truncated, "context", ctx);
	stmts = ctx = NULL; /* owned by o (or freed by a failed json_pack) */
	if (!o)
		goto fail;
	if ((dm = decoded_message(c, req, set, t, d)) && (text = decoded_text(dm))) {
		json_object_set_new(o, "decodedMessage", json_deep_copy(dm));
		if (c->srv && c->srv->keyring && (sealed = explain_seal(c->srv->keyring, c->tx, text)))
			json_object_set_new(o, "encodedMessage", json_string(sealed));
	}
	bound(o);
fail:
	json_decref(stmts);
	json_decref(ctx);
	json_decref(dm);
	free(text);
	free(sealed);
	if (nm.loaded)
		principal_policies_release(&nm.pp);
	free(t);
	return o;
}

char *explain_seal(struct keyring *k, struct db_tx *tx, const char *text)
{
	char kid[KEY_ID_LEN + 1], aad[64], *b64 = NULL, *out = NULL;
	uint8_t key[AEAD_KEY_LEN], sealed[EXPLAIN_DECODED_MAX + AEAD_OVERHEAD];
	size_t len = strlen(text);

	if (len > EXPLAIN_DECODED_MAX || keyring_issuing(k, tx, kid, key) != C_OK)
		return NULL;
	snprintf(aad, sizeof(aad), MSG_AAD "%s", kid);
	if (aead_seal(key, aad, strlen(aad), text, len, sealed) == C_OK &&
	    (b64 = base64_encode(sealed, len + AEAD_OVERHEAD)) &&
	    (out = malloc(strlen(MSG_PREFIX) + KEY_ID_LEN + 1 + strlen(b64) + 1)))
		sprintf(out, MSG_PREFIX "%s.%s", kid, b64);
	explicit_bzero(key, sizeof(key));
	free(b64);
	return out;
}

char *explain_open(struct keyring *k, const char *msg)
{
	char kid[KEY_ID_LEN + 1], aad[64], *out = NULL;
	uint8_t key[AEAD_KEY_LEN], *raw = NULL;
	const char *p, *dot;
	size_t rawlen = 0;

	if (strlen(msg) > EXPLAIN_ENCODED_MAX || strncmp(msg, MSG_PREFIX, strlen(MSG_PREFIX)) != 0)
		return NULL;
	p = msg + strlen(MSG_PREFIX);
	dot = strchr(p, '.');
	if (!dot || dot - p != KEY_ID_LEN)
		return NULL;
	memcpy(kid, p, KEY_ID_LEN);
	kid[KEY_ID_LEN] = '\0';
	if (keyring_find(k, kid, key) != C_OK)
		return NULL;
	raw = base64_decode(dot + 1, strlen(dot + 1), &rawlen);
	if (!raw || rawlen < AEAD_OVERHEAD || rawlen - AEAD_OVERHEAD > EXPLAIN_DECODED_MAX ||
	    !(out = malloc(rawlen - AEAD_OVERHEAD + 1)))
		goto done;
	snprintf(aad, sizeof(aad), MSG_AAD "%s", kid);
	if (aead_open(key, aad, strlen(aad), raw, rawlen, (uint8_t *)out) != C_OK) {
		free(out);
		out = NULL;
		goto done;
	}
	out[rawlen - AEAD_OVERHEAD] = '\0';
done:
	explicit_bzero(key, sizeof(key));
	free(raw);
	return out;
}
