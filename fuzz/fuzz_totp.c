/*
 * fuzz_totp.c - the base32 decoder and the TOTP code checks (src/util/totp.c), on arbitrary bytes.
 *
 * The input is split at its first NUL: the part before is base32 text to decode (as a seed typed or pasted by a
 * person), the part after is a code to verify against the decoded seed (or a fixed one when decoding fails).
 *
 * Checks beyond the sanitizers:
 *   - what decodes re-encodes to the canonical text, which decodes to the same bytes;
 *   - a code that verifies is six digits and is the code of the step it matched;
 *   - a pair of codes verifies only when they are the codes of consecutive steps;
 *   - totp_uri either writes a NUL-terminated URI that fits or fails.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/totp.h"

#define NOW_S 1767323045

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t fixed[TOTP_SEED_LEN] = "0123456789012345678901234567890123456789";
	char *text = malloc(size + 1), *code, enc[1024], enc2[1024], expect[TOTP_DIGITS + 1], uri[512];
	uint8_t seed[600], again[600];
	size_t n = 0, n2 = 0, tlen;
	const uint8_t *key = fixed;
	size_t keylen = sizeof(fixed);
	uint64_t matched = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	tlen = strlen(text);
	code = tlen < size ? text + tlen + 1 : text + size;
	if (tlen < 900 && base32_decode(text, seed, sizeof(seed), &n) == C_OK) {
		if (base32_encode(seed, n, enc, sizeof(enc)) != (int)BASE32_LEN(n))
			abort();
		if (base32_decode(enc, again, sizeof(again), &n2) != C_OK || n2 != n || memcmp(seed, again, n) != 0)
			abort();
		if (base32_encode(again, n2, enc2, sizeof(enc2)) < 0 || strcmp(enc, enc2) != 0)
			abort();
		if (n > 0) {
			key = seed;
			keylen = n;
		}
	}
	if (totp_verify(key, keylen, code, NOW_S, 1, &matched)) {
		if (strlen(code) != TOTP_DIGITS)
			abort();
		totp_code(key, keylen, matched, expect);
		if (strcmp(expect, code) != 0 || matched + 1 < totp_counter(NOW_S) || matched > totp_counter(NOW_S) + 1)
			abort();
	}
	if (strlen(code) >= 2 * TOTP_DIGITS + 1 && code[TOTP_DIGITS] == ' ') {
		char c1[TOTP_DIGITS + 1], c2[TOTP_DIGITS + 1];
		memcpy(c1, code, TOTP_DIGITS);
		c1[TOTP_DIGITS] = '\0';
		memcpy(c2, code + TOTP_DIGITS + 1, TOTP_DIGITS);
		c2[TOTP_DIGITS] = '\0';
		if (totp_verify_pair(key, keylen, c1, c2, NOW_S, 2, &matched)) {
			totp_code(key, keylen, matched - 1, expect);
			if (strcmp(expect, c1) != 0)
				abort();
			totp_code(key, keylen, matched, expect);
			if (strcmp(expect, c2) != 0)
				abort();
		}
	}
	if (totp_uri(uri, sizeof(uri), text, code, "MZXW6") == C_OK && strlen(uri) >= sizeof(uri))
		abort();
	free(text);
	return 0;
}
