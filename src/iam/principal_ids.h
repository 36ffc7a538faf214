/*
 * principal_ids.h - trust policies name users and roles by identity, as IAM stores them.
 *
 * IAM saves a role trust policy with each IAM user or role its Principal "AWS" names replaced by that principal's
 * unique id (AIDA..., AROA...), and shows the current ARN in its place while the principal exists, the bare id once
 * it is deleted. A user or role deleted and re-created under the same name gets a new id, so it does not inherit
 * the trust its namesake had. The policy engine matches an id against the caller's (policy_request.principal_id).
 */
#ifndef ROLEGATE_PRINCIPAL_IDS_H
#define ROLEGATE_PRINCIPAL_IDS_H

#include <stddef.h>

#include "server/call.h"

/* The text a trust policy is stored as: each user or role named in a Principal "AWS" (by ARN, or by unique id)
 * becomes its unique id; "*", accounts, sessions and federated users stay as written. A principal that does not
 * exist here is refused as IAM does (MalformedPolicyDocument "Invalid principal in policy"). *out: caller frees. */
int iam_trust_policy_stored(struct call *c, const char *doc, char **out);

/* The text a stored trust policy is shown as: each unique id of a user or role that exists becomes its current
 * ARN; the id of one since deleted stays. *out: caller frees. */
int iam_trust_policy_shown(struct call *c, const char *stored, char **out);

#endif
