/*
 * sts.h - STS actions.
 */
#ifndef ROLEGATE_STS_H
#define ROLEGATE_STS_H

#include "server/call.h"

extern const struct action_table sts_identity_actions;
extern const struct action_table sts_session_actions;
extern const struct action_table sts_authzmsg_actions;
extern const struct action_table sts_saml_actions; /* saml.c: AssumeRoleWithSAML */
extern const struct action_table sts_federation_actions;

/* sessions.c */
int sts_assume_role(struct call *c);
int sts_get_session_token(struct call *c);
/* Resource of AssumeRole: the role; loads its trust policy into c->resource_policy and verifies MFA. */
int sts_resource_assume_role(struct call *c, char *out, size_t cap);
/* After AssumeRole-like calls: a refused MFA code counts toward the device's lockout; a granted call advances the
 * role's RoleLastUsed (c->role_used). */
void sts_sessions_after(struct call *c, bool ok);
/* Splits arn:aws:iam::ACCT:role/PATH/NAME into account and name (cap bytes): C_OK, or C_ERR for another ARN. */
int sts_role_arn_parts(const char *arn, char account[ACCOUNT_ID_LEN + 1], char *name, size_t cap);
/* Resource of GetSessionToken ("*"); verifies MFA. */
int sts_resource_session(struct call *c, char *out, size_t cap);

/* saml.c: sts:AssumeRoleWithSAML (sts_saml_actions). The authentication of an unsigned AssumeRoleWithSAML (c->in
 * decoded and validated): C_OK with c->caller (PRINCIPAL_IDENTITY_PROVIDER), c->fed and the assertion's session
 * parameters in c->in set, or C_ERR with AWS's error. */
int sts_saml_authenticate(struct call *c);
/* Makes c's caller the SAML provider account/provider_name with what a verified assertion as says (the saml:* keys,
 * the answer's Subject ...; session_name, its session tags and source identity into c->in when c->in is set). For
 * sts_saml_authenticate, and for tests that build a call without a signed response. C_ERR with c->err set. */
struct saml_assertion;
int sts_saml_set_caller(struct call *c, const struct saml_assertion *as, const char *account,
                        const char *provider_name, const char *session_name);

/* federation.c: sts:GetFederationToken (a federated-user session for the calling IAM user or root). */
int sts_get_federation_token(struct call *c);
/* Resource of GetFederationToken: arn:aws:sts::ACCT:federated-user/NAME; refuses temporary callers (AccessDenied). */
int sts_resource_federation(struct call *c, char *out, size_t cap);

/* identity.c */
int sts_get_caller_identity(struct call *c);
int sts_get_access_key_info(struct call *c);
/* sts:DecodeAuthorizationMessage (authzmsg.c): opens an encoded authorization message of this server. */
int sts_decode_authorization_message(struct call *c);
/* Resource "*": STS identity actions are not on a resource. */
int sts_resource_any(struct call *c, char *out, size_t cap);

#endif
