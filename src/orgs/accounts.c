/*
 * accounts.c - the accounts of an organization: CreateAccount, DescribeCreateAccountStatus,
 * ListCreateAccountStatus, DescribeAccount, ListAccounts, ListAccountsForParent, MoveAccount,
 * RemoveAccountFromOrganization, CloseAccount.
 *
 * CreateAccount is asynchronous on AWS. Here the account is created in the request's own transaction: a new
 * 12-digit account under the root, holding the role named by RoleName (default OrganizationAccountAccessRole) that
 * trusts the management account, with AdministratorAccess attached. The request reports IN_PROGRESS, and the
 * account stays out of sight, until ORGS_ASYNC_MS later; then the request reports SUCCEEDED (or FAILED, with AWS's
 * FailureReason, when the email address is already in use). CloseAccount likewise moves an account to
 * PENDING_CLOSURE, and to SUSPENDED once the closure has completed.
 */
#include <stdio.h>
#include <string.h>

#include "aws/ids.h"
#include "orgs/internal.h"
#include "store/iam_store.h"
#include "util/common.h"

#define DEFAULT_ROLE "OrganizationAccountAccessRole"
#define ADMIN_POLICY_ARN "arn:aws:iam::aws:policy/AdministratorAccess"

int orgs_resource_account(struct call *c, char *out, size_t cap)
{
	struct store_org o;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	return orgs_arn_account(&o, call_str(c, "AccountId"), out, cap);
}

/* Loads the visible member AccountId of o; AccountNotFoundException when there is none. */
static int load_account(struct call *c, const struct store_org *o, struct store_org_account *a)
{
	int rc = store_org_account_get(c->tx, o->org_id, call_str(c, "AccountId"), c->now_ms, a);

	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_ORG_ACCOUNT_NOT_FOUND, MSG_ACCOUNT_NOT_FOUND);
	return rc == C_OK ? C_OK : C_ERR;
}

/* CreateAccountStatus {...} as a client sees it at c->now_ms. */
static json_t *status_json(struct call *c, const struct store_car *s)
{
	bool done = c->now_ms >= s->completed_ms;
	json_t *j = json_pack("{s:s, s:s, s:s, s:o}", "Id", s->request_id, "AccountName", s->account_name, "State",
	                      done ? s->state : "IN_PROGRESS", "RequestedTimestamp", orgs_time(s->requested_ms));

	if (!j || !done)
		return j;
	json_object_set_new(j, "CompletedTimestamp", orgs_time(s->completed_ms));
	if (s->account_id[0])
		json_object_set_new(j, "AccountId", json_string(s->account_id));
	if (s->failure_reason[0])
		json_object_set_new(j, "FailureReason", json_string(s->failure_reason));
	return j;
}

