/*
 * policies.c - IAM policies:
 *
 *   inline policies of users, groups and roles   Put/Get/List/Delete{User,Group,Role}Policy
 *   managed policies                             CreatePolicy, GetPolicy, ListPolicies, DeletePolicy,
 *                                                Create/Get/List/DeletePolicyVersion, SetDefaultPolicyVersion,
 *                                                Tag/Untag/ListPolicyTags, ListEntitiesForPolicy
 *   attachments                                  Attach/Detach/ListAttached{User,Group,Role}Policies
 *   permissions boundaries                       Put/Delete{User,Role}PermissionsBoundary
 *
 * Documents are stored as given and returned percent-encoded, as IAM returns them (botocore and Terraform decode
 * them). Every document is validated by the policy engine (policy_compile) of the kind it is, and IAM's size
 * quotas count its characters that are not white space.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/arn.h"
#include "aws/ids.h"
#include "iam/iam.h"
#include "util/common.h"

#define MANAGED_POLICY_SIZE_MAX 6144
#define TAGS_PER_POLICY 50

/* ---- documents ----------------------------------------------------------------------------------------------- */

size_t iam_policy_size(const char *doc)
{
	size_t n = 0;

	for (; *doc; doc++)
		if (!(*doc == ' ' || *doc == '\t' || *doc == '\n' || *doc == '\r'))
			n++;
	return n;
}

char *iam_url_encode(const char *doc)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(doc), o = 0;
	char *out = malloc(len * 3 + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)doc[i];
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		    ch == '_' || ch == '.' || ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return out;
}

int iam_set_document(json_t *obj, const char *member, const char *doc)
{
	char *enc = iam_url_encode(doc);
	int rc;

	if (!enc)
		return C_ERR;
	rc = json_object_set_new(obj, member, json_string(enc)) == 0 ? C_OK : C_ERR;
	free(enc);
	return rc;
}

int iam_policy_validate(struct call *c, const char *doc, enum policy_kind kind)
{
	char err[POLICY_ERROR_MAX];
	struct policy *p = NULL;

	if (policy_compile(doc, strlen(doc), kind, &p, err) != C_OK)
		return aws_err_set(&c->err, ERR_MALFORMED_POLICY_DOCUMENT, "%s", err);
	policy_release(p);
	return C_OK;
}

int64_t iam_version_number(const char *id)
{
	int64_t v = 0;

	if (!id || id[0] != 'v' || id[1] < '1' || id[1] > '9')
		return 0;
	for (const char *p = id + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000000)
			return 0;
		v = v * 10 + (*p - '0');
	}
	return v;
}

/* ---- managed policies: loading ------------------------------------------------------------------------------- */

/* Whether arn looks like a managed policy's: arn:aws:iam::(ACCT|aws):policy/... */
static bool policy_arn_shape(const char *arn)
{
	struct arn a;

	return arn_parse(arn, &a) == C_OK && strcmp(a.partition, "aws") == 0 && strcmp(a.service, "iam") == 0 &&
	       !a.region[0] && strncmp(a.resource, "policy/", 7) == 0 && a.resource[7];
}

/* Loads a policy the caller's account can see (its own or AWS-managed). STORE_NOT_FOUND without setting an
 * error when there is none, C_ERR (error set) when the ARN is not a policy ARN. */
static int find_policy(struct call *c, const char *arn, struct store_managed_policy *p)
{
	int rc;

	if (!policy_arn_shape(arn))
		return aws_err_set(&c->err, ERR_INVALID_INPUT, "ARN %s is not valid.", arn);
	rc = store_managed_get_in(c->tx, c->caller.account_id, arn, p);
	if (rc == C_OK && strcmp(p->account_id, "aws") != 0 && strcmp(p->account_id, c->caller.account_id) != 0)
		rc = STORE_NOT_FOUND;
	return rc;
}

int iam_load_policy(struct call *c, const char *policy_arn, struct store_managed_policy *p)
{
	int rc = find_policy(c, policy_arn, p);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "Policy %s was not found.", policy_arn);
	return rc == C_OK ? C_OK : C_ERR;
}

/* Loads a policy to attach: NoSuchEntity "... does not exist or is not attachable." when there is none. */
static int load_attachable(struct call *c, const char *arn, struct store_managed_policy *p)
{
	int rc = find_policy(c, arn, p);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "Policy %s does not exist or is not attachable.", arn);
	return rc == C_OK ? C_OK : C_ERR;
}

/* Loads a policy the caller's account owns, to change it: the AWS-managed ones cannot be changed. */
static int load_own_policy(struct call *c, const char *arn, struct store_managed_policy *p)
{
	if (iam_load_policy(c, arn, p) != C_OK)
		return C_ERR;
	if (strcmp(p->account_id, "aws") == 0)
		return aws_err_set(&c->err, ERR_ACCESS_DENIED, "User: %s is not authorized to perform: %s:%s on resource: %s",
		                   c->caller.arn, c->svc->id, c->op->name, arn);
	return C_OK;
}

int iam_check_boundary(struct call *c, const char *arn)
{
	struct store_managed_policy p;
	int rc;

	if (!policy_arn_shape(arn))
		return aws_err_set(&c->err, ERR_INVALID_INPUT, "ARN %s is not valid.", arn);
	rc = find_policy(c, arn, &p);
	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "Scope ARN: %s does not exist or is not attachable.", arn);
	return rc == C_OK ? C_OK : C_ERR;
}

