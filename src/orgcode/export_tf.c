/*
 * export_tf.c - `rolegate export terraform OUTDIR` (export_tf.h). Everything is read through the API's own read
 * actions (as each account's root, in one read transaction), so the export says what a client would see.
 *
 * What Terraform cannot hold, and so is not exported: access keys' and virtual MFA devices' secrets (a device is
 * imported; its seed stays unknown to Terraform), console passwords (login profiles), the non-default versions of
 * managed policies (aws_iam_policy holds the default version only), which user an MFA device is enabled for.
 */
#include "orgcode/export_tf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "orgcode/hcl.h"
#include "util/common.h"

#define LABEL_MAX 128
#define NAME_MAX_ 256

struct exporter {
	struct oc_session *s;
	struct hcl_names names;
	const char *outdir;
};

/* `resource "type" "name" {` with its provider. */
static void open_resource(FILE *f, const char *type, const char *name, const char *provider)
{
	fprintf(f, "resource \"%s\" \"%s\" {\n  provider = aws.%s\n", type, name, provider);
}

/* Closes a resource and writes its import {} block. */
static void close_resource(FILE *f, const char *type, const char *name, const char *provider, const char *id)
{
	fprintf(f, "}\n\nimport {\n  provider = aws.%s\n  to       = %s.%s\n  id       = ", provider, type, name);
	hcl_string(f, id);
	fputs("\n}\n\n", f);
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* One call's result; NULL said on stderr (or, with quiet_missing, NoSuchEntity answered NULL silently). */
static json_t *call(struct exporter *x, const char *account, const char *service, const char *op, json_t *in,
                    bool quiet_missing)
{
	struct aws_err err;
	json_t *out;

	if (oc_call(x->s, account, service, op, in, &out, &err) == C_OK)
		return out;
	if (!(quiet_missing && err.code == ERR_NO_SUCH_ENTITY))
		fprintf(stderr, "rolegate export: %s:%s in %s: %s: %s\n", service, op, account, aws_code_name(err.code),
		        err.message);
	return NULL;
}

/* json_pack for one string parameter. */
static json_t *arg(const char *k, const char *v)
{
	return json_pack("{s:s}", k, v);
}

static json_t *tags_of(struct exporter *x, const char *account, const char *op, const char *k, const char *v)
{
	json_t *in = arg(k, v), *t = oc_list(x->s, account, "iam", op, in, "Tags");

	json_decref(in);
	return t;
}

static void inline_policies(struct exporter *x, FILE *f, const char *prov, const char *kind, const char *owner,
                            json_t *list)
{
	char type[64], name[NAME_MAX_], id[1024];
	size_t i;
	json_t *p;

	snprintf(type, sizeof(type), "aws_iam_%s_policy", kind);
	json_array_foreach(list, i, p) {
		char *doc = NULL;
		const char *enc = str(p, "PolicyDocument");
		snprintf(id, sizeof(id), "%s_%s_%s", prov, owner, str(p, "PolicyName"));
		hcl_name(&x->names, type, name, sizeof(name), id, NULL);
		open_resource(f, type, name, prov);
		hcl_attr(f, kind, owner);
		hcl_attr(f, "name", str(p, "PolicyName"));
		doc = enc ? oc_document(enc) : NULL;
		hcl_document(f, "policy", doc);
		free(doc);
		snprintf(id, sizeof(id), "%s:%s", owner, str(p, "PolicyName"));
		close_resource(f, type, name, prov, id);
	}
}

static void attachments(struct exporter *x, FILE *f, const char *prov, const char *kind, const char *owner,
                        json_t *list)
{
	char type[64], name[NAME_MAX_], id[1024];
	size_t i;
	json_t *p;

	snprintf(type, sizeof(type), "aws_iam_%s_policy_attachment", kind);
	json_array_foreach(list, i, p) {
		snprintf(id, sizeof(id), "%s_%s_%s", prov, owner, str(p, "PolicyName"));
		hcl_name(&x->names, type, name, sizeof(name), id, NULL);
		open_resource(f, type, name, prov);
		hcl_attr(f, kind, owner);
		hcl_attr(f, "policy_arn", str(p, "PolicyArn"));
		snprintf(id, sizeof(id), "%s/%s", owner, str(p, "PolicyArn"));
		close_resource(f, type, name, prov, id);
	}
}

static void boundary(FILE *f, json_t *o)
{
	hcl_attr(f, "permissions_boundary", str(json_object_get(o, "PermissionsBoundary"), "PermissionsBoundaryArn"));
}

/* Everything GetAccountAuthorizationDetails lists, all pages merged. */
static json_t *details(struct exporter *x, const char *acct)
{
	static const char *const lists[] = {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"};
	json_t *all = json_pack("{s:[], s:[], s:[], s:[]}", lists[0], lists[1], lists[2], lists[3]);
	json_t *in = json_pack("{s:i}", "MaxItems", 1000), *out;

	for (;;) {
		if (!(out = call(x, acct, "iam", "GetAccountAuthorizationDetails", in, false)))
			goto fail;
		for (size_t i = 0; i < ARRAY_LEN(lists); i++)
			json_array_extend(json_object_get(all, lists[i]), json_object_get(out, lists[i]));
		if (!json_is_true(json_object_get(out, "IsTruncated"))) {
			json_decref(out);
			json_decref(in);
			return all;
		}
		json_object_set(in, "Marker", json_object_get(out, "Marker"));
		json_decref(out);
	}
fail:
	json_decref(in);
	json_decref(all);
	return NULL;
}

static int export_groups_users(struct exporter *x, FILE *f, const char *acct, const char *prov, json_t *d)
{
	char name[NAME_MAX_], id[4096];
	size_t i, j;
	json_t *o, *g;

	json_array_foreach(json_object_get(d, "GroupDetailList"), i, o) {
		const char *gn = str(o, "GroupName");
		hcl_name(&x->names, "aws_iam_group", name, sizeof(name), prov, gn);
		open_resource(f, "aws_iam_group", name, prov);
		hcl_attr(f, "name", gn);
		hcl_attr(f, "path", str(o, "Path"));
		close_resource(f, "aws_iam_group", name, prov, gn);
		inline_policies(x, f, prov, "group", gn, json_object_get(o, "GroupPolicyList"));
		attachments(x, f, prov, "group", gn, json_object_get(o, "AttachedManagedPolicies"));
	}
	json_array_foreach(json_object_get(d, "UserDetailList"), i, o) {
		const char *un = str(o, "UserName");
		json_t *tags = tags_of(x, acct, "ListUserTags", "UserName", un), *groups = json_object_get(o, "GroupList");
		if (!tags)
			return C_ERR;
		hcl_name(&x->names, "aws_iam_user", name, sizeof(name), prov, un);
		open_resource(f, "aws_iam_user", name, prov);
		hcl_attr(f, "name", un);
		hcl_attr(f, "path", str(o, "Path"));
		boundary(f, o);
		hcl_tags(f, tags);
		json_decref(tags);
		close_resource(f, "aws_iam_user", name, prov, un);
		inline_policies(x, f, prov, "user", un, json_object_get(o, "UserPolicyList"));
		attachments(x, f, prov, "user", un, json_object_get(o, "AttachedManagedPolicies"));
		if (json_array_size(groups)) {
			hcl_name(&x->names, "aws_iam_user_group_membership", name, sizeof(name), prov, un);
			open_resource(f, "aws_iam_user_group_membership", name, prov);
			hcl_attr(f, "user", un);
			fputs("  groups = [", f);
			snprintf(id, sizeof(id), "%s", un);
			json_array_foreach(groups, j, g) {
				fputs(j ? ", " : "", f);
				hcl_string(f, json_string_value(g));
				snprintf(id + strlen(id), sizeof(id) - strlen(id), "/%s", json_string_value(g));
			}
			fputs("]\n", f);
			close_resource(f, "aws_iam_user_group_membership", name, prov, id);
		}
	}
	return C_OK;
}

static int export_roles(struct exporter *x, FILE *f, const char *acct, const char *prov, json_t *d)
{
	char name[NAME_MAX_], num[32];
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(d, "RoleDetailList"), i, o) {
		const char *rn = str(o, "RoleName");
		json_t *in = arg("RoleName", rn), *got = call(x, acct, "iam", "GetRole", in, false), *role;
		char *trust;
		json_decref(in);
		if (!got)
			return C_ERR;
		role = json_object_get(got, "Role");
		hcl_name(&x->names, "aws_iam_role", name, sizeof(name), prov, rn);
		open_resource(f, "aws_iam_role", name, prov);
		hcl_attr(f, "name", rn);
		hcl_attr(f, "path", str(role, "Path"));
		hcl_attr(f, "description", str(role, "Description"));
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(json_object_get(role, "MaxSessionDuration")));
		fprintf(f, "  max_session_duration = %s\n", num);
		trust = oc_document(str(role, "AssumeRolePolicyDocument") ? str(role, "AssumeRolePolicyDocument") : "{}");
		hcl_document(f, "assume_role_policy", trust);
		free(trust);
		boundary(f, role);
		hcl_tags(f, json_object_get(role, "Tags"));
		close_resource(f, "aws_iam_role", name, prov, rn);
		json_decref(got);
		inline_policies(x, f, prov, "role", rn, json_object_get(o, "RolePolicyList"));
		attachments(x, f, prov, "role", rn, json_object_get(o, "AttachedManagedPolicies"));
	}
	return C_OK;
}

