/*
 * mfa.c - virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice, DeactivateMFADevice, DeleteVirtualMFADevice,
 * ListMFADevices, ListVirtualMFADevices, ResyncMFADevice, TagMFADevice, UntagMFADevice, ListMFADeviceTags.
 *
 * A device is created unassigned with a random seed, which is returned once (as base32 text and as a QR code of its
 * otpauth:// URI), sealed before it reaches the store, and wiped. EnableMFADevice assigns it to an IAM user or to
 * the account's root once two consecutive codes prove the seed is in an authenticator. The root is named by
 * leaving UserName out where the API allows it, or, where UserName is required (EnableMFADevice,
 * ResyncMFADevice), by the account id when the caller is the root itself: AWS enables root devices from its
 * console only, and rolegate has no console. ListMFADevices reports the root's devices with the account id as
 * UserName.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/arn.h"
#include "iam/iam.h"
#include "server/secrets.h"
#include "store/login.h"
#include "store/mfa.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/qrpng.h"
#include "util/totp.h"

/* MFA devices a user (or the root) may have, as on AWS since 2022. */
#define MFA_DEVICES_PER_USER 8
/* EnableMFADevice and ResyncMFADevice: how far (in 30-second steps) from now the second code may be. The codes
 * are typed by hand, one step apart, and resynchronising is for clocks that have drifted. */
#define MFA_PAIR_WINDOW 10
#define MFA_ISSUER "rolegate"
#define TAGS_QUOTA_NAME "TagsPerMFADevice"

/* Whose devices: the root, or an IAM user. */
struct mfa_owner {
	bool root;
	struct store_user user; /* when !root */
};

/* ---- helpers ------------------------------------------------------------------------------------------------- */

static int no_such_device(struct call *c, const char *serial)
{
	return aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "VirtualMFADevice with serial number %s doesn't exist.",
	                   serial);
}

/* Loads the device `serial` of the caller's account (a device of another account does not exist for it). */
static int load_device(struct call *c, const char *serial, struct store_mfa_device *d)
{
	int rc = store_mfa_get(c->tx, serial, d);

	if (rc == STORE_NOT_FOUND || (rc == C_OK && strcmp(d->account_id, c->caller.account_id) != 0))
		return no_such_device(c, serial);
	return rc == C_OK ? C_OK : C_ERR;
}

/* Whether UserName names the account's root: only the root itself does so, by its account id. */
static bool names_root(const struct call *c, const char *name)
{
	return c->caller.kind == PRINCIPAL_ROOT && name && strcmp(name, c->caller.account_id) == 0;
}

/* Resolves UserName (absent: the caller) to the owner of devices. */
static int load_owner(struct call *c, const char *name, struct mfa_owner *o)
{
	memset(o, 0, sizeof(*o));
	if ((!name && c->caller.kind == PRINCIPAL_ROOT) || names_root(c, name)) {
		o->root = true;
		return C_OK;
	}
	return iam_load_named_or_self(c, name, &o->user);
}

/* Whether d is assigned to o. */
static bool owned_by(const struct store_mfa_device *d, const struct mfa_owner *o)
{
	if (!d->enabled_ms)
		return false;
	return o->root ? d->is_root : (!d->is_root && strcmp(d->user_id, o->user.user_id) == 0);
}

/* The part of a serial after "arn:aws:iam::ACCT:mfa" (the marker of a list: short enough for markerType). */
static const char *serial_tail(const char *serial)
{
	const char *p = strstr(serial, ":mfa/");

	return p ? p + 4 : serial;
}

static int serial_of(struct call *c, const char *tail, char *out, size_t cap)
{
	int n = snprintf(out, cap, "arn:aws:iam::%s:mfa%s", c->caller.account_id, tail);

	return n > 0 && (size_t)n < cap ? C_OK : C_ERR;
}

/* Opens the sealed seed of d into seed (TOTP_SEED_LEN bytes + NUL). The caller wipes it. */
static int open_seed(const struct store_mfa_device *d, char seed[TOTP_SEED_LEN + 1])
{
	if (d->seed_sealed_len != TOTP_SEED_LEN + AEAD_OVERHEAD ||
	    secrets_open(d->serial, d->seed_sealed, d->seed_sealed_len, seed, TOTP_SEED_LEN + 1) != C_OK)
		return C_ERR;
	return C_OK;
}

