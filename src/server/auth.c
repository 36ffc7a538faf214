/*
 * auth.c - SigV4 authentication against the access keys in the store.
 *
 * Order of checks, as AWS: signature syntax -> credential scope -> clock skew -> the key exists and is active ->
 * the signature. Every failure after the syntax step answers with AWS's code and message and tells nothing about
 * which part was wrong beyond what AWS tells.
 */
#include "server/auth.h"

#include <string.h>
#include <strings.h>

#include "aws/arn.h"
#include "aws/sigv4.h"
#include "compat/moto.h"
#include "server/credcache.h"
#include "server/keycache.h"
#include "server/secrets.h"
#include "server/tokens.h"
#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"

#define LAST_USED_GRANULARITY_MS (60 * 1000)

static int fail_sig(struct call *c, const struct sigv4_error *e)
{
	return aws_err_set(&c->err, aws_code_from_name(e->code), "%s", e->message);
}

static int invalid_token(struct call *c)
{
	return aws_err_set(&c->err, ERR_INVALID_CLIENT_TOKEN_ID, "The security token included in the request is invalid.");
}

/* The signing key for auth under key k: from the cache, or derived from the opened secret. */
static int signing_key(struct call *c, const struct sigv4_auth *a, const struct store_access_key *k,
                       uint8_t key[SHA256_LEN])
{
	const uint8_t *tag = k->secret_sealed + k->secret_sealed_len - 16;
	char secret[128];

	if (k->secret_sealed_len < AEAD_OVERHEAD)
		return C_ERR;
	if (sigkey_cache_get(c->srv->keys, a->access_key_id, a->scope_date, a->region, a->service, tag, key))
		return C_OK;
	if (secrets_open(k->access_key_id, k->secret_sealed, k->secret_sealed_len, secret, sizeof(secret)) != C_OK) {
		log_warnx("access key %s: the sealed secret does not open (wrong master key?)", k->access_key_id);
		return C_ERR;
	}
	sigv4_signing_key(secret, strlen(secret), a->scope_date, a->region, a->service, key);
	explicit_bzero(secret, sizeof(secret));
	sigkey_cache_put(c->srv->keys, a->access_key_id, a->scope_date, a->region, a->service, tag, key);
	return C_OK;
}

/* Whether the account can be used: C_OK when ACTIVE; STORE_NOT_FOUND when absent or closed (PENDING_CLOSURE,
 * SUSPENDED: a closed account refuses all its principals); C_ERR when the store cannot tell. */
static int account_state(struct db_tx *tx, const char *account_id)
{
	struct store_account a;
	int rc = store_account_get(tx, account_id, &a);

	if (rc != C_OK)
		return rc == STORE_NOT_FOUND ? STORE_NOT_FOUND : C_ERR;
	return strcmp(a.status, "ACTIVE") == 0 ? C_OK : STORE_NOT_FOUND;
}

/* Fills p from an access key row. */
static int load_principal(struct db_tx *tx, const struct store_access_key *k, struct principal *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->account_id, sizeof(p->account_id), "%s", k->account_id);
	snprintf(p->access_key_id, sizeof(p->access_key_id), "%s", k->access_key_id);
	if (!k->user_id[0]) {
		struct store_account acct;
		p->kind = PRINCIPAL_ROOT;
		snprintf(p->id, sizeof(p->id), "%s", k->account_id);
		if (store_account_get(tx, k->account_id, &acct) == C_OK)
			p->created_ms = acct.created_ms;
		return arn_root(p->arn, sizeof(p->arn), k->account_id);
	} else {
		struct store_user u;
		int rc = store_user_get_by_id(tx, k->user_id, &u);
		if (rc != C_OK)
			return rc == STORE_NOT_FOUND ? STORE_NOT_FOUND : C_ERR;
		p->kind = PRINCIPAL_USER;
		snprintf(p->id, sizeof(p->id), "%s", u.user_id);
		snprintf(p->name, sizeof(p->name), "%s", u.name);
		snprintf(p->path, sizeof(p->path), "%s", u.path);
		p->created_ms = u.created_ms;
		return arn_user(p->arn, sizeof(p->arn), u.account_id, u.path, u.name);
	}
}

/*
 * Finds the key and its principal: from the cache when nothing was written since it was cached, else from the
 * store. C_OK, STORE_NOT_FOUND, or C_ERR.
 */
