/*
 * escalation.c - `rolegate analyze escalation`: for every user and role of the store (or of --account), the
 * catalogue methods (escalation_catalog.c) whose steps the engine allows and whose target is more privileged than
 * the principal. "More privileged": the target (a user, group, role, or a policy version) is allowed some action of
 * a sample of privileged ones (PRIVILEGED below, on "*") that the principal is not. Every decision is
 * policy_evaluate's, on the policies authorization itself loads (principal_policies_load_sources, orgs_scp_layers).
 * Only reads, in one read transaction: a running server is not disturbed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/cli.h"
#include "analyze/escalation.h"
#include "iam/effective.h"
#include "orgs/orgs.h"
#include "policy/policy.h"
#include "server/cli_store.h"
#include "store/db.h"
#include "util/common.h"
#include "util/crypto.h"

/* The sample of privileged actions a target is compared on (resource "*"). */
static const char *const PRIVILEGED[] = {
	"iam:CreateUser", "iam:AttachUserPolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion", "iam:PassRole",
	"iam:CreateAccessKey", "iam:UpdateAssumeRolePolicy", "sts:AssumeRole", "organizations:CreateAccount",
	"s3:GetObject", "s3:PutBucketPolicy", "ec2:RunInstances", "lambda:CreateFunction", "kms:Decrypt",
	"secretsmanager:GetSecretValue", "dynamodb:Scan", "cloudtrail:StopLogging", "ssm:SendCommand",
	"rds:DeleteDBInstance", "glue:CreateDevEndpoint",
};
#define NPRIV (sizeof(PRIVILEGED) / sizeof(PRIVILEGED[0]))
#define ALL_CAPS ((1u << NPRIV) - 1)

struct ent {
	char kind[8]; /* "user", "role", "group" */
	char id[64], account[16], name[129], arn[ARN_MAX + 1];
	char session_arn[ARN_MAX + 1]; /* a role's session, as it calls */
	char *trust;                    /* role: its trust policy text (owned) */
	struct policy *trust_p;         /* compiled, owned */
	bool login, in_profile;
	struct principal_policies pp;
	struct scp_layers scp;
	unsigned caps;
};

struct ents {
	struct ent *v;
	size_t n, cap;
};

struct ctx {
	struct db_tx *tx;
	struct ents e;
	json_t *findings;
};

static struct ent *ents_add(struct ents *es)
{
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 32;
		struct ent *g = realloc(es->v, cap * sizeof(*g));
		if (!g)
			return NULL;
		es->v = g;
		es->cap = cap;
	}
	memset(&es->v[es->n], 0, sizeof(es->v[0]));
	return &es->v[es->n++];
}

static void ents_free(struct ents *es)
{
	for (size_t i = 0; i < es->n; i++) {
		principal_policies_release(&es->v[i].pp);
		orgs_scp_layers_release(&es->v[i].scp);
		policy_release(es->v[i].trust_p);
		free(es->v[i].trust);
	}
	free(es->v);
}

/* The policy set an entity's own requests are decided on. */
static struct policy_set set_of(const struct ent *e)
{
	struct policy_set set = {.identity = (struct policy *const *)e->pp.identity, .nidentity = e->pp.nidentity};
	if (e->pp.boundary) {
		set.boundaries = (struct policy *const *)&e->pp.boundary;
		set.nboundaries = 1;
	}
	set.scp = e->scp.layers;
	set.nscp = e->scp.n;
	return set;
}

/* Decides one request of e's (extra: a context key, or NULL). resource_policy: a trust policy for sts:AssumeRole. */
static enum policy_decision decide_with(const struct ent *e, const struct policy_set *set, const char *action,
                                        const char *resource, const char *res_account, struct policy *resource_policy,
                                        const struct policy_ctx_entry *extra, struct policy_explain *ex)
{
	const char *arnv[1] = {e->arn}, *acctv[1] = {e->account}, *idv[1] = {e->id}, *namev[1] = {e->name};
	const char *typev[1] = {strcmp(e->kind, "user") == 0 ? "User" : "AssumedRole"};
	struct policy_ctx_entry ctx[6] = {
		{"aws:PrincipalArn", arnv, 1, false}, {"aws:PrincipalAccount", acctv, 1, false},
		{"aws:userid", idv, 1, false},        {"aws:PrincipalType", typev, 1, false},
	};
	size_t nctx = 4;
	struct policy_set s = *set;
	struct policy_request req = {
		.action = action, .resource = resource, .resource_account = res_account,
		.principal = strcmp(e->kind, "role") == 0 ? e->session_arn : e->arn, .principal_account = e->account,
		.principal_id = e->id, .ctx = ctx,
	};

	if (strcmp(e->kind, "user") == 0)
		ctx[nctx++] = (struct policy_ctx_entry){"aws:username", namev, 1, false};
	if (extra)
		ctx[nctx++] = *extra;
	req.nctx = nctx;
	s.resource = resource_policy;
	return policy_evaluate(&req, &s, ex);
}

