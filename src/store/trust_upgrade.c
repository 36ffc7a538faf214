/*
 * trust_upgrade.c - once per database: trust policies saved by a rolegate that stored the users and roles they
 * name as ARNs are rewritten to name them by unique id (see iam/principal_ids.h), so that a namesake created later
 * does not inherit them.
 *
 * An ARN naming a user or role that exists at the upgrade becomes its id. One naming nobody (the principal was
 * deleted since the policy was saved) becomes a fresh id that names nobody either: on AWS the policy would show
 * the deleted principal's id and no namesake would match it; rolegate no longer knows that id, so it refuses every
 * namesake the same way. The meta key below records that the upgrade ran.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "aws/ids.h"
#include "policy/rewrite.h"
#include "store/iam_store.h"
#include "util/common.h"
#include "util/log.h"

#define UPGRADE_META "trust_policies_name_ids"

struct legacy {
	char *role_id, *doc;
};

/* One Principal "AWS" value: a user or role ARN becomes the id of that principal, or an id naming nobody. */
static int map_legacy(void *ctx, const char *value, char *repl, size_t cap)
{
	struct db_tx *tx = ctx;
	struct arn a;
	const char *slash, *name;
	char path[IAM_PATH_MAX + 1], id[UNIQUE_ID_LEN + 1];
	bool user;
	int rc;

	if (arn_parse(value, &a) != C_OK || strcmp(a.service, "iam") != 0 ||
	    (strncmp(a.resource, "user/", 5) != 0 && strncmp(a.resource, "role/", 5) != 0))
		return C_OK;
	user = a.resource[0] == 'u';
	slash = strrchr(a.resource, '/');
	name = slash + 1;
	snprintf(path, sizeof(path), "%.*s", (int)(slash - a.resource - 4 + 1), a.resource + 4);
	if (user) {
		struct store_user u;
		rc = store_user_get(tx, a.account, name, &u);
		if (rc == C_OK && strcmp(u.path, path) == 0 && strcmp(u.name, name) == 0)
			return snprintf(repl, cap, "%s", u.user_id) < (int)cap ? C_OK : C_ERR;
	} else {
		struct store_role r = {0};
		rc = store_role_get(tx, a.account, name, &r);
		if (rc == C_OK && strcmp(r.path, path) == 0 && strcmp(r.name, name) == 0)
			rc = snprintf(repl, cap, "%s", r.role_id) < (int)cap ? C_OK : C_ERR;
		else if (rc == C_OK)
			rc = STORE_NOT_FOUND;
		store_role_clear(&r);
		if (rc != STORE_NOT_FOUND)
			return rc;
	}
	if (rc != C_OK && rc != STORE_NOT_FOUND)
		return C_ERR;
	id_unique(user ? "AIDA" : "AROA", id);
	return snprintf(repl, cap, "%s", id) < (int)cap ? C_OK : C_ERR;
}

int store_upgrade_trust_ids(struct db *db)
{
	struct db_tx *tx;
	struct db_rows *r;
	struct legacy *list = NULL, *grown;
	size_t n = 0, cap = 0, changed = 0;
	char done[8], *out = NULL;
	int rc;

	if (db_begin(db, true, &tx) != C_OK)
		return C_ERR;
	rc = store_meta_get(tx, UPGRADE_META, done, sizeof(done));
	if (rc == C_OK) {
		db_rollback(tx);
		return C_OK;
	}
	if (rc != STORE_NOT_FOUND)
		goto fail;
	r = db_query(tx, "SELECT role_id, trust_policy FROM roles WHERE trust_policy LIKE '%:user/%' "
	                 "OR trust_policy LIKE '%:role/%'", DB_NOARGS);
	while ((rc = db_step(r)) == DB_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(grown = realloc(list, cap * sizeof(*list))))
				break;
			list = grown;
		}
		list[n].role_id = db_col_text(r, 0) ? strdup(db_col_text(r, 0)) : NULL;
		list[n].doc = db_col_text(r, 1) ? strdup(db_col_text(r, 1)) : NULL;
		n++;
		if (!list[n - 1].role_id || !list[n - 1].doc)
			break;
	}
	db_rows_done(r);
	if (rc != DB_DONE)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (policy_map_aws_principals(list[i].doc, map_legacy, tx, &out) != C_OK) {
			log_warnx("store: the trust policy of role %s cannot be upgraded", list[i].role_id);
			goto fail;
		}
		if (strcmp(out, list[i].doc) != 0) {
			if (db_exec(tx, "UPDATE roles SET trust_policy = ?2 WHERE role_id = ?1",
			            DB_ARGS(db_text(list[i].role_id), db_text(out)), NULL) != C_OK)
				goto fail;
			changed++;
		}
		free(out);
		out = NULL;
	}
	if (store_meta_set(tx, UPGRADE_META, "1") != C_OK || db_commit(tx) != C_OK) {
		tx = NULL;
		goto fail;
	}
	if (changed)
		log_info("store: %zu trust policies now name their users and roles by unique id", changed);
	rc = C_OK;
	goto done;
fail:
	if (tx)
		db_rollback(tx);
	rc = C_ERR;
done:
	for (size_t i = 0; i < n; i++) {
		free(list[i].role_id);
		free(list[i].doc);
	}
	free(list);
	free(out);
	return rc;
}
