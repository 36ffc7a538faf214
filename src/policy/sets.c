/*
 * sets.c - requests about sets (POLICY_REQ_SETS): "could some action matching A on some resource matching R be
 * allowed", with the semantics of @cloud-copilot/iam-simulate's wildcard requests, decided exactly (globset.h).
 *
 *   1. The request is evaluated once with its sets: a statement's Allow applies when its Action and Resource
 *      patterns meet the request's sets; a Deny applies only when they cover all of them (a deny of a part does not
 *      deny "some"). NotAction / NotResource: an Allow applies unless one entry covers the set; a Deny applies
 *      when no entry meets it. Not allowed here: the answer (explicit or implicit deny).
 *   2. Allowed: every Allow statement of the identity and resource policies that applied narrows the request to
 *      its own patterns (the request's set AND the pattern's: each pattern meeting the set, one at a time), and
 *      each narrowed request is decided again with the same rules. Allowed when one is (its patterns are the
 *      answer's via_action / via_resource); ExplicitlyDenied when all are; ImplicitlyDenied otherwise.
 * A question past the bounds is answered the closed way and marks the answer undecided.
 *
 * The request's '*' is a wildcard; its '?' is a literal (as in iam-simulate). ARN parts are compared part by part
 * (partition, service, region and account without regard to case); a short request ARN ends in '*' parts.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "util/common.h"

#define NARROW_MAX 64 /* narrowed requests one question decides */

/* A set of resources: every one (all), or six glob patterns (arn, partition, service, region, account, rest). */
struct rset {
	bool all;
	bool arn; /* false: the request is no ARN and not "*": only Resource "*" meets it */
	struct gpat seg[6];
	struct gtok buf[6][GLOB_MAX_LEN];
};

struct set_query {
	bool act_on, res_on;
	/* the conjunctions: [0] the request's own set, [1] the narrowing pattern (when nact / nres is 2) */
	struct gtok act_buf[2][GLOB_MAX_LEN];
	struct gpat act[2];
	size_t nact; /* 0: every action */
	struct rset res[2];
	size_t nres; /* 0: every resource */
	bool overflow;
};

bool sets_action_on(const struct eval_ctx *ctx)
{
	return ctx->q && ctx->q->act_on;
}

bool sets_resource_on(const struct eval_ctx *ctx)
{
	return ctx->q && ctx->q->res_on;
}

/* ---- building sets ---------------------------------------------------------------------------------------- */

static void lit(struct rset *r, int k, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		r->buf[k][i] = (struct gtok){GL_LIT, (unsigned char)s[i]};
	r->seg[k] = (struct gpat){r->buf[k], n};
}

/* The request's resource as a set. C_ERR past the bounds. */
static int request_rset(const char *s, struct rset *r)
{
	size_t len = strlen(s), start = 4, k = 1;

	memset(r, 0, offsetof(struct rset, buf));
	if (strcmp(s, "*") == 0) {
		r->all = true;
		return C_OK;
	}
	if (len < 4 || strncmp(s, "arn:", 4) != 0)
		return C_OK; /* r->arn false */
	r->arn = true;
	lit(r, 0, "arn");
	for (size_t i = 4; i <= len && k < 6; i++) {
		if (i == len || (s[i] == ':' && k < 5)) {
			size_t n;
			if (glob_from_request(s + start, i - start, k < 5, r->buf[k], GLOB_MAX_LEN, &n) != C_OK)
				return C_ERR;
			r->seg[k] = (struct gpat){r->buf[k], n};
			k++;
			start = i + 1;
		}
	}
	for (; k < 6; k++) {
		r->buf[k][0] = (struct gtok){GL_STAR, 0};
		r->seg[k] = (struct gpat){r->buf[k], 1};
	}
	return C_OK;
}

/* A Resource entry as a set: 1, 0 when it stands for nothing here (a short ARN that never matches, an
 * unresolvable variable), -1 past the bounds. */
