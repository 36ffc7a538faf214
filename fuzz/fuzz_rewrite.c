/*
 * fuzz_rewrite.c - src/policy/rewrite.c (policy_map_aws_principals, with which IAM stores and shows trust policies
 * naming users and roles by unique id) on any input, the bytes up to the first NUL.
 *
 * Checks beyond the sanitizers (abort on failure):
 *   - a map that keeps every value gives back the input byte for byte;
 *   - a map that replaces every value (with a string that needs escaping) gives JSON that jansson reads as the input
 *     with exactly the Principal "AWS" values of its statements replaced, nothing else changed;
 *   - on input jansson accepts, the rewrite fails only where it says it does: nesting deeper than 64, or a
 *     Principal "AWS" value over 4095 bytes;
 *   - a failed rewrite leaves *out NULL.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rewrite.h"
#include "util/common.h"

#define REPL "R\"e\\p/l\xc3\xa9"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int keep(void *ctx, const char *value, char *repl, size_t cap)
{
	(void)value, (void)repl, (void)cap;
	++*(int *)ctx;
	return C_OK;
}

static int replace(void *ctx, const char *value, char *repl, size_t cap)
{
	(void)value;
	++*(int *)ctx;
	snprintf(repl, cap, "%s", REPL);
	return C_OK;
}

/* The deepest level of any value (the root is 0). */
static size_t depth(json_t *j)
{
	size_t d = 0, i;
	const char *k;
	json_t *v;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v) if (depth(v) + 1 > d) d = depth(v) + 1;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) if (depth(v) + 1 > d) d = depth(v) + 1;
	}
	return d;
}

/* The statements' Principal "AWS" string values of doc, each replaced by REPL (in place); counts them and notes
 * the longest. */
static void replace_in_tree(json_t *doc, int *n, size_t *longest)
{
	json_t *stmts = json_is_object(doc) ? json_object_get(doc, "Statement") : NULL, *st, *aws, *v;
	size_t i, j, nst = json_is_array(stmts) ? json_array_size(stmts) : 1;

	for (i = 0; stmts && i < nst; i++) {
		st = json_is_array(stmts) ? json_array_get(stmts, i) : stmts;
		if (!json_is_object(st) || !json_is_object(json_object_get(st, "Principal")))
			continue;
		aws = json_object_get(json_object_get(st, "Principal"), "AWS");
		if (json_is_string(aws)) {
			if (json_string_length(aws) > *longest)
				*longest = json_string_length(aws);
			(*n)++;
			json_string_set(aws, REPL);
		}
		json_array_foreach(aws, j, v) if (json_is_string(v)) {
			if (json_string_length(v) > *longest)
				*longest = json_string_length(v);
			(*n)++;
			json_string_set(v, REPL);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = strnlen((const char *)data, size), longest = 0;
	char *doc = malloc(len + 1), *out = NULL;
	int kept = 0, replaced = 0, expected = 0, rc_keep, rc_replace;
	json_t *in, *want, *got;

	if (!doc)
		return 0;
	memcpy(doc, data, len);
	doc[len] = '\0';
	rc_keep = policy_map_aws_principals(doc, keep, &kept, &out);
	if (rc_keep == C_OK) {
		if (!out || strcmp(out, doc) != 0)
			abort();
	} else if (out) {
		abort();
	}
	free(out);
	out = NULL;
	rc_replace = policy_map_aws_principals(doc, replace, &replaced, &out);
	if ((rc_replace == C_OK) != (out != NULL))
		abort();
	in = json_loads(doc, JSON_REJECT_DUPLICATES, NULL);
	if (in) {
		want = json_deep_copy(in);
		replace_in_tree(want, &expected, &longest);
		if (rc_keep != C_OK || rc_replace != C_OK) {
			if (depth(in) <= 64 && longest <= 4095)
				abort(); /* valid JSON refused for no stated reason */
		} else {
			got = json_loads(out, JSON_REJECT_DUPLICATES, NULL);
			if (!got || !json_equal(got, want) || kept != expected || replaced != expected)
				abort();
			json_decref(got);
		}
		json_decref(want);
		json_decref(in);
	}
	free(out);
	free(doc);
	return 0;
}
