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

/* The parts of "arn:partition:service:region:account:resource". Pointers into a copy held by the struct. */
struct arn {
	char buf[2049];
	const char *partition, *service, *region, *account, *resource;
};

/* Splits s into its six parts. C_ERR when s is not an ARN. */
int arn_parse(const char *s, struct arn *out);

#endif