/* The name and path of a policy from its ARN: arn:aws:iam::ACCT:policy/PATH/NAME. */
static void policy_name_path(const char *arn, char *name, size_t ncap, char *path, size_t pcap)
{
	const char *res = strstr(arn, ":policy/"), *slash;

	name[0] = '\0';
	snprintf(path, pcap, "/");
	if (!res)
		return;
	res += strlen(":policy");
	slash = strrchr(res, '/');
	snprintf(name, ncap, "%s", slash + 1);
	snprintf(path, pcap, "%.*s", (int)(slash - res + 1), res);
}

json_t *iam_policy_json(struct call *c, const struct store_managed_policy *p, enum iam_policy_shape shape)
{
	char version[32];
	int64_t boundaries = 0;
	json_t *o;

	if (store_boundary_count(c->tx, c->caller.account_id, p->arn, &boundaries) != C_OK)
		return NULL;
	snprintf(version, sizeof(version), "v%lld", (long long)p->default_version);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:I, s:I}", "PolicyName", p->name, "PolicyId",
	              p->policy_id, "Arn", p->arn, "Path", p->path, "DefaultVersionId", version, "AttachmentCount",
	              (json_int_t)p->attachment_count, "PermissionsBoundaryUsageCount", (json_int_t)boundaries,
	              "IsAttachable", 1, "CreateDate", (json_int_t)(p->created_ms / 1000), "UpdateDate",
	              (json_int_t)(p->updated_ms / 1000));
	if (!o)
		return NULL;
	if (shape != IAM_POLICY_LISTED) {
		json_t *tags = json_array();
		if (shape == IAM_POLICY_GOT && p->description[0])
			json_object_set_new(o, "Description", json_string(p->description));
		if (!tags || iam_tags_json(c, p->policy_id, 0, TAGS_PER_POLICY, tags) != C_OK) {
			json_decref(tags);
			json_decref(o);
			return NULL;
		}
		if (json_array_size(tags) || shape == IAM_POLICY_GOT)
			json_object_set_new(o, "Tags", tags);
		else
			json_decref(tags);
	}
	return o;
}

/* ---- resources ----------------------------------------------------------------------------------------------- */

static int resource_policy_arn(struct call *c, char *out, size_t cap)
{
	const char *arn = call_str(c, "PolicyArn");

	return snprintf(out, cap, "%s", arn ? arn : "*") < (int)cap ? C_OK : C_ERR;
}

static int resource_new_policy(struct call *c, char *out, size_t cap)
{
	const char *path = call_str(c, "Path");

	return arn_policy(out, cap, c->caller.account_id, path ? path : "/", call_str(c, "PolicyName"));
}

static int resource_policies(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "arn:aws:iam::%s:policy/", c->caller.account_id) < (int)cap ? C_OK : C_ERR;
}

/* ---- the owners of inline policies and attachments ----------------------------------------------------------- */

/* A user, group or role named by the request, loaded. */
struct owner {
	const char *kind;       /* "user", "group", "role" */
	const char *name_param; /* "UserName", ... */
	char id[IAM_ID_MAX];
	char name[IAM_NAME_MAX * 2 + 1];
	int inline_max; /* aggregate size of its inline policies */
	enum iam_quota quota; /* managed policies attached to it */
};

static int load_owner(struct call *c, const char *kind, struct owner *o)
{
	const char *name;
	int rc;

	memset(o, 0, sizeof(*o));
	o->kind = kind;
	if (strcmp(kind, "user") == 0) {
		struct store_user u;
		o->name_param = "UserName";
		o->inline_max = 2048;
		o->quota = IAM_QUOTA_POLICIES_PER_USER;
		name = call_str(c, o->name_param);
		if ((rc = iam_load_user(c, name, &u)) != C_OK)
			return rc;
		snprintf(o->id, sizeof(o->id), "%s", u.user_id);
		snprintf(o->name, sizeof(o->name), "%s", u.name);
	} else if (strcmp(kind, "group") == 0) {
		struct store_group g;
		o->name_param = "GroupName";
		o->inline_max = 5120;
		o->quota = IAM_QUOTA_POLICIES_PER_GROUP;
		name = call_str(c, o->name_param);
		if ((rc = iam_load_group(c, name, &g)) != C_OK)
			return rc;
		snprintf(o->id, sizeof(o->id), "%s", g.group_id);
		snprintf(o->name, sizeof(o->name), "%s", g.name);
	} else {
		struct store_role r;
		o->name_param = "RoleName";
		o->inline_max = 10240;
		o->quota = IAM_QUOTA_POLICIES_PER_ROLE;
		name = call_str(c, o->name_param);
		if ((rc = iam_load_role(c, name, &r)) != C_OK)
			return rc;
		snprintf(o->id, sizeof(o->id), "%s", r.role_id);
		snprintf(o->name, sizeof(o->name), "%s", r.name);
		store_role_clear(&r);
	}
	return C_OK;
}

/* ---- inline policies ----------------------------------------------------------------------------------------- */

struct size_ctx {
	const char *skip; /* the policy being replaced */
	size_t total;
};

static int add_size(void *ctx, const struct store_inline_policy *p)
{
	struct size_ctx *s = ctx;

	if (strcasecmp(p->name, s->skip) != 0)
		s->total += iam_policy_size(p->document);
	return C_OK;
}

