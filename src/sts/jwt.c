/*
 * jwt.c - compact JWS tokens and JSON Web Key Sets (jwt.h): jansson parses, OpenSSL 3 verifies.
 */
#include "sts/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/crypto.h"

#define RSA_MIN_BITS 2048
#define JSON_PART_MAX 16384 /* decoded header or claims */

enum key_type { KT_RSA, KT_EC };
struct alg_info;

struct jwk {
	char kid[256]; /* "" when the key has none */
	char alg[8];   /* "" when the key does not say */
	enum key_type type;
	int ec_bytes;  /* EC: the size of a coordinate (32, 48, 66) */
	EVP_PKEY *pkey;
	/* A verification context initialised once for the key's usual alg (its own, else RS256 / the curve's ES*):
	 * each verification copies it, which spares OpenSSL 3's per-call fetches and their locks. Read-only once the
	 * set is parsed; NULL when it could not be made (verification then initialises its own). */
	const struct alg_info *proto_alg;
	EVP_MD_CTX *proto;
};

struct jwks {
	struct jwk keys[JWKS_KEYS_MAX];
	size_t n;
};

/* What each accepted alg needs. */
static const struct alg_info {
	const char *name;
	enum key_type type;
	const char *digest;
	bool pss;
	int ec_bytes;
} algs[] = {
	{"RS256", KT_RSA, "SHA256", false, 0}, {"RS384", KT_RSA, "SHA384", false, 0}, {"RS512", KT_RSA, "SHA512", false, 0},
	{"PS256", KT_RSA, "SHA256", true, 0},  {"PS384", KT_RSA, "SHA384", true, 0},  {"PS512", KT_RSA, "SHA512", true, 0},
	{"ES256", KT_EC, "SHA256", false, 32}, {"ES384", KT_EC, "SHA384", false, 48}, {"ES512", KT_EC, "SHA512", false, 66},
};

static const struct alg_info *alg_find(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_LEN(algs); i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

static void say(char why[JWT_ERROR_MAX], const char *s)
{
	if (why)
		snprintf(why, JWT_ERROR_MAX, "%s", s);
}

/* Decodes unpadded base64url (RFC 7515 section 2). NULL when malformed or out of memory; the caller frees. */
static uint8_t *b64url_decode(const char *in, size_t len, size_t *outlen)
{
	char *std;
	uint8_t *out;
	size_t n = len;

	if (len % 4 == 1 || len > JWKS_MAX)
		return NULL;
	std = malloc(len + 4);
	if (!std)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == '+' || c == '/' || c == '=')
			c = '!'; /* standard base64's own characters are not base64url: refused below */
		std[i] = c;
	}
	while (n % 4)
		std[n++] = '=';
	out = base64_decode(std, n, outlen);
	free(std);
	return out;
}

/* A JSON object from a base64url part. NULL when either layer is malformed. */
static json_t *json_part(const char *in, size_t len)
{
	size_t n;
	uint8_t *raw = b64url_decode(in, len, &n);
	json_t *j = NULL;

	if (raw && n <= JSON_PART_MAX)
		j = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

void jwt_free(struct jwt *t)
{
	json_decref(t->header);
	json_decref(t->claims);
	free(t->signing_input);
	free(t->sig);
	memset(t, 0, sizeof(*t));
}

int jwt_parse(const char *token, size_t len, struct jwt *out, char why[JWT_ERROR_MAX])
{
	const char *dot1, *dot2;
	json_t *crit;

	memset(out, 0, sizeof(*out));
	if (len > JWT_MAX || memchr(token, '\0', len)) {
		say(why, "token too long");
		return C_ERR;
	}
	dot1 = memchr(token, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token))) {
		say(why, "not a compact JWS (three parts)");
		return C_ERR;
	}
	out->header = json_part(token, (size_t)(dot1 - token));
	out->claims = json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!out->header || !out->claims) {
		say(why, "header or claims are not base64url JSON objects");
		goto fail;
	}
	out->alg = json_string_value(json_object_get(out->header, "alg"));
	out->kid = json_string_value(json_object_get(out->header, "kid"));
	if (json_object_get(out->header, "kid") && !out->kid) {
		say(why, "kid is not a string");
		goto fail;
	}
	if (!alg_find(out->alg)) { /* "none", HS256 and every other alg */
		say(why, "alg not accepted");
		goto fail;
	}
	/* RFC 7515 4.1.11: a critical extension we do not understand must refuse the token */
	crit = json_object_get(out->header, "crit");
	if (crit) {
		say(why, "crit extensions not supported");
		goto fail;
	}
	if (dot2 + 1 == token + len) {
		say(why, "no signature");
		goto fail;
	}
	out->sig = b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), &out->sig_len);
	if (!out->sig || out->sig_len == 0) {
		say(why, "signature is not base64url");
		goto fail;
	}
	out->signing_input_len = (size_t)(dot2 - token);
	out->signing_input = malloc(out->signing_input_len + 1);
	if (!out->signing_input) {
		say(why, "out of memory");
		goto fail;
	}
	memcpy(out->signing_input, token, out->signing_input_len);
	out->signing_input[out->signing_input_len] = '\0';
	return C_OK;
