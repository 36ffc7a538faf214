/*
 * saml.c - SAML metadata and responses (saml.h): libxml2 parses, libxmlsec1 (OpenSSL) verifies the signature, and
 * the claims are read from the verified element only.
 */
#include "federation/saml.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "federation/saml_decrypt.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"

#define NS_SAMLP "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define NS_XML "http://www.w3.org/XML/1998/namespace"
#define STATUS_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"
#define CM_BEARER "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define NAMEID_PREFIX "urn:oasis:names:tc:SAML:2.0:nameid-format:"
#define METADATA_MAX (10 * 1000 * 1000) /* SAMLMetadataDocumentType's max */

/* ---- the libraries, once ----------------------------------------------------------------------------------- */

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static bool lib_ok;

/* No document ever reaches outside itself: no file, no network, whatever it names. */
static xmlParserInputPtr no_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void lib_init(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(no_entity_loader);
	xmlSecErrorsDefaultCallbackEnableOutput(0); /* a refused response is the caller's to report, once */
	if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		log_warnx("saml: libxmlsec1 (OpenSSL) cannot be initialised: SAML responses will be refused");
		return;
	}
	lib_ok = true;
}

/* ---- parsing ---------------------------------------------------------------------------------------------- */

/* A DOCTYPE of any kind (internal or external subset, an entity declaration) stops the parser: refused. */
static void refuse_subset(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr p = ctx;

	(void)name;
	(void)external_id;
	(void)system_id;
	p->_private = (void *)1;
	xmlStopParser(p);
}

static void refuse_entity(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                          const xmlChar *system_id, xmlChar *content)
{
	refuse_subset(ctx, name, public_id, system_id);
	(void)type;
	(void)content;
}

/* Parses buf as a standalone document: no DTD, no entities, no network. NULL with err set when it is not one. */
static xmlDocPtr parse_xml(const char *buf, size_t len, char err[SAML_ERR_MAX])
{
	xmlParserCtxtPtr p;
	xmlDocPtr doc;
	bool dtd;

	if (len > INT32_MAX) {
		snprintf(err, SAML_ERR_MAX, "the document is too large");
		return NULL;
	}
	if (!(p = xmlNewParserCtxt())) {
		snprintf(err, SAML_ERR_MAX, "out of memory");
		return NULL;
	}
	p->sax->internalSubset = refuse_subset;
	p->sax->externalSubset = refuse_subset;
	p->sax->entityDecl = refuse_entity;
	p->_private = NULL;
	doc = xmlCtxtReadMemory(p, buf, (int)len, "saml.xml", NULL,
	                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	dtd = p->_private != NULL;
	xmlFreeParserCtxt(p);
	if (doc && (dtd || doc->intSubset || doc->extSubset)) {
		xmlFreeDoc(doc);
		doc = NULL;
		dtd = true;
	}
	if (!doc)
		snprintf(err, SAML_ERR_MAX, dtd ? "a document type declaration is not allowed" : "not well-formed XML");
	return doc;
}

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

/* The only child element of n named ns:name; NULL when there is none or more than one (*many set then). */
static xmlNodePtr only_child(const xmlNode *n, const char *ns, const char *name, bool *many)
{
	xmlNodePtr found = NULL;

	for (xmlNodePtr c = n->children; c; c = c->next)
		if (is_el(c, ns, name)) {
			if (found) {
				if (many)
					*many = true;
				return NULL;
			}
			found = c;
		}
	return found;
}

static char *attr(const xmlNode *n, const char *name)
{
	return (char *)xmlGetNoNsProp(n, (const xmlChar *)name);
}

/* The whole text of n, trimmed of surrounding white space (a malloc'd copy): text and CDATA children concatenated,
 * comments and processing instructions skipped (they do not cut a value short), any child element refused. NULL
 * when n holds an element or the text is longer than SAML_TEXT_MAX. */
static char *text_of(const xmlNode *n)
{
	char *out, *s, *e;
	size_t len = 0;

	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
			len += c->content ? strlen((const char *)c->content) : 0;
		else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE)
			return NULL;
		if (len > SAML_TEXT_MAX)
			return NULL;
	}
	if (!(out = malloc(len + 1)))
		return NULL;
	out[0] = '\0';
	len = 0;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
			size_t l = strlen((const char *)c->content);
			memcpy(out + len, c->content, l);
			len += l;
		}
	out[len] = '\0';
	for (s = out; *s && isspace((unsigned char)*s); s++)
		;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	memmove(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	return out;
}

/* ---- metadata --------------------------------------------------------------------------------------------- */

