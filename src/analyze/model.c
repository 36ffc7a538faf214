/*
 * model.c - the whole organization in memory (model.h).
 *
 * One read-only transaction; one pass over each table (accounts, OUs, users, groups, memberships, tags, roles);
 * identity policies and SCP layers are loaded only for the principals and accounts an analysis asks about, by the
 * same functions the server's authorization uses.
 */
#include "analyze/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/common.h"

/* An index entry: a key (unique id or ARN) and the principal it names. */
struct am_idx {
	const char *key;
	struct am_principal *p;
};

/* The indexes live beside the model (one per process: the CLI loads one model). */
static struct am_idx *by_key;
static size_t nby_key;

static char *dup_col(struct db_rows *r, int col)
{
	const char *s = db_col_text(r, col);

	return strdup(s ? s : "");
}

static int account_cmp(const void *a, const void *b)
{
	return strcmp(((const struct am_account *)a)->id, ((const struct am_account *)b)->id);
}

static int group_cmp(const void *a, const void *b)
{
	return strcmp(((const struct am_group *)a)->id, ((const struct am_group *)b)->id);
}

static int idx_cmp(const void *a, const void *b)
{
	return strcmp(((const struct am_idx *)a)->key, ((const struct am_idx *)b)->key);
}

struct am_account *am_account_find(struct am_model *m, const char *id)
{
	struct am_account key;

	snprintf(key.id, sizeof(key.id), "%s", id);
	return m->naccounts == 0 ? NULL : bsearch(&key, m->accounts, m->naccounts, sizeof(key), account_cmp);
}

struct am_group *am_group_find(struct am_model *m, const char *id)
{
	struct am_group key = {.id = (char *)id};

	return m->ngroups == 0 ? NULL : bsearch(&key, m->groups, m->ngroups, sizeof(key), group_cmp);
}

struct am_principal *am_principal_find(struct am_model *m, const char *s)
{
	struct am_idx key = {.key = s}, *hit;
	char acct[ACCOUNT_ID_LEN + 1];
	const char *name, *slash;
	struct am_account *a;

	if (nby_key && (hit = bsearch(&key, by_key, nby_key, sizeof(key), idx_cmp)))
		return hit->p;
	/* a role session: arn:aws:sts::ACCT:assumed-role/NAME/SESSION */
	if (strncmp(s, "arn:aws:sts::", 13) != 0 || strlen(s) < 13 + ACCOUNT_ID_LEN + 14 ||
	    strncmp(s + 13 + ACCOUNT_ID_LEN, ":assumed-role/", 14) != 0)
		return NULL;
	memcpy(acct, s + 13, ACCOUNT_ID_LEN);
	acct[ACCOUNT_ID_LEN] = '\0';
	name = s + 13 + ACCOUNT_ID_LEN + 14;
	if (!(slash = strchr(name, '/')) || !(a = am_account_find(m, acct)))
		return NULL;
	for (size_t i = 0; i < a->nroles; i++) {
		struct am_principal *r = &m->roles[a->roles[i]];
		if (strlen(r->name) == (size_t)(slash - name) && strncasecmp(r->name, name, (size_t)(slash - name)) == 0)
			return r;
	}
	return NULL;
}

/* Runs sql and calls row(m, r) for each row. C_OK or C_ERR. */
static int each_row(struct am_model *m, const char *sql, int (*row)(struct am_model *m, struct db_rows *r))
{
	struct db_rows *r = db_query(m->tx, sql, DB_NOARGS);
	int rc;

	if (!r)
		return C_ERR;
	while ((rc = db_step(r)) == DB_ROW)
		if (row(m, r) != C_OK) {
			rc = C_ERR;
			break;
		}
	db_rows_done(r);
	return rc == DB_DONE ? C_OK : C_ERR;
}

/* Grows *v (n elements of size sz) to hold one more. */
static int grow(void **v, size_t n, size_t *cap, size_t sz)
{
	void *g;

	if (n < *cap)
		return C_OK;
	*cap = *cap ? *cap * 2 : 64;
	if (!(g = realloc(*v, *cap * sz)))
		return C_ERR;
	*v = g;
	return C_OK;
}

static size_t cap_accounts, cap_groups, cap_users, cap_roles;

static int account_row(struct am_model *m, struct db_rows *r)
{
	struct am_account *a;

	if (grow((void **)&m->accounts, m->naccounts, &cap_accounts, sizeof(*a)) != C_OK)
		return C_ERR;
	a = &m->accounts[m->naccounts++];
	memset(a, 0, sizeof(*a));
	if (db_col_copy(r, 0, a->id, sizeof(a->id)) != C_OK || !(a->name = dup_col(r, 1)))
		return C_ERR;
	a->management = db_col_int(r, 2) != 0;
	return C_OK;
}

