/*
 * test_crypto.c - tests src/util/crypto.c: SHA-256 (FIPS 180-2 vectors), HMAC-SHA-256 (RFC 4231), AES-256-GCM
 * seal/open (round trip, tampering, wrong AAD or key, truncation), hex and base64 (RFC 4648 vectors, round trips,
 * malformed input), constant-time comparison and the random helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/crypto.h"

static void test_sha256(void **state)
{
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	char hex[SHA256_HEX_LEN + 1];
	uint8_t raw[SHA256_LEN];
	char *million;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		crypto_sha256_hex(v[i].in, strlen(v[i].in), hex);
		assert_string_equal(hex, v[i].hex);
		crypto_sha256(v[i].in, strlen(v[i].in), raw);
		hex_encode(raw, SHA256_LEN, hex);
		assert_string_equal(hex, v[i].hex);
	}
	million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	crypto_sha256_hex(million, 1000000, hex);
	free(million);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_hmac(void **state)
{
	uint8_t key[131], mac[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1];
	const char *data;

	(void)state;
	/* RFC 4231 test case 2 */
	data = "what do ya want for nothing?";
	crypto_hmac_sha256("Jefe", 4, data, strlen(data), mac);
	hex_encode(mac, SHA256_LEN, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* test case 1 */
	memset(key, 0x0b, 20);
	crypto_hmac_sha256(key, 20, "Hi There", 8, mac);
	hex_encode(mac, SHA256_LEN, hex);
	assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* test case 6: a key longer than the block size */
	memset(key, 0xaa, 131);
	data = "Test Using Larger Than Block-Size Key - Hash Key First";
	crypto_hmac_sha256(key, 131, data, strlen(data), mac);
	hex_encode(mac, SHA256_LEN, hex);
	assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_aead_roundtrip(void **state)
{
	uint8_t key[AEAD_KEY_LEN], sealed[AEAD_OVERHEAD + 64], sealed2[AEAD_OVERHEAD + 64], out[64];
	const char *pt = "arn:aws:iam::123456789012:role/demo";
	size_t ptlen = strlen(pt), slen = AEAD_OVERHEAD + ptlen;

	(void)state;
	assert_int_equal(crypto_random(key, sizeof(key)), C_OK);
	assert_int_equal(aead_seal(key, "session", 7, pt, ptlen, sealed), C_OK);
	/* The plaintext does not appear in the blob. */
	assert_null(memmem(sealed, slen, "arn:aws", 7));
	memset(out, 0, sizeof(out));
	assert_int_equal(aead_open(key, "session", 7, sealed, slen, out), C_OK);
	assert_memory_equal(out, pt, ptlen);
	/* A fresh nonce each time: the same plaintext seals differently, and both open. */
	assert_int_equal(aead_seal(key, "session", 7, pt, ptlen, sealed2), C_OK);
	assert_memory_not_equal(sealed, sealed2, slen);
	assert_int_equal(aead_open(key, "session", 7, sealed2, slen, out), C_OK);
	assert_memory_equal(out, pt, ptlen);
	/* Empty plaintext and empty AAD. */
	assert_int_equal(aead_seal(key, NULL, 0, "", 0, sealed), C_OK);
	assert_int_equal(aead_open(key, NULL, 0, sealed, AEAD_OVERHEAD, out), C_OK);
	assert_int_equal(aead_open(key, "x", 1, sealed, AEAD_OVERHEAD, out), C_ERR);
}

static void test_aead_tamper(void **state)
{
	uint8_t key[AEAD_KEY_LEN], key2[AEAD_KEY_LEN], sealed[AEAD_OVERHEAD + 32], out[32];
	const char *pt = "the secret access key material!";
	size_t ptlen = strlen(pt), slen = AEAD_OVERHEAD + ptlen;
	static const uint8_t zero[32];

	(void)state;
	assert_int_equal(crypto_random(key, sizeof(key)), C_OK);
	assert_int_equal(aead_seal(key, "aad", 3, pt, ptlen, sealed), C_OK);
	/* Every single bit flipped anywhere (version, nonce, ciphertext, tag) is detected, and nothing leaks out. */
	for (size_t i = 0; i < slen; i++) {
		for (int bit = 0; bit < 8; bit++) {
			sealed[i] ^= (uint8_t)(1u << bit);
			memset(out, 0x55, sizeof(out));
			if (aead_open(key, "aad", 3, sealed, slen, out) != C_ERR)
				fail_msg("bit %d of byte %zu flipped: accepted", bit, i);
			if (i > 0) /* a bad version byte is refused before anything is written */
				assert_memory_equal(out, zero, ptlen);
			sealed[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(aead_open(key, "aad", 3, sealed, slen, out), C_OK);
	/* Wrong AAD: different, missing, longer. */
	assert_int_equal(aead_open(key, "aae", 3, sealed, slen, out), C_ERR);
	assert_int_equal(aead_open(key, NULL, 0, sealed, slen, out), C_ERR);
	assert_int_equal(aead_open(key, "aad\0", 4, sealed, slen, out), C_ERR);
	/* Wrong key. */
	memcpy(key2, key, sizeof(key));
	key2[AEAD_KEY_LEN - 1] ^= 1;
	assert_int_equal(aead_open(key2, "aad", 3, sealed, slen, out), C_ERR);
	/* Truncated or too short. */
	assert_int_equal(aead_open(key, "aad", 3, sealed, slen - 1, out), C_ERR);
	assert_int_equal(aead_open(key, "aad", 3, sealed, AEAD_OVERHEAD - 1, out), C_ERR);
	assert_int_equal(aead_open(key, "aad", 3, sealed, 0, out), C_ERR);
	/* Still intact. */
	assert_int_equal(aead_open(key, "aad", 3, sealed, slen, out), C_OK);
	assert_memory_equal(out, pt, ptlen);
}

static void test_hex(void **state)
{
	uint8_t in[256], back[256];
	char hex[2 * 256 + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	hex_encode(in, sizeof(in), hex);
	assert_int_equal(strlen(hex), 512);
	assert_memory_equal(hex, "000102", 6);
	assert_string_equal(hex + 500, "fafbfcfdfeff");
	assert_int_equal(hex_decode(hex, sizeof(back), back), C_OK);
	assert_memory_equal(in, back, sizeof(in));
	/* Uppercase decodes too. */
	assert_int_equal(hex_decode("ABcd0F", 3, back), C_OK);
	assert_memory_equal(back, "\xab\xcd\x0f", 3);
	/* Non-hex digits anywhere are refused. */
	assert_int_equal(hex_decode("0g", 1, back), C_ERR);
	assert_int_equal(hex_decode("g0", 1, back), C_ERR);
	assert_int_equal(hex_decode("00 1", 2, back), C_ERR);
	assert_int_equal(hex_decode("-1", 1, back), C_ERR);
	hex_encode(in, 0, hex);
	assert_string_equal(hex, "");
}

static void test_base64_vectors(void **state)
{
	static const struct {
		const char *raw;
		const char *b64;
	} v[] = {
		{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
		{"foobar", "Zm9vYmFy"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		char *enc = base64_encode((const uint8_t *)v[i].raw, strlen(v[i].raw));
		uint8_t *dec;
		size_t n = 12345;
		assert_non_null(enc);
		assert_string_equal(enc, v[i].b64);
		free(enc);
		dec = base64_decode(v[i].b64, strlen(v[i].b64), &n);
		assert_non_null(dec);
		assert_int_equal(n, strlen(v[i].raw));
		assert_memory_equal(dec, v[i].raw, n);
		free(dec);
	}
}

static void test_base64_roundtrip(void **state)
{
	uint8_t data[300];

	(void)state;
	/* Every length 0..300 of random bytes, so every padding case and all 64 symbols occur. */
	for (size_t len = 0; len <= sizeof(data); len++) {
		char *enc;
		uint8_t *dec;
		size_t n = 0;
		if (len)
			assert_int_equal(crypto_random(data, len), C_OK);
		enc = base64_encode(data, len);
		assert_non_null(enc);
		assert_int_equal(strlen(enc), 4 * ((len + 2) / 3));
		dec = base64_decode(enc, strlen(enc), &n);
		assert_non_null(dec);
		assert_int_equal(n, len);
		assert_memory_equal(dec, data, len);
		free(dec);
		free(enc);
	}
	/* Bytes that map to '+' and '/'. */
	{
		const uint8_t hi[] = {0xfb, 0xff, 0xbf};
		char *enc = base64_encode(hi, sizeof(hi));
		assert_string_equal(enc, "+/+/");
		free(enc);
	}
}

static void test_base64_malformed(void **state)
{
	static const char *bad[] = {
		"Zg=",       /* not a multiple of 4 */
		"Zm9vY",     /* not a multiple of 4 */
		"Zm9v\n",    /* trailing newline */
		"Zm 9",      /* space */
		"Zm9v!A==",  /* not in the alphabet */
		"Zm9-",      /* base64url is not accepted */
		"Zm9_",      /* base64url is not accepted */
		"Z===",      /* padding too long */
		"====",      /* only padding */
		"Zg==Zg==",  /* padding in the middle */
		"Zm=v",      /* data after padding */
		"Zg=A",      /* data after padding */
		"=Zm9",      /* padding first */
	};
	size_t n;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		uint8_t *dec = base64_decode(bad[i], strlen(bad[i]), &n);
		if (dec) {
			free(dec);
			fail_msg("base64_decode accepted '%s'", bad[i]);
		}
	}
	/* An embedded NUL (length given explicitly) is not base64 either. */
	assert_null(base64_decode("Zm\0v", 4, &n));
}

static void test_equal(void **state)
{
	(void)state;
	assert_int_equal(crypto_equal("abcdef", "abcdef", 6), 1);
	assert_int_equal(crypto_equal("abcdef", "abcdeF", 6), 0);
	assert_int_equal(crypto_equal("xbcdef", "abcdef", 6), 0);
	assert_int_equal(crypto_equal("abc", "xyz", 0), 1);
}

static void test_random(void **state)
{
	uint8_t a[32], b[32];
	int seen[7] = {0};

	(void)state;
	assert_int_equal(crypto_random(a, sizeof(a)), C_OK);
	assert_int_equal(crypto_random(b, sizeof(b)), C_OK);
	assert_memory_not_equal(a, b, sizeof(a));
	for (int i = 0; i < 2000; i++) {
		uint32_t x = crypto_random_below(7);
		assert_true(x < 7);
		seen[x]++;
	}
	for (int i = 0; i < 7; i++)
		assert_true(seen[i] > 0);
	assert_int_equal(crypto_random_below(1), 0);
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
		cmocka_unit_test(test_sha256),           cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_aead_roundtrip),   cmocka_unit_test(test_aead_tamper),
		cmocka_unit_test(test_hex),              cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_roundtrip), cmocka_unit_test(test_base64_malformed),
		cmocka_unit_test(test_equal),            cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
