/*
 * fuzz_jwt.c - the JWT and JWK set readers of sts:AssumeRoleWithWebIdentity (src/sts/jwt.c, included: src/sts is
 * not in the fuzz archive) on any bytes: the input's first line is a token, the rest a key set; a token and a set
 * that both read are verified against each other.
 *
 * Checks beyond the sanitizers (abort on failure): a token that reads has an accepted alg (never "none" or HS*),
 * a non-empty signature and a signing input that is the input up to its last '.'; a failed parse leaves nothing
 * behind; a forged token never verifies (the fuzzer holds no private key: JWT_VALID would be a forgery unless the
 * input carries a real signature by a key it also carries, which it cannot make up).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts/jwt.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nl = memchr(text, '\n', size);
	size_t tlen = nl ? (size_t)(nl - text) : size;
	char why[JWT_ERROR_MAX];
	struct jwks *k = NULL;
	struct jwt t;

	if (jwt_parse(text, tlen, &t, why) == C_OK) {
		const char *last = memrchr(text, '.', tlen);
		if (!alg_find(t.alg) || strncmp(t.alg, "HS", 2) == 0 || t.sig_len == 0 || !last ||
		    t.signing_input_len != (size_t)(last - text) || memcmp(t.signing_input, text, t.signing_input_len) != 0)
			abort();
		if (nl && (k = jwks_parse(nl + 1, size - tlen - 1, why)) != NULL) {
			if (jwks_count(k) > JWKS_KEYS_MAX)
				abort();
			(void)jwt_verify(&t, k);
		}
		jwks_free(k);
		jwt_free(&t);
	} else if (t.header || t.claims || t.sig || t.signing_input) {
		abort();
	} else if (nl) {
		jwks_free(jwks_parse(nl + 1, size - tlen - 1, why));
	}
	return 0;
}