static int group_row(struct am_model *m, struct db_rows *r)
{
	struct am_group *g;
	struct am_account *a = am_account_find(m, db_col_text(r, 1));

	if (!a || grow((void **)&m->groups, m->ngroups, &cap_groups, sizeof(*g)) != C_OK)
		return C_ERR;
	g = &m->groups[m->ngroups++];
	memset(g, 0, sizeof(*g));
	g->account = (size_t)(a - m->accounts);
	return (g->id = dup_col(r, 0)) && (g->name = dup_col(r, 2)) ? C_OK : C_ERR;
}

/* user_id, account_id, name, path (users) or role_id, account_id, name, path, trust_policy, max_session_s */
static int principal_row(struct am_model *m, struct db_rows *r, bool role)
{
	struct am_principal *p;
	struct am_account *a = am_account_find(m, db_col_text(r, 1));
	const char *name = db_col_text(r, 2), *path = db_col_text(r, 3);
	size_t *n = role ? &m->nroles : &m->nusers;
	struct am_principal **v = role ? &m->roles : &m->users;

	if (!a || !name || !path || grow((void **)v, *n, role ? &cap_roles : &cap_users, sizeof(*p)) != C_OK)
		return C_ERR;
	p = &(*v)[(*n)++];
	memset(p, 0, sizeof(*p));
	p->is_role = role;
	p->account = (size_t)(a - m->accounts);
	if (!(p->id = dup_col(r, 0)) || !(p->name = strdup(name)) ||
	    asprintf(&p->arn, "arn:aws:iam::%s:%s%s%s", a->id, role ? "role" : "user", path, name) < 0) {
		p->arn = NULL;
		return C_ERR;
	}
	if (role) {
		char err[POLICY_ERROR_MAX];
		if (asprintf(&p->session_arn, "arn:aws:sts::%s:assumed-role/%s/rolegate-analyze", a->id, name) < 0) {
			p->session_arn = NULL;
			return C_ERR;
		}
		if (!(p->trust_doc = dup_col(r, 4)))
			return C_ERR;
		p->max_session_s = (int)db_col_int(r, 5);
		if (policy_compile(p->trust_doc, strlen(p->trust_doc), POLICY_TRUST, &p->trust, err) != C_OK) {
			fprintf(stderr, "rolegate analyze: the trust policy of %s does not compile: %s\n", p->arn, err);
			return C_ERR;
		}
	}
	return C_OK;
}

static int user_row(struct am_model *m, struct db_rows *r) { return principal_row(m, r, false); }
static int role_row(struct am_model *m, struct db_rows *r) { return principal_row(m, r, true); }

static struct am_principal *user_by_id(struct am_model *m, const char *id)
{
	struct am_principal *p = id ? am_principal_find(m, id) : NULL;

	return p && !p->is_role ? p : NULL;
}

static int member_row(struct am_model *m, struct db_rows *r)
{
	struct am_group *g = am_group_find(m, db_col_text(r, 0));
	struct am_principal *u = user_by_id(m, db_col_text(r, 1));
	size_t *grown;

	if (!g || !u)
		return C_ERR; /* the store's foreign keys say this cannot be */
	if (!(grown = realloc(u->groups, (u->ngroups + 1) * sizeof(*grown))))
		return C_ERR;
	u->groups = grown;
	u->groups[u->ngroups++] = (size_t)(g - m->groups);
	return C_OK;
}

static int tag_row(struct am_model *m, struct db_rows *r)
{
	struct am_principal *u = user_by_id(m, db_col_text(r, 0));
	struct am_tag *grown;

	if (!u)
		return C_OK; /* a tag of something else */
	if (!(grown = realloc(u->tags, (u->ntags + 1) * sizeof(*grown))))
		return C_ERR;
	u->tags = grown;
	grown = &u->tags[u->ntags++];
	grown->key = dup_col(r, 1);
	grown->value = dup_col(r, 2);
	return grown->key && grown->value ? C_OK : C_ERR;
}

/* OUs: id, parent, name (few: a linear search is enough) */
struct ou {
	char *id, *parent, *name;
};
static struct ou *ous;
static size_t nous, cap_ous;

static int ou_row(struct am_model *m, struct db_rows *r)
{
	UNUSED(m);
	if (grow((void **)&ous, nous, &cap_ous, sizeof(*ous)) != C_OK)
		return C_ERR;
	ous[nous] = (struct ou){dup_col(r, 0), dup_col(r, 1), dup_col(r, 2)};
	nous++;
	return ous[nous - 1].id && ous[nous - 1].parent && ous[nous - 1].name ? C_OK : C_ERR;
}

