/*
 * saml.h - SAML 2.0 for sts:AssumeRoleWithSAML and the console's /saml: an IdP's metadata document read, and a
 * base64 SAML response verified against it with libxmlsec1 (OpenSSL), then read from exactly the element whose
 * signature was verified.
 *
 * What a response must be (anything else is refused, never repaired):
 *   - well-formed XML without a DOCTYPE (no DTD, no entity: XXE and entity expansion are refused before they can
 *     be expanded), at most SAML_RESPONSE_MAX bytes decoded;
 *   - a samlp:Response whose status is Success, holding exactly one saml:Assertion or saml:EncryptedAssertion as
 *     its child; no other element anywhere of either name (nor EncryptedID, EncryptedAttribute);
 *   - an EncryptedAssertion (saml_decrypt.c) is one xenc:EncryptedData (AES-CBC or AES-GCM, its CipherValue inline)
 *     whose key is one xenc:EncryptedKey (RSA-OAEP or RSA PKCS#1 v1.5) in its KeyInfo or beside it, opened with one
 *     of the provider's private keys (each tried). A signature of the Response is verified over the document as
 *     received (the encrypted form); then the EncryptedAssertion is replaced by the Assertion it holds, parsed in
 *     place by the same rules (no DTD, no entity), and everything below applies to it as to a plain one. When the
 *     provider requires encryption (AssertionEncryptionMode Required), a plain Assertion is refused;
 *   - signed by one of the metadata's signing certificates: a ds:Signature that is a child of the Response or of
 *     the Assertion, whose one Reference is "#ID" of that very parent (IDs are registered for those two elements
 *     only, duplicates and xml:id refused), with the enveloped-signature and canonicalization transforms only,
 *     RSA or ECDSA with SHA-1 or SHA-2. Every other ds:Signature in the document is refused. This is what the XML
 *     signature wrapping attacks (XSW 1-8) need and do not get: the assertion read is the one the verified
 *     element is or contains, found by position, never by a second search of the document;
 *   - text is the whole text of an element (comments do not split a NameID or an attribute value: the comment
 *     injection attack reads only a prefix), and an element read for its text must hold text only.
 * Then the assertion's Issuer is the metadata's entityID, an AudienceRestriction names AWS (or urn:amazon:
 * webservices), the SubjectConfirmationData's Recipient (and the Response's Destination when present) is a
 * sign-in endpoint of AWS or the caller's own, and NotBefore / NotOnOrAfter hold within SAML_SKEW_S.
 */
#ifndef ROLEGATE_SAML_H
#define ROLEGATE_SAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAML_RESPONSE_MAX (128 * 1024) /* decoded bytes (the base64 assertion is at most 100 000 characters) */
#define SAML_CERTS_MAX 8               /* signing certificates read from a metadata document */
#define SAML_SKEW_S 300                /* clock skew allowed on NotBefore / NotOnOrAfter (AWS: 5 minutes) */
#define SAML_ATTRS_MAX 64              /* attributes of an assertion */
#define SAML_VALUES_MAX 256            /* values of all its attributes together */
#define SAML_TEXT_MAX 4096             /* one value (NameID, an attribute value, Issuer...) */
#define SAML_ERR_MAX 256

/* What a metadata document says that AssumeRoleWithSAML needs. */
struct saml_metadata {
	char *entity_id;             /* owned */
	int64_t valid_until_s;       /* the EntityDescriptor's validUntil, 0 when absent */
	char *sso_url;               /* owned: its first SingleSignOnService's http(s) Location, NULL when none */
	size_t ncerts;
	unsigned char *certs[SAML_CERTS_MAX]; /* DER, owned */
	size_t cert_len[SAML_CERTS_MAX];
};

/* Reads a metadata document: an md:EntityDescriptor with an entityID and an md:IDPSSODescriptor holding at least
 * one KeyDescriptor (use="signing" or no use) whose X.509 certificate OpenSSL reads. C_OK; C_ERR with a one-line
 * reason in err (the document is refused: InvalidInput). The caller frees md with saml_metadata_clear. */
int saml_metadata_parse(const char *doc, size_t len, struct saml_metadata *md, char err[SAML_ERR_MAX]);
/* Frees what md owns. */
void saml_metadata_clear(struct saml_metadata *md);