/* Creates the member account of request s (its account_id is filled in) with its role and tags. */
static int create_member(struct call *c, const struct store_org *o, struct store_car *s, json_t *tags)
{
	struct store_account a, existing;
	struct store_role role;
	char trust[512];
	bool scp = false;
	int rc = STORE_EXISTS;

	memset(&a, 0, sizeof(a));
	for (int tries = 0; tries < 16 && rc == STORE_EXISTS; tries++) {
		id_account(a.account_id);
		rc = store_account_get(c->tx, a.account_id, &existing);
		if (rc == STORE_NOT_FOUND)
			rc = C_OK;
		else if (rc == C_OK)
			rc = STORE_EXISTS;
	}
	if (rc != C_OK)
		return C_ERR;
	snprintf(a.name, sizeof(a.name), "%s", s->account_name);
	snprintf(a.email, sizeof(a.email), "%s", s->email);
	snprintf(a.status, sizeof(a.status), "ACTIVE");
	a.created_ms = c->now_ms;
	/* It joins (and becomes visible) when the creation completes. */
	if (store_account_create(c->tx, &a) != C_OK ||
	    store_org_account_add(c->tx, a.account_id, o->org_id, o->root_id, "CREATED", s->completed_ms) != C_OK ||
	    store_org_policy_type_enabled(c->tx, o->root_id, ORG_SCP, &scp) != C_OK ||
	    (scp && store_org_attach(c->tx, ORG_FULL_ACCESS_ID, a.account_id) != C_OK) ||
	    orgs_put_tags(c, a.account_id, tags) != C_OK)
		return C_ERR;

	/* The role the management account enters the new account with, as AWS creates it. */
	snprintf(trust, sizeof(trust),
	         "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
	         "\"arn:aws:iam::%s:root\"},\"Action\":\"sts:AssumeRole\"}]}",
	         o->management_account_id);
	memset(&role, 0, sizeof(role));
	id_unique("AROA", role.role_id);
	snprintf(role.account_id, sizeof(role.account_id), "%s", a.account_id);
	snprintf(role.name, sizeof(role.name), "%s", s->role_name);
	snprintf(role.path, sizeof(role.path), "/");
	role.trust_policy = trust; /* borrowed: role is not cleared */
	role.max_session_s = 3600;
	role.created_ms = c->now_ms;
	if (store_role_create(c->tx, &role) != C_OK ||
	    store_attach(c->tx, a.account_id, "role", role.role_id, ADMIN_POLICY_ARN, c->now_ms) != C_OK)
		return C_ERR;
	snprintf(s->account_id, sizeof(s->account_id), "%s", a.account_id);
	return C_OK;
}

int orgs_create_account(struct call *c)
{
	const char *role = call_str(c, "RoleName");
	json_t *tags = json_object_get(c->in, "Tags"), *j;
	struct store_org o;
	struct store_car s;
	bool taken = false;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	if (role && strncmp(role, "AWSServiceRoleFor", 17) == 0) {
		aws_err_set(&c->err, ERR_ORG_INVALID_INPUT,
		            "You provided a role name that isn't valid. A role name can't begin with the reserved prefix "
		            "AWSServiceRoleFor.");
		return aws_err_reason(&c->err, "INVALID_ROLE_NAME");
	}
	if (orgs_check_tags(c, tags, NULL) != C_OK)
		return C_ERR;
	memset(&s, 0, sizeof(s));
	orgs_random_id(s.request_id, sizeof(s.request_id), "car-", 32);
	snprintf(s.org_id, sizeof(s.org_id), "%s", o.org_id);
	snprintf(s.account_name, sizeof(s.account_name), "%s", call_str(c, "AccountName"));
	snprintf(s.email, sizeof(s.email), "%s", call_str(c, "Email"));
	snprintf(s.role_name, sizeof(s.role_name), "%s", role ? role : DEFAULT_ROLE);
	s.requested_ms = c->now_ms;
	s.completed_ms = c->now_ms + ORGS_ASYNC_MS;
	if (store_account_email_taken(c->tx, s.email, &taken) != C_OK)
		return C_ERR;
	if (taken) {
		/* AWS accepts the request and fails it: the failure shows in the status. */
		snprintf(s.state, sizeof(s.state), "FAILED");
		snprintf(s.failure_reason, sizeof(s.failure_reason), "EMAIL_ALREADY_EXISTS");
	} else {
		snprintf(s.state, sizeof(s.state), "SUCCEEDED");
		if (create_member(c, &o, &s, tags) != C_OK)
			return C_ERR;
	}
	if (store_car_create(c->tx, &s) != C_OK || !(j = status_json(c, &s)))
		return C_ERR;
	json_object_set_new(c->out, "CreateAccountStatus", j);
	return C_OK;
}

int orgs_describe_create_account_status(struct call *c)
{
	struct store_org o;
	struct store_car s;
	json_t *j;
	int rc;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	rc = store_car_get(c->tx, o.org_id, call_str(c, "CreateAccountRequestId"), &s);
	if (rc == STORE_NOT_FOUND)
		return aws_err_set(&c->err, ERR_ORG_CREATE_ACCOUNT_STATUS_NOT_FOUND, MSG_CAR_NOT_FOUND);
	if (rc != C_OK || !(j = status_json(c, &s)))
		return C_ERR;
	json_object_set_new(c->out, "CreateAccountStatus", j);
	return C_OK;
}

