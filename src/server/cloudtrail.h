/*
 * cloudtrail.h - an audit record in AWS CloudTrail's record shape (`rolegate audit --format cloudtrail`).
 */
#ifndef ROLEGATE_CLOUDTRAIL_H
#define ROLEGATE_CLOUDTRAIL_H

#include <jansson.h>
#include <stdint.h>

/* One audit record as stored (src/store/audit.c); "" for an absent text. */
struct cloudtrail_in {
	int64_t time_ms;
	const char *request_id, *account_id, *principal_arn, *access_key_id, *action, *resource, *source_ip, *outcome;
	const char *detail;       /* the redacted request as JSON (with MFAUsed / MFAOutcome), or "" */
	const char *principal_id; /* the caller's unique id (AIDA..., AROA...:session, the account for root), or "" */
	const char *event_id;     /* a UUID naming this record */
};

/*
 * A new JSON object in CloudTrail's record shape: eventVersion, userIdentity {type, principalId, arn, accountId,
 * accessKeyId}, eventTime, eventSource ("iam.amazonaws.com"), eventName, awsRegion, sourceIPAddress, userAgent
 * (null: not recorded), requestParameters (the redacted request, member names in lowerCamelCase as CloudTrail
 * writes them), responseElements (null: not recorded, and never a secret), additionalEventData (MFAUsed,
 * MFAOutcome), requestID, eventID, readOnly, eventType, managementEvent, eventCategory, recipientAccountId,
 * resources (an ARN resource) and, for a refused call, errorCode and (AccessDenied) errorMessage. NULL on failure.
 */
json_t *cloudtrail_record(const struct cloudtrail_in *in);

/* The userIdentity type of a principal ARN: Root, IAMUser, AssumedRole, FederatedUser or Unknown. */
const char *cloudtrail_identity_type(const char *arn);

#endif
