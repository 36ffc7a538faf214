/*
 * dispatch.c - one request, top to bottom:
 *
 *   authenticate (SigV4; also tells which service: the credential scope's)
 *   decode the form, find the action, build and validate the input tree
 *   open one transaction: resource -> authorize -> act -> audit -> commit
 *   encode the result or the error, log one line
 */
#include "server/dispatch.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aws/form.h"
#include "aws/jsonp.h"
#include "aws/query.h"
#include "aws/validate.h"
#include "compat/moto.h"
#include "console/console.h"
#include "server/auth.h"
#include "server/auditlog.h"
#include "server/authz.h"
#include "server/cloudtrail.h"
#include "server/enforce.h"
#include "server/health.h"
#include "server/throttle.h"
#include "server/metrics.h"
#include "sts/federated.h"
#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

static const char *header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

/* Parameters from the query string (without the presigning X-Amz-* ones) and a form body. */
static int read_form(struct call *c, struct form *f)
{
	const char *ct = header(c->req, "Content-Type");

	if (c->req->query && form_parse(f, c->req->query, c->req->query_len, true, &c->err) != C_OK)
		return C_ERR;
	if (strcmp(c->req->method, "POST") == 0 && c->req->body_len) {
		if (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
			return aws_err_set(&c->err, ERR_INVALID_QUERY_PARAMETER,
			                   "The request body must be application/x-www-form-urlencoded.");
		if (form_parse(f, c->req->body, c->req->body_len, false, &c->err) != C_OK)
			return C_ERR;
	}
	return form_finish(f, &c->err);
}

/* Finds the operation named by Action/Version and decodes and validates its input. */
static int decode_call(struct call *c, const struct form *f)
{
	const struct form_pair *action = form_get(f, "Action"), *version = form_get(f, "Version");

	if (!action || !action->value[0])
		return aws_err_set(&c->err, ERR_MISSING_ACTION, "The request must contain the parameter Action.");
	if (!version || strcmp(version->value, c->svc->api_version) != 0 ||
	    !(c->op = model_operation(c->svc, action->value)) || !(c->action = action_find(c->svc->id, action->value)))
		return aws_err_set(&c->err, ERR_INVALID_ACTION, "Could not find operation %.128s for version %.32s",
		                   action->value, version ? version->value : "NULL");
	if (query_decode(c->svc, c->op->input, f, &c->in, &c->err) != C_OK)
		return C_ERR;
	return validate_input(c->svc, c->op->input, c->in, &c->err);
}

/* JSON protocol: the operation named by X-Amz-Target, its input from the body. */
static int decode_json_call(struct call *c)
{
	const char *target = header(c->req, "X-Amz-Target"), *dot;
	size_t plen = strlen(c->svc->target_prefix);

	if (!target || strncmp(target, c->svc->target_prefix, plen) != 0 || target[plen] != '.')
		return aws_err_set(&c->err, ERR_INVALID_ACTION, "The X-Amz-Target header does not name an operation of %s.",
		                   c->svc->id);
	dot = target + plen + 1;
	if (!(c->op = model_operation(c->svc, dot)) || !(c->action = action_find(c->svc->id, dot)))
		return aws_err_set(&c->err, ERR_INVALID_ACTION, "Unknown operation %.128s.", dot);
	if (jsonp_decode(c->op->input, c->req->body, c->req->body_len, &c->in, &c->err) != C_OK)
		return C_ERR;
	return validate_input(c->svc, c->op->input, c->in, &c->err);
}

static bool is_json(const struct call *c)
{
	if (c->svc)
		return strcmp(c->svc->protocol, "json") == 0;
	return header(c->req, "X-Amz-Target") != NULL;
}

/* Copies tree, with every member whose shape is sensitive replaced by "***" (for the audit trail). */
static json_t *redacted(const struct shape *s, json_t *v)
{
	json_t *out;

	if (!s || !v)
		return NULL;
	if (s->sensitive)
		return json_string("***");
	if (s->type == SHAPE_STRUCTURE && json_is_object(v)) {
		out = json_object();
		for (size_t i = 0; out && i < s->nmembers; i++) {
			json_t *m = json_object_get(v, s->members[i].name);
			if (m)
				json_object_set_new(out, s->members[i].name, redacted(s->members[i].shape, m));
		}
		return out;
	}
	if (s->type == SHAPE_LIST && json_is_array(v)) {
		size_t i;
		json_t *item;
		out = json_array();
		json_array_foreach(v, i, item) json_array_append_new(out, redacted(s->member, item));
		return out;
	}
	return json_deep_copy(v);
}

/* The caller's User-Agent as the audit keeps it (CloudTrail cuts long ones too): at most AUDIT_USER_AGENT_MAX bytes
 * of whole UTF-8 characters, control characters and ill-formed bytes as '?'. "" when there is none. */
static void audit_user_agent(const struct http_request *req, char out[AUDIT_USER_AGENT_MAX + 1])
{
	const char *ua = header(req, "User-Agent");
	size_t n = 0, len = ua ? strlen(ua) : 0;

	for (size_t i = 0; i < len;) {
		unsigned char ch = (unsigned char)ua[i];
		size_t step = ch < 0x80 ? 1 : ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;
		if (ch >= 0x80 && (i + step > len || !utf8_valid(ua + i, step)))
			step = 1, ch = '?';
		if (n + step > AUDIT_USER_AGENT_MAX)
			break;
		if (ch < 0x80) {
			out[n++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		} else {
			memcpy(out + n, ua + i, step);
			n += step;
		}
		i += step;
	}
	out[n] = '\0';
}

/* CloudTrail's sessionIssuer of a federated user: the IAM user (or root) whose GetFederationToken made it. */
static json_t *session_issuer(const struct principal *p)
{
	const char *slash = strrchr(p->federator_arn, '/');

	if (!p->federator_id[0])
		return json_pack("{s:s, s:s, s:s, s:s}", "type", "Root", "principalId", p->account_id, "arn",
		                 p->federator_arn, "accountId", p->account_id);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "IAMUser", "principalId", p->federator_id, "arn",
	                 p->federator_arn, "accountId", p->account_id, "userName", slash ? slash + 1 : "");
}

/* The audit record of a call; *detail (the redacted input, plus whether MFA was used), *response (the answer
 * without its secrets, for a call that succeeded, when with_response) and *explanation (the reasoning of a denial,
 * refused or soft-denied) are the caller's to free; ua is the caller's buffer. */
static void audit_record(struct call *c, const char *outcome, bool with_response, char action[160], char **detail,
                         char **response, char **explanation, char ua[AUDIT_USER_AGENT_MAX + 1],
                         struct store_audit *a)
{
	json_t *red = redacted(c->op->input, c->in);
	json_t *answer = with_response && strcmp(outcome, "Success") == 0 && c->out
	                         ? cloudtrail_response(c->op->output, c->out)
	                         : NULL;

	if (red) {
		/* one-time codes (AssumeRole, GetSessionToken, EnableMFADevice, ResyncMFADevice): nobody's business after
		 * use, and two consecutive ones say something about the seed */
		json_object_del(red, "TokenCode");
		json_object_del(red, "AuthenticationCode1");
		json_object_del(red, "AuthenticationCode2");
		if (c->action->audit_durably)
			json_object_set_new(red, "MFAUsed",
			                    json_boolean(c->mfa_verified_s || (c->caller.temporary && c->caller.mfa_s)));
		if (c->mfa_outcome) /* a refused code says why: wrong, replayed, locked out, not the caller's device */
			json_object_set_new(red, "MFAOutcome", json_string(c->mfa_outcome));
	}
	if (!c->action->audit_durably && c->caller.temporary) {
		/* a session's call: whether its credentials were issued with MFA (CloudTrail's
		 * userIdentity.sessionContext.attributes.mfaAuthenticated; `policy generate` reads it too) */
		if (!red)
			red = json_object();
		if (red)
			json_object_set_new(red, "MFAAuthenticated", json_boolean(c->caller.mfa_s != 0));
	}
	if (c->caller.kind == PRINCIPAL_FEDERATED_USER) {
		/* who made the federated user (CloudTrail's userIdentity.sessionContext.sessionIssuer) */
		if (!red)
			red = json_object();
		if (red)
			json_object_set_new(red, "SessionIssuer", session_issuer(&c->caller));
	}
	if (c->soft_denied) { /* soft mode let it through: AWS's AccessDenied, as it would have been answered */
		if (!red)
			red = json_object();
		if (red)
			json_object_set_new(red, "SoftDeniedMessage", json_string(c->soft_message));
	}
	*detail = red ? json_dumps(red, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(red);
	*response = answer && json_object_size(answer) ? json_dumps(answer, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(answer);
	*explanation = c->explanation && (strcmp(outcome, "Success") != 0 || c->soft_denied)
	                       ? json_dumps(c->explanation, JSON_COMPACT)
	                       : NULL;
	audit_user_agent(c->req, ua);
	snprintf(action, 160, "%s:%s", c->svc->id, c->op->name);
	*a = (struct store_audit){
		.time_ms = c->now_ms,
		.request_id = c->request_id,
		.account_id = c->caller.account_id,
		.principal_arn = c->caller.arn,
		.access_key_id = c->caller.access_key_id,
		.action = action,
		.resource = c->resource,
		.source_ip = c->req->source_ip,
		.outcome = outcome,
		.detail = *detail,
		.user_agent = ua[0] ? ua : NULL,
		.region = c->region[0] ? c->region : NULL,
		.response = *response,
		.explanation = *explanation,
		.enforcement = c->soft_denied ? ENFORCE_SOFT_DENIED : NULL,
	};
}

static int audit(struct call *c, struct db_tx *tx, const char *outcome)
{
	char action[160], *detail, *response, *explanation, ua[AUDIT_USER_AGENT_MAX + 1];
	struct store_audit a;
	int rc;

	audit_record(c, outcome, true, action, &detail, &response, &explanation, ua, &a);
	rc = store_audit_append(tx, &a);
	free(detail);
	free(response);
	free(explanation);
	return rc;
}

/* The request will hand no record (more) to the group committer: it stops waiting for it (auditlog.h). */
static void audit_handed(struct call *c)
{
	if (c->audit_expected) {
		c->audit_expected = false;
		auditlog_call_end(c->srv->audit);
	}
}

/* Hands the record to the group committer. Over HTTP the answer is deferred until the record is durable (the
 * listener thread serves other connections meanwhile: c->audit_deferred); an internal call waits here. C_ERR when
 * the record could not be written (or queued). */
static int audit_durable(struct call *c, const char *outcome)
{
	char action[160], *detail, *response, *explanation, ua[AUDIT_USER_AGENT_MAX + 1];
	struct store_audit a;
	int rc;

	audit_record(c, outcome, true, action, &detail, &response, &explanation, ua, &a);
	if (c->wait) {
		rc = auditlog_submit(c->srv->audit, &a, http_wait_done, c->wait);
		c->audit_deferred = rc == C_OK;
		audit_handed(c); /* after: the committer waiting for it finds its record queued */
	} else {
		audit_handed(c); /* before: the committer would wait for this call, which waits for it */
		rc = auditlog_commit(c->srv->audit, &a);
	}
	free(detail);
	free(response);
	free(explanation);
	return rc;
}

/* Hands the record of a read (granted or refused) to the group committer and goes on: the answer does not wait for
 * it (CloudTrail, too, delivers events after the fact). The queue is bounded: when it is full this waits for room
 * rather than drop the record (auditlog.h); a record that cannot be written is logged and counted in /metrics
 * (rolegate_audit_failed_records_total). Like CloudTrail's records of read-only calls, it keeps no
 * responseElements. */
static void audit_async(struct call *c, const char *outcome)
{
	char action[160], *detail, *response, *explanation, ua[AUDIT_USER_AGENT_MAX + 1];
	struct store_audit a;

	audit_record(c, outcome, false, action, &detail, &response, &explanation, ua, &a);
	if (auditlog_submit(c->srv->audit, &a, NULL, NULL) != C_OK) /* out of memory */
		log_warnx("req=%s: cannot queue the audit record of %s: it is lost", c->request_id, action);
	audit_handed(c);
	free(detail);
	free(response);
	free(explanation);
}

/* Records a failed write attempt in its own transaction (the action's own was rolled back): refusals and errors
 * are worth keeping too, as CloudTrail keeps them. */
static void audit_failure(struct call *c)
{
	struct db_tx *tx;

	if (db_begin(c->srv->db, true, &tx) != C_OK)
		return;
	if (audit(c, tx, aws_code_name(c->err.code)) != C_OK || db_commit(tx) != C_OK)
		log_warnx("req=%s: cannot record the failure in the audit trail", c->request_id);
}

/* Whether a shape holds a sensitive member anywhere (a secret in a response). */
static bool has_sensitive(const struct shape *s, int depth)
{
	if (!s || depth > 16)
		return false;
	if (s->sensitive)
		return true;
	switch (s->type) {
	case SHAPE_STRUCTURE:
		for (size_t i = 0; i < s->nmembers; i++)
			if (has_sensitive(s->members[i].shape, depth + 1))
				return true;
		return false;
	case SHAPE_LIST:
		return has_sensitive(s->member, depth + 1);
	case SHAPE_MAP:
		return has_sensitive(s->value, depth + 1);
	default:
		return false;
	}
}

/* Overwrites the sensitive strings of a result tree before it is freed. */
static void scrub(const struct shape *s, json_t *v, int depth)
{
	size_t i;
	json_t *item;

	if (!s || !v || depth > 16)
		return;
	if (s->sensitive && json_is_string(v)) {
		explicit_bzero((char *)json_string_value(v), json_string_length(v));
		return;
	}
	if (s->type == SHAPE_STRUCTURE && json_is_object(v))
		for (i = 0; i < s->nmembers; i++)
			scrub(s->members[i].shape, json_object_get(v, s->members[i].name), depth + 1);
	else if (s->type == SHAPE_LIST && json_is_array(v))
		json_array_foreach(v, i, item) scrub(s->member, item, depth + 1);
}

static int storage_failure(struct call *c)
{
	return aws_err_set(&c->err, ERR_SERVICE_FAILURE,
	                   "The request processing has failed because of an unknown error, exception or failure.");
}

/* Resource -> authorize, in the call's transaction (c->tx): the one place a call is authorized. */
static int resource_and_authorize(struct call *c)
{
	/* a session's credentials that may not call this action at all learn nothing of its resource */
	if (authz_credential_limits(c) != C_OK)
		return C_ERR;
	if (c->action->resource(c, c->resource, sizeof(c->resource)) != C_OK) {
		if (c->err.code == ERR_NONE)
			storage_failure(c);
		return C_ERR;
	}
	return authz_authorize(c);
}

/* For an action with slow preparation (action->prepare): resource -> authorize in a read-only transaction, so that
 * a caller the policies refuse costs no preparation. Only a first sieve: the write transaction decides again. */
static int preauthorize(struct call *c)
{
	int rc;

	if (db_begin(c->srv->db, false, &c->tx) != C_OK)
		return storage_failure(c);
	rc = resource_and_authorize(c);
	db_rollback(c->tx);
	c->tx = NULL;
	return rc;
}

/* Resource -> authorize -> act -> audit, in one transaction. */
static int perform(struct call *c)
{
	bool write = c->action->write;

	/* Slow work first, outside the transaction: it must not serialise every other write. */
	if (c->action->prepare) {
		if (preauthorize(c) != C_OK)
			return C_ERR;
		if (c->action->prepare(c) != C_OK) {
			if (c->err.code == ERR_NONE)
				storage_failure(c);
			return C_ERR;
		}
	}
	if (db_begin(c->srv->db, write || (c->action->writes && c->action->writes(c)), &c->tx) != C_OK)
		return storage_failure(c);
	if (resource_and_authorize(c) != C_OK)
		goto fail;
	c->out = json_object();
	if (!c->out) {
		storage_failure(c);
		goto fail;
	}
	if (c->action->run(c) != C_OK) {
		if (c->err.code == ERR_NONE)
			storage_failure(c);
		goto fail;
	}
	if (write && audit(c, c->tx, "Success") != C_OK) {
		storage_failure(c);
		goto fail;
	}
	/* The write is acknowledged only once this commit (synchronous=FULL) has returned. */
	if (db_commit(c->tx) != C_OK) {
		c->tx = NULL;
		return storage_failure(c);
	}
	c->tx = NULL;
	return C_OK;
fail:
	db_rollback(c->tx);
	c->tx = NULL;
	return C_ERR;
}

/* Performs the decoded call and its after-hook and audits it, as CloudTrail records management events: a write in
 * its own transaction (a refused one in another), sts:AssumeRole and sts:GetSessionToken durably before the answer,
 * every read through the group committer without waiting. A call soft mode let through is reported once here. */
static int execute(struct call *c)
{
	int rc = perform(c);

	explicit_bzero(c->prepared, sizeof(c->prepared));
	if (c->action->after)
		c->action->after(c, rc == C_OK);
	if (c->soft_denied)
		enforce_report(c);
	if (c->action->audit_durably && c->caller.arn[0]) {
		/* Granted or refused, the record is on disk before the answer (and the credentials) leave. */
		if (audit_durable(c, rc == C_OK ? "Success" : aws_code_name(c->err.code)) != C_OK && rc == C_OK) {
			json_decref(c->out);
			c->out = NULL;
			return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request could not be recorded; try again.");
		}
	} else if (c->action->write) {
		if (rc != C_OK)
			audit_failure(c); /* a success was recorded in its own transaction */
	} else if (c->caller.arn[0]) {
		audit_async(c, rc == C_OK ? "Success" : aws_code_name(c->err.code));
	}
	return rc;
}

_Static_assert(sizeof(((struct principal *)0)->id) <= THROTTLE_KEY_MAX, "a principal id fits a throttle key");

/* Charges the request to the identity it is made as (its unique id: a user's AIDA..., a root user's account id, a
 * role session's AROA...:SESSION) and to its account (--rate-principal, --rate-account). After authentication:
 * a request that merely names someone's access key costs them nothing (anyone could drain their bucket otherwise);
 * unauthenticated ones are bounded by the connection caps. A throttled request is not audited (a write for each
 * would undo the shedding): the request log line says error=Throttling, and throttle_refused() counts them. */
static int throttle(struct call *c)
{
	static _Atomic int64_t last_warn_us;
	int64_t now = mono_us(), last;
	enum throttle_verdict v = throttle_take(c->srv->throttle, c->caller.id, c->caller.account_id, now);

	if (v == THROTTLE_PASS)
		return C_OK;
	log_debug("req=%s principal=%s: throttled by the %s rate", c->request_id, c->caller.arn,
	          v == THROTTLE_ACCOUNT ? "account's" : "principal's");
	/* At most one warning a minute, for whoever reads only warnings. */
	last = atomic_load(&last_warn_us);
	if ((last == 0 || now - last >= 60 * 1000000LL) && atomic_compare_exchange_strong(&last_warn_us, &last, now))
		log_warnx("throttling: %" PRIu64 " requests refused since start (latest: %s, by the %s rate)",
		          throttle_refused(c->srv->throttle), c->caller.arn,
		          v == THROTTLE_ACCOUNT ? "account's" : "principal's");
	return aws_err_set(&c->err, ERR_THROTTLING, "Rate exceeded");
}

/* Whether the request carries no signature: no Authorization header and no X-Amz-* parameter in its query. */
static bool is_unsigned(const struct http_request *req)
{
	const char *q = req->query;

	if (header(req, "Authorization"))
		return false;
	for (size_t i = 0; q && i + 6 <= req->query_len; i++)
		if (strncasecmp(q + i, "X-Amz-", 6) == 0)
			return false;
	return true;
}

/* Whether the form names an STS action that is called unsigned, as on AWS (action->authenticate). */
static bool unsigned_action(const struct form *f)
{
	const struct form_pair *a = form_get(f, "Action");
	const struct action *act = a ? action_find("sts", a->value) : NULL;

	return act && act->authenticate != NULL;
}

/* The action authenticates its caller from the decoded input, then the call executes. A refusal after the caller
 * is known (the token's provider was found) is audited like the call. */
static int authenticate_and_execute(struct call *c)
{
	if (c->action->authenticate(c) != C_OK) {
		if (c->err.code == ERR_NONE)
			storage_failure(c);
		if (c->action->audit_durably && c->caller.arn[0] &&
		    audit_durable(c, aws_code_name(c->err.code)) != C_OK)
			log_warnx("req=%s: cannot record the refusal in the audit trail", c->request_id);
		return C_ERR;
	}
	return execute(c);
}

/* An unsigned call (sts:AssumeRoleWithWebIdentity, sts:AssumeRoleWithSAML) of form f: decode -> the action
 * authenticates its caller from the input (a token, an assertion) -> execute. A refusal after the caller is known
 * (the provider was found) is audited like the call. */
static int run_unsigned(struct call *c, const struct form *f)
{
	c->svc = model_service("sts");
	snprintf(c->region, sizeof(c->region), "us-east-1");
	if (decode_call(c, f) != C_OK)
		return C_ERR;
	if (!c->action->authenticate)
		return aws_err_set(&c->err, ERR_MISSING_AUTHENTICATION_TOKEN, "Request is missing Authentication Token");
	return authenticate_and_execute(c);
}

static int run(struct call *c)
{
	struct form f;
	int rc;

	if (strcmp(c->req->method, "POST") != 0 && strcmp(c->req->method, "GET") != 0)
		return aws_err_set(&c->err, ERR_METHOD_NOT_ALLOWED, "The HTTP method %.16s is not allowed.",
		                   c->req->method);
	if (c->req->too_many_headers)
		return aws_err_set(&c->err, ERR_INVALID_QUERY_PARAMETER, "The request has too many headers.");
	if (c->req->forwarded_error[0]) {
		/* from a trusted proxy, but who the client is cannot be told: refused, never guessed (http/forwarded.h) */
		log_warnx("req=%s peer=%s: refused: the trusted proxy's forwarding headers cannot be used: %s",
		          c->request_id, c->req->peer_ip, c->req->forwarded_error);
		return aws_err_set(&c->err, ERR_INVALID_PARAMETER_VALUE,
		                   "The request's forwarding headers cannot be used: %s.", c->req->forwarded_error);
	}
	if (is_unsigned(c->req) && !header(c->req, "X-Amz-Target")) {
		/* the form is read once here; a signed action's own path reads it again after authentication */
		form_init(&f);
		if (read_form(c, &f) == C_OK && unsigned_action(&f)) {
			rc = run_unsigned(c, &f);
			form_free(&f);
			return rc;
		}
		form_free(&f);
		c->err.code = ERR_NONE; /* what the form said is said again after authentication, if it comes to that */
		c->err.message[0] = c->err.reason[0] = '\0';
	}
	if (auth_authenticate(c) != C_OK || throttle(c) != C_OK)
		return C_ERR;
	if (is_json(c)) {
		if (strcmp(c->req->method, "POST") != 0)
			return aws_err_set(&c->err, ERR_METHOD_NOT_ALLOWED, "Only POST is allowed.");
		rc = decode_json_call(c);
	} else {
		form_init(&f);
		rc = read_form(c, &f);
		if (rc == C_OK)
			rc = decode_call(c, &f);
		form_free(&f);
	}
	if (rc != C_OK)
		return rc;
	if (c->action->authenticate) {
		/* signed although it need not be (some SDKs sign every call): the token, not the signer, is the caller,
		 * as on AWS; nothing of the signer's (its session policy, its tags) carries over */
		policy_release(c->session_policy);
		c->session_policy = NULL;
		memset(&c->caller, 0, sizeof(c->caller));
		return authenticate_and_execute(c);
	}
	return execute(c);
}

static void log_call(const struct call *c, int status, int64_t latency_us);

/* The request an internal caller (dispatch_invoke, dispatch_invoke_tx) makes its calls as. */
static const struct http_request internal_request = {.method = "POST", .path = "/", .source_ip = "rolegate"};

/* A call on the heap for an internal caller or the console, made as if by req (freed with free()), its clock read.
 * NULL when out of memory. */
static struct call *call_new(struct rg_server *srv, const struct http_request *req)
{
	struct call *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	call_init(c);
	c->srv = srv;
	c->req = req;
	c->now_ms = now_ms();
	return c;
}

/* Names the action c performs (service, operation) and gives the call its request id, region and clock. The action,
 * or NULL when rolegate does not serve it. */
static const struct action *call_target(struct call *c, const char *service, const char *operation)
{
	c->now_ms = now_ms();
	id_request(c->request_id);
	snprintf(c->region, sizeof(c->region), "us-east-1");
	c->svc = model_service(service);
	c->op = c->svc ? model_operation(c->svc, operation) : NULL;
	c->action = c->op ? action_find(c->svc->id, operation) : NULL;
	return c->action;
}

/* Runs one action for an internal caller or the console: validation on (resource -> authorize -> act -> audit),
 * as c->caller (set, with c->session_policy, by the caller), with c->req as the request; or, unsigned, as the caller
 * the action's authenticate hook finds in the input (dispatch_invoke_unsigned). */
static int invoke_call(struct call *c, const char *service, const char *operation, json_t *in, bool unsigned_call,
                       json_t **out, struct aws_err *err)
{
	int rc = C_ERR;

	*out = NULL;
	if (!call_target(c, service, operation)) {
		aws_err_set(&c->err, ERR_INVALID_ACTION, "Could not find operation %.128s", operation);
		goto done;
	}
	c->in = in ? json_deep_copy(in) : json_object();
	if (!c->in || validate_input(c->svc, c->op->input, c->in, &c->err) != C_OK)
		goto done;
	if (unsigned_call && !c->action->authenticate) {
		aws_err_set(&c->err, ERR_MISSING_AUTHENTICATION_TOKEN, "Request is missing Authentication Token");
		goto done;
	}
	rc = unsigned_call ? authenticate_and_execute(c) : execute(c);
	if (rc == C_OK) {
		*out = c->out; /* ownership passes to the caller */
		c->out = NULL;
	}
done:
	if (rc != C_OK) {
		if (c->err.code == ERR_NONE)
			aws_err_set(&c->err, ERR_INTERNAL_FAILURE, "The request processing has failed.");
		*err = c->err;
	}
	json_decref(c->in);
	json_decref(c->out);
	json_decref(c->explanation);
	c->explanation = NULL;
	federated_free(c->fed);
	c->fed = NULL;
	policy_release(c->session_policy);
	policy_release(c->resource_policy);
	return rc;
}

static int invoke(struct call *c, const char *service, const char *operation, json_t *in, json_t **out,
                  struct aws_err *err)
{
	return invoke_call(c, service, operation, in, false, out, err);
}

int dispatch_invoke_unsigned(struct rg_server *srv, const struct http_request *req, const char *service,
                             const char *operation, json_t *in, json_t **out, struct aws_err *err)
{
	struct call *c = call_new(srv, req);
	int64_t t0 = mono_us();
	int rc;

	*out = NULL;
	if (!c)
		return aws_err_set(err, ERR_SERVICE_FAILURE, "Out of memory.");
	rc = invoke_call(c, service, operation, in, true, out, err);
	c->session_policy = c->resource_policy = NULL; /* released by invoke_call */
	log_call(c, rc == C_OK ? 200 : aws_code_status(err->code), mono_us() - t0);
	free(c);
	return rc;
}

int dispatch_invoke(struct rg_server *srv, const struct principal *caller, const char *service, const char *operation,
                    json_t *in, json_t **out, struct aws_err *err)
{
	struct call *c = call_new(srv, &internal_request);
	int rc;

	*out = NULL;
	if (!c)
		return aws_err_set(err, ERR_SERVICE_FAILURE, "Out of memory.");
	c->caller = *caller;
	rc = invoke(c, service, operation, in, out, err);
	free(c);
	return rc;
}

int dispatch_invoke_tx(struct rg_server *srv, struct db_tx *tx, const struct principal *caller, const char *service,
                       const char *operation, json_t *in, json_t **out, struct aws_err *err)
{
	struct call *c = call_new(srv, &internal_request);
	int rc = C_ERR;

	*out = NULL;
	if (!c)
		return aws_err_set(err, ERR_SERVICE_FAILURE, "Out of memory.");
	c->caller = *caller;
	if (!call_target(c, service, operation) || c->action->prepare || c->action->after || c->action->audit_durably) {
		aws_err_set(&c->err, ERR_INVALID_ACTION, "Could not find operation %.128s", operation);
		goto done;
	}
	c->in = in ? json_deep_copy(in) : json_object();
	if (!c->in || validate_input(c->svc, c->op->input, c->in, &c->err) != C_OK)
		goto done;
	c->tx = tx;
	if (c->action->resource(c, c->resource, sizeof(c->resource)) != C_OK || !(c->out = json_object()) ||
	    c->action->run(c) != C_OK || (c->action->write && audit(c, tx, "Success") != C_OK))
		goto done;
	*out = c->out; /* ownership passes to the caller */
	c->out = NULL;
	rc = C_OK;
done:
	if (rc != C_OK) {
		if (c->err.code == ERR_NONE)
			storage_failure(c);
		*err = c->err;
	}
	json_decref(c->in);
	json_decref(c->out);
	json_decref(c->explanation);
	federated_free(c->fed);
	policy_release(c->session_policy);
	policy_release(c->resource_policy);
	free(c);
	return rc;
}

int dispatch_invoke_token(struct rg_server *srv, const struct http_request *req, const char *token,
                          const char *service, const char *operation, json_t *in, json_t **out, struct aws_err *err)
{
	/* req: the browser's (aws:SourceIp, aws:SecureTransport, aws:UserAgent, the audit's source) */
	struct call *c = call_new(srv, req);
	int64_t t0 = mono_us();
	int rc;

	*out = NULL;
	if (!c)
		return aws_err_set(err, ERR_SERVICE_FAILURE, "Out of memory.");
	if (auth_token_principal(srv, token, c->now_ms, &c->caller, &c->session_policy, err) != C_OK ||
	    throttle(c) != C_OK) {
		if (c->err.code != ERR_NONE)
			*err = c->err;
		policy_release(c->session_policy);
		free(c);
		return C_ERR;
	}
	rc = invoke(c, service, operation, in, out, err);
	c->session_policy = c->resource_policy = NULL; /* released by invoke */
	log_call(c, rc == C_OK ? 200 : aws_code_status(err->code), mono_us() - t0);
	free(c);
	return rc;
}

/* One input of a dry run, in c->tx: validation -> resource -> authorize. c->caller and c->session_policy are kept;
 * what the previous input left (its resource policy, error, resource) is reset first. */
static int dry_run_one(struct call *c, json_t *in)
{
	int rc;

	policy_release(c->resource_policy);
	c->resource_policy = NULL;
	c->err.code = ERR_NONE;
	c->err.message[0] = c->err.reason[0] = '\0';
	c->resource[0] = '\0';
	c->mfa_verified_s = 0;
	c->mfa_rc = 0;
	c->mfa_outcome = NULL;
	c->in = in ? json_deep_copy(in) : json_object();
	if (!c->in)
		rc = storage_failure(c);
	else if ((rc = validate_input(c->svc, c->op->input, c->in, &c->err)) == C_OK)
		rc = resource_and_authorize(c);
	if (rc != C_OK && c->err.code == ERR_NONE)
		storage_failure(c);
	json_decref(c->in);
	c->in = NULL;
	return rc;
}

int dispatch_authorize_token(struct rg_server *srv, const struct http_request *req, const char *token,
                             const char *service, const char *operation, json_t *const *ins, size_t n,
                             dispatch_verdict_fn fn, void *ctx, struct aws_err *err)
{
	struct call *c = call_new(srv, req);
	int rc = C_ERR;

	if (!c)
		return aws_err_set(err, ERR_SERVICE_FAILURE, "Out of memory.");
	c->dry_run = true; /* what the policies say, whatever the enforcement mode: nothing is performed */
	if (!call_target(c, service, operation)) {
		aws_err_set(err, ERR_INVALID_ACTION, "Could not find operation %.128s", operation);
		goto done;
	}
	if (auth_token_principal(srv, token, c->now_ms, &c->caller, &c->session_policy, err) != C_OK)
		goto done;
	if (throttle(c) != C_OK) {
		*err = c->err;
		goto done;
	}
	if (db_begin(srv->db, false, &c->tx) != C_OK) {
		storage_failure(c);
		*err = c->err;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		int one = dry_run_one(c, ins[i]);
		fn(ctx, i, one, &c->err);
	}
	db_rollback(c->tx);
	c->tx = NULL;
	rc = C_OK;
done:
	policy_release(c->session_policy);
	policy_release(c->resource_policy);
	free(c);
	return rc;
}

static void log_call(const struct call *c, int status, int64_t latency_us)
{
	char line[3072], ip[160], arn[1200];
	bool via = c->req->peer_ip[0] && strcmp(c->req->peer_ip, c->req->source_ip) != 0; /* through a proxy */

	/* A principal's name may hold '=' (IAM allows it): quoted then, so the line stays logfmt. */
	snprintf(line, sizeof(line),
	         "level=info req=%s ip=%s%s%s principal=%s action=%s:%s status=%d error=%s latency_us=%" PRId64 "%s",
	         c->request_id, c->req->source_ip[0] ? log_value(c->req->source_ip, ip, sizeof(ip)) : "-",
	         via ? " via=" : "", via ? c->req->peer_ip : "",
	         c->caller.arn[0] ? log_value(c->caller.arn, arn, sizeof(arn)) : "-",
	         c->svc ? c->svc->id : "-", c->op ? c->op->name : "-", status,
	         c->err.code ? (is_json(c) ? aws_code_name_json(c->err.code) : aws_code_name(c->err.code)) : "-",
	         latency_us, c->soft_denied ? " enforcement=" ENFORCE_SOFT_DENIED : "");
	log_record(line);
}

void dispatch_request(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct call c;
	int64_t t0 = mono_us();
	int ran;

	if (health_route(ctx, req, resp)) /* GET /health, /ready: probes, not API calls */
		return;
	if (compat_route(ctx, req, resp)) /* --compat moto only: POST /moto-api/reset (src/compat/moto.h) */
		return;
	if (console_route(ctx, req, resp)) /* /console, /console/..., /federation: the web console (src/console/) */
		return;
	call_init(&c);
	c.srv = ctx;
	c.req = req;
	c.wait = resp->wait;
	c.now_ms = now_ms();
	id_request(c.request_id);
	memcpy(resp->request_id, c.request_id, sizeof(c.request_id));
	auditlog_call_begin(c.srv->audit); /* the group committer may wait a moment for its record (auditlog.h) */
	c.audit_expected = true;
	ran = run(&c);
	audit_handed(&c);
	if (ran == C_OK) {
		bool json = is_json(&c);
		int rc = json ? jsonp_encode_result(c.op, c.out, &resp->body)
		              : query_encode_result(c.svc, c.op, c.out, c.request_id, &resp->body);
		resp->content_type = json ? JSONP_CONTENT_TYPE : "text/xml";
		if (rc == C_OK) {
			resp->status = 200;
			resp->sensitive = has_sensitive(c.op->output, 0);
		} else {
			aws_err_set(&c.err, ERR_INTERNAL_FAILURE, "The response could not be encoded.");
		}
	} else if (c.err.code == ERR_NONE) {
		aws_err_set(&c.err, ERR_INTERNAL_FAILURE, "The request processing has failed.");
	}
	if (c.err.code != ERR_NONE) {
		bool json = is_json(&c);
		buf_reset(&resp->body);
		resp->status = json ? aws_code_status_json(c.err.code) : aws_code_status(c.err.code);
		resp->content_type = json ? JSONP_CONTENT_TYPE : "text/xml";
		if ((json ? jsonp_encode_error(&c.err, &resp->body)
		          : query_encode_error(c.svc, &c.err, c.request_id, &resp->body)) != C_OK)
			buf_reset(&resp->body);
	}
	if (c.audit_deferred) {
		/* The answer leaves once the audit record is durable; if it cannot be written, a successful call's
		 * credentials never leave and the caller gets ServiceFailure instead (a refusal stays a refusal). */
		resp->deferred = true;
		if (resp->status == 200) {
			struct aws_err fail;
			bool json = is_json(&c);

			aws_err_set(&fail, ERR_SERVICE_FAILURE, "The request could not be recorded; try again.");
			resp->alt_status = json ? aws_code_status_json(fail.code) : aws_code_status(fail.code);
			resp->alt_content_type = json ? JSONP_CONTENT_TYPE : "text/xml";
			if ((json ? jsonp_encode_error(&fail, &resp->alt_body)
			          : query_encode_error(c.svc, &fail, c.request_id, &resp->alt_body)) != C_OK)
				buf_reset(&resp->alt_body);
		}
	}
	resp->tag = metrics_request_tag(c.svc ? c.svc->id : NULL, c.action, metrics_outcome_of(c.err.code), c.err.code);
	log_call(&c, resp->status, mono_us() - t0);
	if (c.op)
		scrub(c.op->output, c.out, 0);
	json_decref(c.in);
	json_decref(c.out);
	json_decref(c.explanation);
	federated_free(c.fed);
	policy_release(c.session_policy);
	policy_release(c.resource_policy);
}

void dispatch_reject(void *ctx, const struct http_request *req, enum http_reject why, struct http_response *resp)
{
	struct rg_server *srv = ctx;
	struct aws_err err;
	char rid[REQUEST_ID_LEN + 1];

	id_request(rid);
	memcpy(resp->request_id, rid, sizeof(rid));
	if (why == HTTP_REJECT_TOO_LARGE)
		aws_err_set(&err, ERR_REQUEST_ENTITY_TOO_LARGE, "Request body is larger than the allowed %zu bytes.",
		            srv->cfg->max_body);
	else
		aws_err_set(&err, ERR_INVALID_QUERY_PARAMETER, "The request has conflicting Content-Length headers.");
	resp->status = aws_code_status(err.code);
	resp->content_type = "text/xml";
	query_encode_error(NULL, &err, rid, &resp->body);
	resp->tag = metrics_request_tag(NULL, NULL, METRICS_ERROR, err.code);
	log_warnx("req=%s ip=%s: refused before reading the body: %s", rid, req->source_ip, err.message);
}
