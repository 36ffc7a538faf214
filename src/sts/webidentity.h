/*
 * webidentity.h - sts:AssumeRoleWithWebIdentity: an OpenID Connect ID token, not a signature, authenticates the
 * caller (the request is unsigned, as on AWS).
 *
 *   decode -> authenticate: webid_authenticate (the token parsed, its issuer a provider of the role's account, its
 *             signature verified against the issuer's keys, its audience and times checked) -> the caller is the
 *             provider (PRINCIPAL_IDENTITY_PROVIDER), the verified claims on c->fed (src/sts/federated.h)
 *          -> authorize: the role's trust policy alone (Principal {"Federated": PROVIDER_ARN}, the provider's
 *             condition keys "HOST/PATH:sub" ..., aws:FederatedProvider; src/server/context.c)
 *          -> act: a role session as AssumeRole issues one -> audit (durably) -> encode
 */
#ifndef ROLEGATE_WEBIDENTITY_H
#define ROLEGATE_WEBIDENTITY_H

#include <jansson.h>

#include "server/call.h"
#include "sts/federated.h"
#include "store/oidc.h"

#define WEBID_SKEW_S 300 /* how far in the future a token's nbf and iat may be (clocks differ) */

/* The authentication of an unsigned AssumeRoleWithWebIdentity (c->in decoded and validated): C_OK with c->caller
 * (PRINCIPAL_IDENTITY_PROVIDER) and c->fed set, or C_ERR with AWS's error. */
int webid_authenticate(struct call *c);

/* Makes c's caller the web identity of provider p (of account) with the verified claims (taken: the caller no
 * longer owns them) and audience. For webid_authenticate, and for tests that build a call without a token. */
int webid_set_caller(struct call *c, const struct store_oidc_provider *p, const char *issuer, json_t *claims,
                     const char *audience);

/* The AssumeRoleWithWebIdentity action table (src/server/actions.c). */
extern const struct action_table sts_web_identity_actions;

#endif
