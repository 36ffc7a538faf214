/*
 * saml.c - signing in to the console with SAML: POST /saml, where an identity provider posts its SAMLResponse
 * (IdP-initiated, as AWS's https://signin.aws.amazon.com/saml takes it), and the sign-in page's "Sign in with SAML".
 *
 *   SAMLResponse [RelayState]   the response's Role attribute is read unverified (saml_response_peek) only to learn
 *                               which providers it names (at most SAML_SIGNIN_PROVIDERS); the response is verified
 *                               against each one's metadata (saml_response_verify), and the role pairs of a verified
 *                               assertion that name that very provider are the choices. An encrypted assertion
 *                               cannot be read before it is decrypted: the providers tried are then those whose
 *                               metadata's entityID is the Response's Issuer (at most SAML_SIGNIN_PROVIDERS among
 *                               the first SAML_SIGNIN_SCAN), each verifying (and decrypting) it with its own keys
 *     one choice                sts:AssumeRoleWithSAML through the API's own path (dispatch_invoke_unsigned: verified
 *                               again by its authenticate hook, the trust policy decides, audited durably) -> a
 *                               console session of that role session (kind "federated", as /federation's), audited
 *                               as signin:ConsoleLogin -> a page that goes on to RelayState (a path of this console)
 *                               or /console/
 *     several                   a page to choose one: its form posts SAMLResponse, RelayState and roleIndex (the
 *                               role's ARN, as AWS's role choice does) back to /saml
 *   roleIndex                   that role, when it is one of the choices
 * The response is the credential: no CSRF token (the IdP's form posts from another site), and the session cookie is
 * set on a 200 page that continues by itself (federation_continue_to: a SameSite=Strict cookie set in a cross-site
 * navigation is not sent on its redirect). Refusals are pages with AWS's codes and messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "console/page.h"
#include "console/routes.h"
#include "console/session.h"
#include "federation/saml.h"
#include "iam/iam.h"
#include "iam/saml_keys.h"
#include "server/dispatch.h"
#include "server/tokens.h"
#include "store/saml.h"
#include "util/common.h"
#include "util/log.h"

#define ATTR_ROLE "https://aws.amazon.com/SAML/Attributes/Role"
#define SAML_SIGNIN_PROVIDERS 8 /* providers a response may name (each costs a signature verification) */
#define SAML_SIGNIN_ROLES 32    /* roles offered on the choice page */
#define SAML_SIGNIN_LINKS 8     /* providers the sign-in page links to */
#define SAML_SIGNIN_SCAN 1000   /* providers whose entityID an encrypted response's Issuer is looked for among */

struct choice {
	char role[ARN_MAX + 1];
	char provider[ARN_MAX + 1];
};

struct choices {
	struct choice c[SAML_SIGNIN_ROLES];
	size_t n;
};

/* Splits one value of the Role attribute, "ROLE_ARN,PROVIDER_ARN" (either order, spaces around ignored), into ch.
 * C_ERR when it is not such a pair. */
static int split_pair(const char *value, struct choice *ch)
{
	char a[ARN_MAX + 1], b[ARN_MAX + 1], name[SAML_PROVIDER_NAME_MAX + 1];
	const char *comma = strchr(value, ',');
	size_t la;

	if (!comma || strchr(comma + 1, ',') || (size_t)(comma - value) > ARN_MAX || strlen(comma + 1) > ARN_MAX)
		return C_ERR;
	la = (size_t)(comma - value);
	memcpy(a, value, la);
	a[la] = '\0';
	snprintf(b, sizeof(b), "%s", comma + 1);
	for (char *s = a; s; s = s == a ? b : NULL) { /* trim both */
		size_t n = strlen(s), i = 0;
		while (n && s[n - 1] == ' ')
			s[--n] = '\0';
		while (s[i] == ' ')
			i++;
		memmove(s, s + i, n - i + 1);
	}
	if (iam_saml_provider_name(a, NULL, name, sizeof(name)) == C_OK) { /* provider first */
		char t[ARN_MAX + 1];
		memcpy(t, a, sizeof(t));
		memcpy(a, b, sizeof(a));
		memcpy(b, t, sizeof(b));
	}
	if (iam_saml_provider_name(b, NULL, name, sizeof(name)) != C_OK || strncmp(a, "arn:aws:iam::", 13) != 0 ||
	    !strstr(a, ":role/"))
		return C_ERR;
	snprintf(ch->role, sizeof(ch->role), "%s", a);
	snprintf(ch->provider, sizeof(ch->provider), "%s", b);
	return C_OK;
}

