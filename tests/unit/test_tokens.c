/*
 * test_tokens.c - tests the session-token claims' encoding (src/server/tokens.c, included to reach its statics):
 * every claim comes back as it went in; a truncated encoding, a byte more, a claim longer than its field, a NUL in
 * a string, a flag other than 0 or 1, an unknown kind (R, U, C, F and G are known) or version are refused (and leave
 * the claims cleared); an encoding that does not fit its buffer is not written. A federated user's claims (F) travel
 * in the same encoding, and an encoding written before F existed (a fixed vector) still decodes to the same claims.
 * Sealing itself (AES-256-GCM under the keyring's key) is exercised end to end by the e2e tests (tampered and
 * expired tokens).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "server/tokens.c"

static void full_claims(struct session_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = 'R';
	c->chained = true;
	snprintf(c->account_id, sizeof(c->account_id), "111122223333");
	snprintf(c->access_key_id, sizeof(c->access_key_id), "ASIAEXAMPLE000000001");
	snprintf(c->secret, sizeof(c->secret), "s3cr3t/s3cr3t+s3cr3t");
	snprintf(c->role_id, sizeof(c->role_id), "AROAEXAMPLE000000001");
	snprintf(c->role_name, sizeof(c->role_name), "admin");
	snprintf(c->role_path, sizeof(c->role_path), "/ops/");
	snprintf(c->session_name, sizeof(c->session_name), "anay@example.com");
	snprintf(c->source_arn, sizeof(c->source_arn), "arn:aws:iam::444455556666:user/anay");
	snprintf(c->source_identity, sizeof(c->source_identity), "anay");
	c->issued_s = 1795000000;
	c->expires_s = 1795003600;
	c->mfa_s = -5; /* any 64-bit value travels */
	c->session_policy = strdup("{\"Version\":\"2012-10-17\",\"Statement\":[]}");
	assert_int_equal(claims_add_tag(c, "team", "platform", true), C_OK);
	assert_int_equal(claims_add_tag(c, "cost-center", "", false), C_OK);
}

