/*
 * api.c - the organization read over the AWS API into a temporary store (api.h).
 *
 * Reads top to bottom (reach_api_load): credentials -> the caller is the management account -> Organizations (the
 * organization, its root, OUs, accounts, SCPs and their targets) -> for each account its IAM (its own credentials
 * for the management account, an AssumeRole session for each member) -> a temporary store built with the store's
 * own functions (accounts, organization) and the IAM API's own actions (import_authz.c).
 *
 * Transport: sts_client.c's signed libcurl requests (sts_client_raw); IAM's XML answers are read with its bounded XML
 * reader into the form keys of the query protocol ("UserDetailList.member.1.UserName") and decoded by the IAM model's
 * output shape (query_decode), so the tree is the one the server's handler filled.
 */
#include "analyze/api.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aws/model.h"
#include "aws/query.h"
#include "aws/sigv4.h"
#include "cli/broker.h"
#include "cli/sts_client.h"
#include "iam/effective.h"
#include "orgcode/import_authz.h"
#include "orgcode/session.h"
#include "store/orgs.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"

#define ANSWER_MAX (64u * 1024 * 1024) /* one page of GetAccountAuthorizationDetails, with every document */
#define DOC_TEXT_MAX (512u * 1024)     /* one XML text: a URL-encoded policy document */
#define KEY_MAX 1024
#define DEPTH_MAX 17
#define ORGS_TARGET "AWSOrganizationsV20161128."
#define IAM_VERSION "2010-05-08"
#define VERB "rolegate analyze reach"

/* The three services' clients and the caller's credentials. */
struct api {
	struct sts_client iam, orgs, sts;
	struct broker_result who; /* the caller's credentials (secrets: broker_result_clear) */
	struct sigv4_credentials creds;
};

/* ---- calls ----------------------------------------------------------------------------------------------------- */

