/*
 * signin.c - signing in to the console (an IAM user with the login profile's password and, when the user has an
 * MFA device, its code; an account's root user with its console password, `rolegate root-password`, and root MFA),
 * signing out, and the password page (iam:ChangePassword, required first when the profile says PasswordResetRequired).
 *
 * A wrong account, user, password or MFA code gets AWS's one answer, "Your authentication information is incorrect.
 * Please try again.", and counts toward a delay per (account, user name): after the third failure in a row, attempts
 * within 5 s of the last failure are refused without looking at the password, 10 s after the fourth, doubling up to
 * SIGNIN_MAX_DELAY_S; a success clears the count. No request thread sleeps: the wait is the client's. Every attempt is audited as CloudTrail's ConsoleLogin event
 * (signin.amazonaws.com; responseElements ConsoleLogin Success or Failure; additionalEventData MFAUsed).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/page.h"
#include "console/routes.h"
#include "console/session.h"
#include "iam/iam.h"
#include "server/auditlog.h"
#include "store/console.h"
#include "store/login.h"
#include "store/mfa.h"
#include "sts/mfa_check.h"
#include "util/common.h"
#include "util/log.h"

#define SIGNIN_INCORRECT "Your authentication information is incorrect. Please try again."
#define SIGNIN_FREE_FAILURES 2    /* failures in a row before the delay starts */
#define SIGNIN_FIRST_DELAY_S 5LL
#define SIGNIN_MAX_DELAY_S 300

/* What one sign-in attempt is about. */
struct attempt {
	const char *account_in, *user_in, *password, *code;
	bool root;
	char account_id[ACCOUNT_ID_LEN + 1];
	char user_key[IAM_NAME_MAX + 1]; /* the failure counter's user name ("" for root) */
	struct store_user user;
	bool user_found;
	bool reset_required;
	char serial[MFA_SERIAL_MAX + 1]; /* the MFA device that must be given, "" for none */
	int64_t mfa_s;
	int mfa_rc;
	char arn[ARN_MAX + 1]; /* who, for the audit ("" when the account is unknown) */
};

/* ---- the form ------------------------------------------------------------------------------------------------ */

static void signin_page(struct console_req *cr, const struct attempt *a, const char *error, const char *notice)
{
	struct buf *b = cr->html;
	const char *account = a && a->account_in ? a->account_in : console_param(cr, "account");
	const char *user = a && a->user_in ? a->user_in : "";
	bool root = a ? a->root : false;

	page_begin(cr, "Sign in");
	if (error)
		html_printf(b, "<div class=\"error\" role=\"alert\" id=\"error\"><p>%s</p></div>\n", error);
	if (notice)
		html_printf(b, "<div class=\"notice\" role=\"status\" id=\"notice\"><p>%s</p></div>\n", notice);
	buf_puts(b, "<form method=\"post\" action=\"/console/signin\" class=\"signin\" id=\"signin-form\">\n");
	page_csrf_field(cr, b);
	if (signin_return_ok(console_param(cr, SIGNIN_RETURN_PARAM))) /* the page first asked for: gone to after */
		html_printf(b, "<input type=\"hidden\" name=\"" SIGNIN_RETURN_PARAM "\" value=\"%s\">\n",
		            console_param(cr, SIGNIN_RETURN_PARAM));
	html_printf(b,
	            "<fieldset><legend>Sign in as</legend>\n"
	            "<label><input type=\"radio\" name=\"usertype\" value=\"iam\" id=\"usertype-iam\"%S> IAM user</label>\n"
	            "<label><input type=\"radio\" name=\"usertype\" value=\"root\" id=\"usertype-root\"%S> Root user</label>\n"
	            "</fieldset>\n"
	            "<p><label for=\"account\">Account ID (12 digits) or account alias</label>\n"
	            "<input type=\"text\" id=\"account\" name=\"account\" value=\"%s\" required autocomplete=\"organization\" "
	            "autofocus></p>\n"
	            "<p class=\"iam-only\"><label for=\"username\">IAM user name</label>\n"
	            "<input type=\"text\" id=\"username\" name=\"username\" value=\"%s\" autocomplete=\"username\"></p>\n"
	            "<p><label for=\"password\">Password</label>\n"
	            "<input type=\"password\" id=\"password\" name=\"password\" required autocomplete=\"current-password\"></p>\n"
	            "<p><label for=\"mfacode\">MFA code (when your user has an MFA device)</label>\n"
	            "<input type=\"text\" id=\"mfacode\" name=\"mfacode\" inputmode=\"numeric\" pattern=\"[0-9]{6}\" "
	            "autocomplete=\"one-time-code\" maxlength=\"6\"></p>\n"
	            "<p><button type=\"submit\" id=\"signin-button\">Sign in</button></p>\n</form>\n",
	            root ? "" : " checked", root ? " checked" : "", account ? account : "", user);
	saml_signin_section(cr);
	page_end(cr);
}

