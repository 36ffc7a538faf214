/*
 * test_buf.c - tests src/util/buf.c: the cap (an append past max fails and leaves the buffer as it was, for every
 * append function), NUL termination, growth staying within max, reset, steal and free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/common.h"

/* The buffer holds exactly the len bytes of want, NUL-terminated, within its allocation and max. */
static void assert_contents(const struct buf *b, const char *want, size_t len)
{
	assert_int_equal(b->len, len);
	assert_memory_equal(buf_str(b), want, len);
	assert_int_equal(buf_str(b)[len], '\0');
	assert_true(b->len <= b->max);
	if (b->p)
		assert_true(b->len < b->cap && b->cap <= b->max + 1);
}

static void test_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_null(b.p); /* nothing allocated until the first append */
	assert_string_equal(buf_str(&b), "");
	assert_contents(&b, "", 0);
	buf_free(&b);
	assert_int_equal(b.max, 10);
}

static void test_append_to_cap(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append(&b, "abcde", 5), C_OK);
	assert_int_equal(buf_puts(&b, "fg"), C_OK);
	assert_int_equal(buf_putc(&b, 'h'), C_OK);
	assert_contents(&b, "abcdefgh", 8); /* exactly max */
	/* Full: every append of one more byte fails and changes nothing. */
	assert_int_equal(buf_putc(&b, 'i'), C_ERR);
	assert_contents(&b, "abcdefgh", 8);
	assert_int_equal(buf_puts(&b, "i"), C_ERR);
	assert_contents(&b, "abcdefgh", 8);
	assert_int_equal(buf_append(&b, "ijk", 3), C_ERR);
	assert_contents(&b, "abcdefgh", 8);
	assert_int_equal(buf_printf(&b, "%d", 1), C_ERR);
	assert_contents(&b, "abcdefgh", 8);
	/* Appending nothing is still fine. */
	assert_int_equal(buf_append(&b, "", 0), C_OK);
	assert_int_equal(buf_printf(&b, "%s", ""), C_OK);
	assert_contents(&b, "abcdefgh", 8);
	buf_free(&b);
}

static void test_append_past_cap_partial(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_puts(&b, "hello"), C_OK);
	/* 5 + 6 > 10: refused whole, not truncated. */
	assert_int_equal(buf_puts(&b, " world"), C_ERR);
	assert_contents(&b, "hello", 5);
	assert_int_equal(buf_printf(&b, " %s", "world"), C_ERR);
	assert_contents(&b, "hello", 5);
	/* 5 + 5 = 10 fits. */
	assert_int_equal(buf_printf(&b, " %s", "worl"), C_OK);
	assert_contents(&b, "hello worl", 10);
	buf_free(&b);
}

static void test_huge_length(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_puts(&b, "abc"), C_OK);
	/* A length that would wrap around must fail before anything is read. */
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), C_ERR);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX - 2), C_ERR);
	assert_int_equal(buf_append(&b, "x", 98), C_ERR);
	assert_contents(&b, "abc", 3);
	buf_free(&b);
}

static void test_zero_max(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_putc(&b, 'a'), C_ERR);
	assert_contents(&b, "", 0);
	assert_int_equal(buf_append(&b, "", 0), C_OK);
	assert_contents(&b, "", 0);
	buf_free(&b);
}

static void test_growth(void **state)
{
	struct buf b;
	char want[1000];

	(void)state;
	buf_init(&b, sizeof(want));
	for (size_t i = 0; i < sizeof(want); i++) {
		want[i] = (char)('a' + i % 26);
		assert_int_equal(buf_putc(&b, want[i]), C_OK);
		assert_contents(&b, want, i + 1);
	}
	assert_int_equal(buf_putc(&b, 'x'), C_ERR);
	assert_contents(&b, want, sizeof(want));
	buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
}

static void test_binary(void **state)
{
	struct buf b;
	const char data[] = {'a', '\0', 'b', '\0'};

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_append(&b, data, sizeof(data)), C_OK);
	assert_contents(&b, data, sizeof(data));
	buf_free(&b);
}

static void test_printf(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), C_OK);
	assert_int_equal(buf_printf(&b, ";%05.1f", 3.14159), C_OK);
	assert_contents(&b, "n=42;003.1", 10);
	buf_free(&b);
}

static void test_reset_and_steal(void **state)
{
	struct buf b;
	char *s;
	const char *p;

	(void)state;
	buf_init(&b, 32);
	assert_int_equal(buf_puts(&b, "secret"), C_OK);
	p = b.p;
	buf_reset(&b);
	assert_contents(&b, "", 0);
	assert_ptr_equal(b.p, p); /* storage kept */
	assert_int_equal(buf_puts(&b, "value"), C_OK);
	s = buf_steal(&b);
	assert_string_equal(s, "value");
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 32);
	free(s);
	/* Stealing an empty buffer gives "" to free, never NULL. */
	s = buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(buf_puts(&b, "again"), C_OK);
	buf_free_secret(&b);
	assert_null(b.p);
	assert_int_equal(b.max, 32);
	buf_free_secret(&b); /* and on an empty buffer */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),          cmocka_unit_test(test_append_to_cap),
		cmocka_unit_test(test_append_past_cap_partial), cmocka_unit_test(test_huge_length),
		cmocka_unit_test(test_zero_max),       cmocka_unit_test(test_growth),
		cmocka_unit_test(test_binary),         cmocka_unit_test(test_printf),
		cmocka_unit_test(test_reset_and_steal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
