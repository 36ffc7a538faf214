/*
 * test_totp.c - tests src/util/totp.c (RFC 4226 HOTP and RFC 6238 TOTP with HMAC-SHA1: the RFCs' test vectors,
 * 8-digit and 6-digit; the verification window; code pairs; RFC 4648 base32) and src/sts/mfa_check.c against a
 * real SQLite store: a code is accepted once (a replay is refused), wrong codes lock the device after five failures
 * for five minutes, a device that is not the caller's is refused without counting, and the seed stays sealed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/secrets.h"
#include "store/db.h"
#include "store/mfa.h"
#include "store/store.h"
#include "sts/mfa_check.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/totp.h"

/* RFC 6238 appendix B and RFC 4226 appendix D: the SHA1 key is the ASCII string "12345678901234567890". */
static const uint8_t rfc_key[] = "12345678901234567890";
#define RFC_KEY_LEN 20

static void test_hotp_rfc4226(void **state)
{
	static const uint32_t expect[] = {755224, 287082, 359152, 969429, 338314,
	                                  254676, 287922, 162583, 399871, 520489};
	char code[TOTP_DIGITS + 1];

	(void)state;
	for (uint64_t i = 0; i < ARRAY_LEN(expect); i++) {
		assert_int_equal(hotp_value(rfc_key, RFC_KEY_LEN, i, 6), expect[i]);
		totp_code(rfc_key, RFC_KEY_LEN, i, code);
		assert_int_equal(strlen(code), 6);
		assert_int_equal((uint32_t)atoi(code), expect[i]);
	}
}

static void test_totp_rfc6238_sha1(void **state)
{
	static const struct {
		int64_t t;
		uint64_t counter;
		const char *eight;
	} v[] = {
		{59, 0x1, "94287082"},
		{1111111109, 0x23523EC, "07081804"},
		{1111111111, 0x23523ED, "14050471"},
		{1234567890, 0x273EF07, "89005924"},
		{2000000000, 0x3F940AA, "69279037"},
		{20000000000, 0x27BC86AA, "65353130"},
	};
	char code[TOTP_DIGITS + 1], eight[9];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		assert_true(totp_counter(v[i].t) == v[i].counter);
		snprintf(eight, sizeof(eight), "%08u", hotp_value(rfc_key, RFC_KEY_LEN, v[i].counter, 8));
		assert_string_equal(eight, v[i].eight);
		/* the 6-digit code is the same truncation modulo 10^6: the vector's last six digits, zero-padded */
		totp_code(rfc_key, RFC_KEY_LEN, v[i].counter, code);
		assert_string_equal(code, v[i].eight + 2);
	}
	assert_true(totp_counter(-5) == 0);
	assert_true(totp_counter(29) == 0 && totp_counter(30) == 1);
}