static int org_account_row(struct am_model *m, struct db_rows *r)
{
	struct am_account *a = am_account_find(m, db_col_text(r, 0));
	const char *parent = db_col_text(r, 1);
	char path[1024] = "", tmp[2100];
	int depth = 0;

	if (!a || !parent)
		return C_ERR;
	while (parent && depth++ < 16) {
		const struct ou *o = NULL;
		for (size_t i = 0; i < nous; i++)
			if (strcmp(ous[i].id, parent) == 0)
				o = &ous[i];
		snprintf(tmp, sizeof(tmp), "%.1000s%s%s", o ? o->name : "Root", path[0] ? "/" : "", path);
		snprintf(path, sizeof(path), "%.1023s", tmp);
		parent = o ? o->parent : NULL;
	}
	free(a->ou_path);
	return (a->ou_path = strdup(path)) ? C_OK : C_ERR;
}

static int name_cmp_principal(const void *a, const void *b)
{
	const struct am_principal *x = a, *y = b;

	return x->account != y->account ? (x->account < y->account ? -1 : 1) : strcasecmp(x->name, y->name);
}

/* Builds the id / ARN index over users and roles. */
static int index_build(struct am_model *m)
{
	size_t n = 0;

	free(by_key);
	nby_key = 0;
	if (!(by_key = calloc(2 * (m->nusers + m->nroles) + 1, sizeof(*by_key))))
		return C_ERR;
	for (size_t i = 0; i < m->nusers; i++) {
		by_key[n++] = (struct am_idx){m->users[i].id, &m->users[i]};
		by_key[n++] = (struct am_idx){m->users[i].arn, &m->users[i]};
	}
	for (size_t i = 0; i < m->nroles; i++) {
		by_key[n++] = (struct am_idx){m->roles[i].id, &m->roles[i]};
		by_key[n++] = (struct am_idx){m->roles[i].arn, &m->roles[i]};
	}
	qsort(by_key, n, sizeof(*by_key), idx_cmp);
	nby_key = n;
	return C_OK;
}

int am_load(struct am_model *m, struct db *db, const char *verb)
{
	memset(m, 0, sizeof(*m));
	cap_accounts = cap_groups = cap_users = cap_roles = 0;
	m->db = db;
	if (db_begin(db, false, &m->tx) != C_OK) {
		m->tx = NULL;
		goto fail;
	}
	if (each_row(m, "SELECT account_id, name, is_management FROM accounts ORDER BY account_id", account_row) != C_OK)
		goto fail;
	if (m->naccounts)
		qsort(m->accounts, m->naccounts, sizeof(*m->accounts), account_cmp);
	for (size_t i = 0; i < m->naccounts; i++)
		if (!m->accounts[i].ou_path && !(m->accounts[i].ou_path = strdup("")))
			goto fail;
	if (each_row(m, "SELECT ou_id, parent_id, name FROM org_units", ou_row) != C_OK ||
	    each_row(m, "SELECT account_id, parent_id FROM org_accounts", org_account_row) != C_OK)
		goto fail;
	if (each_row(m, "SELECT group_id, account_id, name FROM groups ORDER BY group_id", group_row) != C_OK ||
	    each_row(m, "SELECT user_id, account_id, name, path FROM users", user_row) != C_OK ||
	    each_row(m, "SELECT role_id, account_id, name, path, trust_policy, max_session_s FROM roles", role_row) != C_OK)
		goto fail;
	if (m->ngroups)
		qsort(m->groups, m->ngroups, sizeof(*m->groups), group_cmp);
	if (m->nusers)
		qsort(m->users, m->nusers, sizeof(*m->users), name_cmp_principal);
	if (m->nroles)
		qsort(m->roles, m->nroles, sizeof(*m->roles), name_cmp_principal);
	if (index_build(m) != C_OK)
		goto fail;
	if (each_row(m, "SELECT group_id, user_id FROM group_members ORDER BY group_id", member_row) != C_OK ||
	    each_row(m, "SELECT resource_id, key, value FROM tags ORDER BY resource_id, seq", tag_row) != C_OK)
		goto fail;
	/* each account's roles (the roles are sorted by account) */
	for (size_t i = 0, j; i < m->nroles; i = j) {
		struct am_account *a = &m->accounts[m->roles[i].account];
		for (j = i; j < m->nroles && m->roles[j].account == m->roles[i].account; j++)
			;
		if (!(a->roles = malloc((j - i) * sizeof(*a->roles))))
			goto fail;
		for (size_t k = i; k < j; k++)
			a->roles[a->nroles++] = k;
	}
	for (size_t i = 0; i < m->ngroups; i++)
		if (principal_policies_load_sources(m->tx, "group", m->groups[i].id, &m->groups[i].pol) != C_OK) {
			fprintf(stderr, "rolegate %s: cannot load the policies of group %s\n", verb, m->groups[i].name);
			goto fail;
		}
	for (size_t i = 0; i < nous; i++) {
		free(ous[i].id);
		free(ous[i].parent);
		free(ous[i].name);
	}
	free(ous);
	ous = NULL;
	nous = cap_ous = 0;
	return C_OK;
fail:
	fprintf(stderr, "rolegate %s: cannot read the organization from the store\n", verb);
	for (size_t i = 0; i < nous; i++) {
		free(ous[i].id);
		free(ous[i].parent);
		free(ous[i].name);
	}
	free(ous);
	ous = NULL;
	nous = cap_ous = 0;
	am_free(m);
	return C_ERR;
}

