/*
 * broker.c - a profile's credentials: the chain walked, the caches consulted, STS asked, MFA prompted (see broker.h).
 */
#include "cli/broker.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/awsconfig.h"
#include "cli/capture.h"
#include "cli/mfa_prompt.h"
#include "cli/sts_client.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/timeutil.h"

#define PROCESS_OUTPUT_MAX (64 * 1024) /* what a credential_process may print */
#define MFA_SESSION_MIN_S 60           /* an MFA session is used while it has at least this long to live */
#define MFA_TRIES 3                    /* typed codes that STS rejected: asked again up to this many times in all */
#define DEPTH_ENV "ROLEGATE_BROKER_DEPTH"

/* One broker_credentials call: the configuration, the options, the STS client once one is needed. */
struct ctx {
	const struct awsconfig *cfg;
	const struct broker_opts *o;
	const char *profile;      /* the profile asked for */
	struct sts_client sts;
	bool sts_ready;
	char *err;                /* BROKER_ERR_MAX */
};

static void fail(struct ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets the error message: "profile NAME: " and the text. */
static void fail(struct ctx *x, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(x->err, BROKER_ERR_MAX, "profile %s: ", x->profile);

	va_start(ap, fmt);
	vsnprintf(x->err + n, BROKER_ERR_MAX - (size_t)n, fmt, ap);
	va_end(ap);
}

int64_t broker_refresh_window(int64_t lifetime_s)
{
	return lifetime_s / 3 < CACHE_REFRESH_S ? lifetime_s / 3 : CACHE_REFRESH_S;
}

void broker_result_clear(struct broker_result *r)
{
	explicit_bzero(r, sizeof(*r));
}

static int copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return C_ERR;
	memcpy(dst, src, n + 1);
	return C_OK;
}

/* ---- source credentials ---------------------------------------------------------------------------------------- */

static int set_keys(struct cache_creds *c, const char *akid, const char *secret, const char *token)
{
	if (copy(c->access_key_id, sizeof(c->access_key_id), akid) != C_OK ||
	    copy(c->secret_access_key, sizeof(c->secret_access_key), secret) != C_OK ||
	    copy(c->session_token, sizeof(c->session_token), token ? token : "") != C_OK)
		return C_ERR;
	return C_OK;
}

/* credential_source = Environment: the variables botocore's EnvProvider reads. */
static int from_environment(struct ctx *x, struct cache_creds *c)
{
	const char *akid = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN"), *exp = getenv("AWS_CREDENTIAL_EXPIRATION");

	if (!token || !*token)
		token = getenv("AWS_SECURITY_TOKEN");
	if (!akid || !*akid || !secret || !*secret) {
		fail(x, "credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set");
		return C_ERR;
	}
	if (set_keys(c, akid, secret, token && *token ? token : NULL) != C_OK) {
		fail(x, "the credentials in the environment are too long");
		return C_ERR;
	}
	if (exp && *exp && time_parse_iso8601(exp, &c->expiration_s) != C_OK) {
		fail(x, "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time");
		return C_ERR;
	}
	return C_OK;
}

