/*
 * scp.c - the service control policies that govern an account, as layers for the policy engine: the root's SCPs,
 * then each OU's from the top down, then the account's own. A request is allowed only if every layer allows it.
 *
 * Three indexed queries: the account's organization (with whether SCPs are enabled), the chain of OUs above it
 * (one recursive query), and the contents of every SCP attached along the way. Compiled policies come from the
 * engine's cache, so a document is parsed once.
 */
#include <stdlib.h>
#include <string.h>

#include "orgs/orgs.h"
#include "store/orgs.h"
#include "util/common.h"
#include "util/log.h"

#define MAX_LAYERS 16
#define MAX_PER_LAYER 16

struct scp_fill {
	struct scp_layers *out;
	char ids[MAX_LAYERS][ORG_OU_ID_MAX];
	size_t n;
};

static int add_policy(void *ctx, const char *target_id, const char *content)
{
	struct scp_fill *f = ctx;
	char error[POLICY_ERROR_MAX];
	struct policy *p;

	for (size_t i = 0; i < f->n; i++) {
		struct policy_layer *l = &f->out->layers[i];
		if (strcmp(f->ids[i], target_id) != 0)
			continue;
		if (l->n >= MAX_PER_LAYER) {
			/* AWS allows five per target (ten by quota): leaving one out could leave out a Deny, so no decision */
			log_warnx("orgs: more than %d SCPs are attached to %s: refusing to decide", MAX_PER_LAYER, target_id);
			return C_ERR;
		}
		/* Stored SCPs were validated when saved; values that no longer parse never match. One that no longer
		 * compiles at all could hold a Deny: no decision is made without it. */
		if (policy_compile_flags(content, strlen(content), POLICY_SCP, POLICY_LENIENT_VALUES, &p, error) != C_OK) {
			log_warnx("orgs: an SCP attached to %s does not compile (%s): refusing to decide", target_id, error);
			return C_ERR;
		}
		f->out->policies[i][l->n++] = p;
		return C_OK;
	}
	return C_OK;
}

int orgs_scp_layers(struct db_tx *tx, const char *account_id, struct scp_layers *out)
{
	char chain[ORG_MAX_DEPTH + 8][ORG_OU_ID_MAX], parent[ORG_OU_ID_MAX];
	const char *ids[MAX_LAYERS];
	struct scp_fill *f = NULL;
	struct db_rows *r;
	size_t nchain = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	r = db_query(tx,
	             "SELECT m.parent_id, o.root_id, EXISTS (SELECT 1 FROM org_policy_types t "
	             "WHERE t.root_id = o.root_id AND t.type = ?2) "
	             "FROM org_accounts m JOIN organizations o ON o.org_id = m.org_id "
	             "WHERE m.account_id = ?1 AND o.management_account_id <> ?1",
	             DB_ARGS(db_text(account_id), db_text(ORG_SCP)));
	rc = db_step(r);
	if (rc == DB_DONE || (rc == DB_ROW && db_col_int(r, 2) == 0)) {
		db_rows_done(r);
		return C_OK; /* no organization, the management account, or SCPs not enabled */
	}
	if (rc != DB_ROW || !(f = calloc(1, sizeof(*f))) || db_col_copy(r, 0, parent, sizeof(parent)) != C_OK ||
	    db_col_copy(r, 1, f->ids[0], sizeof(f->ids[0])) != C_OK) {
		db_rows_done(r);
		goto fail;
	}
	db_rows_done(r);

	/* root, the OUs from the top down, the account */
	f->n = 1;
	if (strcmp(parent, f->ids[0]) != 0 && store_ou_ancestors(tx, parent, chain, ARRAY_LEN(chain), &nchain) != C_OK)
		goto fail;
	if (nchain + 2 > MAX_LAYERS)
		goto fail;
	for (size_t i = nchain; i-- > 0;)
		memcpy(f->ids[f->n++], chain[i], ORG_OU_ID_MAX);
	strncpy(f->ids[f->n], account_id, ORG_OU_ID_MAX - 1);
	f->ids[f->n++][ORG_OU_ID_MAX - 1] = '\0';

	f->out = out;
	for (size_t i = 0; i < f->n; i++)
		ids[i] = f->ids[i];
	if (store_org_attached_contents(tx, ids, f->n, ORG_SCP, add_policy, f) != C_OK)
		goto fail;
	for (size_t i = 0; i < f->n; i++) {
		out->layers[i].policies = out->policies[i];
		if (!(out->layers[i].id = strdup(f->ids[i])))
			goto fail;
	}
	out->n = f->n;
	free(f);
	return C_OK;
fail:
	if (f)
		out->n = f->n;
	orgs_scp_layers_release(out);
	free(f);
	return C_ERR;
}

void orgs_scp_layers_release(struct scp_layers *l)
{
	for (size_t i = 0; i < MAX_LAYERS; i++) {
		for (size_t j = 0; j < l->layers[i].n && j < MAX_PER_LAYER; j++)
			policy_release(l->policies[i][j]);
		free((char *)l->layers[i].id);
		l->layers[i].id = NULL;
		l->layers[i].n = 0;
		l->layers[i].policies = NULL;
	}
	l->n = 0;
}