/* Checks AuthenticationCode1 and AuthenticationCode2 against d: *second is the step of the second code. */
static int check_pair(struct call *c, const struct store_mfa_device *d, uint64_t *second)
{
	char seed[TOTP_SEED_LEN + 1];
	bool ok;

	if (open_seed(d, seed) != C_OK)
		return C_ERR;
	ok = totp_verify_pair((const uint8_t *)seed, TOTP_SEED_LEN, call_str(c, "AuthenticationCode1"),
	                      call_str(c, "AuthenticationCode2"), c->now_ms / 1000, MFA_PAIR_WINDOW, second);
	explicit_bzero(seed, sizeof(seed));
	if (!ok)
		return aws_err_set(&c->err, ERR_INVALID_AUTHENTICATION_CODE, "Authentication code for device is not valid.");
	return C_OK;
}

/* The User member of a VirtualMFADevice: the IAM user, or the root as GetUser shows it. */
static json_t *device_user_json(struct call *c, const struct store_mfa_device *d)
{
	struct store_account a;
	struct store_user u;
	char arn[ARN_MAX + 1];

	if (d->is_root) {
		if (store_account_get(c->tx, d->account_id, &a) != C_OK || arn_root(arn, sizeof(arn), d->account_id) != C_OK)
			return NULL;
		return json_pack("{s:s, s:s, s:I}", "UserId", d->account_id, "Arn", arn, "CreateDate",
		                 (json_int_t)(a.created_ms / 1000));
	}
	if (store_user_get_by_id(c->tx, d->user_id, &u) != C_OK)
		return NULL;
	return iam_user_json(c, &u, false);
}

/* ---- resources ----------------------------------------------------------------------------------------------- */

/* The device named by SerialNumber (its ARN), or the device being created (Path + VirtualMFADeviceName). */
static int resource_device(struct call *c, char *out, size_t cap)
{
	const char *serial = call_str(c, "SerialNumber"), *path = call_str(c, "Path");

	if (serial)
		return snprintf(out, cap, "%s", serial) < (int)cap ? C_OK : C_ERR;
	return snprintf(out, cap, "arn:aws:iam::%s:mfa%s%s", c->caller.account_id, path ? path : "/",
	                call_str(c, "VirtualMFADeviceName")) < (int)cap
	           ? C_OK
	           : C_ERR;
}

/* The owner named by UserName: a user, or the root (UserName absent, or the account id named by the root). */
static int resource_owner(struct call *c, char *out, size_t cap)
{
	const char *name = call_str(c, "UserName");

	if (names_root(c, name))
		return arn_root(out, cap, c->caller.account_id);
	return iam_resource_user(c, out, cap);
}

static int resource_devices(struct call *c, char *out, size_t cap)
{
	return snprintf(out, cap, "arn:aws:iam::%s:mfa/", c->caller.account_id) < (int)cap ? C_OK : C_ERR;
}

/* ---- actions ------------------------------------------------------------------------------------------------- */