static int export_policies(struct exporter *x, FILE *f, const char *acct, const char *prov, json_t *d)
{
	char name[NAME_MAX_];
	size_t i, j;
	json_t *o, *v;

	json_array_foreach(json_object_get(d, "Policies"), i, o) {
		const char *arn = str(o, "Arn"), *doc = NULL;
		json_t *in, *got, *tags;
		char *plain;
		if (!arn || strncmp(arn, "arn:aws:iam::aws:", 17) == 0)
			continue; /* AWS managed: referenced by ARN */
		json_array_foreach(json_object_get(o, "PolicyVersionList"), j, v)
			if (json_is_true(json_object_get(v, "IsDefaultVersion")))
				doc = str(v, "Document");
		in = arg("PolicyArn", arn);
		got = call(x, acct, "iam", "GetPolicy", in, false);
		tags = oc_list(x->s, acct, "iam", "ListPolicyTags", in, "Tags");
		json_decref(in);
		if (!got || !tags) {
			json_decref(got);
			json_decref(tags);
			return C_ERR;
		}
		hcl_name(&x->names, "aws_iam_policy", name, sizeof(name), prov, str(o, "PolicyName"));
		open_resource(f, "aws_iam_policy", name, prov);
		hcl_attr(f, "name", str(o, "PolicyName"));
		hcl_attr(f, "path", str(o, "Path"));
		hcl_attr(f, "description", str(json_object_get(got, "Policy"), "Description"));
		plain = oc_document(doc ? doc : "{}");
		hcl_document(f, "policy", plain);
		free(plain);
		hcl_tags(f, tags);
		close_resource(f, "aws_iam_policy", name, prov, arn);
		json_decref(got);
		json_decref(tags);
	}
	return C_OK;
}

