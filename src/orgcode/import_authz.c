/*
 * import_authz.c - `rolegate import authorization-details` (import_authz.h). Every entity is made by the IAM
 * action a client would call (CreateUser, PutRolePolicy, ...), so validation, quotas and the audit trail are the
 * API's; all of them in the one transaction of the session.
 */
#include "orgcode/import_authz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/db.h"
#include "util/common.h"

#define IMPORT_FILE_MAX (64L * 1024 * 1024)

struct importer {
	struct oc_session *s;
	const char *account;
	json_t *profiles; /* instance profiles made: {"name": true} */
	json_t *existing; /* the account's GetAccountAuthorizationDetails before the import, each list keyed by name */
};

static const char *const drop_keys[] = {"UserId", "GroupId", "RoleId", "PolicyId", "InstanceProfileId", "CreateDate",
                                        "UpdateDate", "RoleLastUsed", "Arn", "AttachmentCount", "DefaultVersionId",
                                        "PermissionsBoundaryUsageCount", "VersionId", "IsAttachable",
                                        "MaxSessionDuration" /* a role in an instance profile has it, RoleDetail not */};

static int version_number(json_t *v);
static char *document(json_t *v);

/* Two members of a list by their JSON text (keys sorted): a canonical order. */
static int cmp_dumped(const void *a, const void *b)
{
	char *x = json_dumps(*(json_t *const *)a, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	char *y = json_dumps(*(json_t *const *)b, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	int r = x && y ? strcmp(x, y) : 0;

	free(x);
	free(y);
	return r;
}

/* Adds member n (a new reference; NULL: nothing) to out, an array (k NULL) or an object. C_ERR when out of memory. */
static int add_normalised(json_t *out, const char *k, json_t *n)
{
	if (!n)
		return C_OK;
	return (k ? json_object_set_new(out, k, n) : json_array_append_new(out, n)) == 0 ? C_OK : C_ERR;
}

/* *out: v without what differs between two copies of one entity (ids, dates, ARNs, version ids, empty lists), its
 * documents parsed, its policy versions in version order and its other lists (names, tags, attachments: their order
 * says nothing) in a canonical order; NULL for nothing. A new reference. C_ERR, and no copy, when out of memory or
 * a document cannot be read: a partial copy could make two different entities look identical. */
static int normalised(json_t *v, json_t **out)
{
	const char *k;
	json_t *m, *o = NULL;
	size_t i;

	*out = NULL;
	if (json_is_array(v)) {
		if (!json_array_size(v))
			return C_OK;
		if (!(o = json_array()))
			return C_ERR;
		json_array_foreach(v, i, m) {
			json_t *n;
			if (normalised(m, &n) != C_OK || add_normalised(o, NULL, n) != C_OK)
				goto fail;
		}
		*out = o;
		return C_OK;
	}
	if (!json_is_object(v)) {
		*out = json_is_null(v) ? NULL : json_incref(v);
		return C_OK;
	}
	if (!(o = json_object()))
		return C_ERR;
	json_object_foreach(v, k, m) {
		bool drop = false;
		json_t *n = NULL;
		for (i = 0; i < ARRAY_LEN(drop_keys); i++)
			drop = drop || strcmp(k, drop_keys[i]) == 0;
		if (drop)
			continue;
		if (strstr(k, "Document")) {
			char *doc = document(m);
			n = doc ? json_loads(doc, 0, NULL) : NULL;
			free(doc);
			if (!n)
				goto fail;
		} else if (strcmp(k, "PolicyVersionList") == 0) {
			json_t *sorted = json_array();
			int rc = sorted ? C_OK : C_ERR;
			for (int want = 0, left = (int)json_array_size(m); rc == C_OK && left > 0 && want < 100000; want++)
				json_array_foreach(m, i, n)
					if (version_number(n) == want) {
						rc = json_array_append(sorted, n) == 0 ? C_OK : C_ERR;
						left--;
					}
			n = NULL;
			if (rc == C_OK)
				rc = normalised(sorted, &n);
			json_decref(sorted);
			if (rc != C_OK)
				goto fail;
		} else if (json_is_array(m)) {
			json_t *plain;
			if (normalised(m, &plain) != C_OK)
				goto fail;
			n = plain ? oc_sorted(plain, cmp_dumped) : NULL;
			json_decref(plain);
			if (plain && !n)
				goto fail;
		} else if (normalised(m, &n) != C_OK) {
			goto fail;
		}
		if (add_normalised(o, k, n) != C_OK)
			goto fail;
	}
	*out = o;
	return C_OK;
fail:
	json_decref(o);
	return C_ERR;
}

int import_identical(json_t *existing, json_t *file, const char *file_account, const char *account)
{
	json_t *a = NULL, *b = NULL;
	char *ta = NULL, *tb = NULL;
	int same = -1;

	if (normalised(existing, &a) != C_OK || normalised(file, &b) != C_OK)
		goto done;
	if (!a || !b) { /* nothing to compare: not the same entity */
		same = 0;
		goto done;
	}
	if (!(ta = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS)) || !(tb = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS)))
		goto done;
	/* the file's account id, where ARNs name it, stands for the target's (same length: 12 digits) */
	if (file_account && strlen(file_account) == 12 && strlen(account) == 12)
		for (char *p = strstr(tb, file_account); p; p = strstr(p + 12, file_account))
			memcpy(p, account, 12);
	same = strcmp(ta, tb) == 0;
done:
	free(ta);
	free(tb);
	json_decref(a);
	json_decref(b);
	return same;
}