static void test_verify_window(void **state)
{
	const int64_t now = 1111111111; /* counter 0x23523ED, 1 s into its step */
	uint64_t c = totp_counter(now), m = 0;
	char code[TOTP_DIGITS + 1];

	(void)state;
	totp_code(rfc_key, RFC_KEY_LEN, c, code);
	assert_true(totp_verify(rfc_key, RFC_KEY_LEN, code, now, 1, &m));
	assert_true(m == c);
	assert_true(totp_verify(rfc_key, RFC_KEY_LEN, code, now, 0, &m));
	/* one step behind or ahead: inside a window of 1, outside a window of 0 */
	totp_code(rfc_key, RFC_KEY_LEN, c - 1, code);
	assert_true(totp_verify(rfc_key, RFC_KEY_LEN, code, now, 1, &m));
	assert_true(m == c - 1);
	assert_false(totp_verify(rfc_key, RFC_KEY_LEN, code, now, 0, &m));
	totp_code(rfc_key, RFC_KEY_LEN, c + 1, code);
	assert_true(totp_verify(rfc_key, RFC_KEY_LEN, code, now, 1, &m));
	assert_true(m == c + 1);
	/* two steps away: refused in a window of 1 */
	totp_code(rfc_key, RFC_KEY_LEN, c - 2, code);
	m = 77;
	assert_false(totp_verify(rfc_key, RFC_KEY_LEN, code, now, 1, &m));
	assert_true(m == 77); /* untouched on failure */
	totp_code(rfc_key, RFC_KEY_LEN, c + 2, code);
	assert_false(totp_verify(rfc_key, RFC_KEY_LEN, code, now, 1, &m));
	assert_true(totp_verify(rfc_key, RFC_KEY_LEN, code, now, 2, &m));
	/* the step boundary: at 1111111110 the counter is 0x23523ED, at 1111111109 the one before */
	totp_code(rfc_key, RFC_KEY_LEN, 0x23523ED, code);
	assert_true(totp_verify(rfc_key, RFC_KEY_LEN, code, 1111111110, 0, &m));
	assert_false(totp_verify(rfc_key, RFC_KEY_LEN, code, 1111111109, 0, &m));
	/* the RFC's code at its time */
	assert_true(totp_verify(rfc_key, RFC_KEY_LEN, "050471", 1111111111, 0, &m));
	/* malformed codes */
	assert_false(totp_verify(rfc_key, RFC_KEY_LEN, "05047", now, 1, &m));
	assert_false(totp_verify(rfc_key, RFC_KEY_LEN, "0504711", now, 1, &m));
	assert_false(totp_verify(rfc_key, RFC_KEY_LEN, "05047a", now, 1, &m));
	assert_false(totp_verify(rfc_key, RFC_KEY_LEN, " 50471", now, 1, &m));
	assert_false(totp_verify(rfc_key, RFC_KEY_LEN, "", now, 1, &m));
	assert_false(totp_verify(rfc_key, RFC_KEY_LEN, NULL, now, 1, &m));
	/* a different key does not accept the code */
	assert_false(totp_verify((const uint8_t *)"another key 12345678", 20, "050471", 1111111111, 0, &m));
	/* near the epoch the window does not wrap below counter 0 */
	totp_code(rfc_key, RFC_KEY_LEN, 0, code);
	assert_true(totp_verify(rfc_key, RFC_KEY_LEN, code, 10, 3, &m));
	assert_true(m == 0);
}

static void test_verify_pair(void **state)
{
	const int64_t now = 1234567890;
	uint64_t c = totp_counter(now), second = 0;
	char a[TOTP_DIGITS + 1], b[TOTP_DIGITS + 1];

	(void)state;
	/* typed one step apart, just before submitting */
	totp_code(rfc_key, RFC_KEY_LEN, c - 1, a);
	totp_code(rfc_key, RFC_KEY_LEN, c, b);
	assert_true(totp_verify_pair(rfc_key, RFC_KEY_LEN, a, b, now, 10, &second));
	assert_true(second == c);
	/* the wrong order, or the same code twice, is refused */
	assert_false(totp_verify_pair(rfc_key, RFC_KEY_LEN, b, a, now, 10, &second));
	assert_false(totp_verify_pair(rfc_key, RFC_KEY_LEN, b, b, now, 10, &second));
	/* codes from a few minutes ago are still inside a window of 10 steps, not of 2 */
	totp_code(rfc_key, RFC_KEY_LEN, c - 8, a);
	totp_code(rfc_key, RFC_KEY_LEN, c - 7, b);
	assert_true(totp_verify_pair(rfc_key, RFC_KEY_LEN, a, b, now, 10, &second));
	assert_true(second == c - 7);
	assert_false(totp_verify_pair(rfc_key, RFC_KEY_LEN, a, b, now, 2, &second));
	/* not consecutive */
	totp_code(rfc_key, RFC_KEY_LEN, c - 2, a);
	totp_code(rfc_key, RFC_KEY_LEN, c, b);
	assert_false(totp_verify_pair(rfc_key, RFC_KEY_LEN, a, b, now, 10, &second));
	assert_false(totp_verify_pair(rfc_key, RFC_KEY_LEN, "12345", b, now, 10, &second));
}

