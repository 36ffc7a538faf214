/*
 * arn.c - building and splitting ARNs.
 */
#include "aws/arn.h"

#include <stdio.h>
#include <string.h>

#include "util/common.h"

static int fits(int n, size_t cap)
{
	return n >= 0 && (size_t)n < cap ? C_OK : C_ERR;
}

int arn_user(char *out, size_t cap, const char *account_id, const char *path, const char *name)
{
	return fits(snprintf(out, cap, "arn:aws:iam::%s:user%s%s", account_id, path, name), cap);
}

int arn_root(char *out, size_t cap, const char *account_id)
{
	return fits(snprintf(out, cap, "arn:aws:iam::%s:root", account_id), cap);
}

int arn_group(char *out, size_t cap, const char *account_id, const char *path, const char *name)
{
	return fits(snprintf(out, cap, "arn:aws:iam::%s:group%s%s", account_id, path, name), cap);
}

int arn_role(char *out, size_t cap, const char *account_id, const char *path, const char *name)
{
	return fits(snprintf(out, cap, "arn:aws:iam::%s:role%s%s", account_id, path, name), cap);
}

int arn_policy(char *out, size_t cap, const char *account_id, const char *path, const char *name)
{
	return fits(snprintf(out, cap, "arn:aws:iam::%s:policy%s%s", account_id, path, name), cap);
}

int arn_instance_profile(char *out, size_t cap, const char *account_id, const char *path, const char *name)
{
	return fits(snprintf(out, cap, "arn:aws:iam::%s:instance-profile%s%s", account_id, path, name), cap);
}

int arn_parse(const char *s, struct arn *out)
{
	char *p, *parts[6];
	size_t n = 0;

	if (strlen(s) >= sizeof(out->buf) || strncmp(s, "arn:", 4) != 0)
		return C_ERR;
	memcpy(out->buf, s, strlen(s) + 1);
	p = out->buf;
	parts[n++] = p;
	while (n < 6 && (p = strchr(p, ':')) != NULL) {
		*p++ = '\0';
		parts[n++] = p;
	}
	if (n != 6 || !*parts[1] || !*parts[2] || !*parts[5])
		return C_ERR;
	out->partition = parts[1];
	out->service = parts[2];
	out->region = parts[3];
	out->account = parts[4];
	out->resource = parts[5];
	return C_OK;
}