static int create_virtual_mfa_device(struct call *c)
{
	const char *name = call_str(c, "VirtualMFADeviceName"), *path = call_str(c, "Path");
	json_t *tags = json_object_get(c->in, "Tags"), *dev;
	struct store_mfa_device d;
	uint8_t seed[TOTP_SEED_LEN];
	char seed_b32[TOTP_SEED_B32_LEN + 1], account[ACCOUNT_ALIAS_MAX + 1], label[MFA_SERIAL_MAX + 80], uri[1024];
	char *seed_b64 = NULL, *png_b64 = NULL;
	uint8_t *png = NULL;
	size_t png_len = 0;
	int64_t devices = 0;
	int rc = C_ERR, n;

	if (!path)
		path = "/";
	memset(&d, 0, sizeof(d));
	n = snprintf(d.serial, sizeof(d.serial), "arn:aws:iam::%s:mfa%s%s", c->caller.account_id, path, name);
	if (n < 0 || (size_t)n >= sizeof(d.serial))
		return aws_err_set(&c->err, ERR_VALIDATION,
		                   "1 validation error detected: Value at 'serialNumber' failed to satisfy constraint: "
		                   "Member must have length less than or equal to %d",
		                   MFA_SERIAL_MAX);
	if (iam_check_tags(c, tags, NULL, TAGS_QUOTA_NAME) != C_OK)
		return C_ERR;
	snprintf(d.account_id, sizeof(d.account_id), "%s", c->caller.account_id);
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.path, sizeof(d.path), "%s", path);
	d.created_ms = c->now_ms;
	if (crypto_random(seed, sizeof(seed)) != C_OK ||
	    secrets_seal(d.serial, seed, sizeof(seed), d.seed_sealed, sizeof(d.seed_sealed), &d.seed_sealed_len) != C_OK)
		goto done;
	rc = store_mfa_create(c->tx, &d);
	if (rc == STORE_EXISTS) {
		rc = aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS,
		                 "MFADevice entity at the same path and name already exists.");
		goto done;
	}
	if (rc != C_OK) {
		rc = C_ERR;
		goto done;
	}
	/* Virtual MFA devices of an account, assigned or not: as many as its users quota (AWS's rule). */
	if (store_account_count(c->tx, c->caller.account_id, STORE_COUNT_MFA_DEVICES, &devices) != C_OK) {
		rc = C_ERR;
		goto done;
	}
	if (devices > iam_quota(c, IAM_QUOTA_USERS)) {
		rc = aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for VirtualMFADevicesPerAccount: %lld",
		                 (long long)iam_quota(c, IAM_QUOTA_USERS));
		goto done;
	}
	rc = C_ERR;
	if ((tags && iam_put_tags(c, d.serial, tags) != C_OK) ||
	    base32_encode(seed, sizeof(seed), seed_b32, sizeof(seed_b32)) != TOTP_SEED_B32_LEN)
		goto done;
	/* The authenticator shows the account's alias when it has one, as AWS's QR codes do. */
	n = store_alias_get(c->tx, c->caller.account_id, account, sizeof(account));
	if (n == STORE_NOT_FOUND)
		snprintf(account, sizeof(account), "%s", c->caller.account_id);
	else if (n != C_OK)
		goto done;
	if (snprintf(label, sizeof(label), "%s@%s", name, account) >= (int)sizeof(label) ||
	    totp_uri(uri, sizeof(uri), MFA_ISSUER, label, seed_b32) != C_OK ||
	    !(png = qrpng_render(uri, QRPNG_SCALE, &png_len)))
		goto done;
	/* Blobs travel base64-encoded; the SDKs decode them (Base32StringSeed decodes to the base32 text). */
	seed_b64 = base64_encode((const uint8_t *)seed_b32, strlen(seed_b32));
	png_b64 = base64_encode(png, png_len);
	if (!seed_b64 || !png_b64)
		goto done;
	dev = json_pack("{s:s, s:s, s:s}", "SerialNumber", d.serial, "Base32StringSeed", seed_b64, "QRCodePNG",
	                png_b64);
	if (!dev)
		goto done;
	if (tags && json_array_size(tags))
		json_object_set(dev, "Tags", tags);
	/* dispatch wipes the sensitive members of the result once it is sent */
	json_object_set_new(c->out, "VirtualMFADevice", dev);
	rc = C_OK;
done:
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(seed_b32, sizeof(seed_b32));
	explicit_bzero(uri, sizeof(uri));
	if (png) {
		explicit_bzero(png, png_len);
		free(png);
	}
	if (seed_b64) {
		explicit_bzero(seed_b64, strlen(seed_b64));
		free(seed_b64);
	}
	if (png_b64) {
		explicit_bzero(png_b64, strlen(png_b64));
		free(png_b64);
	}
	return rc;
}

static int enable_mfa_device(struct call *c)
{
	const char *serial = call_str(c, "SerialNumber");
	struct mfa_owner o;
	struct store_mfa_device d;
	uint64_t second = 0;
	int64_t have = 0;
	int rc = C_ERR;

	if (load_owner(c, call_str(c, "UserName"), &o) != C_OK || load_device(c, serial, &d) != C_OK)
		goto done;
	if (d.enabled_ms) {
		rc = aws_err_set(&c->err, ERR_ENTITY_ALREADY_EXISTS, "MFA Device is already in use.");
		goto done;
	}
	if (store_mfa_count_owner(c->tx, c->caller.account_id, o.root ? NULL : o.user.user_id, &have) != C_OK)
		goto done;
	if (have >= MFA_DEVICES_PER_USER) {
		rc = aws_err_set(&c->err, ERR_LIMIT_EXCEEDED, "Cannot exceed quota for MFADevicesPerUser: %d",
		                 MFA_DEVICES_PER_USER);
		goto done;
	}
	if (check_pair(c, &d, &second) != C_OK)
		goto done;
	/* The two codes are spent: STS accepts only codes of later steps. */
	rc = store_mfa_assign(c->tx, d.serial, o.root ? NULL : o.user.user_id, c->now_ms, (int64_t)second) == C_OK
	         ? C_OK
	         : C_ERR;
done:
	explicit_bzero(&d, sizeof(d));
	return rc;
}

