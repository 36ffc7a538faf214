/*
 * test_orgcode_import.c - tests import_identical (src/orgcode/import_authz.c: is the file's entity the account's
 * existing one?) and oc_sorted (session.c), with jansson's allocator made to fail one allocation at a time
 * (json_set_alloc_funcs): out of memory, a comparison says "cannot compare" (-1), never "identical".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orgcode/import_authz.h"
#include "orgcode/session.h"
#include "util/common.h"

/* The allocator: the fail_at-th allocation from now fails (0: none does); `failed` says whether one did. */
static long allocations, fail_at;
static bool failed;

static void *failing_malloc(size_t n)
{
	if (fail_at && ++allocations == fail_at) {
		failed = true;
		return NULL;
	}
	return malloc(n);
}

static void fail_allocation(long k)
{
	allocations = 0;
	fail_at = k;
	failed = false;
}

static int teardown(void **state)
{
	UNUSED(state);
	fail_allocation(0);
	return 0;
}

static json_t *load(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	assert_non_null(v);
	return v;
}

static const char EXISTING[] = "{\"UserName\":\"dev\",\"Path\":\"/\",\"UserId\":\"AIDAEXAMPLE\","
                               "\"Arn\":\"arn:aws:iam::111111111111:user/dev\",\"GroupList\":[\"ops\",\"dev\"],"
                               "\"Tags\":[{\"Key\":\"team\",\"Value\":\"a\"}]}";

static void test_identical_without_failures(void **state)
{
	json_t *e = load(EXISTING);
	/* another account's copy, lists (of names too) in another order: the same user */
	json_t *same = load("{\"UserName\":\"dev\",\"Path\":\"/\",\"UserId\":\"AIDAOTHER\",\"Arn\":"
	                    "\"arn:aws:iam::222222222222:user/dev\",\"GroupList\":[\"dev\",\"ops\"],\"Tags\":[{\"Value\":"
	                    "\"a\",\"Key\":\"team\"}]}");
	json_t *other = load("{\"UserName\":\"dev\",\"Path\":\"/\",\"GroupList\":[\"dev\",\"ops\"],\"Tags\":[{\"Key\":"
	                     "\"team\",\"Value\":\"b\"}]}");

	UNUSED(state);
	assert_int_equal(import_identical(e, same, "222222222222", "111111111111"), 1);
	assert_int_equal(import_identical(e, other, NULL, "111111111111"), 0);
	json_decref(e);
	json_decref(same);
	json_decref(other);
}

/* Two users that differ only in a list (one more group, another tag): whichever allocation fails, the answer is
 * "cannot compare" or "different", never "identical" (the failure used to drop or empty the list on one side). */
static void test_out_of_memory_never_identical(void **state)
{
	json_t *e = load(EXISTING);
	json_t *more = load("{\"UserName\":\"dev\",\"Path\":\"/\",\"GroupList\":[\"dev\",\"ops\",\"admins\"],\"Tags\":["
	                    "{\"Key\":\"team\",\"Value\":\"a\"}]}");
	json_t *none = load("{\"UserName\":\"dev\",\"Path\":\"/\",\"GroupList\":[\"ops\",\"dev\"]}");
	long k, refused = 0;

	UNUSED(state);
	json_set_alloc_funcs(failing_malloc, free);
	for (k = 1; k < 10000; k++) {
		int a, b;
		fail_allocation(k);
		a = import_identical(e, more, NULL, "111111111111");
		if (!failed)
			break; /* k is past the last allocation: every one has been made to fail once */
		assert_true(a == 0 || a == -1);
		fail_allocation(k);
		b = import_identical(none, e, NULL, "111111111111");
		assert_true(b == 0 || b == -1);
		refused += a == -1;
	}
	fail_allocation(0);
	json_set_alloc_funcs(malloc, free);
	assert_true(k > 10 && k < 10000);
	assert_true(refused > 0);
	assert_int_equal(import_identical(e, more, NULL, "111111111111"), 0);
	json_decref(e);
	json_decref(more);
	json_decref(none);
}

static int by_text(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* oc_sorted: the members in order; NULL (never a shorter or empty array) when any allocation fails. */
static void test_sorted_null_on_failure(void **state)
{
	json_t *in = json_array(), *out;
	char name[16];
	long k;

	UNUSED(state);
	for (int i = 20; i > 0; i--) { /* more than jansson's first table: the copy grows it */
		snprintf(name, sizeof(name), "n%02d", i);
		json_array_append_new(in, json_string(name));
	}
	out = oc_sorted(in, by_text);
	assert_int_equal(json_array_size(out), 20);
	assert_string_equal(json_string_value(json_array_get(out, 0)), "n01");
	assert_string_equal(json_string_value(json_array_get(out, 19)), "n20");
	json_decref(out);
	json_set_alloc_funcs(failing_malloc, free);
	for (k = 1; k < 100; k++) {
		fail_allocation(k);
		out = oc_sorted(in, by_text);
		if (!failed) {
			assert_int_equal(json_array_size(out), 20);
			json_decref(out);
			break;
		}
		assert_null(out);
	}
	fail_allocation(0);
	json_set_alloc_funcs(malloc, free);
	assert_true(k > 2 && k < 100); /* the array and its table, then its growth */
	json_decref(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_identical_without_failures, teardown),
		cmocka_unit_test_teardown(test_out_of_memory_never_identical, teardown),
		cmocka_unit_test_teardown(test_sorted_null_on_failure, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