static int put_inline(struct call *c, const char *kind)
{
	const char *name = call_str(c, "PolicyName"), *doc = call_str(c, "PolicyDocument");
	struct size_ctx s = {.skip = name, .total = 0};
	struct owner o;

	if (load_owner(c, kind, &o) != C_OK || iam_policy_validate(c, doc, POLICY_IDENTITY) != C_OK)
		return C_ERR;
	if (store_inline_list(c->tx, o.id, true, NULL, 100000, add_size, &s) < 0)
		return C_ERR;
	if (s.total + iam_policy_size(doc) > (size_t)o.inline_max)
		return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Maximum policy size of %d bytes exceeded for %s %s",
		                   o.inline_max, kind, o.name);
	return store_inline_put(c->tx, o.id, name, doc) == C_OK ? C_OK : C_ERR;
}

static int no_such_inline(struct call *c, const char *kind, const char *name)
{
	return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "The %s policy with name %s cannot be found.", kind, name);
}

static int get_inline(struct call *c, const char *kind)
{
	const char *name = call_str(c, "PolicyName");
	struct store_inline_policy p = {.document = NULL};
	struct owner o;
	int rc;

	if (load_owner(c, kind, &o) != C_OK)
		return C_ERR;
	rc = store_inline_get(c->tx, o.id, name, &p);
	if (rc == STORE_NOT_FOUND)
		return no_such_inline(c, kind, name);
	if (rc != C_OK)
		return C_ERR;
	json_object_set_new(c->out, o.name_param, json_string(o.name));
	json_object_set_new(c->out, "PolicyName", json_string(p.name));
	rc = iam_set_document(c->out, "PolicyDocument", p.document);
	store_inline_policy_clear(&p);
	return rc;
}

struct names_ctx {
	json_t *names;
	int limit, seen;
	char last_lc[130];
};

static int add_name(void *ctx, const struct store_inline_policy *p)
{
	struct names_ctx *n = ctx;
	size_t i;

	if (n->seen++ >= n->limit)
		return C_OK;
	for (i = 0; p->name[i] && i + 1 < sizeof(n->last_lc); i++)
		n->last_lc[i] = (char)((p->name[i] >= 'A' && p->name[i] <= 'Z') ? p->name[i] + 32 : p->name[i]);
	n->last_lc[i] = '\0';
	return json_array_append_new(n->names, json_string(p->name)) == 0 ? C_OK : C_ERR;
}

static int list_inline(struct call *c, const char *kind)
{
	struct names_ctx n = {.limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	char after[130];
	struct owner o;

	if (load_owner(c, kind, &o) != C_OK || iam_marker_read(c, after, sizeof(after)) != C_OK)
		return C_ERR;
	n.names = json_array();
	json_object_set_new(c->out, "PolicyNames", n.names);
	if (store_inline_list(c->tx, o.id, false, after[0] ? after : NULL, n.limit + 1, add_name, &n) < 0)
		return C_ERR;
	return iam_marker_write(c, n.seen > n.limit, n.last_lc);
}

static int delete_inline(struct call *c, const char *kind)
{
	const char *name = call_str(c, "PolicyName");
	struct owner o;
	int rc;

	if (load_owner(c, kind, &o) != C_OK)
		return C_ERR;
	rc = store_inline_delete(c->tx, o.id, name);
	if (rc == STORE_NOT_FOUND)
		return no_such_inline(c, kind, name);
	return rc == C_OK ? C_OK : C_ERR;
}

static int put_user_policy(struct call *c) { return put_inline(c, "user"); }
static int get_user_policy(struct call *c) { return get_inline(c, "user"); }
static int list_user_policies(struct call *c) { return list_inline(c, "user"); }
static int delete_user_policy(struct call *c) { return delete_inline(c, "user"); }
static int put_group_policy(struct call *c) { return put_inline(c, "group"); }
static int get_group_policy(struct call *c) { return get_inline(c, "group"); }
static int list_group_policies(struct call *c) { return list_inline(c, "group"); }
static int delete_group_policy(struct call *c) { return delete_inline(c, "group"); }
static int put_role_policy(struct call *c) { return put_inline(c, "role"); }
static int get_role_policy(struct call *c) { return get_inline(c, "role"); }
static int list_role_policies(struct call *c) { return list_inline(c, "role"); }
static int delete_role_policy(struct call *c) { return delete_inline(c, "role"); }

static int add_inline_detail(void *ctx, const struct store_inline_policy *p)
{
	json_t *arr = ctx, *o = json_pack("{s:s}", "PolicyName", p->name);

	if (!o || iam_set_document(o, "PolicyDocument", p->document) != C_OK ||
	    json_array_append_new(arr, o) != 0) {
		json_decref(o);
		return C_ERR;
	}
	return C_OK;
}

int iam_inline_policies_json(struct call *c, const char *owner_id, json_t *arr)
{
	return store_inline_list(c->tx, owner_id, true, NULL, 100000, add_inline_detail, arr) >= 0 ? C_OK : C_ERR;
}

/* ---- managed policies ---------------------------------------------------------------------------------------- */

static int create_policy(struct call *c)
{
	const char *name = call_str(c, "PolicyName"), *path = call_str(c, "Path"), *doc = call_str(c, "PolicyDocument");
	const char *description = call_str(c, "Description");
	json_t *tags = json_object_get(c->in, "Tags"), *pol;
	struct store_managed_policy p;
	int rc;

	if (iam_policy_validate(c, doc, POLICY_IDENTITY) != C_OK)
		return C_ERR;
	if (iam_policy_size(doc) > MANAGED_POLICY_SIZE_MAX)
		return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for PolicySize: %d",
		                   MANAGED_POLICY_SIZE_MAX);
	if (iam_check_tags(c, tags, NULL, "TagsPerPolicy") != C_OK)
		return C_ERR;
	memset(&p, 0, sizeof(p));
	id_unique("ANPA", p.policy_id);
	snprintf(p.account_id, sizeof(p.account_id), "%s", c->caller.account_id);
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.path, sizeof(p.path), "%s", path ? path : "/");
	snprintf(p.description, sizeof(p.description), "%s", description ? description : "");
	if (arn_policy(p.arn, sizeof(p.arn), p.account_id, p.path, p.name) != C_OK)
		return C_ERR;
	p.created_ms = p.updated_ms = c->now_ms;
	p.default_version = 1;
	p.next_version = 2;
	rc = store_managed_create(c->tx, &p, doc);
	if (rc == STORE_EXISTS)
		return aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS,
		                   "A policy called %s already exists. Duplicate names are not allowed.", name);
	if (rc != C_OK || iam_quota_check_after_insert(c, IAM_QUOTA_POLICIES, STORE_COUNT_POLICIES) != C_OK ||
	    (tags && iam_put_tags(c, p.policy_id, tags) != C_OK))
		return C_ERR;
	if (!(pol = iam_policy_json(c, &p, IAM_POLICY_CREATED)))
		return C_ERR;
	json_object_set_new(c->out, "Policy", pol);
	return C_OK;
}