static bool can(const struct ent *e, const char *action, const char *resource, const char *res_account,
                struct policy *resource_policy, struct policy_explain *ex)
{
	struct policy_set set = set_of(e);
	return decide_with(e, &set, action, resource, res_account, resource_policy, NULL, ex) == POLICY_ALLOWED;
}

/* can() of a catalogue step, with the context keys AWS sets for it: iam:PassedToService for iam:PassRole,
 * iam:PolicyARN (AdministratorAccess, what an attacker attaches) for Attach*Policy. */
static bool can_step(const struct ent *e, const struct esc_method *m, const char *action, const char *resource,
                     const char *res_account, struct policy_explain *ex)
{
	static const char *const admin[1] = {"arn:aws:iam::aws:policy/AdministratorAccess"};
	const char *svc[1] = {m->service};
	struct policy_ctx_entry extra = {0};
	struct policy_set set = set_of(e);

	if (strcmp(action, "iam:PassRole") == 0 && m->service)
		extra = (struct policy_ctx_entry){"iam:PassedToService", svc, 1, false};
	else if (strncmp(action, "iam:Attach", 10) == 0)
		extra = (struct policy_ctx_entry){"iam:PolicyARN", admin, 1, false};
	return decide_with(e, &set, action, resource, res_account, NULL, extra.key ? &extra : NULL, ex) ==
	       POLICY_ALLOWED;
}

/* The PRIVILEGED actions set allows e on "*". */
static unsigned caps_of(const struct ent *e, const struct policy_set *set)
{
	unsigned caps = 0;
	for (size_t i = 0; i < NPRIV; i++)
		if (decide_with(e, set, PRIVILEGED[i], "*", e->account, NULL, NULL, NULL) == POLICY_ALLOWED)
			caps |= 1u << i;
	return caps;
}

/* ---- loading ---------------------------------------------------------------------------------------------------- */

static int load_kind(struct ctx *c, const char *kind, const char *account)
{
	static const char *const sql[] = {
		"SELECT user_id, account_id, name, path, "
		"(SELECT count(*) FROM login_profiles l WHERE l.user_id = u.user_id), 0, '' FROM users u "
		"WHERE ?1 IS NULL OR account_id = ?1 ORDER BY account_id, name_lc",
		"SELECT role_id, account_id, name, path, 0, "
		"(SELECT count(*) FROM instance_profile_roles i WHERE i.role_id = r.role_id), trust_policy FROM roles r "
		"WHERE ?1 IS NULL OR account_id = ?1 ORDER BY account_id, name_lc",
		"SELECT group_id, account_id, name, path, 0, 0, '' FROM groups "
		"WHERE ?1 IS NULL OR account_id = ?1 ORDER BY account_id, name_lc",
	};
	int k = strcmp(kind, "user") == 0 ? 0 : strcmp(kind, "role") == 0 ? 1 : 2;
	struct db_rows *r = db_query(c->tx, sql[k], DB_ARGS(db_text(account)));
	int rc = r ? C_OK : C_ERR, st;

	while (rc == C_OK && (st = db_step(r)) == DB_ROW) {
		struct ent *e = ents_add(&c->e);
		const char *path = db_col_text(r, 3);
		if (!e) {
			rc = C_ERR;
			break;
		}
		snprintf(e->kind, sizeof(e->kind), "%s", kind);
		db_col_copy(r, 0, e->id, sizeof(e->id));
		db_col_copy(r, 1, e->account, sizeof(e->account));
		db_col_copy(r, 2, e->name, sizeof(e->name));
		snprintf(e->arn, sizeof(e->arn), "arn:aws:iam::%s:%s%s%s", e->account, kind, path ? path : "/", e->name);
		snprintf(e->session_arn, sizeof(e->session_arn), "arn:aws:sts::%s:assumed-role/%s/rolegate-analyze",
		         e->account, e->name);
		e->login = db_col_int(r, 4) > 0;
		e->in_profile = db_col_int(r, 5) > 0;
		if (k == 1 && !(e->trust = strdup(db_col_text(r, 6))))
			rc = C_ERR;
	}
	if (rc == C_OK && st != DB_DONE)
		rc = C_ERR;
	db_rows_done(r);
	return rc;
}