static const char *json_str(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* credential_process: runs it and reads its JSON as botocore's ProcessProvider does. */
static int from_process(struct ctx *x, const struct awsconfig_link *l, int depth, struct cache_creds *c)
{
	char **argv = NULL, *store = NULL, d[16];
	bool too_much;
	struct buf out;
	json_error_t jerr;
	json_t *root = NULL, *v;
	const char *akid, *secret, *token, *exp;
	int status, rc = C_ERR;

	buf_init(&out, PROCESS_OUTPUT_MAX);
	if (awsconfig_shlex_split(l->credential_process, strlen(l->credential_process), &argv, &store) <= 0) {
		fail(x, "credential_process of profile %s is not a command line (empty, or a quote is not closed)",
		     l->profile);
		goto done;
	}
	snprintf(d, sizeof(d), "%d", depth + 1); /* the child learns how deep it runs */
	status = capture_run(argv, DEPTH_ENV, d, &out, &too_much);
	if (status != 0) {
		if (status < 0)
			fail(x, "credential_process of profile %s could not be run: %s", l->profile, strerror(errno));
		else
			fail(x, "credential_process of profile %s exited with status %d", l->profile, status);
		goto done;
	}
	if (too_much) {
		fail(x, "credential_process of profile %s printed more than %d bytes", l->profile, PROCESS_OUTPUT_MAX);
		goto done;
	}
	root = json_loadb(buf_str(&out), out.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		fail(x, "credential_process of profile %s did not print a JSON object", l->profile);
		goto done;
	}
	v = json_object_get(root, "Version");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		fail(x, "credential_process of profile %s: unsupported Version (1 is supported)", l->profile);
		goto done;
	}
	akid = json_str(root, "AccessKeyId");
	secret = json_str(root, "SecretAccessKey");
	token = json_str(root, "SessionToken");
	exp = json_str(root, "Expiration");
	if (!akid || !*akid || !secret || !*secret) {
		fail(x, "credential_process of profile %s printed no AccessKeyId and SecretAccessKey", l->profile);
		goto done;
	}
	if (set_keys(c, akid, secret, token && *token ? token : NULL) != C_OK) {
		fail(x, "credential_process of profile %s printed credentials that are too long", l->profile);
		goto done;
	}
	if (exp && time_parse_iso8601(exp, &c->expiration_s) != C_OK) {
		fail(x, "credential_process of profile %s printed an Expiration that is not ISO 8601", l->profile);
		goto done;
	}
	if (c->expiration_s && c->expiration_s <= (int64_t)time(NULL)) {
		fail(x, "credential_process of profile %s printed credentials that have expired", l->profile);
		goto done;
	}
	rc = C_OK;
done:
	if (root) {
		/* the secret lives in jansson's strings: overwrite before freeing */
		const char *key;
		json_t *val;

		json_object_foreach(root, key, val) if (json_is_string(val))
			explicit_bzero((char *)json_string_value(val), json_string_length(val));
		json_decref(root);
	}
	buf_free_secret(&out);
	free(argv);
	free(store);
	return rc;
}

/* ---- STS ------------------------------------------------------------------------------------------------------- */

/* Prepares an STS client for profile as botocore would reach STS for it: its endpoint_url (or services section),
 * region, sts_regional_endpoints and ca_bundle. C_ERR with msg (BROKER_ERR_MAX) filled. */
static int client_for(const struct awsconfig *cfg, const char *profile, const char *region, struct sts_client *c,
                      char *msg)
{
	struct sts_client_config sc = {0};
	struct awsconfig_err aerr;
	struct sts_error e;

	if (crypto_init() != C_OK) { /* SigV4; only now, so that a cached session costs no OpenSSL start-up */
		snprintf(msg, BROKER_ERR_MAX, "the crypto library could not be initialised");
		return C_ERR;
	}
	if (awsconfig_endpoint_url(cfg, profile, "sts", &sc.endpoint_url, &aerr) != C_OK) {
		snprintf(msg, BROKER_ERR_MAX, "%s", aerr.msg);
		return C_ERR;
	}
	sc.region = region ? region : awsconfig_region(cfg, profile);
	sc.sts_regional_endpoints = awsconfig_get(cfg, profile, "sts_regional_endpoints");
	sc.ca_bundle = awsconfig_get(cfg, profile, "ca_bundle");
	if (sts_client_init(c, &sc, &e) != C_OK) {
		sts_client_free(c);
		snprintf(msg, BROKER_ERR_MAX, "%s", e.text);
		return C_ERR;
	}
	return C_OK;
}

int broker_sts_client(const char *profile, const struct broker_opts *o, struct sts_client *c,
                      char err[BROKER_ERR_MAX])
{
	struct awsconfig *cfg = NULL;
	struct awsconfig_err aerr;
	int rc;

	memset(c, 0, sizeof(*c));
	if (awsconfig_load(&cfg, &aerr) != C_OK) {
		snprintf(err, BROKER_ERR_MAX, "%s", aerr.msg);
		return C_ERR;
	}
	rc = client_for(cfg, awsconfig_profile_name(profile, NULL), o->region, c, err);
	awsconfig_free(cfg);
	return rc;
}