struct status_list {
	struct call *c;
	json_t *arr;
	int limit, seen;
	char last[96];
};

static int status_one(void *ctx, const struct store_car *s)
{
	struct status_list *l = ctx;
	json_t *j;

	if (l->seen++ >= l->limit)
		return C_OK; /* the extra row only tells that there is more */
	if (!(j = status_json(l->c, s)) || json_array_append_new(l->arr, j) != 0)
		return C_ERR;
	store_car_key(s, l->last, sizeof(l->last));
	return C_OK;
}

int orgs_list_create_account_status(struct call *c)
{
	struct status_list l = {.c = c};
	json_t *states = json_object_get(c->in, "States"), *st;
	unsigned mask = 0;
	struct store_org o;
	char after[96];
	size_t i;

	if (orgs_context(c, &o, true) != C_OK || orgs_page_read(c, "car", after, sizeof(after), &l.limit) != C_OK)
		return C_ERR;
	json_array_foreach(states, i, st)
	{
		const char *v = json_string_value(st);
		if (!v)
			continue;
		mask |= strcmp(v, "IN_PROGRESS") == 0 ? STORE_CAR_IN_PROGRESS
		        : strcmp(v, "SUCCEEDED") == 0 ? STORE_CAR_SUCCEEDED
		        : strcmp(v, "FAILED") == 0    ? STORE_CAR_FAILED
		                                      : 0;
	}
	if (!states || json_array_size(states) == 0)
		mask = STORE_CAR_IN_PROGRESS | STORE_CAR_SUCCEEDED | STORE_CAR_FAILED;
	l.arr = json_array();
	json_object_set_new(c->out, "CreateAccountStatuses", l.arr);
	if (store_car_list(c->tx, o.org_id, mask, c->now_ms, after[0] ? after : NULL, l.limit + 1, status_one, &l) < 0)
		return C_ERR;
	return orgs_page_write(c, "car", l.seen > l.limit, l.last);
}

int orgs_describe_account(struct call *c)
{
	struct store_org_account a;
	struct store_org o;
	json_t *j;

	if (orgs_context(c, &o, true) != C_OK || load_account(c, &o, &a) != C_OK ||
	    !(j = orgs_account_json(c, &o, &a)))
		return C_ERR;
	json_object_set_new(c->out, "Account", j);
	return C_OK;
}

struct account_list {
	struct call *c;
	const struct store_org *o;
	json_t *arr;
	int limit, seen;
	char last[ACCOUNT_ID_LEN + 1];
};

static int account_one(void *ctx, const struct store_org_account *a)
{
	struct account_list *l = ctx;
	json_t *j;

	if (l->seen++ >= l->limit)
		return C_OK;
	if (!(j = orgs_account_json(l->c, l->o, a)) || json_array_append_new(l->arr, j) != 0)
		return C_ERR;
	snprintf(l->last, sizeof(l->last), "%s", a->account_id);
	return C_OK;
}

/* ListAccounts (parent_id NULL) and ListAccountsForParent. */
static int list_accounts(struct call *c, const struct store_org *o, const char *parent_id, const char *kind)
{
	struct account_list l = {.c = c, .o = o};
	char after[64];

	if (orgs_page_read(c, kind, after, sizeof(after), &l.limit) != C_OK)
		return C_ERR;
	l.arr = json_array();
	json_object_set_new(c->out, "Accounts", l.arr);
	if (store_org_account_list(c->tx, o->org_id, parent_id, c->now_ms, after[0] ? after : NULL, l.limit + 1,
	                           account_one, &l) < 0)
		return C_ERR;
	return orgs_page_write(c, kind, l.seen > l.limit, l.last);
}

int orgs_list_accounts(struct call *c)
{
	struct store_org o;

	if (orgs_context(c, &o, true) != C_OK)
		return C_ERR;
	return list_accounts(c, &o, NULL, "accounts");
}

