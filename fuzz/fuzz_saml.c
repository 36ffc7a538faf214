/*
 * fuzz_saml.c - the SAML response reader and verifier (src/federation/saml.c) on any bytes, taken as the decoded
 * response (base64-encoded here, as AssumeRoleWithSAML receives it), against a fixed metadata document; the
 * console's unverified read of its attributes (saml_response_peek); and the metadata reader on the same bytes. A
 * private key (an RSA key made once per run) is given to both, so an EncryptedAssertion reaches the decryption
 * (src/federation/saml_decrypt.c): its shape checks, xmlsec's EncryptedKey and EncryptedData readers.
 *
 * Checks beyond the sanitizers (abort on failure): no response is valid (nothing here can be signed by the
 * metadata's key), a refusal says why and leaves the claims empty.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "federation/saml.h"
#include "util/common.h"
#include "util/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char metadata[] =
	"<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"https://idp.example.test/saml\">"
	"<md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">"
	"<md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Data>"
	"<ds:X509Certificate>"
	"MIIDIzCCAgugAwIBAgIUW0RS1r6AgO/q7hONnP94+YRuwnkwDQYJKoZIhvcNAQELBQAwIDEeMBwGA1UEAwwVY29uZGtleXMuZXhh"
	"bXBsZS50ZXN0MCAXDTI2MTIwNjAxNTEyOFoYDzIxMjYxMTEyMDE1MTI4WjAgMR4wHAYDVQQDDBVjb25ka2V5cy5leGFtcGxlLnRl"
	"c3QwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDjXaXoXMxEARV5l2v0zCsTWXg6mb1lwmK1IEACJnJh4NoXkFi6zXGM"
	"hTiXTGbnzZjOxYi6Wxx6NDRPxULa0kI0z74aWONjlnaydsUsKuu16CyTwsx+BuUSEGKyhyIzhLiRQmCH88pwyHdPVrnGyWvmxJPf"
	"4QN2T2gE6ea9aQW8bfd54QvOtSDa/XgubdPKjp8FfEBkoeUN3Wc899F1zk2KEL4zni9DinZuvFq13gMqcoCCDOFcQDi/f72YpO4a"
	"7Nce0Iwme6jDlwVXEd5fWs3EZwLs5dzR2GG1Bqk3vGb290pNXaK19HTKMbj93PqJzMxh4+nsYdguzAvx3ZUKjJEPAgMBAAGjUzBR"
	"MB0GA1UdDgQWBBShQCPUTteSX1rAfrfxOjr0aSIzcDAfBgNVHSMEGDAWgBShQCPUTteSX1rAfrfxOjr0aSIzcDAPBgNVHRMBAf8E"
	"BTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQDBYWdZHar327550Uq+MxiRmC6exoboyFUEB2z9t8o0AqhQBnv7IDmCTCJMWavZBdjh"
	"51f/b7XpQv2SjTBjD4SK56YKltO3aSDIm4BfLPuqx8eY3ZYusRbdkuiXByp3mXKS5yN4ujDz9su7FMMXK3fczB6gIlNMg+jr9xPE"
	"hoZ1mMGUfXCHpXB3CnG0icW2W+mga6X6APwog7OH+rmXv0aCReGuCPbF/NRgeQT8MFGYyD77k+Po3N/Ryc9lGtPpYN1GI/T+73V1"
	"sqrzntNL4BZNqrjLD7WUGp00KbkrPiqa0/EM9biQ3K+yGSArqN/uBO/WV8R7qRek7OtoNyQmb5ED"
	"</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>";

/* The PKCS#8 DER of a new RSA key into keys (once; kept for the run). */
static void make_key(struct saml_keys *keys)
{
	EVP_PKEY *pkey = EVP_RSA_gen(2048);
	PKCS8_PRIV_KEY_INFO *p8 = pkey ? EVP_PKEY2PKCS8(pkey) : NULL;
	int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, NULL) : -1;
	unsigned char *p;

	if (n <= 0 || !(keys->der[0] = malloc((size_t)n)))
		abort();
	p = keys->der[0];
	if (i2d_PKCS8_PRIV_KEY_INFO(p8, &p) != n)
		abort();
	keys->len[0] = (size_t)n;
	keys->n = 1;
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(pkey);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct saml_metadata md;
	static struct saml_keys keys;
	static int ready;
	struct saml_metadata other;
	struct saml_assertion as;
	struct saml_expect exp = {.now_s = 1800000000, .own_recipient = "http://127.0.0.1/saml", .keys = &keys};
	char err[SAML_ERR_MAX], *b64;

	if (!ready) {
		if (saml_metadata_parse(metadata, sizeof(metadata) - 1, &md, err) != C_OK)
			abort();
		make_key(&keys);
		ready = 1;
	}
	if (size > SAML_RESPONSE_MAX)
		return 0;
	if (!(b64 = base64_encode(data, size)))
		return 0;
	if (saml_response_verify(b64, strlen(b64), &md, &exp, &as, err) == SAML_VALID)
		abort(); /* nothing the fuzzer makes is signed by the metadata's key */
	if (!err[0] || as.issuer || as.name_id || as.nattrs)
		abort();
	saml_assertion_clear(&as);
	/* the console's unverified read of the Role attribute: attributes only, or a reason and nothing */
	if (saml_response_peek(b64, strlen(b64), &keys, &as, err) == SAML_VALID) {
		if (as.issuer || as.name_id || as.recipient)
			abort();
	} else if (!err[0] || as.nattrs) {
		abort();
	}
	saml_assertion_clear(&as);
	free(b64);
	if (saml_metadata_parse((const char *)data, size, &other, err) == C_OK) {
		if (!other.entity_id || !other.ncerts)
			abort();
		saml_metadata_clear(&other);
	}
	return 0;
}
