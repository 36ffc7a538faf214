/*
 * mfa.c - /console/mfa: one's own virtual MFA device, as AWS's console manages it ("Assign MFA device", "Remove"),
 * for an IAM user and for the root user (AWS enables root devices from its console only; IAM names the root here by
 * its account id as UserName).
 *
 *   GET  /console/mfa          the devices; with none, the offer to assign one, made only when the signer's policies
 *                              allow iam:CreateVirtualMFADevice and iam:EnableMFADevice for it (asked of the engine
 *                              without acting: a dry run, dispatch_authorize_token); otherwise AWS's refusal is shown
 *   POST /console/mfa/create   CreateVirtualMFADevice (named after the user, "root-account-mfa-device" for the root;
 *                              an unassigned leftover of an abandoned enrolment is deleted first): the QR code (a
 *                              data: URI) and the secret, shown once, and the form for two consecutive codes
 *   POST /console/mfa/enable   EnableMFADevice with the two codes; a wrong pair shows AWS's error and asks again
 *   POST /console/mfa/remove   DeactivateMFADevice, then DeleteVirtualMFADevice (a virtual device is removed whole)
 *
 * Every call is made through console_call_signer() as who signed in (never a switched-to role: devices belong to the
 * user), authorized and audited as the API call. The seed never enters a URL or a log: it is in the
 * CreateVirtualMFADevice answer (wiped once written) and in the page (sent no-store, its buffer wiped once sent).
 * A federated session (a role's) has no devices: the page says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/page.h"
#include "console/routes.h"
#include "console/session.h"
#include "console/views.h"
#include "server/dispatch.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/totp.h"

#define MFA_PAGE_REST_MAX 32768 /* the enrolment page but for its QR code and secret (layout, codes form) */
#define ROOT_DEVICE_NAME "root-account-mfa-device" /* the name AWS's console gives the root user's device */
#define NOT_OWNER "MFA devices here are an IAM user's or the root user's own. This sign-in (a federated role " \
                  "session) has none."

/* Whose devices the page manages: the signed-in IAM user's, or the root user's. */
struct owner {
	const char *user_name; /* the API's UserName: the user's name; the account id for the root (as IAM takes it) */
	const char *device;    /* the name of the virtual device the page creates */
	const char *who;       /* shown */
};

/* The signer as an owner of devices: C_OK, or C_ERR for a federated session (the page says why). */
static int mfa_owner(struct console_req *cr, struct owner *o)
{
	if (!cr->s)
		return C_ERR;
	if (cr->s->signer.kind == PRINCIPAL_USER) {
		o->user_name = o->device = o->who = cr->s->signer.name;
		return C_OK;
	}
	if (cr->s->signer.kind == PRINCIPAL_ROOT) {
		o->user_name = cr->s->signer.account_id;
		o->device = ROOT_DEVICE_NAME;
		o->who = "the root user";
		return C_OK;
	}
	return C_ERR;
}

/* The serial of a virtual device named name in the signer's account: arn:aws:iam::ACCOUNT:mfa/NAME. */
static void device_serial(struct console_req *cr, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "arn:aws:iam::%s:mfa/%s", cr->s->signer.account_id, name);
}

/* A dry run's verdict, kept for may(). */
struct verdict {
	int rc;
	struct aws_err err;
};

static void keep_verdict(void *ctx, size_t i, int rc, const struct aws_err *err)
{
	struct verdict *v = ctx;

	(void)i;
	v->rc = rc;
	if (rc != C_OK)
		v->err = *err;
}

/* Whether the user's policies allow iam:operation with in, asked of the engine without acting (a dry run of the
 * call's own authorization). Fails closed: anything undecided counts as refused, with err saying why. */
static bool may(struct console_req *cr, const char *operation, json_t *in, struct aws_err *err)
{
	struct verdict v = {.rc = C_ERR};

	if (dispatch_authorize_token(cr->srv, cr->req, cr->s->row.token, "iam", operation, &in, 1, keep_verdict, &v,
	                             err) != C_OK)
		return false;
	if (v.rc != C_OK)
		*err = v.err;
	return v.rc == C_OK;
}