struct saml_attribute {
	char *name;     /* the Name attribute, owned */
	char **values;  /* owned */
	size_t n;
};

/* The claims of a verified assertion (all owned; saml_assertion_clear frees them). */
struct saml_assertion {
	char *issuer;
	char *name_id;        /* Subject/NameID */
	char *name_id_format; /* its Format ("" when absent) */
	char *recipient;      /* SubjectConfirmationData Recipient: saml:aud */
	int64_t issue_instant_s;
	struct saml_attribute attrs[SAML_ATTRS_MAX];
	size_t nattrs;
};

/* Why a response was refused: the caller answers with AWS's error for each. */
enum saml_verdict {
	SAML_VALID = 0,
	SAML_INVALID,  /* InvalidIdentityToken: not a response we accept, or not signed by the provider */
	SAML_EXPIRED,  /* ExpiredTokenException: past NotOnOrAfter */
	SAML_FAILURE,  /* out of memory or a library failure: a fault to retry, never a verdict */
};

#define SAML_DECRYPT_KEYS_MAX 2 /* a provider's private keys (AWS: at most 2) */

/* The private keys an assertion may be encrypted to: RSA, PKCS#8 DER, owned by whoever filled it (who wipes them). */
struct saml_keys {
	size_t n;
	uint8_t *der[SAML_DECRYPT_KEYS_MAX];
	size_t len[SAML_DECRYPT_KEYS_MAX];
	bool required; /* AssertionEncryptionMode Required: a plain (unencrypted) Assertion is refused */
};

/* What a response is checked against besides the metadata. */
struct saml_expect {
	int64_t now_s;
	/* The provider's private keys and encryption mode; NULL: none, and Allowed (an EncryptedAssertion is refused). */
	const struct saml_keys *keys;
	/* A Recipient/Destination accepted besides AWS's sign-in endpoints (https://signin.aws.amazon.com/saml,
	 * https://REGION.signin.aws.amazon.com/saml): this server's own /saml as the browser reached it, or NULL. */
	const char *own_recipient;
};

/* Decodes the base64 response b64 (white space ignored), verifies it against md and exp and fills out. SAML_VALID;
 * otherwise err says why in a line for the caller (AWS's words where AWS has them) and out is empty. The caller
 * frees out with saml_assertion_clear either way. */
enum saml_verdict saml_response_verify(const char *b64, size_t len, const struct saml_metadata *md,
                                       const struct saml_expect *exp, struct saml_assertion *out,
                                       char err[SAML_ERR_MAX]);
/* Reads the attributes of a response's one Assertion WITHOUT verifying anything (the same parser and shape checks:
 * no DOCTYPE, one Response holding one Assertion): only for the console's /saml to learn which providers the Role
 * attribute names, so as to verify the response against each (saml_response_verify) before anything of it is
 * believed. An EncryptedAssertion is decrypted with keys (NULL: refused). SAML_VALID with out's attrs set (only
 * those), else err says why; saml_assertion_clear out either way. */
enum saml_verdict saml_response_peek(const char *b64, size_t len, const struct saml_keys *keys,
                                     struct saml_assertion *out, char err[SAML_ERR_MAX]);
/* Frees and wipes what keys owns. */
void saml_keys_clear(struct saml_keys *keys);
/* The Issuer of a Response that holds an EncryptedAssertion (its own saml:Issuer, unverified; a malloc'd copy), or
 * NULL when the response is not one, names no Issuer or does not parse: only for the console's /saml to find which
 * providers may hold the keys to decrypt it (each is then verified with saml_response_verify). */
char *saml_response_encrypted_issuer(const char *b64, size_t len);
/* The attribute named name, or NULL. */
const struct saml_attribute *saml_attribute(const struct saml_assertion *a, const char *name);
/* Frees what a owns and empties it. */
void saml_assertion_clear(struct saml_assertion *a);

/* SubjectType as AWS reports it: the format without "urn:oasis:names:tc:SAML:2.0:nameid-format:" ("persistent",
 * "transient"), any other format unchanged. */
const char *saml_subject_type(const char *format);
/* NameQualifier: BASE64(SHA1(issuer + account_id + "/" + provider_name)), as AWS computes it. */
int saml_name_qualifier(const char *issuer, const char *account_id, const char *provider_name, char *out,
                        size_t cap);

#endif