void saml_metadata_clear(struct saml_metadata *md)
{
	free(md->entity_id);
	free(md->sso_url);
	for (size_t i = 0; i < md->ncerts; i++)
		free(md->certs[i]);
	memset(md, 0, sizeof(*md));
}

/* Adds the certificate of one KeyDescriptor (its KeyInfo/X509Data/X509Certificate). */
static int add_cert(struct saml_metadata *md, xmlNodePtr kd, char err[SAML_ERR_MAX])
{
	xmlNodePtr ki = only_child(kd, NS_DS, "KeyInfo", NULL), xd, xc;
	char *b64 = NULL, *clean = NULL;
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t n = 0, dlen = 0;
	X509 *x;

	if (!ki || !(xd = only_child(ki, NS_DS, "X509Data", NULL)) || !(xc = only_child(xd, NS_DS, "X509Certificate", NULL)))
		goto bad;
	/* a certificate is longer than SAML_TEXT_MAX: read it whole, text only */
	for (xmlNodePtr c = xc->children; c; c = c->next)
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			goto bad;
	if (!(b64 = (char *)xmlNodeGetContent(xc)) || !(clean = malloc(strlen(b64) + 1)))
		goto bad;
	for (const char *s = b64; *s; s++)
		if (!isspace((unsigned char)*s))
			clean[n++] = *s;
	clean[n] = '\0';
	if (!(der = base64_decode(clean, n, &dlen)))
		goto bad;
	p = der;
	if (!(x = d2i_X509(NULL, &p, (long)dlen)) || p != der + dlen) {
		X509_free(x);
		goto bad;
	}
	X509_free(x);
	if (md->ncerts == SAML_CERTS_MAX) {
		snprintf(err, SAML_ERR_MAX, "more than %d signing certificates", SAML_CERTS_MAX);
		goto fail;
	}
	md->certs[md->ncerts] = der;
	md->cert_len[md->ncerts++] = dlen;
	xmlFree(b64);
	free(clean);
	return C_OK;
bad:
	snprintf(err, SAML_ERR_MAX, "a KeyDescriptor does not hold an X.509 certificate");
fail:
	xmlFree(b64);
	free(clean);
	free(der);
	return C_ERR;
}

int saml_metadata_parse(const char *doc, size_t len, struct saml_metadata *md, char err[SAML_ERR_MAX])
{
	xmlDocPtr d;
	xmlNodePtr root, idp;
	char *id = NULL, *until = NULL;
	int rc = C_ERR;
	bool many = false;

	memset(md, 0, sizeof(*md));
	pthread_once(&lib_once, lib_init);
	if (len > METADATA_MAX) {
		snprintf(err, SAML_ERR_MAX, "the document is too large");
		return C_ERR;
	}
	if (!(d = parse_xml(doc, len, err)))
		return C_ERR;
	root = xmlDocGetRootElement(d);
	if (!is_el(root, NS_MD, "EntityDescriptor")) {
		snprintf(err, SAML_ERR_MAX, "the root element is not an md:EntityDescriptor");
		goto done;
	}
	id = attr(root, "entityID");
	if (!id || !id[0] || strlen(id) > 1024) {
		snprintf(err, SAML_ERR_MAX, "the EntityDescriptor has no entityID");
		goto done;
	}
	until = attr(root, "validUntil");
	if (until && time_parse_iso8601(until, &md->valid_until_s) != C_OK) {
		snprintf(err, SAML_ERR_MAX, "validUntil is not a date");
		goto done;
	}
	if (!(idp = only_child(root, NS_MD, "IDPSSODescriptor", &many))) {
		snprintf(err, SAML_ERR_MAX, many ? "more than one IDPSSODescriptor" : "no IDPSSODescriptor");
		goto done;
	}
	for (xmlNodePtr kd = idp->children; kd; kd = kd->next) {
		char *use;
		bool signing;
		if (!is_el(kd, NS_MD, "KeyDescriptor"))
			continue;
		use = attr(kd, "use");
		signing = !use || strcmp(use, "signing") == 0;
		xmlFree(use);
		if (signing && add_cert(md, kd, err) != C_OK)
			goto done;
	}
	if (md->ncerts == 0) {
		snprintf(err, SAML_ERR_MAX, "the IDPSSODescriptor has no signing certificate");
		goto done;
	}
	/* where a person starts signing in (the console's sign-in page links to it): the first SingleSignOnService
	 * whose Location is an http(s) URL of printable characters; none is fine */
	for (xmlNodePtr sso = idp->children; sso && !md->sso_url; sso = sso->next) {
		char *loc;
		bool ok = true;
		if (!is_el(sso, NS_MD, "SingleSignOnService") || !(loc = attr(sso, "Location")))
			continue;
		for (const char *c = loc; *c && ok; c++)
			ok = (unsigned char)*c > 0x20 && (unsigned char)*c < 0x7f && !strchr("\"<>'`", *c);
		if (ok && (strncmp(loc, "https://", 8) == 0 || strncmp(loc, "http://", 7) == 0) && strlen(loc) <= 1024 &&
		    !(md->sso_url = strdup(loc))) {
			xmlFree(loc);
			snprintf(err, SAML_ERR_MAX, "out of memory");
			goto done;
		}
		xmlFree(loc);
	}
	if (!(md->entity_id = strdup(id))) {
		snprintf(err, SAML_ERR_MAX, "out of memory");
		goto done;
	}
	rc = C_OK;
done:
	xmlFree(id);
	xmlFree(until);
	xmlFreeDoc(d);
	if (rc != C_OK)
		saml_metadata_clear(md);
	return rc;
}

