/*
 * test_jwt.c - src/sts/jwt.c: compact JWS parsing and verification against a JWK set, with keys made here by
 * OpenSSL (RSA 2048, P-256, P-384): the algorithms accepted, "none" and HMAC refused, a tampered token, a key of the
 * wrong type, size or kid, weak keys and malformed sets left out of the set, the bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts/jwt.h"
#include "util/common.h"
#include "util/crypto.h"

static EVP_PKEY *rsa2048, *rsa1024, *p256, *p384;

/* base64url without padding of n bytes, into out (a static buffer per call site is the caller's). */
static char *b64url(const void *in, size_t n)
{
	char *s = base64_encode(in, n), *p;

	assert_non_null(s);
	for (p = s; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	while (p > s && p[-1] == '=')
		*--p = '\0';
	return s;
}

static char *bn_b64(EVP_PKEY *k, const char *param)
{
	BIGNUM *bn = NULL;
	uint8_t buf[512];
	int n;

	assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	n = BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64url(buf, (size_t)n);
}

/* The JWK of a public key. */
static json_t *jwk_of(EVP_PKEY *k, const char *kid, const char *alg)
{
	json_t *j;

	if (EVP_PKEY_is_a(k, "RSA")) {
		char *n = bn_b64(k, OSSL_PKEY_PARAM_RSA_N), *e = bn_b64(k, OSSL_PKEY_PARAM_RSA_E);
		j = json_pack("{s:s, s:s, s:s, s:s}", "kty", "RSA", "kid", kid, "n", n, "e", e);
		free(n);
		free(e);
	} else {
		char *x = bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_X), *y = bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_Y);
		j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "kid", kid, "crv",
		              EVP_PKEY_get_bits(k) == 256 ? "P-256" : "P-384", "x", x, "y", y);
		free(x);
		free(y);
	}
	if (alg)
		json_object_set_new(j, "alg", json_string(alg));
	return j;
}

static struct jwks *set_of(json_t *keys)
{
	json_t *doc = json_pack("{s:o}", "keys", keys);
	char *text = json_dumps(doc, 0), why[JWT_ERROR_MAX];
	struct jwks *k = jwks_parse(text, strlen(text), why);

	free(text);
	json_decref(doc);
	return k;
}

/* A token of header + claims signed by k with digest md (EC: JOSE's r||s of size bytes each); NULL k: no sig. */
static char *token(const char *header, const char *claims, EVP_PKEY *k, const char *md, int ec_size)
{
	char *h = b64url(header, strlen(header)), *c = b64url(claims, strlen(claims)), *input, *sig64, *out;
	uint8_t sig[1024], raw[256];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx;

	assert_true(asprintf(&input, "%s.%s", h, c) > 0);
	if (!k) {
		sig64 = strdup("");
	} else {
		ctx = EVP_MD_CTX_new();
		assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, k, NULL), 1);
		assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (uint8_t *)input, strlen(input)), 1);
		EVP_MD_CTX_free(ctx);
		if (ec_size) {
			const uint8_t *p = sig;
			ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
			assert_non_null(es);
			BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, ec_size);
			BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + ec_size, ec_size);
			ECDSA_SIG_free(es);
			sig64 = b64url(raw, (size_t)ec_size * 2);
		} else {
			sig64 = b64url(sig, siglen);
		}
	}
	assert_true(asprintf(&out, "%s.%s", input, sig64) > 0);
	free(h);
	free(c);
	free(input);
	free(sig64);
	return out;
}

static const char claims[] = "{\"iss\":\"https://idp.example.com\",\"sub\":\"repo:acme/infra:ref:refs/heads/main\","
                             "\"aud\":\"sts.amazonaws.com\",\"exp\":4102444800}";

static enum jwt_verdict verdict(const char *tok, struct jwks *k)
{
	struct jwt t;
	char why[JWT_ERROR_MAX];
	enum jwt_verdict v;

	if (jwt_parse(tok, strlen(tok), &t, why) != C_OK)
		fail_msg("parse: %s", why);
	v = jwt_verify(&t, k);
	jwt_free(&t);
	return v;
}

static bool parses(const char *tok)
{
	struct jwt t;
	char why[JWT_ERROR_MAX];
	int rc = jwt_parse(tok, strlen(tok), &t, why);

	jwt_free(&t);
	return rc == C_OK;
}

static int setup(void **state)
{
	UNUSED(state);
	rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	return rsa2048 && rsa1024 && p256 && p384 ? 0 : -1;
}

static int teardown(void **state)
{
	UNUSED(state);
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	return 0;
}

static void accepted_algorithms(void **state)
{
	struct jwks *k = set_of(json_pack("[o, o, o]", jwk_of(rsa2048, "r", NULL), jwk_of(p256, "e", "ES256"),
	                                  jwk_of(p384, "e3", NULL)));
	struct {
		const char *header, *md;
		EVP_PKEY *key;
		int ec;
	} ok[] = {
		{"{\"alg\":\"RS256\",\"kid\":\"r\"}", "SHA256", rsa2048, 0},
		{"{\"alg\":\"RS384\",\"kid\":\"r\"}", "SHA384", rsa2048, 0},
		{"{\"alg\":\"RS512\",\"kid\":\"r\"}", "SHA512", rsa2048, 0},
		{"{\"alg\":\"ES256\",\"kid\":\"e\"}", "SHA256", p256, 32},
		{"{\"alg\":\"ES384\",\"kid\":\"e3\"}", "SHA384", p384, 48},
		{"{\"alg\":\"RS256\"}", "SHA256", rsa2048, 0}, /* no kid: every key of the alg's type is tried */
	};

	UNUSED(state);
	assert_int_equal(jwks_count(k), 3);
	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		char *t = token(ok[i].header, claims, ok[i].key, ok[i].md, ok[i].ec);
		if (verdict(t, k) != JWT_VALID)
			fail_msg("%s: not valid", ok[i].header);
		free(t);
	}
	jwks_free(k);
}

