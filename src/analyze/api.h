/*
 * api.h - `rolegate analyze reach --endpoint URL`: the organization read over the AWS API by a principal of the
 * management account, as an auditor of real AWS reads it, into a temporary store that the one analysis engine
 * (model.c, reach.c) then reads like a server's.
 *
 * Organizations: DescribeOrganization, ListRoots, ListOrganizationalUnitsForParent (the OU tree), ListAccounts,
 * ListParents (each account's place), ListPolicies (SERVICE_CONTROL_POLICY), DescribePolicy, ListTargetsForPolicy.
 * IAM, per account: GetAccountAuthorizationDetails (every page) and ListRoles (the roles' MaxSessionDuration, which
 * RoleDetail lacks): the management account's with the caller's own credentials, each member account's through
 * sts:AssumeRole into the role --role-name names (OrganizationAccountAccessRole, what CreateAccount makes).
 *
 * Fail closed: a call refused or failing, an answer that cannot be read, an account that cannot be entered makes the
 * whole load fail (said on stderr): never a smaller organization.
 */
#ifndef ROLEGATE_ANALYZE_API_H
#define ROLEGATE_ANALYZE_API_H

#include <limits.h>

#include "store/db.h"

/* How to reach the API. NULL fields take the defaults. */
struct reach_api_opts {
	const char *endpoint;  /* every service at this URL (rolegate); NULL: AWS's endpoints */
	const char *profile;   /* credentials of this profile; NULL: AWS_ACCESS_KEY_ID/..., else the default profile */
	const char *role_name; /* NULL: OrganizationAccountAccessRole */
	const char *region;    /* NULL: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1 */
};

/*
 * Reads the organization over the API into a new temporary SQLite store (a directory made under $TMPDIR or /tmp,
 * written into dir) and returns it open; NULL (the directory already removed) with the error said on stderr as
 * "rolegate analyze reach: ...". The caller closes the db and calls reach_api_remove(dir).
 */
struct db *reach_api_load(const struct reach_api_opts *o, char dir[PATH_MAX]);

/* Removes the temporary store's directory and the files in it. */
void reach_api_remove(const char *dir);

#endif