/* The offer to assign a device, or why there is none. */
static void offer(struct console_req *cr, const struct owner *o)
{
	char serial[512];
	json_t *create, *enable;
	struct aws_err err;
	bool ok;

	device_serial(cr, o->device, serial, sizeof(serial));
	create = json_pack("{s:s}", "VirtualMFADeviceName", o->device);
	enable = json_pack("{s:s, s:s, s:s, s:s}", "UserName", o->user_name, "SerialNumber", serial, "AuthenticationCode1",
	                   "000000", "AuthenticationCode2", "000000");
	ok = may(cr, "CreateVirtualMFADevice", create, &err) && may(cr, "EnableMFADevice", enable, &err);
	json_decref(create);
	json_decref(enable);
	if (!ok) {
		buf_puts(cr->html, "<div id=\"mfa-not-offered\"><p>You have no MFA device, and your permissions do not "
		                   "allow you to assign one. Ask an administrator.</p>\n");
		views_section_error(cr, &err, false);
		buf_puts(cr->html, "</div>\n");
		return;
	}
	buf_puts(cr->html, "<p>You have no MFA device. Assign a virtual MFA device (an authenticator app) to protect "
	                   "your sign-in and to enter roles that require MFA.</p>\n"
	                   "<form method=\"post\" action=\"/console/mfa/create\" id=\"mfa-assign\">\n");
	page_csrf_field(cr, cr->html);
	buf_puts(cr->html, "<button type=\"submit\">Assign MFA device</button>\n</form>\n");
}

