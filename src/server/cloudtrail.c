/*
 * cloudtrail.c - an audit record in AWS CloudTrail's record shape (see cloudtrail.h).
 *
 * What the audit does not record is written as CloudTrail writes an absent value: null (userAgent and
 * responseElements of records an older rolegate wrote; responseElements of a refused call or one without output).
 * IAM and Organizations are global services, logged in us-east-1 as CloudTrail logs them; STS is logged in the
 * region of the request's SigV4 scope (us-east-1 when none was recorded). A call that writes nothing (the action
 * table's write is false: every Get, List, sts:AssumeRole, sts:GetSessionToken, sts:GetCallerIdentity,
 * cloudtrail:LookupEvents) is readOnly, as CloudTrail marks them; the rest are writes. A call soft mode let through
 * carries additionalEventData.Enforcement "soft-denied" and the AccessDenied it would have had (SoftDeniedMessage). A
 * federated user's call carries userIdentity.sessionContext.sessionIssuer (the IAM user or root that made it).
 * responseElements never holds a secret: the model's sensitive members (secret access keys, MFA seeds, passwords) and
 * session tokens are left out.
 */
#include "server/cloudtrail.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aws/model.h"
#include "server/call.h"
#include "store/db.h"
#include "util/crypto.h"
#include "util/common.h"
#include "util/timeutil.h"

bool cloudtrail_read_only(const char *action)
{
	const char *colon = strchr(action, ':');
	char service[32];
	const struct action *a;

	if (!colon || (size_t)(colon - action) >= sizeof(service))
		return false;
	snprintf(service, sizeof(service), "%.*s", (int)(colon - action), action);
	a = action_find(service, colon + 1);
	return a && !a->write; /* AssumeRole and GetSessionToken write nothing of IAM's either: readOnly, as on AWS */
}

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