static int get_policy(struct call *c)
{
	struct store_managed_policy p;
	json_t *pol;

	if (iam_load_policy(c, call_str(c, "PolicyArn"), &p) != C_OK || !(pol = iam_policy_json(c, &p, IAM_POLICY_GOT)))
		return C_ERR;
	json_object_set_new(c->out, "Policy", pol);
	return C_OK;
}

struct policy_list {
	struct call *c;
	json_t *arr;
	int limit, seen;
	char last[IAM_NAME_MAX * 2 + IAM_ID_MAX + 4];
};

static int list_policy_one(void *ctx, const struct store_managed_policy *p)
{
	struct policy_list *l = ctx;
	json_t *j;
	size_t i;

	if (l->seen++ >= l->limit)
		return C_OK;
	if (!(j = iam_policy_json(l->c, p, IAM_POLICY_LISTED)) || json_array_append_new(l->arr, j) != 0)
		return C_ERR;
	/* the key the store orders by: "name_lc POLICY_ID" */
	for (i = 0; p->name[i] && i + 1 < sizeof(l->last); i++)
		l->last[i] = (char)((p->name[i] >= 'A' && p->name[i] <= 'Z') ? p->name[i] + 32 : p->name[i]);
	snprintf(l->last + i, sizeof(l->last) - i, " %s", p->policy_id);
	return C_OK;
}

static int list_policies(struct call *c)
{
	struct policy_list l = {.c = c, .limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	char after[sizeof(l.last)];
	const char *scope = call_str(c, "Scope");
	bool only = json_is_true(json_object_get(c->in, "OnlyAttached"));

	if (iam_marker_read(c, after, sizeof(after)) != C_OK)
		return C_ERR;
	l.arr = json_array();
	json_object_set_new(c->out, "Policies", l.arr);
	if (store_managed_list_ex(c->tx, c->caller.account_id, scope ? scope : "All", only,
	                          call_str(c, "PolicyUsageFilter"), call_str(c, "PathPrefix"), after[0] ? after : NULL,
	                          l.limit + 1, list_policy_one, &l) < 0)
		return C_ERR;
	return iam_marker_write(c, l.seen > l.limit, l.last);
}

static int count_version(void *ctx, const struct store_policy_version *v)
{
	(void)v;
	(*(int *)ctx)++;
	return C_OK;
}

static int delete_policy(struct call *c)
{
	struct store_managed_policy p;
	int64_t boundaries = 0;
	int versions = 0;

	if (load_own_policy(c, call_str(c, "PolicyArn"), &p) != C_OK)
		return C_ERR;
	if (store_boundary_count(c->tx, p.account_id, p.arn, &boundaries) != C_OK)
		return C_ERR;
	if (p.attachment_count > 0 || boundaries > 0)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete a policy attached to entities.");
	if (store_managed_list_versions(c->tx, p.policy_id, count_version, &versions) < 0)
		return C_ERR;
	if (versions > 1)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT,
		                   "This policy has more than one version. Before you delete a policy, you must delete the "
		                   "policy's versions. The default version is deleted with the policy.");
	if (store_tag_delete_all(c->tx, p.policy_id) != C_OK || store_managed_delete(c->tx, p.policy_id) != C_OK)
		return C_ERR;
	return C_OK;
}