/* ---- the response: shape ---------------------------------------------------------------------------------- */

/* What a walk of the whole document found. */
struct census {
	int responses, assertions, enc_assertions, encrypted, signatures, xml_ids;
};

static void census(const xmlNode *n, struct census *c, int depth)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(n, NS_SAMLP, "Response"))
			c->responses++;
		else if (is_el(n, NS_SAML, "Assertion"))
			c->assertions++;
		else if (is_el(n, NS_SAML, "EncryptedAssertion"))
			c->enc_assertions++;
		else if (is_el(n, NS_SAML, "EncryptedID") || is_el(n, NS_SAML, "EncryptedAttribute"))
			c->encrypted++;
		else if (is_el(n, NS_DS, "Signature"))
			c->signatures++;
		for (xmlAttrPtr a = n->properties; a; a = a->next)
			if (a->ns && a->ns->href && strcmp((const char *)a->ns->href, NS_XML) == 0 &&
			    strcmp((const char *)a->name, "id") == 0)
				c->xml_ids++;
		if (depth < 256)
			census(n->children, c, depth + 1);
	}
}

/* Registers the ID attribute of el as an XML ID (what "#ID" references resolve to). C_ERR when it has none or the
 * value is taken. */
static int register_id(xmlDocPtr doc, xmlNodePtr el, char **id)
{
	xmlAttrPtr a = xmlHasNsProp(el, (const xmlChar *)"ID", NULL);

	*id = NULL;
	if (!a || !(*id = attr(el, "ID")) || !(*id)[0])
		return C_ERR;
	if (xmlGetID(doc, (const xmlChar *)*id))
		return C_ERR;
	return xmlAddID(NULL, doc, (const xmlChar *)*id, a) ? C_OK : C_ERR;
}

/* ---- the response: the signature --------------------------------------------------------------------------- */

static int enable_transforms(xmlSecDSigCtxPtr ctx)
{
	xmlSecTransformId c14n[] = {xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId,
	                            xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
	                            xmlSecTransformInclC14N11Id, xmlSecTransformInclC14N11WithCommentsId};
	xmlSecTransformId digests[] = {xmlSecTransformSha1Id, xmlSecTransformSha256Id, xmlSecTransformSha384Id,
	                               xmlSecTransformSha512Id};
	xmlSecTransformId sigs[] = {xmlSecTransformRsaSha1Id,     xmlSecTransformRsaSha256Id,
	                            xmlSecTransformRsaSha384Id,   xmlSecTransformRsaSha512Id,
	                            xmlSecTransformEcdsaSha1Id,   xmlSecTransformEcdsaSha256Id,
	                            xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id};

	for (size_t i = 0; i < ARRAY_LEN(c14n); i++)
		if (xmlSecDSigCtxEnableSignatureTransform(ctx, c14n[i]) < 0 ||
		    xmlSecDSigCtxEnableReferenceTransform(ctx, c14n[i]) < 0)
			return C_ERR;
	for (size_t i = 0; i < ARRAY_LEN(digests); i++)
		if (xmlSecDSigCtxEnableReferenceTransform(ctx, digests[i]) < 0)
			return C_ERR;
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		if (xmlSecDSigCtxEnableSignatureTransform(ctx, sigs[i]) < 0)
			return C_ERR;
	if (xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) < 0)
		return C_ERR;
	ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
	return C_OK;
}