void console_signin_form(struct console_req *cr)
{
	if (cr->s) {
		page_redirect(cr, "/console/");
		return;
	}
	signin_page(cr, NULL, NULL, NULL);
}

/* ---- checking -------------------------------------------------------------------------------------------------- */

/* The wait after `failures` failures in a row: none for the first SIGNIN_FREE_FAILURES, then SIGNIN_FIRST_DELAY_S,
 * doubling with each further failure, at most SIGNIN_MAX_DELAY_S. */
static int64_t delay_s(int64_t failures)
{
	int64_t d;

	if (failures <= SIGNIN_FREE_FAILURES)
		return 0;
	if (failures - SIGNIN_FREE_FAILURES - 1 >= 16)
		return SIGNIN_MAX_DELAY_S;
	d = SIGNIN_FIRST_DELAY_S << (failures - SIGNIN_FREE_FAILURES - 1);
	return d > SIGNIN_MAX_DELAY_S ? SIGNIN_MAX_DELAY_S : d;
}

static bool all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int first_device(void *ctx, const struct store_mfa_device *d)
{
	char *serial = ctx;

	if (!serial[0])
		snprintf(serial, MFA_SERIAL_MAX + 1, "%s", d->serial);
	return C_OK;
}

/* Reads who a attempts to be: the account, the user (or root), the stored hash (into hash), the MFA device. C_OK
 * when all exist; STORE_NOT_FOUND when something does not (hash is then a dummy, so the check takes as long). */
static int look_up(struct console_req *cr, struct attempt *a, char hash[PASSWORD_HASH_MAX + 1])
{
	struct db_tx *tx;
	struct store_account acct;
	int rc = STORE_NOT_FOUND;

	hash[0] = '\0';
	if (db_begin(cr->srv->db, false, &tx) != C_OK)
		return C_ERR;
	if (all_digits(a->account_in, ACCOUNT_ID_LEN))
		snprintf(a->account_id, sizeof(a->account_id), "%s", a->account_in);
	else if (store_alias_account(tx, a->account_in, a->account_id) != C_OK)
		a->account_id[0] = '\0';
	if (!a->account_id[0] || store_account_get(tx, a->account_id, &acct) != C_OK || strcmp(acct.status, "ACTIVE") != 0)
		goto done;
	if (a->root) {
		snprintf(a->arn, sizeof(a->arn), "arn:aws:iam::%s:root", a->account_id);
		if (store_root_login_get(tx, a->account_id, hash) != C_OK)
			goto done;
		if (store_mfa_list_owner(tx, a->account_id, NULL, NULL, 1, first_device, a->serial) < 0)
			goto done;
		rc = C_OK;
	} else {
		struct store_login_profile p;
		if (store_user_get(tx, a->account_id, a->user_in, &a->user) != C_OK)
			goto done;
		a->user_found = true;
		snprintf(a->arn, sizeof(a->arn), "arn:aws:iam::%s:user%s%s", a->account_id, a->user.path, a->user.name);
		if (store_login_get(tx, a->user.user_id, &p) != C_OK)
			goto done;
		snprintf(hash, PASSWORD_HASH_MAX + 1, "%s", p.password_hash);
		a->reset_required = p.reset_required;
		explicit_bzero(&p, sizeof(p));
		if (store_mfa_list_owner(tx, a->account_id, a->user.user_id, NULL, 1, first_device, a->serial) < 0)
			goto done;
		rc = C_OK;
	}
done:
	db_rollback(tx);
	return rc;
}

