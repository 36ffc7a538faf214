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

/* sessions.c */
int sts_assume_role(struct call *c);
int sts_get_session_token(struct call *c);
/* Resource of AssumeRole: the role; loads its trust policy into c->resource_policy and verifies MFA. */
int sts_resource_assume_role(struct call *c, char *out, size_t cap);
/* Resource of GetSessionToken ("*"); verifies MFA. */
int sts_resource_session(struct call *c, char *out, size_t cap);

/* The combined session policy of Policy and PolicyArns (AssumeRole, AssumeRoleWithSAML) for a role of
 * role_account, validated: *out NULL when none was passed, else a malloc'd document. C_ERR with c->err set. */
int sts_session_policy(struct call *c, const char *role_account, char **out);
struct session_claims;
/* Sets c->out's Credentials from issued claims and their sealed token. */
int sts_credentials_json(struct call *c, const struct session_claims *cl, const char *token);

/* saml.c: sets c->federation from a verified assertion of the provider account/provider_name: the condition keys
 * it brings (saml:aud, saml:iss, saml:sub, saml:sub_type, saml:namequalifier, saml:doc, the attributes AWS maps to
 * saml:* keys, aws:RequestTag/KEY and aws:TagKeys of its PrincipalTag attributes, sts:TransitiveTagKeys,
 * sts:SourceIdentity, sts:RoleSessionName) and what the answer says. C_ERR with c->err set (or not: out of
 * memory). */
struct saml_assertion;
int sts_saml_federation(struct call *c, const struct saml_assertion *as, const char *account, const char *provider_name,
                        const char *session_name);

/* identity.c */
int sts_get_caller_identity(struct call *c);
int sts_get_access_key_info(struct call *c);
/* sts:DecodeAuthorizationMessage (authzmsg.c): opens an encoded authorization message of this server. */
int sts_decode_authorization_message(struct call *c);
/* Resource "*": STS identity actions are not on a resource. */
int sts_resource_any(struct call *c, char *out, size_t cap);

#endif