/* Whether sig (a child of the element whose ID is id) has exactly one Reference, to "#id". */
static bool references_parent(xmlNodePtr sig, const char *id)
{
	bool many = false;
	xmlNodePtr si = only_child(sig, NS_DS, "SignedInfo", &many), ref;
	char *uri;
	bool ok;

	if (!si || !(ref = only_child(si, NS_DS, "Reference", &many)) || !(uri = attr(ref, "URI")))
		return false;
	ok = uri[0] == '#' && strcmp(uri + 1, id) == 0;
	xmlFree(uri);
	return ok;
}

/* SAML_VALID when sig verifies under one of the metadata's certificates. */
static enum saml_verdict verify_with_metadata(xmlNodePtr sig, const struct saml_metadata *md)
{
	for (size_t i = 0; i < md->ncerts; i++) {
		xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
		xmlSecKeyPtr key;
		bool ok;

		if (!ctx)
			return SAML_FAILURE;
		key = xmlSecCryptoAppKeyLoadMemory(md->certs[i], (xmlSecSize)md->cert_len[i], xmlSecKeyDataFormatCertDer,
		                                   NULL, NULL, NULL);
		if (!key || enable_transforms(ctx) != C_OK) {
			if (key)
				xmlSecKeyDestroy(key);
			xmlSecDSigCtxDestroy(ctx);
			return SAML_FAILURE;
		}
		ctx->signKey = key; /* owned by ctx from here: the key is the metadata's, never the document's KeyInfo */
		ok = xmlSecDSigCtxVerify(ctx, sig) >= 0 && ctx->status == xmlSecDSigStatusSucceeded;
		xmlSecDSigCtxDestroy(ctx);
		if (ok)
			return SAML_VALID;
	}
	return SAML_INVALID;
}

/* ---- the response: claims --------------------------------------------------------------------------------- */

