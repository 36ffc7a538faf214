/*
 * mfa_check.c - one-time codes of virtual MFA devices for STS: once only, with a lockout after repeated failures.
 */
#include "sts/mfa_check.h"

#include <string.h>

#include "server/secrets.h"
#include "store/mfa.h"
#include "util/common.h"
#include "util/log.h"
#include "util/totp.h"

/* AWS's messages: a serial that is not the caller's device, and a wrong code. */
#define MSG_DEVICE                                                                                                  \
	"MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is "  \
	"valid and associated with this user."
#define MSG_CODE "MultiFactorAuthentication failed with invalid MFA one time pass code."
/* AWS documents no lockout message; this one says what happened without telling more than a wrong code does. */
#define MSG_LOCKED                                                                                                  \
	"MultiFactorAuthentication failed: too many invalid MFA one time pass codes; the MFA device is locked, try "  \
	"again later."

static int storage_failure(struct aws_err *err)
{
	aws_err_set(err, ERR_SERVICE_FAILURE,
	            "The request processing has failed because of an unknown error, exception or failure.");
	return C_ERR;
}

int mfa_check(struct db_tx *tx, const char *account_id, const char *serial, const char *owner_user_id,
              const char *code, int64_t now_ms, int64_t *auth_time_s, struct aws_err *err)
{
	struct store_mfa_device d;
	char seed[TOTP_SEED_LEN + 1];
	uint64_t matched = 0;
	int64_t changes = 0;
	bool ok;
	int rc;

	rc = store_mfa_get(tx, serial, &d);
	if (rc == STORE_NOT_FOUND) {
		aws_err_set(err, ERR_ACCESS_DENIED, MSG_DEVICE);
		return MFA_REFUSED_DEVICE;
	}
	if (rc != C_OK)
		return storage_failure(err);
	if (strcmp(d.account_id, account_id) != 0 || !d.enabled_ms ||
	    (owner_user_id ? strcmp(d.user_id, owner_user_id) != 0 : !d.is_root)) {
		rc = MFA_REFUSED_DEVICE;
		aws_err_set(err, ERR_ACCESS_DENIED, MSG_DEVICE);
		goto done;
	}
	if (d.locked_until_ms > now_ms) {
		rc = MFA_REFUSED_LOCKED;
		aws_err_set(err, ERR_ACCESS_DENIED, MSG_LOCKED);
		goto done;
	}
	if (secrets_open(d.serial, d.seed_sealed, d.seed_sealed_len, seed, sizeof(seed)) != C_OK ||
	    d.seed_sealed_len != TOTP_SEED_LEN + AEAD_OVERHEAD) {
		log_warnx("mfa: the seed of %s does not open", d.serial);
		rc = storage_failure(err);
		goto done;
	}
	ok = totp_verify((const uint8_t *)seed, TOTP_SEED_LEN, code, now_ms / 1000, MFA_WINDOW_STEPS, &matched);
	explicit_bzero(seed, sizeof(seed));
	if (!ok) {
		rc = MFA_REFUSED_CODE;
		aws_err_set(err, ERR_ACCESS_DENIED, MSG_CODE);
		goto done;
	}
	/* Once only: the step must come after the last accepted one. The update is conditional so that two requests
	 * racing with the same code cannot both pass (writes are serialised). */
	if ((int64_t)matched <= d.last_counter) {
		rc = MFA_REFUSED_REPLAY;
		aws_err_set(err, ERR_ACCESS_DENIED, MSG_CODE);
		goto done;
	}
	if (db_exec(tx,
	            "UPDATE mfa_devices SET last_counter = ?2, failures = 0, locked_until_ms = 0 "
	            "WHERE serial = ?1 AND last_counter < ?2",
	            DB_ARGS(db_text(d.serial), db_int((int64_t)matched)), &changes) != C_OK) {
		rc = storage_failure(err);
		goto done;
	}
	if (changes != 1) {
		rc = MFA_REFUSED_REPLAY;
		aws_err_set(err, ERR_ACCESS_DENIED, MSG_CODE);
		goto done;
	}
	if (auth_time_s)
		*auth_time_s = now_ms / 1000;
	rc = C_OK;
done:
	explicit_bzero(&d, sizeof(d));
	return rc;
}

int mfa_record_refusal(struct db *db, const char *serial, int rc, int64_t now_ms, bool *locked_now)
{
	struct db_tx *tx;
	bool locked = false;
	int src;

	if (locked_now)
		*locked_now = false;
	if (rc != MFA_REFUSED_CODE && rc != MFA_REFUSED_REPLAY)
		return C_OK;
	if (db_begin(db, true, &tx) != C_OK)
		return C_ERR;
	src = store_mfa_refuse(tx, serial, now_ms, MFA_MAX_FAILURES, MFA_LOCK_MS, &locked);
	if (src != C_OK && src != STORE_NOT_FOUND) {
		db_rollback(tx);
		return C_ERR;
	}
	if (db_commit(tx) != C_OK)
		return C_ERR;
	if (locked_now)
		*locked_now = locked;
	return C_OK;
}

const char *mfa_check_outcome(int rc)
{
	switch (rc) {
	case C_OK:
		return "MFAOk";
	case MFA_REFUSED_DEVICE:
		return "MFAUnknownDevice";
	case MFA_REFUSED_LOCKED:
		return "MFALocked";
	case MFA_REFUSED_CODE:
		return "MFAInvalidCode";
	case MFA_REFUSED_REPLAY:
		return "MFAReplayedCode";
	default:
		return "MFAError";
	}
}