static json_t *version_json(const struct store_policy_version *v, bool with_document)
{
	char id[32];
	json_t *o;

	snprintf(id, sizeof(id), "v%lld", (long long)v->version);
	o = json_pack("{s:s, s:b, s:I}", "VersionId", id, "IsDefaultVersion", v->is_default, "CreateDate",
	              (json_int_t)(v->created_ms / 1000));
	if (o && with_document && iam_set_document(o, "Document", v->document) != C_OK) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int create_policy_version(struct call *c)
{
	const char *doc = call_str(c, "PolicyDocument");
	bool set_default = json_is_true(json_object_get(c->in, "SetAsDefault"));
	struct store_managed_policy p;
	struct store_policy_version v;
	int versions = 0;
	int64_t n = 0;
	json_t *j;

	if (load_own_policy(c, call_str(c, "PolicyArn"), &p) != C_OK)
		return C_ERR;
	if (iam_policy_validate(c, doc, POLICY_IDENTITY) != C_OK)
		return C_ERR;
	if (iam_policy_size(doc) > MANAGED_POLICY_SIZE_MAX)
		return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for PolicySize: %d",
		                   MANAGED_POLICY_SIZE_MAX);
	if (store_managed_list_versions(c->tx, p.policy_id, count_version, &versions) < 0)
		return C_ERR;
	if (versions >= IAM_POLICY_VERSIONS_MAX)
		return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED,
		                   "A managed policy can have up to %d versions. Before you create a new version, you must "
		                   "delete an existing version.",
		                   IAM_POLICY_VERSIONS_MAX);
	if (store_managed_add_version(c->tx, p.policy_id, doc, set_default, c->now_ms, &n) != C_OK)
		return C_ERR;
	v.version = n;
	v.document = NULL;
	v.created_ms = c->now_ms;
	v.is_default = set_default;
	if (!(j = version_json(&v, false)))
		return C_ERR;
	json_object_set_new(c->out, "PolicyVersion", j);
	return C_OK;
}

static int no_such_version(struct call *c, const char *arn, const char *id)
{
	return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "Policy %s version %s does not exist or is not attachable.", arn,
	                   id);
}

static int get_policy_version(struct call *c)
{
	const char *arn = call_str(c, "PolicyArn"), *id = call_str(c, "VersionId");
	struct store_managed_policy p;
	struct store_policy_version v;
	int64_t n = iam_version_number(id);
	json_t *j;
	int rc;

	if (iam_load_policy(c, arn, &p) != C_OK)
		return C_ERR;
	rc = n ? store_managed_get_version(c->tx, p.policy_id, n, &v) : STORE_NOT_FOUND;
	if (rc == STORE_NOT_FOUND)
		return no_such_version(c, arn, id);
	if (rc != C_OK)
		return C_ERR;
	j = version_json(&v, true);
	store_policy_version_clear(&v);
	if (!j)
		return C_ERR;
	json_object_set_new(c->out, "PolicyVersion", j);
	return C_OK;
}

static int add_version(void *ctx, const struct store_policy_version *v)
{
	json_t *arr = ctx, *j = version_json(v, false);

	return j && json_array_append_new(arr, j) == 0 ? C_OK : C_ERR;
}

/* Appends every version (with its document) to arr: GetAccountAuthorizationDetails' PolicyVersionList. */
static int add_version_doc(void *ctx, const struct store_policy_version *v)
{
	json_t *arr = ctx, *j = version_json(v, true);

	return j && json_array_append_new(arr, j) == 0 ? C_OK : C_ERR;
}

int iam_policy_versions_json(struct call *c, const char *policy_id, json_t *arr)
{
	return store_managed_list_versions(c->tx, policy_id, add_version_doc, arr) >= 0 ? C_OK : C_ERR;
}

/* Cuts page [skip, skip + max) out of the array all (consumed) into c->out[member], with the marker. */
static int page_out(struct call *c, const char *member, json_t *all, size_t skip)
{
	size_t max = (size_t)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS), total = json_array_size(all);
	json_t *page = json_array();
	char next[32];

	for (size_t i = skip; i < total && i < skip + max; i++)
		json_array_append(page, json_array_get(all, i));
	json_decref(all);
	json_object_set_new(c->out, member, page);
	snprintf(next, sizeof(next), "%zu", skip + max);
	return iam_marker_write(c, total > skip + max, next);
}

/* Reads an offset marker. */
static int offset_marker(struct call *c, size_t *skip)
{
	char pos[32];

	if (iam_marker_read(c, pos, sizeof(pos)) != C_OK)
		return C_ERR;
	*skip = pos[0] ? strtoul(pos, NULL, 10) : 0;
	return C_OK;
}

static int list_policy_versions(struct call *c)
{
	struct store_managed_policy p;
	json_t *all;
	size_t skip;

	if (iam_load_policy(c, call_str(c, "PolicyArn"), &p) != C_OK || offset_marker(c, &skip) != C_OK)
		return C_ERR;
	if (!(all = json_array()))
		return C_ERR;
	if (store_managed_list_versions(c->tx, p.policy_id, add_version, all) < 0) {
		json_decref(all);
		return C_ERR;
	}
	return page_out(c, "Versions", all, skip);
}

static int delete_policy_version(struct call *c)
{
	const char *arn = call_str(c, "PolicyArn"), *id = call_str(c, "VersionId");
	struct store_managed_policy p;
	int64_t n = iam_version_number(id);
	int rc;

	if (load_own_policy(c, arn, &p) != C_OK)
		return C_ERR;
	if (n && n == p.default_version)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete the default version of a policy.");
	rc = n ? store_managed_delete_version(c->tx, p.policy_id, n) : STORE_NOT_FOUND;
	if (rc == STORE_NOT_FOUND)
		return no_such_version(c, arn, id);
	return rc == C_OK ? C_OK : C_ERR;
}

