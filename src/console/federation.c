/*
 * federation.c - /federation: AWS's custom identity broker endpoint (signin.aws.amazon.com/federation), served for
 * this server's console, so that `rolegate login` and scripts that build console URLs work against rolegate.
 *
 *   Action=getSigninToken  Session={"sessionId","sessionKey","sessionToken"} (a role session's or a federated
 *                          user's temporary credentials), SessionDuration=900..43200 (optional; role sessions)
 *                          -> 200 {"SigninToken": "..."}
 *   Action=login           SigninToken, Destination (this server's /console), Issuer -> a console session of that
 *                          role session or federated user, and a 200 page that continues to Destination
 *                          (continue_to: not a 303)
 *
 * The credentials are verified as the API verifies a request's (the token opens under the keyring, names this
 * access key id, carries this secret, has not expired, its account is active): only role sessions and federated
 * users (GetFederationToken) sign in, as on AWS (long-term keys and GetSessionToken sessions are refused), and
 * SessionDuration is refused for a session made by role chaining and for a federated user (whose console session
 * lasts as long as its credentials, under a key of its own: claims kind 'G', to which IAM is open as in AWS's
 * console). A sign-in token is 32 random bytes; only its SHA-256 is stored, with the session token, for 15
 * minutes, and it is spent by the first login (in that login's transaction). With SessionDuration the console
 * session gets credentials of its own that last that long (AWS's console session also has an access key id of its
 * own); without it, it ends with the credentials. Both actions are audited (signin:GetSigninToken,
 * signin:ConsoleLogin: CloudTrail's signin.amazonaws.com events), and so is a refused getSigninToken whose
 * session token is ours (a wrong secret, an expired session). Refusals answer 400, as AWS's endpoint does.
 * Secrets (the session's secret, the sign-in token) are wiped after use and never logged.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/ids.h"
#include "console/console.h"
#include "console/fedreq.h"
#include "console/page.h"
#include "console/routes.h"
#include "console/session.h"
#include "policy/policy.h"
#include "server/auth.h"
#include "server/auditlog.h"
#include "server/server.h"
#include "server/tokens.h"
#include "store/console.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"

#define SIGNIN_TOKEN_BYTES 32
#define SIGNIN_TOKEN_MAX 128 /* the longest SigninToken parameter looked at: ours are 43 characters */
#define SIGNIN_TOKEN_TTL_MS (15 * 60 * 1000)

/* The form value of key, or NULL. */
#define param(cr, key) console_param((cr), (key))

/* The ARN of a role session's or a federated user's claims. */
static void session_arn(const struct session_claims *cl, char out[ARN_MAX + 1])
{
	if (cl->kind == 'F' || cl->kind == 'G')
		snprintf(out, ARN_MAX + 1, "arn:aws:sts::%s:federated-user/%s", cl->account_id, cl->session_name);
	else
		snprintf(out, ARN_MAX + 1, "arn:aws:sts::%s:assumed-role/%s/%s", cl->account_id, cl->role_name,
		         cl->session_name);
}

/* Whether account_id is ACTIVE (a closed account's sessions end with it, as auth.c has it): C_OK, STORE_NOT_FOUND
 * (closed or gone), or C_ERR when the store cannot say (a failure to retry, never a verdict on the session). */
static int account_active(struct db_tx *tx, const char *account_id)
{
	struct store_account a;
	int rc = store_account_get(tx, account_id, &a);

	if (rc == C_OK)
		return strcmp(a.status, "ACTIVE") == 0 ? C_OK : STORE_NOT_FOUND;
	return rc == STORE_NOT_FOUND ? STORE_NOT_FOUND : C_ERR;
}

/*
 * Records action (signin:GetSigninToken, signin:ConsoleLogin: CloudTrail's signin.amazonaws.com events) of the role
 * session cl in the durable audit trail, as signin.c records a console sign-in, before the answer leaves. detail
 * (borrowed, may be NULL) and response (JSON text, may be NULL) never hold a secret.
 */