/* The account id of an entity of the file (from its Arn), or NULL. */
static const char *source_account(json_t *o, char out[13])
{
	const char *arn = json_string_value(json_object_get(o, "Arn"));

	if (!arn || strncmp(arn, "arn:aws:iam::", 13) != 0 || strlen(arn) < 26 || arn[25] != ':')
		return NULL;
	memcpy(out, arn + 13, 12);
	out[12] = '\0';
	return out;
}

/* Whether the file's entity o, named key in the existing list `list`, must be made (1), is already there identical
 * (0: skipped), or conflicts (-1, said on stderr). */
static int existing_state(struct importer *im, const char *list, const char *key, json_t *o, const char *what)
{
	json_t *e = json_object_get(json_object_get(im->existing, list), key ? key : "");
	char src[13];

	if (!e)
		return 1;
	switch (import_identical(e, o, source_account(o, src), im->account)) {
	case 1: return 0;
	case 0: break;
	default:
		fprintf(stderr, "rolegate import: %s: it exists in account %s and cannot be compared with the file's (out of "
		        "memory, or an unreadable document)\n", what, im->account);
		return -1;
	}
	fprintf(stderr, "rolegate import: %s: EntityAlreadyExists: it exists in account %s and differs from the file's\n",
	        what, im->account);
	return -1;
}

/* im->existing: the account's GetAccountAuthorizationDetails, each list as {name (policies: ARN): entry}. */
static int load_existing(struct importer *im)
{
	static const struct {
		const char *list, *key;
	} lists[] = {{"UserDetailList", "UserName"}, {"GroupDetailList", "GroupName"}, {"RoleDetailList", "RoleName"},
	             {"Policies", "Arn"}};
	json_t *in = json_pack("{s:i}", "MaxItems", 1000), *out = NULL, *o;
	struct aws_err err;
	size_t j;

	if (!in || !(im->existing = json_object()))
		goto fail;
	for (size_t i = 0; i < ARRAY_LEN(lists); i++)
		json_object_set_new(im->existing, lists[i].list, json_object());
	for (;;) {
		if (oc_call(im->s, im->account, "iam", "GetAccountAuthorizationDetails", in, &out, &err) != C_OK) {
			fprintf(stderr, "rolegate import: reading account %s: %s: %s\n", im->account, aws_code_name(err.code),
			        err.message);
			goto fail;
		}
		for (size_t i = 0; i < ARRAY_LEN(lists); i++)
			json_array_foreach(json_object_get(out, lists[i].list), j, o)
				if (json_string_value(json_object_get(o, lists[i].key)))
					json_object_set(json_object_get(im->existing, lists[i].list),
					                json_string_value(json_object_get(o, lists[i].key)), o);
		if (!json_is_true(json_object_get(out, "IsTruncated")))
			break;
		json_object_set(in, "Marker", json_object_get(out, "Marker"));
		json_decref(out);
		out = NULL;
	}
	json_decref(out);
	json_decref(in);
	return C_OK;
fail:
	json_decref(out);
	json_decref(in);
	return C_ERR;
}

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
	switch (existing_state(im, "Policies", arn, o, what)) {
	case 0:
		return C_OK;
	case -1:
		return C_ERR;
	}
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
	switch (existing_state(im, "RoleDetailList", rn, o, what)) {
	case 0:
		json_decref(in);
		return C_OK;
	case -1:
		json_decref(in);
		return C_ERR;
	}
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
	int st;

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
		if ((st = existing_state(im, "GroupDetailList", gn, o, what)) <= 0) {
			if (st < 0)
				return C_ERR;
			continue;
		}
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
		if ((st = existing_state(im, "UserDetailList", un, o, what)) <= 0) {
			if (st < 0)
				return C_ERR;
			continue;
		}
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

int import_authorization_details_json(struct oc_session *s, json_t *root, const char *account)
{
	struct importer im = {.s = s, .account = account, .profiles = json_object()};
	struct store_account a;
	int rc = C_ERR;

	if (store_account_get(s->tx, account, &a) != C_OK)
		fprintf(stderr, "rolegate import: no account %s in the store\n", account);
	else
		rc = load_existing(&im) == C_OK ? import_all(&im, root) : C_ERR;
	json_decref(im.profiles);
	json_decref(im.existing);
	return rc;
}

int import_authorization_details(struct oc_session *s, const char *file, const char *account)
{
	json_error_t jerr;
	json_t *root = NULL;
	struct stat st;
	int rc = C_ERR;

	errno = 0;
	if (stat(file, &st) != 0 || st.st_size > IMPORT_FILE_MAX) {
		fprintf(stderr, "rolegate import: %s: %s\n", file, errno ? strerror(errno) : "larger than 64 MiB");
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
	rc = import_authorization_details_json(s, root, account);
done:
	json_decref(root);
	return rc;
}