static int export_account_extras(struct exporter *x, FILE *f, const char *acct, const char *prov)
{
	char name[NAME_MAX_];
	size_t i;
	json_t *o, *list, *in, *pp;

	if (!(list = oc_list(x->s, acct, "iam", "ListInstanceProfiles", NULL, "InstanceProfiles")))
		return C_ERR;
	json_array_foreach(list, i, o) {
		const char *n = str(o, "InstanceProfileName");
		/* ListInstanceProfiles leaves Tags out, as AWS does; GetInstanceProfile has them */
		json_t *pin = arg("InstanceProfileName", n), *got = call(x, acct, "iam", "GetInstanceProfile", pin, false);
		json_decref(pin);
		if (!got)
			goto fail;
		hcl_name(&x->names, "aws_iam_instance_profile", name, sizeof(name), prov, n);
		open_resource(f, "aws_iam_instance_profile", name, prov);
		hcl_attr(f, "name", n);
		hcl_attr(f, "path", str(o, "Path"));
		hcl_attr(f, "role", str(json_array_get(json_object_get(o, "Roles"), 0), "RoleName"));
		hcl_tags(f, json_object_get(json_object_get(got, "InstanceProfile"), "Tags"));
		json_decref(got);
		close_resource(f, "aws_iam_instance_profile", name, prov, n);
	}
	json_decref(list);
	in = arg("AssignmentStatus", "Any");
	list = oc_list(x->s, acct, "iam", "ListVirtualMFADevices", in, "VirtualMFADevices");
	json_decref(in);
	if (!list)
		return C_ERR;
	json_array_foreach(list, i, o) {
		const char *serial = str(o, "SerialNumber"), *p = serial ? strstr(serial, ":mfa/") : NULL, *last;
		char path[600];
		json_t *tags;
		if (!p)
			continue;
		p += 4; /* "/PATH/NAME" */
		last = strrchr(p, '/');
		snprintf(path, sizeof(path), "%.*s", (int)(last - p + 1), p);
		if (!(tags = tags_of(x, acct, "ListMFADeviceTags", "SerialNumber", serial)))
			goto fail;
		hcl_name(&x->names, "aws_iam_virtual_mfa_device", name, sizeof(name), prov, last + 1);
		open_resource(f, "aws_iam_virtual_mfa_device", name, prov);
		hcl_attr(f, "virtual_mfa_device_name", last + 1);
		hcl_attr(f, "path", path);
		hcl_tags(f, tags);
		json_decref(tags);
		close_resource(f, "aws_iam_virtual_mfa_device", name, prov, serial);
	}
	json_decref(list);
	if ((pp = call(x, acct, "iam", "GetAccountPasswordPolicy", NULL, true))) {
		static const struct {
			const char *aws, *tf;
		} flags[] = {
			{"AllowUsersToChangePassword", "allow_users_to_change_password"}, {"HardExpiry", "hard_expiry"},
			{"RequireLowercaseCharacters", "require_lowercase_characters"}, {"RequireNumbers", "require_numbers"},
			{"RequireSymbols", "require_symbols"}, {"RequireUppercaseCharacters", "require_uppercase_characters"},
			{"MinimumPasswordLength", "minimum_password_length"}, {"MaxPasswordAge", "max_password_age"},
			{"PasswordReusePrevention", "password_reuse_prevention"},
		};
		json_t *p = json_object_get(pp, "PasswordPolicy"), *v;
		hcl_name(&x->names, "aws_iam_account_password_policy", name, sizeof(name), prov, NULL);
		open_resource(f, "aws_iam_account_password_policy", name, prov);
		for (i = 0; i < ARRAY_LEN(flags); i++) {
			if (!(v = json_object_get(p, flags[i].aws)))
				continue;
			if (json_is_boolean(v))
				fprintf(f, "  %s = %s\n", flags[i].tf, json_is_true(v) ? "true" : "false");
			else
				fprintf(f, "  %s = %lld\n", flags[i].tf, (long long)json_integer_value(v));
		}
		close_resource(f, "aws_iam_account_password_policy", name, prov, "iam-account-password-policy");
		json_decref(pp);
	}
	if (!(list = oc_list(x->s, acct, "iam", "ListAccountAliases", NULL, "AccountAliases")))
		return C_ERR;
	json_array_foreach(list, i, o) {
		hcl_name(&x->names, "aws_iam_account_alias", name, sizeof(name), prov, NULL);
		open_resource(f, "aws_iam_account_alias", name, prov);
		hcl_attr(f, "account_alias", json_string_value(o));
		close_resource(f, "aws_iam_account_alias", name, prov, json_string_value(o));
	}
	json_decref(list);
	return C_OK;
fail:
	json_decref(list);
	return C_ERR;
}

