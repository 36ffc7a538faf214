/*
 * lookup.c - CloudTrail's LookupEvents (JSON protocol): the audit trail of the caller's account as CloudTrail
 * events, newest first, so `aws cloudtrail lookup-events` and the console's audit page read it.
 *
 * The trail lives in two databases (see src/server/auditlog.h): rolegate.db's audit table (read in the call's
 * transaction) and audit.db's (sts:AssumeRole, sts:GetSessionToken; a read transaction of its own). An event
 * belongs to an account when the account made the call or the call acted on one of its resources (an AssumeRole of
 * a Dev role from Ops shows in both trails, as on AWS). Each database is walked newest first by its sequence number
 * and the two are merged by time; NextToken holds where each walk stopped. At most one LookupAttribute, as on AWS;
 * StartTime / EndTime bound the time. Each event's CloudTrailEvent is the record cloudtrail.c writes for
 * `rolegate audit --format cloudtrail`. Authorized like any call: cloudtrail:LookupEvents on "*".
 */
#include "cloudtrail/lookup.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/cloudtrail.h"
#include "store/db.h"
#include "util/common.h"
#include "util/crypto.h"

#define LOOKUP_MAX 50
#define SCAN_MAX 20000 /* rows read per database and call at most: a narrow filter over a long trail pages on */
#define TOKEN_PREFIX "ct1:"

enum { F_REQUEST_ID, F_ACCOUNT, F_PRINCIPAL, F_KEY, F_ACTION, F_RESOURCE, F_IP, F_OUTCOME, F_DETAIL, F_AGENT,
       F_REGION, F_RESPONSE, NFIELDS };

struct event_row {
	int64_t time_ms, seq;
	int source;
	char *f[NFIELDS];
};

struct lookup {
	struct call *c;
	const char *key, *value;      /* the LookupAttribute, or NULL */
	int64_t start_ms, end_ms;     /* inclusive bounds */
	int64_t max;
	int64_t cursor[2];            /* per database: only rows with seq < cursor (-1: from the newest) */
	int64_t stopped[2];           /* where each walk stopped reading (seq of the last row read), 0 at the end */
	struct event_row rows[2][LOOKUP_MAX + 1];
	size_t nrows[2];
};

static void rows_free(struct lookup *l)
{
	for (int d = 0; d < 2; d++)
		for (size_t i = 0; i < l->nrows[d]; i++)
			for (int j = 0; j < NFIELDS; j++)
				free(l->rows[d][i].f[j]);
}

/* The user name CloudTrail's lookup shows: "root", the IAM user's name, or the role session's name. */
static const char *user_name(const char *arn)
{
	const char *type = cloudtrail_identity_type(arn), *slash = strrchr(arn, '/');

	if (strcmp(type, "Root") == 0)
		return "root";
	return slash ? slash + 1 : arn;
}

/* CloudTrail's resource type of an IAM / STS / Organizations ARN, or NULL. */
static const char *resource_type(const char *arn)
{
	static const struct {
		const char *marker, *type;
	} types[] = {
		{":iam::", "user/"}, {":iam::", "role/"}, {":iam::", "group/"}, {":iam::", "policy/"},
		{":iam::", "mfa/"}, {":iam::", "instance-profile/"}, {":organizations::", "account/"},
	};
	static const char *const names[] = {"AWS::IAM::User", "AWS::IAM::Role", "AWS::IAM::Group", "AWS::IAM::Policy",
	                                    "AWS::IAM::MFADevice", "AWS::IAM::InstanceProfile",
	                                    "AWS::Organizations::Account"};
	const char *colon;

	if (strncmp(arn, "arn:", 4) != 0 || !(colon = strrchr(arn, ':')))
		return NULL;
	for (size_t i = 0; i < ARRAY_LEN(types); i++)
		if (strstr(arn, types[i].marker) && strncmp(colon + 1, types[i].type, strlen(types[i].type)) == 0)
			return names[i];
	return NULL;
}

