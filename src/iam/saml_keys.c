/*
 * saml_keys.c - a SAML provider's private keys (saml_keys.h): OpenSSL reads the PEM, the PKCS#8 DER is what is
 * sealed and what libxmlsec1 later loads (src/federation/saml_decrypt.c).
 */
#include "iam/saml_keys.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/secrets.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/log.h"

#define AAD_PREFIX "saml-key:"

/* An encrypted PEM is refused: no passphrase is ever given. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* The PKCS#8 DER of the RSA key in pem into der (*len bytes). C_ERR with why (the caller's input), or with why
 * left empty (a fault). */
static int pem_to_der(const char *pem, uint8_t der[SAML_KEY_DER_MAX], size_t *len, char *why, size_t why_cap)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pkey = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *p = der;
	int bits, n, rc = C_ERR;

	if (!bio)
		goto done; /* why stays empty: a fault, not the caller's input */
	if (!(pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL))) {
		snprintf(why, why_cap, "The private key is not a valid unencrypted PEM private key.");
		goto done;
	}
	bits = EVP_PKEY_get_bits(pkey);
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
		snprintf(why, why_cap, "The private key must be an RSA key.");
		goto done;
	}
	if (bits < SAML_KEY_BITS_MIN || bits > SAML_KEY_BITS_MAX) {
		snprintf(why, why_cap, "The RSA private key must be %d to %d bits long, not %d.", SAML_KEY_BITS_MIN,
		         SAML_KEY_BITS_MAX, bits);
		goto done;
	}
	if (!(p8 = EVP_PKEY2PKCS8(pkey)) || (n = i2d_PKCS8_PRIV_KEY_INFO(p8, NULL)) <= 0 || n > SAML_KEY_DER_MAX ||
	    i2d_PKCS8_PRIV_KEY_INFO(p8, &p) != n)
		goto done;
	*len = (size_t)n;
	rc = C_OK;
done:
	PKCS8_PRIV_KEY_INFO_free(p8); /* OpenSSL cleanses its key octets */
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}

int saml_key_seal(const char *pem, int64_t now_ms, struct store_saml_key *k, char *why, size_t why_cap)
{
	uint8_t der[SAML_KEY_DER_MAX];
	char aad[sizeof(AAD_PREFIX) + SAML_KEY_ID_LEN];
	size_t len = 0;
	int rc = C_ERR;

	memset(k, 0, sizeof(*k));
	if (pem_to_der(pem, der, &len, why, why_cap) != C_OK)
		goto done;
	crypto_random_chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 32, k->key_id, SAML_KEY_ID_LEN);
	k->key_id[SAML_KEY_ID_LEN] = '\0';
	k->created_ms = now_ms;
	snprintf(aad, sizeof(aad), AAD_PREFIX "%s", k->key_id);
	if (secrets_seal(aad, der, len, k->sealed, sizeof(k->sealed), &k->sealed_len) != C_OK)
		goto done;
	rc = C_OK;
done:
	explicit_bzero(der, sizeof(der));
	return rc;
}

int saml_keys_open(const struct store_saml_key *keys, size_t n, const char *mode, struct saml_keys *out)
{
	char aad[sizeof(AAD_PREFIX) + SAML_KEY_ID_LEN];

	memset(out, 0, sizeof(*out));
	out->required = mode && strcmp(mode, "Required") == 0;
	for (size_t i = 0; i < n && i < SAML_DECRYPT_KEYS_MAX; i++) {
		size_t len;
		if (keys[i].sealed_len <= AEAD_OVERHEAD)
			goto fail;
		len = keys[i].sealed_len - AEAD_OVERHEAD;
		if (!(out->der[i] = malloc(len + 1)))
			goto fail;
		out->len[i] = len;
		out->n = i + 1;
		snprintf(aad, sizeof(aad), AAD_PREFIX "%s", keys[i].key_id);
		if (secrets_open(aad, keys[i].sealed, keys[i].sealed_len, (char *)out->der[i], len + 1) != C_OK) {
			log_warnx("saml private key %s does not open under the master key", keys[i].key_id);
			goto fail;
		}
	}
	return C_OK;
fail:
	saml_keys_clear(out);
	return C_ERR;
}

int saml_keys_load(struct db_tx *tx, const char *provider_id, const char *mode, struct saml_keys *out)
{
	struct store_saml_key keys[SAML_PRIVATE_KEYS_MAX];
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_saml_keys(tx, provider_id, keys, &n);
	if (rc == C_OK)
		rc = saml_keys_open(keys, n, mode, out);
	explicit_bzero(keys, sizeof(keys));
	return rc;
}