/* One Organizations call (JSON protocol) as creds; *out the answer. C_ERR said on stderr. */
static int orgs_call(struct api *a, const char *op, json_t *in, json_t **out)
{
	char target[128], *body = json_dumps(in, JSON_COMPACT);
	struct sts_raw_request rq = {.service = "organizations", .target = target, .body = body};
	struct sts_error err;
	struct buf ans;
	long status = 0;
	json_t *doc = NULL;
	int rc = C_ERR;

	*out = NULL;
	snprintf(target, sizeof(target), ORGS_TARGET "%s", op);
	buf_init(&ans, ANSWER_MAX);
	if (!body) {
		fprintf(stderr, VERB ": organizations:%s: out of memory\n", op);
		goto done;
	}
	rq.len = strlen(body);
	if (sts_client_raw(&a->orgs, &a->creds, &rq, &status, &ans, &err) != C_OK) {
		fprintf(stderr, VERB ": organizations:%s: %s\n", op, err.text);
		goto done;
	}
	doc = ans.len ? json_loadb(buf_str(&ans), ans.len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (status == 200 && json_is_object(doc)) {
		*out = json_incref(doc);
		rc = C_OK;
	} else {
		const char *type = json_string_value(json_object_get(doc, "__type"));
		const char *msg = json_string_value(json_object_get(doc, "message"));
		if (!msg)
			msg = json_string_value(json_object_get(doc, "Message"));
		if (type && strchr(type, '#'))
			type = strchr(type, '#') + 1;
		fprintf(stderr, VERB ": organizations:%s: %s: %s (HTTP %ld)\n", op, type ? type : "an unreadable answer",
		        msg ? msg : "", status);
	}
done:
	json_decref(doc);
	free(body);
	buf_free_secret(&ans);
	return rc;
}

/* Every item of member across the pages of an Organizations list (NextToken). in is borrowed. NULL on error. */
static json_t *orgs_list(struct api *a, const char *op, json_t *in, const char *member)
{
	json_t *all = json_array(), *req = in ? json_deep_copy(in) : json_object(), *out = NULL;

	for (int page = 0; all && req && page < 100000; page++) {
		json_t *next;
		if (orgs_call(a, op, req, &out) != C_OK || json_array_extend(all, json_object_get(out, member)) != 0)
			break;
		if (!json_is_string(next = json_object_get(out, "NextToken"))) {
			json_decref(out);
			json_decref(req);
			return all;
		}
		json_object_set(req, "NextToken", next);
		json_decref(out);
		out = NULL;
	}
	json_decref(out);
	json_decref(req);
	json_decref(all);
	return NULL;
}

/* An IAM XML answer being turned into query-protocol form keys. */
struct x2f {
	struct form f;
	char key[KEY_MAX];
	size_t klen[DEPTH_MAX + 1];
	int members[DEPTH_MAX + 2];
	const char *result; /* "GetAccountAuthorizationDetailsResult" */
	bool in_result, bad;
	char code[128], message[1024];
};

static int x2f_open(void *ctx, int depth, const char *name)
{
	struct x2f *x = ctx;
	size_t base;
	int n;

	if (depth > DEPTH_MAX)
		return C_ERR;
	x->members[depth + 1] = 0;
	if (depth <= 2) {
		if (depth == 2)
			x->in_result = strcmp(name, x->result) == 0;
		x->klen[depth] = 0;
		x->key[0] = '\0';
		return C_OK;
	}
	base = x->klen[depth - 1];
	if (strcmp(name, "member") == 0)
		n = snprintf(x->key + base, sizeof(x->key) - base, "%smember.%d", base ? "." : "", ++x->members[depth]);
	else
		n = snprintf(x->key + base, sizeof(x->key) - base, "%s%s", base ? "." : "", name);
	if (n < 0 || (size_t)n >= sizeof(x->key) - base)
		return C_ERR;
	x->klen[depth] = base + (size_t)n;
	return C_OK;
}

static int x2f_leaf(void *ctx, const char *path, const char *text, size_t len)
{
	struct x2f *x = ctx;
	struct form_pair *p;

	if (strcmp(path, "ErrorResponse/Error/Code") == 0)
		snprintf(x->code, sizeof(x->code), "%.*s", (int)len, text);
	else if (strcmp(path, "ErrorResponse/Error/Message") == 0)
		snprintf(x->message, sizeof(x->message), "%.*s", (int)len, text);
	if (!x->in_result || !x->key[0])
		return C_OK;
	if (x->f.n == x->f.cap) {
		size_t cap = x->f.cap ? x->f.cap * 2 : 256;
		if (!(p = realloc(x->f.pairs, cap * sizeof(*p))))
			return C_ERR;
		x->f.pairs = p;
		x->f.cap = cap;
	}
	p = &x->f.pairs[x->f.n];
	if (!(p->key = strdup(x->key)) || !(p->value = strndup(text, len))) {
		free(p->key);
		return C_ERR;
	}
	p->value_len = len;
	x->f.n++;
	return C_OK;
}

/* One IAM call (query protocol): params the form after Action and Version (already URL-encoded, "" for none).
 * who names the account for messages. *out the result tree, as the server's handler fills it. */
static int iam_call(struct api *a, const struct sigv4_credentials *creds, const char *who, const char *op,
                    const char *params, json_t **out)
{
	const struct operation *o = model_operation(&model_iam, op);
	struct x2f x;
	struct buf body, ans;
	struct sts_raw_request rq = {.service = "iam"};
	struct sts_error err;
	struct aws_err aerr;
	char root[STS_XML_MAX_NAME + 1], result[160];
	long status = 0;
	int rc = C_ERR;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	form_init(&x.f);
	snprintf(result, sizeof(result), "%sResult", op);
	x.result = result;
	buf_init(&body, 64 * 1024);
	buf_init(&ans, ANSWER_MAX);
	if (!o || buf_printf(&body, "Action=%s&Version=" IAM_VERSION "%s%s", op, params[0] ? "&" : "", params) != C_OK) {
		fprintf(stderr, VERB ": iam:%s in %s: the request could not be made\n", op, who);
		goto done;
	}
	rq.body = buf_str(&body);
	rq.len = body.len;
	if (sts_client_raw(&a->iam, creds, &rq, &status, &ans, &err) != C_OK) {
		fprintf(stderr, VERB ": iam:%s in %s: %s\n", op, who, err.text);
		goto done;
	}
	if (sts_xml_walk(buf_str(&ans), ans.len, DOC_TEXT_MAX, x2f_open, x2f_leaf, &x, root) != C_OK) {
		fprintf(stderr, VERB ": iam:%s in %s: an answer that is not IAM's XML (HTTP %ld)\n", op, who, status);
		goto done;
	}
	if (status != 200 || x.code[0]) {
		fprintf(stderr, VERB ": iam:%s in %s: %s: %s (HTTP %ld)\n", op, who, x.code[0] ? x.code : "an error",
		        x.message, status);
		goto done;
	}
	if (form_finish(&x.f, &aerr) != C_OK || query_decode(&model_iam, o->output, &x.f, out, &aerr) != C_OK) {
		fprintf(stderr, VERB ": iam:%s in %s: the answer does not match IAM's model: %s\n", op, who, aerr.message);
		goto done;
	}
	rc = C_OK;
done:
	form_free(&x.f);
	buf_free(&body);
	buf_free_secret(&ans);
	return rc;
}

/* Every page of an IAM list call (Marker/IsTruncated): the members of each list in lists[] gathered into one
 * object. NULL on error. */
static json_t *iam_all(struct api *a, const struct sigv4_credentials *creds, const char *who, const char *op,
                       const char *const *lists, size_t nlists)
{
	json_t *all = json_object(), *out = NULL;
	struct buf params, enc;

	buf_init(&params, 8192);
	buf_init(&enc, 8192);
	for (size_t i = 0; all && i < nlists; i++)
		json_object_set_new(all, lists[i], json_array());
	for (int page = 0; all && page < 100000; page++) {
		json_t *marker;
		if (iam_call(a, creds, who, op, buf_str(&params), &out) != C_OK)
			break;
		for (size_t i = 0; i < nlists; i++)
			json_array_extend(json_object_get(all, lists[i]), json_object_get(out, lists[i]));
		marker = json_object_get(out, "Marker");
		if (!json_is_true(json_object_get(out, "IsTruncated")) || !json_is_string(marker)) {
			json_decref(out);
			buf_free(&params);
			buf_free(&enc);
			return all;
		}
		buf_reset(&params);
		buf_reset(&enc);
		if (sigv4_uri_encode(&enc, json_string_value(marker), strlen(json_string_value(marker)), false) != C_OK ||
		    buf_printf(&params, "MaxItems=100&Marker=%s", buf_str(&enc)) != C_OK)
			break;
		json_decref(out);
		out = NULL;
	}
	json_decref(out);
	json_decref(all);
	buf_free(&params);
	buf_free(&enc);
	return NULL;
}

/* An account's IAM: GetAccountAuthorizationDetails (every page), each role given its MaxSessionDuration (ListRoles). */
static json_t *account_iam(struct api *a, const struct sigv4_credentials *creds, const char *account)
{
	static const char *const details[] = {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"};
	static const char *const roles[] = {"Roles"};
	char who[64];
	json_t *d, *r, *o, *x;
	size_t i, j;

	snprintf(who, sizeof(who), "account %s", account);
	if (!(d = iam_all(a, creds, who, "GetAccountAuthorizationDetails", details, ARRAY_LEN(details))))
		return NULL;
	if (!(r = iam_all(a, creds, who, "ListRoles", roles, 1))) {
		json_decref(d);
		return NULL;
	}
	json_array_foreach(json_object_get(d, "RoleDetailList"), i, o)
		json_array_foreach(json_object_get(r, "Roles"), j, x)
			if (json_equal(json_object_get(o, "RoleName"), json_object_get(x, "RoleName")) &&
			    json_object_get(x, "MaxSessionDuration"))
				json_object_set(o, "MaxSessionDuration", json_object_get(x, "MaxSessionDuration"));
	json_decref(r);
	return d;
}

/* ---- credentials ------------------------------------------------------------------------------------------------ */

static int api_open(struct api *a, const struct reach_api_opts *o)
{
	const char *region = o->region, *endpoint = o->endpoint;
	struct sts_client_config iam = {0}, orgs = {0}, sts = {0};
	struct broker_opts bo = {.region = o->region};
	char err[BROKER_ERR_MAX];
	struct sts_error serr;
	const char *akid = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");

	memset(a, 0, sizeof(*a));
	if (!region || !region[0])
		region = getenv("AWS_REGION") && getenv("AWS_REGION")[0] ? getenv("AWS_REGION") : getenv("AWS_DEFAULT_REGION");
	/* botocore's order: the environment's keys before a profile, unless a profile is named */
	if (!o->profile && akid && akid[0] && secret && secret[0]) {
		const char *token = getenv("AWS_SESSION_TOKEN");
		snprintf(a->who.creds.access_key_id, sizeof(a->who.creds.access_key_id), "%s", akid);
		snprintf(a->who.creds.secret_access_key, sizeof(a->who.creds.secret_access_key), "%s", secret);
		snprintf(a->who.creds.session_token, sizeof(a->who.creds.session_token), "%s", token ? token : "");
	} else if (broker_credentials(o->profile, &bo, &a->who, err) != C_OK) {
		fprintf(stderr, VERB ": no credentials: %s\n", err);
		return C_ERR;
	}
	if ((!region || !region[0]) && a->who.region[0])
		region = a->who.region;
	if (!region || !region[0])
		region = "us-east-1";
	/* the endpoint: --endpoint-url, else AWS_ENDPOINT_URL, else the profile's endpoint_url, else AWS's */
	if (!endpoint || !endpoint[0])
		endpoint = getenv("AWS_ENDPOINT_URL");
	if ((!endpoint || !endpoint[0]) && a->who.endpoint_url[0])
		endpoint = a->who.endpoint_url;
	if (endpoint && !endpoint[0])
		endpoint = NULL;
	a->creds = (struct sigv4_credentials){a->who.creds.access_key_id, a->who.creds.secret_access_key,
	                                      a->who.creds.session_token[0] ? a->who.creds.session_token : NULL};
	/* one URL for every service (rolegate), else AWS's: IAM and Organizations are global (us-east-1) */
	iam.endpoint_url = endpoint ? endpoint : "https://iam.amazonaws.com/";
	iam.region = endpoint ? region : "us-east-1";
	orgs.endpoint_url = endpoint ? endpoint : "https://organizations.us-east-1.amazonaws.com/";
	orgs.region = iam.region;
	sts.endpoint_url = endpoint;
	sts.region = region;
	if (sts_client_init(&a->iam, &iam, &serr) != C_OK || sts_client_init(&a->orgs, &orgs, &serr) != C_OK ||
	    sts_client_init(&a->sts, &sts, &serr) != C_OK) {
		fprintf(stderr, VERB ": %s\n", serr.text);
		return C_ERR;
	}
	return C_OK;
}

static void api_close(struct api *a)
{
	sts_client_free(&a->iam);
	sts_client_free(&a->orgs);
	sts_client_free(&a->sts);
	broker_result_clear(&a->who);
	explicit_bzero(&a->creds, sizeof(a->creds));
}

/* ---- the organization ------------------------------------------------------------------------------------------ */

/* What Organizations said, before anything is written. */
struct org_read {
	json_t *org;      /* DescribeOrganization's Organization */
	json_t *root;     /* ListRoots' one root */
	json_t *ous;      /* [{Id, Name, ParentId}] parents first */
	json_t *accounts; /* ListAccounts, each given "ParentId" */
	json_t *policies; /* [{Summary, Content, Targets}] */
};

static void org_read_free(struct org_read *r)
{
	json_decref(r->org);
	json_decref(r->root);
	json_decref(r->ous);
	json_decref(r->accounts);
	json_decref(r->policies);
}

static const char *s_(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* me: the caller (GetCallerIdentity), who must be of the management account. */
static int read_org(struct api *a, struct org_read *r, const struct sts_result *me)
{
	json_t *out = NULL, *roots, *o, *in = json_object();
	size_t i, j;
	int rc = in ? orgs_call(a, "DescribeOrganization", in, &out) : C_ERR;

	json_decref(in);
	if (rc != C_OK)
		return C_ERR;
	r->org = json_incref(json_object_get(out, "Organization"));
	json_decref(out);
	if (!s_(r->org, "MasterAccountId") || strcmp(me->account, s_(r->org, "MasterAccountId")) != 0) {
		fprintf(stderr, VERB ": %s is not a principal of the organization's management account %s\n", me->arn,
		        s_(r->org, "MasterAccountId") ? s_(r->org, "MasterAccountId") : "(none said)");
		return C_ERR;
	}
	if (!(roots = orgs_list(a, "ListRoots", NULL, "Roots")))
		return C_ERR;
	r->root = json_incref(json_array_get(roots, 0));
	json_decref(roots);
	if (!s_(r->org, "Id") || !s_(r->org, "MasterAccountId") || !s_(r->root, "Id")) {
		fprintf(stderr, VERB ": organizations: no organization or no root in the answers\n");
		return C_ERR;
	}
	/* the OU tree, breadth first from the root: parents come before their children */
	r->ous = json_array();
	for (i = 0; i <= json_array_size(r->ous); i++) {
		const char *parent = i == 0 ? s_(r->root, "Id") : s_(json_array_get(r->ous, i - 1), "Id");
		json_t *kids;
		in = json_pack("{s:s}", "ParentId", parent);
		kids = orgs_list(a, "ListOrganizationalUnitsForParent", in, "OrganizationalUnits");
		json_decref(in);
		if (!kids)
			return C_ERR;
		json_array_foreach(kids, j, o)
			json_object_set_new(o, "ParentId", json_string(parent));
		json_array_extend(r->ous, kids);
		json_decref(kids);
		if (json_array_size(r->ous) > 10000)
			return C_ERR;
	}
	if (!(r->accounts = orgs_list(a, "ListAccounts", NULL, "Accounts")))
		return C_ERR;
	json_array_foreach(r->accounts, i, o) {
		json_t *parents;
		in = json_pack("{s:s?}", "ChildId", s_(o, "Id"));
		parents = orgs_list(a, "ListParents", in, "Parents");
		json_decref(in);
		if (!parents || !s_(json_array_get(parents, 0), "Id")) {
			json_decref(parents);
			return C_ERR;
		}
		json_object_set(o, "ParentId", json_object_get(json_array_get(parents, 0), "Id"));
		json_decref(parents);
	}
	r->policies = json_array();
	in = json_pack("{s:s}", "Filter", ORG_SCP);
	roots = orgs_list(a, "ListPolicies", in, "Policies");
	json_decref(in);
	if (!roots)
		return C_ERR;
	json_array_foreach(roots, i, o) {
		json_t *targets, *d = NULL;
		in = json_pack("{s:s?}", "PolicyId", s_(o, "Id"));
		if (orgs_call(a, "DescribePolicy", in, &d) != C_OK ||
		    !(targets = orgs_list(a, "ListTargetsForPolicy", in, "Targets"))) {
			json_decref(in);
			json_decref(d);
			json_decref(roots);
			return C_ERR;
		}
		json_array_append_new(r->policies, json_pack("{s:O, s:O?, s:o}", "Summary", o, "Content",
		                                             json_object_get(json_object_get(d, "Policy"), "Content"),
		                                             "Targets", targets));
		json_decref(in);
		json_decref(d);
	}
	json_decref(roots);
	return C_OK;
}

/* ---- the temporary store --------------------------------------------------------------------------------------- */

static int write_org(struct db_tx *tx, struct org_read *r)
{
	const char *org_id = s_(r->org, "Id"), *root_id = s_(r->root, "Id"), *mgmt = s_(r->org, "MasterAccountId");
	struct store_org org = {0};
	json_t *o, *t;
	size_t i, j;

	json_array_foreach(r->accounts, i, o) {
		struct store_account acc = {.is_management = strcmp(s_(o, "Id"), mgmt) == 0};
		snprintf(acc.account_id, sizeof(acc.account_id), "%s", s_(o, "Id"));
		snprintf(acc.name, sizeof(acc.name), "%s", s_(o, "Name") ? s_(o, "Name") : "");
		snprintf(acc.email, sizeof(acc.email), "%s", s_(o, "Email") ? s_(o, "Email") : "");
		snprintf(acc.status, sizeof(acc.status), "%s", s_(o, "Status") ? s_(o, "Status") : "ACTIVE");
		if (strlen(acc.account_id) != ACCOUNT_ID_LEN || store_account_create(tx, &acc) != C_OK)
			return C_ERR;
	}
	snprintf(org.org_id, sizeof(org.org_id), "%s", org_id);
	snprintf(org.management_account_id, sizeof(org.management_account_id), "%s", mgmt);
	snprintf(org.root_id, sizeof(org.root_id), "%s", root_id);
	snprintf(org.feature_set, sizeof(org.feature_set), "%s", s_(r->org, "FeatureSet") ? s_(r->org, "FeatureSet") : "ALL");
	if (store_meta_set(tx, "management_account_id", mgmt) != C_OK || store_org_create(tx, &org) != C_OK)
		return C_ERR;
	json_array_foreach(json_object_get(r->root, "PolicyTypes"), i, t)
		if (s_(t, "Type") && strcmp(s_(t, "Type"), ORG_SCP) == 0 && s_(t, "Status") &&
		    strcmp(s_(t, "Status"), "ENABLED") == 0 && store_org_policy_type_set(tx, root_id, ORG_SCP, true) != C_OK)
			return C_ERR;
	json_array_foreach(r->ous, i, o) {
		struct store_ou u = {0};
		snprintf(u.ou_id, sizeof(u.ou_id), "%s", s_(o, "Id"));
		snprintf(u.org_id, sizeof(u.org_id), "%s", org_id);
		snprintf(u.parent_id, sizeof(u.parent_id), "%s", s_(o, "ParentId"));
		snprintf(u.name, sizeof(u.name), "%s", s_(o, "Name") ? s_(o, "Name") : "");
		if (store_ou_create(tx, &u) != C_OK)
			return C_ERR;
	}
	json_array_foreach(r->accounts, i, o)
		if (store_org_account_add(tx, s_(o, "Id"), org_id, s_(o, "ParentId"), "CREATED", 0) != C_OK)
			return C_ERR;
	if (store_org_policy_ensure_managed(tx, 0) != C_OK)
		return C_ERR;
	json_array_foreach(r->policies, i, o) {
		json_t *sum = json_object_get(o, "Summary");
		struct store_org_policy p = {.aws_managed = json_is_true(json_object_get(sum, "AwsManaged"))};
		if (!s_(sum, "Id") || !s_(o, "Content"))
			return C_ERR;
		snprintf(p.policy_id, sizeof(p.policy_id), "%s", s_(sum, "Id"));
		snprintf(p.org_id, sizeof(p.org_id), "%s", p.aws_managed ? "aws" : org_id);
		snprintf(p.type, sizeof(p.type), "%s", ORG_SCP);
		snprintf(p.name, sizeof(p.name), "%s", s_(sum, "Name") ? s_(sum, "Name") : "");
		snprintf(p.description, sizeof(p.description), "%s", s_(sum, "Description") ? s_(sum, "Description") : "");
		p.content = (char *)s_(o, "Content");
		if (strcmp(p.policy_id, ORG_FULL_ACCESS_ID) != 0 && store_org_policy_create(tx, &p) != C_OK)
			return C_ERR;
		json_array_foreach(json_object_get(o, "Targets"), j, t)
			if (!s_(t, "TargetId") || store_org_attach(tx, p.policy_id, s_(t, "TargetId")) != C_OK)
				return C_ERR;
	}
	return C_OK;
}

/* A copy of d (one account's answer) with only the lists named; roles' trust replaced by their own account's
 * root (phase 2: every user and role exists before any trust names them). */
static json_t *part(json_t *d, bool roles, const char *account)
{
	json_t *p = json_object(), *o;
	size_t i;

	if (!roles) {
		json_object_set(p, "UserDetailList", json_object_get(d, "UserDetailList"));
		json_object_set(p, "GroupDetailList", json_object_get(d, "GroupDetailList"));
		json_object_set(p, "Policies", json_object_get(d, "Policies"));
		return p;
	}
	json_object_set_new(p, "RoleDetailList", json_deep_copy(json_object_get(d, "RoleDetailList")));
	json_array_foreach(json_object_get(p, "RoleDetailList"), i, o) {
		char trust[256];
		snprintf(trust, sizeof(trust),
		         "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
		         "\"arn:aws:iam::%s:root\"},\"Action\":\"sts:AssumeRole\"}]}", account);
		json_object_set_new(o, "AssumeRolePolicyDocument", json_string(trust));
	}
	return p;
}

/* Phase 3: each role's own trust policy (UpdateAssumeRolePolicy), now that every principal it names exists. */
static int set_trusts(struct oc_session *s, json_t *d, const char *account)
{
	json_t *o, *out = NULL;
	struct aws_err err;
	size_t i;

	json_array_foreach(json_object_get(d, "RoleDetailList"), i, o) {
		json_t *doc = json_object_get(o, "AssumeRolePolicyDocument");
		char *text = json_is_string(doc) ? oc_document(json_string_value(doc)) : json_dumps(doc, JSON_COMPACT);
		json_t *in = text ? json_pack("{s:s?, s:s}", "RoleName", s_(o, "RoleName"), "PolicyDocument", text) : NULL;
		int rc = in ? oc_call(s, account, "iam", "UpdateAssumeRolePolicy", in, &out, &err) : C_ERR;
		free(text);
		json_decref(in);
		json_decref(out);
		out = NULL;
		if (rc != C_OK) {
			fprintf(stderr, VERB ": the trust policy of role %s of account %s: %s: %s\n", s_(o, "RoleName"), account,
			        in ? aws_code_name(err.code) : "unreadable", in ? err.message : "");
			return C_ERR;
		}
	}
	return C_OK;
}

void reach_api_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX + 300];

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* Every account's IAM into the store: users, groups and policies of all, then the roles, then their trust. */
static int write_iam(struct oc_session *s, json_t *accounts, json_t *iam)
{
	json_t *o, *p;
	size_t i;

	for (int phase = 0; phase < 3; phase++)
		json_array_foreach(accounts, i, o) {
			json_t *d = json_object_get(iam, s_(o, "Id"));
			int rc;
			if (phase == 2) {
				rc = set_trusts(s, d, s_(o, "Id"));
			} else {
				p = part(d, phase == 1, s_(o, "Id"));
				rc = p ? import_authorization_details_json(s, p, s_(o, "Id")) : C_ERR;
				json_decref(p);
			}
			if (rc != C_OK) {
				fprintf(stderr, VERB ": account %s could not be rebuilt for the analysis\n", s_(o, "Id"));
				return C_ERR;
			}
		}
	return C_OK;
}

static struct db *build_store(struct org_read *r, json_t *iam, char dir[PATH_MAX])
{
	const char *tmp = getenv("TMPDIR");
	struct oc_session s;
	struct db *db = NULL;
	struct db_tx *tx = NULL;

	snprintf(dir, PATH_MAX, "%s/rolegate-reach-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, VERB ": cannot make a temporary directory in %s\n", tmp && tmp[0] == '/' ? tmp : "/tmp");
		dir[0] = '\0';
		return NULL;
	}
	log_set_level(LOG_LEVEL_WARN); /* a new store's migrations are no news */
	if (model_init() != C_OK || !(db = db_open_sqlite(dir)) || store_migrate(db) != C_OK ||
	    db_begin(db, true, &tx) != C_OK) {
		tx = NULL;
		goto fail;
	}
	if (iam_ensure_aws_managed_policies(tx, now_ms()) != C_OK) /* as a server's bootstrap makes them */
		goto fail;
	memset(&s, 0, sizeof(s));
	s.db = s.srv.db = db;
	s.tx = tx;
	s.verb = "analyze reach";
	snprintf(s.management, sizeof(s.management), "%s", s_(r->org, "MasterAccountId"));
	snprintf(s.srv.management_account, sizeof(s.srv.management_account), "%s", s.management);
	if (write_org(tx, r) != C_OK) {
		fprintf(stderr, VERB ": the organization could not be written to the temporary store\n");
		goto fail;
	}
	if (write_iam(&s, r->accounts, iam) != C_OK)
		goto fail;
	if (db_commit(tx) != C_OK) {
		tx = NULL;
		fprintf(stderr, VERB ": the temporary store could not be committed\n");
		goto fail;
	}
	return db;
fail:
	if (tx)
		db_rollback(tx);
	if (db)
		db_close(db);
	reach_api_remove(dir);
	dir[0] = '\0';
	return NULL;
}

/* ---- the whole read -------------------------------------------------------------------------------------------- */

struct db *reach_api_load(const struct reach_api_opts *o, char dir[PATH_MAX])
{
	const char *role = o->role_name ? o->role_name : "OrganizationAccountAccessRole";
	struct org_read r = {0};
	struct sts_result me;
	struct sts_error err;
	struct api a;
	json_t *iam = json_object(), *acct;
	struct db *db = NULL;
	size_t i;

	dir[0] = '\0';
	memset(&me, 0, sizeof(me));
	if (api_open(&a, o) != C_OK)
		goto done;
	if (sts_client_get_caller_identity(&a.sts, &a.creds, &me, &err) != C_OK) {
		fprintf(stderr, VERB ": %s\n", err.text);
		goto done;
	}
	if (read_org(&a, &r, &me) != C_OK)
		goto done;
	json_array_foreach(r.accounts, i, acct) {
		const char *id = s_(acct, "Id");
		json_t *d;
		if (strcmp(id, me.account) == 0) {
			d = account_iam(&a, &a.creds, id);
		} else {
			char arn[300];
			struct sts_assume_role_input in = {.role_arn = arn, .role_session_name = "rolegate-analyze-reach"};
			struct sts_result s;
			struct sigv4_credentials c;
			snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role/%s", id, role);
			if (sts_client_assume_role(&a.sts, &a.creds, &in, &s, &err) != C_OK) {
				fprintf(stderr, VERB ": cannot enter account %s: %s\n", id, err.text);
				goto done;
			}
			c = (struct sigv4_credentials){s.creds.access_key_id, s.creds.secret_access_key, s.creds.session_token};
			d = account_iam(&a, &c, id);
			sts_result_clear(&s);
		}
		if (!d)
			goto done;
		json_object_set_new(iam, id, d);
	}
	db = build_store(&r, iam, dir);
done:
	sts_result_clear(&me);
	api_close(&a);
	org_read_free(&r);
	json_decref(iam);
	return db;
}
