/*
 * access_keys.c - CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed.
 *
 * A key belongs to a user or to the account's root. UserName absent means "the caller". Secrets are generated
 * here, sealed (server/secrets.c) before they reach the store, returned once, and wiped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "aws/ids.h"
#include "iam/iam.h"
#include "server/secrets.h"
#include "util/common.h"

#define KEYS_PER_USER 2

/* Whose keys: the user named UserName, or the caller. user->user_id is "" for the root. */
static int key_owner(struct call *c, struct store_user *user)
{
	const char *name = call_str(c, "UserName");

	memset(user, 0, sizeof(*user));
	if (!name && c->caller.kind == PRINCIPAL_ROOT) {
		snprintf(user->account_id, sizeof(user->account_id), "%s", c->caller.account_id);
		return C_OK;
	}
	return iam_load_named_or_self(c, name, user);
}

static int no_such_key(struct call *c, const char *id)
{
	return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "The Access Key with id %s cannot be found.", id);
}

/* Loads AccessKeyId and checks it belongs to owner. */
static int owned_key(struct call *c, const struct store_user *owner, struct store_access_key *k)
{
	const char *id = call_str(c, "AccessKeyId");
	int rc = store_key_get(c->tx, id, k);

	if (rc == STORE_NOT_FOUND || (rc == C_OK && (strcmp(k->account_id, owner->account_id) != 0 ||
	                                             strcmp(k->user_id, owner->user_id) != 0)))
		return no_such_key(c, id);
	return rc == C_OK ? C_OK : C_ERR;
}

int iam_create_access_key(struct call *c)
{
	struct store_user owner;
	struct store_access_key k;
	char secret[SECRET_KEY_LEN + 1];
	int64_t count = 0;
	json_t *key;
	int rc = C_ERR;

	if (key_owner(c, &owner) != C_OK)
		return C_ERR;
	if (store_key_count(c->tx, owner.account_id, owner.user_id[0] ? owner.user_id : NULL, &count) != C_OK)
		return C_ERR;
	if (count >= KEYS_PER_USER)
		return aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for AccessKeysPerUser: %d",
		                   KEYS_PER_USER);
	memset(&k, 0, sizeof(k));
	id_access_key("AKIA", owner.account_id, k.access_key_id);
	id_secret_key(secret);
	snprintf(k.account_id, sizeof(k.account_id), "%s", owner.account_id);
	snprintf(k.user_id, sizeof(k.user_id), "%s", owner.user_id);
	snprintf(k.status, sizeof(k.status), "Active");
	k.created_ms = c->now_ms;
	if (secrets_seal(k.access_key_id, secret, SECRET_KEY_LEN, k.secret_sealed, sizeof(k.secret_sealed),
	                 &k.secret_sealed_len) != C_OK ||
	    store_key_create(c->tx, &k) != C_OK)
		goto done;
	key = json_pack("{s:s, s:s, s:s, s:I}", "AccessKeyId", k.access_key_id, "Status", "Active", "SecretAccessKey",
	                secret, "CreateDate", (json_int_t)(k.created_ms / 1000));
	if (!key)
		goto done;
	if (owner.name[0])
		json_object_set_new(key, "UserName", json_string(owner.name));
	json_object_set_new(c->out, "AccessKey", key);
	rc = C_OK;
done:
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

struct list_ctx {
	const struct store_user *owner;
	json_t *keys;
};

static int list_one(void *ctx, const struct store_access_key *k)
{
	struct list_ctx *l = ctx;
	json_t *j = json_pack("{s:s, s:s, s:I}", "AccessKeyId", k->access_key_id, "Status", k->status, "CreateDate",
	                      (json_int_t)(k->created_ms / 1000));

	if (!j)
		return C_ERR;
	if (l->owner->name[0])
		json_object_set_new(j, "UserName", json_string(l->owner->name));
	return json_array_append_new(l->keys, j) == 0 ? C_OK : C_ERR;
}

