/*
 * switchable.c - the roles a console identity could switch to now (switchable.h).
 *
 * Candidates come from the store (the organization's ACTIVE accounts, their roles); the decision on each is the
 * server's own: a dry run of sts:AssumeRole through dispatch_authorize_token (resource -> authz_authorize, read-only,
 * nothing audited or issued). Only a verdict of C_OK lists a role; AccessDenied leaves it out silently, any other
 * outcome leaves it out and is logged.
 */
#include "console/switchable.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/dispatch.h"
#include "store/iam_store.h"
#include "store/orgs.h"
#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"

#define ACCOUNTS_PAGE 100

/* The candidates, before the verdicts. */
struct candidates {
	struct switchable_role *roles;
	size_t n, cap;
	bool truncated;
	const char *account_id, *account_name; /* the account whose roles are being read */
};

static int add_role(void *ctx, const struct store_role *r)
{
	struct candidates *cs = ctx;
	struct switchable_role *s;

	if (cs->n == SWITCHABLE_MAX) {
		cs->truncated = true;
		return C_OK;
	}
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 16;
		struct switchable_role *grown;
		if (cap > SWITCHABLE_MAX)
			cap = SWITCHABLE_MAX;
		if (!(grown = realloc(cs->roles, cap * sizeof(*grown))))
			return C_ERR;
		cs->roles = grown;
		cs->cap = cap;
	}
	s = &cs->roles[cs->n];
	memset(s, 0, sizeof(*s));
	snprintf(s->account_id, sizeof(s->account_id), "%s", r->account_id);
	snprintf(s->account_name, sizeof(s->account_name), "%s", cs->account_name);
	snprintf(s->role_name, sizeof(s->role_name), "%s", r->name);
	snprintf(s->role_path, sizeof(s->role_path), "%s", r->path);
	if ((size_t)snprintf(s->role_arn, sizeof(s->role_arn), "arn:aws:iam::%s:role%s%s", r->account_id, r->path,
	                     r->name) >= sizeof(s->role_arn) ||
	    (size_t)snprintf(s->link_name, sizeof(s->link_name), "%s%s", r->path + 1, r->name) >= sizeof(s->link_name))
		return C_OK; /* cannot be named: not a candidate */
	cs->n++;
	return C_OK;
}

/* The roles of one account, as candidates. */
static int account_roles(struct db_tx *tx, struct candidates *cs, const char *account_id, const char *name)
{
	int rc;

	if (cs->n >= SWITCHABLE_MAX) {
		cs->truncated = true;
		return C_OK;
	}
	cs->account_id = account_id;
	cs->account_name = name;
	/* one more than fits: add_role notices the overflow */
	rc = store_role_list(tx, account_id, NULL, NULL, (int)(SWITCHABLE_MAX - cs->n + 1), add_role, cs);
	return rc < 0 ? C_ERR : C_OK;
}

struct org_page {
	struct store_org_account acc[ACCOUNTS_PAGE];
	size_t n;
};

static int add_account(void *ctx, const struct store_org_account *a)
{
	struct org_page *p = ctx;

	if (p->n < ACCOUNTS_PAGE)
		p->acc[p->n++] = *a;
	return C_OK;
}

/* Every ACTIVE account of account_id's organization (or account_id alone), their roles as candidates. */
static int gather(struct rg_server *srv, const char *account_id, int64_t now, struct candidates *cs)
{
	struct db_tx *tx;
	struct store_org org;
	struct org_page *page = NULL;
	char after[ACCOUNT_ID_LEN + 1] = "";
	int rc;

	if (db_begin(srv->db, false, &tx) != C_OK)
		return C_ERR;
	rc = store_org_of_account(tx, account_id, &org);
	if (rc == STORE_NOT_FOUND) {
		struct store_account a;
		rc = store_account_get(tx, account_id, &a);
		if (rc == C_OK)
			rc = account_roles(tx, cs, account_id, a.name);
		goto done;
	}
	if (rc != C_OK || !(page = malloc(sizeof(*page)))) {
		rc = C_ERR;
		goto done;
	}
	for (;;) {
		page->n = 0;
		rc = store_org_account_list(tx, org.org_id, NULL, now, after[0] ? after : NULL, ACCOUNTS_PAGE, add_account,
		                            page);
		if (rc < 0)
			break;
		rc = C_OK;
		for (size_t i = 0; rc == C_OK && i < page->n; i++)
			if (strcmp(page->acc[i].status, "ACTIVE") == 0)
				rc = account_roles(tx, cs, page->acc[i].account_id, page->acc[i].name);
		if (rc != C_OK || page->n < ACCOUNTS_PAGE || cs->truncated)
			break;
		snprintf(after, sizeof(after), "%s", page->acc[page->n - 1].account_id);
	}
done:
	free(page);
	db_rollback(tx);
	return rc == C_OK ? C_OK : C_ERR;
}

struct verdicts {
	struct candidates *cs;
	bool *allowed;
	size_t failed;
};

static void on_verdict(void *ctx, size_t i, int rc, const struct aws_err *err)
{
	struct verdicts *v = ctx;

	if (rc == C_OK) {
		v->allowed[i] = true;
		return;
	}
	if (err->code == ERR_ACCESS_DENIED)
		return;
	v->failed++;
	log_warnx("console: switchable roles: %s left out: its AssumeRole could not be evaluated: %s: %s",
	          v->cs->roles[i].role_arn, aws_code_name(err->code), err->message);
}

int switchable_roles(struct rg_server *srv, const struct http_request *req, const char *token, const char *account_id,
                     const char *session_name, struct switchable_list *out)
{
	struct candidates cs = {0};
	struct verdicts v = {0};
	json_t **ins = NULL;
	struct aws_err err;
	size_t kept = 0;
	int rc = C_ERR;

	memset(out, 0, sizeof(*out));
	if (gather(srv, account_id, now_ms(), &cs) != C_OK) {
		log_warnx("console: switchable roles of account %s: cannot read its organization's roles", account_id);
		goto done;
	}
	if (cs.n == 0) {
		rc = C_OK;
		goto done;
	}
	if (!(ins = calloc(cs.n, sizeof(*ins))) || !(v.allowed = calloc(cs.n, sizeof(*v.allowed))))
		goto done;
	for (size_t i = 0; i < cs.n; i++)
		if (!(ins[i] = json_pack("{s:s, s:s}", "RoleArn", cs.roles[i].role_arn, "RoleSessionName", session_name)))
			goto done;
	v.cs = &cs;
	if (dispatch_authorize_token(srv, req, token, "sts", "AssumeRole", ins, cs.n, on_verdict, &v, &err) != C_OK) {
		log_warnx("console: switchable roles of account %s: not evaluated: %s: %s", account_id,
		          aws_code_name(err.code), err.message);
		goto done;
	}
	/* keep the allowed ones, in order */
	for (size_t i = 0; i < cs.n; i++)
		if (v.allowed[i])
			cs.roles[kept++] = cs.roles[i];
	out->roles = cs.roles;
	out->n = kept;
	out->weighed = cs.n;
	out->failed = v.failed;
	out->truncated = cs.truncated;
	cs.roles = NULL;
	rc = C_OK;
done:
	for (size_t i = 0; ins && i < cs.n; i++)
		json_decref(ins[i]);
	free(ins);
	free(v.allowed);
	free(cs.roles);
	return rc;
}

void switchable_free(struct switchable_list *l)
{
	free(l->roles);
	memset(l, 0, sizeof(*l));
}
