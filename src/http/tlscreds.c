/*
 * tlscreds.c - the listener's swappable TLS certificate chain and key (tlscreds.h).
 *
 * A set, once made current, is never freed while the listener runs: GnuTLS uses what the callback returns for the
 * rest of the handshake without telling when it is done, so a set replaced by SIGHUP is kept until
 * tls_creds_free_all. Sets are small (a few KiB) and reloads rare; at most TLS_CREDS_MAX are kept.
 */
#include "http/tlscreds.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/dynlib.h"
#include "util/log.h"

#define GNUTLS_SONAME "libgnutls.so.30"
#define TLS_CHAIN_MAX 16   /* certificates in a chain */
#define TLS_CREDS_MAX 1024 /* sets loaded in one run (SIGHUPs) */

/* The GnuTLS functions used here. */
#define GNUTLS_FUNCS(X)                                                                                               \
	X(gnutls_pcert_list_import_x509_raw)                                                                              \
	X(gnutls_pcert_deinit)                                                                                            \
	X(gnutls_privkey_init)                                                                                            \
	X(gnutls_privkey_import_x509_raw)                                                                                 \
	X(gnutls_privkey_deinit)                                                                                          \
	X(gnutls_strerror)

static struct {
#define GNUTLS_MEMBER(f) __typeof__(&f) f;
	GNUTLS_FUNCS(GNUTLS_MEMBER)
#undef GNUTLS_MEMBER
} gt;
static pthread_once_t gt_once = PTHREAD_ONCE_INIT;

static void gt_load(void)
{
	static const char *const names[] = {
#define GNUTLS_NAME(f) #f,
		GNUTLS_FUNCS(GNUTLS_NAME)
#undef GNUTLS_NAME
	};

	_Static_assert(sizeof(gt) == ARRAY_LEN(names) * sizeof(void *), "one pointer per function");
	dynlib_load(GNUTLS_SONAME, names, (void **)&gt, ARRAY_LEN(names));
}

struct creds {
	gnutls_pcert_st chain[TLS_CHAIN_MAX];
	unsigned nchain;
	gnutls_privkey_t key;
};

static _Atomic(struct creds *) current;
static pthread_mutex_t all_mu = PTHREAD_MUTEX_INITIALIZER;
static struct creds *all[TLS_CREDS_MAX]; /* every set made current, for tls_creds_free_all */
static size_t nall;

static void creds_free(struct creds *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nchain; i++)
		gt.gnutls_pcert_deinit(&c->chain[i]);
	if (c->key)
		gt.gnutls_privkey_deinit(c->key);
	free(c);
}

int tls_creds_set(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len)
{
	gnutls_datum_t cert = {(unsigned char *)(uintptr_t)cert_pem, (unsigned)cert_len};
	gnutls_datum_t key = {(unsigned char *)(uintptr_t)key_pem, (unsigned)key_len};
	struct creds *c;
	int rc;

	pthread_once(&gt_once, gt_load);
	c = calloc(1, sizeof(*c));
	if (!c)
		return C_ERR;
	c->nchain = TLS_CHAIN_MAX;
	rc = gt.gnutls_pcert_list_import_x509_raw(c->chain, &c->nchain, &cert, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0) {
		c->nchain = 0;
		log_errorx("TLS: cannot load the certificate chain (at most %d certificates): %s", TLS_CHAIN_MAX,
		           gt.gnutls_strerror(rc));
		goto fail;
	}
	if ((rc = gt.gnutls_privkey_init(&c->key)) < 0 ||
	    (rc = gt.gnutls_privkey_import_x509_raw(c->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		log_errorx("TLS: cannot load the private key: %s", gt.gnutls_strerror(rc));
		goto fail;
	}
	pthread_mutex_lock(&all_mu);
	if (nall == TLS_CREDS_MAX) {
		pthread_mutex_unlock(&all_mu);
		log_errorx("TLS: %d certificate reloads in one run; restart the server to load more", TLS_CREDS_MAX);
		goto fail;
	}
	all[nall++] = c;
	atomic_store(&current, c);
	pthread_mutex_unlock(&all_mu);
	return C_OK;
fail:
	creds_free(c);
	return C_ERR;
}

/* gnutls_certificate_retrieve_function2: the current set, whatever the client asked for. */
static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                    unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct creds *c = atomic_load(&current);

	UNUSED(session);
	UNUSED(req_ca_rdn);
	UNUSED(nreqs);
	UNUSED(pk_algos);
	UNUSED(pk_algos_length);
	if (!c)
		return -1;
	*pcert = c->chain;
	*pcert_length = c->nchain;
	*pkey = c->key;
	return 0;
}

void *tls_creds_callback(void)
{
	gnutls_certificate_retrieve_function2 *fn = retrieve;
	return (void *)(uintptr_t)fn;
}

void tls_creds_free_all(void)
{
	pthread_mutex_lock(&all_mu);
	atomic_store(&current, NULL);
	for (size_t i = 0; i < nall; i++)
		creds_free(all[i]);
	nall = 0;
	pthread_mutex_unlock(&all_mu);
}