int orgs_list_accounts_for_parent(struct call *c)
{
	const char *parent = call_str(c, "ParentId");
	struct store_org o;
	bool exists = false;

	if (orgs_context(c, &o, true) != C_OK || orgs_parent_exists(c, &o, parent, &exists) != C_OK)
		return C_ERR;
	if (!exists)
		return aws_err_set(&c->err, ERR_ORG_PARENT_NOT_FOUND, MSG_PARENT_NOT_FOUND);
	return list_accounts(c, &o, parent, "accounts-for-parent");
}

int orgs_move_account(struct call *c)
{
	const char *source = call_str(c, "SourceParentId"), *dest = call_str(c, "DestinationParentId");
	struct store_org_account a;
	struct store_org o;
	bool exists = false;

	if (orgs_context(c, &o, true) != C_OK || load_account(c, &o, &a) != C_OK ||
	    orgs_parent_exists(c, &o, source, &exists) != C_OK)
		return C_ERR;
	if (!exists)
		return aws_err_set(&c->err, ERR_ORG_SOURCE_PARENT_NOT_FOUND, MSG_SOURCE_PARENT_NOT_FOUND);
	if (orgs_parent_exists(c, &o, dest, &exists) != C_OK)
		return C_ERR;
	if (!exists)
		return aws_err_set(&c->err, ERR_ORG_DESTINATION_PARENT_NOT_FOUND, MSG_DEST_PARENT_NOT_FOUND);
	/* The account is not where the caller says it is. */
	if (strcmp(a.parent_id, source) != 0)
		return aws_err_set(&c->err, ERR_ORG_SOURCE_PARENT_NOT_FOUND, MSG_SOURCE_PARENT_NOT_FOUND);
	if (strcmp(a.parent_id, dest) == 0)
		return aws_err_set(&c->err, ERR_ORG_DUPLICATE_ACCOUNT, MSG_DUPLICATE_ACCOUNT);
	return store_org_account_move(c->tx, a.account_id, dest) == C_OK ? C_OK : C_ERR;
}

int orgs_remove_account(struct call *c)
{
	struct store_org_account a;
	struct store_org o;
	char tag_id[64];

	if (orgs_context(c, &o, true) != C_OK || load_account(c, &o, &a) != C_OK)
		return C_ERR;
	if (strcmp(a.account_id, o.management_account_id) == 0)
		return aws_err_set(&c->err, ERR_ORG_MASTER_CANNOT_LEAVE,
		                   "You can't remove a management account from an organization. If you want the management "
		                   "account to become a member account in another organization, you must first delete the "
		                   "current organization of the management account.");
	/* Its attachments and tags belong to the organization and stay behind. */
	orgs_tag_id(a.account_id, tag_id, sizeof(tag_id));
	if (store_org_detach_target(c->tx, a.account_id) != C_OK || store_tag_delete_all(c->tx, tag_id) != C_OK ||
	    store_org_account_remove(c->tx, a.account_id) != C_OK)
		return C_ERR;
	return C_OK;
}

int orgs_close_account(struct call *c)
{
	struct store_org_account a;
	struct store_org o;

	if (orgs_context(c, &o, true) != C_OK || load_account(c, &o, &a) != C_OK)
		return C_ERR;
	if (strcmp(a.account_id, o.management_account_id) == 0) {
		aws_err_set(&c->err, ERR_ORG_CONSTRAINT_VIOLATION,
		            "You attempted to close the management account. To close the management account for the "
		            "organization, you must first either remove or close all member accounts in the organization.");
		return aws_err_reason(&c->err, "CANNOT_CLOSE_MANAGEMENT_ACCOUNT");
	}
	if (strcmp(a.status, "ACTIVE") != 0)
		return aws_err_set(&c->err, ERR_ORG_ACCOUNT_ALREADY_CLOSED,
		                   "You attempted to close an account that is already closed.");
	/* From now on the account's principals are refused; it shows SUSPENDED once the closure completes. */
	return store_account_set_status(c->tx, a.account_id, "PENDING_CLOSURE", c->now_ms + ORGS_ASYNC_MS) == C_OK
	               ? C_OK
	               : C_ERR;
}