/* The URL of this server's own /saml, as the browser reached it (a Recipient sts/saml.c accepts too). */
static void own_recipient(struct console_req *cr, char *out, size_t cap)
{
	const char *host = console_header(cr, "Host");

	out[0] = '\0';
	if (host && !strpbrk(host, "/?#@ "))
		snprintf(out, cap, "%s://%s/saml", cr->req->tls ? "https" : "http", host);
}

/* Verifies b64 against provider_arn's metadata: SAML_VALID with *as its verified claims (cleared by the caller). */
static enum saml_verdict verify_with(struct console_req *cr, const char *b64, const char *provider_arn,
                                     struct saml_assertion *as, char err[SAML_ERR_MAX])
{
	char name[SAML_PROVIDER_NAME_MAX + 1], account[ACCOUNT_ID_LEN + 1], own[300];
	struct store_saml_provider p = {0};
	struct saml_metadata md;
	struct saml_expect exp = {.now_s = cr->now_ms / 1000};
	struct saml_keys keys = {0};
	struct db_tx *tx;
	enum saml_verdict v;
	int rc;

	memset(as, 0, sizeof(*as));
	snprintf(account, sizeof(account), "%.12s", provider_arn + 13);
	if (iam_saml_provider_name(provider_arn, account, name, sizeof(name)) != C_OK) {
		snprintf(err, SAML_ERR_MAX, "Specified provider doesn't exist.");
		return SAML_INVALID;
	}
	if (db_begin(cr->srv->db, false, &tx) != C_OK) {
		snprintf(err, SAML_ERR_MAX, "The service is unavailable. Please try again.");
		return SAML_FAILURE;
	}
	rc = store_saml_get(tx, account, name, &p);
	if (rc == C_OK && saml_keys_load(tx, p.provider_id, p.encryption_mode, &keys) != C_OK) {
		store_saml_clear(&p);
		rc = C_ERR;
	}
	db_rollback(tx);
	if (rc != C_OK) {
		snprintf(err, SAML_ERR_MAX, rc == STORE_NOT_FOUND ? "Specified provider doesn't exist."
		                                                  : "The service is unavailable. Please try again.");
		return rc == STORE_NOT_FOUND ? SAML_INVALID : SAML_FAILURE;
	}
	rc = saml_metadata_parse(p.metadata, strlen(p.metadata), &md, err);
	store_saml_clear(&p);
	if (rc != C_OK) {
		saml_keys_clear(&keys);
		snprintf(err, SAML_ERR_MAX, "Unable to read the metadata of the specified provider");
		return SAML_INVALID;
	}
	own_recipient(cr, own, sizeof(own));
	exp.own_recipient = own[0] ? own : NULL;
	exp.keys = &keys;
	v = saml_response_verify(b64, strlen(b64), &md, &exp, as, err);
	saml_keys_clear(&keys);
	saml_metadata_clear(&md);
	return v;
}

/* Adds ch to cs unless there already or full. */
static void add_choice(struct choices *cs, const struct choice *ch)
{
	for (size_t i = 0; i < cs->n; i++)
		if (strcmp(cs->c[i].role, ch->role) == 0 && strcmp(cs->c[i].provider, ch->provider) == 0)
			return;
	if (cs->n < SAML_SIGNIN_ROLES)
		cs->c[cs->n++] = *ch;
}

/* Providers whose metadata's entityID is an encrypted response's Issuer. */
struct issuer_scan {
	const char *issuer;
	char (*arns)[ARN_MAX + 1];
	size_t n;
};

