/*
 * trace.c - the whole reasoning of a decision (policy.h's policy_trace): every statement of every policy that was
 * consulted, whether it applied to the request and, when not, the first of its elements that did not, in the
 * order AWS checks them (action, resource, principal, conditions).
 *
 * Separate from evaluate.c on purpose: the decision is made there, whole, without this; a trace is asked for only
 * after a deny (src/server/explain.c) and cannot change it. It writes into a fixed array and allocates nothing.
 */
#include <jansson.h>
#include <string.h>

#include "policy/internal.h"
#include "util/common.h"

/* The next item of t, or NULL when full (the statement is then only counted). */
static struct policy_trace_item *next_item(struct policy_trace *t)
{
	t->total++;
	if (t->n == POLICY_TRACE_MAX) {
		t->truncated = true;
		return NULL;
	}
	return &t->items[t->n++];
}

static void trace_condition(const struct eval_ctx *ctx, const struct pstmt *st, int failing,
                            struct policy_trace_item *it)
{
	const struct pcond *c = &st->conds[failing];

	it->miss = POLICY_MISS_CONDITION;
	it->cond_op = c->op_raw;
	it->cond_key = c->key_raw;
	it->ncond_values = c->nvalues;
	for (size_t i = 0; i < c->nvalues && i < POLICY_TRACE_VALUES; i++)
		it->cond_values[i] = c->values[i].s.raw;
	it->request_value = ctx_find(ctx->req, c->key, c->keylen);
}

/* One statement: resource policies (with_principal) also check the Principal. */
static void trace_statement(const struct eval_ctx *ctx, const struct pstmt *st, enum policy_source src, int pol,
                            int index, bool with_principal, bool has_boundary, struct policy_trace *t)
{
	struct policy_trace_item *it = next_item(t);
	enum pmatch pm;
	bool star;
	int failing;

	if (!it)
		return;
	memset(it, 0, sizeof(*it));
	it->source = src;
	it->policy = pol;
	it->statement = index;
	it->allow = st->allow;
	it->sid = st->sid ? st->sid : "";
	if (!actions_match(st, ctx->req->action)) {
		it->miss = POLICY_MISS_ACTION;
		return;
	}
	if (!resources_match(ctx, st, ctx->req->resource)) {
		it->miss = POLICY_MISS_RESOURCE;
		return;
	}
	if (with_principal) {
		pm = statement_principal(st, ctx->req, has_boundary, &star);
		if (pm == PM_NO) {
			it->miss = POLICY_MISS_PRINCIPAL;
			return;
		}
		it->account_only = pm == PM_ACCOUNT;
	}
	failing = conditions_first_failing(ctx, st);
	if (failing >= 0)
		trace_condition(ctx, st, failing, it);
}

static void trace_list(const struct policy_request *req, struct policy *const *list, size_t n,
                       enum policy_source src, int base, bool with_principal, bool has_boundary,
                       struct policy_trace *t)
{
	for (size_t p = 0; p < n; p++) {
		const struct policy *pol = list[p];
		struct eval_ctx ctx = {.req = req, .vars = pol->version_2012, .q = NULL};
		for (size_t s = 0; s < pol->nstmts; s++)
			trace_statement(&ctx, &pol->stmts[s], src, base + (int)p, (int)s, with_principal, has_boundary, t);
	}
}

void policy_trace(const struct policy_request *req, const struct policy_set *set, struct policy_trace *out)
{
	bool has_boundary = set->nboundaries > 0;

	out->n = out->total = 0;
	out->truncated = false;
	if (!(req->flags & POLICY_REQ_ANONYMOUS)) {
		trace_list(req, set->identity, set->nidentity, SRC_IDENTITY, 0, false, has_boundary, out);
		trace_list(req, set->boundaries, set->nboundaries, SRC_BOUNDARY, 0, false, has_boundary, out);
		if (set->session)
			trace_list(req, (struct policy *const[]){set->session}, 1, SRC_SESSION, 0, false, has_boundary, out);
	}
	if (set->resource)
		trace_list(req, (struct policy *const[]){set->resource}, 1, SRC_RESOURCE, 0, true, has_boundary, out);
	for (size_t l = 0; l < set->nscp && !(req->flags & POLICY_REQ_ANONYMOUS); l++)
		trace_list(req, set->scp[l].policies, set->scp[l].n, SRC_SCP, (int)l * 1000, false, has_boundary, out);
	for (size_t l = 0; l < set->nrcp; l++)
		trace_list(req, set->rcp[l].policies, set->rcp[l].n, SRC_RCP, (int)l * 1000, false, has_boundary, out);
}

/* {"items":[{"value":v}, ...]} of n strings (stride: the distance in bytes between two of them). */
static json_t *items_of(const void *first, size_t n, size_t stride, size_t offset)
{
	json_t *items = json_array(), *o = json_object();

	if (!items || !o) {
		json_decref(items);
		json_decref(o);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *v = *(const char *const *)((const char *)first + i * stride + offset);
		json_array_append_new(items, json_pack("{s:s}", "value", v ? v : ""));
	}
	json_object_set_new(o, "items", items);
	return o;
}

json_t *policy_statement_items(const struct policy *p, size_t index)
{
	const struct pstmt *st;
	json_t *conds, *o;

	if (!p || index >= p->nstmts)
		return NULL;
	st = &p->stmts[index];
	if (!(conds = json_array()))
		return NULL;
	for (size_t i = 0; i < st->nconds; i++) {
		const struct pcond *c = &st->conds[i];
		json_array_append_new(conds, json_pack("{s:s,s:o}", "key", c->key_raw, "values",
		                                       items_of(c->values, c->nvalues, sizeof(c->values[0]),
		                                                offsetof(struct pval, s) + offsetof(struct pstr, raw))));
	}
	o = json_pack("{s:s,s:s,s:o,s:{s:[]},s:o,s:o,s:{s:o}}", "statementId", st->sid ? st->sid : "", "effect",
	              st->allow ? "ALLOW" : "DENY", "principals",
	              items_of(st->principals, st->nprincipals, sizeof(st->principals[0]), offsetof(struct pprin, raw)),
	              "principalGroups", "items", "actions",
	              items_of(st->actions, st->nactions, sizeof(st->actions[0]), offsetof(struct pstr, raw)),
	              "resources",
	              items_of(st->resources, st->nresources, sizeof(st->resources[0]), offsetof(struct pres, raw)),
	              "conditions", "items", conds);
	return o;
}