static int lookup_key(struct call *c, const char *akid, struct cred *out)
{
	uint64_t gen = db_generation(c->srv->db); /* read before the store: see credcache.h */
	struct db_tx *tx;
	int rc;

	if (credcache_get(c->srv->creds, akid, gen, out))
		return C_OK;
	if (db_begin(c->srv->db, false, &tx) != C_OK)
		return C_ERR;
	rc = store_key_get(tx, akid, &out->key);
	if (rc == C_OK)
		rc = account_state(tx, out->key.account_id); /* a closed account's key is refused like an unknown one */
	if (rc == C_OK && strcmp(out->key.status, "Active") == 0 &&
	    load_principal(tx, &out->key, &out->principal) != C_OK)
		rc = C_ERR;
	db_rollback(tx); /* read-only: nothing to commit */
	if (rc == C_OK)
		credcache_put(c->srv->creds, gen, out);
	return rc;
}

/* Records that the key was used, at most once a minute per key (a write per request would be wasteful). */
static void touch_key(struct call *c, const struct store_access_key *k)
{
	struct db_tx *tx;

	if (k->last_used_ms && c->now_ms - k->last_used_ms < LAST_USED_GRANULARITY_MS &&
	    strcmp(k->last_used_service, c->svc->id) == 0 && strcmp(k->last_used_region, c->region) == 0)
		return;
	if (db_begin_stats(c->srv->db, &tx) != C_OK)
		return;
	if (store_key_touch(tx, k->access_key_id, c->now_ms, c->svc->id, c->region) != C_OK) {
		db_rollback(tx);
		return;
	}
	if (db_commit(tx) == C_OK)
		credcache_touch(c->srv->creds, k->access_key_id, c->now_ms, c->svc->id, c->region);
}

/* The principal of a federated-user session (GetFederationToken): arn:aws:sts::ACCT:federated-user/NAME, aws:userid
 * ACCT:NAME, and the IAM user (or root) that made it, whose current policies it is evaluated against. A user
 * deleted since then ends its federated sessions (STORE_NOT_FOUND), as it ends its GetSessionToken sessions. */
static int federated_principal(struct principal *p, struct db_tx *tx, const struct session_claims *cl)
{
	struct store_access_key k = {0};
	struct principal issuer;
	int rc;

	if (!cl->session_name[0])
		return STORE_NOT_FOUND; /* never sealed so: refused, not guessed */
	snprintf(k.account_id, sizeof(k.account_id), "%s", cl->account_id);
	snprintf(k.access_key_id, sizeof(k.access_key_id), "%s", cl->access_key_id);
	snprintf(k.user_id, sizeof(k.user_id), "%s", cl->user_id);
	if ((rc = load_principal(tx, &k, &issuer)) != C_OK)
		return rc;
	p->kind = PRINCIPAL_FEDERATED_USER;
	snprintf(p->arn, sizeof(p->arn), "arn:aws:sts::%s:federated-user/%s", cl->account_id, cl->session_name);
	snprintf(p->id, sizeof(p->id), "%s:%s", cl->account_id, cl->session_name);
	snprintf(p->name, sizeof(p->name), "%s", cl->session_name);
	snprintf(p->session_name, sizeof(p->session_name), "%s", cl->session_name);
	snprintf(p->federator_id, sizeof(p->federator_id), "%s", cl->user_id);
	snprintf(p->federator_arn, sizeof(p->federator_arn), "%s", issuer.arn);
	p->created_ms = issuer.created_ms;
	return C_OK;
}

/* The principal of a session token: a role session, a user's or root's GetSessionToken session or console session,
 * a federated user (their tags are read with each request's context, src/server/context.c). */
static int session_principal(struct principal *p, struct db_tx *tx, const struct session_claims *cl)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = account_state(tx, cl->account_id)) != C_OK)
		return rc; /* sessions in a closed account end with it */
	snprintf(p->account_id, sizeof(p->account_id), "%s", cl->account_id);
	snprintf(p->access_key_id, sizeof(p->access_key_id), "%s", cl->access_key_id);
	if (cl->kind == 'R') {
		p->kind = PRINCIPAL_ROLE_SESSION;
		snprintf(p->arn, sizeof(p->arn), "arn:aws:sts::%s:assumed-role/%s/%s", cl->account_id, cl->role_name,
		         cl->session_name);
		snprintf(p->id, sizeof(p->id), "%s:%s", cl->role_id, cl->session_name);
		snprintf(p->name, sizeof(p->name), "%s", cl->role_name);
		snprintf(p->path, sizeof(p->path), "%s", cl->role_path);
		snprintf(p->role_id, sizeof(p->role_id), "%s", cl->role_id);
		snprintf(p->role_arn, sizeof(p->role_arn), "arn:aws:iam::%s:role%s%s", cl->account_id, cl->role_path,
		         cl->role_name);
		snprintf(p->session_name, sizeof(p->session_name), "%s", cl->session_name);
	} else if (cl->kind == 'F' || cl->kind == 'G') {
		if ((rc = federated_principal(p, tx, cl)) != C_OK)
			return rc;
	} else {
		struct store_access_key k = {0};
		snprintf(k.account_id, sizeof(k.account_id), "%s", cl->account_id);
		snprintf(k.access_key_id, sizeof(k.access_key_id), "%s", cl->access_key_id);
		snprintf(k.user_id, sizeof(k.user_id), "%s", cl->user_id);
		if ((rc = load_principal(tx, &k, p)) != C_OK)
			return rc;
	}
	/* Fail closed: tags that do not fit are never silently left out (they cannot: both hold SESSION_TAGS_BYTES). */
	if (cl->tags_len > sizeof(p->session_tags))
		return STORE_NOT_FOUND;
	memcpy(p->session_tags, cl->tags, cl->tags_len);
	p->session_tags_len = cl->tags_len;
	p->temporary = true;
	p->token_issued_s = cl->issued_s;
	p->token_expires_s = cl->expires_s;
	p->mfa_s = cl->mfa_s;
	p->chained = cl->chained;
	p->console = cl->kind == 'C' || cl->kind == 'G';
	snprintf(p->source_identity, sizeof(p->source_identity), "%s", cl->source_identity);
	return C_OK;
}