void console_mfa(struct console_req *cr)
{
	const char *notice = console_param(cr, "done");
	struct owner o;
	json_t *in = NULL, *out = NULL, *d;
	struct aws_err err;
	size_t i;

	page_begin(cr, "My MFA device");
	if (notice && strcmp(notice, "enabled") == 0)
		buf_puts(cr->html, "<p class=\"notice\" role=\"status\" id=\"mfa-enabled\">Your MFA device is assigned. "
		                   "Sign in with a code from it from now on.</p>\n");
	else if (notice && strcmp(notice, "removed") == 0)
		buf_puts(cr->html, "<p class=\"notice\" role=\"status\" id=\"mfa-removed\">Your MFA device is removed.</p>\n");
	if (mfa_owner(cr, &o) != C_OK) {
		html_printf(cr->html, "<p>%s</p>\n", NOT_OWNER);
		page_end(cr);
		return;
	}
	if (cr->s->role_active)
		html_printf(cr->html, "<p>These are the devices of <strong>%s</strong>, who signed in (not of the role in "
		                      "use).</p>\n",
		            o.who);
	in = json_pack("{s:s}", "UserName", o.user_name);
	if (console_call_signer(cr, "iam", "ListMFADevices", in, &out, &err) != C_OK) {
		views_section_error(cr, &err, false);
		goto done;
	}
	if (json_array_size(json_object_get(out, "MFADevices")) == 0) {
		offer(cr, &o);
		goto done;
	}
	buf_puts(cr->html, "<table class=\"list\" id=\"mfa-devices\" aria-label=\"Your MFA devices\"><thead><tr>"
	                   "<th scope=\"col\">Serial number</th><th scope=\"col\">Enabled</th>"
	                   "<th scope=\"col\">Action</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(out, "MFADevices"), i, d)
	{
		const char *serial = json_string_value(json_object_get(d, "SerialNumber"));
		html_printf(cr->html, "<tr><td><code>%s</code></td><td>", serial);
		views_date(cr->html, json_object_get(d, "EnableDate"));
		buf_puts(cr->html, "</td><td><form method=\"post\" action=\"/console/mfa/remove\" class=\"inline\">\n");
		page_csrf_field(cr, cr->html);
		html_printf(cr->html, "<input type=\"hidden\" name=\"serial\" value=\"%s\">"
		                      "<button type=\"submit\" aria-label=\"Remove %s\">Remove</button></form></td></tr>\n",
		            serial, serial);
	}
	buf_puts(cr->html, "</tbody></table>\n<p>To replace a device, remove it, then assign a new one.</p>\n");
done:
	page_end(cr);
	json_decref(in);
	json_decref(out);
}

/* The form for the two codes (serial: the device being enabled). */
static void codes_form(struct console_req *cr, const char *serial)
{
	buf_puts(cr->html, "<form method=\"post\" action=\"/console/mfa/enable\" id=\"mfa-codes\">\n");
	page_csrf_field(cr, cr->html);
	html_printf(cr->html,
	            "<input type=\"hidden\" name=\"serial\" value=\"%s\">\n"
	            "<p><label for=\"code1\">MFA code 1</label> <input id=\"code1\" name=\"code1\" inputmode=\"numeric\" "
	            "autocomplete=\"one-time-code\" pattern=\"[0-9]{6}\" maxlength=\"6\" required></p>\n"
	            "<p><label for=\"code2\">MFA code 2 (the next one, 30 seconds later)</label> <input id=\"code2\" "
	            "name=\"code2\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9]{6}\" "
	            "maxlength=\"6\" required></p>\n<button type=\"submit\">Add MFA</button>\n</form>\n",
	            serial);
	buf_puts(cr->html, "<form method=\"post\" action=\"/console/mfa/create\" class=\"inline\" id=\"mfa-restart\">\n");
	page_csrf_field(cr, cr->html);
	buf_puts(cr->html, "<button type=\"submit\">Start over with a new secret</button>\n</form>\n");
}

/* Overwrites the seed and the QR code (which encodes it) in a CreateVirtualMFADevice answer. */
static void wipe_device(json_t *dev)
{
	static const char *const members[] = {"Base32StringSeed", "QRCodePNG"};

	for (size_t i = 0; i < ARRAY_LEN(members); i++) {
		json_t *v = json_object_get(dev, members[i]);
		if (json_is_string(v))
			explicit_bzero((char *)json_string_value(v), json_string_length(v));
	}
}

/* CreateVirtualMFADevice named name; an unassigned device already of that name (an enrolment abandoned after its
 * QR code was shown) is deleted first, as the user's policy allows. */
static int create_device(struct console_req *cr, const char *name, json_t **out, struct aws_err *err)
{
	json_t *in = json_pack("{s:s}", "VirtualMFADeviceName", name), *del;
	char serial[512];
	struct aws_err derr;
	int rc;

	rc = console_call_signer(cr, "iam", "CreateVirtualMFADevice", in, out, err);
	if (rc != C_OK && err->code == ERR_ENTITY_ALREADY_EXISTS) {
		json_t *none = NULL;
		device_serial(cr, name, serial, sizeof(serial));
		del = json_pack("{s:s}", "SerialNumber", serial);
		if (console_call_signer(cr, "iam", "DeleteVirtualMFADevice", del, &none, &derr) == C_OK)
			rc = console_call_signer(cr, "iam", "CreateVirtualMFADevice", in, out, err);
		json_decref(none);
		json_decref(del);
	}
	json_decref(in);
	return rc;
}

void console_mfa_create(struct console_req *cr)
{
	const char *serial, *png, *seed_b64;
	struct owner o;
	json_t *out = NULL, *dev;
	struct aws_err err;
	uint8_t *text = NULL;
	size_t n = 0;

	if (mfa_owner(cr, &o) != C_OK) {
		page_error(cr, 400, NULL, NOT_OWNER);
		return;
	}
	if (create_device(cr, o.device, &out, &err) != C_OK) {
		page_aws_error(cr, &err);
		return;
	}
	dev = json_object_get(out, "VirtualMFADevice");
	serial = json_string_value(json_object_get(dev, "SerialNumber"));
	png = json_string_value(json_object_get(dev, "QRCodePNG"));
	seed_b64 = json_string_value(json_object_get(dev, "Base32StringSeed"));
	if (!serial || !png || !seed_b64 || !(text = base64_decode(seed_b64, strlen(seed_b64), &n)) ||
	    n != TOTP_SEED_B32_LEN) {
		page_error(cr, 500, "ServiceFailure", "The device's secret could not be read.");
		goto done;
	}
	/* room for the whole page first (page_begin empties the buffer but keeps it): a buffer that grew after the seed
	 * was written would leave a copy of it in freed memory */
	buf_reset(cr->html);
	if (buf_reserve(cr->html, strlen(png) + n + MFA_PAGE_REST_MAX) != C_OK) {
		page_error(cr, 500, "ServiceFailure", "The page could not be made.");
		goto done;
	}
	cr->resp->sensitive = true; /* the page holds the seed: its buffer is wiped once sent */
	page_begin(cr, "Assign MFA device");
	buf_puts(cr->html, "<ol class=\"steps\">\n<li><p>Open an authenticator app on your phone or computer.</p></li>\n"
	                   "<li><p>Scan this QR code with it, or type the secret key.</p>\n");
	html_printf(cr->html, "<p><img id=\"mfa-qr\" src=\"data:image/png;base64,%s\" alt=\"QR code of the MFA secret\" "
	                      "width=\"200\" height=\"200\"></p>\n<p>Secret key: <code id=\"mfa-secret\">",
	            png);
	buf_append(cr->html, text, n); /* base32 text: A-Z and 2-7, nothing to escape */
	html_printf(cr->html, "</code></p>\n<p>It is shown only now.</p></li>\n<li><p>Type two consecutive codes from "
	                      "the app.</p>\n");
	codes_form(cr, serial);
	buf_puts(cr->html, "</li>\n</ol>\n");
	page_end(cr);
done:
	if (text) {
		explicit_bzero(text, n);
		free(text);
	}
	wipe_device(dev);
	json_decref(out);
}

/* Whether serial names a device of the signer's account (arn:aws:iam::ACCOUNT:mfa/...). */
static bool own_account_serial(struct console_req *cr, const char *serial)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:mfa/", cr->s->signer.account_id);
	return serial && strncmp(serial, prefix, strlen(prefix)) == 0 && strlen(serial) < 512;
}

