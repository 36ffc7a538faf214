/*
 * policies.c - service control policies: CreatePolicy, DescribePolicy, UpdatePolicy, DeletePolicy, AttachPolicy,
 * DetachPolicy, ListPolicies, ListPoliciesForTarget, ListTargetsForPolicy.
 *
 * A policy's content is compiled by the policy engine as an SCP (src/policy/): a document the engine refuses is
 * refused with MalformedPolicyDocumentException and the engine's message. Every root, OU and account keeps at
 * least one and at most five SCPs while SCPs are enabled, as on AWS. Other policy types are not served.
 */
#include <stdio.h>
#include <string.h>

#include "orgs/internal.h"
#include "policy/policy.h"
#include "util/common.h"

int orgs_resource_policy(struct call *c, char *out, size_t cap)
{
	const char *id = call_str(c, "PolicyId");
	struct store_org_policy p;
	struct store_org o;
	int rc;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	rc = store_org_policy_get(c->tx, o.org_id, id, &p);
	if (rc == STORE_NOT_FOUND) /* the ARN it would have */
		return orgs_arn_policy(&o, ORG_SCP, id, false, out, cap);
	if (rc != C_OK)
		return C_ERR;
	rc = orgs_arn_policy(&o, p.type, p.policy_id, p.aws_managed, out, cap);
	store_org_policy_clear(&p);
	return rc;
}

int orgs_resource_target(struct call *c, char *out, size_t cap)
{
	struct store_org o;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	return orgs_arn_target(&o, call_str(c, "TargetId"), out, cap);
}

json_t *orgs_policy_summary(const struct store_org *o, const struct store_org_policy *p)
{
	char arn[ARN_MAX + 1];

	if (orgs_arn_policy(o, p->type, p->policy_id, p->aws_managed, arn, sizeof(arn)) != C_OK)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "Id", p->policy_id, "Arn", arn, "Name", p->name,
	                 "Description", p->description, "Type", p->type, "AwsManaged", p->aws_managed);
}

/* Policy {PolicySummary, Content} into c->out. */
static int put_policy(struct call *c, const struct store_org *o, const struct store_org_policy *p)
{
	json_t *s = orgs_policy_summary(o, p);

	if (!s)
		return C_ERR;
	json_object_set_new(c->out, "Policy", json_pack("{s:o, s:s}", "PolicySummary", s, "Content", p->content));
	return json_object_get(c->out, "Policy") ? C_OK : C_ERR;
}

/* Loads PolicyId (of o, or AWS-managed); PolicyNotFoundException when there is none. p must be cleared. */
static int load_policy(struct call *c, const struct store_org *o, struct store_org_policy *p)
{
	int rc = store_org_policy_get(c->tx, o->org_id, call_str(c, "PolicyId"), p);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_ORG_POLICY_NOT_FOUND, MSG_POLICY_NOT_FOUND);
	return rc == C_OK ? C_OK : C_ERR;
}

static int immutable(struct call *c)
{
	aws_err_set(&c->err, ERR_ORG_INVALID_INPUT, MSG_IMMUTABLE_POLICY);
	return aws_err_reason(&c->err, "IMMUTABLE_POLICY");
}

/* The type must be one rolegate serves, in an organization with all features. */
static int check_type(struct call *c, const struct store_org *o, const char *type)
{
	if (strcmp(type, ORG_SCP) != 0 || strcmp(o->feature_set, "ALL") != 0)
		return aws_err_set(&c->err, ERR_ORG_POLICY_TYPE_NOT_AVAILABLE, MSG_TYPE_NOT_AVAILABLE);
	return C_OK;
}

/* Checks an SCP's size and compiles it with the policy engine. */
static int check_content(struct call *c, const char *content)
{
	char error[POLICY_ERROR_MAX];
	struct policy *p = NULL;
	size_t chars = 0;

	for (const char *s = content; *s; s++)
		chars += ((unsigned char)*s & 0xC0) != 0x80;
	if (chars > ORGS_SCP_MAX_CHARS) {
		aws_err_set(&c->err, ERR_ORG_CONSTRAINT_VIOLATION,
		            "You attempted to create a policy that is larger than the maximum size.");
		return aws_err_reason(&c->err, "POLICY_CONTENT_LIMIT_EXCEEDED");
	}
	if (policy_compile(content, strlen(content), POLICY_SCP, &p, error) != C_OK)
		return aws_err_set(&c->err, ERR_ORG_MALFORMED_POLICY_DOCUMENT, "%s", error);
	policy_release(p);
	return C_OK;
}