static void test_base32_vectors(void **state)
{
	/* RFC 4648 section 10, without padding */
	static const struct {
		const char *in, *out;
	} v[] = {
		{"", ""},         {"f", "MY"},           {"fo", "MZXQ"},          {"foo", "MZXW6"},
		{"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI"},
	};
	char out[64];
	uint8_t raw[64];
	size_t len;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		assert_int_equal(base32_encode((const uint8_t *)v[i].in, strlen(v[i].in), out, sizeof(out)),
		                 (int)strlen(v[i].out));
		assert_string_equal(out, v[i].out);
		assert_int_equal(BASE32_LEN(strlen(v[i].in)), strlen(v[i].out));
		assert_int_equal(base32_decode(v[i].out, raw, sizeof(raw), &len), C_OK);
		assert_int_equal(len, strlen(v[i].in));
		assert_memory_equal(raw, v[i].in, len);
	}
	/* padding, lower case, spaces and hyphens (as authenticator apps group seeds) are accepted */
	assert_int_equal(base32_decode("MZXW6YQ=", raw, sizeof(raw), &len), C_OK);
	assert_int_equal(len, 4);
	assert_memory_equal(raw, "foob", 4);
	assert_int_equal(base32_decode("mzxw 6ytb-oi", raw, sizeof(raw), &len), C_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(raw, "foobar", 6);
	/* malformed */
	assert_int_equal(base32_decode("MZXW1", raw, sizeof(raw), &len), C_ERR); /* '1' is not in the alphabet */
	assert_int_equal(base32_decode("MZ!", raw, sizeof(raw), &len), C_ERR);
	assert_int_equal(base32_decode("MZ", raw, sizeof(raw), &len), C_ERR);   /* leftover bits not zero */
	assert_int_equal(base32_decode("MZXW6YQ=A", raw, sizeof(raw), &len), C_ERR); /* data after padding */
	assert_int_equal(base32_decode("M", raw, sizeof(raw), &len), C_ERR);    /* 5 bits: not a whole byte */
	assert_int_equal(base32_decode("MZXW6YTBOI", raw, 5, &len), C_ERR);     /* does not fit */
	/* too small an output buffer for encoding */
	assert_int_equal(base32_encode((const uint8_t *)"foobar", 6, out, 10), -1);
	assert_int_equal(base32_encode((const uint8_t *)"foobar", 6, out, 11), 10);
}

static void test_base32_roundtrip(void **state)
{
	uint8_t seed[TOTP_SEED_LEN], back[TOTP_SEED_LEN + 8];
	char text[TOTP_SEED_B32_LEN + 1];
	size_t len;

	(void)state;
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)round % (TOTP_SEED_LEN + 1);
		assert_int_equal(crypto_random(seed, sizeof(seed)), C_OK);
		assert_int_equal(base32_encode(seed, n, text, sizeof(text)), (int)BASE32_LEN(n));
		assert_int_equal(base32_decode(text, back, sizeof(back), &len), C_OK);
		assert_int_equal(len, n);
		assert_memory_equal(back, seed, n);
	}
	/* a seed is 64 characters, as AWS's Base32StringSeed */
	assert_int_equal(BASE32_LEN(TOTP_SEED_LEN), TOTP_SEED_B32_LEN);
}

