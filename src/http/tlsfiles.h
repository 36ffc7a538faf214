/*
 * tlsfiles.h - the certificate chain and private key of `rolegate server --tls-cert/--tls-key`, read and checked
 * before the server writes anything (a wrong file stops start-up with a message, not a half-made data directory).
 */
#ifndef ROLEGATE_TLSFILES_H
#define ROLEGATE_TLSFILES_H

#include <stddef.h>

#define TLS_FILE_MAX (1024 * 1024) /* a chain of a dozen certificates is ~20 KiB */

struct tls_files {
	char *cert_pem; /* NUL-terminated; owned */
	char *key_pem;  /* NUL-terminated; owned, a secret: tls_files_wipe */
	size_t cert_len, key_len;
};

/*
 * Reads cert_path (PEM certificates, leaf first, as nginx takes them) and key_path (an unencrypted PEM private
 * key), each bounded by TLS_FILE_MAX, and checks that the first certificate parses and matches the key. C_OK, or
 * C_ERR (logged; nothing kept).
 */
int tls_files_load(const char *cert_path, const char *key_path, struct tls_files *out);
/* Wipes the key (explicit_bzero) and frees both. Safe on a zeroed struct. */
void tls_files_wipe(struct tls_files *f);

#endif
