/*
 * test_http_headers.c - tests http_response_header (src/http/http.c): headers are kept in order, a name may repeat
 * (Set-Cookie), and what could split or smuggle a header is refused: CR, LF or other control characters in a
 * name or value, a colon or space in a name, an empty name, a value too long, more headers than the list holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/http.h"
#include "util/common.h"

static void test_headers(void **state)
{
	struct http_response r;
	char long_value[HTTP_RESP_HEADER_VALUE_MAX + 1];

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(http_response_header(&r, "Set-Cookie", "a=1; Path=/console; HttpOnly"), C_OK);
	assert_int_equal(http_response_header(&r, "Set-Cookie", "b=2"), C_OK);
	assert_int_equal(http_response_header(&r, "Location", "/console/"), C_OK);
	assert_int_equal(r.nheaders, 3);
	assert_string_equal(r.headers[0].value, "a=1; Path=/console; HttpOnly");
	assert_string_equal(r.headers[1].name, "Set-Cookie");
	assert_string_equal(r.headers[2].value, "/console/");

	/* header injection and malformed names */
	assert_int_equal(http_response_header(&r, "Location", "/x\r\nSet-Cookie: evil=1"), C_ERR);
	assert_int_equal(http_response_header(&r, "Location", "/x\nevil"), C_ERR);
	assert_int_equal(http_response_header(&r, "X-A\r\nB", "v"), C_ERR);
	assert_int_equal(http_response_header(&r, "X-A:B", "v"), C_ERR);
	assert_int_equal(http_response_header(&r, "X A", "v"), C_ERR);
	assert_int_equal(http_response_header(&r, "", "v"), C_ERR);
	assert_int_equal(http_response_header(&r, "X-Del", "a\x7f"), C_ERR);
	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	assert_int_equal(http_response_header(&r, "X-Long", long_value), C_ERR);
	assert_int_equal(r.nheaders, 3); /* nothing refused was kept */
	/* a tab is allowed in a value */
	assert_int_equal(http_response_header(&r, "X-Tab", "a\tb"), C_OK);

	/* the list is bounded */
	while (r.nheaders < HTTP_RESP_HEADERS_MAX)
		assert_int_equal(http_response_header(&r, "X-Fill", "1"), C_OK);
	assert_int_equal(http_response_header(&r, "X-One-More", "1"), C_ERR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
