/*
 * orgs.h - AWS Organizations (JSON 1.1 protocol, X-Amz-Target AWSOrganizationsV20161128.<Operation>): the action
 * table, and the service control policies that govern an account, for the server's authorization.
 *
 * The families: organization.c (the organization, its root, policy types), accounts.c (CreateAccount and the
 * accounts of the organization), ous.c (organizational units, parents and children), policies.c (SCPs and their
 * attachments), tags.c (tags of roots, OUs, accounts and policies), scp.c (orgs_scp_layers).
 */
#ifndef ROLEGATE_ORGS_H
#define ROLEGATE_ORGS_H

#include "policy/policy.h"
#include "server/call.h"

/* Every Organizations action (see src/server/actions.c). */
extern const struct action_table orgs_actions;

/* The SCP layers that govern an account: policies[i][0..layers[i].n) is layer i. */
struct scp_layers {
	struct policy *policies[16][16];
	struct policy_layer layers[16];
	size_t n;
};

/*
 * The SCP layers that govern account_id, root first, then each OU down to the account itself; none (n = 0) when
 * the account is its organization's management account, is in no organization, or SCPs are not enabled on the
 * root. Each layer holds the SCPs attached at that level (at least one of them must allow a request). Three
 * indexed queries. On C_OK the caller releases out with orgs_scp_layers_release(); on C_ERR out holds nothing.
 */
int orgs_scp_layers(struct db_tx *tx, const char *account_id, struct scp_layers *out);
/* Drops the policies and layer ids held by l; l is left empty (n = 0). */
void orgs_scp_layers_release(struct scp_layers *l);

#endif