static int set_default_policy_version(struct call *c)
{
	const char *arn = call_str(c, "PolicyArn"), *id = call_str(c, "VersionId");
	struct store_managed_policy p;
	int64_t n = iam_version_number(id);
	int rc;

	if (load_own_policy(c, arn, &p) != C_OK)
		return C_ERR;
	rc = n ? store_managed_set_default(c->tx, p.policy_id, n, c->now_ms) : STORE_NOT_FOUND;
	if (rc == STORE_NOT_FOUND)
		return no_such_version(c, arn, id);
	return rc == C_OK ? C_OK : C_ERR;
}

static int tag_policy(struct call *c)
{
	struct store_managed_policy p;
	json_t *tags = json_object_get(c->in, "Tags");

	if (load_own_policy(c, call_str(c, "PolicyArn"), &p) != C_OK ||
	    iam_check_tags(c, tags, p.policy_id, "TagsPerPolicy") != C_OK)
		return C_ERR;
	return iam_put_tags(c, p.policy_id, tags);
}

static int untag_policy(struct call *c)
{
	struct store_managed_policy p;

	if (load_own_policy(c, call_str(c, "PolicyArn"), &p) != C_OK)
		return C_ERR;
	return iam_untag(c, p.policy_id);
}

static int list_policy_tags(struct call *c)
{
	struct store_managed_policy p;
	json_t *all;
	size_t skip;

	if (iam_load_policy(c, call_str(c, "PolicyArn"), &p) != C_OK || offset_marker(c, &skip) != C_OK)
		return C_ERR;
	if (!(all = json_array()))
		return C_ERR;
	if (iam_tags_json(c, p.policy_id, 0, TAGS_PER_POLICY, all) != C_OK) {
		json_decref(all);
		return C_ERR;
	}
	return page_out(c, "Tags", all, skip);
}

/* ---- ListEntitiesForPolicy ----------------------------------------------------------------------------------- */

struct entities {
	struct call *c;
	const char *path_prefix;
	json_t *groups, *users, *roles; /* each entry also carries "_id" to drop duplicates, removed at the end */
};

static bool already_listed(json_t *arr, const char *id)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "_id")), id) == 0)
			return true;
	}
	return false;
}

static bool path_ok(const struct entities *e, const char *path)
{
	return !e->path_prefix || strncmp(path, e->path_prefix, strlen(e->path_prefix)) == 0;
}

static int add_entity(void *ctx, const struct store_attachment *a)
{
	struct entities *e = ctx;
	json_t *j = NULL, *arr;
	int rc;

	if (strcmp(a->entity_type, "user") == 0) {
		struct store_user u;
		arr = e->users;
		if ((rc = store_user_get_by_id(e->c->tx, a->entity_id, &u)) == STORE_NOT_FOUND)
			return C_OK;
		if (rc != C_OK)
			return C_ERR;
		if (path_ok(e, u.path) && !already_listed(arr, u.user_id))
			j = json_pack("{s:s, s:s, s:s}", "UserName", u.name, "UserId", u.user_id, "_id", u.user_id);
	} else if (strcmp(a->entity_type, "group") == 0) {
		struct store_group g;
		arr = e->groups;
		if ((rc = store_group_get_by_id(e->c->tx, a->entity_id, &g)) == STORE_NOT_FOUND)
			return C_OK;
		if (rc != C_OK)
			return C_ERR;
		if (path_ok(e, g.path) && !already_listed(arr, g.group_id))
			j = json_pack("{s:s, s:s, s:s}", "GroupName", g.name, "GroupId", g.group_id, "_id", g.group_id);
	} else {
		struct store_role r;
		arr = e->roles;
		if ((rc = store_role_get_by_id(e->c->tx, a->entity_id, &r)) == STORE_NOT_FOUND)
			return C_OK;
		if (rc != C_OK)
			return C_ERR;
		if (path_ok(e, r.path) && !already_listed(arr, r.role_id))
			j = json_pack("{s:s, s:s, s:s}", "RoleName", r.name, "RoleId", r.role_id, "_id", r.role_id);
		store_role_clear(&r);
	}
	if (j && json_array_append_new(arr, j) != 0)
		return C_ERR;
	return C_OK;
}

static int list_entities_for_policy(struct call *c)
{
	const char *filter = call_str(c, "EntityFilter"), *usage = call_str(c, "PolicyUsageFilter");
	struct store_managed_policy p;
	struct entities e = {.c = c, .path_prefix = call_str(c, "PathPrefix")};
	const char *type = NULL;
	size_t skip, max = (size_t)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS), pos = 0;
	json_t *lists[3], *out[3];
	const char *names[3] = {"PolicyGroups", "PolicyUsers", "PolicyRoles"};
	char next[32];
	int rc = C_ERR;

	if (iam_load_policy(c, call_str(c, "PolicyArn"), &p) != C_OK || offset_marker(c, &skip) != C_OK)
		return C_ERR;
	if (filter && strcmp(filter, "User") == 0)
		type = "user";
	else if (filter && strcmp(filter, "Group") == 0)
		type = "group";
	else if (filter && strcmp(filter, "Role") == 0)
		type = "role";
	e.groups = json_array();
	e.users = json_array();
	e.roles = json_array();
	if (!e.groups || !e.users || !e.roles)
		goto done;
	/* LocalManagedPolicy / AWSManagedPolicy name no user, group or role: nothing to list. */
	if (!filter || type) {
		if ((!usage || strcmp(usage, "PermissionsPolicy") == 0) &&
		    store_attachments_of_policy_in(c->tx, c->caller.account_id, p.arn, type, add_entity, &e) < 0)
			goto done;
		if ((!usage || strcmp(usage, "PermissionsBoundary") == 0) && (!type || strcmp(type, "group") != 0) &&
		    store_boundary_entities(c->tx, c->caller.account_id, p.arn, add_entity, &e) < 0)
			goto done;
	}
	lists[0] = e.groups;
	lists[1] = e.users;
	lists[2] = e.roles;
	/* One page across the three lists, in that order. */
	for (int l = 0; l < 3; l++) {
		size_t i;
		json_t *item;
		out[l] = json_array();
		json_array_foreach(lists[l], i, item)
		{
			if (pos >= skip && pos < skip + max) {
				json_object_del(item, "_id");
				json_array_append(out[l], item);
			}
			pos++;
		}
		json_object_set_new(c->out, names[l], out[l]);
	}
	snprintf(next, sizeof(next), "%zu", skip + max);
	rc = iam_marker_write(c, pos > skip + max, next);
