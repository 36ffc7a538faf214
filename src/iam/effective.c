/*
 * effective.c - the identity-based policies that apply to a principal, compiled (effective.h).
 *
 * On the hot path of every request by an IAM user or a role session: three indexed queries at most (the
 * principal, every document that applies to it in one query, the boundary's default version) and policy_compile,
 * which returns the cached compilation of a document it has seen before.
 */
#include "iam/effective.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/iam_store.h"
#include "util/common.h"
#include "util/log.h"

/* A boundary that allows no action (an Allow of an action no service has): what a missing or broken boundary
 * becomes, so that it still limits. */
#define ALLOWS_NOTHING                                                                                              \
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"rolegate:nothing\","     \
	"\"Resource\":\"*\"}]}"

struct load_ctx {
	struct principal_policies *out;
	const char *id;
	const char *self_kind; /* "user", "group" or "role": the source type of the entity's own inline policies */
	bool sources;          /* record where each policy comes from */
	bool overflow;
};

static int add_document(void *ctx, const char *document, const char *kind, const char *name)
{
	struct load_ctx *l = ctx;
	char err[POLICY_ERROR_MAX];
	struct policy *p;

	if (policy_compile(document, strlen(document), POLICY_IDENTITY, &p, err) != C_OK) {
		/* It was valid when it was stored. Left out, it could not grant, but a Deny in it would not deny either:
		 * no decision is made without it. */
		log_warnx("effective: a stored policy of %s no longer compiles (%s): refusing to decide", l->id, err);
		return C_ERR;
	}
	if (l->out->nidentity == l->out->cap) {
		size_t cap = l->out->cap ? l->out->cap * 2 : 16;
		struct policy **grown;
		if (cap > PRINCIPAL_POLICIES_MAX)
			cap = PRINCIPAL_POLICIES_MAX;
		if (l->out->nidentity == cap || !(grown = realloc(l->out->identity, cap * sizeof(*grown)))) {
			/* Dropping one could drop a Deny: refuse to decide rather than decide wrongly. */
			policy_release(p);
			l->overflow = true;
			return C_ERR;
		}
		l->out->identity = grown;
		if (l->sources) {
			struct principal_policy_source *src = realloc(l->out->sources, cap * sizeof(*src));
			if (!src) {
				policy_release(p);
				return C_ERR;
			}
			l->out->sources = src;
		}
		l->out->cap = cap;
	}
	if (l->sources) {
		struct principal_policy_source *src = &l->out->sources[l->out->nidentity];
		snprintf(src->type, sizeof(src->type), "%s", kind[0] ? kind : l->self_kind);
		snprintf(src->name, sizeof(src->name), "%s", name);
		if (!(src->document = strdup(document))) {
			policy_release(p);
			return C_ERR;
		}
	}
	l->out->identity[l->out->nidentity++] = p;
	return C_OK;
}

static int load(struct db_tx *tx, const char *kind, const char *id, bool sources, struct principal_policies *out)
{
	struct load_ctx l = {.out = out, .id = id, .self_kind = kind, .sources = sources, .overflow = false};
	char boundary[ARN_MAX + 1], err[POLICY_ERROR_MAX], *doc = NULL;
	bool user = strcmp(kind, "user") == 0;
	int rc;

	memset(out, 0, sizeof(*out));
	boundary[0] = '\0';
	if (sources && strcmp(kind, "group") == 0) {
		struct store_group g;
		rc = store_group_get_by_id(tx, id, &g);
		if (rc != C_OK)
			return rc;
	} else if (user) {
		struct store_user u;
		rc = store_user_get_by_id(tx, id, &u);
		if (rc != C_OK)
			return rc;
		memcpy(boundary, u.permissions_boundary, sizeof(boundary));
	} else if (strcmp(kind, "role") == 0) {
		struct store_role r;
		rc = store_role_get_by_id(tx, id, &r);
		if (rc != C_OK)
			return rc;
		memcpy(boundary, r.permissions_boundary, sizeof(boundary));
		store_role_clear(&r);
	} else {
		return C_ERR;
	}
	if (store_principal_documents(tx, id, user, add_document, &l) < 0) {
		if (l.overflow)
			log_warnx("effective: %s has more than %d identity policies", id, PRINCIPAL_POLICIES_MAX);
		goto fail;
	}
	if (boundary[0]) {
		rc = store_managed_default_document(tx, boundary, &doc);
		if (rc == STORE_NOT_FOUND) {
			/* A boundary that no longer exists allows nothing (DeletePolicy refuses while a policy is a
			 * boundary; this only guards against an inconsistent store). */
			doc = strdup(ALLOWS_NOTHING);
			if (!doc)
				goto fail;
		} else if (rc != C_OK) {
			goto fail;
		}
		if (policy_compile(doc, strlen(doc), POLICY_BOUNDARY, &out->boundary, err) != C_OK) {
			/* A boundary that does not compile must still limit: it allows nothing. */
			log_warnx("effective: the permissions boundary %s of %s does not compile (%s)", boundary, id, err);
			free(doc);
			doc = strdup(ALLOWS_NOTHING);
			if (!doc || policy_compile(doc, strlen(doc), POLICY_BOUNDARY, &out->boundary, err) != C_OK)
				goto fail;
		}
		if (sources) {
			snprintf(out->boundary_arn, sizeof(out->boundary_arn), "%s", boundary);
			out->boundary_document = doc;
			doc = NULL;
		}
		free(doc);
		doc = NULL;
	}
	return C_OK;
fail:
	free(doc);
	principal_policies_release(out);
	return C_ERR;
}

int principal_policies_load(struct db_tx *tx, const char *kind, const char *id, struct principal_policies *out)
{
	return load(tx, kind, id, false, out);
}

int principal_policies_load_sources(struct db_tx *tx, const char *kind, const char *id,
                                    struct principal_policies *out)
{
	return load(tx, kind, id, true, out);
}

void principal_policies_release(struct principal_policies *out)
{
	for (size_t i = 0; i < out->nidentity; i++) {
		policy_release(out->identity[i]);
		if (out->sources)
			free(out->sources[i].document);
	}
	free(out->sources);
	free(out->boundary_document);
	free(out->identity);
	policy_release(out->boundary);
	memset(out, 0, sizeof(*out));
}