void console_mfa_enable(struct console_req *cr)
{
	const char *serial = console_param(cr, "serial");
	const char *code1 = console_param(cr, "code1"), *code2 = console_param(cr, "code2");
	json_t *in, *out = NULL;
	struct aws_err err;

	struct owner o;

	if (mfa_owner(cr, &o) != C_OK || !own_account_serial(cr, serial) || !code1 || !code2) {
		page_error(cr, 400, "InvalidInput", "The form is incomplete.");
		return;
	}
	in = json_pack("{s:s, s:s, s:s, s:s}", "UserName", o.user_name, "SerialNumber", serial, "AuthenticationCode1", code1,
	               "AuthenticationCode2", code2);
	if (console_call_signer(cr, "iam", "EnableMFADevice", in, &out, &err) == C_OK) {
		page_redirect(cr, "/console/mfa?done=enabled");
	} else {
		page_begin(cr, "Assign MFA device");
		cr->resp->status = aws_code_status(err.code);
		views_section_error(cr, &err, false);
		buf_puts(cr->html, "<p>Type two consecutive codes from your authenticator app again.</p>\n");
		codes_form(cr, serial);
		page_end(cr);
	}
	json_decref(in);
	json_decref(out);
}

void console_mfa_remove(struct console_req *cr)
{
	const char *serial = console_param(cr, "serial");
	json_t *in, *din, *out = NULL;
	struct aws_err err;
	struct owner o;

	if (mfa_owner(cr, &o) != C_OK || !own_account_serial(cr, serial)) {
		page_error(cr, 400, "InvalidInput", "The form is incomplete.");
		return;
	}
	in = json_pack("{s:s, s:s}", "UserName", o.user_name, "SerialNumber", serial);
	din = json_pack("{s:s}", "SerialNumber", serial);
	if (console_call_signer(cr, "iam", "DeactivateMFADevice", in, &out, &err) != C_OK) {
		page_aws_error(cr, &err);
		goto done;
	}
	json_decref(out);
	out = NULL;
	if (console_call_signer(cr, "iam", "DeleteVirtualMFADevice", din, &out, &err) != C_OK) {
		page_begin(cr, "My MFA device");
		cr->resp->status = aws_code_status(err.code);
		buf_puts(cr->html, "<p>The device is deactivated (no longer asked for at sign-in) but could not be deleted:</p>\n");
		views_section_error(cr, &err, false);
		page_end(cr);
		goto done;
	}
	page_redirect(cr, "/console/mfa?done=removed");
done:
	json_decref(in);
	json_decref(din);
	json_decref(out);
}