static void principal_free(struct am_principal *p)
{
	free(p->id);
	free(p->name);
	free(p->arn);
	free(p->session_arn);
	free(p->groups);
	for (size_t i = 0; i < p->ntags; i++) {
		free(p->tags[i].key);
		free(p->tags[i].value);
	}
	free(p->tags);
	free(p->trust_doc);
	policy_release(p->trust);
	if (p->loaded)
		principal_policies_release(&p->pol);
}

void am_free(struct am_model *m)
{
	for (size_t i = 0; i < m->nusers; i++)
		principal_free(&m->users[i]);
	for (size_t i = 0; i < m->nroles; i++)
		principal_free(&m->roles[i]);
	for (size_t i = 0; i < m->ngroups; i++) {
		free(m->groups[i].id);
		free(m->groups[i].name);
		principal_policies_release(&m->groups[i].pol);
	}
	for (size_t i = 0; i < m->naccounts; i++) {
		free(m->accounts[i].name);
		free(m->accounts[i].ou_path);
		free(m->accounts[i].roles);
		if (m->accounts[i].scp) {
			orgs_scp_layers_release(m->accounts[i].scp);
			free(m->accounts[i].scp);
		}
	}
	free(m->users);
	free(m->roles);
	free(m->groups);
	free(m->accounts);
	free(by_key);
	by_key = NULL;
	nby_key = 0;
	if (m->tx)
		db_rollback(m->tx);
	memset(m, 0, sizeof(*m));
}

const struct scp_layers *am_account_scp(struct am_model *m, struct am_account *a)
{
	struct scp_layers *l;

	if (a->scp)
		return a->scp;
	if (!(l = calloc(1, sizeof(*l))))
		return NULL;
	if (orgs_scp_layers(m->tx, a->id, l) != C_OK) {
		fprintf(stderr, "rolegate analyze: cannot load the SCPs of account %s\n", a->id);
		free(l);
		return NULL;
	}
	return a->scp = l;
}

const struct principal_policies *am_principal_policies(struct am_model *m, struct am_principal *p)
{
	int rc;

	if (p->loaded)
		return &p->pol;
	rc = principal_policies_load_sources(m->tx, p->is_role ? "role" : "user", p->id, &p->pol);
	if (rc != C_OK) {
		fprintf(stderr, "rolegate analyze: cannot load the policies of %s\n", p->arn);
		return NULL;
	}
	p->loaded = true;
	return &p->pol;
}

void am_policy_origin(struct am_model *m, struct am_principal *p, size_t i, char *out, size_t cap)
{
	const struct principal_policies *pol = p->loaded ? &p->pol : NULL;
	const struct principal_policy_source *src;

	if (!pol || i >= pol->nidentity || !pol->sources) {
		snprintf(out, cap, "policy %zu", i);
		return;
	}
	src = &pol->sources[i];
	/* a group's policy: find which of p's groups holds the same compiled policy */
	for (size_t g = 0; g < p->ngroups; g++) {
		const struct am_group *grp = &m->groups[p->groups[g]];
		for (size_t k = 0; k < grp->pol.nidentity; k++)
			if (grp->pol.identity[k] == pol->identity[i] && strcmp(grp->pol.sources[k].name, src->name) == 0) {
				snprintf(out, cap, "group %s / %s policy %s", grp->name,
				         strcmp(grp->pol.sources[k].type, "group") == 0 ? "inline" : "managed", src->name);
				return;
			}
	}
	snprintf(out, cap, "%s %s policy %s", p->is_role ? "role" : "user",
	         strcmp(src->type, "user") == 0 || strcmp(src->type, "role") == 0 ? "inline" : "managed", src->name);
}

int am_policy_set(struct am_model *m, struct am_principal *p, struct policy *resource, struct policy_set *out)
{
	const struct principal_policies *pol = am_principal_policies(m, p);
	const struct scp_layers *scp;

	memset(out, 0, sizeof(*out));
	if (!pol || !(scp = am_account_scp(m, &m->accounts[p->account])))
		return C_ERR;
	out->identity = pol->identity;
	out->nidentity = pol->nidentity;
	if (pol->boundary) {
		out->boundaries = &pol->boundary;
		out->nboundaries = 1;
	}
	out->scp = scp->layers;
	out->nscp = scp->n;
	out->resource = resource;
	return C_OK;
}