/* The STS client, made on first use (a warm cache never loads libcurl's TLS). Every call of the chain goes to the
 * endpoint and region of the profile asked for, as botocore's assume-role provider does. */
static struct sts_client *sts(struct ctx *x)
{
	char msg[BROKER_ERR_MAX];

	if (x->sts_ready)
		return &x->sts;
	if (client_for(x->cfg, x->profile, x->o->region, &x->sts, msg) != C_OK) {
		fail(x, "%s", msg);
		return NULL;
	}
	x->sts_ready = true;
	return &x->sts;
}

static void sigv4_of(const struct cache_creds *c, struct sigv4_credentials *s)
{
	s->access_key_id = c->access_key_id;
	s->secret_access_key = c->secret_access_key;
	s->session_token = c->session_token[0] ? c->session_token : NULL;
}

/* The account in "arn:aws:sts::123456789012:assumed-role/..." */
static void arn_account(const char *arn, char out[CACHE_ACCOUNT_MAX + 1])
{
	const char *p = arn;

	out[0] = '\0';
	for (int i = 0; i < 4 && p; i++)
		p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
	if (p && strchr(p, ':') && strchr(p, ':') - p == CACHE_ACCOUNT_MAX) {
		memcpy(out, p, CACHE_ACCOUNT_MAX);
		out[CACHE_ACCOUNT_MAX] = '\0';
	}
}

static int take_result(struct ctx *x, const struct sts_result *r, struct cache_creds *c)
{
	memset(c, 0, sizeof(*c));
	if (set_keys(c, r->creds.access_key_id, r->creds.secret_access_key, r->creds.session_token) != C_OK ||
	    copy(c->arn, sizeof(c->arn), r->assumed_role_arn) != C_OK ||
	    copy(c->assumed_role_id, sizeof(c->assumed_role_id), r->assumed_role_id) != C_OK) {
		fail(x, "STS answered credentials larger than rolegate keeps");
		return C_ERR;
	}
	c->expiration_s = r->creds.expiration_s;
	arn_account(c->arn, c->account_id);
	return C_OK;
}

/* One STS call that carries an MFA code: what to call, with what. */
struct mfa_call {
	const struct cache_creds *src;
	const char *role_arn;  /* AssumeRole; NULL: GetSessionToken */
	const struct awsconfig_link *link;
	int duration_s;
	char session_name[65]; /* RoleSessionName: at most 64 characters */
	struct sts_result res;
};

static int call_sts(struct ctx *x, struct mfa_call *m, const char *serial, const char *code, struct sts_error *e)
{
	struct sigv4_credentials s;
	struct sts_client *c = sts(x);

	if (!c) {
		e->kind = STS_ERR_INPUT;
		return C_ERR;
	}
	sigv4_of(m->src, &s);
	if (!m->role_arn) {
		struct sts_session_token_input in = {m->duration_s, serial, code};

		return sts_client_get_session_token(c, &s, &in, &m->res, e);
	}
	struct sts_assume_role_input in = {
	        .role_arn = m->role_arn,
	        .role_session_name = m->session_name,
	        .duration_s = m->duration_s,
	        .external_id = m->link->external_id,
	        .serial_number = serial,
	        .token_code = code,
	        .source_identity = m->link->source_identity,
	};
	return sts_client_assume_role(c, &s, &in, &m->res, e);
}

/* Calls STS, with an MFA code for serial when serial is set: a code typed at the prompt that STS rejects as invalid
 * is asked for again, MFA_TRIES times in all. */
