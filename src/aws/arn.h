/*
 * arn.h - Amazon Resource Names.
 */
#ifndef ROLEGATE_ARN_H
#define ROLEGATE_ARN_H

#include <stddef.h>

/* "arn:aws:iam::ACCT:user/PATH/NAME" (path is "/" or "/a/b/"). */
int arn_user(char *out, size_t cap, const char *account_id, const char *path, const char *name);
/* "arn:aws:iam::ACCT:root". */
int arn_root(char *out, size_t cap, const char *account_id);

/* "arn:aws:iam::ACCT:group/PATH/NAME". */
int arn_group(char *out, size_t cap, const char *account_id, const char *path, const char *name);
/* "arn:aws:iam::ACCT:role/PATH/NAME". */
int arn_role(char *out, size_t cap, const char *account_id, const char *path, const char *name);
/* "arn:aws:iam::ACCT:policy/PATH/NAME" (ACCT "aws" for the AWS-managed policies). */
int arn_policy(char *out, size_t cap, const char *account_id, const char *path, const char *name);
/* "arn:aws:iam::ACCT:instance-profile/PATH/NAME". */
int arn_instance_profile(char *out, size_t cap, const char *account_id, const char *path, const char *name);

/* The parts of "arn:partition:service:region:account:resource". Pointers into a copy held by the struct. */
struct arn {
	char buf[2049];
	const char *partition, *service, *region, *account, *resource;
};

/* Splits s into its six parts. C_ERR when s is not an ARN. */
int arn_parse(const char *s, struct arn *out);

#endif
