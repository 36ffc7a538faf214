/*
 * mfa_check.h - verifying an MFA code for STS (AssumeRole and GetSessionToken with SerialNumber + TokenCode).
 *
 * A code is accepted once: the device remembers the last TOTP step it accepted and refuses that step and every
 * earlier one (a replay). Five refused codes in a row lock the device for five minutes; while locked every code is
 * refused without being looked at. The caller audits the outcome (mfa_check_outcome() names it).
 *
 * Typical use, in the request's write transaction:
 *
 *   rc = mfa_check(tx, acct, serial, user_id_or_NULL, code, now_ms, &auth_s, &c->err);
 *   if (rc != C_OK) -> refuse (c->err is set); after the transaction is rolled back:
 *       mfa_record_refusal(db, serial, rc, now_ms, &locked);
 */
#ifndef ROLEGATE_MFA_CHECK_H
#define ROLEGATE_MFA_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "aws/errors.h"
#include "store/db.h"

/* Refused codes in a row that lock a device, and for how long. */
#define MFA_MAX_FAILURES 5
#define MFA_LOCK_MS (5 * 60 * 1000)
/* Steps either side of now a code may come from (clock drift between the device and the server). */
#define MFA_WINDOW_STEPS 1

/* What mfa_check returns besides C_OK and C_ERR (a storage failure; err is ServiceFailure). */
#define MFA_REFUSED_DEVICE -20 /* no such device, not enabled, or not the caller's */
#define MFA_REFUSED_LOCKED -21 /* locked after too many failures */
#define MFA_REFUSED_CODE -22   /* a wrong code */
#define MFA_REFUSED_REPLAY -23 /* a right code already used (its step is not after the last accepted one) */

/*
 * Verifies that `code` is a current one-time code of the virtual MFA device `serial` of account_id, enabled for the
 * user owner_user_id (NULL: for the account's root). On success records the code's step as used (in tx, which must
 * be a write transaction; the caller's commit makes it durable), sets *auth_time_s to the verification time and
 * returns C_OK. Otherwise sets err (AccessDenied with AWS's messages, or ServiceFailure) and returns one of the
 * MFA_REFUSED_* values (or C_ERR); it writes nothing then: see mfa_record_refusal().
 */
int mfa_check(struct db_tx *tx, const char *account_id, const char *serial, const char *owner_user_id,
              const char *code, int64_t now_ms, int64_t *auth_time_s, struct aws_err *err);

/*
 * Records a refusal of mfa_check (rc is what it returned) in a write transaction of its own, to be called once the
 * caller's transaction is rolled back (on the same thread, with no transaction open). Only wrong and replayed codes
 * count toward the lockout (a code for someone else's device, or one tried while locked, does not). Sets *locked_now
 * (optional) when the device is locked after this refusal. C_OK, or C_ERR on a storage failure.
 */
int mfa_record_refusal(struct db *db, const char *serial, int rc, int64_t now_ms, bool *locked_now);

/* A short name of mfa_check's outcome for the audit trail: "MFAOk", "MFAUnknownDevice", "MFALocked",
 * "MFAInvalidCode", "MFAReplayedCode" or "MFAError". */
const char *mfa_check_outcome(int rc);

#endif