static int load(struct ctx *c, const char *account)
{
	char err[POLICY_ERROR_MAX];

	if (load_kind(c, "user", account) != C_OK || load_kind(c, "role", account) != C_OK ||
	    load_kind(c, "group", account) != C_OK)
		return C_ERR;
	for (size_t i = 0; i < c->e.n; i++) {
		struct ent *e = &c->e.v[i];
		struct policy_set set;
		if (principal_policies_load_sources(c->tx, e->kind, e->id, &e->pp) != C_OK ||
		    orgs_scp_layers(c->tx, e->account, &e->scp) != C_OK) {
			fprintf(stderr, "rolegate analyze escalation: cannot load the policies of %s\n", e->arn);
			return C_ERR;
		}
		if (e->trust && policy_compile_flags(e->trust, strlen(e->trust), POLICY_TRUST, POLICY_LENIENT_VALUES,
		                                     &e->trust_p, err) != C_OK)
			e->trust_p = NULL; /* a trust policy that no longer compiles lets no one in */
		set = set_of(e);
		e->caps = caps_of(e, &set);
	}
	return C_OK;
}

/* ---- findings --------------------------------------------------------------------------------------------------- */

/* "policy NAME statement N (Sid)" of the identity statement that allowed, from ex. */
static void grant_of(const struct ent *e, const struct policy_explain *ex, char *out, size_t cap)
{
	for (size_t i = 0; i < ex->n; i++) {
		const struct policy_explain_item *it = &ex->items[i];
		if (it->source == SRC_IDENTITY && it->allow && (size_t)it->policy < e->pp.nidentity && e->pp.sources) {
			const struct principal_policy_source *s = &e->pp.sources[it->policy];
			snprintf(out, cap, "%s policy %s, statement %d%s%s", s->type, s->name, it->statement + 1,
			         it->sid[0] ? " " : "", it->sid);
			return;
		}
	}
	snprintf(out, cap, "identity policy");
}

static json_t *gains_json(unsigned gained)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < NPRIV; i++)
		if (gained & (1u << i))
			json_array_append_new(a, json_string(PRIVILEGED[i]));
	return a;
}

/* Records one finding; steps is a JSON array of strings (reference taken). */
static void add_finding(struct ctx *c, const struct ent *p, const struct esc_method *m, const char *target,
                        unsigned gained, const char *gain_text, json_t *steps)
{
	json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:b}", "principal", p->arn, "account",
	                      p->account, "method", m->method, "catalogue", m->id, "target", target, "gains",
	                      gain_text, "gained_actions", gains_json(gained), "path", steps, "service",
	                      m->service ? m->service : "iam", "rolegate_serves", m->rolegate_serves);
	if (f)
		json_array_append_new(c->findings, f);
}

/* Checks every action of m (the first on target, the rest on "*" unless on_target_all) for p; fills steps. */
static bool steps_allowed(const struct ent *p, const struct esc_method *m, const char *target, const char *t_account,
                          json_t *steps, bool all_on_target)
{
	char line[1024], grant[300];
	for (size_t i = 0; i < ESC_ACTIONS_MAX && m->actions[i]; i++) {
		const char *res = i == 0 || all_on_target ? target : "*";
		struct policy_explain ex = {0};
		if (!can_step(p, m, m->actions[i], res, i == 0 || all_on_target ? t_account : p->account, &ex))
			return false;
		grant_of(p, &ex, grant, sizeof(grant));
		snprintf(line, sizeof(line), "%s allows %s on %s", grant, m->actions[i], res);
		json_array_append_new(steps, json_string(line));
	}
	return true;
}

