/*
 * orgs.c - AWS Organizations tables: organizations, org_units, org_accounts, create_account_status, org_policies,
 * org_policy_targets, org_policy_types (schema migration 2).
 *
 * An account's closure time (PENDING_CLOSURE until then, SUSPENDED after) is kept in the meta table under
 * "orgs.closure.<account id>".
 */
#include "store/orgs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

#define CLOSURE_KEY "'orgs.closure.' || a.account_id"

/* The ids of everything in organization ?1: its root, OUs and member accounts (an SQL fragment). */
#define ORG_ENTITIES                                                                                                 \
	"SELECT root_id AS id FROM organizations WHERE org_id = ?1 UNION ALL SELECT ou_id FROM org_units WHERE org_id = ?1 " \
	"UNION ALL SELECT account_id FROM org_accounts WHERE org_id = ?1"

/* Maps "no row changed" to STORE_NOT_FOUND. */
static int changed(int rc, int64_t changes)
{
	return rc == C_OK && changes == 0 ? STORE_NOT_FOUND : rc;
}

/* ---- organizations ------------------------------------------------------------------------------------------- */

int store_org_create(struct db_tx *tx, const struct store_org *o)
{
	return db_exec(tx,
	               "INSERT INTO organizations(org_id, management_account_id, root_id, feature_set, created_ms) "
	               "VALUES (?1, ?2, ?3, ?4, ?5)",
	               DB_ARGS(db_text(o->org_id), db_text(o->management_account_id), db_text(o->root_id),
	                       db_text(o->feature_set), db_int(o->created_ms)),
	               NULL);
}

int store_org_of_account(struct db_tx *tx, const char *account_id, struct store_org *out)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT org_id, management_account_id, root_id, feature_set, created_ms "
	                             "FROM organizations WHERE management_account_id = ?1 "
	                             "OR org_id = (SELECT org_id FROM org_accounts WHERE account_id = ?1)",
	                             DB_ARGS(db_text(account_id)));
	int rc = db_step(r);

	if (rc == DB_ROW) {
		rc = C_OK;
		if (db_col_copy(r, 0, out->org_id, sizeof(out->org_id)) ||
		    db_col_copy(r, 1, out->management_account_id, sizeof(out->management_account_id)) ||
		    db_col_copy(r, 2, out->root_id, sizeof(out->root_id)) ||
		    db_col_copy(r, 3, out->feature_set, sizeof(out->feature_set)))
			rc = C_ERR;
		out->created_ms = db_col_int(r, 4);
	} else if (rc == DB_DONE) {
		rc = STORE_NOT_FOUND;
	}
	db_rows_done(r);
	return rc;
}

int store_org_delete(struct db_tx *tx, const struct store_org *o)
{
	static const char *const steps[] = {
		/* tags of the root, OUs, accounts and policies (the prefix is ORG_TAG_PREFIX) */
		"DELETE FROM tags WHERE resource_id IN (SELECT 'org:' || id FROM (" ORG_ENTITIES
		" UNION ALL SELECT policy_id FROM org_policies WHERE org_id = ?1) AS e)",
		/* attachments of AWS-managed policies to its entities (its own policies cascade) */
		"DELETE FROM org_policy_targets WHERE target_id IN (" ORG_ENTITIES ")",
		"DELETE FROM org_policies WHERE org_id = ?1",
		"DELETE FROM org_policy_types WHERE root_id = (SELECT root_id FROM organizations WHERE org_id = ?1)",
		"DELETE FROM meta WHERE key IN (SELECT 'orgs.closure.' || account_id FROM org_accounts WHERE org_id = ?1)",
		"DELETE FROM create_account_status WHERE org_id = ?1",
		"DELETE FROM org_accounts WHERE org_id = ?1",
		"DELETE FROM org_units WHERE org_id = ?1",
		"DELETE FROM organizations WHERE org_id = ?1",
	};

	for (size_t i = 0; i < ARRAY_LEN(steps); i++)
		if (db_exec(tx, steps[i], DB_ARGS(db_text(o->org_id)), NULL) != C_OK)
			return C_ERR;
	return C_OK;
}