static int claims_principal(struct rg_server *srv, const struct session_claims *cl, struct principal *p,
                            struct policy **session_policy, struct aws_err *aerr);

/* Authenticates a request signed with temporary credentials: everything comes from the sealed token. */
static int authenticate_session(struct call *c, const struct sigv4_auth *a, const struct sigv4_request *sreq)
{
	struct session_claims cl;
	struct sigv4_error e;
	uint8_t key[SHA256_LEN], digest[SHA256_LEN];
	int rc;

	if (token_open(c->srv->keyring, a->security_token, &cl) != C_OK)
		return invalid_token(c);
	if (strcmp(cl.access_key_id, a->access_key_id) != 0) {
		claims_clear(&cl);
		return invalid_token(c);
	}
	if (c->now_ms / 1000 >= cl.expires_s) {
		claims_clear(&cl);
		return aws_err_set(&c->err, ERR_EXPIRED_TOKEN, "The security token included in the request is expired");
	}
	crypto_sha256(cl.secret, strlen(cl.secret), digest);
	if (!sigkey_cache_get(c->srv->keys, a->access_key_id, a->scope_date, a->region, a->service, digest, key)) {
		sigv4_signing_key(cl.secret, strlen(cl.secret), a->scope_date, a->region, a->service, key);
		sigkey_cache_put(c->srv->keys, a->access_key_id, a->scope_date, a->region, a->service, digest, key);
	}
	rc = sigv4_verify(sreq, a, key, &e);
	explicit_bzero(key, sizeof(key));
	if (rc != C_OK) {
		claims_clear(&cl);
		return fail_sig(c, &e);
	}
	rc = claims_principal(c->srv, &cl, &c->caller, &c->session_policy, &c->err);
	claims_clear(&cl);
	return rc;
}

/* The principal and session policy of opened claims (the part both entries share). */
static int claims_principal(struct rg_server *srv, const struct session_claims *cl, struct principal *p,
                            struct policy **session_policy, struct aws_err *aerr)
{
	struct db_tx *tx;
	char err[POLICY_ERROR_MAX];
	int rc;

	if (db_begin(srv->db, false, &tx) != C_OK)
		return aws_err_set(aerr, ERR_SERVICE_FAILURE, "The request processing has failed.");
	rc = session_principal(p, tx, cl);
	db_rollback(tx);
	if (rc == C_ERR) /* the store could not say: a failure to retry, never a verdict on the token */
		return aws_err_set(aerr, ERR_SERVICE_FAILURE, "The request processing has failed.");
	if (rc == C_OK && cl->session_policy &&
	    policy_compile(cl->session_policy, strlen(cl->session_policy), POLICY_SESSION, session_policy, err) != C_OK)
		rc = STORE_NOT_FOUND; /* it compiled when the session was made: a change of rules since then denies */
	if (rc != C_OK)
		return aws_err_set(aerr, ERR_INVALID_CLIENT_TOKEN_ID, "The security token included in the request is invalid.");
	return C_OK;
}

int auth_token_principal(struct rg_server *srv, const char *token, int64_t now_ms, struct principal *p,
                         struct policy **session_policy, struct aws_err *err)
{
	struct session_claims cl;
	int rc;

