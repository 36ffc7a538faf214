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
	[ERR_MALFORMED_POLICY_DOCUMENT] = {"MalformedPolicyDocument", 400, true},
	[ERR_UNMODIFIABLE_ENTITY] = {"UnmodifiableEntity", 400, true},
	[ERR_PASSWORD_POLICY_VIOLATION] = {"PasswordPolicyViolation", 400, true},
	[ERR_INVALID_AUTHENTICATION_CODE] = {"InvalidAuthenticationCode", 403, true},
	[ERR_ENTITY_TEMPORARILY_UNMODIFIABLE] = {"EntityTemporarilyUnmodifiable", 409, true},
	[ERR_INVALID_USER_TYPE] = {"InvalidUserType", 400, true},
	[ERR_PACKED_POLICY_TOO_LARGE] = {"PackedPolicyTooLarge", 400, true},
	[ERR_REGION_DISABLED] = {"RegionDisabledException", 403, true},
	[ERR_INVALID_AUTHORIZATION_MESSAGE] = {"InvalidAuthorizationMessageException", 400, true},
	[ERR_INVALID_IDENTITY_TOKEN] = {"InvalidIdentityToken", 400, true},
	[ERR_EXPIRED_IDENTITY_TOKEN] = {"ExpiredTokenException", 400, true},
	[ERR_IDP_REJECTED_CLAIM] = {"IDPRejectedClaim", 403, true},
	[ERR_IDP_COMMUNICATION] = {"IDPCommunicationError", 400, true},
	[ERR_OPENID_IDP_COMMUNICATION] = {"OpenIdIdpCommunicationError", 400, true},
	[ERR_ORG_NOT_IN_USE] = {"AWSOrganizationsNotInUseException", 400, true},
	[ERR_ORG_ACCESS_DENIED] = {"AccessDeniedException", 400, true},
	[ERR_ORG_ACCOUNT_NOT_FOUND] = {"AccountNotFoundException", 400, true},
	[ERR_ORG_ACCOUNT_ALREADY_CLOSED] = {"AccountAlreadyClosedException", 400, true},
	[ERR_ORG_ALREADY_IN_ORGANIZATION] = {"AlreadyInOrganizationException", 400, true},
	[ERR_ORG_CHILD_NOT_FOUND] = {"ChildNotFoundException", 400, true},
	[ERR_ORG_CONCURRENT_MODIFICATION] = {"ConcurrentModificationException", 400, true},
	[ERR_ORG_CONSTRAINT_VIOLATION] = {"ConstraintViolationException", 400, true},
	[ERR_ORG_CREATE_ACCOUNT_STATUS_NOT_FOUND] = {"CreateAccountStatusNotFoundException", 400, true},
	[ERR_ORG_DESTINATION_PARENT_NOT_FOUND] = {"DestinationParentNotFoundException", 400, true},
	[ERR_ORG_DUPLICATE_ACCOUNT] = {"DuplicateAccountException", 400, true},
	[ERR_ORG_DUPLICATE_OU] = {"DuplicateOrganizationalUnitException", 400, true},
	[ERR_ORG_DUPLICATE_POLICY_ATTACHMENT] = {"DuplicatePolicyAttachmentException", 400, true},
	[ERR_ORG_DUPLICATE_POLICY] = {"DuplicatePolicyException", 400, true},
	[ERR_ORG_INVALID_INPUT] = {"InvalidInputException", 400, true},
	[ERR_ORG_MALFORMED_POLICY_DOCUMENT] = {"MalformedPolicyDocumentException", 400, true},
	[ERR_ORG_MASTER_CANNOT_LEAVE] = {"MasterCannotLeaveOrganizationException", 400, true},
	[ERR_ORG_NOT_EMPTY] = {"OrganizationNotEmptyException", 400, true},
	[ERR_ORG_OU_NOT_EMPTY] = {"OrganizationalUnitNotEmptyException", 400, true},
	[ERR_ORG_OU_NOT_FOUND] = {"OrganizationalUnitNotFoundException", 400, true},
	[ERR_ORG_PARENT_NOT_FOUND] = {"ParentNotFoundException", 400, true},
	[ERR_ORG_POLICY_IN_USE] = {"PolicyInUseException", 400, true},
	[ERR_ORG_POLICY_NOT_ATTACHED] = {"PolicyNotAttachedException", 400, true},
	[ERR_ORG_POLICY_NOT_FOUND] = {"PolicyNotFoundException", 400, true},
	[ERR_ORG_POLICY_TYPE_ALREADY_ENABLED] = {"PolicyTypeAlreadyEnabledException", 400, true},
	[ERR_ORG_POLICY_TYPE_NOT_ENABLED] = {"PolicyTypeNotEnabledException", 400, true},
	[ERR_ORG_POLICY_TYPE_NOT_AVAILABLE] = {"PolicyTypeNotAvailableForOrganizationException", 400, true},
	[ERR_ORG_ROOT_NOT_FOUND] = {"RootNotFoundException", 400, true},
	[ERR_ORG_SOURCE_PARENT_NOT_FOUND] = {"SourceParentNotFoundException", 400, true},
	[ERR_ORG_TARGET_NOT_FOUND] = {"TargetNotFoundException", 400, true},
	[ERR_ORG_SERVICE] = {"ServiceException", 500, false},
	[ERR_CT_INVALID_LOOKUP_ATTRIBUTES] = {"InvalidLookupAttributesException", 400, true},
	[ERR_CT_INVALID_TIME_RANGE] = {"InvalidTimeRangeException", 400, true},
	[ERR_CT_INVALID_NEXT_TOKEN] = {"InvalidNextTokenException", 400, true},
	[ERR_CT_INVALID_MAX_RESULTS] = {"InvalidMaxResultsException", 400, true},
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