static void test_uri(void **state)
{
	char uri[256];

	(void)state;
	assert_int_equal(totp_uri(uri, sizeof(uri), "rolegate", "anay@123456789012", "JBSWY3DPEHPK3PXP"), C_OK);
	assert_string_equal(uri, "otpauth://totp/rolegate:anay%40123456789012?secret=JBSWY3DPEHPK3PXP&issuer=rolegate");
	/* everything outside the unreserved characters is percent-encoded, in the label and the issuer */
	assert_int_equal(totp_uri(uri, sizeof(uri), "Ops & Co", "a+b=c,d:e/f", "MZXW6"), C_OK);
	assert_string_equal(uri, "otpauth://totp/Ops%20%26%20Co:a%2Bb%3Dc%2Cd%3Ae%2Ff?secret=MZXW6&issuer=Ops%20%26%20Co");
	/* too small: refused, and nothing of the seed is left in the buffer */
	memset(uri, 'x', sizeof(uri));
	assert_int_equal(totp_uri(uri, 40, "rolegate", "anay", "JBSWY3DPEHPK3PXP"), C_ERR);
	assert_null(memmem(uri, 40, "JBSW", 4));
	assert_true(uri[40] == 'x');
	for (size_t cap = 0; cap < 80; cap++) {
		char small[80];
		int rc = totp_uri(small, cap, "rolegate", "anay", "JBSWY3DPEHPK3PXP");
		/* 68 characters and the NUL */
		assert_int_equal(rc, cap >= 69 ? C_OK : C_ERR);
	}
}

/* ---- mfa_check against a store ------------------------------------------------------------------------------ */

#define ACCT "123456789012"
#define SERIAL "arn:aws:iam::123456789012:mfa/anay"
#define SERIAL_ROOT "arn:aws:iam::123456789012:mfa/root-account-mfa-device"

struct fixture {
	char dir[64];
	struct db *db;
	uint8_t seed[TOTP_SEED_LEN];
	uint8_t root_seed[TOTP_SEED_LEN];
};

static void add_device(struct db_tx *tx, const char *serial, const char *name, const uint8_t *seed)
{
	struct store_mfa_device d;

	memset(&d, 0, sizeof(d));
	snprintf(d.serial, sizeof(d.serial), "%s", serial);
	snprintf(d.account_id, sizeof(d.account_id), ACCT);
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.path, sizeof(d.path), "/");
	d.created_ms = 1000;
	assert_int_equal(secrets_seal(d.serial, seed, TOTP_SEED_LEN, d.seed_sealed, sizeof(d.seed_sealed),
	                              &d.seed_sealed_len),
	                 C_OK);
	assert_int_equal(store_mfa_create(tx, &d), C_OK);
}

static int setup_store(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct store_account a = {.created_ms = 1000};
	struct store_user u;
	struct db_tx *tx;

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rolegate-totp-XXXXXX");
	if (!mkdtemp(fx->dir) || secrets_load_master_key(NULL, fx->dir) != C_OK || !(fx->db = db_open_sqlite(fx->dir)) ||
	    store_migrate(fx->db) != C_OK || db_begin(fx->db, true, &tx) != C_OK)
		return -1;
	snprintf(a.account_id, sizeof(a.account_id), ACCT);
	snprintf(a.name, sizeof(a.name), "ops");
	snprintf(a.status, sizeof(a.status), "ACTIVE");
	memset(&u, 0, sizeof(u));
	snprintf(u.user_id, sizeof(u.user_id), "AIDAANAY");
	snprintf(u.account_id, sizeof(u.account_id), ACCT);
	snprintf(u.name, sizeof(u.name), "anay");
	snprintf(u.path, sizeof(u.path), "/");
	if (store_account_create(tx, &a) != C_OK || store_user_create(tx, &u) != C_OK)
		return -1;
	crypto_random(fx->seed, sizeof(fx->seed));
	crypto_random(fx->root_seed, sizeof(fx->root_seed));
	add_device(tx, SERIAL, "anay", fx->seed);
	add_device(tx, SERIAL_ROOT, "root-account-mfa-device", fx->root_seed);
	/* both enabled, with the steps of their enabling codes (far in the past) spent */
	if (store_mfa_assign(tx, SERIAL, "AIDAANAY", 2000, 10) != C_OK ||
	    store_mfa_assign(tx, SERIAL_ROOT, NULL, 2000, 10) != C_OK || db_commit(tx) != C_OK)
		return -1;
	*state = fx;
	return 0;
}