static int duplicate_name(struct call *c, const struct store_org *o, const char *type, const char *name,
                          const char *except_id)
{
	bool taken = false;

	if (store_org_policy_name_taken(c->tx, o->org_id, type, name, except_id, &taken) != C_OK)
		return C_ERR;
	return taken ? aws_err_set(&c->err, ERR_ORG_DUPLICATE_POLICY, MSG_DUPLICATE_POLICY) : C_OK;
}

int orgs_create_policy(struct call *c)
{
	const char *type = call_str(c, "Type"), *name = call_str(c, "Name");
	json_t *tags = json_object_get(c->in, "Tags");
	struct store_org_policy p;
	struct store_org o;
	int64_t count = 0;

	if (orgs_context(c, &o, true) != C_OK || check_type(c, &o, type) != C_OK ||
	    check_content(c, call_str(c, "Content")) != C_OK || store_org_policy_count(c->tx, o.org_id, type, &count) != C_OK)
		return C_ERR;
	if (count >= ORGS_POLICIES_MAX) {
		aws_err_set(&c->err, ERR_ORG_CONSTRAINT_VIOLATION,
		            "You attempted to exceed the number of policies that you can have in an organization.");
		return aws_err_reason(&c->err, "POLICY_NUMBER_LIMIT_EXCEEDED");
	}
	if (duplicate_name(c, &o, type, name, NULL) != C_OK || orgs_check_tags(c, tags, NULL) != C_OK)
		return C_ERR;
	memset(&p, 0, sizeof(p));
	orgs_random_id(p.policy_id, sizeof(p.policy_id), "p-", 8);
	snprintf(p.org_id, sizeof(p.org_id), "%s", o.org_id);
	snprintf(p.type, sizeof(p.type), "%s", type);
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.description, sizeof(p.description), "%s", call_str(c, "Description"));
	p.content = (char *)call_str(c, "Content"); /* borrowed from the input: p is not cleared */
	p.created_ms = c->now_ms;
	if (store_org_policy_create(c->tx, &p) != C_OK || orgs_put_tags(c, p.policy_id, tags) != C_OK)
		return C_ERR;
	return put_policy(c, &o, &p);
}

int orgs_describe_policy(struct call *c)
{
	struct store_org_policy p;
	struct store_org o;
	int rc;

	if (orgs_context(c, &o, true) != C_OK || load_policy(c, &o, &p) != C_OK)
		return C_ERR;
	rc = put_policy(c, &o, &p);
	store_org_policy_clear(&p);
	return rc;
}

int orgs_update_policy(struct call *c)
{
	const char *name = call_str(c, "Name"), *content = call_str(c, "Content");
	struct store_org_policy p;
	struct store_org o;
	int rc = C_ERR;

	if (orgs_context(c, &o, true) != C_OK || load_policy(c, &o, &p) != C_OK)
		return C_ERR;
	if (p.aws_managed) {
		immutable(c);
		goto fail;
	}
	if ((name && duplicate_name(c, &o, p.type, name, p.policy_id) != C_OK) ||
	    (content && check_content(c, content) != C_OK) ||
	    store_org_policy_update(c->tx, p.policy_id, name, call_str(c, "Description"), content) != C_OK)
		goto fail;
	store_org_policy_clear(&p);
	if (load_policy(c, &o, &p) != C_OK)
		return C_ERR;
	rc = put_policy(c, &o, &p);
fail:
	store_org_policy_clear(&p);
	return rc;
}