fail:
	jwt_free(out);
	return C_ERR;
}

/* ---- key sets -------------------------------------------------------------------------------------------------- */

/* A big-endian unsigned integer from a base64url member of jwk. NULL when absent or malformed. */
static BIGNUM *b64_bn(json_t *jwk, const char *member, size_t max_bytes, size_t *nbytes)
{
	const char *s = json_string_value(json_object_get(jwk, member));
	uint8_t *raw;
	size_t n = 0;
	BIGNUM *bn = NULL;

	if (!s || !(raw = b64url_decode(s, strlen(s), &n)))
		return NULL;
	if (n > 0 && n <= max_bytes)
		bn = BN_bin2bn(raw, (int)n, NULL);
	free(raw);
	if (nbytes)
		*nbytes = n;
	return bn;
}

/* An EVP_PKEY from OSSL_PARAMs. NULL on failure. */
static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *rsa_key(json_t *jwk)
{
	BIGNUM *n = b64_bn(jwk, "n", 1024, NULL), *e = b64_bn(jwk, "e", 8, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;

	if (n && e && bld && BN_num_bits(n) >= RSA_MIN_BITS && BN_is_odd(e) && !BN_is_one(e) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		pkey = from_params("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

static EVP_PKEY *ec_key(json_t *jwk, int *ec_bytes)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	const char *group = NULL;
	const char *xs = json_string_value(json_object_get(jwk, "x")), *ys = json_string_value(json_object_get(jwk, "y"));
	uint8_t *x = NULL, *y = NULL, point[1 + 2 * 66];
	size_t xn = 0, yn = 0;
	int size = 0;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *check = NULL;

	if (crv && strcmp(crv, "P-256") == 0)
		group = "prime256v1", size = 32;
	else if (crv && strcmp(crv, "P-384") == 0)
		group = "secp384r1", size = 48;
	else if (crv && strcmp(crv, "P-521") == 0)
		group = "secp521r1", size = 66;
	if (!group || !xs || !ys || !(x = b64url_decode(xs, strlen(xs), &xn)) ||
	    !(y = b64url_decode(ys, strlen(ys), &yn)) || xn != (size_t)size || yn != (size_t)size)
		goto done;
	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, x, xn);
	memcpy(point + 1 + xn, y, yn);
	if (!(bld = OSSL_PARAM_BLD_new()) ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + xn + yn))
		goto done;
	pkey = from_params("EC", bld);
	/* the point must be on the curve */
	if (pkey && (!(check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) || EVP_PKEY_public_check(check) != 1)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	*ec_bytes = size;
done:
	EVP_PKEY_CTX_free(check);
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return pkey;
}

void jwks_free(struct jwks *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++) {
		EVP_MD_CTX_free(k->keys[i].proto);
		EVP_PKEY_free(k->keys[i].pkey);
	}
	free(k);
}

static int verify_init(EVP_MD_CTX *md, const struct alg_info *a, EVP_PKEY *pkey);

/* The key's verification context for its usual alg (jwk.proto). */
static void make_proto(struct jwk *key)
{
	const struct alg_info *a = key->alg[0] ? alg_find(key->alg)
	                         : key->type == KT_RSA ? alg_find("RS256")
	                         : alg_find(key->ec_bytes == 32 ? "ES256" : key->ec_bytes == 48 ? "ES384" : "ES512");

	if (!a || a->type != key->type || !(key->proto = EVP_MD_CTX_new()))
		return;
	if (verify_init(key->proto, a, key->pkey) != C_OK) {
		EVP_MD_CTX_free(key->proto);
		key->proto = NULL;
		return;
	}
	key->proto_alg = a;
}

size_t jwks_count(const struct jwks *k)
{
	return k ? k->n : 0;
}

struct jwks *jwks_parse(const char *text, size_t len, char why[JWT_ERROR_MAX])
{
	json_t *doc, *keys, *jwk;
	struct jwks *k;
	size_t i;

	if (len > JWKS_MAX) {
		say(why, "key set too large");
		return NULL;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	keys = json_object_get(doc, "keys");
	if (!json_is_array(keys)) {
		say(why, "not a JWK set (no keys array)");
		json_decref(doc);
		return NULL;
	}
	if (!(k = calloc(1, sizeof(*k)))) {
		say(why, "out of memory");
		json_decref(doc);
		return NULL;
	}
	json_array_foreach(keys, i, jwk)
	{
		const char *kty = json_string_value(json_object_get(jwk, "kty"));
		const char *use = json_string_value(json_object_get(jwk, "use"));
		const char *kid = json_string_value(json_object_get(jwk, "kid"));
		const char *alg = json_string_value(json_object_get(jwk, "alg"));
		struct jwk *key = &k->keys[k->n];
		if (k->n >= JWKS_KEYS_MAX)
			break;
		if (!json_is_object(jwk) || !kty || (use && strcmp(use, "sig") != 0) || (kid && strlen(kid) >= sizeof(key->kid)) ||
		    (alg && !alg_find(alg)))
			continue; /* not a signing key of ours: an encryption key, HS256, an unknown alg */
		memset(key, 0, sizeof(*key));
		if (strcmp(kty, "RSA") == 0) {
			key->type = KT_RSA;
			key->pkey = rsa_key(jwk);
		} else if (strcmp(kty, "EC") == 0) {
			key->type = KT_EC;
			key->pkey = ec_key(jwk, &key->ec_bytes);
		}
		if (!key->pkey)
			continue;
		snprintf(key->kid, sizeof(key->kid), "%s", kid ? kid : "");
		snprintf(key->alg, sizeof(key->alg), "%s", alg ? alg : "");
		make_proto(key);
		k->n++;
	}
	json_decref(doc);
	return k;
}

/* ---- verification ------------------------------------------------------------------------------------------------ */

/* JOSE's r||s ECDSA signature as DER (the caller frees *der). C_ERR when it has the wrong size. */
static int ecdsa_der(const uint8_t *sig, size_t len, int size, uint8_t **der, size_t *derlen)
{
	ECDSA_SIG *s;
	BIGNUM *r, *sv;
	int n;

	*der = NULL;
	if (len != (size_t)size * 2 || !(s = ECDSA_SIG_new()))
		return C_ERR;
	r = BN_bin2bn(sig, size, NULL);
	sv = BN_bin2bn(sig + size, size, NULL);
	if (!r || !sv || !ECDSA_SIG_set0(s, r, sv)) { /* set0 takes r and sv only when it succeeds */
		BN_free(r);
		BN_free(sv);
		ECDSA_SIG_free(s);
		return C_ERR;
	}
	n = i2d_ECDSA_SIG(s, der);
	ECDSA_SIG_free(s);
	if (n <= 0)
		return C_ERR;
	*derlen = (size_t)n;
	return C_OK;
}

/* Initialises md to verify with pkey under alg a. */
static int verify_init(EVP_MD_CTX *md, const struct alg_info *a, EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *pctx = NULL;

	if (EVP_DigestVerifyInit_ex(md, &pctx, a->digest, NULL, NULL, pkey, NULL) != 1)
		return C_ERR;
	if (a->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0))
		return C_ERR;
	return C_OK;
}

/* Whether key verifies t under alg a. */
static bool verify_with(const struct jwt *t, const struct alg_info *a, const struct jwk *key)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const uint8_t *sig = t->sig;
	uint8_t *der = NULL;
	size_t siglen = t->sig_len;
	bool ok = false;

	if (!md)
		return false;
	if (a->type == KT_EC) {
		if (key->ec_bytes != a->ec_bytes || ecdsa_der(t->sig, t->sig_len, a->ec_bytes, &der, &siglen) != C_OK)
			goto done;
		sig = der;
	}
	if (key->proto && key->proto_alg == a) {
		if (EVP_MD_CTX_copy_ex(md, key->proto) != 1)
			goto done;
	} else if (verify_init(md, a, key->pkey) != C_OK) {
		goto done;
	}
	ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)t->signing_input, t->signing_input_len) == 1;
done:
	free(der);
	EVP_MD_CTX_free(md);
	return ok;
}

enum jwt_verdict jwt_verify(const struct jwt *t, const struct jwks *k)
{
	const struct alg_info *a = alg_find(t->alg);
	bool found = false;

	if (!a || !k)
		return JWT_NO_KEY;
	for (size_t i = 0; i < k->n; i++) {
		const struct jwk *key = &k->keys[i];
		if (t->kid ? strcmp(key->kid, t->kid) != 0 : false)
			continue;
		/* the key's type must be the alg's, and its alg (when it states one) the token's */
		if (key->type != a->type || (key->alg[0] && strcmp(key->alg, a->name) != 0))
			continue;
		found = true;
		if (verify_with(t, a, key))
			return JWT_VALID;
	}
	return found ? JWT_BAD_SIG : JWT_NO_KEY;
}
