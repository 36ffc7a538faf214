/*
 * oidc_keys.c - an OpenID Connect issuer's signing keys: fetched, checked, cached (oidc_keys.h).
 *
 * The cache is a small table under one mutex. A cached key set is reference counted, so that a verification runs
 * outside the lock while another thread replaces the set. One fetch per issuer at a time: a thread that finds a fetch
 * under way waits for it (bounded) instead of starting another.
 */
#include "sts/oidc_keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/curl_api.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/log.h"

#define CONNECT_TIMEOUT_MS 3000L
#define FETCH_TIMEOUT_MS 5000L
#define ISSUER_MAX 300
#define URL_MAX 2048
#define THUMBS_MAX (5 * 41 + 1)
#define WAIT_FOR_FETCH_S 12

struct keyset {
	struct jwks *jwks;
	atomic_int refs;
};

struct entry {
	char issuer[ISSUER_MAX];
	char thumbs[THUMBS_MAX]; /* the thumbprints the keys were fetched under, joined by ',' */
	struct keyset *keys;     /* NULL until a fetch succeeded */
	int64_t fetched_s;       /* when keys were fetched */
	int64_t attempt_s;       /* when the last fetch began */
	int64_t failed_s;        /* when the last fetch failed (0: it did not) */
	enum oidc_keys_result failure;
	int64_t used_s;
	bool fetching;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fetched = PTHREAD_COND_INITIALIZER;
static struct entry cache[OIDC_CACHE_MAX];
static atomic_uint_fast64_t fetches;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_global_rc;

static void keyset_release(struct keyset *k)
{
	if (k && atomic_fetch_sub(&k->refs, 1) == 1) {
		jwks_free(k->jwks);
		free(k);
	}
}

static void curl_start(void)
{
	curl_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

uint64_t oidc_keys_fetches(void)
{
	return atomic_load(&fetches);
}

void oidc_keys_clear(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < OIDC_CACHE_MAX; i++) {
		keyset_release(cache[i].keys);
		memset(&cache[i], 0, sizeof(cache[i]));
	}
	pthread_mutex_unlock(&lock);
}

/* ---- HTTPS ------------------------------------------------------------------------------------------------------- */

struct body {
	char *p;
	size_t len;
	bool too_large;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	char *p;