static int call_with_mfa(struct ctx *x, struct mfa_call *m, const char *serial, const char *process)
{
	struct mfa_source src = {x->o->mfa_code, process, NULL};
	bool typed = !src.given && !(process && *process);
	char code[MFA_CODE_LEN + 1], perr[MFA_PROMPT_ERR_MAX];
	struct sts_error e;
	int rc = C_ERR;

	memset(&e, 0, sizeof(e));
	for (int tries = 0; tries < (serial && typed ? MFA_TRIES : 1); tries++) {
		if (serial && mfa_code_get(&src, serial, code, perr) != C_OK) {
			fail(x, "%s", perr);
			break;
		}
		rc = call_sts(x, m, serial, serial ? code : NULL, &e);
		explicit_bzero(code, sizeof(code));
		if (rc == C_OK)
			break;
		if (e.kind == STS_ERR_INPUT && x->err[0])
			break; /* sts() said why */
		fail(x, "%s", e.text);
		if (!(e.kind == STS_ERR_SERVICE && strstr(e.message, "invalid MFA one time pass code")))
			break;
		if (typed && tries + 1 < MFA_TRIES) {
			FILE *tty = fopen("/dev/tty", "ae");

			if (tty) {
				fprintf(tty, "The MFA code was not accepted: %s\n", e.message);
				fclose(tty);
			}
		}
	}
	return rc;
}

/* The MFA session of serial: cached, or made with GetSessionToken from the long-term keys src. */
static int mfa_session(struct ctx *x, const char *serial, const char *process, const struct cache_creds *src,
                       struct cache_creds *out)
{
	struct mfa_call m = {.src = src, .duration_s = x->o->mfa_duration_s ? x->o->mfa_duration_s : BROKER_MFA_DURATION_S};
	int rc;

	if (crypto_init() != C_OK) { /* the MFA cache is sealed with AES-256-GCM */
		fail(x, "the crypto library could not be initialised");
		return C_ERR;
	}
	if (cache_mfa_read(serial, MFA_SESSION_MIN_S, out) == C_OK)
		return C_OK;
	rc = call_with_mfa(x, &m, serial, process);
	if (rc == C_OK)
		rc = take_result(x, &m.res, out);
	sts_result_clear(&m.res);
	if (rc == C_OK && cache_mfa_write(serial, out) != C_OK)
		fprintf(stderr, "rolegate: warning: the MFA session for %s could not be cached\n", serial);
	return rc;
}

/* ---- the chain ------------------------------------------------------------------------------------------------- */

static void assume_args(const struct awsconfig_link *l, struct cache_assume_args *a)
{
	*a = (struct cache_assume_args){
	        .role_arn = l->role_arn,
	        .role_session_name = l->role_session_name,
	        .external_id = l->external_id,
	        .serial_number = l->mfa_serial,
	        .has_duration = l->has_duration,
	        .duration_seconds = l->duration_seconds,
	        .source_identity = l->source_identity,
	};
}

int broker_cache_key(const struct awsconfig_link *l, char key[CACHE_KEY_LEN + 1])
{
	struct cache_assume_args a;

	assume_args(l, &a);
	return cache_aws_key(&a, key);
}

