/*
 * test_ids.c - tests src/aws/ids.c: AWS-shaped identifiers.
 *
 * Account ids are 12 digits; access key ids are AKIA/ASIA + 16 base32 characters that carry the account id as
 * AWS's do (checked against published real keys, and round-tripped for many random accounts); malformed key ids
 * are refused; secrets are 40 characters of [A-Za-z0-9+/]; unique ids are a 4-character prefix + 17 base32
 * characters; request ids are random version-4 UUIDs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ids.h"
#include "util/common.h"
#include "util/crypto.h"

#define BASE32 "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define ROUNDS 2000

static bool all_in(const char *s, size_t n, const char *alphabet)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(alphabet, s[i]))
			return false;
	return true;
}

static void test_account(void **state)
{
	char a[13], b[13];
	int differ = 0;

	(void)state;
	for (int i = 0; i < 100; i++) {
		memset(a, 'x', sizeof(a));
		id_account(a);
		assert_int_equal(strlen(a), 12);
		assert_true(all_in(a, 12, "0123456789"));
		id_account(b);
		differ += strcmp(a, b) != 0;
	}
	assert_true(differ > 95); /* random, not fixed */
}

static void test_access_key_format(void **state)
{
	char id[ACCESS_KEY_ID_LEN + 1], other[ACCESS_KEY_ID_LEN + 1];

	(void)state;
	memset(id, 'x', sizeof(id));
	id_access_key("AKIA", "123456789012", id);
	assert_int_equal(strlen(id), 20);
	assert_memory_equal(id, "AKIA", 4);
	assert_true(all_in(id + 4, 16, BASE32));
	id_access_key("ASIA", "123456789012", other);
	assert_memory_equal(other, "ASIA", 4);
	assert_true(all_in(other + 4, 16, BASE32));
	/* Random beyond the account: two keys of one account differ. */
	id_access_key("AKIA", "123456789012", other);
	assert_string_not_equal(id, other);
}

static void test_access_key_round_trip(void **state)
{
	char acct[13], id[ACCESS_KEY_ID_LEN + 1], got[13];
	static const char *const fixed[] = {"000000000000", "000000000001", "123456789012", "999999999999",
	                                    "549755813887", "549755813888", "100000000000", "012345678901"};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(fixed); i++) {
		id_access_key(i % 2 ? "ASIA" : "AKIA", fixed[i], id);
		memset(got, 0, sizeof(got));
		assert_true(id_access_key_account(id, got));
		assert_string_equal(got, fixed[i]);
	}
	for (int i = 0; i < ROUNDS; i++) {
		id_account(acct);
		id_access_key(i % 2 ? "ASIA" : "AKIA", acct, id);
		memset(got, 0, sizeof(got));
		if (!id_access_key_account(id, got) || strcmp(got, acct) != 0) {
			print_error("account %s -> key %s -> %s\n", acct, id, got);
			fail();
		}
	}
}

static void test_access_key_known(void **state)
{
	char got[13];

	(void)state;
	/* Real temporary keys published with their accounts (Tal Be'ery; Aidan Steele, "AWS Access Key ID formats"). */
	assert_true(id_access_key_account("ASIAQNZGKIQY56JQ7WML", got));
	assert_string_equal(got, "029608264753");
	assert_true(id_access_key_account("ASIAY34FZKBOKMUTVV7A", got));
	assert_string_equal(got, "609629065308");
	/* AWS's documentation example decodes as well (to some account). */
	assert_true(id_access_key_account("AKIAIOSFODNN7EXAMPLE", got));
	assert_int_equal(strlen(got), 12);
}

static void test_access_key_malformed(void **state)
{
	char got[13], id[ACCESS_KEY_ID_LEN + 1];
	static const char *const bad[] = {
		"",
		"AKIA",
		"AKIAIOSFODNN7EXAMPL",   /* 19 */
		"AKIAIOSFODNN7EXAMPLEX", /* 21 */
		"AIDAIOSFODNN7EXAMPLE",  /* a user id, not a key */
		"ABIAIOSFODNN7EXAMPLE",
		"akiaIOSFODNN7EXAMPLE",
		"AKIAiosfodnn7example", /* lowercase is not base32 */
		"AKIAIOSFODNN1EXAMPLE", /* 1 is not base32 */
		"AKIAIOSFODNN0EXAMPLE",
		"AKIAIOSFODNN8EXAMPLE",
		"AKIAIOSFODNN9EXAMPLE",
		"AKIAIOSFODNN=EXAMPLE",
		"AKIAIOSFODNN EXAMPLE",
		"AKIA7777777777777777", /* decodes to 1099511627775: more than 12 digits */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		if (id_access_key_account(bad[i], got)) {
			print_error("'%s' accepted as account %s\n", bad[i], got);
			fail();
		}
	}
	/* The largest account that fits 12 digits is accepted, one more is not. */
	id_access_key("AKIA", "999999999999", id);
	assert_true(id_access_key_account(id, got));
	assert_string_equal(got, "999999999999");
	id_access_key("AKIA", "1000000000000", id);
	assert_false(id_access_key_account(id, got));
}

