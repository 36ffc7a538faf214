/*
 * cloudtrail.h - an audit record in AWS CloudTrail's record shape (`rolegate audit --format cloudtrail`).
 */
#ifndef ROLEGATE_CLOUDTRAIL_H
#define ROLEGATE_CLOUDTRAIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One audit record as stored (src/store/audit.c); "" for an absent text. */
struct cloudtrail_in {
	int64_t time_ms;
	const char *request_id, *account_id, *principal_arn, *access_key_id, *action, *resource, *source_ip, *outcome;
	const char *detail;       /* the redacted request as JSON (with MFAUsed / MFAOutcome), or "" */
	const char *principal_id; /* the caller's unique id (AIDA..., AROA...:session, the account for root), or "" */
	const char *event_id;     /* a UUID naming this record */
	const char *user_agent;   /* the caller's User-Agent, or "" / NULL (not recorded) */
	const char *region;       /* the region of the request's SigV4 scope, or "" / NULL */
	const char *response;     /* the answer as recorded (cloudtrail_response), or "" / NULL */
};

struct shape;

#define CLOUDTRAIL_DATE_LEN 40

/* The answer out of an operation whose output shape is output, as CloudTrail's responseElements keep it (member
 * names as the model has them; cloudtrail_record writes them in lowerCamelCase): sensitive members and session
 * tokens left out, timestamps (epoch seconds) as CloudTrail's dates. A new tree, or NULL. */
json_t *cloudtrail_response(const struct shape *output, json_t *out);
/* CloudTrail's date format in responseElements, in UTC: "Jul 18, 2023, 4:50:40 PM". */
void cloudtrail_date(int64_t epoch_s, char out[CLOUDTRAIL_DATE_LEN]);

/*
 * A new JSON object in CloudTrail's record shape: eventVersion, userIdentity {type, principalId, arn, accountId,
 * accessKeyId}, eventTime, eventSource ("iam.amazonaws.com"), eventName, awsRegion, sourceIPAddress, userAgent
 * (null: not recorded), requestParameters (the redacted request, member names in lowerCamelCase as CloudTrail
 * writes them), responseElements (the recorded answer in lowerCamelCase; null: none, and never a secret),
 * additionalEventData (MFAUsed,
 * MFAOutcome), requestID, eventID, readOnly, eventType, managementEvent, eventCategory, recipientAccountId,
 * resources (an ARN resource) and, for a refused call, errorCode and (AccessDenied) errorMessage. NULL on failure.
 */
json_t *cloudtrail_record(const struct cloudtrail_in *in);

/* CloudTrail's readOnly of an audited action ("iam:GetUser"): true for an action rolegate serves that is not a write
 * (src/server/actions.c), false otherwise (signin:ConsoleLogin included, as CloudTrail has it). */
bool cloudtrail_read_only(const char *action);

/* The userIdentity type of a principal ARN: Root, IAMUser, AssumedRole, FederatedUser or Unknown. */
const char *cloudtrail_identity_type(const char *arn);

struct db_tx;

/* The caller's unique id as CloudTrail's principalId, read in tx (rolegate.db): the account for root, the user's id
 * (AIDA...), the role's id and the session name (AROA...:session), ACCOUNT:NAME for a federated user; "" when the
 * principal no longer exists. */
void cloudtrail_principal_id(struct db_tx *tx, const char *principal_arn, const char *account_id, char *out,
                             size_t cap);
/* A stable UUID naming a record: from its database (0: rolegate.db, 1: audit.db), its sequence number and its
 * request id. */
void cloudtrail_event_id(int source, int64_t seq, const char *request_id, char out[37]);

#endif
