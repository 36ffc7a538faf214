/*
 * ids.c - AWS-shaped identifiers from the system's CSPRNG.
 */
#include "aws/ids.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"
#include "util/crypto.h"

static const char base32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void random_or_die(void *p, size_t n)
{
	if (crypto_random(p, n) != C_OK)
		abort();
}

void id_account(char out[13])
{
	crypto_random_chars("0123456789", 10, out, 12);
	out[12] = '\0';
}

/* Base32 of 10 bytes: 16 characters. */
static void base32_10(const uint8_t in[10], char out[16])
{
	uint64_t hi = 0, lo = 0;

	for (int i = 0; i < 5; i++)
		hi = hi << 8 | in[i];
	for (int i = 5; i < 10; i++)
		lo = lo << 8 | in[i];
	for (int i = 0; i < 8; i++) {
		out[i] = base32[(hi >> (35 - 5 * i)) & 31];
		out[8 + i] = base32[(lo >> (35 - 5 * i)) & 31];
	}
}

void id_access_key(const char *prefix, const char *account_id, char out[ACCESS_KEY_ID_LEN + 1])
{
	uint8_t b[10];
	uint64_t acct = strtoull(account_id, NULL, 10), z;

	random_or_die(b, sizeof(b));
	/* Bytes 0-5 hold (account << 7) | 7 random bits, with the top bit clear, as in AWS's keys. */
	z = (acct << 7) | (b[5] & 0x7f);
	for (int i = 5; i >= 0; i--) {
		b[i] = (uint8_t)(z & 0xff);
		z >>= 8;
	}
	b[0] &= 0x7f;
	memcpy(out, prefix, 4);
	base32_10(b, out + 4);
	out[ACCESS_KEY_ID_LEN] = '\0';
}

bool id_access_key_account(const char *id, char out[13])
{
	uint64_t z = 0;
	int bits = 0;
	uint8_t b[10];
	size_t nb = 0;

	if (strlen(id) != ACCESS_KEY_ID_LEN || (strncmp(id, "AKIA", 4) != 0 && strncmp(id, "ASIA", 4) != 0))
		return false;
	for (int i = 4; i < ACCESS_KEY_ID_LEN; i++) {
		const char *p = strchr(base32, id[i]);
		if (!p || !id[i])
			return false;
		z = z << 5 | (uint64_t)(p - base32);
		bits += 5;
		if (bits >= 8) {
			b[nb++] = (uint8_t)(z >> (bits - 8));
			bits -= 8;
		}
	}
	z = 0;
	for (int i = 0; i < 6; i++)
		z = z << 8 | b[i];
	z = (z & 0x7fffffffff80ULL) >> 7;
	if (z > 999999999999ULL)
		return false;
	snprintf(out, 13, "%012" PRIu64, z);
	return true;
}

void id_secret_key(char out[SECRET_KEY_LEN + 1])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	crypto_random_chars(alphabet, 64, out, SECRET_KEY_LEN);
	out[SECRET_KEY_LEN] = '\0';
}

void id_unique(const char *prefix, char out[UNIQUE_ID_LEN + 1])
{
	memcpy(out, prefix, 4);
	crypto_random_chars(base32, 32, out + 4, UNIQUE_ID_LEN - 4);
	out[UNIQUE_ID_LEN] = '\0';
}

#define REQUEST_ID_POOL 1024 /* random bytes kept per thread: 64 request ids per CSPRNG call */

void id_request(char out[REQUEST_ID_LEN + 1])
{
	/* A version-4 UUID: 122 bits from the CSPRNG, as AWS's request ids, so that one id tells nothing of another
	 * (how many requests came between them, from which thread). The bytes are drawn in batches: one CSPRNG call
	 * (and its fork check) per 64 requests. Used bytes are wiped. */
	static _Thread_local uint8_t pool[REQUEST_ID_POOL];
	static _Thread_local size_t used = REQUEST_ID_POOL;
	uint8_t b[16];
	char hex[33];

	if (used + sizeof(b) > sizeof(pool)) {
		random_or_die(pool, sizeof(pool));
		used = 0;
	}
	memcpy(b, pool + used, sizeof(b));
	explicit_bzero(pool + used, sizeof(b));
	used += sizeof(b);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	hex_encode(b, 16, hex);
	snprintf(out, REQUEST_ID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}
