/*
 * import_authz.h - `rolegate import authorization-details FILE --account ID`: builds an account's IAM from the JSON
 * of `aws iam get-account-authorization-details`.
 */
#ifndef ROLEGATE_ORGCODE_IMPORT_AUTHZ_H
#define ROLEGATE_ORGCODE_IMPORT_AUTHZ_H

#include "orgcode/session.h"

/*
 * Reads file (UserDetailList, GroupDetailList, RoleDetailList with InstanceProfileList, Policies with
 * PolicyVersionList; documents URL-encoded, plain JSON text or JSON objects as the AWS CLI prints them) and makes,
 * in s's write transaction, through the IAM actions as the root of account: customer managed policies with their
 * versions (in version order; the default set), groups, users (tags, boundary, group memberships), roles (trust,
 * tags, boundary, description and maximum session when given), inline policies, attachments (AWS managed policies by
 * ARN; the file's account's own ARNs rewritten to account) and instance profiles. Any refusal (an entity that
 * exists, a limit, a malformed document) fails the whole import: the caller rolls back. C_OK, or C_ERR said on
 * stderr.
 */
int import_authorization_details(struct oc_session *s, const char *file, const char *account);
/* The same from root, the answer already parsed (borrowed): `rolegate analyze reach` over the API. */
int import_authorization_details_json(struct oc_session *s, json_t *root, const char *account);

/*
 * Whether the file's entity `file` (a UserDetailList, GroupDetailList, RoleDetailList or Policies entry of account
 * file_account, or NULL when unknown) is the existing entity `existing` of account (the same entry as
 * GetAccountAuthorizationDetails gives it): ids, dates, ARNs, version ids and the order of lists aside, with
 * file_account's id read as account's. 1 identical, 0 different, -1 when they cannot be compared (out of memory, an
 * unreadable document): never a guess.
 */
int import_identical(json_t *existing, json_t *file, const char *file_account, const char *account);

#endif
