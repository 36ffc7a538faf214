/*
 * reach.c - every IAM user against every role (reach.h).
 *
 * Not every user x role pair is put to the engine: a role is a candidate for a caller only when its trust policy
 * could name the caller at all (its account id, its unique id or a wildcard principal appear in the document:
 * a superset of what the engine can match), and when the caller's identity policies have an Allow whose Action
 * could cover sts:AssumeRole and whose Resource could match the role's ARN (the patterns read from the documents,
 * an account in the pattern narrowing to that account's roles; NotAction, NotResource and variables narrow
 * nothing), or the role is in the caller's account and its trust names the caller. Every candidate is decided by
 * policy_evaluate (am_can_assume). Roles reached are callers in turn: chains of any length, each role once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fnmatch.h>
#include <jansson.h>

#include "analyze/reach.h"
#include "util/common.h"

#define CHAIN_MAX 8

/* Whether role's trust could name caller: a superset of the engine's principal match. */
static bool trust_may_name(const struct am_model *m, const struct am_principal *role, const struct am_principal *caller)
{
	const char *doc = role->trust_doc;

	return strstr(doc, m->accounts[caller->account].id) || strstr(doc, caller->id) || strstr(doc, "\"*\"");
}

/* Whether a policy's Action entry could cover sts:AssumeRole (a superset: wildcards, without regard to case). */
static bool action_may_cover(json_t *a)
{
	/* fnmatch's [ ] classes are not IAM's: a pattern holding '[' is taken as covering */
	return json_is_string(a) && (strchr(json_string_value(a), '[') ||
	                             fnmatch(json_string_value(a), "sts:assumerole", FNM_CASEFOLD | FNM_NOESCAPE) == 0);
}

/* Whether statement st could allow sts:AssumeRole on some role; *all when on any role (NotResource, NotAction,
 * a variable or an account wildcard we do not narrow); else its Resource patterns are appended to pats. */
static bool statement_patterns(json_t *st, bool *all, json_t *pats)
{
	json_t *act = json_object_get(st, "Action"), *res = json_object_get(st, "Resource"), *v;
	const char *effect = json_string_value(json_object_get(st, "Effect"));
	bool covers = false;
	size_t i;

	if (!effect || strcmp(effect, "Allow") != 0)
		return false;
	if (json_object_get(st, "NotAction"))
		covers = true;
	else if (json_is_array(act)) {
		json_array_foreach(act, i, v)
			covers = covers || action_may_cover(v);
	} else
		covers = action_may_cover(act);
	if (!covers)
		return false;
	if (!res || json_object_get(st, "NotResource")) {
		*all = true;
		return true;
	}
	if (json_is_string(res))
		json_array_append(pats, res);
	else
		json_array_extend(pats, res);
	return true;
}

/* Appends role r to the candidates out (n of cap, grown as needed) and marks it in stamp with now. */
static int add_candidate(size_t r, uint32_t *stamp, uint32_t now, size_t **out, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t *g = realloc(*out, (*cap = *cap ? *cap * 2 : 256) * sizeof(*g));
		if (!g)
			return C_ERR;
		*out = g;
	}
	stamp[r] = now;
	(*out)[(*n)++] = r;
	return C_OK;
}

/* The roles whose ARN matches pattern (a superset of the engine's match), appended to out (marking stamp). */
static int pattern_roles(const struct am_model *m, const char *pat, uint32_t *stamp, uint32_t now, size_t **out,
                         size_t *n, size_t *cap)
{
	char acct[ACCOUNT_ID_LEN + 1];
	const char *p = pat;
	const struct am_account *only = NULL;

	if (strstr(pat, "${") || strchr(pat, '[')) /* variables; fnmatch's [ ] classes, which IAM does not have */
		pat = "*";
	for (int colons = 0; *p && colons < 4; p++)
		colons += *p == ':';
	if (strlen(p) > ACCOUNT_ID_LEN && p[ACCOUNT_ID_LEN] == ':' && strspn(p, "0123456789") == ACCOUNT_ID_LEN) {
		memcpy(acct, p, ACCOUNT_ID_LEN);
		acct[ACCOUNT_ID_LEN] = '\0';
		if (!(only = am_account_find((struct am_model *)m, acct)))
			return C_OK;
	}
	for (size_t k = 0, nr = only ? only->nroles : m->nroles; k < nr; k++) {
		size_t r = only ? only->roles[k] : k;
		if (stamp[r] == now ||
		    (strcmp(pat, "*") != 0 && fnmatch(pat, m->roles[r].arn, FNM_CASEFOLD | FNM_NOESCAPE) != 0))
			continue;
		if (add_candidate(r, stamp, now, out, n, cap) != C_OK)
			return C_ERR;
	}
	return C_OK;
}

/* What one identity policy could allow (statement_patterns over its statements), read once per compiled policy. */
struct memo {
	const struct policy *p;
	bool all;
	json_t *pats;
};
static struct memo *memos;
static size_t nmemos, cap_memos;

