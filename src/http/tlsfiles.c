/*
 * tlsfiles.c - reading and checking the TLS certificate chain and key (tlsfiles.h). The TLS itself is
 * libmicrohttpd's (GnuTLS); OpenSSL's libcrypto, which rolegate links anyway, only checks the files up front.
 */
#include "http/tlsfiles.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/file.h"
#include "util/log.h"

void tls_files_wipe(struct tls_files *f)
{
	if (f->key_pem) {
		explicit_bzero(f->key_pem, f->key_len);
		free(f->key_pem);
	}
	free(f->cert_pem);
	memset(f, 0, sizeof(*f));
}

/* The passphrase callback: an encrypted key is refused (nobody is there to type its passphrase). */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	UNUSED(buf);
	UNUSED(size);
	UNUSED(rwflag);
	UNUSED(u);
	return -1;
}

/* Whether the first certificate of the chain parses and its public key is key's. */
static int check_pair(const struct tls_files *f, const char *cert_path, const char *key_path)
{
	BIO *cb = BIO_new_mem_buf(f->cert_pem, (int)f->cert_len);
	BIO *kb = BIO_new_mem_buf(f->key_pem, (int)f->key_len);
	X509 *leaf = NULL;
	EVP_PKEY *key = NULL;
	int result = C_ERR;

	if (!cb || !kb)
		goto out;
	leaf = PEM_read_bio_X509(cb, NULL, no_passphrase, NULL);
	if (!leaf) {
		log_errorx("%s: no PEM certificate (BEGIN CERTIFICATE) at its start", cert_path);
		goto out;
	}
	key = PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL);
	if (!key) {
		log_errorx("%s: not an unencrypted PEM private key", key_path);
		goto out;
	}
	if (X509_check_private_key(leaf, key) != 1) {
		log_errorx("%s does not match the first certificate of %s (the leaf must come first)", key_path, cert_path);
		goto out;
	}
	result = C_OK;
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(leaf);
	BIO_free(kb);
	BIO_free(cb);
	return result;
}

int tls_files_load(const char *cert_path, const char *key_path, struct tls_files *out)
{
	memset(out, 0, sizeof(*out));
	if (file_read_bounded(cert_path, TLS_FILE_MAX, &out->cert_pem, &out->cert_len) != C_OK ||
	    file_read_bounded(key_path, TLS_FILE_MAX, &out->key_pem, &out->key_len) != C_OK ||
	    check_pair(out, cert_path, key_path) != C_OK) {
		tls_files_wipe(out);
		return C_ERR;
	}
	return C_OK;
}
