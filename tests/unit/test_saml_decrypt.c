/*
 * test_saml_decrypt.c - encrypted SAML assertions (src/federation/saml_decrypt.c through saml.h): responses whose
 * EncryptedAssertion this test encrypts with libxmlsec1 to an RSA key it makes with OpenSSL.
 *
 *   - decrypted with the right key (AES-256-CBC and AES-128-GCM data, RSA-OAEP and PKCS#1 v1.5 key transport),
 *     the assertion is read (saml_response_peek) and goes on to the signature checks (saml_response_verify: this
 *     one is unsigned, so refused there, past decryption);
 *   - with another key, or none, it is refused; a plain assertion is refused when encryption is Required;
 *   - the plaintext is parsed without DTD or entities; it must be exactly one saml:Assertion;
 *   - a CipherReference (xmlsec would fetch its URI) is refused before anything is decrypted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmlenc.h>
#include <xmlsec/xmlsec.h>

#include "federation/saml.h"
#include "util/common.h"
#include "util/crypto.h"

#define NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_SAMLP "urn:oasis:names:tc:SAML:2.0:protocol"
#define ROLE "arn:aws:iam::111122223333:role/dev,arn:aws:iam::111122223333:saml-provider/corp"

static const char assertion[] =
	"<saml:Assertion xmlns:saml=\"" NS_SAML "\" ID=\"_a1\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\">"
	"<saml:Issuer>https://idp.example.test/saml</saml:Issuer>"
	"<saml:AttributeStatement><saml:Attribute Name=\"https://aws.amazon.com/SAML/Attributes/Role\">"
	"<saml:AttributeValue>" ROLE "</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>"
	"</saml:Assertion>";

/* A PKCS#8 DER RSA key, as src/iam/saml_keys.c stores one. */
struct key {
	uint8_t *der;
	size_t len;
};

static struct key rsa_key(void)
{
	EVP_PKEY *pkey = EVP_RSA_gen(2048);
	PKCS8_PRIV_KEY_INFO *p8 = pkey ? EVP_PKEY2PKCS8(pkey) : NULL;
	struct key k = {0};
	unsigned char *p;
	int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, NULL) : -1;

	assert_true(n > 0);
	k.der = malloc((size_t)n);
	assert_non_null(k.der);
	p = k.der;
	assert_int_equal(i2d_PKCS8_PRIV_KEY_INFO(p8, &p), n);
	k.len = (size_t)n;
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(pkey);
	return k;
}

/* An xenc:EncryptedData (text) of plaintext, the session key (data_alg, bits) in an EncryptedKey (key_alg) to k. */
static char *encrypted_data(const char *plaintext, const struct key *k, xmlSecTransformId data_alg,
                            xmlSecSize bits, xmlSecTransformId key_alg)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr ed, ki, ek;
	xmlSecKeysMngrPtr mngr = xmlSecKeysMngrCreate();
	xmlSecKeyPtr rsa;
	xmlSecEncCtxPtr ctx;
	xmlBufferPtr buf = xmlBufferCreate();
	char *out;

	assert_non_null(doc);
	assert_non_null(mngr);
	assert_int_equal(xmlSecCryptoAppDefaultKeysMngrInit(mngr), 0);
	rsa = xmlSecCryptoAppKeyLoadMemory(k->der, (xmlSecSize)k->len, xmlSecKeyDataFormatDer, NULL, NULL, NULL);
	assert_non_null(rsa);
	assert_int_equal(xmlSecCryptoAppDefaultKeysMngrAdoptKey(mngr, rsa), 0);
	ed = xmlSecTmplEncDataCreate(doc, data_alg, NULL, xmlSecTypeEncElement, NULL, NULL);
	assert_non_null(ed);
	xmlDocSetRootElement(doc, ed);
	assert_non_null(xmlSecTmplEncDataEnsureCipherValue(ed));
	assert_non_null(ki = xmlSecTmplEncDataEnsureKeyInfo(ed, NULL));
	assert_non_null(ek = xmlSecTmplKeyInfoAddEncryptedKey(ki, key_alg, NULL, NULL, NULL));
	assert_non_null(xmlSecTmplEncDataEnsureCipherValue(ek));
	assert_non_null(ctx = xmlSecEncCtxCreate(mngr));
	assert_non_null(ctx->encKey = xmlSecKeyGenerate(xmlSecKeyDataAesId, bits, xmlSecKeyDataTypeSession));
	assert_int_equal(xmlSecEncCtxBinaryEncrypt(ctx, ed, (const xmlSecByte *)plaintext, (xmlSecSize)strlen(plaintext)),
	                 0);
	xmlNodeDump(buf, doc, ed, 0, 0);
	out = strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	xmlSecEncCtxDestroy(ctx);
	xmlSecKeysMngrDestroy(mngr);
	xmlFreeDoc(doc);
	assert_non_null(out);
	return out;
}