static int scan_one(void *ctx, const struct store_saml_provider *p)
{
	struct issuer_scan *s = ctx;
	struct saml_metadata md;
	char err[SAML_ERR_MAX];

	/* the entityID is in the document's text: only those documents are parsed */
	if (s->n == SAML_SIGNIN_PROVIDERS || !p->metadata || !strstr(p->metadata, s->issuer) ||
	    saml_metadata_parse(p->metadata, strlen(p->metadata), &md, err) != C_OK)
		return C_OK;
	if (strcmp(md.entity_id, s->issuer) == 0)
		snprintf(s->arns[s->n++], ARN_MAX + 1, "arn:aws:iam::%s:saml-provider/%s", p->account_id, p->name);
	saml_metadata_clear(&md);
	return C_OK;
}

/* The providers to verify the response against (see the top of this file) into providers: their number, 0 with
 * err (and *v) saying why. */
static size_t candidates(struct console_req *cr, const char *b64, char providers[][ARN_MAX + 1],
                         enum saml_verdict *v, char err[SAML_ERR_MAX])
{
	char *issuer = saml_response_encrypted_issuer(b64, strlen(b64));
	const struct saml_attribute *roles;
	struct saml_assertion peek;
	struct choice ch;
	size_t np = 0;

	*v = SAML_INVALID;
	if (issuer) {
		struct issuer_scan s = {.issuer = issuer, .arns = providers};
		struct db_tx *tx;
		int rc = C_ERR;
		if (db_begin(cr->srv->db, false, &tx) == C_OK) {
			rc = store_saml_list_all(tx, SAML_SIGNIN_SCAN, scan_one, &s);
			db_rollback(tx);
		}
		free(issuer);
		if (rc == C_ERR) {
			*v = SAML_FAILURE;
			snprintf(err, SAML_ERR_MAX, "The service is unavailable. Please try again.");
			return 0;
		}
		if (!s.n)
			snprintf(err, SAML_ERR_MAX, "Issuer not present in specified provider");
		return s.n;
	}
	if ((*v = saml_response_peek(b64, strlen(b64), NULL, &peek, err)) != SAML_VALID) {
		saml_assertion_clear(&peek);
		return 0;
	}
	*v = SAML_INVALID;
	roles = saml_attribute(&peek, ATTR_ROLE);
	for (size_t i = 0; roles && i < roles->n; i++) {
		bool seen = false;
		if (split_pair(roles->values[i], &ch) != C_OK)
			continue;
		for (size_t j = 0; j < np; j++)
			seen = seen || strcmp(providers[j], ch.provider) == 0;
		if (!seen && np < SAML_SIGNIN_PROVIDERS)
			snprintf(providers[np++], ARN_MAX + 1, "%s", ch.provider);
	}
	saml_assertion_clear(&peek);
	if (np == 0)
		snprintf(err, SAML_ERR_MAX, "The SAML response names no role: its %s attribute must hold ROLE_ARN,PROVIDER_ARN",
		         ATTR_ROLE);
	return np;
}

/* The roles the response may sign in to (see the top of this file). SAML_VALID with cs->n > 0, or the verdict of
 * the last verification with err saying why. */
static enum saml_verdict find_choices(struct console_req *cr, const char *b64, struct choices *cs,
                                      char err[SAML_ERR_MAX])
{
	char providers[SAML_SIGNIN_PROVIDERS][ARN_MAX + 1];
	const struct saml_attribute *roles;
	struct saml_assertion as;
	enum saml_verdict v;
	struct choice ch;
	size_t np;

	cs->n = 0;
	if ((np = candidates(cr, b64, providers, &v, err)) == 0)
		return v;
	v = SAML_INVALID;
	for (size_t j = 0; j < np; j++) {
		enum saml_verdict vj = verify_with(cr, b64, providers[j], &as, err);
		if (vj == SAML_VALID && (roles = saml_attribute(&as, ATTR_ROLE))) /* the verified assertion's pairs */
			for (size_t i = 0; i < roles->n; i++)
				if (split_pair(roles->values[i], &ch) == C_OK && strcmp(ch.provider, providers[j]) == 0)
					add_choice(cs, &ch);
		saml_assertion_clear(&as);
		if (vj != SAML_VALID && v != SAML_VALID)
			v = vj;
		else if (vj == SAML_VALID)
			v = SAML_VALID;
	}
	if (v == SAML_VALID && cs->n == 0) {
		snprintf(err, SAML_ERR_MAX, "Not authorized to perform sts:AssumeRoleWithSAML");
		return SAML_INVALID;
	}
	return v;
}

