/*
 * policies.c - IAM policies: inline policies (of a user, group or role), managed policies with their versions,
 * the attachments of managed policies to users, groups and roles, and the documents that apply to a principal
 * (for src/iam/effective.c, on the hot path of every request by an IAM user or role).
 *
 * Managed policies of account "aws" are the AWS-managed ones; their attachment counts are per account (an
 * account sees only its own attachments of them).
 */
#include "store/iam_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

/* ---- inline policies ----------------------------------------------------------------------------------------- */

void store_inline_policy_clear(struct store_inline_policy *p)
{
	free(p->document);
	p->document = NULL;
}

int store_inline_put(struct db_tx *tx, const char *owner_id, const char *name, const char *document)
{
	return db_exec(tx,
	               "INSERT INTO inline_policies(owner_id, name, name_lc, document) VALUES (?1, ?2, lower(?2), ?3) "
	               "ON CONFLICT(owner_id, name_lc) DO UPDATE SET name = ?2, document = ?3",
	               DB_ARGS(db_text(owner_id), db_text(name), db_text(document)), NULL);
}

int store_inline_get(struct db_tx *tx, const char *owner_id, const char *name, struct store_inline_policy *out)
{
	struct db_rows *r = db_query(tx, "SELECT name, document FROM inline_policies WHERE owner_id = ?1 AND name_lc = lower(?2)",
	                             DB_ARGS(db_text(owner_id), db_text(name)));
	int rc = db_step(r);

	out->document = NULL;
	if (rc == DB_ROW) {
		rc = db_col_copy(r, 0, out->name, sizeof(out->name));
		if (rc == C_OK && !(out->document = strdup(db_col_text(r, 1) ? db_col_text(r, 1) : "")))
			rc = C_ERR;
	} else if (rc == DB_DONE) {
		rc = STORE_NOT_FOUND;
	}
	db_rows_done(r);
	return rc;
}

