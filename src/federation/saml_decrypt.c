/*
 * saml_decrypt.c - an EncryptedAssertion opened with libxmlsec1 (saml_decrypt.h).
 *
 * What is accepted (anything else is refused):
 *   EncryptedAssertion  one xenc:EncryptedData, and xenc:EncryptedKey elements (at most SAML_ENC_KEYS_MAX in all,
 *                       here or in the EncryptedData's ds:KeyInfo)
 *   EncryptedData       AES-128/192/256 in CBC or GCM, Type Element (or none), its CipherData an inline
 *                       CipherValue (a CipherReference would make xmlsec fetch a URI: refused)
 *   EncryptedKey        RSA-OAEP or RSA PKCS#1 v1.5, an inline CipherValue; opened with the provider's private key
 *                       (xmlsec is given the key: nothing in the document's KeyInfo chooses or supplies one)
 * The plaintext is parsed with xmlParseInNodeContext in the Response's context (its namespaces), without DTD or
 * entity substitution (the document has no DTD: saml.c refuses one), and must be exactly one saml:Assertion.
 */
#include "federation/saml_decrypt.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmlenc.h>
#include <xmlsec/xmlsec.h>

#include "util/common.h"
#include "util/crypto.h"

#define NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_XENC "http://www.w3.org/2001/04/xmlenc#"
#define NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define TYPE_ELEMENT "http://www.w3.org/2001/04/xmlenc#Element"
#define SAML_ENC_KEYS_MAX 4  /* EncryptedKey elements tried (one per recipient) */
#define SESSION_KEY_MAX 32   /* AES-256 */

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

/* Whether el's CipherData holds its CipherValue inline, and nothing else. */
static bool inline_cipher(const xmlNode *el)
{
	const xmlNode *cd = NULL, *cv = NULL;

	for (const xmlNode *c = el->children; c; c = c->next)
		if (is_el(c, NS_XENC, "CipherData")) {
			if (cd)
				return false;
			cd = c;
		}
	if (!cd)
		return false;
	for (const xmlNode *c = cd->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_el(c, NS_XENC, "CipherValue") || cv)
			return false;
		cv = c;
	}
	return cv != NULL;
}

/* Collects the EncryptedKey elements that are children of parent into eks. C_ERR when one does not qualify or
 * there are too many. */
static int collect_keys(xmlNodePtr parent, xmlNodePtr eks[SAML_ENC_KEYS_MAX], size_t *n)
{
	for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next) {
		if (!is_el(c, NS_XENC, "EncryptedKey"))
			continue;
		if (*n == SAML_ENC_KEYS_MAX || !inline_cipher(c))
			return C_ERR;
		eks[(*n)++] = c;
	}
	return C_OK;
}

static int enable(xmlSecEncCtxPtr ctx, const xmlSecTransformId *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (xmlSecPtrListAdd(&ctx->transformCtx.enabledTransforms, (void *)ids[i]) < 0)
			return C_ERR;
	ctx->transformCtx.enabledUris = xmlSecTransformUriTypeNone;
	return C_OK;
}

/* Opens the EncryptedKey ek with the RSA private key der into out (*len bytes). C_OK; C_ERR when it does not open
 * with that key (or a library fails: either way, not this key). */
static int open_session_key(xmlNodePtr ek, const uint8_t *der, size_t der_len, uint8_t out[SESSION_KEY_MAX],
                            size_t *len)
{
	const xmlSecTransformId ids[] = {xmlSecTransformRsaOaepId, xmlSecTransformRsaPkcs1Id, xmlSecTransformBase64Id};
	xmlSecEncCtxPtr ctx = xmlSecEncCtxCreate(NULL);
	xmlSecKeyPtr key;
	xmlSecBufferPtr buf;
	int rc = C_ERR;

	if (!ctx)
		return C_ERR;
	key = xmlSecCryptoAppKeyLoadMemory(der, (xmlSecSize)der_len, xmlSecKeyDataFormatDer, NULL, NULL, NULL);
	if (!key)
		goto done;
	ctx->encKey = key; /* owned by ctx from here (destroyed with it) */
	ctx->mode = xmlEncCtxModeEncryptedKey;
	if (enable(ctx, ids, ARRAY_LEN(ids)) != C_OK || !(buf = xmlSecEncCtxDecryptToBuffer(ctx, ek)))
		goto done;
	if (xmlSecBufferGetSize(buf) >= 16 && xmlSecBufferGetSize(buf) <= SESSION_KEY_MAX) {
		*len = xmlSecBufferGetSize(buf);
		memcpy(out, xmlSecBufferGetData(buf), *len);
		rc = C_OK;
	}
	explicit_bzero(xmlSecBufferGetData(buf), xmlSecBufferGetSize(buf));
done:
	xmlSecEncCtxDestroy(ctx);
	return rc;
}