	if (b->len + add > JWKS_MAX) {
		b->too_large = true;
		return 0; /* stops the transfer */
	}
	if (!(p = realloc(b->p, b->len + add + 1)))
		return 0;
	b->p = p;
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/* The SHA-1 thumbprint of a certificate (40 lower-case hex digits). */
static int thumbprint(X509 *cert, char out[41])
{
	uint8_t *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int n = i2d_X509(cert, &der);
	int rc = C_ERR;

	if (n > 0 && EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha1(), NULL) == 1 && mdlen == 20) {
		hex_encode(md, 20, out);
		rc = C_OK;
	}
	OPENSSL_free(der);
	return rc;
}

/* The certificates of the chain the server presented (curl's CERTINFO, leaf first) as X509s. */
static STACK_OF(X509) *presented_chain(CURL *curl)
{
	struct curl_certinfo *ci = NULL;
	STACK_OF(X509) *chain;

	if (curl_easy_getinfo(curl, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci || ci->num_of_certs <= 0 ||
	    !(chain = sk_X509_new_null()))
		return NULL;
	for (int i = 0; i < ci->num_of_certs && i < 16; i++) {
		for (struct curl_slist *s = ci->certinfo[i]; s; s = s->next) {
			if (strncmp(s->data, "Cert:", 5) == 0) {
				BIO *bio = BIO_new_mem_buf(s->data + 5, -1);
				X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
				BIO_free(bio);
				if (!x || !sk_X509_push(chain, x)) {
					X509_free(x);
					sk_X509_pop_free(chain, X509_free);
					return NULL;
				}
				break;
			}
		}
	}
	if (sk_X509_num(chain) == 0) {
		sk_X509_free(chain);
		return NULL;
	}
	return chain;
}

/* Whether the presented chain verifies up to its last certificate, whose thumbprint must be one of thumbs, for
 * host. The TLS handshake itself proved the server holds the leaf's key. */
static bool chain_pinned(STACK_OF(X509) *chain, json_t *thumbs, const char *host, char why[JWT_ERROR_MAX])
{
	X509 *leaf = sk_X509_value(chain, 0), *top = sk_X509_value(chain, sk_X509_num(chain) - 1);
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL;
	X509_VERIFY_PARAM *param;
	char tp[41];
	bool listed = false, ok = false;
	size_t i;
	json_t *v;

	if (thumbprint(top, tp) != C_OK)
		return false;
	json_array_foreach(thumbs, i, v) listed = listed || strcasecmp(json_string_value(v), tp) == 0;
	if (!listed) {
		snprintf(why, JWT_ERROR_MAX, "the server's top CA certificate has thumbprint %s, not one of the provider's",
		         tp);
		return false;
	}
	if (!(store = X509_STORE_new()) || !X509_STORE_add_cert(store, top) || !(ctx = X509_STORE_CTX_new()) ||
	    !(untrusted = sk_X509_new_null()))
		goto done;
	for (int k = 1; k < sk_X509_num(chain) - 1; k++)
		if (!sk_X509_push(untrusted, sk_X509_value(chain, k)))
			goto done;
	if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1)
		goto done;
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN); /* the pinned CA may be an intermediate */
	X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER);
	if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1 && X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
		goto done;
	ok = X509_verify_cert(ctx) == 1;
	if (!ok)
		snprintf(why, JWT_ERROR_MAX, "the chain under the pinned CA does not verify: %s",
		         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
done:
	sk_X509_free(untrusted); /* the certificates belong to chain */
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

/* The host of an https URL (without port or brackets) into host. */
static int url_host(const char *url, char *host, size_t cap)
{
	CURLU *u = curl_url();
	char *h = NULL;
	int rc = C_ERR;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
		size_t n = strlen(h);
		const char *p = h;
		if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
			p = h + 1, n -= 2;
		if (n < cap) {
			memcpy(host, p, n);
			host[n] = '\0';
			rc = C_OK;
		}
	}
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

/* GETs url into *out (NUL-terminated, the caller frees) with the TLS rules of oidc_keys.h. */
static enum oidc_keys_result https_get(const char *url, json_t *thumbs, char **out, size_t *outlen,
                                       char why[JWT_ERROR_MAX])
{
	enum oidc_keys_result rc = OIDC_KEYS_UNREACHABLE;
	struct body b = {0};
	char err[CURL_ERROR_SIZE] = "", host[256];
	long status = 0;
	CURLcode cc;
	CURL *curl;

	*out = NULL;
	pthread_once(&curl_once, curl_start);
	if (curl_global_rc != CURLE_OK || url_host(url, host, sizeof(host)) != C_OK || !(curl = curl_easy_init())) {
		snprintf(why, JWT_ERROR_MAX, "cannot start a fetch of %.200s", url);
		return OIDC_KEYS_UNREACHABLE;
	}
	for (int pass = 0; pass < 2; pass++) {
		free(b.p);
		memset(&b, 0, sizeof(b));
		curl_easy_reset(curl);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, FETCH_TIMEOUT_MS);
		curl_easy_setopt(curl, CURLOPT_USERAGENT, "rolegate/" ROLEGATE_VERSION);
		curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
		if (pass == 1) {
			/* the thumbprint pass: the chain is checked below, before anything fetched is used */
			curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
			curl_easy_setopt(curl, CURLOPT_CERTINFO, 1L);
		}
		atomic_fetch_add(&fetches, 1);
		cc = curl_easy_perform(curl);
		if (pass == 0 && (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE) &&
		    json_array_size(thumbs) > 0)
			continue;
		if (cc == CURLE_PEER_FAILED_VERIFICATION) {
			snprintf(why, JWT_ERROR_MAX, "%.200s: its certificate is not trusted: %.100s", url, err);
			rc = OIDC_KEYS_BAD_CERT;
			goto done;
		}
		if (cc == CURLE_WRITE_ERROR && b.too_large) {
			snprintf(why, JWT_ERROR_MAX, "%.200s: the document is larger than %d bytes", url, JWKS_MAX);
			rc = OIDC_KEYS_BAD_DOCS;
			goto done;
		}
		if (cc != CURLE_OK) {
			snprintf(why, JWT_ERROR_MAX, "%.200s: %.100s", url, err[0] ? err : curl_easy_strerror(cc));
			goto done;
		}
		if (pass == 1) {
			STACK_OF(X509) *chain = presented_chain(curl);
			bool pinned = chain && chain_pinned(chain, thumbs, host, why);
			if (!chain)
				snprintf(why, JWT_ERROR_MAX, "%.200s: no certificate chain to check", url);
			sk_X509_pop_free(chain, X509_free);
			if (!pinned) {
				rc = OIDC_KEYS_BAD_CERT;
				goto done;
			}
		}
		break;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200 || !b.p) {
		snprintf(why, JWT_ERROR_MAX, "%.200s answered HTTP %ld%s", url, status, b.too_large ? " (too large)" : "");
		rc = OIDC_KEYS_BAD_DOCS;
		goto done;
	}
	*out = b.p;
	*outlen = b.len;
	b.p = NULL;
	rc = OIDC_KEYS_VERIFIED;
done:
	free(b.p);
	curl_easy_cleanup(curl);
	return rc;
}