static void try_target(struct ctx *c, const struct ent *p, const struct esc_method *m, const char *target,
                       const char *t_account, unsigned gained, const char *gain_text, bool all_on_target)
{
	json_t *steps = json_array();
	if (!steps)
		return;
	json_array_append_new(steps, json_string(p->arn));
	if (steps_allowed(p, m, target, t_account, steps, all_on_target)) {
		json_array_append_new(steps, json_string(target));
		json_array_append_new(steps, json_string(gain_text));
		add_finding(c, p, m, target, gained, gain_text, json_incref(steps));
	}
	json_decref(steps);
}

static bool is_member(struct ctx *c, const struct ent *u, const struct ent *g)
{
	struct db_rows *r = db_query(c->tx, "SELECT 1 FROM group_members WHERE group_id = ?1 AND user_id = ?2",
	                             DB_ARGS(db_text(g->id), db_text(u->id)));
	bool yes = r && db_step(r) == DB_ROW;
	db_rows_done(r);
	return yes;
}

/* Whether p may assume role r (its identity policies and r's trust, as AssumeRole decides). */
static bool can_assume(const struct ent *p, const struct ent *r)
{
	return r->trust_p && p != r && can(p, "sts:AssumeRole", r->arn, r->account, r->trust_p, NULL);
}

/* Whether a service may assume r. */
static bool service_trusted(const struct ent *r, const char *service)
{
	struct policy_set set = {.resource = r->trust_p};
	struct policy_request req = {.action = "sts:AssumeRole", .resource = r->arn, .resource_account = r->account,
	                             .principal = service};
	return r->trust_p && policy_evaluate(&req, &set, NULL) == POLICY_ALLOWED;
}

/* Customer managed policies p is subject to (attached to it or its groups), with their stored versions. */
static void own_policies(struct ctx *c, const struct ent *p, const struct esc_method *m)
{
	struct db_rows *r = db_query(
		c->tx,
		"SELECT DISTINCT mp.arn, mp.policy_id, mp.default_version, mp.account_id FROM policy_attachments a "
		"JOIN managed_policies mp ON mp.arn = a.policy_arn WHERE mp.account_id <> 'aws' AND (a.entity_id = ?1 OR "
		"a.entity_id IN (SELECT group_id FROM group_members WHERE user_id = ?1)) ORDER BY mp.arn",
		DB_ARGS(db_text(p->id)));
	struct {
		char arn[ARN_MAX + 1], id[64], account[16];
		int64_t def;
	} pol[64];
	size_t n = 0;

	while (r && n < 64 && db_step(r) == DB_ROW) {
		db_col_copy(r, 0, pol[n].arn, sizeof(pol[n].arn));
		db_col_copy(r, 1, pol[n].id, sizeof(pol[n].id));
		pol[n].def = db_col_int(r, 2);
		db_col_copy(r, 3, pol[n].account, sizeof(pol[n].account));
		n++;
	}
	db_rows_done(r);
	for (size_t i = 0; i < n; i++) {
		if (m->kind == ESC_OWN_POLICY_VERSION) {
			try_target(c, p, m, pol[i].arn, pol[i].account, ALL_CAPS & ~p->caps,
			           "any action: a new default version of a policy it is subject to", true);
			continue;
		}
		/* ESC_SET_DEFAULT: a stored version that allows more than p holds now */
		struct db_rows *v = db_query(c->tx, "SELECT version, document FROM policy_versions WHERE policy_id = ?1 "
		                                    "AND version <> ?2 ORDER BY version",
		                             DB_ARGS(db_text(pol[i].id), db_int(pol[i].def)));
		while (v && db_step(v) == DB_ROW) {
			const char *doc = db_col_text(v, 1);
			char err[POLICY_ERROR_MAX], target[ARN_MAX + 32], gain[128];
			struct policy *vp = NULL;
			int64_t ver = db_col_int(v, 0);
			if (!doc || policy_compile_flags(doc, strlen(doc), POLICY_IDENTITY, POLICY_LENIENT_VALUES, &vp, err) !=
			                    C_OK)
				continue;
			struct policy_set set = set_of(p);
			set.identity = &vp;
			set.nidentity = 1;
			unsigned gained = caps_of(p, &set) & ~p->caps;
			policy_release(vp);
			if (!gained)
				continue;
			if (snprintf(target, sizeof(target), "%s (version v%lld)", pol[i].arn, (long long)ver) >=
			    (int)sizeof(target))
				continue;
			snprintf(gain, sizeof(gain), "what version v%lld allows", (long long)ver);
			json_t *steps = json_array();
			json_array_append_new(steps, json_string(p->arn));
			if (steps_allowed(p, m, pol[i].arn, pol[i].account, steps, true)) {
				json_array_append_new(steps, json_string(target));
				json_array_append_new(steps, json_string(gain));
				add_finding(c, p, m, target, gained, gain, json_incref(steps));
			}
			json_decref(steps);
		}
		db_rows_done(v);
	}
}

