/*
 * authz.c - the single authorization decision.
 */
#include "server/authz.h"

#include <string.h>

#include "util/common.h"

/* Actions AWS allows without any policy. */
static bool always_allowed(const struct call *c)
{
	return strcmp(c->svc->id, "sts") == 0 && strcmp(c->op->name, "GetCallerIdentity") == 0;
}

int authz_authorize(struct call *c)
{
	if (always_allowed(c))
		return C_OK;
	if (c->caller.kind == PRINCIPAL_ROOT)
		return C_OK; /* every handler acts inside the caller's own account */
	return aws_err_set(&c->err, ERR_ACCESS_DENIED,
	                   "User: %s is not authorized to perform: %s:%s on resource: %s because no identity-based "
	                   "policy allows the %s:%s action",
	                   c->caller.arn, c->svc->id, c->op->name, c->resource, c->svc->id, c->op->name);
}
