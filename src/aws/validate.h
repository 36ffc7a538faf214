/*
 * validate.h - checks a decoded input tree against its model shape, with AWS's ValidationError messages:
 *
 *   1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy
 *   regular expression pattern: [\w+=,.@-]+
 *
 * Several failures are joined with "; " under "N validation errors detected: ".
 */
#ifndef ROLEGATE_VALIDATE_H
#define ROLEGATE_VALIDATE_H

#include <jansson.h>

#include "aws/errors.h"
#include "aws/model.h"

/* C_OK when value satisfies shape (required members, lengths, ranges, patterns, enums), else C_ERR. */
int validate_input(const struct service_model *svc, const struct shape *shape, json_t *value, struct aws_err *err);

#endif