/* A Response (base64) whose one child after its Status is inner. */
static char *response(const char *inner)
{
	char *xml, *b64;
	int n = asprintf(&xml,
	                 "<samlp:Response xmlns:samlp=\"" NS_SAMLP "\" ID=\"_r1\" Version=\"2.0\" "
	                 "IssueInstant=\"2026-01-01T00:00:00Z\"><saml:Issuer xmlns:saml=\"" NS_SAML "\">"
	                 "https://idp.example.test/saml</saml:Issuer><samlp:Status><samlp:StatusCode "
	                 "Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>%s</samlp:Response>",
	                 inner);

	assert_true(n > 0);
	b64 = base64_encode((const uint8_t *)xml, strlen(xml));
	free(xml);
	assert_non_null(b64);
	return b64;
}

/* The Response (base64) holding plaintext encrypted to k. */
static char *encrypted_response(const char *plaintext, const struct key *k, xmlSecTransformId data_alg,
                                xmlSecSize bits, xmlSecTransformId key_alg)
{
	char *ed = encrypted_data(plaintext, k, data_alg, bits, key_alg), *inner, *b64;

	assert_true(asprintf(&inner, "<saml:EncryptedAssertion xmlns:saml=\"" NS_SAML "\">%s</saml:EncryptedAssertion>",
	                     ed) > 0);
	b64 = response(inner);
	free(ed);
	free(inner);
	return b64;
}

static struct saml_keys keys_of(const struct key *k, bool required)
{
	struct saml_keys keys = {.n = 1, .required = required};

	keys.der[0] = k->der;
	keys.len[0] = k->len;
	return keys;
}

/* The verdict of peeking b64 with keys, and the Role value read (when valid). */
static enum saml_verdict peek(const char *b64, const struct saml_keys *keys, char err[SAML_ERR_MAX], bool *role)
{
	struct saml_assertion as;
	enum saml_verdict v = saml_response_peek(b64, strlen(b64), keys, &as, err);
	const struct saml_attribute *a = saml_attribute(&as, "https://aws.amazon.com/SAML/Attributes/Role");

	*role = a && a->n == 1 && strcmp(a->values[0], ROLE) == 0;
	saml_assertion_clear(&as);
	return v;
}

static enum saml_verdict verify(const char *b64, const struct saml_keys *keys, char err[SAML_ERR_MAX])
{
	struct saml_metadata md = {.entity_id = (char *)"https://idp.example.test/saml"};
	struct saml_expect exp = {.now_s = 1767225600, .keys = keys};
	struct saml_assertion as;
	enum saml_verdict v = saml_response_verify(b64, strlen(b64), &md, &exp, &as, err);

	assert_null(as.issuer);
	saml_assertion_clear(&as);
	return v;
}

static void test_decrypts_with_the_right_key(void **state)
{
	struct key k = rsa_key();
	struct saml_keys keys = keys_of(&k, true);
	struct {
		xmlSecTransformId data;
		xmlSecSize bits;
		xmlSecTransformId key;
	} algs[] = {{xmlSecTransformAes256CbcId, 256, xmlSecTransformRsaOaepId},
	            {xmlSecTransformAes128GcmId, 128, xmlSecTransformRsaOaepId},
	            {xmlSecTransformAes128CbcId, 128, xmlSecTransformRsaPkcs1Id}};
	char err[SAML_ERR_MAX];
	bool role;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(algs); i++) {
		char *b64 = encrypted_response(assertion, &k, algs[i].data, algs[i].bits, algs[i].key);
		assert_int_equal(peek(b64, &keys, err, &role), SAML_VALID);
		assert_true(role);
		/* past decryption, the same checks as a plain assertion: this one is not signed */
		assert_int_equal(verify(b64, &keys, err), SAML_INVALID);
		assert_non_null(strstr(err, "Response signature invalid"));
		free(b64);
	}
	free(k.der);
}

