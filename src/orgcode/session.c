/*
 * session.c - an operator's session on the store (session.h).
 */
#include "orgcode/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "server/cli_store.h"
#include "server/dispatch.h"
#include "store/db.h"
#include "util/common.h"
#include "aws/model.h"
#include "util/crypto.h"

int oc_open(struct oc_session *s, const char *verb, const char *dir, const char *conninfo, bool write)
{
	memset(s, 0, sizeof(*s));
	s->verb = verb;
	if (crypto_init() != C_OK || model_init() != C_OK)
		return C_ERR;
	if (!(s->db = cli_store_open(verb, dir, conninfo)))
		return C_ERR;
	/* a reader never migrates: the running server's schema is the one it reads */
	if ((write && store_migrate(s->db) != C_OK) || db_begin(s->db, write, &s->tx) != C_OK) {
		fprintf(stderr, "rolegate %s: cannot read %s\n", verb, cli_store_where(dir, conninfo));
		goto fail;
	}
	s->srv.db = s->db;
	if (store_meta_get(s->tx, "management_account_id", s->management, sizeof(s->management)) != C_OK) {
		fprintf(stderr, "rolegate %s: %s holds no account (was a server ever started on it?)\n", verb,
		        cli_store_where(dir, conninfo));
		goto fail;
	}
	snprintf(s->srv.management_account, sizeof(s->srv.management_account), "%s", s->management);
	return C_OK;
fail:
	if (s->tx)
		db_rollback(s->tx);
	s->tx = NULL;
	db_close(s->db);
	s->db = NULL;
	return C_ERR;
}

int oc_close(struct oc_session *s, bool commit)
{
	int rc = C_OK;

	if (s->tx) {
		if (commit)
			rc = db_commit(s->tx);
		else
			db_rollback(s->tx);
	}
	s->tx = NULL;
	if (s->db)
		db_close(s->db);
	s->db = NULL;
	return rc;
}

int oc_call(struct oc_session *s, const char *account, const char *service, const char *op, json_t *in, json_t **out,
            struct aws_err *err)
{
	struct principal root;

	memset(&root, 0, sizeof(root));
	root.kind = PRINCIPAL_ROOT;
	snprintf(root.account_id, sizeof(root.account_id), "%s", account);
	snprintf(root.id, sizeof(root.id), "%s", account);
	arn_root(root.arn, sizeof(root.arn), account);
	return dispatch_invoke_tx(&s->srv, s->tx, &root, service, op, in, out, err);
}

json_t *oc_list(struct oc_session *s, const char *account, const char *service, const char *op, json_t *in,
                const char *member)
{
	bool iam = strcmp(service, "iam") == 0;
	json_t *all = json_array(), *req = in ? json_deep_copy(in) : json_object(), *out = NULL;
	struct aws_err err;

	if (!all || !req)
		goto fail;
	for (int page = 0; page < 100000; page++) {
		json_t *next;

		if (oc_call(s, account, service, op, req, &out, &err) != C_OK) {
			fprintf(stderr, "rolegate %s: %s:%s in %s: %s: %s\n", s->verb, service, op, account,
			        aws_code_name(err.code), err.message);
			goto fail;
		}
		if (json_array_extend(all, json_object_get(out, member)) != 0)
			goto fail;
		next = iam ? (json_is_true(json_object_get(out, "IsTruncated")) ? json_object_get(out, "Marker") : NULL)
		           : json_object_get(out, "NextToken");
		if (!json_is_string(next)) {
			json_decref(out);
			json_decref(req);
			return all;
		}
		json_object_set(req, iam ? "Marker" : "NextToken", next);
		json_decref(out);
		out = NULL;
	}
fail:
	json_decref(out);
	json_decref(req);
	json_decref(all);
	return NULL;
}

json_t *oc_sorted(json_t *array, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(array);
	json_t **items = malloc((n ? n : 1) * sizeof(*items)), *out = json_array();

	if (!items || !out)
		goto fail;
	for (size_t i = 0; i < n; i++)
		items[i] = json_array_get(array, i);
	qsort(items, n, sizeof(*items), cmp);
	for (size_t i = 0; i < n; i++)
		if (json_array_append(out, items[i]) != 0)
			goto fail;
	free(items);
	return out;
fail:
	free(items);
	json_decref(out);
	return NULL;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *oc_document(const char *doc)
{
	const char *p = doc;
	char *out, *o;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '{')
		return strdup(doc);
	if (!(out = o = malloc(strlen(doc) + 1)))
		return NULL;
	for (p = doc; *p; p++) {
		if (*p == '%') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
			if (hi < 0 || lo < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(hi * 16 + lo);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}