static FILE *create(struct exporter *x, const char *file)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", x->outdir, file);
	if (!(f = fopen(path, "w")))
		fprintf(stderr, "rolegate export: cannot write %s: %s\n", path, strerror(errno));
	else
		fputs("# Written by `rolegate export terraform`: the state of rolegate, with import {} blocks.\n\n", f);
	return f;
}

static int finish(FILE *f, int rc)
{
	if (fclose(f) != 0)
		return C_ERR;
	return rc;
}

static int export_account(struct exporter *x, const char *acct, const char *prov)
{
	char file[LABEL_MAX + 32];
	json_t *d = details(x, acct);
	FILE *f;
	int rc;

	if (!d)
		return C_ERR;
	snprintf(file, sizeof(file), "account_%s.tf", prov);
	if (!(f = create(x, file))) {
		json_decref(d);
		return C_ERR;
	}
	fprintf(f, "# Account %s (provider aws.%s)\n\n", acct, prov);
	rc = export_policies(x, f, acct, prov, d) == C_OK && export_groups_users(x, f, acct, prov, d) == C_OK &&
	     export_roles(x, f, acct, prov, d) == C_OK && export_account_extras(x, f, acct, prov) == C_OK ? C_OK : C_ERR;
	json_decref(d);
	return finish(f, rc);
}

