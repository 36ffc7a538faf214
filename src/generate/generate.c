/*
 * generate.c - least-privilege policies from observed calls: the aggregation, the prefix rule, the documents and
 * their split into IAM's size limit (see generate.h for the rules).
 */
#include "generate/generate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

/* ---- a set of strings (open addressing, FNV-1a), each with an index into its owner's array -------------------- */

struct strmap {
	char **keys;   /* NULL: empty slot */
	size_t *vals;
	size_t cap, n; /* cap: a power of two */
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static int strmap_grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	char **keys = calloc(cap, sizeof(*keys));
	size_t *vals = calloc(cap, sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return C_ERR;
	}
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;
		if (!m->keys[i])
			continue;
		for (j = hash(m->keys[i]) & (cap - 1); keys[j]; j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return C_OK;
}

/* The index stored for key, or (inserting key with value `next`) next; *added says which. SIZE_MAX: no memory. */
static size_t strmap_get_or_add(struct strmap *m, const char *key, size_t next, bool *added)
{
	size_t j;

	*added = false;
	if ((m->n + 1) * 2 > m->cap && strmap_grow(m) != C_OK)
		return SIZE_MAX;
	for (j = hash(key) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1))
		if (strcmp(m->keys[j], key) == 0)
			return m->vals[j];
	if (!(m->keys[j] = strdup(key)))
		return SIZE_MAX;
	m->vals[j] = next;
	m->n++;
	*added = true;
	return next;
}

/* ---- the recorded calls -------------------------------------------------------------------------------------- */

struct entry {
	char *name;        /* the action, or the principal (trust) */
	bool mfa_all;      /* every call carried MFA */
	bool star;         /* a call on no resource (identity) */
	bool tags, source; /* trust: session tags, a source identity were passed */
	bool ext_all;      /* trust: every assumption passed an external id */
	struct strmap set; /* identity: the resources; trust: the external ids */
	char **items;      /* the set's keys, in insertion order (borrowed from set) */
	size_t nitems, capitems;
};

struct gen {
	struct strmap index; /* name -> entries[] */
	struct entry *entries;
	size_t n, cap;
	bool trust;
};

struct gen *gen_new(void)
{
	return calloc(1, sizeof(struct gen));
}

void gen_free(struct gen *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		free(g->entries[i].name);
		strmap_free(&g->entries[i].set);
		free(g->entries[i].items);
	}
	free(g->entries);
	strmap_free(&g->index);
	free(g);
}

size_t gen_count(const struct gen *g, bool trust)
{
	return g->trust == trust ? g->n : 0;
}

static struct entry *entry_of(struct gen *g, const char *name)
{
	bool added;
	size_t i = strmap_get_or_add(&g->index, name, g->n, &added);

	if (i == SIZE_MAX)
		return NULL;
	if (!added)
		return &g->entries[i];
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct entry *grown = realloc(g->entries, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		g->entries = grown;
		g->cap = cap;
	}
	memset(&g->entries[g->n], 0, sizeof(struct entry));
	if (!(g->entries[g->n].name = strdup(name)))
		return NULL;
	g->entries[g->n].mfa_all = true;
	g->entries[g->n].ext_all = true;
	return &g->entries[g->n++];
}

/* Adds item to e's set (once). */
static int entry_add_item(struct entry *e, const char *item)
{
	bool added;
	size_t i = strmap_get_or_add(&e->set, item, e->nitems, &added);

	if (i == SIZE_MAX)
		return C_ERR;
	if (!added)
		return C_OK;
	if (e->nitems == e->capitems) {
		size_t cap = e->capitems ? e->capitems * 2 : 8;
		char **grown = realloc(e->items, cap * sizeof(*grown));
		if (!grown)
			return C_ERR;
		e->items = grown;
		e->capitems = cap;
	}
	/* the map's own copy: find it again (the map may have moved its slots, never its strings) */
	for (size_t j = hash(item) & (e->set.cap - 1);; j = (j + 1) & (e->set.cap - 1))
		if (strcmp(e->set.keys[j], item) == 0) {
			e->items[e->nitems++] = e->set.keys[j];
			return C_OK;
		}
}