/* ---- policy types -------------------------------------------------------------------------------------------- */

int store_org_policy_type_enabled(struct db_tx *tx, const char *root_id, const char *type, bool *enabled)
{
	int64_t n = 0;
	int rc = db_one_int(db_query(tx, "SELECT count(*) FROM org_policy_types WHERE root_id = ?1 AND type = ?2",
	                          DB_ARGS(db_text(root_id), db_text(type))),
	                 &n);

	*enabled = n > 0;
	return rc;
}

int store_org_policy_type_set(struct db_tx *tx, const char *root_id, const char *type, bool enabled)
{
	if (enabled)
		return db_exec(tx, "INSERT INTO org_policy_types(root_id, type) VALUES (?1, ?2)",
		               DB_ARGS(db_text(root_id), db_text(type)), NULL);
	return db_exec(tx, "DELETE FROM org_policy_types WHERE root_id = ?1 AND type = ?2",
	               DB_ARGS(db_text(root_id), db_text(type)), NULL);
}

/* ---- organizational units ------------------------------------------------------------------------------------ */

#define OU_COLUMNS "ou_id, org_id, parent_id, name, created_ms"

static int read_ou(struct db_rows *r, struct store_ou *u)
{
	if (db_col_copy(r, 0, u->ou_id, sizeof(u->ou_id)) || db_col_copy(r, 1, u->org_id, sizeof(u->org_id)) ||
	    db_col_copy(r, 2, u->parent_id, sizeof(u->parent_id)) || db_col_copy(r, 3, u->name, sizeof(u->name)))
		return C_ERR;
	u->created_ms = db_col_int(r, 4);
	return C_OK;
}

int store_ou_create(struct db_tx *tx, const struct store_ou *u)
{
	return db_exec(tx, "INSERT INTO org_units(" OU_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5)",
	               DB_ARGS(db_text(u->ou_id), db_text(u->org_id), db_text(u->parent_id), db_text(u->name),
	                       db_int(u->created_ms)),
	               NULL);
}