static json_t *org_tags(struct exporter *x, const char *id)
{
	json_t *in = arg("ResourceId", id), *t = oc_list(x->s, x->s->management, "organizations", "ListTagsForResource",
	                                                  in, "Tags");
	json_decref(in);
	return t;
}

/* The OUs under parent, depth first, sorted by name. */
static int export_ous(struct exporter *x, FILE *f, const char *prov, const char *parent, int depth)
{
	char name[NAME_MAX_];
	size_t i;
	json_t *in = arg("ParentId", parent), *list, *o;

	list = oc_list(x->s, x->s->management, "organizations", "ListOrganizationalUnitsForParent", in,
	               "OrganizationalUnits");
	json_decref(in);
	if (!list || depth > 10)
		return list ? C_OK : C_ERR;
	json_array_foreach(list, i, o) {
		json_t *tags = org_tags(x, str(o, "Id"));
		if (!tags)
			goto fail;
		hcl_name(&x->names, "aws_organizations_organizational_unit", name, sizeof(name), str(o, "Name"), NULL);
		open_resource(f, "aws_organizations_organizational_unit", name, prov);
		hcl_attr(f, "name", str(o, "Name"));
		hcl_attr(f, "parent_id", parent);
		hcl_tags(f, tags);
		json_decref(tags);
		close_resource(f, "aws_organizations_organizational_unit", name, prov, str(o, "Id"));
		if (export_ous(x, f, prov, str(o, "Id"), depth + 1) != C_OK)
			goto fail;
	}
	json_decref(list);
	return C_OK;
fail:
	json_decref(list);
	return C_ERR;
}

