/*
 * principal.h - who is calling: the identity a request authenticated as.
 */
#ifndef ROLEGATE_PRINCIPAL_H
#define ROLEGATE_PRINCIPAL_H

#include <stdbool.h>

#include "store/store.h"

enum principal_kind {
	PRINCIPAL_ROOT,         /* the account's root user: arn:aws:iam::ACCT:root */
	PRINCIPAL_USER,         /* an IAM user: arn:aws:iam::ACCT:user/PATH/NAME */
	PRINCIPAL_ROLE_SESSION, /* an assumed role: arn:aws:sts::ACCT:assumed-role/ROLE/SESSION */
	PRINCIPAL_FEDERATED_USER, /* a GetFederationToken session: arn:aws:sts::ACCT:federated-user/NAME */
	/* the unsigned caller of sts:AssumeRoleWithWebIdentity or sts:AssumeRoleWithSAML: the bearer of a token or
	 * assertion its identity provider vouches for (verified by the action's authenticate hook; c->fed says what it
	 * verified, src/sts/federated.h). arn is the provider's, arn:aws:iam::ACCT:oidc-provider/URL or
	 * arn:aws:iam::ACCT:saml-provider/NAME (the trust policy's {"Federated": ...}), account_id the provider's
	 * account; it holds no policies and is in no account's organization */
	PRINCIPAL_IDENTITY_PROVIDER,
};

struct principal {
	enum principal_kind kind;
	char account_id[ACCOUNT_ID_LEN + 1];
	char arn[ARN_MAX + 1];
	char id[IAM_ID_MAX + 66];     /* aws:userid: AIDA... (user), the account id (root), AROA...:SESSION (role session),
	                               * ACCT:NAME (federated user) */
	char name[IAM_NAME_MAX + 1];  /* "" for root; the role's name (role session); NAME (federated user) */
	char path[IAM_PATH_MAX + 1];  /* "" for root */
	char access_key_id[IAM_ID_MAX];
	int64_t created_ms;           /* the user's creation time (root: the account's) */
	/* The principal's tags (aws:PrincipalTag/KEY) are not kept here: src/server/context.c reads them from the store
	 * (a user's, a role's) with each request, in a context that grows to hold them all. */
	/* Temporary credentials (AssumeRole, GetSessionToken): what their token says. */
	bool temporary;
	int64_t token_issued_s, token_expires_s;
	int64_t mfa_s; /* when MFA was verified; 0 without */
	char source_identity[65];
	bool chained;  /* a role session obtained with role-session credentials */
	bool console;  /* a console session of a user or root (claims kind 'C'): not bound by GetSessionToken's limits;
	                * of a federated user (kind 'G'): IAM is open to it, as AWS's console opens it */
	/* Role sessions: the role (name and path are in name/path; arn is the session's ARN) */
	char role_id[IAM_ID_MAX];
	char role_arn[ARN_MAX + 1];
	char session_name[65];
	/* Federated users: the IAM user whose long-term keys called GetFederationToken (its unique id, "" when the
	 * account's root did) and its ARN (the root's for root). The session's permissions are that user's current
	 * policies (or the root's implicit ones) limited by the session policy. */
	char federator_id[IAM_ID_MAX];
	char federator_arn[ARN_MAX + 1];
	/* The session tags of temporary credentials, packed as in tokens.h ("key\0value\0T\0"...): as large as the
	 * token's (authentication refuses a token whose tags would not fit). */
	char session_tags[SESSION_TAGS_BYTES];
	size_t session_tags_len;
};

#endif