/* Whether url is a sign-in endpoint that may receive the response: AWS's global or regional one, or own. */
static bool accepted_endpoint(const char *url, const char *own)
{
	static const char global[] = "https://signin.aws.amazon.com/saml", suffix[] = ".signin.aws.amazon.com/saml";
	size_t len = strlen(url), sl = sizeof(suffix) - 1;

	if (strcmp(url, global) == 0 || (own && strcmp(url, own) == 0))
		return true;
	if (strncmp(url, "https://", 8) != 0 || len <= 8 + sl || strcmp(url + len - sl, suffix) != 0)
		return false;
	for (const char *p = url + 8; p < url + len - sl; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

static bool accepted_audience(const char *aud)
{
	return strcmp(aud, "urn:amazon:webservices") == 0 || accepted_endpoint(aud, NULL);
}

/* A time attribute of el: C_OK with *out (0 when absent), C_ERR when present but not a date. */
static int time_attr(const xmlNode *el, const char *name, int64_t *out)
{
	char *v = attr(el, name);
	int rc = C_OK;

	*out = 0;
	if (v && time_parse_iso8601(v, out) != C_OK)
		rc = C_ERR;
	xmlFree(v);
	return rc;
}

#define REFUSE(...)                                                                                                \
	do {                                                                                                       \
		snprintf(err, SAML_ERR_MAX, __VA_ARGS__);                                                          \
		v = SAML_INVALID;                                                                                  \
		goto done;                                                                                         \
	} while (0)

/* Conditions: NotBefore / NotOnOrAfter and every AudienceRestriction naming AWS. */
static enum saml_verdict read_conditions(xmlNodePtr as, const struct saml_expect *exp, char err[SAML_ERR_MAX])
{
	bool many = false;
	xmlNodePtr cond = only_child(as, NS_SAML, "Conditions", &many);
	int64_t nb, noa;
	int restrictions = 0;
	enum saml_verdict v = SAML_VALID;

	if (!cond)
		REFUSE(many ? "more than one Conditions element" : "the assertion has no Conditions");
	if (time_attr(cond, "NotBefore", &nb) != C_OK || time_attr(cond, "NotOnOrAfter", &noa) != C_OK)
		REFUSE("a condition's time is not a date");
	if (nb && exp->now_s + SAML_SKEW_S < nb)
		REFUSE("Assertion is not yet valid");
	if (noa && exp->now_s - SAML_SKEW_S >= noa) {
		snprintf(err, SAML_ERR_MAX, "Token must be redeemed within its validity: the assertion expired");
		return SAML_EXPIRED;
	}
	for (xmlNodePtr r = cond->children; r; r = r->next) {
		bool ok = false;
		if (!is_el(r, NS_SAML, "AudienceRestriction"))
			continue;
		restrictions++;
		for (xmlNodePtr a = r->children; a && !ok; a = a->next) {
			char *t;
			if (!is_el(a, NS_SAML, "Audience") || !(t = text_of(a)))
				continue;
			ok = accepted_audience(t);
			free(t);
		}
		if (!ok)
			REFUSE("Invalid audience: the assertion is not for AWS (https://signin.aws.amazon.com/saml)");
	}
	if (!restrictions)
		REFUSE("Invalid audience: the assertion names no Audience");
done:
	return v;
}

/* Subject: one NameID and one bearer SubjectConfirmation whose data has a Recipient we are and a NotOnOrAfter. */
static enum saml_verdict read_subject(xmlNodePtr as, const struct saml_expect *exp, struct saml_assertion *out,
                                      char err[SAML_ERR_MAX])
{
	bool many = false;
	xmlNodePtr subj = only_child(as, NS_SAML, "Subject", &many), nid, sc, scd;
	char *method = NULL, *fmt = NULL;
	int64_t noa, nb;
	enum saml_verdict v = SAML_VALID;

	if (!subj)
		REFUSE("the assertion has %s Subject", many ? "more than one" : "no");
	if (!(nid = only_child(subj, NS_SAML, "NameID", &many)) || !(out->name_id = text_of(nid)) || !out->name_id[0])
		REFUSE("the Subject has no NameID");
	fmt = attr(nid, "Format");
	if (!(out->name_id_format = strdup(fmt ? fmt : "")))
		REFUSE("out of memory");
	if (!(sc = only_child(subj, NS_SAML, "SubjectConfirmation", &many)))
		REFUSE("the Subject must have exactly one SubjectConfirmation");
	method = attr(sc, "Method");
	if (!method || strcmp(method, CM_BEARER) != 0)
		REFUSE("the SubjectConfirmation is not bearer");
	if (!(scd = only_child(sc, NS_SAML, "SubjectConfirmationData", &many)))
		REFUSE("the SubjectConfirmation has no SubjectConfirmationData");
	if (!(out->recipient = attr(scd, "Recipient")) || time_attr(scd, "NotOnOrAfter", &noa) != C_OK || !noa ||
	    time_attr(scd, "NotBefore", &nb) != C_OK)
		REFUSE("the SubjectConfirmationData must have Recipient and NotOnOrAfter");
	if (!accepted_endpoint(out->recipient, exp->own_recipient))
		REFUSE("Invalid Recipient: %.100s is not a sign-in endpoint of this service", out->recipient);
	if (nb && exp->now_s + SAML_SKEW_S < nb)
		REFUSE("Assertion is not yet valid");
	if (exp->now_s - SAML_SKEW_S >= noa) {
		snprintf(err, SAML_ERR_MAX, "Token must be redeemed within its validity: the assertion expired");
		v = SAML_EXPIRED;
	}
done:
	xmlFree(method);
	xmlFree(fmt);
	return v;
}

/* AttributeStatement: every Attribute's Name and values (text only). */
static enum saml_verdict read_attributes(xmlNodePtr as, struct saml_assertion *out, char err[SAML_ERR_MAX])
{
	size_t total = 0;
	enum saml_verdict v = SAML_VALID;

	for (xmlNodePtr st = as->children; st; st = st->next) {
		if (!is_el(st, NS_SAML, "AttributeStatement"))
			continue;
		for (xmlNodePtr a = st->children; a; a = a->next) {
			struct saml_attribute *at;
			size_t n = 0;
			if (!is_el(a, NS_SAML, "Attribute"))
				continue;
			if (out->nattrs == SAML_ATTRS_MAX)
				REFUSE("more than %d attributes", SAML_ATTRS_MAX);
			at = &out->attrs[out->nattrs];
			if (!(at->name = attr(a, "Name")))
				REFUSE("an Attribute has no Name");
			out->nattrs++;
			for (xmlNodePtr val = a->children; val; val = val->next)
				n += is_el(val, NS_SAML, "AttributeValue");
			if ((total += n) > SAML_VALUES_MAX)
				REFUSE("more than %d attribute values", SAML_VALUES_MAX);
			if (n && !(at->values = calloc(n, sizeof(*at->values))))
				REFUSE("out of memory");
			for (xmlNodePtr val = a->children; val; val = val->next) {
				if (!is_el(val, NS_SAML, "AttributeValue"))
					continue;
				if (!(at->values[at->n] = text_of(val)))
					REFUSE("an AttributeValue of %.100s is not text", at->name);
				at->n++;
			}
		}
	}
done:
	return v;
}

/* ---- the response: an encrypted assertion --------------------------------------------------------------- */

/* A Response holding an EncryptedAssertion: its own signature, when it has one, checked now over the document as
 * received (*resp_id then set: verified), then the assertion decrypted into its place (saml_decrypt.h). What it
 * holds then goes through saml_response_verify's checks as a plain one. */
static enum saml_verdict open_encrypted(xmlDocPtr doc, xmlNodePtr resp, const struct saml_metadata *md,
                                        const struct saml_expect *exp, char **resp_id, char err[SAML_ERR_MAX])
{
	struct census cs = {0};
	bool many = false;
	xmlNodePtr enc, sig, as;
	enum saml_verdict v = SAML_INVALID;

	census(resp, &cs, 0);
	if (!exp->keys || !exp->keys->n)
		REFUSE("Invalid SAML response: the assertion is encrypted and the provider has no private key to decrypt "
		       "it");
	if (cs.enc_assertions != 1 || cs.assertions || !(enc = only_child(resp, NS_SAML, "EncryptedAssertion", &many)))
		REFUSE("Invalid SAML response: it must hold exactly one Assertion");
	sig = only_child(resp, NS_DS, "Signature", &many);
	if (many || cs.signatures != (sig != NULL))
		REFUSE("Response signature invalid");
	if (sig) {
		if (register_id(doc, resp, resp_id) != C_OK)
			REFUSE("Response signature invalid: the Response and the Assertion need IDs of their own");
		if (!references_parent(sig, *resp_id))
			REFUSE("Response signature invalid: the signature must reference its Response");
		if ((v = verify_with_metadata(sig, md)) != SAML_VALID) {
			snprintf(err, SAML_ERR_MAX, v == SAML_INVALID ? "Response signature invalid"
			                                              : "the signature could not be checked");
			return v;
		}
	}
	v = saml_decrypt_assertion(enc, exp->keys, &as, err);
done:
	return v;
}

/* ---- the response ----------------------------------------------------------------------------------------- */

/* Decodes base64 text, white space ignored. NULL when malformed or larger than SAML_RESPONSE_MAX. */
static uint8_t *decode_b64(const char *b64, size_t len, size_t *out_len)
{
	char *clean;
	uint8_t *out;
	size_t n = 0;

	if (len > SAML_RESPONSE_MAX * 2 || !(clean = malloc(len + 1)))
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)b64[i]))
			clean[n++] = b64[i];
	out = base64_decode(clean, n, out_len);
	free(clean);
	if (out && *out_len > SAML_RESPONSE_MAX) {
		free(out);
		return NULL;
	}
	return out;
}