/* Roles reachable from p by sts:AssumeRole chains; each more privileged one is a finding with its chain. */
static void assume_chains(struct ctx *c, const struct ent *p, const struct esc_method *m)
{
	size_t n = c->e.n, *prev = malloc(n * sizeof(size_t)), *queue = malloc(n * sizeof(size_t)), qh = 0, qt = 0;
	bool *seen = calloc(n, sizeof(bool));
	size_t self = (size_t)(p - c->e.v);

	if (!prev || !queue || !seen)
		goto out;
	seen[self] = true;
	queue[qt++] = self;
	while (qh < qt) {
		size_t at = queue[qh++];
		for (size_t j = 0; j < n; j++) {
			const struct ent *r = &c->e.v[j];
			if (seen[j] || strcmp(r->kind, "role") != 0 || !can_assume(&c->e.v[at], r))
				continue;
			seen[j] = true;
			prev[j] = at;
			queue[qt++] = j;
			unsigned gained = r->caps & ~p->caps;
			if (!gained)
				continue;
			json_t *steps = json_array();
			size_t chain[64], len = 0;
			for (size_t k = j; k != self && len < 64; k = prev[k])
				chain[len++] = k;
			json_array_append_new(steps, json_string(p->arn));
			for (size_t k = len; k-- > 0;) {
				char line[ARN_MAX + 64];
				snprintf(line, sizeof(line), "sts:AssumeRole %s", c->e.v[chain[k]].arn);
				json_array_append_new(steps, json_string(line));
			}
			json_array_append_new(steps, json_string("the role's permissions"));
			add_finding(c, p, m, r->arn, gained, "the role's permissions", steps);
		}
	}
out:
	free(prev);
	free(queue);
	free(seen);
}

static void check(struct ctx *c, const struct ent *p, const struct esc_method *m)
{
	bool user = strcmp(p->kind, "user") == 0;

	switch (m->kind) {
	case ESC_OWN_POLICY_VERSION:
	case ESC_SET_DEFAULT:
		own_policies(c, p, m);
		return;
	case ESC_OWN_USER:
		if (user)
			try_target(c, p, m, p->arn, p->account, ALL_CAPS & ~p->caps, "any action: a policy on itself", true);
		return;
	case ESC_ASSUME:
		assume_chains(c, p, m);
		return;
	default:
		break;
	}
	for (size_t j = 0; j < c->e.n; j++) {
		const struct ent *t = &c->e.v[j];
		unsigned gained = t->caps & ~p->caps;
		if (strcmp(t->account, p->account) != 0)
			continue; /* IAM's actions act on the caller's own account (other accounts: ESC_ASSUME's chains) */
		switch (m->kind) {
		case ESC_OWN_GROUP:
			if (user && strcmp(t->kind, "group") == 0 && is_member(c, p, t))
				try_target(c, p, m, t->arn, t->account, ALL_CAPS & ~p->caps,
				           "any action: a policy on a group it is in", true);
			break;
		case ESC_ROLE:
			if (strcmp(t->kind, "role") == 0 && (t == p || can_assume(p, t)))
				try_target(c, p, m, t->arn, t->account, ALL_CAPS & ~p->caps,
				           t == p ? "any action: a policy on itself" : "any action: a policy on a role it can assume",
				           true);
			break;
		case ESC_ADD_TO_GROUP:
			if (user && gained && strcmp(t->kind, "group") == 0 && !is_member(c, p, t))
				try_target(c, p, m, t->arn, t->account, gained, "the group's permissions", true);
			break;
		case ESC_OTHER_USER:
			if (gained && t != p && strcmp(t->kind, "user") == 0 &&
			    (m->login_profile == 0 || (m->login_profile == 2) == t->login))
				try_target(c, p, m, t->arn, t->account, gained, "the user's permissions", true);
			break;
		case ESC_UPDATE_TRUST:
			if (gained && t != p && strcmp(t->kind, "role") == 0)
				try_target(c, p, m, t->arn, t->account, gained, "the role's permissions", true);
			break;
		case ESC_PASS_ROLE:
		case ESC_SERVICE_EXISTING:
			if (gained && strcmp(t->kind, "role") == 0 && (!m->instance_profile || t->in_profile) && service_trusted(t, m->service)) {
				if (m->kind == ESC_PASS_ROLE) {
					try_target(c, p, m, t->arn, t->account, gained, "the role's permissions, run by the service",
					           false);
				} else {
					/* the first action acts on the service's resource (not held by rolegate): on "*" */
					json_t *steps = json_array();
					json_array_append_new(steps, json_string(p->arn));
					if (steps_allowed(p, m, "*", p->account, steps, true)) {
						char line[ARN_MAX + 96];
						snprintf(line, sizeof(line), "a %s resource that runs as %s", m->service, t->arn);
						json_array_append_new(steps, json_string(line));
						json_array_append_new(steps, json_string("the role's permissions"));
						add_finding(c, p, m, t->arn, gained, "the role's permissions", json_incref(steps));
					}
					json_decref(steps);
				}
			}
			break;
		default:
			break;
		}
	}
}