/* Decrypts the EncryptedData ed with the AES key sk into a copy (*out, *out_len; the caller wipes and frees it).
 * C_OK; C_ERR when it does not decrypt with that key. */
static int open_data(xmlNodePtr ed, const uint8_t *sk, size_t sk_len, char **out, size_t *out_len)
{
	const xmlSecTransformId ids[] = {xmlSecTransformAes128CbcId, xmlSecTransformAes192CbcId,
	                                 xmlSecTransformAes256CbcId, xmlSecTransformAes128GcmId,
	                                 xmlSecTransformAes192GcmId, xmlSecTransformAes256GcmId,
	                                 xmlSecTransformBase64Id};
	xmlSecEncCtxPtr ctx = xmlSecEncCtxCreate(NULL);
	xmlSecKeyPtr key;
	xmlSecBufferPtr buf;
	int rc = C_ERR;

	if (!ctx)
		return C_ERR;
	if (!(key = xmlSecKeyReadMemory(xmlSecKeyDataAesId, sk, (xmlSecSize)sk_len)))
		goto done;
	ctx->encKey = key; /* owned by ctx */
	ctx->mode = xmlEncCtxModeEncryptedData;
	if (enable(ctx, ids, ARRAY_LEN(ids)) != C_OK || !(buf = xmlSecEncCtxDecryptToBuffer(ctx, ed)))
		goto done;
	if ((!ctx->type || xmlStrEqual(ctx->type, (const xmlChar *)TYPE_ELEMENT)) && xmlSecBufferGetSize(buf) > 0 &&
	    xmlSecBufferGetSize(buf) < INT32_MAX && (*out = malloc(xmlSecBufferGetSize(buf)))) {
		*out_len = xmlSecBufferGetSize(buf);
		memcpy(*out, xmlSecBufferGetData(buf), *out_len);
		rc = C_OK;
	}
	explicit_bzero(xmlSecBufferGetData(buf), xmlSecBufferGetSize(buf));
done:
	xmlSecEncCtxDestroy(ctx);
	return rc;
}

/* The AES key length ed's EncryptionMethod names (16 when it names none we know: refused later anyway). */
static size_t data_key_len(xmlNodePtr ed)
{
	size_t len = 16;

	for (xmlNodePtr c = ed->children; c; c = c->next)
		if (is_el(c, NS_XENC, "EncryptionMethod")) {
			xmlChar *alg = xmlGetNoNsProp(c, (const xmlChar *)"Algorithm");
			if (alg && strstr((const char *)alg, "aes192"))
				len = 24;
			else if (alg && strstr((const char *)alg, "aes256"))
				len = 32;
			xmlFree(alg);
		}
	return len;
}

/* The plaintext of ed: each EncryptedKey opened with each private key until one decrypts ed. C_OK with *out (the
 * caller wipes and frees it); C_ERR when none does. An EncryptedKey that does not open (RSA PKCS#1 v1.5's padding
 * refused: OpenSSL 3.0 has no implicit rejection) still costs a decryption of ed, under a random key, and fails
 * the same way: no padding oracle in the answer or, as far as this goes, its timing. */