static struct memo *memo_of(const struct policy *p, const char *doc)
{
	json_t *j, *sts, *st;
	struct memo *mm;
	size_t i;

	for (i = 0; i < nmemos; i++)
		if (memos[i].p == p)
			return &memos[i];
	if (nmemos == cap_memos) {
		struct memo *g = realloc(memos, (cap_memos = cap_memos ? cap_memos * 2 : 64) * sizeof(*g));
		if (!g)
			return NULL;
		memos = g;
	}
	mm = &memos[nmemos];
	*mm = (struct memo){.p = p, .pats = json_array()};
	if (!mm->pats)
		return NULL;
	if (!(j = json_loads(doc, 0, NULL))) {
		mm->all = true; /* compiled, but not readable here: no narrowing */
	} else {
		sts = json_object_get(j, "Statement");
		if (json_is_object(sts))
			statement_patterns(sts, &mm->all, mm->pats);
		else
			json_array_foreach(sts, i, st)
				statement_patterns(st, &mm->all, mm->pats);
		json_decref(j);
	}
	nmemos++;
	return mm;
}

static void memos_free(void)
{
	for (size_t i = 0; i < nmemos; i++)
		json_decref(memos[i].pats);
	free(memos);
	memos = NULL;
	nmemos = cap_memos = 0;
}

/* The roles caller's identity policies could allow it to assume, and the roles of its own account whose trust
 * names it (a same-account trust that names a principal grants without an identity policy): a superset of what the
 * engine allows. C_OK or C_ERR. */
static int identity_candidates(struct am_model *m, struct am_principal *caller, uint32_t *stamp, uint32_t now,
                               size_t **out, size_t *n, size_t *cap)
{
	const struct principal_policies *pol = am_principal_policies(m, caller);
	json_t *pats = json_array(), *v;
	bool all = false;
	size_t i;
	int rc = C_OK;

	*n = 0;
	if (!pol || !pats) {
		json_decref(pats);
		return C_ERR;
	}
	for (size_t d = 0; d < pol->nidentity && !all; d++) {
		struct memo *mm = memo_of(pol->identity[d], pol->sources[d].document);
		if (!mm) {
			json_decref(pats);
			return C_ERR;
		}
		all = all || mm->all;
		json_array_extend(pats, mm->pats);
	}
	if (all) {
		json_array_clear(pats);
		json_array_append_new(pats, json_string("*"));
	}
	json_array_foreach(pats, i, v)
		if (json_is_string(v) && (rc = pattern_roles(m, json_string_value(v), stamp, now, out, n, cap)) != C_OK)
			break;
	json_decref(pats);
	if (rc != C_OK)
		return rc;
	for (size_t k = 0; k < m->accounts[caller->account].nroles; k++) {
		size_t r = m->accounts[caller->account].roles[k];
		const char *t = m->roles[r].trust_doc;
		if (stamp[r] != now && (strstr(t, caller->id) || strstr(t, "\"*\""))) {
			if (add_candidate(r, stamp, now, out, n, cap) != C_OK)
				return C_ERR;
		}
	}
	return C_OK;
}

/* One edge found: caller may assume role. */
struct edge {
	size_t role;
	json_t *conds, *path;
};

struct edges {
	struct edge *v;
	size_t n;
	bool done;
};

static void edges_free(struct edges *e)
{
	for (size_t i = 0; i < e->n; i++) {
		json_decref(e->v[i].conds);
		json_decref(e->v[i].path);
	}
	free(e->v);
}

/* Scratch space for candidate lists. */
static uint32_t *stamp, stamp_now;
static size_t *cands, ncands, cap_cands;

/* The roles caller may assume (the candidates of its account put to the engine). */
static int edges_of(struct am_model *m, struct am_principal *caller, struct edges *out)
{
	memset(out, 0, sizeof(*out));
	if (identity_candidates(m, caller, stamp, ++stamp_now, &cands, &ncands, &cap_cands) != C_OK)
		return C_ERR;
	for (size_t c = 0; c < ncands; c++) {
		size_t r = cands[c];
		struct am_principal *role = &m->roles[r];
		bool allowed;
		json_t *conds, *path;
		struct edge *g;
		if (role == caller || !trust_may_name(m, role, caller))
			continue;
		if (am_can_assume(m, caller, role, &allowed, &conds, &path) != C_OK)
			return C_ERR;
		if (!allowed)
			continue;
		if (!(g = realloc(out->v, (out->n + 1) * sizeof(*g)))) {
			json_decref(conds);
			json_decref(path);
			return C_ERR;
		}
		out->v = g;
		out->v[out->n++] = (struct edge){r, conds, path};
	}
	out->done = true;
	return C_OK;
}

struct reach {
	struct am_model *m;
	struct edges *role_edges; /* per role, computed on first use */
};