/* Fetches the issuer's discovery document and key set. */
static enum oidc_keys_result fetch_keys(const char *issuer, json_t *thumbs, struct jwks **out, char why[JWT_ERROR_MAX])
{
	char url[URL_MAX], *text = NULL;
	const char *jwks_uri, *doc_issuer;
	size_t len = 0, ilen = strlen(issuer);
	enum oidc_keys_result rc;
	json_t *doc;

	*out = NULL;
	/* OpenID Connect Discovery 1.0, section 4: ISSUER + "/.well-known/openid-configuration" */
	snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
	         (int)(ilen && issuer[ilen - 1] == '/' ? ilen - 1 : ilen), issuer);
	if ((rc = https_get(url, thumbs, &text, &len, why)) != OIDC_KEYS_VERIFIED)
		return rc;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	free(text);
	text = NULL;
	jwks_uri = json_string_value(json_object_get(doc, "jwks_uri"));
	doc_issuer = json_string_value(json_object_get(doc, "issuer"));
	if (!jwks_uri || strncmp(jwks_uri, "https://", 8) != 0 || strlen(jwks_uri) >= sizeof(url)) {
		snprintf(why, JWT_ERROR_MAX, "%.200s: no https jwks_uri in the discovery document", issuer);
		json_decref(doc);
		return OIDC_KEYS_BAD_DOCS;
	}
	/* section 4.3: the document's issuer must be the one it was fetched for */
	if (doc_issuer && strcmp(doc_issuer, issuer) != 0) {
		snprintf(why, JWT_ERROR_MAX, "the discovery document names another issuer (%.120s)", doc_issuer);
		json_decref(doc);
		return OIDC_KEYS_BAD_DOCS;
	}
	snprintf(url, sizeof(url), "%s", jwks_uri);
	json_decref(doc);
	if ((rc = https_get(url, thumbs, &text, &len, why)) != OIDC_KEYS_VERIFIED)
		return rc;
	*out = jwks_parse(text, len, why);
	free(text);
	return *out ? OIDC_KEYS_VERIFIED : OIDC_KEYS_BAD_DOCS;
}

/* ---- the cache --------------------------------------------------------------------------------------------------- */

static void join_thumbs(json_t *thumbs, char out[THUMBS_MAX])
{
	size_t i, n = 0;
	json_t *v;

	out[0] = '\0';
	json_array_foreach(thumbs, i, v)
	{
		if (i >= 5)
			break;
		n += (size_t)snprintf(out + n, THUMBS_MAX - n, "%s%.40s", i ? "," : "", json_string_value(v));
	}
}

/* The entry of issuer + thumbs, made (replacing the least recently used one) if absent. Under the lock. */
static struct entry *entry_of(const char *issuer, const char *thumbs, int64_t now_s)
{
	struct entry *lru = NULL;

	for (size_t i = 0; i < OIDC_CACHE_MAX; i++) {
		struct entry *e = &cache[i];
		if (e->issuer[0] && strcmp(e->issuer, issuer) == 0 && strcmp(e->thumbs, thumbs) == 0) {
			e->used_s = now_s;
			return e;
		}
		if (!e->fetching && (!lru || !e->issuer[0] || (lru->issuer[0] && e->used_s < lru->used_s)))
			lru = e;
	}
	if (!lru)
		return NULL; /* every entry is being fetched: the caller answers as if unreachable */
	keyset_release(lru->keys);
	memset(lru, 0, sizeof(*lru));
	snprintf(lru->issuer, sizeof(lru->issuer), "%s", issuer);
	snprintf(lru->thumbs, sizeof(lru->thumbs), "%s", thumbs);
	lru->used_s = now_s;
	return lru;
}

