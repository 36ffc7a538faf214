/*
 * match.c - wildcard matching of tokenised policy strings, and the Action, Resource and Principal elements.
 *
 * A pattern is a list of tokens: literal text, '*' (any run of characters, possibly empty), '?' (one
 * character) and ${variables}, which resolve from the request context to literal text (never to wildcards). A
 * variable that cannot be resolved (absent key without a default, or a multi-valued key) makes the pattern match
 * nothing, as AWS documents. Matching is the classic greedy algorithm with one backtrack point per '*': linear
 * in practice, and it never allocates.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "policy/internal.h"
#include "util/common.h"

#define MAX_SEGS 260 /* > the tokenizer's MAX_TOKENS */

/* The context keys an anonymous request does not carry: those of the principal. */
static bool principal_key(const char *key, size_t keylen)
{
	return (keylen >= 13 && strncasecmp(key, "aws:principal", 13) == 0) ||
	       (keylen == 10 && strncasecmp(key, "aws:userid", 10) == 0) ||
	       (keylen == 12 && strncasecmp(key, "aws:username", 12) == 0);
}

const struct policy_ctx_entry *ctx_find(const struct policy_request *req, const char *key, size_t keylen)
{
	if ((req->flags & POLICY_REQ_ANONYMOUS) && principal_key(key, keylen))
		return NULL;
	for (size_t i = 0; i < req->nctx; i++) {
		const struct policy_ctx_entry *e = &req->ctx[i];
		if (strlen(e->key) == keylen && strncasecmp(e->key, key, keylen) == 0)
			return e;
	}
	return NULL;
}

/* A resolved token: literal text, or a wildcard. */
struct seg {
	uint8_t kind; /* TOK_LIT, TOK_STAR, TOK_QMARK */
	uint32_t len;
	const char *s;
};

/* Resolves the variables of p. false when one cannot be resolved. */
static bool resolve(const struct eval_ctx *ctx, const struct pstr *p, bool wildcards, struct seg *segs, size_t *n)
{
	size_t k = 0;

	for (size_t i = 0; i < p->n && k < MAX_SEGS; i++) {
		const struct ptok *t = &p->t[i];
		switch (t->kind) {
		case TOK_LIT:
			segs[k++] = (struct seg){TOK_LIT, t->len, t->s};
			break;
		case TOK_STAR:
		case TOK_QMARK:
			if (wildcards)
				segs[k++] = (struct seg){t->kind, 0, NULL};
			else
				segs[k++] = (struct seg){TOK_LIT, 1, t->kind == TOK_STAR ? "*" : "?"};
			break;
		case TOK_VAR: {
			const struct policy_ctx_entry *e = ctx ? ctx_find(ctx->req, t->s, t->len) : NULL;
			/* A single non-empty value substitutes; otherwise the default does, if there is one; otherwise the
			 * pattern matches nothing (AWS: "If there is no value ... the policy statement does not match"). */
			if (e && !e->multi && e->nvalues == 1 && e->values[0][0])
				segs[k++] = (struct seg){TOK_LIT, (uint32_t)strlen(e->values[0]), e->values[0]};
			else if (t->has_def && t->deflen)
				segs[k++] = (struct seg){TOK_LIT, t->deflen, t->def};
			else
				return false;
			break;
		}
		}
	}
	*n = k;
	return true;
}

/* Length of the UTF-8 character at s (1 for a stray byte). */
static size_t char_len(const char *s, size_t left)
{
	unsigned char c = (unsigned char)s[0];
	size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

	return n <= left ? n : 1;
}

/* Glob match of resolved segments against subject. */
static bool glob(const struct seg *segs, size_t nsegs, const char *subj, size_t len, bool ignore_case)
{
	size_t pi = 0, po = 0, s = 0;       /* pattern position (segment, offset), subject position */
	size_t star_pi = SIZE_MAX, star_s = 0; /* the last '*' seen, and where its match began */

	for (;;) {
		/* skip exhausted literal segments */
		while (pi < nsegs && segs[pi].kind == TOK_LIT && po == segs[pi].len) {
			pi++;
			po = 0;
		}
		if (s == len) {
			while (pi < nsegs && (segs[pi].kind == TOK_STAR || (segs[pi].kind == TOK_LIT && po == segs[pi].len))) {
				pi++;
				po = 0;
			}
			if (pi == nsegs)
				return true;
		} else if (pi < nsegs) {
			const struct seg *g = &segs[pi];
			if (g->kind == TOK_STAR) {
				star_pi = pi;
				star_s = s;
				pi++;
				po = 0;
				continue;
			}
			if (g->kind == TOK_QMARK) {
				s += char_len(subj + s, len - s);
				pi++;
				po = 0;
				continue;
			}
			{
				char a = g->s[po], b = subj[s];
				if (a == b || (ignore_case && tolower((unsigned char)a) == tolower((unsigned char)b))) {
					po++;
					s++;
					continue;
				}
			}
		}
		/* mismatch: let the last '*' take one more character */
		if (star_pi == SIZE_MAX || star_s >= len)
			return false;
		star_s += char_len(subj + star_s, len - star_s);
		s = star_s;
		pi = star_pi + 1;
		po = 0;
	}
}