static json_t *row_new(struct am_model *m, struct am_principal *user, struct am_principal *role, json_t *conds,
                       json_t *path, json_t *chain)
{
	const struct am_account *a = &m->accounts[role->account];
	bool mfa = false;
	json_t *age = json_null(), *c;
	size_t i;

	json_array_foreach(conds, i, c) {
		const char *k = json_string_value(json_object_get(c, "key"));
		if (k && strcasecmp(k, "aws:MultiFactorAuthPresent") == 0)
			mfa = true;
		if (k && strcasecmp(k, "aws:MultiFactorAuthAge") == 0) {
			mfa = true;
			json_decref(age);
			age = json_integer(strtoll(json_string_value(json_array_get(json_object_get(c, "values"), 0)) ?: "0",
			                           NULL, 10));
		}
	}
	return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s}, s:O, s:b, s:o, s:O, s:O, s:i}", "principal",
	                 user->arn, "principal_name", user->name, "principal_account", m->accounts[user->account].id,
	                 "account", "id", a->id, "name", a->name, "ou", a->ou_path, "role", "arn", role->arn, "name",
	                 role->name, "conditions", conds, "mfa", mfa, "mfa_max_age", age, "path", path, "chain", chain,
	                 "max_session_s", json_array_size(chain) > 1 ? 3600 : role->max_session_s);
}

/* Follows the chains from user: every role reached, once, by the first (shortest) path found. */
static int reach_user(struct reach *st, struct am_principal *user, json_t *rows, const char *only)
{
	struct am_model *m = st->m;
	struct edges direct;
	size_t *queue = NULL, qn = 0, qh = 0;
	json_t **how = calloc(m->nroles + 1, sizeof(*how)); /* role -> {conds, path, chain} */
	int rc = C_ERR;

	if (!how || !(queue = malloc((m->nroles + 1) * sizeof(*queue))))
		goto out;
	if (edges_of(m, user, &direct) != C_OK) {
		edges_free(&direct);
		goto out;
	}
	for (size_t i = 0; i < direct.n; i++) {
		size_t r = direct.v[i].role;
		json_t *path = json_array();
		json_array_append_new(path, json_pack("{s:s, s:s}", "type", "user", "arn", user->arn));
		json_array_extend(path, direct.v[i].path);
		how[r] = json_pack("{s:O, s:o, s:[s]}", "conditions", direct.v[i].conds, "path", path, "chain",
		                   m->roles[r].arn);
		queue[qn++] = r;
	}
	edges_free(&direct);
	while (qh < qn) {
		size_t from = queue[qh++];
		struct edges *e = &st->role_edges[from];
		if (json_array_size(json_object_get(how[from], "chain")) >= CHAIN_MAX)
			continue;
		if (!e->done && edges_of(m, &m->roles[from], e) != C_OK)
			goto out;
		for (size_t i = 0; i < e->n; i++) {
			size_t r = e->v[i].role;
			json_t *conds, *path, *chain;
			if (how[r])
				continue;
			conds = json_deep_copy(json_object_get(how[from], "conditions"));
			json_array_extend(conds, e->v[i].conds);
			path = json_deep_copy(json_object_get(how[from], "path"));
			json_array_extend(path, e->v[i].path);
			chain = json_deep_copy(json_object_get(how[from], "chain"));
			json_array_append_new(chain, json_string(m->roles[r].arn));
			how[r] = json_pack("{s:o, s:o, s:o}", "conditions", conds, "path", path, "chain", chain);
			queue[qn++] = r;
		}
	}
	for (size_t r = 0; r < m->nroles; r++) {
		json_t *row;
		if (!how[r] || (only && strcmp(m->accounts[m->roles[r].account].id, only) != 0))
			continue;
		if (!(row = row_new(m, user, &m->roles[r], json_object_get(how[r], "conditions"),
		                    json_object_get(how[r], "path"), json_object_get(how[r], "chain"))))
			goto out;
		json_array_append_new(rows, row);
	}
	rc = C_OK;
out:
	if (how)
		for (size_t r = 0; r < m->nroles; r++)
			json_decref(how[r]);
	free(how);
	free(queue);
	return rc;
}

json_t *reach_analyze(struct am_model *m, const char *only_account)
{
	struct reach st = {.m = m};
	json_t *rows = json_array();
	int rc = C_OK;

	stamp = calloc(m->nroles + 1, sizeof(*stamp));
	stamp_now = 0;
	if (!stamp)
		rc = C_ERR;
	st.role_edges = calloc(m->nroles + 1, sizeof(*st.role_edges));
	if (!rows || !st.role_edges)
		rc = C_ERR;
	for (size_t u = 0; rc == C_OK && u < m->nusers; u++)
		rc = reach_user(&st, &m->users[u], rows, only_account);
	for (size_t r = 0; st.role_edges && r < m->nroles; r++)
		edges_free(&st.role_edges[r]);
	free(st.role_edges);
	free(stamp);
	free(cands);
	memos_free();
	stamp = NULL;
	cands = NULL;
	ncands = cap_cands = 0;
	if (rc != C_OK) {
		json_decref(rows);
		fprintf(stderr, "rolegate analyze reach: the analysis failed (the message above says why)\n");
		return NULL;
	}
	return rows;
}
