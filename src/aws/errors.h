/*
 * errors.h - AWS error codes with their HTTP statuses and fault types, and the error carried through a request.
 *
 * A handler that fails calls aws_err_set(&c->err, ERR_NO_SUCH_ENTITY, "The user with name %s cannot be found.",
 * name); the protocol layer turns it into the service's error envelope.
 */
#ifndef ROLEGATE_ERRORS_H
#define ROLEGATE_ERRORS_H

#include <stdbool.h>

enum aws_code {
	ERR_NONE = 0,
	/* authentication */
	ERR_MISSING_AUTHENTICATION_TOKEN,
	ERR_INCOMPLETE_SIGNATURE,
	ERR_SIGNATURE_DOES_NOT_MATCH,
	ERR_INVALID_CLIENT_TOKEN_ID,
	ERR_EXPIRED_TOKEN,
	ERR_AUTHORIZATION_QUERY_PARAMETERS,
	/* authorization */
	ERR_ACCESS_DENIED,
	/* the protocol */
	ERR_INVALID_ACTION,
	ERR_MISSING_ACTION,
	ERR_MALFORMED_QUERY_STRING,
	ERR_INVALID_QUERY_PARAMETER,
	ERR_VALIDATION,
	ERR_INVALID_PARAMETER_VALUE,
	ERR_MISSING_PARAMETER,
	ERR_REQUEST_ENTITY_TOO_LARGE,
	ERR_METHOD_NOT_ALLOWED,
	ERR_UNKNOWN_OPERATION,
	ERR_SERIALIZATION,
	/* IAM */
	ERR_NO_SUCH_ENTITY,
	ERR_ENTITY_ALREADY_EXISTS,
	ERR_LIMIT_EXCEEDED,
	ERR_DELETE_CONFLICT,
	ERR_INVALID_INPUT,
	ERR_CONCURRENT_MODIFICATION,
	ERR_SERVICE_FAILURE,
	ERR_MALFORMED_POLICY_DOCUMENT,
	ERR_UNMODIFIABLE_ENTITY,
	ERR_PASSWORD_POLICY_VIOLATION,
	ERR_INVALID_AUTHENTICATION_CODE,
	ERR_ENTITY_TEMPORARILY_UNMODIFIABLE,
	ERR_INVALID_USER_TYPE,
	/* STS */
	ERR_PACKED_POLICY_TOO_LARGE,
	ERR_REGION_DISABLED,
	ERR_INVALID_AUTHORIZATION_MESSAGE,
	/* STS federation (AssumeRoleWithWebIdentity, AssumeRoleWithSAML) and IAM's OIDC providers */
	ERR_INVALID_IDENTITY_TOKEN,
	ERR_EXPIRED_IDENTITY_TOKEN,
	ERR_IDP_REJECTED_CLAIM,
	ERR_IDP_COMMUNICATION,
	ERR_OPENID_IDP_COMMUNICATION,
	/* Organizations (JSON protocol: the wire name is the code) */
	ERR_ORG_NOT_IN_USE,
	ERR_ORG_ACCESS_DENIED,
	ERR_ORG_ACCOUNT_NOT_FOUND,
	ERR_ORG_ACCOUNT_ALREADY_CLOSED,
	ERR_ORG_ALREADY_IN_ORGANIZATION,
	ERR_ORG_CHILD_NOT_FOUND,
	ERR_ORG_CONCURRENT_MODIFICATION,
	ERR_ORG_CONSTRAINT_VIOLATION,
	ERR_ORG_CREATE_ACCOUNT_STATUS_NOT_FOUND,
	ERR_ORG_DESTINATION_PARENT_NOT_FOUND,
	ERR_ORG_DUPLICATE_ACCOUNT,
	ERR_ORG_DUPLICATE_OU,
	ERR_ORG_DUPLICATE_POLICY_ATTACHMENT,
	ERR_ORG_DUPLICATE_POLICY,
	ERR_ORG_INVALID_INPUT,
	ERR_ORG_MALFORMED_POLICY_DOCUMENT,
	ERR_ORG_MASTER_CANNOT_LEAVE,
	ERR_ORG_NOT_EMPTY,
	ERR_ORG_OU_NOT_EMPTY,
	ERR_ORG_OU_NOT_FOUND,
	ERR_ORG_PARENT_NOT_FOUND,
	ERR_ORG_POLICY_IN_USE,
	ERR_ORG_POLICY_NOT_ATTACHED,
	ERR_ORG_POLICY_NOT_FOUND,
	ERR_ORG_POLICY_TYPE_ALREADY_ENABLED,
	ERR_ORG_POLICY_TYPE_NOT_ENABLED,
	ERR_ORG_POLICY_TYPE_NOT_AVAILABLE,
	ERR_ORG_ROOT_NOT_FOUND,
	ERR_ORG_SOURCE_PARENT_NOT_FOUND,
	ERR_ORG_TARGET_NOT_FOUND,
	ERR_ORG_SERVICE,
	/* CloudTrail (JSON protocol) */
	ERR_CT_INVALID_LOOKUP_ATTRIBUTES,
	ERR_CT_INVALID_TIME_RANGE,
	ERR_CT_INVALID_NEXT_TOKEN,
	ERR_CT_INVALID_MAX_RESULTS,
	/* generic */
	ERR_INTERNAL_FAILURE,
	ERR_SERVICE_UNAVAILABLE,
	ERR_THROTTLING,
	ERR_COUNT
};

struct aws_err {
	enum aws_code code;
	char reason[64]; /* JSON protocol errors that carry one (ConstraintViolationException ...), else "" */
	char message[4096];
};

/* The wire code ("NoSuchEntity"). */
const char *aws_code_name(enum aws_code code);
/* The HTTP status AWS answers with. */
int aws_code_status(enum aws_code code);
/* Whether the fault is the caller's ("Sender") or the service's ("Receiver"). */
bool aws_code_is_sender(enum aws_code code);
/* The wire code in the JSON protocol ("AccessDeniedException", "UnrecognizedClientException" ...). */
const char *aws_code_name_json(enum aws_code code);
/* The HTTP status in the JSON protocol. */
int aws_code_status_json(enum aws_code code);
/* Sets the Reason of a JSON-protocol error (after aws_err_set). Returns C_ERR. */
int aws_err_reason(struct aws_err *e, const char *reason);
/* Finds the code for a wire name (used by the SigV4 layer, which reports names). ERR_INTERNAL_FAILURE if unknown. */
enum aws_code aws_code_from_name(const char *name);

/* Sets the error and its message (printf-style). Returns C_ERR so handlers can `return aws_err_set(...)`. */
int aws_err_set(struct aws_err *e, enum aws_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
