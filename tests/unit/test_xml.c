/*
 * test_xml.c - tests src/aws/xml.c: the element writers and text escaping.
 *
 * The five XML specials are escaped, CR is written as a character reference (so an XML parser's line-end
 * normalisation keeps it), tab and LF pass, and everything XML 1.0 cannot carry - C0 controls, U+FFFE, U+FFFF and
 * bytes that are not well-formed UTF-8 - becomes U+FFFD, so a response is well-formed whatever text it carries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "aws/xml.h"
#include "util/buf.h"
#include "util/common.h"
#include "util/utf8.h"

#define FFFD "\xEF\xBF\xBD"

/* xml_text of s[0..len) gives want. */
static void text_is(const char *s, size_t len, const char *want)
{
	struct buf b;

	buf_init(&b, 1 << 16);
	assert_int_equal(xml_text(&b, s, len), C_OK);
	if (strcmp(buf_str(&b), want) != 0)
		print_error("escaped '%.*s' to '%s', expected '%s'\n", (int)len, s, buf_str(&b), want);
	assert_string_equal(buf_str(&b), want);
	assert_true(utf8_valid(buf_str(&b), b.len));
	buf_free(&b);
}

#define TEXT(s, want) text_is(s, sizeof(s) - 1, want)

static void test_elements(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(xml_open_ns(&b, "GetUserResponse", "https://iam.amazonaws.com/doc/2010-05-08/"), C_OK);
	assert_int_equal(xml_open(&b, "GetUserResult"), C_OK);
	assert_int_equal(xml_element(&b, "UserName", "bob"), C_OK);
	assert_int_equal(xml_element(&b, "Path", ""), C_OK);
	assert_int_equal(xml_close(&b, "GetUserResult"), C_OK);
	assert_int_equal(xml_close(&b, "GetUserResponse"), C_OK);
	assert_string_equal(buf_str(&b), "<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
	                                 "<GetUserResult><UserName>bob</UserName><Path></Path></GetUserResult>"
	                                 "</GetUserResponse>");
	buf_reset(&b);
	/* The namespace and element text are escaped. */
	assert_int_equal(xml_open_ns(&b, "R", "urn:a\"b&c"), C_OK);
	assert_int_equal(xml_element(&b, "M", "x<y"), C_OK);
	assert_string_equal(buf_str(&b), "<R xmlns=\"urn:a&quot;b&amp;c\"><M>x&lt;y</M>");
	buf_free(&b);
}

static void test_specials(void **state)
{
	(void)state;
	TEXT("", "");
	TEXT("plain text 123", "plain text 123");
	TEXT("&", "&amp;");
	TEXT("<", "&lt;");
	TEXT(">", "&gt;");
	TEXT("\"", "&quot;");
	TEXT("'", "&apos;");
	TEXT("a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&apos;f");
	TEXT("&amp;", "&amp;amp;"); /* no double-guessing of existing entities */
	TEXT("]]>", "]]&gt;");
}

static void test_controls(void **state)
{
	char s[2] = {0, 0};

	(void)state;
	TEXT("a\tb\nc", "a\tb\nc");
	TEXT("a\rb", "a&#xD;b");
	TEXT("\r\n", "&#xD;\n");
	TEXT("\x7f", "\x7f"); /* DEL is an XML 1.0 character */
	/* Every other C0 control, and NUL inside the text. */
	for (int c = 0; c < 0x20; c++) {
		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		s[0] = (char)c;
		text_is(s, 1, FFFD);
	}
	text_is("a\0b", 3, "a" FFFD "b");
	TEXT("\x01\x02", FFFD FFFD);
}

static void test_utf8_passes(void **state)
{
	(void)state;
	TEXT("caf\xC3\xA9", "caf\xC3\xA9");
	TEXT("\xE2\x82\xAC & \xF0\x9F\x98\x80", "\xE2\x82\xAC &amp; \xF0\x9F\x98\x80");
	TEXT("\xEF\xBF\xBD", FFFD);
	TEXT("\xEF\xBF\xBC", "\xEF\xBF\xBC");         /* U+FFFC */
	TEXT("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"); /* U+10FFFF */
	TEXT("\xC2\x85", "\xC2\x85");                 /* U+0085 */
}

static void test_not_characters(void **state)
{
	(void)state;
	/* U+FFFE and U+FFFF are well-formed UTF-8 but not XML characters. */
	TEXT("\xEF\xBF\xBE", FFFD);
	TEXT("a\xEF\xBF\xBF" "b", "a" FFFD "b");
	/* Bytes that are not UTF-8 (say, a message cut inside a character) never reach the output as they are. */
	TEXT("\xC3", FFFD);
	TEXT("ab\xE2\x82", "ab" FFFD FFFD);
	TEXT("\x80z", FFFD "z");
	TEXT("\xFF\xFE", FFFD FFFD);
	TEXT("\xC0\xAF", FFFD FFFD);              /* overlong */
	TEXT("\xED\xA0\x80", FFFD FFFD FFFD);     /* surrogate */
	TEXT("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* above U+10FFFF */
	TEXT("\xE2\x82<", FFFD FFFD "&lt;");
	TEXT("\xC3\xA9\xC3", "\xC3\xA9" FFFD);
}

static void test_cap(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(xml_text(&b, "abc", 3), C_OK);
	assert_int_equal(xml_text(&b, "&&", 2), C_ERR); /* 3 + 10 > 8 */
	assert_true(b.len <= 8);
	buf_free(&b);
	buf_init(&b, 8);
	assert_int_equal(xml_element(&b, "abc", "d"), C_ERR); /* "<abc>d</abc>" is 12 */
	assert_true(b.len <= 8);
	buf_free(&b);
	buf_init(&b, 12);
	assert_int_equal(xml_element(&b, "abc", "d"), C_OK);
	assert_string_equal(buf_str(&b), "<abc>d</abc>");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elements),    cmocka_unit_test(test_specials),
		cmocka_unit_test(test_controls),    cmocka_unit_test(test_utf8_passes),
		cmocka_unit_test(test_not_characters), cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
