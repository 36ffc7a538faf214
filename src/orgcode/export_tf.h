/*
 * export_tf.h - `rolegate export terraform OUTDIR`: the organization as Terraform for hashicorp/aws 5.100.0.
 */
#ifndef ROLEGATE_ORGCODE_EXPORT_TF_H
#define ROLEGATE_ORGCODE_EXPORT_TF_H

#include "orgcode/session.h"

/*
 * Writes into outdir (made if missing) providers.tf (one provider alias per account: the management account's with
 * the ambient credentials, each member account's through assume_role into OrganizationAccountAccessRole),
 * organization.tf (organization, OUs, accounts, SCPs, their attachments) and account_LABEL.tf per account (IAM),
 * each resource followed by its import {} block. Read in s's transaction. C_OK, or C_ERR said on stderr.
 */
int export_terraform(struct oc_session *s, const char *outdir);

#endif