/* A SAMLResponse, decoded and parsed: the document (freed by the caller with xml, its decoded bytes), its root
 * samlp:Response and the census of what the Response holds. SAML_VALID when it is open; else err says why. */
struct opened {
	uint8_t *xml;
	size_t xml_len;
	xmlDocPtr doc;
	xmlNodePtr resp;
	struct census cs;
};

static enum saml_verdict open_response(const char *b64, size_t len, struct opened *o, char err[SAML_ERR_MAX])
{
	memset(o, 0, sizeof(*o));
	err[0] = '\0';
	pthread_once(&lib_once, lib_init);
	if (!lib_ok) {
		snprintf(err, SAML_ERR_MAX, "the XML signature library is not available");
		return SAML_FAILURE;
	}
	if (!(o->xml = decode_b64(b64, len, &o->xml_len))) {
		snprintf(err, SAML_ERR_MAX, "Invalid SAML response: not base64, or larger than %d bytes", SAML_RESPONSE_MAX);
		return SAML_INVALID;
	}
	if (!(o->doc = parse_xml((const char *)o->xml, o->xml_len, err))) {
		char why[SAML_ERR_MAX];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, SAML_ERR_MAX, "Invalid SAML response: %.200s", why);
		return SAML_INVALID;
	}
	o->resp = xmlDocGetRootElement(o->doc);
	if (!is_el(o->resp, NS_SAMLP, "Response")) {
		snprintf(err, SAML_ERR_MAX, "Invalid SAML response: the root element is not a samlp:Response");
		return SAML_INVALID;
	}
	census(o->resp, &o->cs, 0);
	return SAML_VALID;
}

static void opened_free(struct opened *o)
{
	if (o->doc)
		xmlFreeDoc(o->doc);
	free(o->xml);
}