bool pstr_match(const struct eval_ctx *ctx, const struct pstr *p, const char *s, size_t len, bool ignore_case,
                bool wildcards)
{
	struct seg segs[MAX_SEGS];
	size_t n;

	if (p->n <= 1 && !p->has_var && !p->has_wild) {
		/* One literal token (its text may differ from raw: "${?}" stands for '?'). */
		const char *t = p->n ? p->t[0].s : "";
		size_t tl = p->n ? p->t[0].len : 0;
		if (tl != len)
			return false;
		return ignore_case ? strncasecmp(t, s, len) == 0 : memcmp(t, s, len) == 0;
	}
	if (!resolve(ctx && ctx->vars ? ctx : NULL, p, wildcards, segs, &n))
		return false;
	if (p->has_var && !(ctx && ctx->vars))
		return false;
	return glob(segs, n, s, len, ignore_case);
}

int pstr_to_glob(const struct eval_ctx *ctx, const struct pstr *p, bool fold, struct gtok *out, size_t max,
                 size_t *n)
{
	struct seg segs[MAX_SEGS];
	size_t ns, k = 0;

	if (p->has_var && !(ctx && ctx->vars))
		return 0;
	if (!resolve(ctx && ctx->vars ? ctx : NULL, p, true, segs, &ns))
		return 0;
	for (size_t i = 0; i < ns; i++) {
		if (segs[i].kind != TOK_LIT) {
			if (k == max)
				return -1;
			out[k++] = (struct gtok){segs[i].kind == TOK_STAR ? GL_STAR : GL_ANY, 0};
			continue;
		}
		for (uint32_t j = 0; j < segs[i].len; j++) {
			unsigned char c = (unsigned char)segs[i].s[j];
			if (k == max)
				return -1;
			out[k++] = (struct gtok){GL_LIT, fold ? (unsigned char)tolower(c) : c};
		}
	}
	*n = k;
	return 1;
}

bool pstr_resolvable(const struct eval_ctx *ctx, const struct pstr *p)
{
	struct seg segs[MAX_SEGS];
	size_t n;

	if (!p->has_var)
		return true;
	return ctx && ctx->vars && resolve(ctx, p, false, segs, &n);
}

bool action_matches(const struct pstr *p, const char *action)
{
	return pstr_match(NULL, p, action, strlen(action), true, true);
}

/* ---- resources -------------------------------------------------------------------------------------------------- */

/* The six parts of an ARN: pointers into s. false when s is not an ARN. */
struct arn_parts {
	const char *part[6];
	size_t len[6];
};

