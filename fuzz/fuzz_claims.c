/*
 * fuzz_claims.c - the session-token claims' decoder (src/server/tokens.c, included to reach its statics) on any
 * bytes. A token's claims are authenticated (AES-256-GCM) before they are decoded, so this is the decoder's own
 * robustness, not an attack surface of its own.
 *
 * Checks beyond the sanitizers (abort on failure): what decodes has every string terminated within its field, the
 * access key id, secret and expiry set, and re-encodes to exactly the input (the encoding is canonical); what does
 * not decode leaves the claims cleared.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/tokens.c"

/* Sealing is not reached from here; the keyring is not linked into the fuzz archive. */
int keyring_issuing(struct keyring *k, struct db_tx *tx, char kid[KEY_ID_LEN + 1], uint8_t key[AEAD_KEY_LEN])
{
	(void)k, (void)tx, (void)kid, (void)key;
	abort();
}

int keyring_find(struct keyring *k, const char *kid, uint8_t key[AEAD_KEY_LEN])
{
	(void)k, (void)kid, (void)key;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t again[TOKEN_MAX];
	struct session_claims c;
	size_t n;

	if (claims_decode(data, size, &c) != C_OK) {
		if (c.session_policy || c.secret[0] || c.ntags || c.tags_len)
			abort();
		return 0;
	}
	if (!memchr(c.account_id, 0, sizeof(c.account_id)) || !memchr(c.secret, 0, sizeof(c.secret)) ||
	    !memchr(c.session_name, 0, sizeof(c.session_name)) || !memchr(c.source_arn, 0, sizeof(c.source_arn)) ||
	    !c.access_key_id[0] || !c.secret[0] || !c.expires_s)
		abort();
	n = claims_encode(&c, again, sizeof(again));
	if (n != size || memcmp(again, data, size) != 0)
		abort();
	claims_clear(&c);
	return 0;
}