void cloudtrail_date(int64_t epoch_s, char out[CLOUDTRAIL_DATE_LEN])
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)epoch_s;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
		snprintf(out, CLOUDTRAIL_DATE_LEN, "%s", "");
		return;
	}
	snprintf(out, CLOUDTRAIL_DATE_LEN, "%s %d, %d, %d:%02d:%02d %s", months[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900,
	         tm.tm_hour % 12 ? tm.tm_hour % 12 : 12, tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
}

static json_t *response_of(const struct shape *s, json_t *v, int depth)
{
	json_t *out, *m;
	const char *k;
	size_t i;

	if (!s || !v || depth > 16 || s->sensitive)
		return NULL;
	switch (s->type) {
	case SHAPE_TIMESTAMP:
		if (json_is_integer(v)) {
			char date[CLOUDTRAIL_DATE_LEN];
			cloudtrail_date(json_integer_value(v), date);
			return json_string(date);
		}
		return json_deep_copy(v);
	case SHAPE_STRUCTURE:
		if (!json_is_object(v))
			return NULL;
		out = json_object();
		for (i = 0; out && i < s->nmembers; i++) {
			/* a session token is half a credential (CloudTrail shows it; a secret here, so never) */
			if (strcmp(s->members[i].name, "SessionToken") == 0)
				continue;
			m = response_of(s->members[i].shape, json_object_get(v, s->members[i].name), depth + 1);
			if (m)
				json_object_set_new(out, s->members[i].name, m);
		}
		return out;
	case SHAPE_LIST:
		if (!json_is_array(v))
			return NULL;
		out = json_array();
		json_array_foreach(v, i, m) {
			json_t *item = response_of(s->member, m, depth + 1);
			if (item)
				json_array_append_new(out, item);
		}
		return out;
	case SHAPE_MAP:
		if (!json_is_object(v))
			return NULL;
		out = json_object();
		json_object_foreach(v, k, m) {
			json_t *item = response_of(s->value, m, depth + 1);
			if (item)
				json_object_set_new(out, k, item);
		}
		return out;
	default:
		return json_deep_copy(v);
	}
}

json_t *cloudtrail_response(const struct shape *output, json_t *out)
{
	return response_of(output, out, 0);
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
	json_t *rec, *who, *params = json_null(), *response = json_null(), *extra = NULL, *detail = NULL;
	json_t *user_agent = NULL, *issuer = NULL;
	const char *region = "us-east-1", *mfa_authenticated = NULL;
	bool read_only = cloudtrail_read_only(in->action);
	/* the console's sign-in (src/console/signin.c): CloudTrail's AwsConsoleSignIn event of signin.amazonaws.com */
	bool console_login = strcmp(in->action, "signin:ConsoleLogin") == 0;

	time_iso8601(in->time_ms / 1000, when);
	snprintf(source, sizeof(source), "%.*s.amazonaws.com", colon ? (int)(colon - in->action) : 0, in->action);
	if (in->detail[0] && (detail = json_loads(in->detail, JSON_REJECT_DUPLICATES, NULL)) && json_is_object(detail)) {
		static const char *const extras[] = {"MFAUsed", "MFAOutcome", "LoginTo", "SoftDeniedMessage"};
		json_t *x;
		for (size_t i = 0; i < ARRAY_LEN(extras); i++) {
			x = json_object_get(detail, extras[i]);
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
		if (extra && json_object_get(extra, "SoftDeniedMessage")) /* soft mode let a denied call through */
			json_object_set_new(extra, "Enforcement", json_string("soft-denied"));
		if ((x = json_object_get(detail, "MFAAuthenticated"))) { /* a session's call (dispatch.c) */
			mfa_authenticated = json_is_true(x) ? "true" : "false";
			json_object_del(detail, "MFAAuthenticated");
		}
		if (json_is_object(x = json_object_get(detail, "SessionIssuer"))) { /* a federated user's (dispatch.c) */
			issuer = json_incref(x);
			json_object_del(detail, "SessionIssuer");
		}
		params = camel(detail);
	}
	json_decref(detail);
	detail = NULL;

	who = json_pack("{s:s}", "type", cloudtrail_identity_type(in->principal_arn));
	if (who && in->principal_id[0])
		json_object_set_new(who, "principalId", json_string(in->principal_id));
	if (who && in->principal_arn[0])
		json_object_set_new(who, "arn", json_string(in->principal_arn));
	if (who && in->account_id[0])
		json_object_set_new(who, "accountId", json_string(in->account_id));
	if (who && in->access_key_id[0])
		json_object_set_new(who, "accessKeyId", json_string(in->access_key_id));
	if (who && mfa_authenticated) /* temporary credentials: AWS's sessionContext (without its creationDate) */
		json_object_set_new(who, "sessionContext",
		                    json_pack("{s:{s:s}}", "attributes", "mfaAuthenticated", mfa_authenticated));
	if (who && issuer) {
		json_t *ctx = json_object_get(who, "sessionContext");
		if (!ctx)
			json_object_set_new(who, "sessionContext", ctx = json_object());
		if (ctx)
			json_object_set(ctx, "sessionIssuer", issuer);
	}
	json_decref(issuer);
	if (!arn_account(in->resource, recipient))
		snprintf(recipient, sizeof(recipient), "%s", in->account_id);

	if (in->response && in->response[0] && (detail = json_loads(in->response, JSON_REJECT_DUPLICATES, NULL)) &&
	    json_is_object(detail))
		response = console_login ? json_incref(detail) : camel(detail); /* {"ConsoleLogin": ...} as CloudTrail has it */
	json_decref(detail);
	/* IAM and Organizations are global: CloudTrail logs them in us-east-1 whatever the signature names. STS is
	 * logged in the region of the endpoint, which is the one the request signed for. */
	if (strncmp(in->action, "sts:", 4) == 0 && in->region && in->region[0])
		region = in->region;
	if (in->user_agent && in->user_agent[0])
		user_agent = json_string(in->user_agent); /* NULL when not UTF-8: then null */
	if (!user_agent)
		user_agent = json_null();

	rec = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:b, s:s, s:b, s:s, s:s}",
	                "eventVersion", "1.08", "userIdentity", who, "eventTime", when, "eventSource", source,
	                "eventName", event, "awsRegion", region, "sourceIPAddress", in->source_ip, "userAgent",
	                user_agent,
	                "requestParameters", params, "responseElements", response, "requestID", in->request_id,
	                "eventID", in->event_id, "readOnly", read_only, "eventType",
	                console_login ? "AwsConsoleSignIn" : "AwsApiCall", "managementEvent", 1,
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
	if (console_login && strcmp(in->outcome, "Success") != 0) {
		json_object_set_new(rec, "errorMessage", json_string(in->outcome)); /* "Failed authentication" */
	} else if (strcmp(in->outcome, "Success") != 0) {
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

void cloudtrail_principal_id(struct db_tx *tx, const char *arn, const char *account_id, char *out, size_t cap)
{
	const char *type = cloudtrail_identity_type(arn), *rest = strrchr(arn, ':');
	struct db_rows *r = NULL;
	char name[256];
	const char *session = NULL;

	out[0] = '\0';
	if (!rest || !tx)
		return;
	rest++;
	if (strcmp(type, "Root") == 0) {
		snprintf(out, cap, "%s", account_id);
		return;
	}
	if (strcmp(type, "FederatedUser") == 0) { /* CloudTrail: "ACCOUNT:NAME", the session's aws:userid */
		snprintf(out, cap, "%s:%s", account_id, rest + strlen("federated-user/"));
		return;
	}
	if (strcmp(type, "IAMUser") == 0) {
		const char *slash = strrchr(rest, '/');
		snprintf(name, sizeof(name), "%s", slash + 1);
		r = db_query(tx, "SELECT user_id FROM users WHERE account_id = ?1 AND name_lc = lower(?2)",
		             DB_ARGS(db_text(account_id), db_text(name)));
	} else if (strcmp(type, "AssumedRole") == 0) {
		const char *role = rest + strlen("assumed-role/");
		session = strrchr(role, '/');
		if (!session)
			return;
		snprintf(name, sizeof(name), "%.*s", (int)(session - role), role);
		session++;
		r = db_query(tx, "SELECT role_id FROM roles WHERE account_id = ?1 AND name_lc = lower(?2)",
		             DB_ARGS(db_text(account_id), db_text(name)));
	} else {
		return;
	}
	if (db_step(r) == DB_ROW) {
		const char *id = db_col_text(r, 0);
		snprintf(out, cap, "%s%s%s", id ? id : "", session ? ":" : "", session ? session : "");
	}
	db_rows_done(r);
}

void cloudtrail_event_id(int source, int64_t seq, const char *request_id, char out[37])
{
	char key[256], hex[SHA256_HEX_LEN + 1];

	snprintf(key, sizeof(key), "%d:%lld:%s", source, (long long)seq, request_id);
	crypto_sha256_hex(key, strlen(key), hex);
	hex[12] = '4';                                        /* version 4 layout */
	hex[16] = "89ab"[hex_digit(hex[16]) & 3];             /* variant 10 */
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}
