/*
 * saml_decrypt.h - an EncryptedAssertion opened in place (src/federation/saml_decrypt.c), for saml.c only: the
 * rest of the program sees struct saml_keys (saml.h).
 */
#ifndef ROLEGATE_SAML_DECRYPT_H
#define ROLEGATE_SAML_DECRYPT_H

#include <libxml/tree.h>

#include "federation/saml.h"

/* Decrypts enc, a saml:EncryptedAssertion child of a samlp:Response, with one of keys (each tried, and each
 * EncryptedKey with each), and replaces it in its document by the saml:Assertion it holds, parsed in the Response's
 * context with the document's own rules (no DTD, no entity, no network). SAML_VALID with *as that Assertion (enc is
 * freed); SAML_INVALID with err set (the document unchanged) when nothing opens it or what it holds is not one
 * Assertion; SAML_FAILURE when a library fails. Every session key and plaintext buffer is wiped. */
enum saml_verdict saml_decrypt_assertion(xmlNodePtr enc, const struct saml_keys *keys, xmlNodePtr *as,
                                         char err[SAML_ERR_MAX]);

#endif
