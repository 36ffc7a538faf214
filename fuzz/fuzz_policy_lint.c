/*
 * fuzz_policy_lint.c - src/policy/lint.c (policy_lint: the console's policy pages and `rolegate policy validate`) on
 * any input: the first byte chooses the kind of policy, the rest is the document.
 *
 * Checks beyond the sanitizers (abort on failure):
 *   - at most max findings, for every max from 0 to POLICY_FINDINGS_MAX, the first ones the same whatever max is;
 *   - a document policy_compile() refuses yields exactly its error (MalformedPolicyDocument, the same message);
 *   - errors come before warnings; every finding has a code and a message; statement is -1 or an index below the
 *     engine's statement limit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/lint.h"
#include "util/common.h"
#include "util/crypto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (crypto_init() != C_OK) /* policy_compile hashes documents */
		abort();
	return 0;
}

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_policy_lint: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_finding all[POLICY_FINDINGS_MAX], some[POLICY_FINDINGS_MAX];
	char err[POLICY_ERROR_MAX];
	struct policy *p = NULL;
	enum policy_kind kind;
	const char *doc;
	size_t n, len;
	int compiled;

	if (size < 1)
		return 0;
	kind = (enum policy_kind)(data[0] % 7);
	doc = (const char *)data + 1;
	len = size - 1;
	n = policy_lint(doc, len, kind, all, POLICY_FINDINGS_MAX);
	check(n <= POLICY_FINDINGS_MAX, "more findings than asked for");
	compiled = policy_compile(doc, len, kind, &p, err) == C_OK;
	policy_release(p);
	if (!compiled) {
		check(n == 1 && all[0].severity == POLICY_FINDING_ERROR, "a refused document is not one error");
		check(strcmp(all[0].code, "MalformedPolicyDocument") == 0 && strcmp(all[0].message, err) == 0,
		      "a refused document's error is not the engine's");
	}
	for (size_t i = 0; i < n; i++) {
		check(all[i].code[0] && all[i].message[0], "a finding without a code or a message");
		check(all[i].statement >= -1 && all[i].statement < 1000, "a statement index out of range");
		check(i == 0 || all[i - 1].severity <= all[i].severity, "a warning before an error");
	}
	for (size_t max = 0; max <= POLICY_FINDINGS_MAX; max += 5) {
		size_t m = policy_lint(doc, len, kind, some, max);
		check(m == (n < max ? n : max), "a smaller max does not cut the same list");
		for (size_t i = 0; i < m; i++)
			check(strcmp(some[i].code, all[i].code) == 0 && strcmp(some[i].message, all[i].message) == 0,
			      "a smaller max changes the findings");
	}
	return 0;
}