static int entry_rset(const struct eval_ctx *ctx, const struct pres *e, struct rset *r)
{
	size_t n, plen = e->product_len;
	int rc;

	memset(r, 0, offsetof(struct rset, buf));
	if (e->all) {
		r->all = true;
		return 1;
	}
	if (e->nomatch)
		return 0;
	r->arn = true;
	lit(r, 0, "arn");
	for (int k = 0; k < 4; k++) {
		rc = pstr_to_glob(ctx, &e->seg[k], true, r->buf[k + 1], GLOB_MAX_LEN, &n);
		if (rc <= 0)
			return rc;
		r->seg[k + 1] = (struct gpat){r->buf[k + 1], n};
	}
	if (plen > GLOB_MAX_LEN)
		return -1;
	for (size_t i = 0; i < plen; i++)
		r->buf[5][i] = (struct gtok){GL_LIT, (unsigned char)e->product[i]};
	rc = pstr_to_glob(ctx, &e->id, false, r->buf[5] + plen, GLOB_MAX_LEN - plen, &n);
	if (rc <= 0)
		return rc;
	r->seg[5] = (struct gpat){r->buf[5], plen + n};
	return 1;
}

/* ---- the two questions ------------------------------------------------------------------------------------ */

/* Whether the conjunction q[0..nq) (no "all" among them) meets e / lies inside e. C_ERR past the bounds. */
static int rsets_meet(const struct rset *q, size_t nq, const struct rset *e, bool *out)
{
	*out = true;
	if (nq == 0) /* every resource */
		return C_OK;
	if (!e->all && !e->arn) {
		*out = false;
		return C_OK;
	}
	for (size_t i = 0; i < nq; i++)
		if (!q[i].arn) {
			*out = e->all;
			return C_OK;
		}
	for (int k = 0; k < 6 && *out; k++) {
		struct gpat p[GLOB_MAX_PATS];
		size_t n = 0;
		for (size_t i = 0; i < nq; i++)
			p[n++] = q[i].seg[k];
		if (!e->all)
			p[n++] = e->seg[k];
		if (glob_intersects(p, n, out) != C_OK)
			return C_ERR;
	}
	return C_OK;
}

static int rsets_inside(const struct rset *q, size_t nq, const struct rset *e, bool *out)
{
	*out = e->all;
	if (e->all || nq == 0 || !e->arn)
		return C_OK;
	for (size_t i = 0; i < nq; i++)
		if (!q[i].arn)
			return C_OK;
	*out = true;
	for (int k = 0; k < 6 && *out; k++) {
		struct gpat p[2];
		for (size_t i = 0; i < nq; i++)
			p[i] = q[i].seg[k];
		if (glob_covers(p, nq, &e->seg[k], out) != C_OK)
			return C_ERR;
	}
	return C_OK;
}

/* How one entry relates to the query: meets (some in common), inside (covers all of the query). Past the bounds
 * the closed answer: an Allow's entry meets nothing, a Deny's covers everything. */
struct rel {
	bool meets, covers;
	bool unknown; /* a variable of the entry cannot be resolved: as in a single request, a NotResource holding
	               * it does not apply */
};

static struct rel resource_rel(const struct eval_ctx *ctx, const struct pres *e, bool allow)
{
	struct set_query *q = ctx->q;
	struct rset *r = malloc(sizeof(*r));
	struct rel out = {false, false, false};
	int rc;

	if (!r) {
		q->overflow = true;
		return (struct rel){false, !allow, false};
	}
	rc = entry_rset(ctx, e, r);
	out.unknown = rc == 0 && !e->nomatch;
	if (rc < 0 || (rc > 0 && (rsets_meet(q->res, q->nres, r, &out.meets) != C_OK ||
	                          rsets_inside(q->res, q->nres, r, &out.covers) != C_OK))) {
		q->overflow = true;
		out = (struct rel){false, !allow, false};
	}
	free(r);
	return out;
}

static struct rel action_rel(struct set_query *q, const struct pstr *a, bool allow)
{
	struct gtok buf[GLOB_MAX_LEN];
	struct gpat p[GLOB_MAX_PATS];
	struct rel out = {false, false, false};
	size_t n;
	int rc = pstr_to_glob(NULL, a, true, buf, GLOB_MAX_LEN, &n);

