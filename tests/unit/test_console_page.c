/*
 * test_console_page.c - tests the console's HTML escaping (src/console/page.c): html_text and html_attr escape
 * every character that could end a text node or an attribute; html_printf escapes every %s argument and nothing
 * else (%S is trusted markup; numbers as printf writes them); html_url percent-encodes all but RFC 3986's
 * unreserved characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "console/page.h"

static void test_text(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	html_text(&b, "<script>alert('x') & \"y\"</script>");
	assert_string_equal(buf_str(&b), "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
	buf_reset(&b);
	html_attr(&b, "\" onmouseover=\"x");
	assert_string_equal(buf_str(&b), "&quot; onmouseover=&quot;x");
	buf_reset(&b);
	html_text(&b, NULL);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void test_printf(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	html_printf(&b, "<p class=\"%s\">%s: %d %lld %zu %05u %x %%</p>%S", "a\"b", "<b>", -3, (long long)1 << 40,
	            (size_t)7, 42u, 255, "<br>");
	assert_string_equal(buf_str(&b), "<p class=\"a&quot;b\">&lt;b&gt;: -3 1099511627776 7 00042 ff %</p><br>");
	buf_reset(&b);
	html_printf(&b, "no conversions");
	assert_string_equal(buf_str(&b), "no conversions");
	buf_free(&b);
}

static void test_url(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	html_url(&b, "a b/c?d=e&f~g_h.i-j\xc3\xa9");
	assert_string_equal(buf_str(&b), "a%20b%2Fc%3Fd%3De%26f~g_h.i-j%C3%A9");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