static int teardown_store(void **state)
{
	struct fixture *fx = *state;

	db_close(fx->db);
	remove_dir(fx->dir);
	secrets_wipe();
	free(fx);
	return 0;
}

/* Runs mfa_check in a write transaction, committing on success and recording the refusal otherwise, as STS does. */
static int check(struct fixture *fx, const char *serial, const char *owner, const char *code, int64_t now_ms,
                 struct aws_err *err, bool *locked)
{
	struct db_tx *tx;
	int64_t auth = 0;
	int rc;

	assert_int_equal(db_begin(fx->db, true, &tx), C_OK);
	rc = mfa_check(tx, ACCT, serial, owner, code, now_ms, &auth, err);
	if (rc == C_OK) {
		assert_int_equal(db_commit(tx), C_OK);
		assert_true(auth == now_ms / 1000);
	} else {
		db_rollback(tx);
		assert_int_equal(mfa_record_refusal(fx->db, serial, rc, now_ms, locked), C_OK);
	}
	return rc;
}

static struct store_mfa_device device(struct fixture *fx, const char *serial)
{
	struct store_mfa_device d;
	struct db_tx *tx;

	assert_int_equal(db_begin(fx->db, false, &tx), C_OK);
	assert_int_equal(store_mfa_get(tx, serial, &d), C_OK);
	db_rollback(tx);
	return d;
}

static void test_check_once_only(void **state)
{
	struct fixture *fx = *state;
	const int64_t now_ms = 1767323045000;
	uint64_t c = totp_counter(now_ms / 1000);
	char code[TOTP_DIGITS + 1], prev[TOTP_DIGITS + 1];
	struct aws_err err;
	bool locked = true;

	totp_code(fx->seed, TOTP_SEED_LEN, c, code);
	assert_int_equal(check(fx, SERIAL, "AIDAANAY", code, now_ms, &err, &locked), C_OK);
	assert_true(device(fx, SERIAL).last_counter == (int64_t)c);
	/* the same code again, even a second later in the same step: a replay */
	assert_int_equal(check(fx, SERIAL, "AIDAANAY", code, now_ms + 1000, &err, &locked), MFA_REFUSED_REPLAY);
	assert_int_equal(err.code, ERR_ACCESS_DENIED);
	assert_string_equal(err.message, "MultiFactorAuthentication failed with invalid MFA one time pass code.");
	assert_false(locked);
	/* the previous step's code is inside the window but older than the accepted one: refused too */
	totp_code(fx->seed, TOTP_SEED_LEN, c - 1, prev);
	assert_int_equal(check(fx, SERIAL, "AIDAANAY", prev, now_ms, &err, NULL), MFA_REFUSED_REPLAY);
	/* the next step's code is accepted once */
	totp_code(fx->seed, TOTP_SEED_LEN, c + 1, code);
	assert_int_equal(check(fx, SERIAL, "AIDAANAY", code, now_ms + 30000, &err, NULL), C_OK);
	assert_int_equal(check(fx, SERIAL, "AIDAANAY", code, now_ms + 30000, &err, NULL), MFA_REFUSED_REPLAY);
	/* the two replays counted as failures; a success cleared them */
	assert_true(device(fx, SERIAL).failures == 1);
	assert_string_equal(mfa_check_outcome(MFA_REFUSED_REPLAY), "MFAReplayedCode");
	assert_string_equal(mfa_check_outcome(C_OK), "MFAOk");
}