/* Where to go once signed in: RelayState when it is a page of this console, else its home. */
static const char *destination(struct console_req *cr)
{
	const char *relay = console_param(cr, "RelayState");

	return relay && signin_return_ok(relay) ? relay : "/console/";
}

/* Wipes a secret string of a JSON tree (before it is released). */
static void wipe(json_t *s)
{
	if (json_is_string(s))
		explicit_bzero((char *)json_string_value(s), json_string_length(s));
}

/* Signs the browser in to ch's role: AssumeRoleWithSAML, then a console session of it. */
static void sign_in(struct console_req *cr, const char *b64, const struct choice *ch)
{
	json_t *in = json_pack("{s:s, s:s, s:s}", "RoleArn", ch->role, "PrincipalArn", ch->provider, "SAMLAssertion", b64);
	json_t *out = NULL, *cred, *detail = NULL;
	struct session_claims cl = {0};
	struct aws_err err = {0};
	const char *token, *dest = destination(cr);
	int rc;

	if (!in) {
		page_error(cr, 503, "ServiceUnavailable", "The service is unavailable. Please try again.");
		return;
	}
	rc = dispatch_invoke_unsigned(cr->srv, cr->req, "sts", "AssumeRoleWithSAML", in, &out, &err);
	json_decref(in);
	if (rc != C_OK) {
		page_error(cr, aws_code_status(err.code), aws_code_name(err.code), err.message);
		return;
	}
	cred = json_object_get(out, "Credentials");
	token = json_string_value(json_object_get(cred, "SessionToken"));
	detail = json_pack("{s:s, s:b, s:s}", "LoginTo", dest, "MFAUsed", 0, "SAMLProviderArn", ch->provider);
	if (!token || token_open(cr->srv->keyring, token, &cl) != C_OK || !detail ||
	    federation_audit(cr, "signin:ConsoleLogin", &cl, "Success", detail, CONSOLE_LOGIN_SUCCESS) != C_OK ||
	    session_start(cr, "federated", token, 0, cl.expires_s * 1000) != C_OK) {
		page_error(cr, 503, "ServiceUnavailable", "The service is unavailable. Please try again.");
		goto done;
	}
	federation_continue_to(cr, dest);
done:
	wipe(json_object_get(cred, "SecretAccessKey"));
	wipe(json_object_get(cred, "SessionToken"));
	json_decref(out);
	json_decref(detail);
	claims_clear(&cl);
}

/* The role choice page (several roles). */
static void choice_page(struct console_req *cr, const char *b64, const struct choices *cs)
{
	struct buf *b = cr->html;
	const char *relay = console_param(cr, "RelayState");

	page_begin(cr, "Choose a role");
	buf_puts(b, "<form method=\"post\" action=\"/saml\" class=\"saml-roles\" id=\"saml-roles\">\n"
	            "<fieldset><legend>Your identity provider signs you in to one of these roles</legend>\n");
	html_printf(b, "<input type=\"hidden\" name=\"SAMLResponse\" value=\"%s\">\n", b64);
	if (relay && signin_return_ok(relay))
		html_printf(b, "<input type=\"hidden\" name=\"RelayState\" value=\"%s\">\n", relay);
	for (size_t i = 0; i < cs->n; i++) {
		const char *name = strrchr(cs->c[i].role, '/');
		char account[ACCOUNT_ID_LEN + 1];
		snprintf(account, sizeof(account), "%s", cs->c[i].role + 13); /* arn:aws:iam::ACCOUNT:role/... */
		html_printf(b,
		            "<p><label><input type=\"radio\" name=\"roleIndex\" value=\"%s\" id=\"role-%zu\"%S> %s "
		            "<span class=\"account\">(account %s)</span></label></p>\n",
		            cs->c[i].role, i, i == 0 ? " checked" : "", name ? name + 1 : cs->c[i].role, account);
	}
	buf_puts(b, "</fieldset>\n<p><button type=\"submit\" id=\"saml-signin\">Sign in</button></p>\n</form>\n");
	page_end(cr);
}