static int export_scps(struct exporter *x, FILE *f, const char *prov)
{
	char name[NAME_MAX_], id[256];
	size_t i, j;
	json_t *in = arg("Filter", "SERVICE_CONTROL_POLICY"), *list, *o, *t;
	const char *m = x->s->management;

	list = oc_list(x->s, m, "organizations", "ListPolicies", in, "Policies");
	json_decref(in);
	if (!list)
		return C_ERR;
	json_array_foreach(list, i, o) {
		const char *pid = str(o, "Id");
		json_t *targets, *got, *tags;
		in = arg("PolicyId", pid);
		targets = oc_list(x->s, m, "organizations", "ListTargetsForPolicy", in, "Targets");
		got = json_is_true(json_object_get(o, "AwsManaged")) ? NULL : call(x, m, "organizations", "DescribePolicy",
		                                                                      in, false);
		json_decref(in);
		if (!targets)
			goto fail;
		if (!json_is_true(json_object_get(o, "AwsManaged"))) {
			if (!got || !(tags = org_tags(x, pid))) {
				json_decref(got);
				json_decref(targets);
				goto fail;
			}
			hcl_name(&x->names, "aws_organizations_policy", name, sizeof(name), str(o, "Name"), NULL);
			open_resource(f, "aws_organizations_policy", name, prov);
			hcl_attr(f, "name", str(o, "Name"));
			hcl_attr(f, "description", str(o, "Description"));
			hcl_attr(f, "type", str(o, "Type"));
			hcl_document(f, "content", str(json_object_get(got, "Policy"), "Content"));
			hcl_tags(f, tags);
			json_decref(tags);
			close_resource(f, "aws_organizations_policy", name, prov, pid);
			json_decref(got);
		}
		json_array_foreach(targets, j, t) {
			char label[300];
			snprintf(label, sizeof(label), "%s_%s", str(o, "Name"), str(t, "Name"));
			hcl_name(&x->names, "aws_organizations_policy_attachment", name, sizeof(name), label, NULL);
			open_resource(f, "aws_organizations_policy_attachment", name, prov);
			hcl_attr(f, "policy_id", pid);
			hcl_attr(f, "target_id", str(t, "TargetId"));
			snprintf(id, sizeof(id), "%s:%s", str(t, "TargetId"), pid);
			close_resource(f, "aws_organizations_policy_attachment", name, prov, id);
		}
		json_decref(targets);
	}
	json_decref(list);
	return C_OK;
fail:
	json_decref(list);
	return C_ERR;
}

/* organization.tf: the organization, its OUs, member accounts and SCPs (accounts: ListAccounts). */
static int export_organization(struct exporter *x, json_t *org, json_t *accounts, json_t *labels)
{
	const char *m = x->s->management, *prov = json_string_value(json_object_get(labels, m));
	json_t *roots, *root, *types, *t, *a, *svc;
	char name[NAME_MAX_];
	size_t i, n = 0;
	FILE *f;
	int rc = C_ERR;

	roots = oc_list(x->s, m, "organizations", "ListRoots", NULL, "Roots");
	svc = oc_list(x->s, m, "organizations", "ListAWSServiceAccessForOrganization", NULL, "EnabledServicePrincipals");
	if (!roots || !svc || !(root = json_array_get(roots, 0)) || !(f = create(x, "organization.tf"))) {
		json_decref(roots);
		json_decref(svc);
		return C_ERR;
	}
	open_resource(f, "aws_organizations_organization", "this", prov);
	hcl_attr(f, "feature_set", str(json_object_get(org, "Organization"), "FeatureSet"));
	types = json_object_get(root, "PolicyTypes");
	fputs("  enabled_policy_types = [", f);
	json_array_foreach(types, i, t)
		if (strcmp(str(t, "Status") ? str(t, "Status") : "", "ENABLED") == 0) {
			fputs(n++ ? ", " : "", f);
			hcl_string(f, str(t, "Type"));
		}
	fputs("]\n", f);
	if (json_array_size(svc)) {
		fputs("  aws_service_access_principals = [", f);
		json_array_foreach(svc, i, t) {
			fputs(i ? ", " : "", f);
			hcl_string(f, str(t, "ServicePrincipal"));
		}
		fputs("]\n", f);
	}
	close_resource(f, "aws_organizations_organization", "this", prov,
	               str(json_object_get(org, "Organization"), "Id"));
	if (export_ous(x, f, prov, str(root, "Id"), 0) != C_OK)
		goto done;
	json_array_foreach(accounts, i, a) {
		const char *id = str(a, "Id");
		json_t *in, *parents, *tags;
		if (strcmp(id, m) == 0)
			continue; /* the management account is the organization's */
		in = arg("ChildId", id);
		parents = oc_list(x->s, m, "organizations", "ListParents", in, "Parents");
		json_decref(in);
		if (!parents || !(tags = org_tags(x, id))) {
			json_decref(parents);
			goto done;
		}
		hcl_name(&x->names, "aws_organizations_account", name, sizeof(name), str(a, "Name"), NULL);
		open_resource(f, "aws_organizations_account", name, prov);
		hcl_attr(f, "name", str(a, "Name"));
		hcl_attr(f, "email", str(a, "Email"));
		hcl_attr(f, "parent_id", str(json_array_get(parents, 0), "Id"));
		hcl_tags(f, tags);
		/* what Organizations does not say back, as the provider's documentation asks on import */
		fputs("  lifecycle {\n    ignore_changes = [role_name, iam_user_access_to_billing]\n  }\n", f);
		close_resource(f, "aws_organizations_account", name, prov, id);
		json_decref(parents);
		json_decref(tags);
	}
	rc = export_scps(x, f, prov);
done:
	json_decref(roots);
	json_decref(svc);
	return finish(f, rc);
}

