/*
 * effective.h - the identity-based policies that apply to a principal, compiled (the contract between IAM's
 * storage and the server's authorization; implemented in src/iam/effective.c).
 */
#ifndef ROLEGATE_EFFECTIVE_H
#define ROLEGATE_EFFECTIVE_H

#include <stddef.h>

#include "policy/policy.h"
#include "store/store.h"

/* More than AWS allows at once: a user's inline policies (2,048 characters in all), 20 managed ones, and 10 groups
 * each with inline policies (5,120 characters) and 20 managed ones can reach about a thousand. Past this the
 * principal's requests fail (ServiceFailure): no decision is made on part of its policies. */
#define PRINCIPAL_POLICIES_MAX 4096

/* Where one identity policy comes from (principal_policies_load_sources): what the policy simulator reports. */
struct principal_policy_source {
	char type[16];     /* AWS's PolicySourceType: "user", "group", "role", "aws-managed", "user-managed" */
	char name[129];    /* the policy's name */
	char *document;    /* owned: the text the policy was compiled from (for statement positions) */
};

struct principal_policies {
	struct policy **identity; /* owned array of references, grown as needed: principal_policies_release frees */
	size_t nidentity, cap;
	struct policy *boundary; /* the permissions boundary, or NULL */
	/* Only from principal_policies_load_sources (else NULL / ""): sources[i] describes identity[i]; the boundary's
	 * ARN and text. All owned. */
	struct principal_policy_source *sources;
	char boundary_arn[ARN_MAX + 1];
	char *boundary_document;
};

/*
 * Fills out with the policies of a user (kind "user": its inline policies, its attached managed policies' default
 * versions, and the same for each of its groups) or a role (kind "role": its inline and attached policies), and
 * its permissions boundary. id is the user's or role's unique id. C_OK, STORE_NOT_FOUND (no such principal), or
 * C_ERR (also when a stored policy no longer compiles: it is logged, and no decision is made without it).
 */
int principal_policies_load(struct db_tx *tx, const char *kind, const char *id, struct principal_policies *out);
/* principal_policies_load() that also records where each policy comes from and its text (out->sources,
 * out->boundary_arn, out->boundary_document), for the policy simulator; kind may also be "group" (its own inline
 * and attached policies; a group has no boundary). The same query and compilation as authorization's. */
int principal_policies_load_sources(struct db_tx *tx, const char *kind, const char *id,
                                    struct principal_policies *out);
/* Releases every reference and empties out. */
void principal_policies_release(struct principal_policies *out);

/* Creates (once) the AWS-managed policies under arn:aws:iam::aws:policy/ (AdministratorAccess, PowerUserAccess,
 * ReadOnlyAccess, IAMFullAccess, IAMReadOnlyAccess). Called at every start; C_OK when they are there. */
int iam_ensure_aws_managed_policies(struct db_tx *tx, int64_t now_ms);

#endif
