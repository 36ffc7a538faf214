/*
 * cloudtrail.c - an audit record in AWS CloudTrail's record shape (see cloudtrail.h).
 *
 * What the audit does not record is written as CloudTrail writes an absent value: userAgent and responseElements
 * are null. IAM and Organizations are global services, logged in us-east-1 as CloudTrail logs them; rolegate's STS
 * has one endpoint, also logged as us-east-1. sts:AssumeRole and sts:GetSessionToken are readOnly, as CloudTrail
 * marks them; every other audited call is a write.
 */
#include "server/cloudtrail.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/common.h"
#include "util/timeutil.h"

const char *cloudtrail_identity_type(const char *arn)
{
	const char *rest;

	if (strncmp(arn, "arn:", 4) != 0)
		return "Unknown";
	if (!(rest = strstr(arn, ":iam::")) && !(rest = strstr(arn, ":sts::")))
		return "Unknown";
	rest = strchr(rest + 6, ':');
	if (!rest)
		return "Unknown";
	rest++;
	if (strcmp(rest, "root") == 0)
		return "Root";
	if (strncmp(rest, "user/", 5) == 0)
		return "IAMUser";
	if (strncmp(rest, "assumed-role/", 13) == 0)
		return "AssumedRole";
	if (strncmp(rest, "federated-user/", 15) == 0)
		return "FederatedUser";
	return "Unknown";
}

/* A copy of v with every object member's name in lowerCamelCase (UserName -> userName), as in requestParameters. */
static json_t *camel(json_t *v)
{
	json_t *out, *m;
	const char *k;
	size_t i;

	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach(v, k, m) {
			char name[256];
			snprintf(name, sizeof(name), "%s", k);
			name[0] = (char)tolower((unsigned char)name[0]);
			json_object_set_new(out, name, camel(m));
		}
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, m) json_array_append_new(out, camel(m));
		return out;
	}
	return json_deep_copy(v);
}

/* The account id of an ARN (its fifth field), or NULL. */
static bool arn_account(const char *arn, char out[13])
{
	const char *p = arn;

	if (strncmp(arn, "arn:", 4) != 0)
		return false;
	for (int i = 0; i < 4; i++)
		if (!(p = strchr(p, ':')) || !*++p)
			return false;
	if (strlen(p) < 13 || p[12] != ':')
		return false;
	memcpy(out, p, 12);
	out[12] = '\0';
	return true;
}

json_t *cloudtrail_record(const struct cloudtrail_in *in)
{
	char when[ISO8601_LEN], source[64], recipient[13];
	const char *colon = strchr(in->action, ':'), *event = colon ? colon + 1 : in->action;
	json_t *rec, *who, *params = json_null(), *extra = NULL, *detail = NULL;
	bool read_only = strcmp(in->action, "sts:AssumeRole") == 0 || strcmp(in->action, "sts:GetSessionToken") == 0;

	time_iso8601(in->time_ms / 1000, when);
	snprintf(source, sizeof(source), "%.*s.amazonaws.com", colon ? (int)(colon - in->action) : 0, in->action);
	if (in->detail[0] && (detail = json_loads(in->detail, JSON_REJECT_DUPLICATES, NULL)) && json_is_object(detail)) {
		static const char *const extras[] = {"MFAUsed", "MFAOutcome"};
		for (size_t i = 0; i < ARRAY_LEN(extras); i++) {
			json_t *x = json_object_get(detail, extras[i]);
			if (!x)
				continue;
			if (!extra)
				extra = json_object();
			if (json_is_boolean(x))
				json_object_set_new(extra, extras[i], json_string(json_is_true(x) ? "Yes" : "No"));
			else
				json_object_set(extra, extras[i], x);
			json_object_del(detail, extras[i]);
		}
		params = camel(detail);
	}
	json_decref(detail);

	who = json_pack("{s:s}", "type", cloudtrail_identity_type(in->principal_arn));
	if (who && in->principal_id[0])
		json_object_set_new(who, "principalId", json_string(in->principal_id));
	if (who && in->principal_arn[0])
		json_object_set_new(who, "arn", json_string(in->principal_arn));
	if (who && in->account_id[0])
		json_object_set_new(who, "accountId", json_string(in->account_id));
	if (who && in->access_key_id[0])
		json_object_set_new(who, "accessKeyId", json_string(in->access_key_id));
	if (!arn_account(in->resource, recipient))
		snprintf(recipient, sizeof(recipient), "%s", in->account_id);

	rec = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:n, s:o, s:n, s:s, s:s, s:b, s:s, s:b, s:s, s:s}",
	                "eventVersion", "1.08", "userIdentity", who, "eventTime", when, "eventSource", source,
	                "eventName", event, "awsRegion", "us-east-1", "sourceIPAddress", in->source_ip, "userAgent",
	                "requestParameters", params, "responseElements", "requestID", in->request_id, "eventID",
	                in->event_id, "readOnly", read_only, "eventType", "AwsApiCall", "managementEvent", 1,
	                "eventCategory", "Management", "recipientAccountId", recipient);
	if (!rec) {
		json_decref(extra);
		return NULL;
	}
	if (extra)
		json_object_set_new(rec, "additionalEventData", extra);
	if (strncmp(in->resource, "arn:", 4) == 0 && arn_account(in->resource, recipient))
		json_object_set_new(rec, "resources",
		                    json_pack("[{s:s, s:s}]", "ARN", in->resource, "accountId", recipient));
	if (strcmp(in->outcome, "Success") != 0) {
		json_object_set_new(rec, "errorCode", json_string(in->outcome));
		if (strcmp(in->outcome, "AccessDenied") == 0 && in->principal_arn[0]) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "User: %s is not authorized to perform: %s%s%s", in->principal_arn,
			         in->action, in->resource[0] ? " on resource: " : "", in->resource);
			json_object_set_new(rec, "errorMessage", json_string(msg));
		}
	}
	return rec;
}
