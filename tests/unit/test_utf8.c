/*
 * test_utf8.c - tests src/util/utf8.c: strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF, no truncated sequences) and lengths in UTF-16 code units.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/common.h"
#include "util/utf8.h"

#define VALID(s) check_valid(s, sizeof(s) - 1, true, __LINE__)
#define INVALID(s) check_valid(s, sizeof(s) - 1, false, __LINE__)

static void check_valid(const char *s, size_t len, bool want, int line)
{
	if (utf8_valid(s, len) != want) {
		print_error("line %d: utf8_valid(", line);
		for (size_t i = 0; i < len; i++)
			print_error("%s%02X", i ? " " : "", (unsigned char)s[i]);
		print_error(") should be %s\n", want ? "true" : "false");
		fail();
	}
}

/* Encodes code point cp (any value up to 0x7FFFFFFF, surrogates included) the way UTF-8's scheme would. */
static size_t encode(uint32_t cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | ((cp >> 18) & 0x07));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

static void test_ascii_and_empty(void **state)
{
	(void)state;
	VALID("");
	VALID("hello, world");
	VALID("\x01\x7f");
	VALID("a\0b"); /* NUL is a character; the length says where the string ends */
	assert_true(utf8_valid("\xff", 0)); /* nothing is read beyond len */
}

static void test_boundaries(void **state)
{
	(void)state;
	VALID("\xC2\x80");         /* U+0080 */
	VALID("\xDF\xBF");         /* U+07FF */
	VALID("\xE0\xA0\x80");     /* U+0800 */
	VALID("\xED\x9F\xBF");     /* U+D7FF */
	VALID("\xEE\x80\x80");     /* U+E000 */
	VALID("\xEF\xBF\xBF");     /* U+FFFF */
	VALID("\xF0\x90\x80\x80"); /* U+10000 */
	VALID("\xF4\x8F\xBF\xBF"); /* U+10FFFF */
	VALID("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

static void test_overlong(void **state)
{
	(void)state;
	INVALID("\xC0\x80");
	INVALID("\xC0\xAF");
	INVALID("\xC1\xBF");
	INVALID("\xE0\x80\x80");
	INVALID("\xE0\x9F\xBF"); /* U+07FF in three bytes */
	INVALID("\xF0\x80\x80\x80");
	INVALID("\xF0\x8F\xBF\xBF"); /* U+FFFF in four bytes */
}

static void test_surrogates_and_range(void **state)
{
	(void)state;
	INVALID("\xED\xA0\x80"); /* U+D800 */
	INVALID("\xED\xAF\xBF"); /* U+DBFF */
	INVALID("\xED\xB0\x80"); /* U+DC00 */
	INVALID("\xED\xBF\xBF"); /* U+DFFF */
	INVALID("\xED\xA0\xBD\xED\xB8\x80"); /* a surrogate pair encoded as two (CESU-8) */
	INVALID("\xF4\x90\x80\x80"); /* U+110000 */
	INVALID("\xF5\x80\x80\x80");
	INVALID("\xF7\xBF\xBF\xBF");
	INVALID("\xF8\x88\x80\x80\x80"); /* five-byte forms */
	INVALID("\xFC\x84\x80\x80\x80\x80");
	INVALID("\xFE");
	INVALID("\xFF");
}

static void test_truncated_and_stray(void **state)
{
	(void)state;
	INVALID("\x80");
	INVALID("\xBF");
	INVALID("a\x80z");
	INVALID("\xC3");
	INVALID("\xE2\x82");
	INVALID("\xF0\x9F\x98");
	INVALID("\xE2\x82x");       /* continuation replaced by ASCII */
	INVALID("\xF0\x9F\x98\x80\x80"); /* one continuation too many */
	INVALID("ok\xC3");          /* truncated at the very end */
	/* A valid sequence cut by len. */
	assert_false(utf8_valid("\xE2\x82\xAC", 2));
	assert_true(utf8_valid("\xE2\x82\xAC", 3));
}

static void test_exhaustive_code_points(void **state)
{
	unsigned char b[4];

	(void)state;
	/* Every code point: valid exactly when it is a Unicode scalar value. */
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		size_t n = encode(cp, b);
		bool want = cp < 0xD800 || cp > 0xDFFF;
		if (utf8_valid((const char *)b, n) != want) {
			print_error("U+%04X: expected %s\n", (unsigned)cp, want ? "valid" : "invalid");
			fail();
		}
		if (want && utf8_utf16_len((const char *)b, n) != (cp >= 0x10000 ? 2u : 1u)) {
			print_error("U+%04X: wrong UTF-16 length\n", (unsigned)cp);
			fail();
		}
	}
	/* Beyond: never. */
	for (uint32_t cp = 0x110000; cp < 0x200000; cp += 0x1001) {
		size_t n = encode(cp, b);
		assert_false(utf8_valid((const char *)b, n));
	}
}

static void test_all_two_byte_inputs(void **state)
{
	unsigned char s[2];

	(void)state;
	/* Every pair of bytes, against the rule written out. */
	for (int a = 0; a < 256; a++) {
		for (int c = 0; c < 256; c++) {
			bool want;
			s[0] = (unsigned char)a;
			s[1] = (unsigned char)c;
			if (a < 0x80)
				want = c < 0x80;
			else if (a >= 0xC2 && a <= 0xDF)
				want = c >= 0x80 && c <= 0xBF;
			else
				want = false; /* a stray continuation, an overlong lead or a truncated longer sequence */
			if (utf8_valid((const char *)s, 2) != want) {
				print_error("%02X %02X: expected %s\n", a, c, want ? "valid" : "invalid");
				fail();
			}
		}
	}
}

static void test_utf16_len(void **state)
{
	(void)state;
	assert_int_equal(utf8_utf16_len("", 0), 0);
	assert_int_equal(utf8_utf16_len("abc", 3), 3);
	assert_int_equal(utf8_utf16_len("\xC3\xA9", 2), 1);             /* é */
	assert_int_equal(utf8_utf16_len("\xE2\x82\xAC", 3), 1);         /* € */
	assert_int_equal(utf8_utf16_len("\xF0\x9F\x98\x80", 4), 2);     /* 😀: a surrogate pair */
	assert_int_equal(utf8_utf16_len("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z", 11), 6);
	assert_int_equal(utf8_utf16_len("a\0b", 3), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_and_empty),       cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_overlong),              cmocka_unit_test(test_surrogates_and_range),
		cmocka_unit_test(test_truncated_and_stray),   cmocka_unit_test(test_exhaustive_code_points),
		cmocka_unit_test(test_all_two_byte_inputs),   cmocka_unit_test(test_utf16_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