	*session_policy = NULL;
	if (token_open(srv->keyring, token, &cl) != C_OK)
		return aws_err_set(err, ERR_INVALID_CLIENT_TOKEN_ID, "The security token included in the request is invalid.");
	if (now_ms / 1000 >= cl.expires_s) {
		claims_clear(&cl);
		return aws_err_set(err, ERR_EXPIRED_TOKEN, "The security token included in the request is expired");
	}
	rc = claims_principal(srv, &cl, p, session_policy, err);
	claims_clear(&cl);
	return rc;
}

/* ==== --compat moto (src/compat/moto.h) ===========================================================================
 * The one place authentication is waived, and only with the flag: credentials the store knows (an access key row, a
 * session token that opens) are authenticated as always; any other access key id, with any secret, acts as the root
 * user of --compat-account, its signature and clock unchecked, as moto answers. */

/* Whether the store knows a's credentials: a session token that opens, or an access key row (a store that cannot
 * say counts as knowing, so the normal path reports its ServiceFailure). */
static bool compat_known(struct call *c, const struct sigv4_auth *a)
{
	struct session_claims cl;
	struct cred cred;

	if (a->security_token[0]) {
		if (token_open(c->srv->keyring, a->security_token, &cl) != C_OK)
			return false;
		claims_clear(&cl);
		return true;
	}
	return lookup_key(c, a->access_key_id, &cred) != STORE_NOT_FOUND;
}

/* The root user of --compat-account as c->caller, with a's access key id. */
static int compat_root(struct call *c, const struct sigv4_auth *a)
{
	struct store_access_key k;
	struct db_tx *tx;
	int rc;

	memset(&k, 0, sizeof(k));
	snprintf(k.account_id, sizeof(k.account_id), "%s", c->srv->cfg->compat_account);
	snprintf(k.access_key_id, sizeof(k.access_key_id), "%.*s", (int)sizeof(k.access_key_id) - 1, a->access_key_id);
	if (db_begin(c->srv->db, false, &tx) != C_OK)
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	rc = account_state(tx, k.account_id);
	if (rc == C_OK)
		rc = load_principal(tx, &k, &c->caller);
	db_rollback(tx);
	if (rc == STORE_NOT_FOUND) /* the account was closed: its root is refused as in normal mode */
		return invalid_token(c);
	if (rc != C_OK)
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	return C_OK;
}
/* ==== end of --compat moto ======================================================================================= */

int auth_authenticate(struct call *c)
{
	struct sigv4_request sreq = {0};
	struct sigv4_auth a;
	struct sigv4_error e;
	struct cred cred;
	uint8_t key[SHA256_LEN];
	int rc;

	sreq.method = c->req->method;
	sreq.path = c->req->path;
	sreq.path_len = c->req->path_len;
	sreq.query = c->req->query;
	sreq.query_len = c->req->query_len;
	sreq.headers = c->req->headers;
	sreq.nheaders = c->req->nheaders;
	sreq.normalize_path = true;
	crypto_sha256_hex(c->req->body, c->req->body_len, sreq.payload_hash);

	if (sigv4_parse(&sreq, &a, &e) != C_OK)
		return fail_sig(c, &e);
	c->svc = model_service(a.service);
	snprintf(c->region, sizeof(c->region), "%s", a.region);
	if (!c->svc)
		return aws_err_set(&c->err, ERR_INCOMPLETE_SIGNATURE,
		                   "Credential should be scoped to correct service: '%s' is not served here. ", a.service);
	if (c->srv->cfg->compat) { /* --compat moto only: see compat_known above */
		/* moto takes an STS key without its session token: the token this server issued with it */
		if (!a.security_token[0])
			compat_keys_token(c->srv->compat_keys, a.access_key_id, a.security_token, sizeof(a.security_token));
		if (!compat_known(c, &a))
			return compat_root(c, &a);
	}
	if (sigv4_check_time(&a, c->now_ms / 1000, &e) != C_OK)
		return fail_sig(c, &e);
	if (a.security_token[0])
		return authenticate_session(c, &a, &sreq);

	rc = lookup_key(c, a.access_key_id, &cred);
	if (rc == STORE_NOT_FOUND || (rc == C_OK && strcmp(cred.key.status, "Active") != 0))
		return invalid_token(c);
	if (rc != C_OK) /* the store could not say: a failure to retry, never a verdict on the key */
		return aws_err_set(&c->err, ERR_SERVICE_FAILURE, "The request processing has failed.");
	if (signing_key(c, &a, &cred.key, key) != C_OK)
		return aws_err_set(&c->err, ERR_INTERNAL_FAILURE, "The request processing has failed.");
	rc = sigv4_verify(&sreq, &a, key, &e);
	explicit_bzero(key, sizeof(key));
	if (rc != C_OK)
		return fail_sig(c, &e);
	c->caller = cred.principal;
	touch_key(c, &cred.key);
	return C_OK;
}