static int decrypt(xmlNodePtr ed, xmlNodePtr *eks, size_t neks, const struct saml_keys *keys, char **out,
                   size_t *out_len)
{
	uint8_t sk[SESSION_KEY_MAX];
	size_t sk_len = 0;
	int rc = C_ERR;

	for (size_t k = 0; k < keys->n && rc != C_OK; k++)
		for (size_t e = 0; e < neks && rc != C_OK; e++) {
			if (open_session_key(eks[e], keys->der[k], keys->len[k], sk, &sk_len) == C_OK) {
				rc = open_data(ed, sk, sk_len, out, out_len);
				continue;
			}
			sk_len = data_key_len(ed);
			if (crypto_random(sk, sk_len) == C_OK && open_data(ed, sk, sk_len, out, out_len) == C_OK) {
				explicit_bzero(*out, *out_len); /* a random key that decrypted: never believed */
				free(*out);
				*out = NULL;
			}
		}
	explicit_bzero(sk, sizeof(sk));
	return rc;
}

/* Parses plain (the decrypted Assertion) in the context of enc's parent and puts it in enc's place. */
static int replace(xmlNodePtr enc, const char *plain, size_t len, xmlNodePtr *as)
{
	xmlNodePtr list = NULL, found = NULL;
	xmlParserErrors pe;

	pe = xmlParseInNodeContext(enc->parent, plain, (int)len,
	                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA, &list);
	if (pe != XML_ERR_OK || !list) {
		xmlFreeNodeList(list);
		return C_ERR;
	}
	for (xmlNodePtr c = list; c; c = c->next) {
		if (c->type == XML_TEXT_NODE && xmlIsBlankNode(c))
			continue;
		if (found || !is_el(c, NS_SAML, "Assertion")) {
			xmlFreeNodeList(list);
			return C_ERR;
		}
		found = c;
	}
	if (!found) {
		xmlFreeNodeList(list);
		return C_ERR;
	}
	/* take the Assertion out of the parsed list, drop the rest (blank text), put it where enc was */
	if (found == list)
		list = found->next;
	xmlUnlinkNode(found);
	xmlFreeNodeList(list);
	xmlReplaceNode(enc, found);
	xmlFreeNode(enc);
	*as = found;
	return C_OK;
}

enum saml_verdict saml_decrypt_assertion(xmlNodePtr enc, const struct saml_keys *keys, xmlNodePtr *as,
                                         char err[SAML_ERR_MAX])
{
	xmlNodePtr ed = NULL, eks[SAML_ENC_KEYS_MAX];
	size_t neks = 0, len = 0;
	char *plain = NULL;
	enum saml_verdict v = SAML_INVALID;

	*as = NULL;
	for (xmlNodePtr c = enc->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || is_el(c, NS_XENC, "EncryptedKey"))
			continue;
		if (!is_el(c, NS_XENC, "EncryptedData") || ed) {
			snprintf(err, SAML_ERR_MAX, "Invalid SAML response: the EncryptedAssertion must hold one EncryptedData");
			return SAML_INVALID;
		}
		ed = c;
	}
	if (!ed || !inline_cipher(ed)) {
		snprintf(err, SAML_ERR_MAX, "Invalid SAML response: the EncryptedAssertion must hold one EncryptedData");
		return SAML_INVALID;
	}
	for (xmlNodePtr c = ed->children; c; c = c->next)
		if (is_el(c, NS_DS, "KeyInfo") && collect_keys(c, eks, &neks) != C_OK)
			neks = SAML_ENC_KEYS_MAX + 1;
	if (neks > SAML_ENC_KEYS_MAX || collect_keys(enc, eks, &neks) != C_OK || neks == 0) {
		snprintf(err, SAML_ERR_MAX, "Invalid SAML response: the EncryptedAssertion must hold its EncryptedKey inline");
		return SAML_INVALID;
	}
	if (!keys || decrypt(ed, eks, neks, keys, &plain, &len) != C_OK) {
		snprintf(err, SAML_ERR_MAX,
		         "Invalid SAML response: the assertion could not be decrypted with the provider's private keys");
		return SAML_INVALID;
	}
	if (replace(enc, plain, len, as) == C_OK)
		v = SAML_VALID;
	else
		snprintf(err, SAML_ERR_MAX, "Invalid SAML response: the EncryptedAssertion does not hold one Assertion");
	explicit_bzero(plain, len);
	free(plain);
	return v;
}