static void test_check_wrong_owner(void **state)
{
	struct fixture *fx = *state;
	const int64_t now_ms = 1767323045000;
	char code[TOTP_DIGITS + 1];
	struct aws_err err;

	totp_code(fx->seed, TOTP_SEED_LEN, totp_counter(now_ms / 1000), code);
	/* anay's device named by the root, by another user, in another account, or a device that does not exist */
	assert_int_equal(check(fx, SERIAL, NULL, code, now_ms, &err, NULL), MFA_REFUSED_DEVICE);
	assert_int_equal(err.code, ERR_ACCESS_DENIED);
	assert_string_equal(err.message, "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify "
	                                 "your MFA serial number is valid and associated with this user.");
	assert_int_equal(check(fx, SERIAL, "AIDAABHI", code, now_ms, &err, NULL), MFA_REFUSED_DEVICE);
	assert_int_equal(check(fx, "arn:aws:iam::123456789012:mfa/nobody", "AIDAANAY", code, now_ms, &err, NULL),
	                 MFA_REFUSED_DEVICE);
	{
		struct db_tx *tx;
		assert_int_equal(db_begin(fx->db, true, &tx), C_OK);
		assert_int_equal(mfa_check(tx, "210987654321", SERIAL, "AIDAANAY", code, now_ms, NULL, &err),
		                 MFA_REFUSED_DEVICE);
		db_rollback(tx);
	}
	/* none of that counts against the owner's device */
	assert_true(device(fx, SERIAL).failures == 0);
	/* and the owner's code still works */
	assert_int_equal(check(fx, SERIAL, "AIDAANAY", code, now_ms, &err, NULL), C_OK);
	/* the root's device, for the root */
	totp_code(fx->root_seed, TOTP_SEED_LEN, totp_counter(now_ms / 1000), code);
	assert_int_equal(check(fx, SERIAL_ROOT, "AIDAANAY", code, now_ms, &err, NULL), MFA_REFUSED_DEVICE);
	assert_int_equal(check(fx, SERIAL_ROOT, NULL, code, now_ms, &err, NULL), C_OK);
}

static void test_check_lockout(void **state)
{
	struct fixture *fx = *state;
	int64_t now_ms = 1767323045000;
	uint64_t c = totp_counter(now_ms / 1000);
	char good[TOTP_DIGITS + 1], bad[16];
	struct aws_err err;
	bool locked = false;

	totp_code(fx->seed, TOTP_SEED_LEN, c, good);
	/* a code that matches no step of the window */
	snprintf(bad, sizeof(bad), "%06d", (atoi(good) + 1) % 1000000);
	for (int64_t s = -1; s <= 1; s++) {
		char other[TOTP_DIGITS + 1];
		totp_code(fx->seed, TOTP_SEED_LEN, c + (uint64_t)s, other);
		if (strcmp(other, bad) == 0)
			skip();
	}
	for (int i = 1; i <= MFA_MAX_FAILURES; i++) {
		assert_int_equal(check(fx, SERIAL, "AIDAANAY", bad, now_ms, &err, &locked), MFA_REFUSED_CODE);
		assert_string_equal(err.message, "MultiFactorAuthentication failed with invalid MFA one time pass code.");
		assert_true(locked == (i == MFA_MAX_FAILURES));
		assert_true(device(fx, SERIAL).failures == i);
	}
	assert_true(device(fx, SERIAL).locked_until_ms == now_ms + MFA_LOCK_MS);
	/* locked: even the right code is refused, and attempts do not extend the lockout */
	assert_int_equal(check(fx, SERIAL, "AIDAANAY", good, now_ms + 1000, &err, &locked), MFA_REFUSED_LOCKED);
	assert_int_equal(err.code, ERR_ACCESS_DENIED);
	assert_non_null(strstr(err.message, "locked"));
	assert_string_equal(mfa_check_outcome(MFA_REFUSED_LOCKED), "MFALocked");
	assert_true(device(fx, SERIAL).locked_until_ms == now_ms + MFA_LOCK_MS);
	assert_int_equal(check(fx, SERIAL, "AIDAANAY", bad, now_ms + 2000, &err, &locked), MFA_REFUSED_LOCKED);
	assert_true(device(fx, SERIAL).locked_until_ms == now_ms + MFA_LOCK_MS);
	/* the root's device is not affected */
	{
		char root_code[TOTP_DIGITS + 1];
		totp_code(fx->root_seed, TOTP_SEED_LEN, c, root_code);
		assert_int_equal(check(fx, SERIAL_ROOT, NULL, root_code, now_ms, &err, NULL), C_OK);
	}
	/* after five minutes a right code works again and clears the count */
	now_ms += MFA_LOCK_MS;
	c = totp_counter(now_ms / 1000);
	totp_code(fx->seed, TOTP_SEED_LEN, c, good);
	assert_int_equal(check(fx, SERIAL, "AIDAANAY", good, now_ms, &err, NULL), C_OK);
	assert_true(device(fx, SERIAL).failures == 0);
	assert_true(device(fx, SERIAL).locked_until_ms == 0);
	/* and a lockout that ended starts the count again */
	snprintf(bad, sizeof(bad), "%06d", (atoi(good) + 1) % 1000000);
	for (int i = 1; i <= MFA_MAX_FAILURES; i++)
		check(fx, SERIAL, "AIDAANAY", bad, now_ms, &err, &locked);
	assert_true(locked);
	now_ms += MFA_LOCK_MS + 1;
	assert_int_equal(check(fx, SERIAL, "AIDAANAY", bad, now_ms, &err, &locked), MFA_REFUSED_CODE);
	assert_false(locked);
	assert_true(device(fx, SERIAL).failures == 1);
}