enum saml_verdict saml_response_verify(const char *b64, size_t len, const struct saml_metadata *md,
                                       const struct saml_expect *exp, struct saml_assertion *out,
                                       char err[SAML_ERR_MAX])
{
	struct opened o;
	xmlNodePtr resp, as, sig_resp, sig_as, st, code, iss;
	char *resp_id = NULL, *as_id = NULL, *value = NULL, *dest = NULL, *resp_issuer = NULL;
	bool many = false, resp_verified = false;
	enum saml_verdict v;

	memset(out, 0, sizeof(*out));
	if ((v = open_response(b64, len, &o, err)) != SAML_VALID)
		goto done;
	v = SAML_INVALID;
	resp = o.resp;
	if (o.cs.enc_assertions) {
		/* the Response's signature (over the encrypted form) verified first, then the Assertion put in place */
		if ((v = open_encrypted(o.doc, resp, md, exp, &resp_id, err)) != SAML_VALID)
			goto done;
		resp_verified = resp_id != NULL;
		v = SAML_INVALID;
		memset(&o.cs, 0, sizeof(o.cs));
		census(resp, &o.cs, 0);
	} else if (exp->keys && exp->keys->required) {
		REFUSE("Invalid SAML response: the provider requires encrypted assertions (AssertionEncryptionMode "
		       "Required)");
	}
	if (o.cs.encrypted || o.cs.enc_assertions)
		REFUSE("Invalid SAML response: encrypted identifiers and attributes are not supported");
	if (o.cs.responses != 1 || o.cs.assertions != 1 || o.cs.xml_ids)
		REFUSE("Invalid SAML response: it must hold exactly one Assertion");
	if (!(as = only_child(resp, NS_SAML, "Assertion", &many)))
		REFUSE("Invalid SAML response: the Assertion must be a child of the Response");
	/* Status */
	if (!(st = only_child(resp, NS_SAMLP, "Status", &many)) || !(code = only_child(st, NS_SAMLP, "StatusCode", &many)) ||
	    !(value = attr(code, "Value")) || strcmp(value, STATUS_SUCCESS) != 0)
		REFUSE("The SAML response's status is not Success");
	/* The signatures: each a child of the Response or the Assertion, nowhere else. */
	sig_resp = only_child(resp, NS_DS, "Signature", &many);
	sig_as = only_child(as, NS_DS, "Signature", &many);
	if (many || o.cs.signatures != (sig_resp != NULL) + (sig_as != NULL))
		REFUSE("Response signature invalid");
	if (!sig_resp && !sig_as)
		REFUSE("Response signature invalid: the response is not signed");
	if ((!resp_id && register_id(o.doc, resp, &resp_id) != C_OK) || register_id(o.doc, as, &as_id) != C_OK)
		REFUSE("Response signature invalid: the Response and the Assertion need IDs of their own");
	/* Every signature present must verify, each over its own parent. */
	if (sig_resp && !references_parent(sig_resp, resp_id))
		REFUSE("Response signature invalid: the signature must reference its Response");
	if (sig_as && !references_parent(sig_as, as_id))
		REFUSE("Response signature invalid: the signature must reference its Assertion");
	if (sig_resp && !resp_verified && (v = verify_with_metadata(sig_resp, md)) != SAML_VALID)
		goto sig_failed;
	if (sig_as && (v = verify_with_metadata(sig_as, md)) != SAML_VALID)
		goto sig_failed;
	/* Verified: `as` is the signed Assertion or the one child Assertion of the signed Response. */
	v = SAML_INVALID;
	dest = attr(resp, "Destination");
	if (dest && !accepted_endpoint(dest, exp->own_recipient))
		REFUSE("Invalid Destination: %.100s is not a sign-in endpoint of this service", dest);
	if (!(iss = only_child(as, NS_SAML, "Issuer", &many)) || !(out->issuer = text_of(iss)) ||
	    strcmp(out->issuer, md->entity_id) != 0)
		REFUSE("Issuer not present in specified provider");
	if ((iss = only_child(resp, NS_SAML, "Issuer", &many)) &&
	    (!(resp_issuer = text_of(iss)) || strcmp(resp_issuer, md->entity_id) != 0))
		REFUSE("Issuer not present in specified provider");
	if (time_attr(as, "IssueInstant", &out->issue_instant_s) != C_OK)
		REFUSE("Invalid SAML response: IssueInstant is not a date");
	if ((v = read_conditions(as, exp, err)) != SAML_VALID || (v = read_subject(as, exp, out, err)) != SAML_VALID ||
	    (v = read_attributes(as, out, err)) != SAML_VALID)
		goto done;
	v = SAML_VALID;
	goto done;
sig_failed:
	if (v == SAML_INVALID)
		snprintf(err, SAML_ERR_MAX, "Response signature invalid");
	else
		snprintf(err, SAML_ERR_MAX, "the signature could not be checked");
done:
	xmlFree(resp_id);
	xmlFree(as_id);
	xmlFree(value);
	xmlFree(dest);
	free(resp_issuer);
	opened_free(&o);
	if (v != SAML_VALID)
		saml_assertion_clear(out);
	return v;
}