/* Waits (bounded) until no fetch of e is under way. Under the lock. */
static void wait_fetch(struct entry *e)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_FOR_FETCH_S;
	while (e->fetching)
		if (pthread_cond_timedwait(&fetched, &lock, &until) != 0)
			break;
}

/* The entry's keys (a reference the caller releases), fetching them when `want` says so and the bounds allow.
 * NULL with *failure when there are none. Under the lock; the lock is released during a fetch. */
static struct keyset *keys_of(struct entry **ep, const char *issuer, json_t *thumbs, const char *joined,
                              bool refetch, int64_t now_s, enum oidc_keys_result *failure, char why[JWT_ERROR_MAX])
{
	struct entry *e = *ep;
	struct jwks *got = NULL;
	struct keyset *ks;
	enum oidc_keys_result rc;
	bool stale;

	if (e->fetching) {
		wait_fetch(e);
		/* the entry may have been reused meanwhile: find it again */
		if (!(e = *ep = entry_of(issuer, joined, now_s))) {
			*failure = OIDC_KEYS_UNREACHABLE;
			snprintf(why, JWT_ERROR_MAX, "too many issuers being fetched at once");
			return NULL;
		}
		refetch = false; /* the fetch just made is as fresh as it gets */
	}
	stale = !e->keys || now_s - e->fetched_s >= OIDC_KEYS_TTL_S;
	if (!e->fetching && (stale || (refetch && now_s - e->attempt_s >= OIDC_REFETCH_MIN_S)) &&
	    !(e->failed_s && now_s - e->failed_s < OIDC_FAILURE_HOLD_S)) {
		e->fetching = true;
		e->attempt_s = now_s;
		pthread_mutex_unlock(&lock);
		rc = fetch_keys(issuer, thumbs, &got, why);
		pthread_mutex_lock(&lock);
		e->fetching = false;
		if (rc == OIDC_KEYS_VERIFIED && (ks = malloc(sizeof(*ks)))) {
			ks->jwks = got;
			atomic_init(&ks->refs, 1);
			keyset_release(e->keys);
			e->keys = ks;
			e->fetched_s = now_s;
			e->failed_s = 0;
		} else {
			jwks_free(got);
			e->failed_s = now_s;
			e->failure = rc == OIDC_KEYS_VERIFIED ? OIDC_KEYS_BAD_DOCS : rc;
			log_warnx("oidc: the keys of %s could not be fetched: %s", issuer, why);
		}
		pthread_cond_broadcast(&fetched);
	}
	if (!e->keys) {
		*failure = e->failed_s ? e->failure : OIDC_KEYS_UNREACHABLE;
		if (!why[0])
			snprintf(why, JWT_ERROR_MAX, "the keys of %.200s could not be fetched recently", issuer);
		return NULL;
	}
	atomic_fetch_add(&e->keys->refs, 1);
	return e->keys;
}

enum oidc_keys_result oidc_keys_verify(const char *issuer, json_t *thumbprints, const struct jwt *t, int64_t now_s,
                                       char why[JWT_ERROR_MAX])
{
	char joined[THUMBS_MAX];
	enum oidc_keys_result failure = OIDC_KEYS_UNREACHABLE;
	enum jwt_verdict v = JWT_NO_KEY;
	struct entry *e;
	struct keyset *ks;

	why[0] = '\0';
	if (strlen(issuer) >= ISSUER_MAX) {
		snprintf(why, JWT_ERROR_MAX, "issuer too long");
		return OIDC_KEYS_UNREACHABLE;
	}
	join_thumbs(thumbprints, joined);
	for (int round = 0; round < 2; round++) {
		pthread_mutex_lock(&lock);
		e = entry_of(issuer, joined, now_s);
		ks = e ? keys_of(&e, issuer, thumbprints, joined, round == 1, now_s, &failure, why) : NULL;
		pthread_mutex_unlock(&lock);
		if (!ks)
			return e ? failure : OIDC_KEYS_UNREACHABLE;
		v = jwt_verify(t, ks->jwks);
		keyset_release(ks);
		if (v != JWT_NO_KEY)
			break;
		/* a kid the cached set lacks: the issuer may have rotated its keys; fetch again (bounded) */
	}
	if (v == JWT_VALID)
		return OIDC_KEYS_VERIFIED;
	snprintf(why, JWT_ERROR_MAX, v == JWT_NO_KEY ? "no key of the issuer has the token's kid" : "bad signature");
	return v == JWT_NO_KEY ? OIDC_KEYS_NO_KEY : OIDC_KEYS_BAD_SIG;
}