/* Verifies the MFA code of a's device (spent once: replays refused; refusals count toward the device's lockout). */
static int check_mfa(struct console_req *cr, struct attempt *a)
{
	struct db_tx *tx;
	struct aws_err err;
	int rc;

	if (db_begin(cr->srv->db, true, &tx) != C_OK)
		return C_ERR;
	rc = mfa_check(tx, a->account_id, a->serial, a->root ? NULL : a->user.user_id, a->code, cr->now_ms, &a->mfa_s, &err);
	a->mfa_rc = rc;
	if (rc == C_OK)
		return db_commit(tx);
	db_rollback(tx);
	if (rc != C_ERR && mfa_record_refusal(cr->srv->db, a->serial, rc, cr->now_ms, NULL) != C_OK)
		log_warnx("console: req=%s: cannot count the refused MFA code", cr->request_id);
	return C_ERR;
}

/* Counts a failure (ok false) or forgets them (ok true). Only for an account that exists (no row for whatever
 * anyone types), and counts older than a day are dropped with each new one: the table stays small. */
static void count(struct console_req *cr, const struct attempt *a, bool ok)
{
	struct db_tx *tx;
	int rc;

	if (!a->account_id[0] || db_begin(cr->srv->db, true, &tx) != C_OK)
		return;
	rc = ok ? store_signin_failures_clear(tx, a->account_id, a->user_key)
	        : store_signin_failures_prune(tx, cr->now_ms - 24 * 3600 * 1000LL);
	if (!ok && rc == C_OK)
		rc = store_signin_failures_add(tx, a->account_id, a->user_key, cr->now_ms);
	if (rc != C_OK || db_commit(tx) != C_OK) {
		if (rc != C_OK)
			db_rollback(tx);
		log_warnx("console: req=%s: cannot record the sign-in attempt", cr->request_id);
	}
}

