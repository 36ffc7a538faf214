/*
 * errors.c - the table of AWS error codes: wire name, HTTP status, fault type.
 *
 * Statuses follow botocore's models where an error is modelled (IAM: NoSuchEntity 404, EntityAlreadyExists 409,
 * LimitExceeded 409, DeleteConflict 409, InvalidInput 400) and AWS's "Common Errors" page otherwise.
 */
#include "aws/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/common.h"

static const struct {
	const char *name;
	int status;
	bool sender;
} table[ERR_COUNT] = {
	[ERR_NONE] = {"", 200, true},
	[ERR_MISSING_AUTHENTICATION_TOKEN] = {"MissingAuthenticationToken", 403, true},
	[ERR_INCOMPLETE_SIGNATURE] = {"IncompleteSignature", 400, true},
	[ERR_SIGNATURE_DOES_NOT_MATCH] = {"SignatureDoesNotMatch", 403, true},
	[ERR_INVALID_CLIENT_TOKEN_ID] = {"InvalidClientTokenId", 403, true},
	[ERR_EXPIRED_TOKEN] = {"ExpiredToken", 403, true},
	[ERR_AUTHORIZATION_QUERY_PARAMETERS] = {"AuthorizationQueryParametersError", 400, true},
	[ERR_ACCESS_DENIED] = {"AccessDenied", 403, true},
	[ERR_INVALID_ACTION] = {"InvalidAction", 400, true},
	[ERR_MISSING_ACTION] = {"MissingAction", 400, true},
	[ERR_MALFORMED_QUERY_STRING] = {"MalformedQueryString", 404, true},
	[ERR_INVALID_QUERY_PARAMETER] = {"InvalidQueryParameter", 400, true},
	[ERR_VALIDATION] = {"ValidationError", 400, true},
	[ERR_INVALID_PARAMETER_VALUE] = {"InvalidParameterValue", 400, true},
	[ERR_MISSING_PARAMETER] = {"MissingParameter", 400, true},
	[ERR_REQUEST_ENTITY_TOO_LARGE] = {"RequestEntityTooLarge", 413, true},
	[ERR_METHOD_NOT_ALLOWED] = {"MethodNotAllowed", 405, true},
	[ERR_UNKNOWN_OPERATION] = {"UnknownOperationException", 400, true},
	[ERR_SERIALIZATION] = {"SerializationException", 400, true},
	[ERR_NO_SUCH_ENTITY] = {"NoSuchEntity", 404, true},
	[ERR_ENTITY_ALREADY_EXISTS] = {"EntityAlreadyExists", 409, true},
	[ERR_LIMIT_EXCEEDED] = {"LimitExceeded", 409, true},
	[ERR_DELETE_CONFLICT] = {"DeleteConflict", 409, true},
	[ERR_INVALID_INPUT] = {"InvalidInput", 400, true},
	[ERR_CONCURRENT_MODIFICATION] = {"ConcurrentModification", 409, true},
	[ERR_SERVICE_FAILURE] = {"ServiceFailure", 500, false},
	[ERR_INTERNAL_FAILURE] = {"InternalFailure", 500, false},
	[ERR_SERVICE_UNAVAILABLE] = {"ServiceUnavailable", 503, false},
	[ERR_THROTTLING] = {"Throttling", 400, true},
};

const char *aws_code_name(enum aws_code code) { return table[code].name; }
int aws_code_status(enum aws_code code) { return table[code].status; }
bool aws_code_is_sender(enum aws_code code) { return table[code].sender; }

enum aws_code aws_code_from_name(const char *name)
{
	for (int i = 1; i < ERR_COUNT; i++)
		if (strcmp(table[i].name, name) == 0)
			return (enum aws_code)i;
	return ERR_INTERNAL_FAILURE;
}

int aws_err_set(struct aws_err *e, enum aws_code code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return C_ERR;
}