/* Loads the device SerialNumber and checks it is assigned to the owner named by UserName. */
static int load_owned_device(struct call *c, struct mfa_owner *o, struct store_mfa_device *d)
{
	const char *serial = call_str(c, "SerialNumber");

	if (load_owner(c, call_str(c, "UserName"), o) != C_OK || load_device(c, serial, d) != C_OK)
		return C_ERR;
	if (!owned_by(d, o))
		return no_such_device(c, serial);
	return C_OK;
}

static int deactivate_mfa_device(struct call *c)
{
	struct mfa_owner o;
	struct store_mfa_device d;
	int rc = C_ERR;

	if (load_owned_device(c, &o, &d) == C_OK)
		rc = store_mfa_unassign(c->tx, d.serial) == C_OK ? C_OK : C_ERR;
	explicit_bzero(&d, sizeof(d));
	return rc;
}

static int resync_mfa_device(struct call *c)
{
	struct mfa_owner o;
	struct store_mfa_device d;
	uint64_t second = 0;
	int rc = C_ERR;

	if (load_owned_device(c, &o, &d) != C_OK || check_pair(c, &d, &second) != C_OK)
		goto done;
	/* Codes already accepted stay spent. */
	if ((int64_t)second <= d.last_counter) {
		rc = aws_err_set(&c->err, ERR_INVALID_AUTHENTICATION_CODE, "Authentication code for device is not valid.");
		goto done;
	}
	rc = store_mfa_accept(c->tx, d.serial, (int64_t)second) == C_OK ? C_OK : C_ERR;
done:
	explicit_bzero(&d, sizeof(d));
	return rc;
}

static int delete_virtual_mfa_device(struct call *c)
{
	struct store_mfa_device d;
	int rc = C_ERR;

	if (load_device(c, call_str(c, "SerialNumber"), &d) != C_OK)
		goto done;
	if (d.enabled_ms) {
		rc = aws_err_set(&c->err, ERR_DELETE_CONFLICT, "MFA Device is still in use.");
		goto done;
	}
	if (store_tag_delete_all(c->tx, d.serial) == C_OK && store_mfa_delete(c->tx, d.serial) == C_OK)
		rc = C_OK;
done:
	explicit_bzero(&d, sizeof(d));
	return rc;
}

struct list_ctx {
	struct call *c;
	const struct mfa_owner *owner;
	json_t *items;
	int limit;
	int seen;
	char last[MFA_SERIAL_MAX + 1];
};

static int list_mfa_one(void *ctx, const struct store_mfa_device *d)
{
	struct list_ctx *l = ctx;
	json_t *j;

	if (l->seen++ >= l->limit)
		return C_OK; /* the extra row only tells that there is more */
	j = json_pack("{s:s, s:s, s:I}", "UserName", l->owner->root ? d->account_id : l->owner->user.name,
	              "SerialNumber", d->serial, "EnableDate", (json_int_t)(d->enabled_ms / 1000));
	if (!j || json_array_append_new(l->items, j) != 0)
		return C_ERR;
	snprintf(l->last, sizeof(l->last), "%s", serial_tail(d->serial));
	return C_OK;
}

