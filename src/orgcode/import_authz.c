/*
 * import_authz.c - `rolegate import authorization-details` (import_authz.h). Every entity is made by the IAM
 * action a client would call (CreateUser, PutRolePolicy, ...), so validation, quotas and the audit trail are the
 * API's; all of them in the one transaction of the session.
 */
#include "orgcode/import_authz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "util/common.h"

#define IMPORT_FILE_MAX (64L * 1024 * 1024)

struct importer {
	struct oc_session *s;
	const char *account;
	json_t *profiles; /* instance profiles made: {"name": true} */
};

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* One action; C_ERR said on stderr with what it was about. */
static int act(struct importer *im, const char *op, json_t *in, const char *what)
{
	struct aws_err err;
	json_t *out = NULL;
	int rc;

	if (!in) {
		fprintf(stderr, "rolegate import: %s: out of memory or a missing name\n", what);
		return C_ERR;
	}
	rc = oc_call(im->s, im->account, "iam", op, in, &out, &err);
	if (rc != C_OK)
		fprintf(stderr, "rolegate import: %s (%s): %s: %s\n", what, op, aws_code_name(err.code), err.message);
	json_decref(in);
	json_decref(out);
	return rc;
}

/* A document as the file holds it (a JSON object, URL-encoded or plain text) as compact JSON text; NULL if none. */
static char *document(json_t *v)
{
	if (json_is_object(v))
		return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	return json_is_string(v) ? oc_document(json_string_value(v)) : NULL;
}

/* A policy ARN with the file's account replaced by the target's (AWS managed ones unchanged). */
static void policy_arn(struct importer *im, const char *arn, char *out, size_t cap)
{
	const char *acct = arn && strncmp(arn, "arn:aws:iam::", 13) == 0 ? arn + 13 : NULL;
	const char *rest = acct ? strchr(acct, ':') : NULL;

	if (!rest || strncmp(acct, "aws:", 4) == 0)
		snprintf(out, cap, "%s", arn ? arn : "");
	else
		snprintf(out, cap, "arn:aws:iam::%s%s", im->account, rest);
}

/* Sets member k of in to a copy of the file's o[k] when present. */
static void copy(json_t *in, json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (v && !json_is_null(v))
		json_object_set(in, k, v);
}

static void with_boundary(struct importer *im, json_t *in, json_t *o)
{
	char arn[2048];
	const char *b = str(json_object_get(o, "PermissionsBoundary"), "PermissionsBoundaryArn");

	if (b) {
		policy_arn(im, b, arn, sizeof(arn));
		json_object_set_new(in, "PermissionsBoundary", json_string(arn));
	}
}

static int inline_and_attached(struct importer *im, const char *kind, const char *name, json_t *inl, json_t *att)
{
	char put[32], attach[32], namekey[32], arn[2048], what[1024];
	size_t i;
	json_t *p;

	snprintf(put, sizeof(put), "Put%sPolicy", kind);
	snprintf(attach, sizeof(attach), "Attach%sPolicy", kind);
	snprintf(namekey, sizeof(namekey), "%sName", kind);
	json_array_foreach(inl, i, p) {
		char *doc = document(json_object_get(p, "PolicyDocument"));
		snprintf(what, sizeof(what), "inline policy %s of %s", str(p, "PolicyName") ? str(p, "PolicyName") : "?",
		         name);
		if (!doc || act(im, put, json_pack("{s:s, s:s?, s:s}", namekey, name, "PolicyName", str(p, "PolicyName"),
		                                   "PolicyDocument", doc), what) != C_OK) {
			if (!doc)
				fprintf(stderr, "rolegate import: %s: no readable PolicyDocument\n", what);
			free(doc);
			return C_ERR;
		}
		free(doc);
	}
	json_array_foreach(att, i, p) {
		policy_arn(im, str(p, "PolicyArn"), arn, sizeof(arn));
		snprintf(what, sizeof(what), "attachment of %.300s to %.200s", arn, name);
		if (act(im, attach, json_pack("{s:s, s:s}", namekey, name, "PolicyArn", arn), what) != C_OK)
			return C_ERR;
	}
	return C_OK;
}

