/*
 * test_snapshot.c - tests src/server/snapshot.c's container: encode and decode round-trip; a truncated, extended or
 * altered file, a wrong magic, an unknown or repeated member name and a snapshot without rolegate.db are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "server/snapshot.h"
#include "util/common.h"
#include "util/crypto.h"

static const uint8_t main_db[] = "SQLite format 3\0 main database bytes";
static const uint8_t audit_db[] = "SQLite format 3\0 audit";

static void encode_two(uint8_t **buf, size_t *len)
{
	struct snapshot_member m[] = {{"rolegate.db", main_db, sizeof(main_db)}, {"audit.db", audit_db, sizeof(audit_db)}};

	assert_int_equal(snapshot_encode(m, 2, buf, len), C_OK);
}

static void test_round_trip(void **state)
{
	struct snapshot_member out[SNAPSHOT_MAX_MEMBERS];
	uint8_t *buf;
	size_t len, n;

	(void)state;
	encode_two(&buf, &len);
	assert_memory_equal(buf, SNAPSHOT_MAGIC, 8);
	assert_int_equal(snapshot_decode(buf, len, out, SNAPSHOT_MAX_MEMBERS, &n), C_OK);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].name, "rolegate.db");
	assert_int_equal(out[0].len, sizeof(main_db));
	assert_memory_equal(out[0].data, main_db, sizeof(main_db));
	assert_string_equal(out[1].name, "audit.db");
	assert_memory_equal(out[1].data, audit_db, sizeof(audit_db));
	free(buf);

	/* rolegate.db alone (no audit.db yet) */
	struct snapshot_member one[] = {{"rolegate.db", main_db, sizeof(main_db)}};
	assert_int_equal(snapshot_encode(one, 1, &buf, &len), C_OK);
	assert_int_equal(snapshot_decode(buf, len, out, SNAPSHOT_MAX_MEMBERS, &n), C_OK);
	assert_int_equal(n, 1);
	free(buf);
}

static void test_damage_refused(void **state)
{
	struct snapshot_member out[SNAPSHOT_MAX_MEMBERS];
	uint8_t *buf, *copy;
	size_t len, n;

	(void)state;
	encode_two(&buf, &len);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(snapshot_decode(buf, cut, out, SNAPSHOT_MAX_MEMBERS, &n), C_ERR);
	copy = malloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, buf, len);
		copy[i] ^= 0x01;
		assert_int_equal(snapshot_decode(copy, len, out, SNAPSHOT_MAX_MEMBERS, &n), C_ERR);
	}
	memcpy(copy, buf, len);
	copy[len] = 0;
	assert_int_equal(snapshot_decode(copy, len + 1, out, SNAPSHOT_MAX_MEMBERS, &n), C_ERR);
	assert_int_equal(snapshot_decode(buf, len, out, 1, &n), C_ERR); /* more members than room */
	free(copy);
	free(buf);
}

/* A well-formed container (right checksum) whose contents are not acceptable. */
static void test_bad_members_refused(void **state)
{
	static const char *const bodies[][2] = {
		{"audit.db", NULL},           /* no rolegate.db */
		{"rolegate.db", "rolegate.db"}, /* repeated */
		{"../etc/passwd", NULL},      /* not a member name */
		{"master.key", NULL},
	};
	struct snapshot_member out[SNAPSHOT_MAX_MEMBERS];

	(void)state;
	for (size_t t = 0; t < ARRAY_LEN(bodies); t++) {
		uint8_t buf[256];
		size_t off = 12, n, count = bodies[t][1] ? 2 : 1;
		memcpy(buf, SNAPSHOT_MAGIC, 8);
		memset(buf + 8, 0, 4);
		buf[11] = (uint8_t)count;
		for (size_t i = 0; i < count; i++) {
			size_t nl = strlen(bodies[t][i]);
			buf[off] = 0;
			buf[off + 1] = (uint8_t)nl;
			memcpy(buf + off + 2, bodies[t][i], nl);
			off += 2 + nl;
			memset(buf + off, 0, 8);
			buf[off + 7] = 3;
			memcpy(buf + off + 8, "abc", 3);
			off += 11;
		}
		crypto_sha256(buf, off, buf + off);
		assert_int_equal(snapshot_decode(buf, off + SHA256_LEN, out, SNAPSHOT_MAX_MEMBERS, &n), C_ERR);
	}
	/* the encoder refuses such names too */
	struct snapshot_member bad[] = {{"master.key", main_db, 1}};
	uint8_t *p;
	size_t len;
	assert_int_equal(snapshot_encode(bad, 1, &p, &len), C_ERR);
}

static int group_setup(void **state)
{
	(void)state;
	return crypto_init() == C_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	crypto_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damage_refused),
		cmocka_unit_test(test_bad_members_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