static int write_providers(struct exporter *x, json_t *accounts, json_t *labels)
{
	FILE *f = create(x, "providers.tf");
	size_t i;
	json_t *a;

	if (!f)
		return C_ERR;
	fputs("# Endpoint and credentials come from the environment: AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS,\n"
	      "# AWS_ENDPOINT_URL_ORGANIZATIONS, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (the management account's).\n"
	      "terraform {\n  required_version = \">= 1.5\"\n  required_providers {\n"
	      "    aws = { source = \"hashicorp/aws\", version = \"5.100.0\" }\n  }\n}\n\n", f);
	json_array_foreach(accounts, i, a) {
		const char *id = str(a, "Id");
		fprintf(f, "# %s (%s)\nprovider \"aws\" {\n  alias  = \"%s\"\n  region = \"us-east-1\"\n",
		        str(a, "Name") ? str(a, "Name") : "", id, json_string_value(json_object_get(labels, id)));
		if (strcmp(id, x->s->management) != 0)
			fprintf(f, "  assume_role {\n    role_arn     = \"arn:aws:iam::%s:role/OrganizationAccountAccessRole\"\n"
			           "    session_name = \"rolegate-export\"\n  }\n", id);
		fputs("}\n\n", f);
	}
	return finish(f, C_OK);
}

/* Accounts by name, then id (oc_sorted). */
static int by_name_then_id(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int r = strcmp(str(x, "Name") ? str(x, "Name") : "", str(y, "Name") ? str(y, "Name") : "");

	return r ? r : strcmp(str(x, "Id") ? str(x, "Id") : "", str(y, "Id") ? str(y, "Id") : "");
}

int export_terraform(struct oc_session *s, const char *outdir)
{
	struct exporter x = {.s = s, .outdir = outdir};
	struct aws_err err;
	json_t *org = NULL, *accounts = NULL, *labels = json_object(), *a;
	char label[LABEL_MAX];
	size_t i;
	int rc = C_ERR;

	if (mkdir(outdir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "rolegate export: cannot make %s: %s\n", outdir, strerror(errno));
		goto done;
	}
	if (oc_call(s, s->management, "organizations", "DescribeOrganization", NULL, &org, &err) == C_OK) {
		if (!(accounts = oc_list(s, s->management, "organizations", "ListAccounts", NULL, "Accounts")))
			goto done;
	} else if (!(accounts = json_pack("[{s:s, s:s}]", "Id", s->management, "Name", "management"))) {
		goto done;
	}
	a = oc_sorted(accounts, by_name_then_id); /* the files and provider labels never depend on the store's order */
	json_decref(accounts);
	if (!(accounts = a))
		goto done;
	json_array_foreach(accounts, i, a) {
		hcl_name(&x.names, "provider", label, sizeof(label), str(a, "Name"), NULL);
		json_object_set_new(labels, str(a, "Id"), json_string(label));
	}
	if (write_providers(&x, accounts, labels) != C_OK || (org && export_organization(&x, org, accounts, labels) != C_OK))
		goto done;
	json_array_foreach(accounts, i, a)
		if (strcmp(str(a, "Status") ? str(a, "Status") : "ACTIVE", "ACTIVE") == 0 &&
		    export_account(&x, str(a, "Id"), json_string_value(json_object_get(labels, str(a, "Id")))) != C_OK)
			goto done;
	rc = C_OK;
done:
	json_decref(org);
	json_decref(accounts);
	json_decref(labels);
	json_decref(x.names.used);
	return rc;
}