done:
	json_decref(e.groups);
	json_decref(e.users);
	json_decref(e.roles);
	return rc;
}

/* ---- attachments --------------------------------------------------------------------------------------------- */

static int attach(struct call *c, const char *kind)
{
	const char *arn = call_str(c, "PolicyArn");
	struct store_managed_policy p;
	struct owner o;
	int64_t n = 0;
	int rc;

	if (load_owner(c, kind, &o) != C_OK || load_attachable(c, arn, &p) != C_OK)
		return C_ERR;
	if (store_attachment_count(c->tx, o.id, &n) != C_OK)
		return C_ERR;
	rc = store_attach(c->tx, c->caller.account_id, kind, o.id, p.arn, c->now_ms);
	if (rc == STORE_EXISTS)
		return C_OK; /* attaching twice changes nothing, as on AWS */
	if (rc != C_OK)
		return C_ERR;
	/* A new attachment past the quota is refused (and its insert rolled back with the transaction). */
	if (n + 1 > iam_quota(c, o.quota))
		return iam_quota_refuse(c, o.quota);
	return C_OK;
}

static int detach(struct call *c, const char *kind)
{
	const char *arn = call_str(c, "PolicyArn");
	struct owner o;
	int rc;

	if (load_owner(c, kind, &o) != C_OK)
		return C_ERR;
	if (!policy_arn_shape(arn))
		return aws_err_set(&c->err, ERR_INVALID_INPUT, "ARN %s is not valid.", arn);
	rc = store_detach(c->tx, o.id, arn);
	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "Policy %s was not found.", arn);
	return rc == C_OK ? C_OK : C_ERR;
}

struct attached {
	json_t *arr;
	const char *path_prefix;
};

static int add_attached(void *ctx, const struct store_attachment *a)
{
	struct attached *at = ctx;
	char name[256], path[IAM_PATH_MAX + 1];
	json_t *j;

	policy_name_path(a->policy_arn, name, sizeof(name), path, sizeof(path));
	if (at->path_prefix && strncmp(path, at->path_prefix, strlen(at->path_prefix)) != 0)
		return C_OK;
	j = json_pack("{s:s, s:s}", "PolicyName", name, "PolicyArn", a->policy_arn);
	return j && json_array_append_new(at->arr, j) == 0 ? C_OK : C_ERR;
}

int iam_attached_policies_json(struct call *c, const char *entity_id, json_t *arr)
{
	struct attached at = {.arr = arr, .path_prefix = NULL};

	return store_attachments_of_entity(c->tx, entity_id, add_attached, &at) >= 0 ? C_OK : C_ERR;
}

static int list_attached(struct call *c, const char *kind)
{
	struct attached at = {.path_prefix = call_str(c, "PathPrefix")};
	struct owner o;
	size_t skip;

	if (load_owner(c, kind, &o) != C_OK || offset_marker(c, &skip) != C_OK)
		return C_ERR;
	if (!(at.arr = json_array()))
		return C_ERR;
	if (store_attachments_of_entity(c->tx, o.id, add_attached, &at) < 0) {
		json_decref(at.arr);
		return C_ERR;
	}
	return page_out(c, "AttachedPolicies", at.arr, skip);
}

static int attach_user_policy(struct call *c) { return attach(c, "user"); }
static int detach_user_policy(struct call *c) { return detach(c, "user"); }
static int list_attached_user_policies(struct call *c) { return list_attached(c, "user"); }
static int attach_group_policy(struct call *c) { return attach(c, "group"); }
static int detach_group_policy(struct call *c) { return detach(c, "group"); }
static int list_attached_group_policies(struct call *c) { return list_attached(c, "group"); }
static int attach_role_policy(struct call *c) { return attach(c, "role"); }
static int detach_role_policy(struct call *c) { return detach(c, "role"); }
static int list_attached_role_policies(struct call *c) { return list_attached(c, "role"); }

/* ---- permissions boundaries ---------------------------------------------------------------------------------- */

static int put_user_boundary(struct call *c)
{
	const char *arn = call_str(c, "PermissionsBoundary");
	struct store_user u;

	if (iam_load_user(c, call_str(c, "UserName"), &u) != C_OK || iam_check_boundary(c, arn) != C_OK)
		return C_ERR;
	return store_user_set_boundary(c->tx, u.user_id, arn) == C_OK ? C_OK : C_ERR;
}