enum saml_verdict saml_response_peek(const char *b64, size_t len, const struct saml_keys *keys,
                                     struct saml_assertion *out, char err[SAML_ERR_MAX])
{
	struct opened o;
	xmlNodePtr resp, as;
	bool many = false;
	enum saml_verdict v;

	memset(out, 0, sizeof(*out));
	if ((v = open_response(b64, len, &o, err)) != SAML_VALID)
		goto done;
	v = SAML_INVALID;
	resp = o.resp;
	if (o.cs.enc_assertions) {
		xmlNodePtr enc = only_child(resp, NS_SAML, "EncryptedAssertion", &many);
		if (!keys || !keys->n)
			REFUSE("Invalid SAML response: the assertion is encrypted and the provider has no private key");
		if (o.cs.enc_assertions != 1 || o.cs.assertions || !enc)
			REFUSE("Invalid SAML response: it must hold exactly one Assertion");
		if ((v = saml_decrypt_assertion(enc, keys, &as, err)) != SAML_VALID)
			goto done;
		v = SAML_INVALID;
		memset(&o.cs, 0, sizeof(o.cs));
		census(resp, &o.cs, 0);
	}
	if (o.cs.encrypted || o.cs.enc_assertions)
		REFUSE("Invalid SAML response: encrypted identifiers and attributes are not supported");
	if (o.cs.responses != 1 || o.cs.assertions != 1 || !(as = only_child(resp, NS_SAML, "Assertion", &many)))
		REFUSE("Invalid SAML response: it must hold exactly one Assertion");
	v = read_attributes(as, out, err);
done:
	opened_free(&o);
	if (v != SAML_VALID)
		saml_assertion_clear(out);
	return v;
}

char *saml_response_encrypted_issuer(const char *b64, size_t len)
{
	struct opened o;
	xmlNodePtr iss;
	char err[SAML_ERR_MAX], *out = NULL;
	bool many = false;

	if (open_response(b64, len, &o, err) == SAML_VALID && o.cs.enc_assertions &&
	    (iss = only_child(o.resp, NS_SAML, "Issuer", &many)))
		out = text_of(iss);
	opened_free(&o);
	return out;
}

const struct saml_attribute *saml_attribute(const struct saml_assertion *a, const char *name)
{
	for (size_t i = 0; i < a->nattrs; i++)
		if (strcmp(a->attrs[i].name, name) == 0)
			return &a->attrs[i];
	return NULL;
}

void saml_assertion_clear(struct saml_assertion *a)
{
	free(a->issuer);
	free(a->name_id);
	free(a->name_id_format);
	xmlFree(a->recipient);
	for (size_t i = 0; i < a->nattrs; i++) {
		xmlFree(a->attrs[i].name);
		for (size_t j = 0; j < a->attrs[i].n; j++)
			free(a->attrs[i].values[j]);
		free(a->attrs[i].values);
	}
	memset(a, 0, sizeof(*a));
}

const char *saml_subject_type(const char *format)
{
	if (strncmp(format, NAMEID_PREFIX, sizeof(NAMEID_PREFIX) - 1) == 0)
		return format + sizeof(NAMEID_PREFIX) - 1;
	return format;
}

int saml_name_qualifier(const char *issuer, const char *account_id, const char *provider_name, char *out, size_t cap)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *b64;
	int rc = C_ERR;

	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(ctx, issuer, strlen(issuer)) == 1 &&
	    EVP_DigestUpdate(ctx, account_id, strlen(account_id)) == 1 && EVP_DigestUpdate(ctx, "/", 1) == 1 &&
	    EVP_DigestUpdate(ctx, provider_name, strlen(provider_name)) == 1 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
	    (b64 = base64_encode(md, mdlen))) {
		rc = snprintf(out, cap, "%s", b64) < (int)cap ? C_OK : C_ERR;
		free(b64);
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

void saml_keys_clear(struct saml_keys *keys)
{
	for (size_t i = 0; i < keys->n && i < SAML_DECRYPT_KEYS_MAX; i++) {
		if (keys->der[i])
			explicit_bzero(keys->der[i], keys->len[i]);
		free(keys->der[i]);
	}
	memset(keys, 0, sizeof(*keys));
}