/* Assumes the role of link l with the credentials src (temporary or not), as the caller asked for link top. */
static int assume(struct ctx *x, const struct awsconfig_link *l, bool top, const struct cache_creds *src,
                  bool src_temporary, struct cache_creds *out, const char **how)
{
	struct cache_assume_args a;
	struct mfa_call m = {.src = src, .role_arn = l->role_arn, .link = l};
	struct cache_creds session;
	char key[CACHE_KEY_LEN + 1];
	bool cacheable, via_session;
	int64_t lifetime;
	int rc;

	assume_args(l, &a);
	if (top && x->o->duration_s) {
		a.has_duration = true;
		a.duration_seconds = x->o->duration_s;
	}
	lifetime = a.has_duration ? a.duration_seconds : 3600;
	if (a.has_duration && (a.duration_seconds < 1 || a.duration_seconds > 129600)) {
		fail(x, "duration_seconds of profile %s is out of range", l->profile);
		return C_ERR;
	}
	cacheable = cache_aws_key(&a, key) == C_OK;
	if (cacheable && !(top && x->o->refresh) && cache_aws_read(key, broker_refresh_window(lifetime), out) == C_OK) {
		*how = "cache";
		return C_OK;
	}
	m.duration_s = a.has_duration ? (int)a.duration_seconds : 0;
	if (l->role_session_name)
		snprintf(m.session_name, sizeof(m.session_name), "%s", l->role_session_name);
	else
		snprintf(m.session_name, sizeof(m.session_name), "rolegate-%lld", (long long)time(NULL));

	via_session = l->mfa_serial && !x->o->direct && !src_temporary && lifetime <= BROKER_CHAINED_MAX_S;
	if (via_session) {
		if (mfa_session(x, l->mfa_serial, l->mfa_process, src, &session) != C_OK)
			return C_ERR;
		m.src = &session;
		rc = call_with_mfa(x, &m, NULL, NULL);
		explicit_bzero(&session, sizeof(session));
	} else {
		rc = call_with_mfa(x, &m, l->mfa_serial, l->mfa_process);
	}
	if (rc == C_OK)
		rc = take_result(x, &m.res, out);
	sts_result_clear(&m.res);
	if (rc != C_OK)
		return C_ERR;
	*how = "AssumeRole";
	if (cacheable && cache_aws_write(key, out) != C_OK)
		fprintf(stderr, "rolegate: warning: the session of %s could not be cached\n", l->role_arn);
	return C_OK;
}

#define WEB_IDENTITY_TOKEN_MAX 20000 /* STS's limit on WebIdentityToken */

/* AssumeRoleWithWebIdentityProvider: the token read from its file at each call (the file is rewritten as tokens
 * expire, by Kubernetes or a CI runner), the role assumed with it, unsigned. Session name as botocore's default when
 * the profile has none: "botocore-session-" + the time. */
static int from_web_identity(struct ctx *x, const struct awsconfig_link *l, struct cache_creds *c)
{
	struct sts_web_identity_input in = {.role_arn = l->role_arn};
	struct sts_client *client;
	struct sts_result res;
	struct sts_error e;
	char session[65], *token = NULL;
	size_t len = 0;
	FILE *f;
	int rc = C_ERR;

	if (!(f = fopen(l->web_identity_token_file, "re"))) {
		fail(x, "the web_identity_token_file of profile %s (%s) cannot be read: %s", l->profile,
		     l->web_identity_token_file, strerror(errno));
		return C_ERR;
	}
	token = malloc(WEB_IDENTITY_TOKEN_MAX + 2);
	if (token)
		len = fread(token, 1, WEB_IDENTITY_TOKEN_MAX + 1, f);
	fclose(f);
	if (!token || len > WEB_IDENTITY_TOKEN_MAX) {
		fail(x, "the web_identity_token_file of profile %s is larger than %d bytes", l->profile,
		     WEB_IDENTITY_TOKEN_MAX);
		goto done;
	}
	token[len] = '\0';
	if (l->role_session_name)
		snprintf(session, sizeof(session), "%s", l->role_session_name);
	else
		snprintf(session, sizeof(session), "botocore-session-%lld", (long long)time(NULL));
	in.role_session_name = session;
	in.web_identity_token = token;
	if (!(client = sts(x)))
		goto done;
	memset(&res, 0, sizeof(res));
	if (sts_client_assume_role_with_web_identity(client, &in, &res, &e) != C_OK)
		fail(x, "%s", e.text);
	else
		rc = take_result(x, &res, c);
	sts_result_clear(&res);
done:
	if (token)
		explicit_bzero(token, WEB_IDENTITY_TOKEN_MAX + 2);
	free(token);
	return rc;
}