static int delete_user_boundary(struct call *c)
{
	struct store_user u;

	if (iam_load_user(c, call_str(c, "UserName"), &u) != C_OK)
		return C_ERR;
	return store_user_set_boundary(c->tx, u.user_id, NULL) == C_OK ? C_OK : C_ERR;
}

static int put_role_boundary(struct call *c)
{
	const char *arn = call_str(c, "PermissionsBoundary");
	struct store_role r;
	int rc;

	if (iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	rc = iam_check_boundary(c, arn);
	if (rc == C_OK) {
		snprintf(r.permissions_boundary, sizeof(r.permissions_boundary), "%s", arn);
		rc = store_role_update(c->tx, &r) == C_OK ? C_OK : C_ERR;
	}
	store_role_clear(&r);
	return rc;
}

static int delete_role_boundary(struct call *c)
{
	struct store_role r;
	int rc;

	if (iam_load_role(c, call_str(c, "RoleName"), &r) != C_OK)
		return C_ERR;
	r.permissions_boundary[0] = '\0';
	rc = store_role_update(c->tx, &r) == C_OK ? C_OK : C_ERR;
	store_role_clear(&r);
	return rc;
}

/* ---- DeleteUser's checks ------------------------------------------------------------------------------------- */

int iam_user_delete_conflicts(struct call *c, const struct store_user *u)
{
	int64_t n = 0;

	if (store_inline_count(c->tx, u->user_id, &n) != C_OK)
		return C_ERR;
	if (n > 0)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must delete policies first.");
	if (store_attachment_count(c->tx, u->user_id, &n) != C_OK)
		return C_ERR;
	if (n > 0)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must detach all policies first.");
	if (store_user_group_count(c->tx, u->user_id, &n) != C_OK)
		return C_ERR;
	if (n > 0)
		return aws_err_set(&c->err, ERR_DELETE_CONFLICT, "Cannot delete entity, must remove users from group first.");
	return C_OK;
}

/* ---- the table ----------------------------------------------------------------------------------------------- */

static const struct action actions[] = {
	{"iam", "PutUserPolicy", true, iam_resource_user, put_user_policy},
	{"iam", "GetUserPolicy", false, iam_resource_user, get_user_policy},
	{"iam", "ListUserPolicies", false, iam_resource_user, list_user_policies},
	{"iam", "DeleteUserPolicy", true, iam_resource_user, delete_user_policy},
	{"iam", "PutGroupPolicy", true, iam_resource_group, put_group_policy},
	{"iam", "GetGroupPolicy", false, iam_resource_group, get_group_policy},
	{"iam", "ListGroupPolicies", false, iam_resource_group, list_group_policies},
	{"iam", "DeleteGroupPolicy", true, iam_resource_group, delete_group_policy},
	{"iam", "PutRolePolicy", true, iam_resource_role, put_role_policy},
	{"iam", "GetRolePolicy", false, iam_resource_role, get_role_policy},
	{"iam", "ListRolePolicies", false, iam_resource_role, list_role_policies},
	{"iam", "DeleteRolePolicy", true, iam_resource_role, delete_role_policy},
	{"iam", "CreatePolicy", true, resource_new_policy, create_policy},
	{"iam", "GetPolicy", false, resource_policy_arn, get_policy},
	{"iam", "ListPolicies", false, resource_policies, list_policies},
	{"iam", "DeletePolicy", true, resource_policy_arn, delete_policy},
	{"iam", "CreatePolicyVersion", true, resource_policy_arn, create_policy_version},
	{"iam", "GetPolicyVersion", false, resource_policy_arn, get_policy_version},
	{"iam", "ListPolicyVersions", false, resource_policy_arn, list_policy_versions},
	{"iam", "DeletePolicyVersion", true, resource_policy_arn, delete_policy_version},
	{"iam", "SetDefaultPolicyVersion", true, resource_policy_arn, set_default_policy_version},
	{"iam", "TagPolicy", true, resource_policy_arn, tag_policy},
	{"iam", "UntagPolicy", true, resource_policy_arn, untag_policy},
	{"iam", "ListPolicyTags", false, resource_policy_arn, list_policy_tags},
	{"iam", "ListEntitiesForPolicy", false, resource_policy_arn, list_entities_for_policy},
	{"iam", "AttachUserPolicy", true, iam_resource_user, attach_user_policy},
	{"iam", "DetachUserPolicy", true, iam_resource_user, detach_user_policy},
	{"iam", "ListAttachedUserPolicies", false, iam_resource_user, list_attached_user_policies},
	{"iam", "AttachGroupPolicy", true, iam_resource_group, attach_group_policy},
	{"iam", "DetachGroupPolicy", true, iam_resource_group, detach_group_policy},
	{"iam", "ListAttachedGroupPolicies", false, iam_resource_group, list_attached_group_policies},
	{"iam", "AttachRolePolicy", true, iam_resource_role, attach_role_policy},
	{"iam", "DetachRolePolicy", true, iam_resource_role, detach_role_policy},
	{"iam", "ListAttachedRolePolicies", false, iam_resource_role, list_attached_role_policies},
	{"iam", "PutUserPermissionsBoundary", true, iam_resource_user, put_user_boundary},
	{"iam", "DeleteUserPermissionsBoundary", true, iam_resource_user, delete_user_boundary},
	{"iam", "PutRolePermissionsBoundary", true, iam_resource_role, put_role_boundary},
	{"iam", "DeleteRolePermissionsBoundary", true, iam_resource_role, delete_role_boundary},
};

ACTION_TABLE(iam_policy_actions, actions);
