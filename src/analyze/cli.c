/*
 * cli.c - `rolegate analyze SUBVERB`: a table of sub-verbs {name, function, help}.
 */
#include <stdio.h>
#include <string.h>

#include "analyze/cli.h"
#include "analyze/escalation.h"
#include "analyze/unused.h"
#include "util/common.h"

struct subverb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct subverb subverbs[] = {
	{"escalation", analyze_escalation_main, "principals that can raise their own privileges, with their paths"},
	{"unused", analyze_unused_main, "roles, keys, passwords and permissions not used in N days (--days N)"},
};

static int usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: rolegate analyze SUBVERB [ARGS]\n\nsub-verbs:\n");
	for (size_t i = 0; i < ARRAY_LEN(subverbs); i++)
		fprintf(status ? stderr : stdout, "  %-12s %s\n", subverbs[i].name, subverbs[i].help);
	return status;
}

int analyze_main(int argc, char **argv)
{
	if (argc < 1)
		return usage(2);
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)
		return usage(0);
	for (size_t i = 0; i < ARRAY_LEN(subverbs); i++)
		if (strcmp(argv[0], subverbs[i].name) == 0)
			return subverbs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "rolegate analyze: unknown sub-verb '%s'\n", argv[0]);
	return usage(2);
}