	if (rc == 0)
		return out;
	if (rc < 0)
		goto overflow;
	for (size_t i = 0; i < q->nact; i++)
		p[i] = q->act[i];
	p[q->nact] = (struct gpat){buf, n};
	if (glob_intersects(p, q->nact + 1, &out.meets) != C_OK)
		goto overflow;
	if (q->nact == 0) {
		out.covers = n == 1 && buf[0].kind == GL_STAR;
	} else {
		struct gpat outer = {buf, n};
		if (glob_covers(q->act, q->nact, &outer, &out.covers) != C_OK)
			goto overflow;
	}
	return out;
overflow:
	q->overflow = true;
	return (struct rel){false, !allow, false};
}

bool sets_actions_match(const struct eval_ctx *ctx, const struct pstmt *st)
{
	bool any = false;

	for (size_t i = 0; i < st->nactions && !any; i++) {
		struct rel r = action_rel(ctx->q, &st->actions[i], st->allow == !st->not_action);
		/* Action: Allow meets, Deny covers. NotAction: Allow applies unless an entry covers the set, Deny
		 * unless an entry meets it. */
		any = st->not_action ? (st->allow ? r.covers : r.meets) : (st->allow ? r.meets : r.covers);
	}
	return st->not_action ? !any : any;
}

bool sets_resources_match(const struct eval_ctx *ctx, const struct pstmt *st)
{
	bool any = false, unknown = false;

	if (st->res_mode == 0)
		return true;
	for (size_t i = 0; i < st->nresources && !any; i++) {
		bool not = st->res_mode == 2;
		struct rel r = resource_rel(ctx, &st->resources[i], st->allow == !not);
		any = not ? (st->allow ? r.covers : r.meets) : (st->allow ? r.meets : r.covers);
		unknown |= r.unknown;
	}
	return st->res_mode == 2 ? !any && !unknown : any;
}

/* ---- narrowing --------------------------------------------------------------------------------------------- */

struct narrow {
	const struct policy *pol;
	const struct pstr *action;  /* NULL: not narrowed */
	const struct pres *resource; /* NULL: not narrowed */
};

/* The narrowed requests of one allowing statement (appended to out[*n..NARROW_MAX)). false when they do not fit. */
static bool statement_narrows(struct set_query *q, const struct policy_request *req, const struct policy *pol,
                              const struct pstmt *st, struct narrow *out, size_t *n)
{
	struct eval_ctx ctx = {.req = req, .vars = pol->version_2012, .q = q};
	const struct pstr *acts[NARROW_MAX];
	const struct pres *ress[NARROW_MAX];
	size_t na = 0, nr = 0;

	if (!st->allow || !statement_applies(&ctx, st))
		return true;
	if (q->act_on && !st->not_action) {
		for (size_t i = 0; i < st->nactions; i++)
			if (action_rel(q, &st->actions[i], true).meets && na < NARROW_MAX)
				acts[na++] = &st->actions[i];
	}
	if (na == 0)
		acts[na++] = NULL;
	if (q->res_on && st->res_mode == 1) {
		for (size_t i = 0; i < st->nresources; i++)
			if (!st->resources[i].all && resource_rel(&ctx, &st->resources[i], true).meets && nr < NARROW_MAX)
				ress[nr++] = &st->resources[i];
	}
	if (nr == 0)
		ress[nr++] = NULL;
	for (size_t a = 0; a < na; a++)
		for (size_t r = 0; r < nr; r++) {
			if (*n == NARROW_MAX)
				return false;
			out[(*n)++] = (struct narrow){pol, acts[a], ress[r]};
		}
	return true;
}

/* Sets q's second member of each conjunction to narrowing nw. C_ERR past the bounds. */
static int narrow_to(struct set_query *q, const struct policy_request *req, const struct narrow *nw)
{
	struct eval_ctx ctx = {.req = req, .vars = nw->pol->version_2012, .q = q};

	if (nw->action) {
		size_t n;
		int rc = pstr_to_glob(NULL, nw->action, true, q->act_buf[1], GLOB_MAX_LEN, &n);
		if (rc < 0)
			return C_ERR;
		if (rc > 0) {
			q->act[q->nact++] = (struct gpat){q->act_buf[1], n};
		}
	}
	if (nw->resource) {
		int rc = entry_rset(&ctx, nw->resource, &q->res[1]);
		if (rc < 0)
			return C_ERR;
		if (rc > 0 && !q->res[1].all) {
			if (q->nres == 0)
				q->res[0] = q->res[1];
			q->nres++;
		}
	}
	return C_OK;
}

