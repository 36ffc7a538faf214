/*
 * federated.h - what an unsigned federation call verified of the credential it carries: an OpenID Connect ID token
 * (sts:AssumeRoleWithWebIdentity, webidentity.c) or a SAML response (sts:AssumeRoleWithSAML, saml.c).
 *
 * The action's authenticate hook (src/server/call.h) verifies the credential, makes the identity provider the
 * caller (PRINCIPAL_IDENTITY_PROVIDER) and leaves this on the call (c->fed); the session parameters the credential
 * asks for (session tags, transitive tag keys, source identity) become the call's input (c->in), so that
 * authorization (sts:TagSession, sts:SetSourceIdentity) and the session (sts_assume_role) treat them as AssumeRole's
 * own. The context (src/server/context.c) adds the provider's condition keys from it, the handler its answer.
 */
#ifndef ROLEGATE_FEDERATED_H
#define ROLEGATE_FEDERATED_H

#include <jansson.h>

#include "aws/arn.h"
#include "store/oidc.h"

enum federated_kind {
	FEDERATED_OIDC, /* an OIDC ID token */
	FEDERATED_SAML, /* a SAML response */
};

struct federated {
	enum federated_kind kind;
	char provider_arn[ARN_MAX + 1]; /* arn:aws:iam::ACCT:oidc-provider/URL or ...:saml-provider/NAME */
	/* OIDC: the provider's URL without scheme (the condition keys' prefix), the token's iss, and the client id it
	 * was accepted for (azp when present, else aud). SAML: empty (the answer's values are in claims). */
	char provider_url[OIDC_URL_MAX + 1];
	char issuer[OIDC_URL_MAX + 16];
	char audience[256];
	/* Owned. OIDC: the token's claims. SAML: what the answer says of the assertion: Subject, SubjectType, Issuer,
	 * Audience, NameQualifier (strings). */
	json_t *claims;
	/* Owned. SAML: the saml:* condition keys the assertion brings ({KEY: [values]}; a key of several values is
	 * multi-valued). OIDC: NULL (context.c derives the provider's keys from the claims and the action's keys). */
	json_t *keys;
};

/* A zeroed struct federated of kind: NULL out of memory. */
struct federated *federated_new(enum federated_kind kind);
/* Releases one. NULL is fine. */
void federated_free(struct federated *f);

#endif