int federation_audit(struct console_req *cr, const char *action, const struct session_claims *cl,
                     const char *outcome, json_t *detail, const char *response)
{
	char arn[ARN_MAX + 1], ua[AUDIT_USER_AGENT_MAX + 1];
	char *det = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	const char *agent = console_header(cr, "User-Agent");
	struct store_audit a;
	int rc;

	session_arn(cl, arn);
	snprintf(ua, sizeof(ua), "%s", agent ? agent : "");
	for (char *p = ua; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	a = (struct store_audit){
		.time_ms = cr->now_ms,
		.request_id = cr->request_id,
		.account_id = cl->account_id,
		.principal_arn = arn,
		.access_key_id = cl->access_key_id,
		.action = action,
		.source_ip = cr->req->source_ip,
		.outcome = outcome,
		.detail = det,
		.user_agent = ua[0] ? ua : NULL,
		.region = "us-east-1",
		.response = response,
	};
	rc = auditlog_commit(cr->srv->audit, &a);
	free(det);
	return rc;
}

/* verify_session's answer when the store could not say whether the session stands. */
#define VERIFY_STORE_DOWN 1

/*
 * Verifies s as the API verifies a request's temporary credentials: the token opens under the keyring and names
 * this access key id, the secret is the token's (compared in constant time), and auth_token_principal (auth.c: the
 * principal as the API builds it) finds it unexpired in an active account. Only role sessions and federated users
 * pass. C_OK with *cl the token's claims (claims_clear() them); C_ERR with *why, AWS-style text for the refusal;
 * VERIFY_STORE_DOWN when the store could not say (answered 503, never refused).
 */
static int verify_session(struct console_req *cr, const struct fed_session *s, struct session_claims *cl,
                          const char **why, const char **code)
{
	uint8_t given[SHA256_LEN], want[SHA256_LEN];
	struct principal p;
	struct policy *session_policy = NULL;
	struct aws_err err;
	bool same;

	memset(cl, 0, sizeof(*cl));
	*why = "The security token included in the request is invalid.";
	*code = "InvalidClientTokenId";
	if (!s->has_token) {
		*why = "Long-term credentials cannot sign in to the console: use a role session's temporary credentials.";
		return C_ERR;
	}
	if (token_open(cr->srv->keyring, s->token, cl) != C_OK)
		return C_ERR;
	crypto_sha256(s->secret, strlen(s->secret), given);
	crypto_sha256(cl->secret, strlen(cl->secret), want);
	same = crypto_equal(given, want, SHA256_LEN) && strcmp(cl->access_key_id, s->access_key_id) == 0;
	explicit_bzero(given, sizeof(given));
	explicit_bzero(want, sizeof(want));
	if (!same)
		goto refuse;
	if (auth_token_principal(cr->srv, s->token, cr->now_ms, &p, &session_policy, &err) != C_OK) {
		if (err.code == ERR_SERVICE_FAILURE) {
			claims_clear(cl);
			return VERIFY_STORE_DOWN;
		}
		if (err.code == ERR_EXPIRED_TOKEN) {
			*why = "The security token included in the request is expired.";
			*code = "ExpiredToken";
		}
		goto refuse;
	}
	policy_release(session_policy);
	if (!(cl->kind == 'R' && p.kind == PRINCIPAL_ROLE_SESSION) &&
	    !(cl->kind == 'F' && p.kind == PRINCIPAL_FEDERATED_USER)) {
		*why = "Only a role session's (AssumeRole) or a federated user's (GetFederationToken) credentials can sign "
		       "in to the console.";
		*code = "AccessDenied";
		goto refuse;
	}
	return C_OK;
refuse:
	claims_clear(cl);
	return C_ERR;
}

/* A fresh sign-in token (base64url, no padding) into out and its SHA-256 (hex) into id_hash. */
static int mint(char out[SIGNIN_TOKEN_MAX], char id_hash[SHA256_HEX_LEN + 1])
{
	uint8_t raw[SIGNIN_TOKEN_BYTES];
	char *b64;
	size_t n = 0;

	if (crypto_random(raw, sizeof(raw)) != C_OK || !(b64 = base64_encode(raw, sizeof(raw)))) {
		explicit_bzero(raw, sizeof(raw));
		return C_ERR;
	}
	explicit_bzero(raw, sizeof(raw));
	for (const char *p = b64; *p && *p != '=' && n + 1 < SIGNIN_TOKEN_MAX; p++)
		out[n++] = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	out[n] = '\0';
	explicit_bzero(b64, strlen(b64));
	free(b64);
	crypto_sha256_hex(out, n, id_hash);
	return C_OK;
}

/* The 400 of a refused request (AWS's endpoint answers 400 Bad Request). */
static void refuse(struct console_req *cr, const char *why)
{
	page_error(cr, 400, "InvalidParameterValue", why);
}

static void unavailable(struct console_req *cr)
{
	page_error(cr, 503, "ServiceUnavailable", "The service is unavailable. Please try again.");
}

/* Records a refused getSigninToken whose session token is one of ours (so its principal is known: someone holding
 * a role session's token tried it with a wrong secret, after its expiry, ...). Others leave no record: anyone can
 * send garbage. */
static void refused_session(struct console_req *cr, const struct fed_session *s, const char *code)
{
	struct session_claims cl;

	if (!s->has_token || token_open(cr->srv->keyring, s->token, &cl) != C_OK)
		return;
	if (federation_audit(cr, "signin:GetSigninToken", &cl, code, NULL, NULL) != C_OK)
		log_warnx("console: req=%s: cannot record the refused getSigninToken", cr->request_id);
	claims_clear(&cl);
}

/* Action=getSigninToken. */
static void get_signin_token(struct console_req *cr)
{
	const char *session = param(cr, "Session"), *why = NULL, *code = NULL;
	char token[SIGNIN_TOKEN_MAX], id_hash[SHA256_HEX_LEN + 1], *body = NULL;
	struct session_claims cl = {0};
	struct fed_session s;
	struct db_tx *tx = NULL;
	json_t *detail = NULL, *answer = NULL;
	int64_t duration;
	int rc;

	token[0] = '\0';
	if (!session || fed_session_parse(session, strlen(session), &s) != C_OK) {
		fed_session_clear(&s);
		refuse(cr, "Session must be a JSON object with sessionId, sessionKey and sessionToken.");
		return;
	}
	if (fed_duration_parse(param(cr, "SessionDuration"), &duration) != C_OK) {
		refuse(cr, "SessionDuration must be a number of seconds from 900 to 43200.");
		goto done;
	}
	rc = verify_session(cr, &s, &cl, &why, &code);
	if (rc == VERIFY_STORE_DOWN) {
		unavailable(cr);
		goto done;
	}
	if (rc != C_OK) {
		refused_session(cr, &s, code);
		refuse(cr, why);
		goto done;
	}
	if (duration && cl.chained) {
		refuse(cr, "SessionDuration cannot be given for a role session obtained by role chaining.");
		goto done;
	}
	if (duration && cl.kind == 'F') { /* AWS: the console session of a federated user lasts as its credentials */
		refuse(cr, "SessionDuration cannot be given for credentials obtained with GetFederationToken.");
		goto done;
	}
	if (mint(token, id_hash) != C_OK || db_begin(cr->srv->db, true, &tx) != C_OK) {
		unavailable(cr);
		goto done;
	}
	detail = duration ? json_pack("{s:I}", "SessionDuration", (json_int_t)duration) : NULL;
	rc = store_fed_token_prune(tx, cr->now_ms);
	if (rc == C_OK)
		rc = store_fed_token_put(tx, id_hash, s.token, duration, cr->now_ms + SIGNIN_TOKEN_TTL_MS);
	if (rc != C_OK) {
		db_rollback(tx);
		unavailable(cr);
		goto done;
	}
	answer = json_pack("{s:s}", "SigninToken", token);
	body = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
	/* the token is handed out only once it is stored and its record durable */
	if (db_commit(tx) != C_OK || !body ||
	    federation_audit(cr, "signin:GetSigninToken", &cl, "Success", detail, NULL) != C_OK) {
		unavailable(cr);
		goto done;
	}
	buf_reset(cr->html);
	cr->resp->sensitive = true; /* the token signs a browser in: wiped once sent */
	if (buf_puts(cr->html, body) != C_OK) {
		unavailable(cr);
		goto done;
	}
	cr->resp->status = 200;
	cr->resp->content_type = "application/json";
	page_security_headers(cr); /* Cache-Control: no-store among them */
done:
	if (body) {
		explicit_bzero(body, strlen(body));
		free(body);
	}
	if (answer) {
		explicit_bzero((char *)json_string_value(json_object_get(answer, "SigninToken")), strlen(token));
		json_decref(answer);
	}
	json_decref(detail);
	explicit_bzero(token, sizeof(token));
	fed_session_clear(&s);
	claims_clear(&cl);
}

/*
 * The console session's credentials for a role session cl that signs in with a SessionDuration: the same claims
 * under an access key id and secret of their own, issued now and lasting duration seconds (tx: the login's). C_ERR
 * when they cannot be sealed.
 */
static int console_credentials(struct console_req *cr, struct db_tx *tx, const struct session_claims *cl,
                               int64_t duration, char out[TOKEN_MAX])
{
	struct session_claims c = *cl; /* shares cl's session_policy: never claims_clear()ed */
	int rc;

	id_access_key("ASIA", cl->account_id, c.access_key_id);
	id_secret_key(c.secret);
	c.issued_s = cr->now_ms / 1000;
	c.expires_s = c.issued_s + duration;
	rc = token_issue(cr->srv->keyring, tx, &c, out, TOKEN_MAX);
	explicit_bzero(c.secret, sizeof(c.secret));
	return rc;
}

/*
 * Login's answer: a page of this server that goes on to path (the Destination's) by itself (meta refresh; no inline
 * script: the CSP), with a plain link too. Not a 303: the login URL is often opened from another site (a link, a
 * script's page), and Chromium does not send a SameSite=Strict cookie set in such a navigation on its redirect: the
 * console would show signed out until reloaded. The page's own navigation is same-site, so the cookie goes with it.
 */
void federation_continue_to(struct console_req *cr, const char *path)
{
	if (path[0] != '/' || path[1] == '/' || path[1] == '\\')
		path = "/console/"; /* only this server's paths (fed_destination_ok made sure already) */
	cr->resp->status = 200;
	cr->resp->content_type = "text/html; charset=utf-8";
	page_security_headers(cr);
	buf_reset(cr->html);
	html_printf(cr->html,
	            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	            "<meta http-equiv=\"refresh\" content=\"0;url=%s\">\n<title>Signed in - rolegate console</title>\n"
	            "<link rel=\"icon\" href=\"" PAGE_ICON "\" type=\"image/svg+xml\">\n"
	            "<link rel=\"stylesheet\" href=\"/console/static/console.css\">\n</head>\n<body>\n"
	            "<main id=\"main\">\n<h1>Signed in</h1>\n"
	            "<p><a href=\"%s\" id=\"continue\">Continue to the console</a></p>\n</main>\n</body>\n</html>\n",
	            path, path);
}

/* Action=login. */
static void login(struct console_req *cr)
{
	const char *dest = param(cr, "Destination"), *signin = param(cr, "SigninToken");
	const char *expired = "The sign-in token is invalid or has expired.";
	char id_hash[SHA256_HEX_LEN + 1], console_token[TOKEN_MAX];
	struct store_fed_token row;
	struct session_claims cl = {0};
	struct db_tx *tx = NULL;
	json_t *detail = NULL;
	int64_t expires_s;
	int rc;

	console_token[0] = '\0';
	memset(&row, 0, sizeof(row));
	if (!fed_destination_ok(dest, console_header(cr, "Host"))) {
		refuse(cr, "Destination must be this server's console (/console/).");
		return;
	}
	if (!signin || !*signin || strlen(signin) >= SIGNIN_TOKEN_MAX) {
		refuse(cr, expired);
		return;
	}
	crypto_sha256_hex(signin, strlen(signin), id_hash);
	if (db_begin(cr->srv->db, true, &tx) != C_OK) {
		unavailable(cr);
		return;
	}
	rc = store_fed_token_take(tx, id_hash, cr->now_ms, &row); /* spent here, once */
	if (rc != C_OK) {
		db_rollback(tx);
		if (rc == STORE_NOT_FOUND)
			refuse(cr, expired);
		else
			unavailable(cr);
		goto done;
	}
	if (token_open(cr->srv->keyring, row.token, &cl) != C_OK || (cl.kind != 'R' && cl.kind != 'F') ||
	    cr->now_ms / 1000 >= cl.expires_s)
		rc = STORE_NOT_FOUND;
	else
		rc = account_active(tx, cl.account_id);
	if (rc == C_ERR) { /* the store could not say: the token stays unspent, to be tried again */
		db_rollback(tx);
		unavailable(cr);
		goto done;
	}
	if (rc != C_OK) {
		/* the credentials or their account ended since: the token is spent all the same */
		if (db_commit(tx) != C_OK)
			log_warnx("req=%s: a refused sign-in token could not be marked used", cr->request_id);
		refuse(cr, expired);
		goto done;
	}
	if (cl.kind == 'F') {
		/* a federated user's console session: the same claims under a key of its own ('G': IAM is open to it, as
		 * AWS's console opens it), ending with the credentials */
		cl.kind = 'G';
		rc = console_credentials(cr, tx, &cl, cl.expires_s - cr->now_ms / 1000, console_token);
		expires_s = cl.expires_s;
	} else if (row.session_duration_s) {
		rc = console_credentials(cr, tx, &cl, row.session_duration_s, console_token);
		expires_s = cr->now_ms / 1000 + row.session_duration_s;
	} else {
		rc = snprintf(console_token, sizeof(console_token), "%s", row.token) < (int)sizeof(console_token) ? C_OK
		                                                                                                 : C_ERR;
		expires_s = cl.expires_s;
	}
	if (rc != C_OK) {
		db_rollback(tx);
		unavailable(cr);
		goto done;
	}
	detail = json_pack("{s:s, s:b}", "LoginTo", dest, "MFAUsed", cl.mfa_s != 0);
	if (db_commit(tx) != C_OK ||
	    federation_audit(cr, "signin:ConsoleLogin", &cl, "Success", detail, CONSOLE_LOGIN_SUCCESS) != C_OK ||
	    session_start(cr, "federated", console_token, cl.mfa_s, expires_s * 1000) != C_OK) {
		unavailable(cr);
		goto done;
	}
	federation_continue_to(cr, fed_destination_path(dest)); /* this server's: its path is the whole of it */
done:
	json_decref(detail);
	explicit_bzero(&row, sizeof(row));
	explicit_bzero(console_token, sizeof(console_token));
	claims_clear(&cl);
}

void federation_handler(struct console_req *cr)
{
	const char *action = param(cr, "Action");

	if (strcmp(cr->req->method, "HEAD") == 0) { /* a link checker's HEAD must not spend a sign-in token */
		page_error(cr, 405, "MethodNotAllowed", "The HTTP method is not allowed.");
		return;
	}
	if (action && strcasecmp(action, "getSigninToken") == 0)
		get_signin_token(cr);
	else if (action && strcasecmp(action, "login") == 0)
		login(cr);
	else
		page_error(cr, 400, "InvalidAction", "Action must be getSigninToken or login.");
}