static bool split_arn(const char *s, struct arn_parts *a)
{
	size_t n = 0, start = 0, len = strlen(s);

	if (len < 4 || strncmp(s, "arn:", 4) != 0)
		return false;
	for (size_t i = 0; i <= len && n < 6; i++) {
		if (i == len || (s[i] == ':' && n < 5)) {
			a->part[n] = s + start;
			a->len[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	return n == 6;
}

enum rmatch resource_matches(const struct eval_ctx *ctx, const struct pres *r, const char *resource)
{
	struct arn_parts a;
	const char *rest;
	size_t restlen;
	struct seg segs[MAX_SEGS];
	size_t n;

	if (r->all)
		return RM_MATCH;
	if (r->nomatch || !split_arn(resource, &a))
		return RM_NOMATCH;
	for (int k = 0; k < 4; k++)
		if (!pstr_match(ctx, &r->seg[k], a.part[k + 1], a.len[k + 1], true, true))
			return r->expanded ? RM_UNKNOWN : RM_NOMATCH;
	rest = a.part[5];
	restlen = a.len[5];
	if (restlen < r->product_len || memcmp(rest, r->product, r->product_len) != 0)
		return r->expanded ? RM_UNKNOWN : RM_NOMATCH;
	if (r->id.has_var && (!ctx || !ctx->vars || !resolve(ctx, &r->id, true, segs, &n)))
		return r->id.has_var && ctx && ctx->vars ? RM_UNKNOWN : RM_NOMATCH;
	if (pstr_match(ctx, &r->id, rest + r->product_len, restlen - r->product_len, false, true))
		return RM_MATCH;
	return r->expanded ? RM_UNKNOWN : RM_NOMATCH;
}

bool arn_pattern_match(const struct eval_ctx *ctx, const struct pstr *p, const char *v, size_t vlen)
{
	struct seg segs[MAX_SEGS], parts[6][MAX_SEGS / 2];
	size_t n, np[6] = {0}, k = 0, vstart = 0, vk = 0;
	const char *vp[6];
	size_t vl[6];

	if (!resolve(ctx && ctx->vars ? ctx : NULL, p, true, segs, &n) || (p->has_var && !(ctx && ctx->vars)))
		return false;
	/* Split the resolved pattern at the first five ':' of its literal text. */
	for (size_t i = 0; i < n; i++) {
		if (segs[i].kind != TOK_LIT) {
			if (np[k] == MAX_SEGS / 2)
				return false;
			parts[k][np[k]++] = segs[i];
			continue;
		}
		{
			const char *s = segs[i].s, *end = s + segs[i].len;
			while (s < end) {
				const char *colon = k < 5 ? memchr(s, ':', (size_t)(end - s)) : NULL;
				const char *stop = colon ? colon : end;
				if (stop > s) {
					if (np[k] == MAX_SEGS / 2)
						return false;
					parts[k][np[k]++] = (struct seg){TOK_LIT, (uint32_t)(stop - s), s};
				}
				if (!colon)
					break;
				k++;
				s = colon + 1;
			}
		}
	}
	if (k != 5)
		return false;
	for (size_t i = 0; i <= vlen && vk < 6; i++) {
		if (i == vlen || (v[i] == ':' && vk < 5)) {
			vp[vk] = v + vstart;
			vl[vk] = i - vstart;
			vk++;
			vstart = i + 1;
		}
	}
	if (vk != 6)
		return false;
	for (int i = 0; i < 6; i++)
		if (!glob(parts[i], np[i], vp[i], vl[i], false))
			return false;
	return true;
}

/* ---- principals ----------------------------------------------------------------------------------------------- */

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The role name of "arn:aws:iam::ACCT:role/PATH/NAME" (the last path segment), or NULL. */
static const char *role_name(const struct arn_parts *a, size_t *len)
{
	const char *r = a->part[5], *slash;

	if (a->len[2] != 3 || memcmp(a->part[2], "iam", 3) != 0 || a->len[5] < 6 || !has_prefix(r, "role/"))
		return NULL;
	slash = r + a->len[5];
	while (slash > r && slash[-1] != '/')
		slash--;
	*len = (size_t)(r + a->len[5] - slash);
	return *len ? slash : NULL;
}

/* The role name of "arn:aws:sts::ACCT:assumed-role/NAME/SESSION", or NULL. */
static const char *session_role_name(const struct arn_parts *a, size_t *len)
{
	const char *r = a->part[5], *name, *slash;

	if (a->len[2] != 3 || memcmp(a->part[2], "sts", 3) != 0 || !has_prefix(r, "assumed-role/"))
		return NULL;
	name = r + 13;
	slash = memchr(name, '/', a->len[5] - 13);
	if (!slash || slash == name)
		return NULL;
	*len = (size_t)(slash - name);
	return name;
}

enum pmatch principal_matches(const struct pprin *p, const struct policy_request *req)
{
	const char *who = req->principal;

	/* Only Principal "*" / {"AWS":"*"} names an anonymous caller. */
	if ((req->flags & POLICY_REQ_ANONYMOUS) || !who)
		return p->kind == PP_STAR ? PM_MATCH : PM_NO;
	switch (p->kind) {
	case PP_STAR:
		return PM_MATCH;
	case PP_SERVICE:
	case PP_FEDERATED:
	case PP_CANONICAL:
		return strcmp(p->value, who) == 0 ? PM_MATCH : PM_NO;
	case PP_UNIQUE_ID:
		/* A role's id names every session of that role, as its ARN does; a user's id names that user. */
		if (!req->principal_id || strcmp(p->value, req->principal_id) != 0)
			return PM_NO;
		return has_prefix(p->value, "AROA") ? PM_SESSION_ROLE : PM_MATCH;
	case PP_ACCOUNT:
		return req->principal_account && strcmp(p->value, req->principal_account) == 0 ? PM_ACCOUNT : PM_NO;
	case PP_ARN: {
		struct arn_parts pa, ra;
		if (strcmp(p->value, who) == 0)
			return PM_MATCH;
		if (!split_arn(p->value, &pa) || !split_arn(who, &ra))
			return PM_NO;
		/* A role names every session of that role. */
		{
			size_t rl, sl;
			const char *rn = role_name(&pa, &rl), *sn = session_role_name(&ra, &sl);
			if (rn && sn && rl == sl && strncasecmp(rn, sn, rl) == 0 && pa.len[1] == ra.len[1] &&
			    memcmp(pa.part[1], ra.part[1], pa.len[1]) == 0 && pa.len[4] == ra.len[4] &&
			    memcmp(pa.part[4], ra.part[4], pa.len[4]) == 0)
				return PM_SESSION_ROLE;
		}
		/* A user names its federated-user sessions (GetFederationToken). */
		if (ra.len[2] == 3 && memcmp(ra.part[2], "sts", 3) == 0 && has_prefix(ra.part[5], "federated-user/") &&
		    pa.len[2] == 3 && memcmp(pa.part[2], "iam", 3) == 0 && has_prefix(pa.part[5], "user/")) {
			const char *uname = ra.part[5] + 15, *pname = pa.part[5] + 5;
			size_t ulen = ra.len[5] - 15, plen = pa.len[5] - 5;
			if (ulen == plen && memcmp(uname, pname, ulen) == 0 && pa.len[4] == ra.len[4] &&
			    memcmp(pa.part[4], ra.part[4], pa.len[4]) == 0)
				return PM_SESSION_USER;
		}
		return PM_NO;
	}
	}
	return PM_NO;
}