int orgs_delete_policy(struct call *c)
{
	struct store_org_policy p;
	struct store_org o;
	int64_t targets = 0;
	char tag_id[ORG_POLICY_ID_MAX + 8];
	int rc = C_ERR;

	if (orgs_context(c, &o, true) != C_OK || load_policy(c, &o, &p) != C_OK)
		return C_ERR;
	if (p.aws_managed) {
		immutable(c);
		goto fail;
	}
	if (store_org_target_count(c->tx, &o, p.policy_id, &targets) != C_OK)
		goto fail;
	if (targets > 0) {
		aws_err_set(&c->err, ERR_ORG_POLICY_IN_USE, MSG_POLICY_IN_USE);
		goto fail;
	}
	orgs_tag_id(p.policy_id, tag_id, sizeof(tag_id));
	if (store_tag_delete_all(c->tx, tag_id) != C_OK || store_org_policy_delete(c->tx, p.policy_id) != C_OK)
		goto fail;
	rc = C_OK;
fail:
	store_org_policy_clear(&p);
	return rc;
}

/* Whether TargetId names the root, an OU or a (visible) account of o; TargetNotFoundException when not. */
static int check_target(struct call *c, const struct store_org *o, const char *id)
{
	struct store_org_account a;
	struct store_ou u;
	int rc;

	if (strncmp(id, "r-", 2) == 0)
		rc = strcmp(id, o->root_id) == 0 ? C_OK : STORE_NOT_FOUND;
	else if (strncmp(id, "ou-", 3) == 0)
		rc = store_ou_get(c->tx, o->org_id, id, &u);
	else
		rc = store_org_account_get(c->tx, o->org_id, id, c->now_ms, &a);
	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_ORG_TARGET_NOT_FOUND, MSG_TARGET_NOT_FOUND);
	return rc == C_OK ? C_OK : C_ERR;
}

int orgs_attach_policy(struct call *c)
{
	const char *target = call_str(c, "TargetId");
	struct store_org_policy p;
	struct store_org o;
	bool enabled = false;
	int64_t count = 0;
	int rc = C_ERR;

	if (orgs_context(c, &o, true) != C_OK || load_policy(c, &o, &p) != C_OK)
		return C_ERR;
	if (check_target(c, &o, target) != C_OK ||
	    store_org_policy_type_enabled(c->tx, o.root_id, p.type, &enabled) != C_OK)
		goto fail;
	if (!enabled) {
		aws_err_set(&c->err, ERR_ORG_POLICY_TYPE_NOT_ENABLED, MSG_TYPE_NOT_ENABLED);
		goto fail;
	}
	rc = store_org_attach(c->tx, p.policy_id, target);
	if (rc == STORE_EXISTS)
		aws_err_set(&c->err, ERR_ORG_DUPLICATE_POLICY_ATTACHMENT, MSG_DUPLICATE_ATTACHMENT);
	if (rc != C_OK || (rc = store_org_attached_count(c->tx, target, p.type, &count)) != C_OK)
		goto fail;
	if (count > ORGS_POLICIES_PER_TARGET) {
		/* the transaction is rolled back: the attachment is undone */
		aws_err_set(&c->err, ERR_ORG_CONSTRAINT_VIOLATION,
		            "You attempted to exceed the number of policies of a certain type that can be attached to an "
		            "entity at one time.");
		aws_err_reason(&c->err, "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED");
		rc = C_ERR;
	}
fail:
	store_org_policy_clear(&p);
	return rc == C_OK ? C_OK : C_ERR;
}

int orgs_detach_policy(struct call *c)
{
	const char *target = call_str(c, "TargetId");
	struct store_org_policy p;
	struct store_org o;
	int64_t count = 0;
	int rc = C_ERR;

	if (orgs_context(c, &o, true) != C_OK || load_policy(c, &o, &p) != C_OK)
		return C_ERR;
	if (check_target(c, &o, target) != C_OK)
		goto fail;
	rc = store_org_detach(c->tx, p.policy_id, target);
	if (rc == STORE_NOT_FOUND)
		aws_err_set(&c->err, ERR_ORG_POLICY_NOT_ATTACHED, MSG_POLICY_NOT_ATTACHED);
	if (rc != C_OK || (rc = store_org_attached_count(c->tx, target, p.type, &count)) != C_OK)
		goto fail;
	if (count == 0) {
		/* the transaction is rolled back: the policy stays attached */
		aws_err_set(&c->err, ERR_ORG_CONSTRAINT_VIOLATION,
		            "You attempted to detach a policy from an entity that would cause the entity to have fewer "
		            "than the minimum number of policies of a certain type required.");
		aws_err_reason(&c->err, "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED");
		rc = C_ERR;
	}
fail:
	store_org_policy_clear(&p);
	return rc == C_OK ? C_OK : C_ERR;
}