void console_saml(struct console_req *cr)
{
	const char *b64 = console_param(cr, "SAMLResponse"), *chosen = console_param(cr, "roleIndex");
	struct choices *cs = calloc(1, sizeof(*cs));
	char err[SAML_ERR_MAX];
	enum saml_verdict v;

	if (!cs) {
		page_error(cr, 503, "ServiceUnavailable", "The service is unavailable. Please try again.");
		return;
	}
	if (!b64 || !*b64) {
		page_error(cr, 400, "InvalidParameterValue", "SAMLResponse is required: your identity provider posts it.");
		goto done;
	}
	v = find_choices(cr, b64, cs, err);
	if (v != SAML_VALID) {
		if (v == SAML_FAILURE)
			page_error(cr, 503, "ServiceUnavailable", "The service is unavailable. Please try again.");
		else if (v == SAML_EXPIRED)
			page_error(cr, 400, aws_code_name(ERR_EXPIRED_IDENTITY_TOKEN), err);
		else if (strcmp(err, "Not authorized to perform sts:AssumeRoleWithSAML") == 0)
			page_error(cr, 403, aws_code_name(ERR_ACCESS_DENIED), err);
		else
			page_error(cr, 400, aws_code_name(ERR_INVALID_IDENTITY_TOKEN), err);
		goto done;
	}
	if (chosen) {
		for (size_t i = 0; i < cs->n; i++)
			if (strcmp(cs->c[i].role, chosen) == 0) {
				sign_in(cr, b64, &cs->c[i]);
				goto done;
			}
		page_error(cr, 403, aws_code_name(ERR_ACCESS_DENIED), "Not authorized to perform sts:AssumeRoleWithSAML");
	} else if (cs->n == 1) {
		sign_in(cr, b64, &cs->c[0]);
	} else {
		choice_page(cr, b64, cs);
	}
done:
	free(cs);
}

/* ---- the sign-in page's section ------------------------------------------------------------------------------- */

struct links {
	char url[SAML_SIGNIN_LINKS][1025];
	size_t n, providers;
};

static int add_link(void *ctx, const struct store_saml_provider *p)
{
	struct links *l = ctx;
	struct saml_metadata md;
	char err[SAML_ERR_MAX];
	bool seen = false;

	l->providers++;
	if (!p->metadata || saml_metadata_parse(p->metadata, strlen(p->metadata), &md, err) != C_OK)
		return C_OK; /* a provider whose metadata no longer reads offers no link */
	for (size_t i = 0; md.sso_url && i < l->n; i++)
		seen = seen || strcmp(l->url[i], md.sso_url) == 0;
	if (md.sso_url && !seen && l->n < SAML_SIGNIN_LINKS)
		snprintf(l->url[l->n++], sizeof(l->url[0]), "%s", md.sso_url);
	saml_metadata_clear(&md);
	return C_OK;
}

void saml_signin_section(struct console_req *cr)
{
	struct links *l = calloc(1, sizeof(*l));
	struct db_tx *tx;
	int rc = C_ERR;

	if (!l)
		return;
	if (db_begin(cr->srv->db, false, &tx) == C_OK) {
		rc = store_saml_list_all(tx, SAML_SIGNIN_LINKS, add_link, l);
		db_rollback(tx);
	}
	if (rc != C_ERR && l->providers > 0) {
		buf_puts(cr->html, "<section class=\"saml-signin\" id=\"saml-signin\" aria-labelledby=\"saml-signin-title\">\n"
		                   "<h2 id=\"saml-signin-title\">Sign in with SAML</h2>\n"
		                   "<p>Your company's identity provider signs you in to a role: start there. It posts its "
		                   "response to this console's <code>/saml</code>.</p>\n");
		if (l->n) {
			buf_puts(cr->html, "<ul>\n");
			for (size_t i = 0; i < l->n; i++) {
				const char *h = strstr(l->url[i], "://") + 3;
				char host[256];
				snprintf(host, sizeof(host), "%.*s", (int)strcspn(h, "/:?#"), h);
				html_printf(cr->html, "<li><a href=\"%s\" id=\"saml-idp-%zu\">Sign in with SAML: %s</a></li>\n",
				            l->url[i], i, host);
			}
			buf_puts(cr->html, "</ul>\n");
		}
		buf_puts(cr->html, "</section>\n");
	}
	free(l);
}