int gen_add_call(struct gen *g, const char *action, const char *resource, bool mfa)
{
	struct entry *e = entry_of(g, action);

	if (!e)
		return C_ERR;
	e->mfa_all = e->mfa_all && mfa;
	if (!resource[0] || strcmp(resource, "*") == 0) {
		e->star = true;
		return C_OK;
	}
	return e->star ? C_OK : entry_add_item(e, resource); /* "*" covers every resource: no need to keep them */
}

int gen_add_assumer(struct gen *g, const char *principal, bool mfa, const char *external_id, bool tags,
                    bool source_identity)
{
	struct entry *e = entry_of(g, principal);

	g->trust = true;
	if (!e)
		return C_ERR;
	e->mfa_all = e->mfa_all && mfa;
	e->tags = e->tags || tags;
	e->source = e->source || source_identity;
	if (!external_id || !external_id[0]) {
		e->ext_all = false;
		return C_OK;
	}
	return entry_add_item(e, external_id);
}

/* ---- documents ----------------------------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ARN up to and including its last '/' when the resource part (after the fifth ':') holds at least two '/'
 * (a resource with a path); its length into *len, else 0. */
static size_t path_prefix(const char *arn)
{
	const char *p = arn, *last = NULL;
	int colons = 0, slashes = 0;

	for (; *p && colons < 5; p++)
		if (*p == ':')
			colons++;
	if (colons < 5)
		return 0;
	for (; *p; p++)
		if (*p == '/') {
			slashes++;
			last = p;
		}
	return slashes >= 2 ? (size_t)(last - arn) + 1 : 0;
}

struct res_key {
	const char *s;
	size_t plen; /* path_prefix(s): 0 when s has no path */
};

/* By parent (the path prefix; "" for none), then by the whole ARN: the resources of one parent are adjacent. */
static int cmp_res(const void *a, const void *b)
{
	const struct res_key *x = a, *y = b;
	size_t n = x->plen < y->plen ? x->plen : y->plen;
	int c = memcmp(x->s, y->s, n);

	if (c == 0 && x->plen != y->plen)
		c = x->plen < y->plen ? -1 : 1;
	return c ? c : strcmp(x->s, y->s);
}

/* The resources of one action after the prefix rule, sorted, as a JSON array of strings. */
static json_t *collapsed(const struct entry *e)
{
	json_t *out = NULL;
	struct res_key *v;
	char **outv = NULL;
	size_t n = e->nitems, nout = 0;

	if (e->star || n == 0)
		return json_pack("[s]", "*");
	v = malloc(n * sizeof(*v));
	outv = calloc(n, sizeof(*outv));
	if (!v || !outv)
		goto done;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct res_key){e->items[i], path_prefix(e->items[i])};
	qsort(v, n, sizeof(*v), cmp_res);
	for (size_t i = 0; i < n;) {
		size_t plen = v[i].plen, j = i + 1;
		while (plen && j < n && v[j].plen == plen && memcmp(v[j].s, v[i].s, plen) == 0)
			j++;
		if (j - i >= 2) { /* two or more under one path: the path's pattern */
			if (!(outv[nout] = malloc(plen + 2)))
				goto done;
			memcpy(outv[nout], v[i].s, plen);
			memcpy(outv[nout] + plen, "*", 2);
		} else if (!(outv[nout] = strdup(v[i].s))) {
			goto done;
		}
		nout++;
		i = j;
	}
	qsort(outv, nout, sizeof(*outv), cmp_str);
	out = json_array();
	for (size_t i = 0; out && i < nout; i++)
		json_array_append_new(out, json_string(outv[i]));
done:
	for (size_t i = 0; outv && i < nout; i++)
		free(outv[i]);
	free(outv);
	free(v);
	return out;
}

/* A one-element array as its string, else the array itself (the IAM grammar takes both). Steals a. */
static json_t *one_or_list(json_t *a)
{
	json_t *s;

	if (json_array_size(a) != 1)
		return a;
	s = json_incref(json_array_get(a, 0));
	json_decref(a);
	return s;
}