static void test_round_trip(void **state)
{
	struct session_claims in, out;
	uint8_t buf[TOKEN_MAX];
	size_t len, off = 0;
	const char *k, *v;
	bool t;

	(void)state;
	full_claims(&in);
	len = claims_encode(&in, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(claims_decode(buf, len, &out), C_OK);
	assert_int_equal(out.kind, 'R');
	assert_true(out.chained);
	assert_string_equal(out.account_id, in.account_id);
	assert_string_equal(out.access_key_id, in.access_key_id);
	assert_string_equal(out.secret, in.secret);
	assert_string_equal(out.role_id, in.role_id);
	assert_string_equal(out.role_name, in.role_name);
	assert_string_equal(out.role_path, in.role_path);
	assert_string_equal(out.session_name, in.session_name);
	assert_string_equal(out.user_id, "");
	assert_string_equal(out.source_arn, in.source_arn);
	assert_string_equal(out.source_identity, in.source_identity);
	assert_int_equal(out.issued_s, in.issued_s);
	assert_int_equal(out.expires_s, in.expires_s);
	assert_int_equal(out.mfa_s, -5);
	assert_string_equal(out.session_policy, in.session_policy);
	assert_int_equal(out.ntags, 2);
	assert_int_equal(claims_next_tag(&out, &off, &k, &v, &t), C_OK);
	assert_string_equal(k, "team");
	assert_string_equal(v, "platform");
	assert_true(t);
	assert_int_equal(claims_next_tag(&out, &off, &k, &v, &t), C_OK);
	assert_string_equal(k, "cost-center");
	assert_string_equal(v, "");
	assert_false(t);
	assert_int_equal(claims_next_tag(&out, &off, &k, &v, &t), C_ERR);
	claims_clear(&out);

	/* a GetSessionToken session without a policy or tags */
	claims_clear(&in);
	memset(&in, 0, sizeof(in));
	in.kind = 'U';
	snprintf(in.access_key_id, sizeof(in.access_key_id), "ASIAEXAMPLE000000002");
	snprintf(in.secret, sizeof(in.secret), "x");
	snprintf(in.user_id, sizeof(in.user_id), "AIDAEXAMPLE000000001");
	in.expires_s = 1;
	len = claims_encode(&in, buf, sizeof(buf));
	assert_int_equal(claims_decode(buf, len, &out), C_OK);
	assert_int_equal(out.kind, 'U');
	assert_false(out.chained);
	assert_null(out.session_policy);
	assert_int_equal(out.ntags, 0);
	assert_string_equal(out.user_id, in.user_id);
	claims_clear(&out);

	/* a console session (kind 'C') of the account's root, with MFA at sign-in */
	in.kind = 'C';
	in.user_id[0] = '\0';
	in.mfa_s = 1795000000;
	len = claims_encode(&in, buf, sizeof(buf));
	assert_int_equal(claims_decode(buf, len, &out), C_OK);
	assert_int_equal(out.kind, 'C');
	assert_string_equal(out.user_id, "");
	assert_int_equal(out.mfa_s, 1795000000);
	claims_clear(&out);
}

/* A federated user's session (GetFederationToken): its name, the IAM user that made it, its session policy and
 * non-transitive tags come back; so does one the account's root made (no user). */
static void test_federated_round_trip(void **state)
{
	struct session_claims in, out;
	uint8_t buf[TOKEN_MAX];
	size_t len, off = 0;
	const char *k, *v;
	bool t;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.kind = 'F';
	snprintf(in.account_id, sizeof(in.account_id), "111122223333");
	snprintf(in.access_key_id, sizeof(in.access_key_id), "ASIAEXAMPLE000000003");
	snprintf(in.secret, sizeof(in.secret), "fed-secret");
	snprintf(in.session_name, sizeof(in.session_name), "Aa0_+=,.@-%s", "zzzzzzzzzzzzzzzzzzzzzz"); /* 32 */
	snprintf(in.user_id, sizeof(in.user_id), "AIDAEXAMPLE000000009");
	snprintf(in.source_arn, sizeof(in.source_arn), "arn:aws:iam::111122223333:user/broker");
	in.issued_s = 1795000000;
	in.expires_s = 1795000000 + 129600;
	in.session_policy = strdup("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
	                           "\"organizations:DescribeOrganization\",\"Resource\":\"*\"}]}");
	assert_non_null(in.session_policy);
	assert_int_equal(claims_add_tag(&in, "team", "blue", false), C_OK);
	len = claims_encode(&in, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(claims_decode(buf, len, &out), C_OK);
	assert_int_equal(out.kind, 'F');
	assert_false(out.chained);
	assert_string_equal(out.account_id, "111122223333");
	assert_string_equal(out.session_name, in.session_name);
	assert_int_equal(strlen(out.session_name), 32);
	assert_string_equal(out.user_id, "AIDAEXAMPLE000000009");
	assert_string_equal(out.role_id, "");
	assert_string_equal(out.source_arn, in.source_arn);
	assert_int_equal(out.expires_s - out.issued_s, 129600);
	assert_int_equal(out.mfa_s, 0);
	assert_string_equal(out.session_policy, in.session_policy);
	assert_int_equal(out.ntags, 1);
	assert_int_equal(claims_next_tag(&out, &off, &k, &v, &t), C_OK);
	assert_string_equal(k, "team");
	assert_string_equal(v, "blue");
	assert_false(t);
	claims_clear(&out);

	/* the root's federated user: no user id, no session policy (the session can then do nothing: authz's part) */
	claims_clear(&in); /* wipes the secret: a session always has one */
	snprintf(in.secret, sizeof(in.secret), "root-fed-secret");
	in.user_id[0] = '\0';
	len = claims_encode(&in, buf, sizeof(buf));
	assert_int_equal(claims_decode(buf, len, &out), C_OK);
	assert_int_equal(out.kind, 'F');
	assert_string_equal(out.user_id, "");
	assert_null(out.session_policy);
	assert_int_equal(out.ntags, 0);
	claims_clear(&out);
}

/* The encoding of a GetSessionToken session as rolegate wrote it before federated users existed, byte for byte:
 * it decodes to the same claims, and the same claims encode to the same bytes (tokens in use keep working). */
static void test_encoding_unchanged(void **state)
{
	static const uint8_t golden[] = {
		2, 'U', 0,                                            /* version, kind, chained */
		0, 0,                                                 /* account id "" */
		5, 0, 'A', 'S', 'I', 'A', 'X',                        /* access key id */
		1, 0, 's',                                            /* secret */
		0, 0, 0, 0, 0, 0, 0, 0,                               /* role id, name, path, session name */
		5, 0, 'A', 'I', 'D', 'A', 'X',                        /* user id */
		0, 0, 0, 0,                                           /* source ARN, source identity */
		0, 0, 0, 0, 0, 0, 0, 0,                               /* issued */
		1, 0, 0, 0, 0, 0, 0, 0,                               /* expires */
		0, 0, 0, 0, 0, 0, 0, 0,                               /* MFA */
		0,                                                    /* no session policy */
		0,                                                    /* no tags */
	};
	struct session_claims out;
	uint8_t buf[TOKEN_MAX];

	(void)state;
	assert_int_equal(claims_decode(golden, sizeof(golden), &out), C_OK);
	assert_int_equal(out.kind, 'U');
	assert_string_equal(out.access_key_id, "ASIAX");
	assert_string_equal(out.user_id, "AIDAX");
	assert_int_equal(out.expires_s, 1);
	assert_int_equal(claims_encode(&out, buf, sizeof(buf)), sizeof(golden));
	assert_memory_equal(buf, golden, sizeof(golden));
	claims_clear(&out);
}

/* Decoding must fail and leave out cleared. */
static void refused(const uint8_t *buf, size_t len)
{
	struct session_claims out;

	assert_int_equal(claims_decode(buf, len, &out), C_ERR);
	assert_null(out.session_policy);
	assert_int_equal(out.secret[0], '\0');
	assert_int_equal(out.ntags, 0);
}

static void test_malformed_refused(void **state)
{
	struct session_claims in;
	uint8_t buf[TOKEN_MAX], copy[TOKEN_MAX + 1];
	size_t len;

	(void)state;
	full_claims(&in);
	len = claims_encode(&in, buf, sizeof(buf));
	for (size_t n = 0; n < len; n++) /* every truncation */
		refused(buf, n);
	memcpy(copy, buf, len);
	copy[len] = 0;
	refused(copy, len + 1); /* a byte more */

	memcpy(copy, buf, len);
	copy[0] = 1; /* another version */
	refused(copy, len);
	memcpy(copy, buf, len);
	copy[1] = 'X'; /* another kind */
	refused(copy, len);
	memcpy(copy, buf, len);
	copy[2] = 2; /* a flag that is neither */
	refused(copy, len);
	memcpy(copy, buf, len);
	copy[3 + 2 + 3] = '\0'; /* a NUL inside the account id */
	refused(copy, len);
	memcpy(copy, buf, len);
	copy[len - 1] = 7; /* the last tag's transitive flag */
	refused(copy, len);

	/* a claim longer than its field: a 13-digit account id */
	{
		uint8_t big[64] = {CLAIMS_VERSION, 'U', 0, 13, 0};
		memcpy(big + 5, "1234567890123", 13);
		refused(big, 18);
	}
	/* no room: nothing is written */
	assert_int_equal(claims_encode(&in, buf, 40), 0);
	claims_clear(&in);
}

/* The keyring is not needed by the encoding: token_issue/token_open are not called here. */
int keyring_issuing(struct keyring *k, struct db_tx *tx, char kid[KEY_ID_LEN + 1], uint8_t key[AEAD_KEY_LEN])
{
	(void)k, (void)tx, (void)kid, (void)key;
	return C_ERR;
}

int keyring_find(struct keyring *k, const char *kid, uint8_t key[AEAD_KEY_LEN])
{
	(void)k, (void)kid, (void)key;
	return C_ERR;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_federated_round_trip),
		cmocka_unit_test(test_encoding_unchanged),
		cmocka_unit_test(test_malformed_refused),
	};

	return cmocka_run_group_tests_name("test_tokens", tests, NULL, NULL);
}