/* Whether a row passes the LookupAttribute. */
static bool attribute_matches(const struct lookup *l, const struct event_row *r)
{
	const char *k = l->key, *v = l->value, *colon = strchr(r->f[F_ACTION], ':');
	char eid[37], source[64];

	if (!k)
		return true;
	if (strcmp(k, "EventName") == 0)
		return colon && strcmp(colon + 1, v) == 0;
	if (strcmp(k, "EventSource") == 0) {
		snprintf(source, sizeof(source), "%.*s.amazonaws.com", colon ? (int)(colon - r->f[F_ACTION]) : 0,
		         r->f[F_ACTION]);
		return strcmp(source, v) == 0;
	}
	if (strcmp(k, "Username") == 0)
		return strcmp(user_name(r->f[F_PRINCIPAL]), v) == 0;
	if (strcmp(k, "AccessKeyId") == 0)
		return strcmp(r->f[F_KEY], v) == 0;
	if (strcmp(k, "ReadOnly") == 0)
		return strcmp(cloudtrail_read_only(r->f[F_ACTION]) ? "true" : "false", v) == 0;
	if (strcmp(k, "ResourceName") == 0) {
		const char *slash = strrchr(r->f[F_RESOURCE], '/');
		return strcmp(r->f[F_RESOURCE], v) == 0 || (slash && strcmp(slash + 1, v) == 0);
	}
	if (strcmp(k, "ResourceType") == 0) {
		const char *t = resource_type(r->f[F_RESOURCE]);
		return t && strcmp(t, v) == 0;
	}
	if (strcmp(k, "EventId") == 0) {
		cloudtrail_event_id(r->source, r->seq, r->f[F_REQUEST_ID], eid);
		return strcmp(eid, v) == 0;
	}
	return false;
}

/* Reads the newest matching rows of one database (source 0: rolegate.db, 1: audit.db) below its cursor. */
static int walk(struct lookup *l, struct db_tx *tx, int source)
{
	struct db_rows *r;
	int64_t scanned = 0;
	int rc = C_OK, step;

	l->stopped[source] = 0;
	if (l->cursor[source] == 0)
		return C_OK; /* this walk ended on an earlier page */
	/* Newest first by the primary key, stopping once the page is full: "+time_ms" keeps SQLite off the time index,
	 * which would read and sort every record of the range first. Fresh: the audit's commits leave cached results
	 * alone (db_begin_append). */
	r = db_query_fresh(tx,
	                   "SELECT time_ms, seq, request_id, account_id, principal_arn, coalesce(access_key_id, ''), action, "
	                   "coalesce(resource, ''), coalesce(source_ip, ''), outcome, coalesce(detail, ''), "
	                   "coalesce(user_agent, ''), coalesce(region, ''), coalesce(response, '') FROM audit "
	                   "WHERE seq < ?1 AND +time_ms >= ?2 AND +time_ms <= ?3 "
	                   "AND (account_id = ?4 OR resource LIKE 'arn:%:%:%:' || ?4 || ':%') ORDER BY seq DESC",
	                   DB_ARGS(db_int(l->cursor[source] < 0 ? INT64_MAX : l->cursor[source]), db_int(l->start_ms),
	                           db_int(l->end_ms),
	                           db_text(l->c->caller.account_id)));
	while ((step = db_step(r)) == DB_ROW) {
		struct event_row *row = &l->rows[source][l->nrows[source]];
		if ((int64_t)l->nrows[source] > l->max || scanned++ >= SCAN_MAX)
			break;
		memset(row, 0, sizeof(*row));
		row->time_ms = db_col_int(r, 0);
		row->seq = db_col_int(r, 1);
		row->source = source;
		l->stopped[source] = row->seq;
		for (int j = 0; j < NFIELDS; j++) {
			const char *t = db_col_text(r, 2 + j);
			if (!(row->f[j] = strdup(t ? t : "")))
				rc = C_ERR;
		}
		l->nrows[source]++;
		if (rc != C_OK || !attribute_matches(l, row)) {
			for (int j = 0; j < NFIELDS; j++)
				free(row->f[j]);
			l->nrows[source]--;
		}
		if (rc != C_OK)
			break;
	}
	if (step == DB_DONE)
		l->stopped[source] = 0; /* read to the end */
	db_rows_done(r);
	return step == C_ERR ? C_ERR : rc;
}

