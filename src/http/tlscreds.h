/*
 * tlscreds.h - the certificate chain and key the listener's TLS handshakes use, swappable while it serves
 * (SIGHUP): libmicrohttpd hands each handshake to a GnuTLS certificate callback that reads the current set.
 *
 * GnuTLS (loaded with libmicrohttpd) is called through a small table, as mhd_api.h does for libmicrohttpd.
 */
#ifndef ROLEGATE_TLSCREDS_H
#define ROLEGATE_TLSCREDS_H

#include <stddef.h>

/*
 * Makes cert_pem (PEM certificates, leaf first) and key_pem the set new handshakes use; handshakes under way and
 * established connections keep theirs. The PEMs are copied (the caller wipes its key). C_OK, or C_ERR (logged; the
 * previous set stays).
 */
int tls_creds_set(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len);
/* The GnuTLS certificate callback (gnutls_certificate_retrieve_function2) to give MHD_OPTION_HTTPS_CERT_CALLBACK. */
void *tls_creds_callback(void);
/* Frees every set loaded (call once no connection is left: after the listener stopped). */
void tls_creds_free_all(void);

#endif