int iam_list_access_keys(struct call *c)
{
	struct store_user owner;
	struct list_ctx l = {.owner = &owner};
	int64_t max = call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS);
	size_t skip, total;
	char pos[16], next[16];
	json_t *page;

	if (key_owner(c, &owner) != C_OK || iam_marker_read(c, pos, sizeof(pos)) != C_OK)
		return C_ERR;
	skip = pos[0] ? (size_t)atoi(pos) : 0;
	l.keys = json_array();
	if (store_key_list(c->tx, owner.account_id, owner.user_id[0] ? owner.user_id : NULL, list_one, &l) < 0) {
		json_decref(l.keys);
		return C_ERR;
	}
	/* A user has at most two keys, so the page is cut from the whole list. */
	total = json_array_size(l.keys);
	page = json_array();
	for (size_t i = skip; i < total && i < skip + (size_t)max; i++)
		json_array_append(page, json_array_get(l.keys, i));
	json_decref(l.keys);
	json_object_set_new(c->out, "AccessKeyMetadata", page);
	snprintf(next, sizeof(next), "%zu", skip + (size_t)max);
	return iam_marker_write(c, total > skip + (size_t)max, next);
}

int iam_update_access_key(struct call *c)
{
	struct store_user owner;
	struct store_access_key k;
	const char *status = call_str(c, "Status");

	if (key_owner(c, &owner) != C_OK || owned_key(c, &owner, &k) != C_OK)
		return C_ERR;
	if (strcmp(status, "Active") != 0 && strcmp(status, "Inactive") != 0)
		return aws_err_set(&c->err, ERR_INVALID_INPUT,
		                   "The access key status can only be changed to Active or Inactive.");
	return store_key_set_status(c->tx, k.access_key_id, status) == C_OK ? C_OK : C_ERR;
}

int iam_delete_access_key(struct call *c)
{
	struct store_user owner;
	struct store_access_key k;

	if (key_owner(c, &owner) != C_OK || owned_key(c, &owner, &k) != C_OK)
		return C_ERR;
	return store_key_delete(c->tx, k.access_key_id) == C_OK ? C_OK : C_ERR;
}

int iam_resource_key_owner(struct call *c, char *out, size_t cap)
{
	struct store_access_key k;
	struct store_user u;
	int rc = store_key_get(c->tx, call_str(c, "AccessKeyId"), &k);

	if (rc == STORE_NOT_FOUND || (rc == C_OK && strcmp(k.account_id, c->caller.account_id) != 0))
		return snprintf(out, cap, "arn:aws:iam::%s:user/", c->caller.account_id) < (int)cap ? C_OK : C_ERR;
	if (rc != C_OK)
		return C_ERR;
	if (!k.user_id[0])
		return arn_root(out, cap, k.account_id);
	if (store_user_get_by_id(c->tx, k.user_id, &u) != C_OK)
		return C_ERR;
	return arn_user(out, cap, u.account_id, u.path, u.name);
}

int iam_get_access_key_last_used(struct call *c)
{
	const char *id = call_str(c, "AccessKeyId");
	struct store_access_key k;
	struct store_user u;
	json_t *used;
	int rc = store_key_get(c->tx, id, &k);

	if (rc == STORE_NOT_FOUND || (rc == C_OK && strcmp(k.account_id, c->caller.account_id) != 0))
		return no_such_key(c, id);
	if (rc != C_OK)
		return C_ERR;
	if (k.user_id[0]) {
		if (store_user_get_by_id(c->tx, k.user_id, &u) != C_OK)
			return C_ERR;
		json_object_set_new(c->out, "UserName", json_string(u.name));
	}
	/* AWS answers "N/A" for a key that was never used. */
	if (k.last_used_ms)
		used = json_pack("{s:I, s:s, s:s}", "LastUsedDate", (json_int_t)(k.last_used_ms / 1000), "ServiceName",
		                 k.last_used_service, "Region", k.last_used_region);
	else
		used = json_pack("{s:s, s:s}", "ServiceName", "N/A", "Region", "N/A");
	if (!used)
		return C_ERR;
	json_object_set_new(c->out, "AccessKeyLastUsed", used);
	return C_OK;
}

static const struct action actions[] = {
	{"iam", "CreateAccessKey", true, iam_resource_user, iam_create_access_key},
	{"iam", "ListAccessKeys", false, iam_resource_user, iam_list_access_keys},
	{"iam", "UpdateAccessKey", true, iam_resource_user, iam_update_access_key},
	{"iam", "DeleteAccessKey", true, iam_resource_user, iam_delete_access_key},
	{"iam", "GetAccessKeyLastUsed", false, iam_resource_key_owner, iam_get_access_key_last_used},
};

ACTION_TABLE(iam_access_key_actions, actions);