/* One row as LookupEvents' Event. NULL on failure. */
static json_t *event_json(struct lookup *l, const struct event_row *r)
{
	char pid[320], eid[37];
	const char *colon = strchr(r->f[F_ACTION], ':'), *type = resource_type(r->f[F_RESOURCE]);
	char source[64], *text;
	json_t *rec, *o;

	cloudtrail_principal_id(l->c->tx, r->f[F_PRINCIPAL], r->f[F_ACCOUNT], pid, sizeof(pid));
	cloudtrail_event_id(r->source, r->seq, r->f[F_REQUEST_ID], eid);
	rec = cloudtrail_record(&(struct cloudtrail_in){
		.time_ms = r->time_ms, .request_id = r->f[F_REQUEST_ID], .account_id = r->f[F_ACCOUNT],
		.principal_arn = r->f[F_PRINCIPAL], .access_key_id = r->f[F_KEY], .action = r->f[F_ACTION],
		.resource = r->f[F_RESOURCE], .source_ip = r->f[F_IP], .outcome = r->f[F_OUTCOME], .detail = r->f[F_DETAIL],
		.principal_id = pid, .event_id = eid, .user_agent = r->f[F_AGENT], .region = r->f[F_REGION],
		.response = r->f[F_RESPONSE]});
	text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
	json_decref(rec);
	if (!text)
		return NULL;
	snprintf(source, sizeof(source), "%.*s.amazonaws.com", colon ? (int)(colon - r->f[F_ACTION]) : 0,
	         r->f[F_ACTION]);
	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "EventId", eid, "EventName", colon ? colon + 1 : "",
	              "ReadOnly", cloudtrail_read_only(r->f[F_ACTION]) ? "true" : "false", "EventTime", (json_int_t)(r->time_ms / 1000),
	              "EventSource", source, "Username", user_name(r->f[F_PRINCIPAL]), "CloudTrailEvent", text);
	free(text);
	if (o && r->f[F_KEY][0])
		json_object_set_new(o, "AccessKeyId", json_string(r->f[F_KEY]));
	/* A known type is named by its name (CloudTrail's "u2" for arn:aws:iam::ACCT:user/u2), anything else by ARN. */
	if (o && strncmp(r->f[F_RESOURCE], "arn:", 4) == 0)
		json_object_set_new(o, "Resources", type ? json_pack("[{s:s, s:s}]", "ResourceType", type, "ResourceName",
		                                                      strrchr(r->f[F_RESOURCE], '/') + 1)
		                                         : json_pack("[{s:s}]", "ResourceName", r->f[F_RESOURCE]));
	return o;
}

static int read_token(struct lookup *l)
{
	const char *t = call_str(l->c, "NextToken");
	size_t len = 0;
	uint8_t *raw;
	long long a, b;
	char buf[64], tail;

	l->cursor[0] = l->cursor[1] = -1;
	if (!t)
		return C_OK;
	raw = base64_decode(t, strlen(t), &len);
	if (raw && len < sizeof(buf)) {
		memcpy(buf, raw, len);
		buf[len] = '\0';
	} else {
		buf[0] = '\0';
	}
	free(raw);
	if (sscanf(buf, TOKEN_PREFIX "%lld:%lld%c", &a, &b, &tail) != 2 || a < 0 || b < 0)
		return aws_err_set(&l->c->err, ERR_CT_INVALID_NEXT_TOKEN, "Invalid NextToken.");
	l->cursor[0] = a;
	l->cursor[1] = b;
	return C_OK;
}

static int write_token(struct lookup *l, const int64_t next[2])
{
	char raw[64], *t;

	if (next[0] == 0 && next[1] == 0)
		return C_OK;
	snprintf(raw, sizeof(raw), TOKEN_PREFIX "%lld:%lld", (long long)next[0], (long long)next[1]);
	if (!(t = base64_encode((const uint8_t *)raw, strlen(raw))))
		return C_ERR;
	json_object_set_new(l->c->out, "NextToken", json_string(t));
	free(t);
	return C_OK;
}