/* The ConsoleLogin record (CloudTrail: eventSource signin.amazonaws.com), durable before the answer leaves. */
static int audit_login(struct console_req *cr, const struct attempt *a, bool ok, const char *why)
{
	char detail[512], response[64], ua[AUDIT_USER_AGENT_MAX + 1];
	const char *h = console_header(cr, "User-Agent");
	json_t *d = json_pack("{s:s, s:b}", "LoginTo", "/console/", "MFAUsed", a->mfa_s != 0);
	char *dj = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct store_audit rec;

	json_decref(d);
	snprintf(detail, sizeof(detail), "%s", dj ? dj : "{}");
	free(dj);
	snprintf(response, sizeof(response), "{\"ConsoleLogin\":\"%s\"}", ok ? "Success" : "Failure");
	snprintf(ua, sizeof(ua), "%s", h ? h : "");
	for (char *p = ua; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	rec = (struct store_audit){
		.time_ms = cr->now_ms,
		.request_id = cr->request_id,
		.account_id = a->account_id,
		.principal_arn = a->arn,
		.access_key_id = NULL,
		.action = "signin:ConsoleLogin",
		.resource = NULL,
		.source_ip = cr->req->source_ip,
		.outcome = ok ? "Success" : why,
		.detail = detail,
		.user_agent = ua[0] ? ua : NULL,
		.region = "us-east-1",
		.response = response,
	};
	return auditlog_commit(cr->srv->audit, &rec);
}

/* A refused attempt: counted, audited, and AWS's one answer. */
static void refuse(struct console_req *cr, struct attempt *a, const char *why)
{
	count(cr, a, false);
	if (audit_login(cr, a, false, why) != C_OK)
		log_warnx("console: req=%s: cannot record the refused sign-in in the audit trail", cr->request_id);
	{
		char acct[160], user[160]; /* what names no account or user is not logged: it may be a password */
		log_warnx("console: req=%s ip=%s account=%s user=%s: sign-in refused (%s)", cr->request_id,
		          cr->req->source_ip, a->account_id[0] ? log_value(a->account_in, acct, sizeof(acct)) : "(unknown)",
		          a->root ? "root" : a->user_found ? log_value(a->user_in, user, sizeof(user)) : "(unknown)", why);
	}
	cr->resp->status = 200;
	signin_page(cr, a, SIGNIN_INCORRECT, NULL);
}

void console_signin(struct console_req *cr)
{
	struct attempt a;
	char hash[PASSWORD_HASH_MAX + 1], token[CONSOLE_TOKEN_MAX];
	const char *type = console_param(cr, "usertype");
	int64_t failures = 0, last_ms = 0, wait;
	struct db_tx *tx;
	int found, pw;

	memset(&a, 0, sizeof(a));
	a.account_in = console_param(cr, "account");
	a.user_in = console_param(cr, "username");
	a.password = console_param(cr, "password");
	a.code = console_param(cr, "mfacode");
	a.root = type && strcmp(type, "root") == 0;
	if (!a.account_in)
		a.account_in = "";
	if (!a.user_in || a.root)
		a.user_in = "";
	if (!a.code)
		a.code = "";
	if (!a.account_in[0] || !a.password || !a.password[0] || (!a.root && !a.user_in[0]) ||
	    strlen(a.account_in) > 63 || strlen(a.user_in) > IAM_NAME_MAX || strlen(a.password) > 128) {
		signin_page(cr, &a, SIGNIN_INCORRECT, NULL);
		return;
	}
	snprintf(a.user_key, sizeof(a.user_key), "%s", a.user_in);

	found = look_up(cr, &a, hash);
	if (found == C_ERR) {
		page_error(cr, 503, "ServiceUnavailable", "The service is unavailable. Please try again.");
		return;
	}
	/* the delay: recent failures of this (account, user) refuse the attempt unseen */
	if (db_begin(cr->srv->db, false, &tx) == C_OK) {
		store_signin_failures_get(tx, a.account_id, a.user_key, &failures, &last_ms);
		db_rollback(tx);
	}
	wait = delay_s(failures) * 1000 - (cr->now_ms - last_ms);
	if (wait > 0) {
		char msg[160];
		if (audit_login(cr, &a, false, "TooManyAttempts") != C_OK)
			log_warnx("console: req=%s: cannot record the refused sign-in in the audit trail", cr->request_id);
		snprintf(msg, sizeof(msg), "Too many failed attempts. Wait %lld seconds and try again.",
		         (long long)((wait + 999) / 1000));
		signin_page(cr, &a, msg, NULL);
		explicit_bzero(hash, sizeof(hash));
		return;
	}
	/* the same work whether or not the user exists: no timing tells which */
	pw = iam_password_verify(a.password, found == C_OK ? hash : "pbkdf2-sha256$600000$AAAAAAAAAAAAAAAAAAAAAA==$"
	                                                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	explicit_bzero(hash, sizeof(hash));
	if (found != C_OK || pw != C_OK) {
		refuse(cr, &a, "Failed authentication");
		return;
	}
	if (a.serial[0]) {
		if (!a.code[0]) {
			signin_page(cr, &a, NULL, "Enter the MFA code from your authenticator app, with your password.");
			return;
		}
		if (check_mfa(cr, &a) != C_OK) {
			refuse(cr, &a, a.mfa_rc == MFA_REFUSED_LOCKED ? "MFALocked" : "Failed authentication");
			return;
		}
	}
	/* signed in */
	if (session_issue_token(cr, a.account_id, a.root ? "" : a.user.user_id, a.mfa_s, SESSION_USER_MAX_S, token,
	                        sizeof(token)) != C_OK ||
	    audit_login(cr, &a, true, NULL) != C_OK) {
		explicit_bzero(token, sizeof(token));
		page_error(cr, 503, "ServiceUnavailable", "The sign-in could not be completed. Please try again.");
		return;
	}
	count(cr, &a, true);
	if (session_start(cr, a.root ? "root" : "user", token, a.mfa_s, cr->now_ms + SESSION_USER_MAX_S * 1000LL) != C_OK) {
		explicit_bzero(token, sizeof(token));
		page_error(cr, 503, "ServiceUnavailable", "The sign-in could not be completed. Please try again.");
		return;
	}
	explicit_bzero(token, sizeof(token));
	if (a.reset_required) /* a new password first, then the page first asked for */
		page_redirect_return(cr, "/console/password", console_param(cr, SIGNIN_RETURN_PARAM));
	else if (signin_return_ok(console_param(cr, SIGNIN_RETURN_PARAM)))
		page_redirect(cr, console_param(cr, SIGNIN_RETURN_PARAM)); /* the page first asked for */
	else
		page_redirect(cr, "/console/");
}

bool signin_return_ok(const char *s)
{
	static const char prefix[] = "/console/";
	size_t n = s ? strlen(s) : 0;

	if (n < sizeof(prefix) - 1 || n > SIGNIN_RETURN_MAX || strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return false;
	if (strstr(s, "//") || strstr(s, "/../") || strstr(s, "/./") || strncmp(s, "/console/signin", 15) == 0)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '\\')
			return false;
	{ /* ".." or "." as the path's last segment */
		size_t path = strcspn(s, "?#");
		if ((path >= 3 && strncmp(s + path - 3, "/..", 3) == 0) || (path >= 2 && strncmp(s + path - 2, "/.", 2) == 0))
			return false;
	}
	return true;
}

/* ---- sign-out -------------------------------------------------------------------------------------------------- */

void console_signout(struct console_req *cr)
{
	session_end(cr);
	page_redirect(cr, "/console/signin");
}

/* ---- the password page ----------------------------------------------------------------------------------------- */

bool signin_reset_required(struct console_req *cr)
{
	struct store_login_profile p;
	struct db_tx *tx;
	bool req = false;

	if (!cr->s || cr->s->signer.kind != PRINCIPAL_USER || db_begin(cr->srv->db, false, &tx) != C_OK)
		return false;
	if (store_login_get(tx, cr->s->signer.id, &p) == C_OK)
		req = p.reset_required;
	explicit_bzero(&p, sizeof(p));
	db_rollback(tx);
	return req;
}

static void password_page(struct console_req *cr, const char *error, const char *notice)
{
	struct buf *b = cr->html;

	page_begin(cr, "Change password");
	if (error)
		html_printf(b, "<div class=\"error\" role=\"alert\" id=\"error\"><p>%s</p></div>\n", error);
	if (notice)
		html_printf(b, "<div class=\"notice\" role=\"status\" id=\"notice\"><p>%s</p></div>\n", notice);
	if (cr->s->signer.kind != PRINCIPAL_USER) {
		buf_puts(b, "<p>The root user's console password is set by the operator (<code>rolegate root-password</code>)."
		            "</p>\n");
		page_end(cr);
		return;
	}
	if (signin_reset_required(cr))
		buf_puts(b, "<p id=\"reset-required\">Your administrator requires you to set a new password before you "
		            "continue.</p>\n");
	buf_puts(b, "<form method=\"post\" action=\"/console/password\" id=\"password-form\">\n");
	page_csrf_field(cr, b);
	if (signin_return_ok(console_param(cr, SIGNIN_RETURN_PARAM))) /* gone on to once the password is set */
		html_printf(b, "<input type=\"hidden\" name=\"" SIGNIN_RETURN_PARAM "\" value=\"%s\">\n",
		            console_param(cr, SIGNIN_RETURN_PARAM));
	buf_puts(b, "<p><label for=\"oldpassword\">Old password</label>\n"
	            "<input type=\"password\" id=\"oldpassword\" name=\"oldpassword\" required "
	            "autocomplete=\"current-password\"></p>\n"
	            "<p><label for=\"newpassword\">New password</label>\n"
	            "<input type=\"password\" id=\"newpassword\" name=\"newpassword\" required "
	            "autocomplete=\"new-password\"></p>\n"
	            "<p><label for=\"newpassword2\">Confirm new password</label>\n"
	            "<input type=\"password\" id=\"newpassword2\" name=\"newpassword2\" required "
	            "autocomplete=\"new-password\"></p>\n"
	            "<p><button type=\"submit\" id=\"password-button\">Change password</button></p>\n</form>\n");
	page_end(cr);
}

void console_password_form(struct console_req *cr)
{
	password_page(cr, NULL, NULL);
}

void console_password(struct console_req *cr)
{
	const char *old = console_param(cr, "oldpassword"), *new1 = console_param(cr, "newpassword"),
	           *new2 = console_param(cr, "newpassword2");
	json_t *in, *out = NULL;
	struct aws_err err;
	int rc;

	if (!old || !new1 || !new2 || strcmp(new1, new2) != 0) {
		password_page(cr, "The new passwords do not match.", NULL);
		return;
	}
	in = json_pack("{s:s, s:s}", "OldPassword", old, "NewPassword", new1);
	if (!in) {
		page_error(cr, 500, "ServiceFailure", "Out of memory.");
		return;
	}
	rc = console_call_signer(cr, "iam", "ChangePassword", in, &out, &err);
	json_decref(in);
	json_decref(out);
	if (rc != C_OK) {
		char msg[sizeof(err.message) + 64];
		snprintf(msg, sizeof(msg), "%s: %s", aws_code_name(err.code), err.message);
		password_page(cr, msg, NULL);
		return;
	}
	if (signin_return_ok(console_param(cr, SIGNIN_RETURN_PARAM)))
		page_redirect(cr, console_param(cr, SIGNIN_RETURN_PARAM));
	else
		page_redirect(cr, "/console/?password=changed");
}