static int version_number(json_t *v)
{
	const char *id = str(v, "VersionId");

	return id && id[0] == 'v' ? atoi(id + 1) : 0;
}

static int cmp_versions(const void *a, const void *b)
{
	return version_number(*(json_t *const *)a) - version_number(*(json_t *const *)b);
}

/* A customer managed policy: CreatePolicy with its oldest version, CreatePolicyVersion for each later one, then
 * SetDefaultPolicyVersion. Version ids restart at v1 (IAM numbers them; the order and the default are kept). */
static int import_policy(struct importer *im, json_t *o)
{
	json_t *versions = json_object_get(o, "PolicyVersionList"), *sorted[16], *in;
	size_t n = json_array_size(versions), def = 0;
	char arn[2048], what[1024], vid[32];

	policy_arn(im, str(o, "Arn"), arn, sizeof(arn));
	snprintf(what, sizeof(what), "managed policy %.400s", arn);
	if (n == 0 || n > 5) {
		fprintf(stderr, "rolegate import: %s: %zu versions in PolicyVersionList (1 to 5)\n", what, n);
		return C_ERR;
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = json_array_get(versions, i);
	qsort(sorted, n, sizeof(sorted[0]), cmp_versions);
	for (size_t i = 0; i < n; i++) {
		char *doc = document(json_object_get(sorted[i], "Document"));
		if (!doc) {
			fprintf(stderr, "rolegate import: %s: a version without a readable Document\n", what);
			return C_ERR;
		}
		if (json_is_true(json_object_get(sorted[i], "IsDefaultVersion")))
			def = i;
		if (i == 0) {
			in = json_pack("{s:s?, s:s}", "PolicyName", str(o, "PolicyName"), "PolicyDocument", doc);
			if (in) {
				copy(in, o, "Path");
				copy(in, o, "Description");
				copy(in, o, "Tags");
			}
			if (act(im, "CreatePolicy", in, what) != C_OK) {
				free(doc);
				return C_ERR;
			}
		} else if (act(im, "CreatePolicyVersion", json_pack("{s:s, s:s}", "PolicyArn", arn, "PolicyDocument", doc),
		               what) != C_OK) {
			free(doc);
			return C_ERR;
		}
		free(doc);
	}
	snprintf(vid, sizeof(vid), "v%zu", def + 1);
	return def + 1 == n ? C_OK
	                    : act(im, "SetDefaultPolicyVersion", json_pack("{s:s, s:s}", "PolicyArn", arn, "VersionId", vid),
	                          what);
}

static int import_role(struct importer *im, json_t *o)
{
	const char *rn = str(o, "RoleName");
	char *trust = document(json_object_get(o, "AssumeRolePolicyDocument")), what[1024];
	json_t *in = json_pack("{s:s?, s:s?}", "RoleName", rn, "AssumeRolePolicyDocument", trust), *p;
	size_t i, j;
	json_t *r;

	free(trust);
	snprintf(what, sizeof(what), "role %s", rn ? rn : "?");
	if (in) {
		copy(in, o, "Path");
		copy(in, o, "Description");
		copy(in, o, "MaxSessionDuration");
		copy(in, o, "Tags");
		with_boundary(im, in, o);
	}
	if (act(im, "CreateRole", in, what) != C_OK ||
	    inline_and_attached(im, "Role", rn, json_object_get(o, "RolePolicyList"),
	                        json_object_get(o, "AttachedManagedPolicies")) != C_OK)
		return C_ERR;
	json_array_foreach(json_object_get(o, "InstanceProfileList"), i, p) {
		const char *pn = str(p, "InstanceProfileName");
		snprintf(what, sizeof(what), "instance profile %s", pn ? pn : "?");
		if (pn && !json_object_get(im->profiles, pn)) {
			in = json_pack("{s:s}", "InstanceProfileName", pn);
			if (in) {
				copy(in, p, "Path");
				copy(in, p, "Tags");
			}
			if (act(im, "CreateInstanceProfile", in, what) != C_OK)
				return C_ERR;
			json_object_set_new(im->profiles, pn, json_true());
		}
		json_array_foreach(json_object_get(p, "Roles"), j, r)
			if (str(r, "RoleName") && strcmp(str(r, "RoleName"), rn) == 0 &&
			    act(im, "AddRoleToInstanceProfile", json_pack("{s:s?, s:s}", "InstanceProfileName", pn, "RoleName",
			                                                  rn), what) != C_OK)
				return C_ERR;
	}
	return C_OK;
}

static int import_all(struct importer *im, json_t *root)
{
	size_t i, j;
	json_t *o, *g, *in;
	char what[1024];

	json_array_foreach(json_object_get(root, "Policies"), i, o) {
		const char *arn = str(o, "Arn");
		if (arn && strncmp(arn, "arn:aws:iam::aws:", 17) == 0)
			continue; /* AWS managed: rolegate has them */
		if (import_policy(im, o) != C_OK)
			return C_ERR;
	}
	json_array_foreach(json_object_get(root, "GroupDetailList"), i, o) {
		const char *gn = str(o, "GroupName");
		snprintf(what, sizeof(what), "group %s", gn ? gn : "?");
		in = json_pack("{s:s?}", "GroupName", gn);
		if (in)
			copy(in, o, "Path");
		if (act(im, "CreateGroup", in, what) != C_OK ||
		    inline_and_attached(im, "Group", gn, json_object_get(o, "GroupPolicyList"),
		                        json_object_get(o, "AttachedManagedPolicies")) != C_OK)
			return C_ERR;
	}
	json_array_foreach(json_object_get(root, "UserDetailList"), i, o) {
		const char *un = str(o, "UserName");
		snprintf(what, sizeof(what), "user %s", un ? un : "?");
		in = json_pack("{s:s?}", "UserName", un);
		if (in) {
			copy(in, o, "Path");
			copy(in, o, "Tags");
			with_boundary(im, in, o);
		}
		if (act(im, "CreateUser", in, what) != C_OK ||
		    inline_and_attached(im, "User", un, json_object_get(o, "UserPolicyList"),
		                        json_object_get(o, "AttachedManagedPolicies")) != C_OK)
			return C_ERR;
		json_array_foreach(json_object_get(o, "GroupList"), j, g)
			if (act(im, "AddUserToGroup", json_pack("{s:s, s:s?}", "UserName", un, "GroupName",
			                                         json_string_value(g)), what) != C_OK)
				return C_ERR;
	}
	json_array_foreach(json_object_get(root, "RoleDetailList"), i, o)
		if (import_role(im, o) != C_OK)
			return C_ERR;
	return C_OK;
}

int import_authorization_details(struct oc_session *s, const char *file, const char *account)
{
	struct importer im = {.s = s, .account = account, .profiles = json_object()};
	struct store_account a;
	json_error_t jerr;
	json_t *root = NULL;
	int rc = C_ERR;

	if (store_account_get(s->tx, account, &a) != C_OK) {
		fprintf(stderr, "rolegate import: no account %s in the store\n", account);
		goto done;
	}
	if (!(root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr))) {
		fprintf(stderr, "rolegate import: %s: not JSON: line %d: %s\n", file, jerr.line, jerr.text);
		goto done;
	}
	if (!json_is_object(root) || (!json_is_array(json_object_get(root, "UserDetailList")) &&
	                              !json_is_array(json_object_get(root, "GroupDetailList")) &&
	                              !json_is_array(json_object_get(root, "RoleDetailList")) &&
	                              !json_is_array(json_object_get(root, "Policies")))) {
		fprintf(stderr, "rolegate import: %s is not the output of get-account-authorization-details\n", file);
		goto done;
	}
	rc = import_all(&im, root);
done:
	json_decref(root);
	json_decref(im.profiles);
	return rc;
}