static int read_input(struct lookup *l)
{
	struct call *c = l->c;
	json_t *attrs = json_object_get(c->in, "LookupAttributes"), *v;

	if (json_array_size(attrs) > 1)
		return aws_err_set(&c->err, ERR_CT_INVALID_LOOKUP_ATTRIBUTES,
		                   "You cannot specify more than one lookup attribute.");
	if (json_array_size(attrs) == 1) {
		l->key = json_string_value(json_object_get(json_array_get(attrs, 0), "AttributeKey"));
		l->value = json_string_value(json_object_get(json_array_get(attrs, 0), "AttributeValue"));
	}
	l->max = call_int(c, "MaxResults", LOOKUP_MAX);
	if (l->max < 1 || l->max > LOOKUP_MAX)
		return aws_err_set(&c->err, ERR_CT_INVALID_MAX_RESULTS, "Value %lld for MaxResults is invalid.",
		                   (long long)l->max);
	l->start_ms = 0;
	l->end_ms = INT64_MAX;
	if ((v = json_object_get(c->in, "StartTime")))
		l->start_ms = (int64_t)(json_number_value(v) * 1000);
	if ((v = json_object_get(c->in, "EndTime")))
		l->end_ms = (int64_t)(json_number_value(v) * 1000) + 999;
	if (l->start_ms > l->end_ms)
		return aws_err_set(&c->err, ERR_CT_INVALID_TIME_RANGE, "Start time must be before end time.");
	return read_token(l);
}

static int lookup_events(struct call *c)
{
	struct lookup *l = calloc(1, sizeof(*l));
	struct db_tx *atx = NULL;
	json_t *events = json_array();
	size_t i0 = 0, i1 = 0;
	int64_t next[2];
	int rc = C_ERR;

	if (!l || !events || json_object_set_new(c->out, "Events", events) != 0) {
		free(l);
		return C_ERR;
	}
	l->c = c;
	if (read_input(l) != C_OK)
		goto done;
	if (walk(l, c->tx, 0) != C_OK)
		goto fail;
	if (c->srv && c->srv->audit_db) {
		if (db_begin(c->srv->audit_db, false, &atx) != C_OK)
			goto fail;
		rc = walk(l, atx, 1);
		db_rollback(atx);
		if (rc != C_OK)
			goto fail;
		rc = C_ERR;
	} else {
		l->cursor[1] = 0;
	}
	/* Newest first across both; a page ends at max events. Each walk resumes below the last row it returned, or
	 * (none returned) where it stopped reading. */
	next[0] = l->stopped[0];
	next[1] = l->stopped[1];
	for (int64_t n = 0; n < l->max && (i0 < l->nrows[0] || i1 < l->nrows[1]); n++) {
		bool first = i1 >= l->nrows[1] ||
		             (i0 < l->nrows[0] && l->rows[0][i0].time_ms >= l->rows[1][i1].time_ms);
		const struct event_row *r = first ? &l->rows[0][i0++] : &l->rows[1][i1++];
		json_t *e = event_json(l, r);
		if (!e || json_array_append_new(events, e) != 0)
			goto fail;
	}
	if (i0 < l->nrows[0])
		next[0] = l->rows[0][i0].seq + 1;
	if (i1 < l->nrows[1])
		next[1] = l->rows[1][i1].seq + 1;
	rc = write_token(l, next);
	goto done;
fail:
	if (c->err.code == ERR_NONE)
		aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
done:
	rows_free(l);
	free(l);
	return rc;
}

static int resource_any(struct call *c, char *out, size_t cap)
{
	(void)c;
	return snprintf(out, cap, "*") < (int)cap ? C_OK : C_ERR;
}

static const struct action actions[] = {
	{"cloudtrail", "LookupEvents", false, resource_any, lookup_events},
};

ACTION_TABLE(cloudtrail_actions, actions);