static void test_secret(void **state)
{
	char a[SECRET_KEY_LEN + 1], b[SECRET_KEY_LEN + 1];
	int seen[256] = {0}, distinct = 0;

	(void)state;
	for (int i = 0; i < 200; i++) {
		memset(a, 0, sizeof(a));
		id_secret_key(a);
		assert_int_equal(strlen(a), 40);
		assert_true(all_in(a, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"));
		for (int k = 0; k < 40; k++)
			seen[(unsigned char)a[k]]++;
		id_secret_key(b);
		assert_string_not_equal(a, b);
	}
	for (int c = 0; c < 256; c++)
		distinct += seen[c] > 0;
	assert_int_equal(distinct, 64); /* 8000 draws reach every one of the 64 characters */
}

static void test_unique(void **state)
{
	char a[UNIQUE_ID_LEN + 1], b[UNIQUE_ID_LEN + 1];

	(void)state;
	memset(a, 'x', sizeof(a));
	id_unique("AIDA", a);
	assert_int_equal(strlen(a), 21);
	assert_memory_equal(a, "AIDA", 4);
	assert_true(all_in(a + 4, 17, BASE32));
	id_unique("AROA", b);
	assert_memory_equal(b, "AROA", 4);
	assert_true(all_in(b + 4, 17, BASE32));
	assert_string_not_equal(a + 4, b + 4);
}

#define NREQ 1000

/* Request ids of one thread, into ids[NREQ]. */
static void *make_request_ids(void *arg)
{
	char(*ids)[REQUEST_ID_LEN + 1] = arg;

	for (int i = 0; i < NREQ; i++)
		id_request(ids[i]);
	return NULL;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_request_id(void **state)
{
	static char ids[2 * NREQ][REQUEST_ID_LEN + 1];
	pthread_t th;

	(void)state;
	memset(ids, 'x', sizeof(ids));
	make_request_ids(ids);
	/* A second thread (its own seed). */
	assert_int_equal(pthread_create(&th, NULL, make_request_ids, ids[NREQ]), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	for (int i = 0; i < 2 * NREQ; i++) {
		const char *a = ids[i];
		assert_int_equal(strlen(a), 36);
		for (int k = 0; k < 36; k++) {
			if (k == 8 || k == 13 || k == 18 || k == 23)
				assert_int_equal(a[k], '-');
			else
				assert_true(strchr("0123456789abcdef", a[k]) != NULL);
		}
		assert_int_equal(a[14], '4');           /* version 4 */
		assert_non_null(strchr("89ab", a[19])); /* RFC 4122 variant */
	}
	/* Random, not a counter: one id tells nothing of the next. Consecutive ids of a thread differ in their first
	 * 8 digits (equal by chance with odds 2^-32) and in about 15/16 of their 30 random digits overall. */
	{
		long differing = 0;
		for (int i = 1; i < 2 * NREQ; i++) {
			if (i == NREQ)
				continue;
			assert_memory_not_equal(ids[i - 1], ids[i], 8);
			for (int k = 0; k < 36; k++)
				differing += ids[i - 1][k] != ids[i][k];
		}
		assert_true(differing > 25L * (2 * NREQ - 2));
	}
	/* All distinct. */
	qsort(ids, 2 * NREQ, sizeof(ids[0]), id_cmp);
	for (int i = 1; i < 2 * NREQ; i++)
		assert_string_not_equal(ids[i - 1], ids[i]);
}

static int group_setup(void **state)
{
	(void)state;
	return crypto_init() == C_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	crypto_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account),           cmocka_unit_test(test_access_key_format),
		cmocka_unit_test(test_access_key_round_trip), cmocka_unit_test(test_access_key_known),
		cmocka_unit_test(test_access_key_malformed), cmocka_unit_test(test_secret),
		cmocka_unit_test(test_unique),            cmocka_unit_test(test_request_id),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