int store_ou_get(struct db_tx *tx, const char *org_id, const char *ou_id, struct store_ou *out)
{
	struct db_rows *r = db_query(tx, "SELECT " OU_COLUMNS " FROM org_units WHERE ou_id = ?1 AND org_id = ?2",
	                             DB_ARGS(db_text(ou_id), db_text(org_id)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = read_ou(r, out);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

int store_ou_rename(struct db_tx *tx, const char *ou_id, const char *name)
{
	int64_t n = 0;
	int rc = db_exec(tx, "UPDATE org_units SET name = ?2 WHERE ou_id = ?1", DB_ARGS(db_text(ou_id), db_text(name)),
	                 &n);

	return changed(rc, n);
}

int store_ou_delete(struct db_tx *tx, const char *ou_id)
{
	int64_t n = 0;
	int rc = db_exec(tx, "DELETE FROM org_units WHERE ou_id = ?1", DB_ARGS(db_text(ou_id)), &n);

	return changed(rc, n);
}

int store_ou_name_taken(struct db_tx *tx, const char *parent_id, const char *name, const char *except_id,
                        bool *taken)
{
	int64_t n = 0;
	int rc = db_one_int(db_query(tx,
	                          "SELECT count(*) FROM org_units WHERE parent_id = ?1 AND name = ?2 "
	                          "AND (?3 IS NULL OR ou_id <> ?3)",
	                          DB_ARGS(db_text(parent_id), db_text(name), db_text(except_id))),
	                 &n);

	*taken = n > 0;
	return rc;
}

int store_ou_count(struct db_tx *tx, const char *org_id, int64_t *count)
{
	return db_one_int(db_query(tx, "SELECT count(*) FROM org_units WHERE org_id = ?1", DB_ARGS(db_text(org_id))),
	               count);
}

int store_ou_child_count(struct db_tx *tx, const char *parent_id, int64_t *count)
{
	return db_one_int(db_query(tx,
	                        "SELECT (SELECT count(*) FROM org_units WHERE parent_id = ?1) + "
	                        "(SELECT count(*) FROM org_accounts WHERE parent_id = ?1)",
	                        DB_ARGS(db_text(parent_id))),
	               count);
}

int store_ou_list(struct db_tx *tx, const char *parent_id, const char *after, int limit, store_ou_fn fn, void *ctx)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT " OU_COLUMNS " FROM org_units WHERE parent_id = ?1 "
	                             "AND (?2 IS NULL OR ou_id > ?2) ORDER BY ou_id LIMIT ?3",
	                             DB_ARGS(db_text(parent_id), db_text(after), db_int(limit)));
	struct store_ou u;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_ou(r, &u) != C_OK || fn(ctx, &u) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_ou_ancestors(struct db_tx *tx, const char *parent_id, char ids[][ORG_OU_ID_MAX], size_t cap, size_t *n)
{
	/* One query walks up the tree; the depth bound stops a cycle (there is none) from running away. */
	struct db_rows *r = db_query(tx,
	                             "WITH RECURSIVE up(id, parent, depth) AS ("
	                             "  SELECT ou_id, parent_id, 0 FROM org_units WHERE ou_id = ?1"
	                             "  UNION ALL SELECT u.ou_id, u.parent_id, up.depth + 1 FROM org_units u "
	                             "  JOIN up ON u.ou_id = up.parent WHERE up.depth < ?2"
	                             ") SELECT id FROM up ORDER BY depth",
	                             DB_ARGS(db_text(parent_id), db_int((int64_t)cap)));
	int rc;

	*n = 0;
	while ((rc = db_step(r)) == DB_ROW) {
		if (*n >= cap || db_col_copy(r, 0, ids[*n], ORG_OU_ID_MAX) != C_OK) {
			rc = C_ERR;
			break;
		}
		(*n)++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? C_OK : C_ERR;
}

/* ---- accounts in organizations ------------------------------------------------------------------------------- */

#define MEMBER_COLUMNS                                                                                               \
	"a.account_id, a.name, a.email, a.status, m.org_id, m.parent_id, m.joined_method, m.joined_ms, "             \
	"(SELECT CAST(value AS BIGINT) FROM meta WHERE key = " CLOSURE_KEY ")"
#define MEMBER_FROM " FROM org_accounts m JOIN accounts a ON a.account_id = m.account_id "

static int read_member(struct db_rows *r, struct store_org_account *a)
{
	if (db_col_copy(r, 0, a->account_id, sizeof(a->account_id)) || db_col_copy(r, 1, a->name, sizeof(a->name)) ||
	    db_col_copy(r, 2, a->email, sizeof(a->email)) || db_col_copy(r, 3, a->status, sizeof(a->status)) ||
	    db_col_copy(r, 4, a->org_id, sizeof(a->org_id)) || db_col_copy(r, 5, a->parent_id, sizeof(a->parent_id)) ||
	    db_col_copy(r, 6, a->joined_method, sizeof(a->joined_method)))
		return C_ERR;
	a->joined_ms = db_col_int(r, 7);
	a->closure_ms = db_col_is_null(r, 8) ? 0 : db_col_int(r, 8);
	return C_OK;
}

int store_org_account_add(struct db_tx *tx, const char *account_id, const char *org_id, const char *parent_id,
                          const char *joined_method, int64_t joined_ms)
{
	return db_exec(tx,
	               "INSERT INTO org_accounts(account_id, org_id, parent_id, joined_method, joined_ms) "
	               "VALUES (?1, ?2, ?3, ?4, ?5)",
	               DB_ARGS(db_text(account_id), db_text(org_id), db_text(parent_id), db_text(joined_method),
	                       db_int(joined_ms)),
	               NULL);
}

int store_org_account_get(struct db_tx *tx, const char *org_id, const char *account_id, int64_t now_ms,
                          struct store_org_account *out)
{
	/* The time is compared here, not in the query: a query that names the time differs at every call, and would
	 * never be answered from the store's result cache (this one is on every cross-account request's path). */
	struct db_rows *r = db_query(tx, "SELECT " MEMBER_COLUMNS MEMBER_FROM "WHERE m.account_id = ?1 AND m.org_id = ?2",
	                             DB_ARGS(db_text(account_id), db_text(org_id)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = read_member(r, out);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	if (rc == C_OK && out->joined_ms > now_ms)
		rc = STORE_NOT_FOUND; /* joins in the future of the caller's clock (accounts made by a moved clock) */
	db_rows_done(r);
	return rc;
}

int store_org_account_list(struct db_tx *tx, const char *org_id, const char *parent_id, int64_t now_ms,
                           const char *after, int limit, store_org_account_fn fn, void *ctx)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT " MEMBER_COLUMNS MEMBER_FROM
	                             "WHERE m.org_id = ?1 AND (?2 IS NULL OR m.parent_id = ?2) AND m.joined_ms <= ?3 "
	                             "AND (?4 IS NULL OR m.account_id > ?4) ORDER BY m.account_id LIMIT ?5",
	                             DB_ARGS(db_text(org_id), db_text(parent_id), db_int(now_ms), db_text(after),
	                                     db_int(limit)));
	struct store_org_account a;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_member(r, &a) != C_OK || fn(ctx, &a) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_org_account_move(struct db_tx *tx, const char *account_id, const char *parent_id)
{
	int64_t n = 0;
	int rc = db_exec(tx, "UPDATE org_accounts SET parent_id = ?2 WHERE account_id = ?1",
	                 DB_ARGS(db_text(account_id), db_text(parent_id)), &n);

	return changed(rc, n);
}

int store_org_account_remove(struct db_tx *tx, const char *account_id)
{
	int64_t n = 0;
	int rc = db_exec(tx, "DELETE FROM org_accounts WHERE account_id = ?1", DB_ARGS(db_text(account_id)), &n);

	return changed(rc, n);
}

int store_org_member_count(struct db_tx *tx, const struct store_org *o, int64_t *count)
{
	return db_one_int(db_query(tx, "SELECT count(*) FROM org_accounts WHERE org_id = ?1 AND account_id <> ?2",
	                        DB_ARGS(db_text(o->org_id), db_text(o->management_account_id))),
	               count);
}

int store_account_email_taken(struct db_tx *tx, const char *email, bool *taken)
{
	int64_t n = 0;
	int rc = db_one_int(db_query(tx, "SELECT count(*) FROM accounts WHERE lower(email) = lower(?1)",
	                          DB_ARGS(db_text(email))),
	                 &n);

	*taken = n > 0;
	return rc;
}

int store_account_set_status(struct db_tx *tx, const char *account_id, const char *status, int64_t closure_ms)
{
	char key[64], value[32];
	int64_t n = 0;
	int rc = db_exec(tx, "UPDATE accounts SET status = ?2 WHERE account_id = ?1",
	                 DB_ARGS(db_text(account_id), db_text(status)), &n);

	if (rc != C_OK || n == 0)
		return changed(rc, n);
	snprintf(key, sizeof(key), "orgs.closure.%s", account_id);
	if (strcmp(status, "PENDING_CLOSURE") != 0)
		return db_exec(tx, "DELETE FROM meta WHERE key = ?1", DB_ARGS(db_text(key)), NULL);
	snprintf(value, sizeof(value), "%lld", (long long)closure_ms);
	return store_meta_set(tx, key, value);
}

/* ---- CreateAccount requests ---------------------------------------------------------------------------------- */

#define CAR_COLUMNS                                                                                                  \
	"request_id, org_id, account_name, email, role_name, account_id, state, failure_reason, requested_ms, "      \
	"completed_ms"

static int read_car(struct db_rows *r, struct store_car *s)
{
	if (db_col_copy(r, 0, s->request_id, sizeof(s->request_id)) ||
	    db_col_copy(r, 1, s->org_id, sizeof(s->org_id)) ||
	    db_col_copy(r, 2, s->account_name, sizeof(s->account_name)) ||
	    db_col_copy(r, 3, s->email, sizeof(s->email)) || db_col_copy(r, 4, s->role_name, sizeof(s->role_name)) ||
	    db_col_copy(r, 5, s->account_id, sizeof(s->account_id)) || db_col_copy(r, 6, s->state, sizeof(s->state)) ||
	    db_col_copy(r, 7, s->failure_reason, sizeof(s->failure_reason)))
		return C_ERR;
	s->requested_ms = db_col_int(r, 8);
	s->completed_ms = db_col_is_null(r, 9) ? 0 : db_col_int(r, 9);
	return C_OK;
}

int store_car_create(struct db_tx *tx, const struct store_car *s)
{
	return db_exec(tx, "INSERT INTO create_account_status(" CAR_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	               DB_ARGS(db_text(s->request_id), db_text(s->org_id), db_text(s->account_name), db_text(s->email),
	                       db_text(s->role_name), db_text(s->account_id[0] ? s->account_id : NULL),
	                       db_text(s->state), db_text(s->failure_reason[0] ? s->failure_reason : NULL),
	                       db_int(s->requested_ms), db_int(s->completed_ms)),
	               NULL);
}

int store_car_get(struct db_tx *tx, const char *org_id, const char *request_id, struct store_car *out)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT " CAR_COLUMNS " FROM create_account_status "
	                             "WHERE request_id = ?1 AND org_id = ?2",
	                             DB_ARGS(db_text(request_id), db_text(org_id)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = read_car(r, out);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

void store_car_key(const struct store_car *s, char *out, size_t cap)
{
	/* Fixed-width time first, so that the text order is the order of the requests. */
	snprintf(out, cap, "%016lld/%s", (long long)s->requested_ms, s->request_id);
}

int store_car_list(struct db_tx *tx, const char *org_id, unsigned states, int64_t now_ms, const char *after,
                   int limit, store_car_fn fn, void *ctx)
{
	long long after_ms = -1;
	const char *after_id = NULL, *slash;
	struct db_rows *r;
	struct store_car s;
	int rc, n = 0;

	if (after) {
		slash = strchr(after, '/');
		if (!slash)
			return C_ERR;
		after_ms = strtoll(after, NULL, 10);
		after_id = slash + 1;
	}
	r = db_query(tx,
	             "SELECT " CAR_COLUMNS " FROM create_account_status WHERE org_id = ?1 "
	             "AND ((?2 = 1 AND completed_ms > ?5) OR (?3 = 1 AND completed_ms <= ?5 AND state = 'SUCCEEDED') "
	             "  OR (?4 = 1 AND completed_ms <= ?5 AND state = 'FAILED')) "
	             "AND (?6 IS NULL OR requested_ms > ?7 OR (requested_ms = ?7 AND request_id > ?6)) "
	             "ORDER BY requested_ms, request_id LIMIT ?8",
	             DB_ARGS(db_text(org_id), db_int((states & STORE_CAR_IN_PROGRESS) != 0),
	                     db_int((states & STORE_CAR_SUCCEEDED) != 0), db_int((states & STORE_CAR_FAILED) != 0),
	                     db_int(now_ms), db_text(after_id), db_int(after_ms), db_int(limit)));
	while ((rc = db_step(r)) == DB_ROW) {
		if (read_car(r, &s) != C_OK || fn(ctx, &s) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

/* ---- policies ------------------------------------------------------------------------------------------------ */

#define POLICY_COLUMNS "policy_id, org_id, type, name, description, aws_managed, created_ms"

static const char full_access_content[] = "{\n"
                                          "  \"Version\": \"2012-10-17\",\n"
                                          "  \"Statement\": [\n"
                                          "    {\n"
                                          "      \"Effect\": \"Allow\",\n"
                                          "      \"Action\": \"*\",\n"
                                          "      \"Resource\": \"*\"\n"
                                          "    }\n"
                                          "  ]\n"
                                          "}";

void store_org_policy_clear(struct store_org_policy *p)
{
	free(p->content);
	p->content = NULL;
}

static int read_policy(struct db_rows *r, struct store_org_policy *p)
{
	p->content = NULL;
	if (db_col_copy(r, 0, p->policy_id, sizeof(p->policy_id)) || db_col_copy(r, 1, p->org_id, sizeof(p->org_id)) ||
	    db_col_copy(r, 2, p->type, sizeof(p->type)) || db_col_copy(r, 3, p->name, sizeof(p->name)) ||
	    db_col_copy(r, 4, p->description, sizeof(p->description)))
		return C_ERR;
	p->aws_managed = db_col_int(r, 5) != 0;
	p->created_ms = db_col_int(r, 6);
	return C_OK;
}

/* Runs a policy query whose rows are read without content and passed to fn. */
static int each_policy(struct db_rows *r, store_org_policy_fn fn, void *ctx)
{
	struct store_org_policy p;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_policy(r, &p) != C_OK || fn(ctx, &p) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_org_policy_create(struct db_tx *tx, const struct store_org_policy *p)
{
	return db_exec(tx,
	               "INSERT INTO org_policies(policy_id, org_id, type, name, description, content, aws_managed, "
	               "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	               DB_ARGS(db_text(p->policy_id), db_text(p->org_id), db_text(p->type), db_text(p->name),
	                       db_text(p->description), db_text(p->content), db_int(p->aws_managed),
	                       db_int(p->created_ms)),
	               NULL);
}

int store_org_policy_ensure_managed(struct db_tx *tx, int64_t now_ms)
{
	struct store_org_policy p;
	int64_t n = 0;

	if (db_one_int(db_query(tx, "SELECT count(*) FROM org_policies WHERE policy_id = ?1",
	                     DB_ARGS(db_text(ORG_FULL_ACCESS_ID))),
	            &n) != C_OK)
		return C_ERR;
	if (n)
		return C_OK;
	memset(&p, 0, sizeof(p));
	snprintf(p.policy_id, sizeof(p.policy_id), ORG_FULL_ACCESS_ID);
	snprintf(p.org_id, sizeof(p.org_id), "aws");
	snprintf(p.type, sizeof(p.type), ORG_SCP);
	snprintf(p.name, sizeof(p.name), "FullAWSAccess");
	snprintf(p.description, sizeof(p.description), "Allows access to every operation");
	p.content = (char *)full_access_content; /* not freed: p is not cleared */
	p.aws_managed = true;
	p.created_ms = now_ms;
	return store_org_policy_create(tx, &p);
}

int store_org_policy_get(struct db_tx *tx, const char *org_id, const char *policy_id, struct store_org_policy *out)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT " POLICY_COLUMNS ", content FROM org_policies WHERE policy_id = ?1 "
	                             "AND (org_id = ?2 OR aws_managed = 1)",
	                             DB_ARGS(db_text(policy_id), db_text(org_id)));
	int rc = db_step(r);

	if (rc == DB_ROW) {
		const char *content = db_col_text(r, 7);
		rc = read_policy(r, out);
		if (rc == C_OK && !(out->content = strdup(content ? content : "")))
			rc = C_ERR;
	} else if (rc == DB_DONE) {
		rc = STORE_NOT_FOUND;
	}
	db_rows_done(r);
	return rc;
}

int store_org_policy_name_taken(struct db_tx *tx, const char *org_id, const char *type, const char *name,
                                const char *except_id, bool *taken)
{
	int64_t n = 0;
	int rc = db_one_int(db_query(tx,
	                          "SELECT count(*) FROM org_policies WHERE type = ?2 AND name = ?3 "
	                          "AND (org_id = ?1 OR aws_managed = 1) AND (?4 IS NULL OR policy_id <> ?4)",
	                          DB_ARGS(db_text(org_id), db_text(type), db_text(name), db_text(except_id))),
	                 &n);

	*taken = n > 0;
	return rc;
}

int store_org_policy_update(struct db_tx *tx, const char *policy_id, const char *name, const char *description,
                            const char *content)
{
	int64_t n = 0;
	int rc = db_exec(tx,
	                 "UPDATE org_policies SET name = coalesce(?2, name), description = coalesce(?3, description), "
	                 "content = coalesce(?4, content) WHERE policy_id = ?1",
	                 DB_ARGS(db_text(policy_id), db_text(name), db_text(description), db_text(content)), &n);

	return changed(rc, n);
}

int store_org_policy_delete(struct db_tx *tx, const char *policy_id)
{
	int64_t n = 0;
	int rc = db_exec(tx, "DELETE FROM org_policies WHERE policy_id = ?1", DB_ARGS(db_text(policy_id)), &n);

	return changed(rc, n);
}

int store_org_policy_count(struct db_tx *tx, const char *org_id, const char *type, int64_t *count)
{
	return db_one_int(db_query(tx, "SELECT count(*) FROM org_policies WHERE org_id = ?1 AND type = ?2",
	                        DB_ARGS(db_text(org_id), db_text(type))),
	               count);
}

int store_org_policy_list(struct db_tx *tx, const char *org_id, const char *type, const char *after, int limit,
                          store_org_policy_fn fn, void *ctx)
{
	return each_policy(db_query(tx,
	                            "SELECT " POLICY_COLUMNS " FROM org_policies WHERE type = ?2 "
	                            "AND (org_id = ?1 OR aws_managed = 1) AND (?3 IS NULL OR policy_id > ?3) "
	                            "ORDER BY policy_id LIMIT ?4",
	                            DB_ARGS(db_text(org_id), db_text(type), db_text(after), db_int(limit))),
	                   fn, ctx);
}

/* ---- attachments --------------------------------------------------------------------------------------------- */

int store_org_attach(struct db_tx *tx, const char *policy_id, const char *target_id)
{
	return db_exec(tx, "INSERT INTO org_policy_targets(policy_id, target_id) VALUES (?1, ?2)",
	               DB_ARGS(db_text(policy_id), db_text(target_id)), NULL);
}

int store_org_detach(struct db_tx *tx, const char *policy_id, const char *target_id)
{
	int64_t n = 0;
	int rc = db_exec(tx, "DELETE FROM org_policy_targets WHERE policy_id = ?1 AND target_id = ?2",
	                 DB_ARGS(db_text(policy_id), db_text(target_id)), &n);

	return changed(rc, n);
}

int store_org_detach_target(struct db_tx *tx, const char *target_id)
{
	return db_exec(tx, "DELETE FROM org_policy_targets WHERE target_id = ?1", DB_ARGS(db_text(target_id)), NULL);
}

int store_org_detach_type(struct db_tx *tx, const struct store_org *o, const char *type)
{
	return db_exec(tx,
	               "DELETE FROM org_policy_targets WHERE target_id IN (" ORG_ENTITIES ") "
	               "AND policy_id IN (SELECT policy_id FROM org_policies WHERE type = ?2)",
	               DB_ARGS(db_text(o->org_id), db_text(type)), NULL);
}

int store_org_attach_everywhere(struct db_tx *tx, const struct store_org *o, const char *policy_id)
{
	return db_exec(tx,
	               "INSERT INTO org_policy_targets(policy_id, target_id) SELECT ?2, id FROM (" ORG_ENTITIES
	               ") AS e WHERE NOT EXISTS "
	               "(SELECT 1 FROM org_policy_targets t WHERE t.policy_id = ?2 AND t.target_id = e.id)",
	               DB_ARGS(db_text(o->org_id), db_text(policy_id)), NULL);
}

int store_org_attached_count(struct db_tx *tx, const char *target_id, const char *type, int64_t *count)
{
	return db_one_int(db_query(tx,
	                        "SELECT count(*) FROM org_policy_targets t JOIN org_policies p "
	                        "ON p.policy_id = t.policy_id WHERE t.target_id = ?1 AND p.type = ?2",
	                        DB_ARGS(db_text(target_id), db_text(type))),
	               count);
}

int store_org_policies_for_target(struct db_tx *tx, const char *target_id, const char *type, const char *after,
                                  int limit, store_org_policy_fn fn, void *ctx)
{
	return each_policy(db_query(tx,
	                            "SELECT p.policy_id, p.org_id, p.type, p.name, p.description, p.aws_managed, "
	                            "p.created_ms FROM org_policy_targets t JOIN org_policies p "
	                            "ON p.policy_id = t.policy_id WHERE t.target_id = ?1 AND p.type = ?2 "
	                            "AND (?3 IS NULL OR p.policy_id > ?3) ORDER BY p.policy_id LIMIT ?4",
	                            DB_ARGS(db_text(target_id), db_text(type), db_text(after), db_int(limit))),
	                   fn, ctx);
}

/* The entities of organization ?1 that policy ?2 is attached to, as (id, type, name), visible at ?3. */
#define TARGETS                                                                                                      \
	"SELECT t.target_id AS id, 'ROOT' AS type, 'Root' AS name FROM org_policy_targets t "                         \
	"JOIN organizations o ON o.root_id = t.target_id WHERE t.policy_id = ?2 AND o.org_id = ?1 "                   \
	"UNION ALL SELECT t.target_id, 'ORGANIZATIONAL_UNIT', u.name FROM org_policy_targets t "                      \
	"JOIN org_units u ON u.ou_id = t.target_id WHERE t.policy_id = ?2 AND u.org_id = ?1 "                         \
	"UNION ALL SELECT t.target_id, 'ACCOUNT', a.name FROM org_policy_targets t "                                  \
	"JOIN org_accounts m ON m.account_id = t.target_id JOIN accounts a ON a.account_id = m.account_id "           \
	"WHERE t.policy_id = ?2 AND m.org_id = ?1 AND m.joined_ms <= ?3"

int store_org_target_count(struct db_tx *tx, const struct store_org *o, const char *policy_id, int64_t *count)
{
	return db_one_int(db_query(tx, "SELECT count(*) FROM (" TARGETS ") AS x",
	                        DB_ARGS(db_text(o->org_id), db_text(policy_id), db_int(INT64_MAX))),
	               count);
}

int store_org_targets_for_policy(struct db_tx *tx, const struct store_org *o, const char *policy_id, int64_t now_ms,
                                 const char *after, int limit, store_org_target_fn fn, void *ctx)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT id, type, name FROM (" TARGETS ") AS x "
	                             "WHERE (?4 IS NULL OR id > ?4) ORDER BY id LIMIT ?5",
	                             DB_ARGS(db_text(o->org_id), db_text(policy_id), db_int(now_ms), db_text(after),
	                                     db_int(limit)));
	struct store_org_target t;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (db_col_copy(r, 0, t.target_id, sizeof(t.target_id)) || db_col_copy(r, 1, t.type, sizeof(t.type)) ||
		    db_col_copy(r, 2, t.name, sizeof(t.name)) || fn(ctx, &t) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_org_attached_contents(struct db_tx *tx, const char *const *target_ids, size_t n, const char *type,
                                store_org_content_fn fn, void *ctx)
{
	/* One literal statement (the statement cache is keyed by the SQL's address): unused ids are NULL, which IN
	 * never matches. */
	struct db_val args[17];
	struct db_rows *r;
	int rc;

	if (n == 0)
		return C_OK;
	if (n > 16)
		return C_ERR;
	args[0] = db_text(type);
	for (size_t i = 0; i < 16; i++)
		args[i + 1] = i < n ? db_text(target_ids[i]) : db_null();
	r = db_query(tx,
	             "SELECT t.target_id, p.content FROM org_policy_targets t JOIN org_policies p "
	             "ON p.policy_id = t.policy_id WHERE p.type = ?1 AND t.target_id IN (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	             "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) ORDER BY p.policy_id",
	             args, 17);
	while ((rc = db_step(r)) == DB_ROW) {
		const char *id = db_col_text(r, 0), *content = db_col_text(r, 1);
		if (!id || !content || fn(ctx, id, content) != C_OK) {
			rc = C_ERR;
			break;
		}
	}
	db_rows_done(r);
	return rc == DB_DONE ? C_OK : C_ERR;
}