static json_t *mfa_condition(void)
{
	return json_pack("{s:{s:s}}", "Bool", "aws:MultiFactorAuthPresent", "true");
}

static json_t *document(json_t *statements)
{
	return json_pack("{s:s, s:o}", "Version", "2012-10-17", "Statement", statements);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

json_t *gen_identity_policy(struct gen *g)
{
	json_t *stmts = json_array(), **res = NULL, *doc = NULL;
	char **keys = NULL;
	bool *done = NULL;

	if (!stmts)
		return NULL;
	qsort(g->entries, g->n, sizeof(*g->entries), cmp_entry);
	strmap_free(&g->index); /* entries moved: the index is stale; no more calls are added after this */
	res = calloc(g->n + 1, sizeof(*res));
	keys = calloc(g->n + 1, sizeof(*keys));
	done = calloc(g->n + 1, sizeof(*done));
	if (!res || !keys || !done)
		goto fail;
	for (size_t i = 0; i < g->n; i++) {
		if (!(res[i] = collapsed(&g->entries[i])) ||
		    !(keys[i] = json_dumps(res[i], JSON_COMPACT)))
			goto fail;
	}
	for (size_t i = 0; i < g->n; i++) {
		json_t *actions, *st;
		if (done[i])
			continue;
		if (!(actions = json_array()))
			goto fail;
		for (size_t j = i; j < g->n; j++)
			if (!done[j] && g->entries[j].mfa_all == g->entries[i].mfa_all && strcmp(keys[j], keys[i]) == 0) {
				done[j] = true;
				json_array_append_new(actions, json_string(g->entries[j].name));
			}
		st = json_pack("{s:s, s:o, s:o}", "Effect", "Allow", "Action", one_or_list(actions), "Resource",
		               one_or_list(json_incref(res[i])));
		if (!st)
			goto fail;
		if (g->entries[i].mfa_all)
			json_object_set_new(st, "Condition", mfa_condition());
		json_array_append_new(stmts, st);
	}
	doc = document(json_incref(stmts));
fail:
	for (size_t i = 0; res && keys && i < g->n; i++) {
		json_decref(res[i]);
		free(keys[i]);
	}
	free(res);
	free(keys);
	free(done);
	json_decref(stmts);
	return doc;
}

/* The trust form of a principal's conditions and actions, as one key for grouping. */
static json_t *trust_parts(const struct entry *e, json_t **actions)
{
	json_t *cond = json_object();
	char **ids;

	*actions = json_pack("[s]", "sts:AssumeRole");
	if (e->source)
		json_array_append_new(*actions, json_string("sts:SetSourceIdentity"));
	if (e->tags)
		json_array_append_new(*actions, json_string("sts:TagSession"));
	if (e->mfa_all)
		json_object_set_new(cond, "Bool", json_pack("{s:s}", "aws:MultiFactorAuthPresent", "true"));
	if (e->ext_all && e->nitems > 0 && (ids = malloc(e->nitems * sizeof(*ids)))) {
		json_t *vals = json_array();
		memcpy(ids, e->items, e->nitems * sizeof(*ids));
		qsort(ids, e->nitems, sizeof(*ids), cmp_str);
		for (size_t i = 0; i < e->nitems; i++)
			json_array_append_new(vals, json_string(ids[i]));
		free(ids);
		json_object_set_new(cond, "StringEquals", json_pack("{s:o}", "sts:ExternalId", one_or_list(vals)));
	}
	return cond;
}

json_t *gen_trust_policy(struct gen *g)
{
	json_t *stmts = json_array(), *doc = NULL;
	bool *done = calloc(g->n + 1, sizeof(*done));

	if (!stmts || !done)
		goto out;
	qsort(g->entries, g->n, sizeof(*g->entries), cmp_entry);
	strmap_free(&g->index);
	for (size_t i = 0; i < g->n; i++) {
		json_t *acts, *cond, *principals, *st;
		char *key;
		if (done[i])
			continue;
		cond = trust_parts(&g->entries[i], &acts);
		json_t *pair0 = json_pack("[O,O]", cond, acts);
		key = pair0 ? json_dumps(pair0, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(pair0);
		principals = json_array();
		for (size_t j = i; key && principals && j < g->n; j++) {
			json_t *a2, *c2 = trust_parts(&g->entries[j], &a2), *pair = json_pack("[O,O]", c2, a2);
			char *k2 = pair ? json_dumps(pair, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
			if (!done[j] && k2 && strcmp(k2, key) == 0) {
				done[j] = true;
				json_array_append_new(principals, json_string(g->entries[j].name));
			}
			free(k2);
			json_decref(pair);
			json_decref(c2);
			json_decref(a2);
		}
		free(key);
		st = json_pack("{s:s, s:{s:o}, s:o}", "Effect", "Allow", "Principal", "AWS", one_or_list(principals),
		               "Action", one_or_list(acts));
		if (st && json_object_size(cond))
			json_object_set(st, "Condition", cond);
		json_decref(cond);
		if (!st)
			goto out;
		json_array_append_new(stmts, st);
	}
	doc = document(json_incref(stmts));
out:
	free(done);
	json_decref(stmts);
	return doc;
}

size_t gen_policy_size(const json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t n = 0;

	for (char *p = text; p && *p; p++)
		if (!(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			n++;
	free(text);
	return n;
}

/* Appends st to the documents, opening a new one when the current one would pass limit. */
static int pack(json_t *docs, json_t *st, size_t limit)
{
	json_t *cur = json_array_size(docs) ? json_array_get(docs, json_array_size(docs) - 1) : NULL;
	json_t *stmts = cur ? json_object_get(cur, "Statement") : NULL;

	if (stmts) {
		json_array_append(stmts, st);
		if (gen_policy_size(cur) <= limit)
			return C_OK;
		json_array_remove(stmts, json_array_size(stmts) - 1);
	}
	cur = document(json_pack("[O]", st));
	if (!cur || gen_policy_size(cur) > limit) {
		json_decref(cur);
		return C_ERR;
	}
	return json_array_append_new(docs, cur) == 0 ? C_OK : C_ERR;
}

/* pack() of a copy of a statement with the given resources. */
static int pack_part(json_t *docs, const json_t *st, json_t *resources, size_t limit)
{
	json_t *part = json_deep_copy(st);
	int rc;

	if (!part)
		return C_ERR;
	json_object_set(part, "Resource", resources);
	rc = pack(docs, part, limit);
	json_decref(part);
	return rc;
}

json_t *gen_split(const json_t *doc, size_t limit)
{
	json_t *docs = json_array(), *st, *list = NULL, *probe = NULL;
	size_t i;

	if (!docs)
		return NULL;
	json_array_foreach(json_object_get(doc, "Statement"), i, st) {
		json_t *res = json_object_get(st, "Resource"), *r;
		size_t k;
		if (pack(docs, st, limit) == C_OK)
			continue;
		if (!json_is_array(res))
			goto fail;
		/* too big alone: the statement again, its resources in as many parts as it takes */
		list = json_array();
		json_array_foreach(res, k, r) {
			json_array_append(list, r);
			probe = json_deep_copy(st);
			if (!probe)
				goto fail;
			json_object_set(probe, "Resource", list);
			if (gen_policy_size(probe) + 40 > limit) { /* 40: {"Version":"2012-10-17","Statement":[]} */
				if (json_array_size(list) == 1)
					goto fail;
				json_array_remove(list, json_array_size(list) - 1);
				if (pack_part(docs, st, list, limit) != C_OK)
					goto fail;
				json_decref(list);
				list = json_pack("[O]", r);
			}
			json_decref(probe);
			probe = NULL;
		}
		if (json_array_size(list) && pack_part(docs, st, list, limit) != C_OK)
			goto fail;
		json_decref(list);
		list = NULL;
	}
	return docs;
fail:
	json_decref(probe);
	json_decref(list);
	json_decref(docs);
	return NULL;
}