/*
 * JSON-protocol services name the common errors differently (and answer 400 where query services answer 403):
 * InvalidSignatureException, UnrecognizedClientException, ValidationException ...
 */
static const struct {
	enum aws_code code;
	const char *name;
	int status;
} json_names[] = {
	{ERR_MISSING_AUTHENTICATION_TOKEN, "MissingAuthenticationTokenException", 400},
	{ERR_INCOMPLETE_SIGNATURE, "IncompleteSignatureException", 400},
	{ERR_SIGNATURE_DOES_NOT_MATCH, "InvalidSignatureException", 400},
	{ERR_INVALID_CLIENT_TOKEN_ID, "UnrecognizedClientException", 400},
	{ERR_EXPIRED_TOKEN, "ExpiredTokenException", 400},
	{ERR_ACCESS_DENIED, "AccessDeniedException", 400},
	{ERR_VALIDATION, "ValidationException", 400},
	{ERR_INVALID_ACTION, "UnknownOperationException", 400},
	{ERR_MISSING_ACTION, "UnknownOperationException", 400},
	{ERR_INTERNAL_FAILURE, "InternalFailure", 500},
	{ERR_SERVICE_FAILURE, "ServiceException", 500},
	{ERR_SERVICE_UNAVAILABLE, "ServiceUnavailableException", 503},
	{ERR_THROTTLING, "TooManyRequestsException", 400},
};

const char *aws_code_name_json(enum aws_code code)
{
	for (size_t i = 0; i < ARRAY_LEN(json_names); i++)
		if (json_names[i].code == code)
			return json_names[i].name;
	return table[code].name;
}

int aws_code_status_json(enum aws_code code)
{
	for (size_t i = 0; i < ARRAY_LEN(json_names); i++)
		if (json_names[i].code == code)
			return json_names[i].status;
	return table[code].status;
}

int aws_err_reason(struct aws_err *e, const char *reason)
{
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	return C_ERR;
}

int aws_err_set(struct aws_err *e, enum aws_code code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->reason[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return C_ERR;
}