static void forgeries_fail(void **state)
{
	struct jwks *k = set_of(json_pack("[o, o]", jwk_of(rsa2048, "r", "RS256"), jwk_of(p256, "e", NULL)));
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	char *t, *dot;

	UNUSED(state);
	/* signed by another key under the issuer's kid */
	t = token("{\"alg\":\"RS256\",\"kid\":\"r\"}", claims, other, "SHA256", 0);
	assert_int_equal(verdict(t, k), JWT_BAD_SIG);
	free(t);
	/* a kid the set lacks */
	t = token("{\"alg\":\"RS256\",\"kid\":\"nope\"}", claims, rsa2048, "SHA256", 0);
	assert_int_equal(verdict(t, k), JWT_NO_KEY);
	free(t);
	/* the claims changed after signing: another token's signature spliced onto them */
	t = token("{\"alg\":\"RS256\",\"kid\":\"r\"}", claims, rsa2048, "SHA256", 0);
	{
		char *u = token("{\"alg\":\"RS256\",\"kid\":\"r\"}", "{\"sub\":\"repo:evil/x\",\"exp\":4102444800}",
		                rsa2048, "SHA256", 0), *spliced;
		dot = strrchr(u, '.');
		*dot = '\0';
		assert_true(asprintf(&spliced, "%s.%s", u, strrchr(t, '.') + 1) > 0);
		assert_int_equal(verdict(spliced, k), JWT_BAD_SIG);
		free(spliced);
		free(u);
	}
	free(t);
	/* the key says RS256: an ES256 claim on it, or an RS384 signature, does not pass */
	t = token("{\"alg\":\"RS384\",\"kid\":\"r\"}", claims, rsa2048, "SHA384", 0);
	assert_int_equal(verdict(t, k), JWT_NO_KEY);
	free(t);
	t = token("{\"alg\":\"ES256\",\"kid\":\"r\"}", claims, p256, "SHA256", 32);
	assert_int_equal(verdict(t, k), JWT_NO_KEY);
	free(t);
	/* an EC signature of the wrong size */
	t = token("{\"alg\":\"ES256\",\"kid\":\"e\"}", claims, p384, "SHA256", 48);
	assert_int_equal(verdict(t, k), JWT_BAD_SIG);
	free(t);
	EVP_PKEY_free(other);
	jwks_free(k);
}

static void none_and_hmac_refused(void **state)
{
	char *t;
	const char *headers[] = {"{\"alg\":\"none\"}", "{\"alg\":\"HS256\"}", "{\"alg\":\"HS512\"}", "{\"alg\":\"RSA1_5\"}",
	                         "{}", "{\"alg\":\"RS256\",\"crit\":[\"exp\"]}", "{\"alg\":\"RS256\",\"kid\":7}",
	                         "{\"alg\":\"RS256\",\"alg\":\"none\"}"};

	UNUSED(state);
	for (size_t i = 0; i < ARRAY_LEN(headers); i++) {
		t = token(headers[i], claims, rsa2048, "SHA256", 0);
		if (parses(t))
			fail_msg("%s parsed", headers[i]);
		free(t);
	}
	t = token("{\"alg\":\"RS256\"}", claims, NULL, NULL, 0); /* no signature at all */
	assert_false(parses(t));
	free(t);
}

static void malformed_tokens(void **state)
{
	char big[JWT_MAX + 2];
	const char *bad[] = {"", "a", "a.b", "a.b.c.d", "..", "eyJhbGciOiJSUzI1NiJ9..sig",
	                     "eyJhbGciOiJSUzI1NiJ9.e30=.c2ln", "eyJhbGciOiJSUzI1NiJ9.W10.c2ln" /* claims: [] */,
	                     "eyJhbGciOiJSUzI1NiJ9.e30.c2l+"};

	UNUSED(state);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (parses(bad[i]))
			fail_msg("'%s' parsed", bad[i]);
	assert_true(parses("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")); /* {"alg":"RS256"}.{}.sig: well-formed */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(parses(big));
}

static void weak_and_odd_keys_left_out(void **state)
{
	json_t *enc = jwk_of(rsa2048, "enc", NULL), *hs = json_pack("{s:s, s:s, s:s}", "kty", "oct", "k", "c2VjcmV0",
	                                                              "alg", "HS256");
	json_t *off = jwk_of(p256, "off", NULL);
	struct jwks *k;
	char why[JWT_ERROR_MAX];

	UNUSED(state);
	json_object_set_new(enc, "use", json_string("enc"));
	/* a point not on the curve */
	json_object_set_new(off, "y", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	k = set_of(json_pack("[o, o, o, o, s, i]", jwk_of(rsa1024, "weak", NULL), enc, hs, off, "junk", 4));
	assert_non_null(k);
	assert_int_equal(jwks_count(k), 0);
	jwks_free(k);
	assert_null(jwks_parse("{\"keys\":{}}", 11, why));
	assert_null(jwks_parse("[]", 2, why));
	assert_null(jwks_parse("{\"keys\":[],\"keys\":[]}", 21, why)); /* duplicate members */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_algorithms), cmocka_unit_test(forgeries_fail),
		cmocka_unit_test(none_and_hmac_refused), cmocka_unit_test(malformed_tokens),
		cmocka_unit_test(weak_and_odd_keys_left_out),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