/* The credentials of the chain's last link, where it starts. */
static int source(struct ctx *x, const struct awsconfig_link *l, int depth, struct cache_creds *c, const char **how)
{
	switch (l->kind) {
	case AWSCONFIG_LINK_STATIC:
		if (set_keys(c, l->access_key_id, l->secret_access_key, l->session_token) != C_OK) {
			fail(x, "the keys of profile %s are too long", l->profile);
			return C_ERR;
		}
		*how = "static keys";
		return C_OK;
	case AWSCONFIG_LINK_ENVIRONMENT:
		*how = "environment";
		return from_environment(x, c);
	case AWSCONFIG_LINK_PROCESS:
		*how = "credential_process";
		return from_process(x, l, depth, c);
	case AWSCONFIG_LINK_WEB_IDENTITY:
		*how = "AssumeRoleWithWebIdentity";
		return from_web_identity(x, l, c);
	case AWSCONFIG_LINK_ASSUME_ROLE:
		break;
	}
	fail(x, "the chain of profile %s does not start with credentials", l->profile);
	return C_ERR;
}

static int walk(struct ctx *x, const struct awsconfig_chain *ch, int depth, struct broker_result *out)
{
	struct cache_creds cur, next;
	const char *how = "";
	bool temporary;
	int rc = C_ERR;

	memset(&cur, 0, sizeof(cur));
	memset(&next, 0, sizeof(next));
	if (source(x, &ch->links[ch->n - 1], depth, &cur, &how) != C_OK)
		goto done;
	temporary = cur.session_token[0] != '\0';
	if (ch->n == 1 && ch->links[0].kind == AWSCONFIG_LINK_STATIC && !temporary) {
		/* static keys with mfa_serial: hand out an MFA session rather than the keys */
		const char *serial = awsconfig_get(x->cfg, x->profile, "mfa_serial");

		if (serial && *serial) {
			if (mfa_session(x, serial, awsconfig_get(x->cfg, x->profile, "mfa_process"), &cur, &next) != C_OK)
				goto done;
			cur = next;
			temporary = true;
			how = "GetSessionToken";
		}
	}
	for (size_t i = ch->n - 1; i-- > 0;) {
		if (assume(x, &ch->links[i], i == 0, &cur, temporary, &next, &how) != C_OK)
			goto done;
		cur = next;
		temporary = true;
	}
	out->creds = cur;
	out->temporary = temporary;
	snprintf(out->source, sizeof(out->source), "%s", how);
	rc = C_OK;
done:
	explicit_bzero(&cur, sizeof(cur));
	explicit_bzero(&next, sizeof(next));
	return rc;
}

int broker_credentials(const char *profile, const struct broker_opts *o, struct broker_result *out,
                       char err[BROKER_ERR_MAX])
{
	struct awsconfig *cfg = NULL;
	struct awsconfig_chain ch = {0};
	struct awsconfig_err aerr;
	struct ctx x = {.o = o, .err = err};
	const char *d = getenv(DEPTH_ENV), *v;
	int depth = d ? atoi(d) : 0, rc = C_ERR;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	x.profile = awsconfig_profile_name(profile, NULL);
	if (depth >= BROKER_MAX_DEPTH) {
		fail(&x, "credential_process calls rolegate calling credential_process %d levels deep: a profile whose "
		         "credential_process runs rolegate for itself?",
		     depth);
		return C_ERR;
	}
	if (awsconfig_load(&cfg, &aerr) != C_OK) {
		snprintf(err, BROKER_ERR_MAX, "%s", aerr.msg);
		return C_ERR;
	}
	x.cfg = cfg;
	if (awsconfig_resolve(cfg, x.profile, &ch, &aerr) != C_OK) {
		snprintf(err, BROKER_ERR_MAX, "%s", aerr.msg);
		goto done;
	}
	if (walk(&x, &ch, depth, out) != C_OK)
		goto done;
	v = o->region ? o->region : awsconfig_region(cfg, x.profile);
	snprintf(out->region, sizeof(out->region), "%s", v ? v : "");
	v = awsconfig_get(cfg, x.profile, "endpoint_url");
	snprintf(out->endpoint_url, sizeof(out->endpoint_url), "%s", v ? v : "");
	rc = C_OK;
done:
	if (x.sts_ready)
		sts_client_free(&x.sts);
	awsconfig_chain_free(&ch);
	awsconfig_free(cfg);
	if (rc != C_OK)
		broker_result_clear(out);
	return rc;
}