static int list_mfa_devices(struct call *c)
{
	struct mfa_owner o;
	struct list_ctx l = {.c = c, .owner = &o, .limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	char pos[MFA_SERIAL_MAX + 1], after[MFA_SERIAL_MAX + 1];

	if (load_owner(c, call_str(c, "UserName"), &o) != C_OK || iam_marker_read(c, pos, sizeof(pos)) != C_OK)
		return C_ERR;
	if (pos[0] && serial_of(c, pos, after, sizeof(after)) != C_OK)
		return aws_err_set(&c->err, ERR_INVALID_INPUT, "Invalid Marker.");
	l.items = json_array();
	json_object_set_new(c->out, "MFADevices", l.items);
	if (store_mfa_list_owner(c->tx, c->caller.account_id, o.root ? NULL : o.user.user_id, pos[0] ? after : NULL,
	                         l.limit + 1, list_mfa_one, &l) < 0)
		return C_ERR;
	return iam_marker_write(c, l.seen > l.limit, l.last);
}

static int list_virtual_one(void *ctx, const struct store_mfa_device *d)
{
	struct list_ctx *l = ctx;
	json_t *j, *user;

	if (l->seen++ >= l->limit)
		return C_OK;
	j = json_pack("{s:s}", "SerialNumber", d->serial);
	if (!j || json_array_append_new(l->items, j) != 0)
		return C_ERR;
	if (d->enabled_ms) {
		user = device_user_json(l->c, d);
		if (!user)
			return C_ERR;
		json_object_set_new(j, "User", user);
		json_object_set_new(j, "EnableDate", json_integer((json_int_t)(d->enabled_ms / 1000)));
	}
	snprintf(l->last, sizeof(l->last), "%s", serial_tail(d->serial));
	return C_OK;
}

static int list_virtual_mfa_devices(struct call *c)
{
	const char *status = call_str(c, "AssignmentStatus");
	struct list_ctx l = {.c = c, .limit = (int)call_int(c, "MaxItems", IAM_DEFAULT_MAX_ITEMS)};
	char pos[MFA_SERIAL_MAX + 1], after[MFA_SERIAL_MAX + 1];
	enum store_mfa_filter filter = STORE_MFA_ANY;

	/* AssignmentStatus defaults to Any (the model's enum is checked before this runs). */
	if (status && strcmp(status, "Assigned") == 0)
		filter = STORE_MFA_ASSIGNED;
	else if (status && strcmp(status, "Unassigned") == 0)
		filter = STORE_MFA_UNASSIGNED;
	if (iam_marker_read(c, pos, sizeof(pos)) != C_OK)
		return C_ERR;
	if (pos[0] && serial_of(c, pos, after, sizeof(after)) != C_OK)
		return aws_err_set(&c->err, ERR_INVALID_INPUT, "Invalid Marker.");
	l.items = json_array();
	json_object_set_new(c->out, "VirtualMFADevices", l.items);
	if (store_mfa_list(c->tx, c->caller.account_id, filter, pos[0] ? after : NULL, l.limit + 1, list_virtual_one,
	                   &l) < 0)
		return C_ERR;
	return iam_marker_write(c, l.seen > l.limit, l.last);
}

static int tag_mfa_device(struct call *c)
{
	struct store_mfa_device d;
	json_t *tags = json_object_get(c->in, "Tags");
	int rc = C_ERR;

	if (load_device(c, call_str(c, "SerialNumber"), &d) == C_OK &&
	    iam_check_tags(c, tags, d.serial, TAGS_QUOTA_NAME) == C_OK)
		rc = iam_put_tags(c, d.serial, tags);
	explicit_bzero(&d, sizeof(d));
	return rc;
}

static int untag_mfa_device(struct call *c)
{
	struct store_mfa_device d;
	int rc = C_ERR;

	if (load_device(c, call_str(c, "SerialNumber"), &d) == C_OK)
		rc = iam_untag(c, d.serial);
	explicit_bzero(&d, sizeof(d));
	return rc;
}

static int list_mfa_device_tags(struct call *c)
{
	struct store_mfa_device d;
	int rc = C_ERR;

	if (load_device(c, call_str(c, "SerialNumber"), &d) == C_OK)
		rc = iam_list_tags_page(c, d.serial);
	explicit_bzero(&d, sizeof(d));
	return rc;
}

static const struct action actions[] = {
	{"iam", "CreateVirtualMFADevice", true, resource_device, create_virtual_mfa_device},
	{"iam", "EnableMFADevice", true, resource_owner, enable_mfa_device},
	{"iam", "DeactivateMFADevice", true, resource_owner, deactivate_mfa_device},
	{"iam", "ResyncMFADevice", true, resource_owner, resync_mfa_device},
	{"iam", "DeleteVirtualMFADevice", true, resource_device, delete_virtual_mfa_device},
	{"iam", "ListMFADevices", false, resource_owner, list_mfa_devices},
	{"iam", "ListVirtualMFADevices", false, resource_devices, list_virtual_mfa_devices},
	{"iam", "TagMFADevice", true, resource_device, tag_mfa_device},
	{"iam", "UntagMFADevice", true, resource_device, untag_mfa_device},
	{"iam", "ListMFADeviceTags", false, resource_device, list_mfa_device_tags},
};

ACTION_TABLE(iam_mfa_actions, actions);
