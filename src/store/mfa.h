/*
 * mfa.h - storage of virtual MFA devices (table mfa_devices, schema migration 2).
 *
 * A device is identified by its serial number, its ARN: arn:aws:iam::ACCT:mfa/PATH/NAME. It is unassigned until
 * EnableMFADevice gives it an owner: an IAM user (user_id) or the account's root (is_root). The TOTP seed is stored
 * sealed (src/server/secrets.c, bound to the serial); this file never sees it in the clear. last_counter is the last
 * TOTP time step accepted (no code at or before it is accepted again); failures counts refused codes in a row and
 * locked_until_ms ends a lockout.
 *
 * Same conventions as store.h: an open transaction; C_OK, STORE_NOT_FOUND, STORE_EXISTS or C_ERR.
 */
#ifndef ROLEGATE_STORE_MFA_H
#define ROLEGATE_STORE_MFA_H

#include "store/store.h"
#include "util/crypto.h"
#include "util/totp.h"

/* The longest serial number the API accepts (serialNumberType). */
#define MFA_SERIAL_MAX 256
#define MFA_SEALED_SEED_MAX (TOTP_SEED_LEN + AEAD_OVERHEAD)

struct store_mfa_device {
	char serial[MFA_SERIAL_MAX + 1];
	char account_id[ACCOUNT_ID_LEN + 1];
	char name[MFA_SERIAL_MAX + 1];
	char path[IAM_PATH_MAX + 1];
	uint8_t seed_sealed[MFA_SEALED_SEED_MAX];
	size_t seed_sealed_len;
	char user_id[IAM_ID_MAX]; /* the owner when assigned to a user, else "" */
	bool is_root;             /* assigned to the account's root */
	int64_t enabled_ms;       /* 0 while unassigned */
	int64_t last_counter;     /* the last TOTP step accepted; 0: none yet */
	int64_t failures;         /* refused codes in a row */
	int64_t locked_until_ms;  /* 0 or the end of a lockout */
	int64_t created_ms;
};

/* Which devices a list returns. */
enum store_mfa_filter { STORE_MFA_ANY, STORE_MFA_ASSIGNED, STORE_MFA_UNASSIGNED };

typedef int (*store_mfa_fn)(void *ctx, const struct store_mfa_device *d);

/* Adds an unassigned device. STORE_EXISTS when the account has a device of that serial (without regard to case). */
int store_mfa_create(struct db_tx *tx, const struct store_mfa_device *d);
int store_mfa_get(struct db_tx *tx, const char *serial, struct store_mfa_device *out);
int store_mfa_delete(struct db_tx *tx, const char *serial);
/*
 * Calls fn for the devices of account_id matching filter, in serial order, starting after after_serial (exclusive;
 * NULL: from the start), at most limit. Returns the number visited, or C_ERR.
 */
int store_mfa_list(struct db_tx *tx, const char *account_id, enum store_mfa_filter filter, const char *after_serial,
                   int limit, store_mfa_fn fn, void *ctx);
/* The devices assigned to a user (user_id) or to the account's root (user_id NULL), in serial order. */
int store_mfa_list_owner(struct db_tx *tx, const char *account_id, const char *user_id, const char *after_serial,
                         int limit, store_mfa_fn fn, void *ctx);
/* How many devices are assigned to a user (user_id) or to the account's root (user_id NULL). */
int store_mfa_count_owner(struct db_tx *tx, const char *account_id, const char *user_id, int64_t *count);
/* Devices of the account: all of them, and those assigned. */
int store_mfa_count(struct db_tx *tx, const char *account_id, int64_t *total, int64_t *assigned);

/* Assigns the device to a user (user_id) or to the root (user_id NULL) from enabled_ms, with last_counter as the
 * last step used and no failures. */
int store_mfa_assign(struct db_tx *tx, const char *serial, const char *user_id, int64_t enabled_ms,
                     int64_t last_counter);
/* Back to unassigned (DeactivateMFADevice): no owner, no counters. */
int store_mfa_unassign(struct db_tx *tx, const char *serial);
/* A code was accepted at counter: remember it, clear failures and any lockout. */
int store_mfa_accept(struct db_tx *tx, const char *serial, int64_t counter);
/*
 * A code was refused at now_ms: failures + 1 (starting again at 1 when an earlier lockout has ended); when they reach
 * max_failures the device is locked until now_ms + lock_ms. *locked (optional) tells whether it is locked now.
 */
int store_mfa_refuse(struct db_tx *tx, const char *serial, int64_t now_ms, int max_failures, int64_t lock_ms,
                     bool *locked);

#endif