static void test_check_disabled_device(void **state)
{
	struct fixture *fx = *state;
	const int64_t now_ms = 1767323045000;
	char code[TOTP_DIGITS + 1];
	struct aws_err err;
	struct db_tx *tx;

	assert_int_equal(db_begin(fx->db, true, &tx), C_OK);
	assert_int_equal(store_mfa_unassign(tx, SERIAL), C_OK);
	assert_int_equal(db_commit(tx), C_OK);
	totp_code(fx->seed, TOTP_SEED_LEN, totp_counter(now_ms / 1000), code);
	assert_int_equal(check(fx, SERIAL, "AIDAANAY", code, now_ms, &err, NULL), MFA_REFUSED_DEVICE);
	/* the seed in the store is sealed: it is not the seed, and it does not open under another serial */
	{
		struct store_mfa_device d = device(fx, SERIAL);
		char out[TOTP_SEED_LEN + 1];
		assert_int_equal(d.seed_sealed_len, TOTP_SEED_LEN + AEAD_OVERHEAD);
		assert_null(memmem(d.seed_sealed, d.seed_sealed_len, fx->seed, 8));
		assert_int_equal(secrets_open(SERIAL_ROOT, d.seed_sealed, d.seed_sealed_len, out, sizeof(out)), C_ERR);
		assert_int_equal(secrets_open(SERIAL, d.seed_sealed, d.seed_sealed_len, out, sizeof(out)), C_OK);
		assert_memory_equal(out, fx->seed, TOTP_SEED_LEN);
		explicit_bzero(out, sizeof(out));
	}
}

static int group_setup(void **state)
{
	(void)state;
	return crypto_init() == C_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	totp_cleanup();
	crypto_cleanup();
	return 0;
}

#define STORE_TEST(f) cmocka_unit_test_setup_teardown(f, setup_store, teardown_store)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotp_rfc4226),     cmocka_unit_test(test_totp_rfc6238_sha1),
		cmocka_unit_test(test_verify_window),    cmocka_unit_test(test_verify_pair),
		cmocka_unit_test(test_base32_vectors),   cmocka_unit_test(test_base32_roundtrip),
		cmocka_unit_test(test_uri),
		STORE_TEST(test_check_once_only),        STORE_TEST(test_check_wrong_owner),
		STORE_TEST(test_check_lockout),          STORE_TEST(test_check_disabled_device),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