int store_inline_delete(struct db_tx *tx, const char *owner_id, const char *name)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM inline_policies WHERE owner_id = ?1 AND name_lc = lower(?2)",
	                 DB_ARGS(db_text(owner_id), db_text(name)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_inline_delete_all(struct db_tx *tx, const char *owner_id)
{
	return db_exec(tx, "DELETE FROM inline_policies WHERE owner_id = ?1", DB_ARGS(db_text(owner_id)), NULL);
}

int store_inline_list(struct db_tx *tx, const char *owner_id, bool with_documents, const char *after_lc, int limit,
                      store_inline_fn fn, void *ctx)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT name, CASE WHEN ?4 THEN document END FROM inline_policies "
	                             "WHERE owner_id = ?1 AND (?2 IS NULL OR name_lc > ?2) ORDER BY name_lc LIMIT ?3",
	                             DB_ARGS(db_text(owner_id), db_text(after_lc), db_int(limit), db_int(with_documents)));
	struct store_inline_policy p;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		p.document = NULL;
		if (db_col_copy(r, 0, p.name, sizeof(p.name)) != C_OK) {
			rc = C_ERR;
			break;
		}
		if (with_documents)
			p.document = (char *)(db_col_text(r, 1) ? db_col_text(r, 1) : "");
		if (fn(ctx, &p) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_inline_count(struct db_tx *tx, const char *owner_id, int64_t *count)
{
	return db_one_int(db_query(tx, "SELECT count(*) FROM inline_policies WHERE owner_id = ?1", DB_ARGS(db_text(owner_id))),
	               count);
}

/* ---- managed policies ---------------------------------------------------------------------------------------- */

/* The attachment count of a policy: within ?ACCT when given (the AWS-managed ones are shared by every account). */
#define MANAGED_COLUMNS                                                                                             \
	"p.policy_id, p.account_id, p.arn, p.name, p.path, coalesce(p.description, ''), p.default_version, "       \
	"p.next_version, p.created_ms, p.updated_ms, "                                                              \
	"(SELECT count(*) FROM policy_attachments a WHERE a.policy_arn = p.arn AND (?1 IS NULL OR a.account_id = ?1))"

static int read_managed(struct db_rows *r, struct store_managed_policy *p)
{
	if (db_col_copy(r, 0, p->policy_id, sizeof(p->policy_id)) ||
	    db_col_copy(r, 1, p->account_id, sizeof(p->account_id)) || db_col_copy(r, 2, p->arn, sizeof(p->arn)) ||
	    db_col_copy(r, 3, p->name, sizeof(p->name)) || db_col_copy(r, 4, p->path, sizeof(p->path)) ||
	    db_col_copy(r, 5, p->description, sizeof(p->description)))
		return C_ERR;
	p->default_version = db_col_int(r, 6);
	p->next_version = db_col_int(r, 7);
	p->created_ms = db_col_int(r, 8);
	p->updated_ms = db_col_int(r, 9);
	p->attachment_count = db_col_int(r, 10);
	return C_OK;
}

int store_managed_create(struct db_tx *tx, const struct store_managed_policy *p, const char *document)
{
	int rc = db_exec(tx,
	                 "INSERT INTO managed_policies(policy_id, account_id, arn, name, name_lc, path, description, "
	                 "default_version, next_version, created_ms, updated_ms) "
	                 "VALUES (?1, ?2, ?3, ?4, lower(?4), ?5, ?6, 1, 2, ?7, ?7)",
	                 DB_ARGS(db_text(p->policy_id), db_text(p->account_id), db_text(p->arn), db_text(p->name),
	                         db_text(p->path), db_text(p->description[0] ? p->description : NULL),
	                         db_int(p->created_ms)),
	                 NULL);

	if (rc != C_OK)
		return rc;
	return db_exec(tx, "INSERT INTO policy_versions(policy_id, version, document, created_ms) VALUES (?1, 1, ?2, ?3)",
	               DB_ARGS(db_text(p->policy_id), db_text(document), db_int(p->created_ms)), NULL);
}

int store_managed_get_in(struct db_tx *tx, const char *account_id, const char *arn, struct store_managed_policy *out)
{
	struct db_rows *r = db_query(tx, "SELECT " MANAGED_COLUMNS " FROM managed_policies p WHERE p.arn = ?2",
	                             DB_ARGS(db_text(account_id), db_text(arn)));
	int rc = db_step(r);

	if (rc == DB_ROW)
		rc = read_managed(r, out);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

int store_managed_get(struct db_tx *tx, const char *arn, struct store_managed_policy *out)
{
	return store_managed_get_in(tx, NULL, arn, out);
}

int store_managed_list_ex(struct db_tx *tx, const char *account_id, const char *scope, bool only_attached,
                          const char *usage, const char *path_prefix, const char *after, int limit,
                          store_managed_fn fn, void *ctx)
{
	/* Order: lowercased name, then policy id (an account may hold a policy of the same name as an AWS-managed
	 * one); `after` is "name_lc POLICY_ID" (the key of the last row seen) or a bare lowercased name. */
	static const char sql[] =
		"SELECT " MANAGED_COLUMNS " FROM managed_policies p WHERE "
		"((?2 = 'AWS' AND p.account_id = 'aws') OR (?2 = 'Local' AND p.account_id = ?1) "
		" OR (?2 = 'All' AND (p.account_id = 'aws' OR p.account_id = ?1))) "
		"AND (?3 IS NULL OR substr(p.path, 1, length(?3)) = ?3) "
		"AND (?4 IS NULL OR CASE WHEN ?4 LIKE '% %' THEN p.name_lc || ' ' || p.policy_id > ?4 ELSE p.name_lc > ?4 END) "
		"AND (?6 = 0 OR (?7 = 'PermissionsBoundary' AND ("
		"      EXISTS (SELECT 1 FROM users u WHERE u.account_id = ?1 AND u.permissions_boundary = p.arn) OR "
		"      EXISTS (SELECT 1 FROM roles r WHERE r.account_id = ?1 AND r.permissions_boundary = p.arn))) "
		"  OR ((?7 IS NULL OR ?7 <> 'PermissionsBoundary') AND "
		"      EXISTS (SELECT 1 FROM policy_attachments a WHERE a.policy_arn = p.arn AND a.account_id = ?1))) "
		"ORDER BY p.name_lc, p.policy_id LIMIT ?5";
	struct db_rows *r = db_query(tx, sql,
	                             DB_ARGS(db_text(account_id), db_text(scope ? scope : "All"), db_text(path_prefix),
	                                     db_text(after), db_int(limit), db_int(only_attached), db_text(usage)));
	struct store_managed_policy p;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_managed(r, &p) != C_OK || fn(ctx, &p) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_managed_list(struct db_tx *tx, const char *account_id, const char *scope, bool only_attached,
                       const char *path_prefix, const char *after_lc, int limit, store_managed_fn fn, void *ctx)
{
	return store_managed_list_ex(tx, account_id, scope, only_attached, NULL, path_prefix, after_lc, limit, fn, ctx);
}

int store_managed_delete(struct db_tx *tx, const char *policy_id)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM managed_policies WHERE policy_id = ?1", DB_ARGS(db_text(policy_id)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_managed_add_version(struct db_tx *tx, const char *policy_id, const char *document, bool set_default,
                              int64_t now_ms, int64_t *version)
{
	int64_t v = 0;
	int rc = db_one_int(db_query(tx, "SELECT next_version FROM managed_policies WHERE policy_id = ?1",
	                          DB_ARGS(db_text(policy_id))),
	                 &v);

	if (rc != C_OK)
		return rc;
	if ((rc = db_exec(tx, "INSERT INTO policy_versions(policy_id, version, document, created_ms) VALUES (?1, ?2, ?3, ?4)",
	                  DB_ARGS(db_text(policy_id), db_int(v), db_text(document), db_int(now_ms)), NULL)) != C_OK)
		return rc;
	rc = db_exec(tx,
	             "UPDATE managed_policies SET next_version = ?2 + 1, "
	             "default_version = CASE WHEN ?3 THEN ?2 ELSE default_version END, "
	             "updated_ms = CASE WHEN ?3 THEN ?4 ELSE updated_ms END WHERE policy_id = ?1",
	             DB_ARGS(db_text(policy_id), db_int(v), db_int(set_default), db_int(now_ms)), NULL);
	if (rc == C_OK && version)
		*version = v;
	return rc;
}

static int read_version(struct db_rows *r, struct store_policy_version *v, bool copy)
{
	const char *doc = db_col_text(r, 1);

	v->version = db_col_int(r, 0);
	v->created_ms = db_col_int(r, 2);
	v->is_default = db_col_int(r, 3) != 0;
	if (!copy) {
		v->document = (char *)(doc ? doc : "");
		return C_OK;
	}
	v->document = strdup(doc ? doc : "");
	return v->document ? C_OK : C_ERR;
}

#define VERSION_COLUMNS                                                                                             \
	"v.version, v.document, v.created_ms, v.version = (SELECT default_version FROM managed_policies m "         \
	"WHERE m.policy_id = v.policy_id)"

void store_policy_version_clear(struct store_policy_version *v)
{
	free(v->document);
	v->document = NULL;
}

int store_managed_get_version(struct db_tx *tx, const char *policy_id, int64_t version,
                              struct store_policy_version *out)
{
	struct db_rows *r = db_query(tx, "SELECT " VERSION_COLUMNS " FROM policy_versions v WHERE v.policy_id = ?1 AND v.version = ?2",
	                             DB_ARGS(db_text(policy_id), db_int(version)));
	int rc = db_step(r);

	out->document = NULL;
	if (rc == DB_ROW)
		rc = read_version(r, out, true);
	else if (rc == DB_DONE)
		rc = STORE_NOT_FOUND;
	db_rows_done(r);
	return rc;
}

int store_managed_list_versions(struct db_tx *tx, const char *policy_id, store_version_fn fn, void *ctx)
{
	/* Newest first, as AWS lists them. */
	struct db_rows *r = db_query(tx, "SELECT " VERSION_COLUMNS " FROM policy_versions v WHERE v.policy_id = ?1 ORDER BY v.version DESC",
	                             DB_ARGS(db_text(policy_id)));
	struct store_policy_version v;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (read_version(r, &v, false) != C_OK || fn(ctx, &v) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_managed_delete_version(struct db_tx *tx, const char *policy_id, int64_t version)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM policy_versions WHERE policy_id = ?1 AND version = ?2",
	                 DB_ARGS(db_text(policy_id), db_int(version)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_managed_set_default(struct db_tx *tx, const char *policy_id, int64_t version, int64_t now_ms)
{
	int64_t changes = 0;
	int rc = db_exec(tx,
	                 "UPDATE managed_policies SET default_version = ?2, updated_ms = ?3 WHERE policy_id = ?1 "
	                 "AND EXISTS (SELECT 1 FROM policy_versions WHERE policy_id = ?1 AND version = ?2)",
	                 DB_ARGS(db_text(policy_id), db_int(version), db_int(now_ms)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_managed_default_document(struct db_tx *tx, const char *arn, char **document)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT v.document FROM managed_policies p JOIN policy_versions v "
	                             "ON v.policy_id = p.policy_id AND v.version = p.default_version WHERE p.arn = ?1",
	                             DB_ARGS(db_text(arn)));
	int rc = db_step(r);

	*document = NULL;
	if (rc == DB_ROW) {
		*document = strdup(db_col_text(r, 0) ? db_col_text(r, 0) : "");
		rc = *document ? C_OK : C_ERR;
	} else if (rc == DB_DONE) {
		rc = STORE_NOT_FOUND;
	}
	db_rows_done(r);
	return rc;
}

int store_user_set_boundary(struct db_tx *tx, const char *user_id, const char *arn)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "UPDATE users SET permissions_boundary = ?2 WHERE user_id = ?1",
	                 DB_ARGS(db_text(user_id), db_text(arn)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_boundary_count(struct db_tx *tx, const char *account_id, const char *policy_arn, int64_t *count)
{
	/* Within one account the (account_id, name_lc) indexes narrow the scan to that account's users and roles. */
	if (account_id)
		return db_one_int(db_query(tx,
		                        "SELECT (SELECT count(*) FROM users WHERE account_id = ?1 AND permissions_boundary = ?2) "
		                        "+ (SELECT count(*) FROM roles WHERE account_id = ?1 AND permissions_boundary = ?2)",
		                        DB_ARGS(db_text(account_id), db_text(policy_arn))),
		               count);
	return db_one_int(db_query(tx,
	                        "SELECT (SELECT count(*) FROM users WHERE permissions_boundary = ?1) + "
	                        "(SELECT count(*) FROM roles WHERE permissions_boundary = ?1)",
	                        DB_ARGS(db_text(policy_arn))),
	               count);
}

int store_boundary_entities(struct db_tx *tx, const char *account_id, const char *policy_arn,
                            store_attachment_fn fn, void *ctx)
{
	struct db_rows *r = db_query(tx,
	                             "SELECT 'user', user_id FROM users WHERE account_id = ?1 AND permissions_boundary = ?2 "
	                             "UNION ALL SELECT 'role', role_id FROM roles WHERE account_id = ?1 "
	                             "AND permissions_boundary = ?2",
	                             DB_ARGS(db_text(account_id), db_text(policy_arn)));
	struct store_attachment a;
	int rc, n = 0;

	snprintf(a.policy_arn, sizeof(a.policy_arn), "%s", policy_arn);
	while ((rc = db_step(r)) == DB_ROW) {
		if (db_col_copy(r, 0, a.entity_type, sizeof(a.entity_type)) ||
		    db_col_copy(r, 1, a.entity_id, sizeof(a.entity_id)) || fn(ctx, &a) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

/* ---- attachments --------------------------------------------------------------------------------------------- */

int store_attach(struct db_tx *tx, const char *account_id, const char *entity_type, const char *entity_id,
                 const char *policy_arn, int64_t now_ms)
{
	return db_exec(tx,
	               "INSERT INTO policy_attachments(entity_id, policy_arn, entity_type, account_id, attached_ms) "
	               "VALUES (?1, ?2, ?3, ?4, ?5)",
	               DB_ARGS(db_text(entity_id), db_text(policy_arn), db_text(entity_type), db_text(account_id),
	                       db_int(now_ms)),
	               NULL);
}

int store_detach(struct db_tx *tx, const char *entity_id, const char *policy_arn)
{
	int64_t changes = 0;
	int rc = db_exec(tx, "DELETE FROM policy_attachments WHERE entity_id = ?1 AND policy_arn = ?2",
	                 DB_ARGS(db_text(entity_id), db_text(policy_arn)), &changes);

	if (rc == C_OK && changes == 0)
		return STORE_NOT_FOUND;
	return rc;
}

int store_detach_all(struct db_tx *tx, const char *entity_id)
{
	return db_exec(tx, "DELETE FROM policy_attachments WHERE entity_id = ?1", DB_ARGS(db_text(entity_id)), NULL);
}

static int walk_attachments(struct db_rows *r, store_attachment_fn fn, void *ctx)
{
	struct store_attachment a;
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		if (db_col_copy(r, 0, a.entity_id, sizeof(a.entity_id)) ||
		    db_col_copy(r, 1, a.entity_type, sizeof(a.entity_type)) ||
		    db_col_copy(r, 2, a.policy_arn, sizeof(a.policy_arn)) || fn(ctx, &a) != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}

int store_attachments_of_entity(struct db_tx *tx, const char *entity_id, store_attachment_fn fn, void *ctx)
{
	return walk_attachments(db_query(tx,
	                                 "SELECT entity_id, entity_type, policy_arn FROM policy_attachments "
	                                 "WHERE entity_id = ?1 ORDER BY policy_arn",
	                                 DB_ARGS(db_text(entity_id))),
	                        fn, ctx);
}

int store_attachments_of_policy_in(struct db_tx *tx, const char *account_id, const char *policy_arn,
                                   const char *entity_type, store_attachment_fn fn, void *ctx)
{
	return walk_attachments(db_query(tx,
	                                 "SELECT entity_id, entity_type, policy_arn FROM policy_attachments "
	                                 "WHERE policy_arn = ?1 AND (?2 IS NULL OR entity_type = ?2) "
	                                 "AND (?3 IS NULL OR account_id = ?3) ORDER BY entity_type, entity_id",
	                                 DB_ARGS(db_text(policy_arn), db_text(entity_type), db_text(account_id))),
	                        fn, ctx);
}

int store_attachments_of_policy(struct db_tx *tx, const char *policy_arn, const char *entity_type,
                                store_attachment_fn fn, void *ctx)
{
	return store_attachments_of_policy_in(tx, NULL, policy_arn, entity_type, fn, ctx);
}

int store_attachment_count(struct db_tx *tx, const char *entity_id, int64_t *count)
{
	return db_one_int(db_query(tx, "SELECT count(*) FROM policy_attachments WHERE entity_id = ?1",
	                        DB_ARGS(db_text(entity_id))),
	               count);
}

/* ---- what applies to a principal ----------------------------------------------------------------------------- */

int store_principal_documents(struct db_tx *tx, const char *entity_id, bool with_groups, store_document_fn fn,
                              void *ctx)
{
	/*
	 * One query: the entity's inline policies, its attached policies' default versions, and (for a user) the same
	 * for each of its groups. Every branch reads by an index: inline_policies' primary key (owner_id, ...),
	 * group_members_by_user, policy_attachments' primary key (entity_id, ...), managed_policies.arn (UNIQUE) and
	 * policy_versions' primary key.
	 */
	static const char sql[] =
		"WITH owners(id) AS (SELECT ?1 UNION ALL SELECT group_id FROM group_members WHERE ?2 AND user_id = ?1) "
		"SELECT i.document, CASE WHEN o.id = ?1 THEN '' ELSE 'group' END, i.name "
		"FROM owners o JOIN inline_policies i ON i.owner_id = o.id "
		"UNION ALL "
		"SELECT v.document, CASE WHEN p.account_id = 'aws' THEN 'aws-managed' ELSE 'user-managed' END, p.name "
		"FROM owners o JOIN policy_attachments a ON a.entity_id = o.id "
		"JOIN managed_policies p ON p.arn = a.policy_arn "
		"JOIN policy_versions v ON v.policy_id = p.policy_id AND v.version = p.default_version";
	struct db_rows *r = db_query(tx, sql, DB_ARGS(db_text(entity_id), db_int(with_groups)));
	int rc, n = 0;

	while ((rc = db_step(r)) == DB_ROW) {
		const char *doc = db_col_text(r, 0), *kind = db_col_text(r, 1), *name = db_col_text(r, 2);
		if (fn(ctx, doc ? doc : "", kind ? kind : "", name ? name : "") != C_OK) {
			rc = C_ERR;
			break;
		}
		n++;
	}
	db_rows_done(r);
	return rc == DB_DONE ? n : C_ERR;
}