static void test_refused_without_the_key(void **state)
{
	struct key k = rsa_key(), other = rsa_key();
	struct saml_keys wrong = keys_of(&other, false), both = {.n = 2};
	char *b64 = encrypted_response(assertion, &k, xmlSecTransformAes256CbcId, 256, xmlSecTransformRsaOaepId);
	char err[SAML_ERR_MAX];
	bool role;

	(void)state;
	assert_int_equal(peek(b64, &wrong, err, &role), SAML_INVALID);
	assert_non_null(strstr(err, "could not be decrypted"));
	assert_int_equal(verify(b64, &wrong, err), SAML_INVALID);
	assert_non_null(strstr(err, "could not be decrypted"));
	assert_int_equal(verify(b64, NULL, err), SAML_INVALID);
	assert_non_null(strstr(err, "no private key"));
	assert_int_equal(peek(b64, NULL, err, &role), SAML_INVALID);
	/* each key is tried: the second one opens it */
	both.der[0] = other.der;
	both.len[0] = other.len;
	both.der[1] = k.der;
	both.len[1] = k.len;
	assert_int_equal(peek(b64, &both, err, &role), SAML_VALID);
	assert_true(role);
	free(b64);
	free(k.der);
	free(other.der);
}

static void test_plain_refused_when_required(void **state)
{
	struct key k = rsa_key();
	struct saml_keys required = keys_of(&k, true), allowed = keys_of(&k, false);
	char *b64 = response(assertion), err[SAML_ERR_MAX];

	(void)state;
	assert_int_equal(verify(b64, &required, err), SAML_INVALID);
	assert_non_null(strstr(err, "requires encrypted assertions"));
	assert_int_equal(verify(b64, &allowed, err), SAML_INVALID);
	assert_non_null(strstr(err, "Response signature invalid")); /* allowed: on to the signature */
	free(b64);
	free(k.der);
}

static void test_plaintext_rules(void **state)
{
	struct key k = rsa_key();
	struct saml_keys keys = keys_of(&k, false);
	const char *bad[] = {
		"<!DOCTYPE a [<!ENTITY x \"y\">]><saml:Assertion xmlns:saml=\"" NS_SAML "\" ID=\"_a\"/>",
		"<saml:Assertion xmlns:saml=\"" NS_SAML "\" ID=\"_a\">&x;</saml:Assertion>",
		"<saml:Assertion xmlns:saml=\"" NS_SAML "\" ID=\"_a\"/><saml:Assertion xmlns:saml=\"" NS_SAML "\" ID=\"_b\"/>",
		"<saml:Subject xmlns:saml=\"" NS_SAML "\"/>",
		"<samlp:Response xmlns:samlp=\"" NS_SAMLP "\"/>",
		"not xml",
		"<saml:Assertion xmlns:saml=\"" NS_SAML "\" ID=\"_a\"><saml:EncryptedAssertion/></saml:Assertion>",
	};
	char err[SAML_ERR_MAX];
	bool role;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char *b64 = encrypted_response(bad[i], &k, xmlSecTransformAes256CbcId, 256, xmlSecTransformRsaOaepId);
		assert_int_equal(peek(b64, &keys, err, &role), SAML_INVALID);
		assert_null(strstr(err, "could not be decrypted")); /* it did decrypt: what it holds is refused */
		assert_int_equal(verify(b64, &keys, err), SAML_INVALID);
		assert_null(strstr(err, "could not be decrypted"));
		free(b64);
	}
	free(k.der);
}

static void test_cipher_reference_refused(void **state)
{
	struct key k = rsa_key();
	struct saml_keys keys = keys_of(&k, false);
	char *ed = encrypted_data(assertion, &k, xmlSecTransformAes256CbcId, 256, xmlSecTransformRsaOaepId);
	char *last = strstr(ed, "<CipherData>"), *inner, *b64, err[SAML_ERR_MAX];
	bool role;

	(void)state;
	/* the EncryptedData's own CipherData (the last one) made a reference to a file */
	for (char *p = last; p && (p = strstr(p + 1, "<CipherData>"));)
		last = p;
	assert_non_null(last);
	assert_true(asprintf(&inner,
	                     "<saml:EncryptedAssertion xmlns:saml=\"" NS_SAML "\">%.*s<CipherData><CipherReference "
	                     "URI=\"file:///etc/passwd\"/></CipherData></EncryptedData></saml:EncryptedAssertion>",
	                     (int)(last - ed), ed) > 0);
	b64 = response(inner);
	assert_int_equal(peek(b64, &keys, err, &role), SAML_INVALID);
	assert_non_null(strstr(err, "one EncryptedData"));
	free(b64);
	free(inner);
	free(ed);
	free(k.der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decrypts_with_the_right_key),
		cmocka_unit_test(test_refused_without_the_key),
		cmocka_unit_test(test_plain_refused_when_required),
		cmocka_unit_test(test_plaintext_rules),
		cmocka_unit_test(test_cipher_reference_refused),
	};
	char err[SAML_ERR_MAX];
	struct saml_metadata md;

	/* initialise libxmlsec1 the way src/federation/saml.c does (its once), through a call that fails */
	saml_metadata_parse("<x/>", 4, &md, err);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