/* ---- the verb --------------------------------------------------------------------------------------------------- */

static int usage(int status)
{
	fprintf(status ? stderr : stdout,
	        "usage: rolegate analyze escalation [--data DIR | --postgres CONNINFO] [--account ID] [--format table|json]\n"
	        "Users and roles that can raise their own privileges (BishopFox iam-vulnerable's 31 methods), each with its\n"
	        "path: principal -> the policy statement that allows the step -> the target -> what it gains.\n");
	return status;
}

static void print_table(json_t *findings)
{
	size_t i;
	json_t *f;

	printf("%-56s %-36s %-56s %s\n", "PRINCIPAL", "METHOD", "TARGET", "GAINS");
	json_array_foreach(findings, i, f) {
		printf("%-56s %-36s %-56s %s%s\n", json_string_value(json_object_get(f, "principal")),
		       json_string_value(json_object_get(f, "method")), json_string_value(json_object_get(f, "target")),
		       json_string_value(json_object_get(f, "gains")),
		       json_is_true(json_object_get(f, "rolegate_serves")) ? "" : " (on AWS)");
	}
	printf("%zu finding(s)\n", json_array_size(findings));
}

int analyze_escalation_main(int argc, char **argv)
{
	struct analyze_common_opts o = {.store = {.dir = "./data"}, .format = "table"};
	struct analyze_store_opts so;
	const char *account, *format;
	struct ctx c = {0};
	struct db *db = NULL;
	int status = 1;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(0);
		if (!analyze_common_flags(argc, argv, &i, &o))
			return usage(2);
	}
	so = o.store;
	account = o.account;
	format = o.format;
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return usage(2);
	if (!(db = cli_store_open("analyze escalation", so.dir, so.conninfo)))
		return 1;
	if (crypto_init() != C_OK || !(c.findings = json_array()) || db_begin(db, false, &c.tx) != C_OK)
		goto out;
	if (load(&c, account) != C_OK) {
		fprintf(stderr, "rolegate analyze escalation: cannot read %s\n", cli_store_where(so.dir, so.conninfo));
		goto out;
	}
	for (size_t i = 0; i < c.e.n; i++) {
		const struct ent *p = &c.e.v[i];
		if (strcmp(p->kind, "group") == 0 || p->caps == ALL_CAPS)
			continue; /* groups act through their users; an administrator has nothing to gain */
		for (size_t m = 0; m < esc_catalog_len; m++)
			check(&c, p, &esc_catalog[m]);
	}
	if (strcmp(format, "json") == 0) {
		if (json_dumpf(c.findings, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
			goto out;
		putchar('\n');
	} else {
		print_table(c.findings);
	}
	status = 0;
out:
	if (c.tx)
		db_rollback(c.tx);
	ents_free(&c.e);
	json_decref(c.findings);
	db_close(db);
	policy_cache_clear();
	crypto_cleanup();
	return status;
}