enum policy_decision sets_evaluate(const struct policy_request *req, const struct policy_set *set,
                                   struct policy_explain *ex)
{
	struct set_query *q = calloc(1, sizeof(*q));
	struct narrow *nw = calloc(NARROW_MAX, sizeof(*nw));
	struct rset *req_res;
	size_t n = 0, base_nact, base_nres;
	bool fits = true, all_explicit = true;
	enum policy_decision d = POLICY_IMPLICIT_DENY;

	if (!q || !nw)
		goto closed;
	req_res = &q->res[0];
	q->act_on = strchr(req->action, '*') != NULL;
	/* A resource of "*" alone is what a wildcard-only action (iam:ListUsers) is asked with: a single request, as
	 * in iam-simulate, where only a Resource "*" matches it. */
	q->res_on = strchr(req->resource, '*') != NULL && strcmp(req->resource, "*") != 0;
	if (q->act_on && strcmp(req->action, "*") != 0) {
		size_t len;
		if (glob_from_request(req->action, strlen(req->action), true, q->act_buf[0], GLOB_MAX_LEN, &len) != C_OK)
			goto closed;
		q->act[0] = (struct gpat){q->act_buf[0], len};
		q->nact = 1;
	}
	if (q->res_on) {
		if (request_rset(req->resource, req_res) != C_OK)
			goto closed;
		q->nres = req_res->all ? 0 : 1;
	}
	base_nact = q->nact;
	base_nres = q->nres;
	if (q->nact > 0) {
		/* sts:GetCallerIdentity needs no permission: a set of actions holding it is allowed */
		struct gtok gci[32];
		size_t len;
		bool meets = false;
		struct gpat p[2] = {q->act[0], {gci, 0}};
		if (glob_from_request("sts:getcalleridentity", 21, true, gci, 32, &len) == C_OK) {
			p[1].n = len;
			if (glob_intersects(p, 2, &meets) == C_OK && meets) {
				ex->reason = "sts:GetCallerIdentity is always allowed";
				ex->via_action = "sts:GetCallerIdentity";
				d = POLICY_ALLOWED;
				goto done;
			}
		}
	}

	d = policy_decide(req, set, ex, q);
	if (d != POLICY_ALLOWED)
		goto done;

	/* the allowing statements narrow the request */
	for (size_t i = 0; i < set->nidentity && fits; i++)
		for (size_t s = 0; s < set->identity[i]->nstmts && fits; s++)
			fits = statement_narrows(q, req, set->identity[i], &set->identity[i]->stmts[s], nw, &n);
	for (size_t s = 0; set->resource && s < set->resource->nstmts && fits; s++)
		fits = statement_narrows(q, req, set->resource, &set->resource->stmts[s], nw, &n);
	if (!fits)
		q->overflow = true;
	d = POLICY_IMPLICIT_DENY;
	for (size_t i = 0; i < n; i++) {
		struct policy_explain one;
		enum policy_decision di;
		q->nact = base_nact;
		q->nres = base_nres;
		if (narrow_to(q, req, &nw[i]) != C_OK) {
			q->overflow = true;
			all_explicit = false;
			continue;
		}
		di = policy_decide(req, set, &one, q);
		*ex = one;
		if (di == POLICY_ALLOWED) {
			ex->via_action = nw[i].action ? nw[i].action->raw : NULL;
			ex->via_resource = nw[i].resource ? nw[i].resource->raw : NULL;
			d = POLICY_ALLOWED;
			break;
		}
		if (di != POLICY_EXPLICIT_DENY)
			all_explicit = false;
	}
	if (d != POLICY_ALLOWED) {
		d = n > 0 && all_explicit ? POLICY_EXPLICIT_DENY : POLICY_IMPLICIT_DENY;
		if (d == POLICY_IMPLICIT_DENY && n > 0)
			ex->reason = "no allowing statement survives within the request's set";
	}
done:
	ex->undecided = q->overflow;
	free(q);
	free(nw);
	return d;
closed:
	free(q);
	free(nw);
	memset(ex, 0, sizeof(*ex));
	ex->reason = "the request's patterns are past the bounds of set analysis";
	ex->undecided = true;
	return POLICY_IMPLICIT_DENY;
}