struct policy_list {
	const struct store_org *o;
	json_t *arr;
	int limit, seen;
	char last[ORG_POLICY_ID_MAX];
};

static int policy_one(void *ctx, const struct store_org_policy *p)
{
	struct policy_list *l = ctx;
	json_t *j;

	if (l->seen++ >= l->limit)
		return C_OK;
	if (!(j = orgs_policy_summary(l->o, p)) || json_array_append_new(l->arr, j) != 0)
		return C_ERR;
	snprintf(l->last, sizeof(l->last), "%s", p->policy_id);
	return C_OK;
}

int orgs_list_policies(struct call *c)
{
	struct policy_list l = {0};
	struct store_org o;
	char after[ORG_POLICY_ID_MAX];

	if (orgs_context(c, &o, true) != C_OK || orgs_page_read(c, "policies", after, sizeof(after), &l.limit) != C_OK)
		return C_ERR;
	l.o = &o;
	l.arr = json_array();
	json_object_set_new(c->out, "Policies", l.arr);
	/* Only SCPs exist here: a list of another type is empty. */
	if (store_org_policy_list(c->tx, o.org_id, call_str(c, "Filter"), after[0] ? after : NULL, l.limit + 1,
	                          policy_one, &l) < 0)
		return C_ERR;
	return orgs_page_write(c, "policies", l.seen > l.limit, l.last);
}

int orgs_list_policies_for_target(struct call *c)
{
	const char *target = call_str(c, "TargetId");
	struct policy_list l = {0};
	struct store_org o;
	char after[ORG_POLICY_ID_MAX];

	if (orgs_context(c, &o, true) != C_OK || check_target(c, &o, target) != C_OK ||
	    orgs_page_read(c, "target-policies", after, sizeof(after), &l.limit) != C_OK)
		return C_ERR;
	l.o = &o;
	l.arr = json_array();
	json_object_set_new(c->out, "Policies", l.arr);
	if (store_org_policies_for_target(c->tx, target, call_str(c, "Filter"), after[0] ? after : NULL, l.limit + 1,
	                                  policy_one, &l) < 0)
		return C_ERR;
	return orgs_page_write(c, "target-policies", l.seen > l.limit, l.last);
}

struct target_list {
	const struct store_org *o;
	json_t *arr;
	int limit, seen;
	char last[ORG_OU_ID_MAX];
};

static int target_one(void *ctx, const struct store_org_target *t)
{
	struct target_list *l = ctx;
	char arn[ARN_MAX + 1];

	if (l->seen++ >= l->limit)
		return C_OK;
	if (orgs_arn_target(l->o, t->target_id, arn, sizeof(arn)) != C_OK ||
	    json_array_append_new(l->arr, json_pack("{s:s, s:s, s:s, s:s}", "TargetId", t->target_id, "Arn", arn, "Name",
	                                            t->name, "Type", t->type)) != 0)
		return C_ERR;
	snprintf(l->last, sizeof(l->last), "%s", t->target_id);
	return C_OK;
}

int orgs_list_targets_for_policy(struct call *c)
{
	struct target_list l = {0};
	struct store_org_policy p;
	struct store_org o;
	char after[ORG_OU_ID_MAX];
	int rc = C_ERR;

	if (orgs_context(c, &o, true) != C_OK || load_policy(c, &o, &p) != C_OK)
		return C_ERR;
	if (orgs_page_read(c, "targets", after, sizeof(after), &l.limit) != C_OK)
		goto fail;
	l.o = &o;
	l.arr = json_array();
	json_object_set_new(c->out, "Targets", l.arr);
	if (store_org_targets_for_policy(c->tx, &o, p.policy_id, c->now_ms, after[0] ? after : NULL, l.limit + 1,
	                                 target_one, &l) < 0)
		goto fail;
	rc = orgs_page_write(c, "targets", l.seen > l.limit, l.last);
fail:
	store_org_policy_clear(&p);
	return rc;
}
