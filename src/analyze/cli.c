/*
 * cli.c - `rolegate analyze SUBVERB [ARGS]`: the table of sub-verbs, each implemented in its own file
 * (src/analyze/verbs.h), and the store flags they share.
 *
 *   rolegate analyze reach [--account ID] [--format table|json|dot|html] [--output FILE]
 *   rolegate analyze who-can ACTION RESOURCE
 *   rolegate analyze can PRINCIPAL_ARN ACTION RESOURCE
 *   rolegate analyze escalation [--account ID] [--format table|json]
 *   rolegate analyze unused --days N [--account ID] [--format table|json]
 *
 * Every sub-verb reads the store of a server (--data DIR, default ./data, or --postgres CONNINFO) read-only; a
 * running server is not disturbed.
 */
#include "analyze/cli.h"

#include <stdio.h>
#include <string.h>

#include "analyze/escalation.h"
#include "analyze/unused.h"
#include "analyze/verbs.h"
#include "util/common.h"
#include "util/crypto.h"

struct subverb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct subverb subverbs[] = {
	{"reach", analyze_reach_main, "who can assume which role, under which conditions, by which path"},
	{"who-can", analyze_who_can_main, "every user and role allowed ACTION on RESOURCE, and the deciding statements"},
	{"can", analyze_can_main, "whether PRINCIPAL_ARN may do ACTION on RESOURCE, and the deciding statements"},
	{"escalation", analyze_escalation_main, "principals that can raise their own privileges, with their paths"},
	{"unused", analyze_unused_main, "roles, keys, passwords and permissions not used in N days (--days N)"},
};

static int usage(int status)
{
	FILE *f = status ? stderr : stdout;

	fprintf(f, "usage: rolegate analyze SUBVERB [--data DIR | --postgres CONNINFO] [ARGS]\n\nsub-verbs:\n");
	for (size_t i = 0; i < ARRAY_LEN(subverbs); i++)
		fprintf(f, "  %-12s %s\n", subverbs[i].name, subverbs[i].help);
	fprintf(f, "\nrolegate analyze SUBVERB --help says more.\n");
	return status;
}

bool analyze_store_flag(int argc, char **argv, int *i, struct analyze_store_opts *o)
{
	const char *a = argv[*i];

	if (strcmp(a, "--data") != 0 && strcmp(a, "--postgres") != 0)
		return false;
	if (*i + 1 >= argc)
		return false;
	if (strcmp(a, "--data") == 0)
		o->dir = argv[*i + 1];
	else
		o->conninfo = argv[*i + 1];
	(*i)++;
	return true;
}

bool analyze_common_flags(int argc, char **argv, int *i, struct analyze_common_opts *o)
{
	const char *a = argv[*i];

	if (analyze_store_flag(argc, argv, i, &o->store))
		return true;
	if (*i + 1 >= argc)
		return false;
	if (strcmp(a, "--account") == 0)
		o->account = argv[*i + 1];
	else if (strcmp(a, "--format") == 0)
		o->format = argv[*i + 1];
	else
		return false;
	(*i)++;
	return true;
}

int analyze_main(int argc, char **argv)
{
	if (argc < 1)
		return usage(2);
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "help") == 0)
		return usage(0);
	for (size_t i = 0; i < ARRAY_LEN(subverbs); i++)
		if (strcmp(argv[0], subverbs[i].name) == 0) {
			int rc;
			if (crypto_init() != C_OK) { /* the policy engine hashes documents */
				fprintf(stderr, "rolegate analyze: cannot initialise the crypto library\n");
				return 1;
			}
			rc = subverbs[i].run(argc - 1, argv + 1);
			crypto_cleanup();
			return rc;
		}
	fprintf(stderr, "rolegate analyze: unknown sub-verb '%s' (rolegate analyze --help lists them)\n", argv[0]);
	return 2;
}
