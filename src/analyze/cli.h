/*
 * cli.h - `rolegate analyze SUBVERB`: questions about the whole organization, answered from the server's store by
 * the one policy engine (src/analyze/cli.c dispatches to one file per sub-verb).
 */
#ifndef ROLEGATE_ANALYZE_CLI_H
#define ROLEGATE_ANALYZE_CLI_H

#include <stdbool.h>

/* Runs `rolegate analyze ARGS`; returns the exit status (0, 1 on a failure, 2 on a usage error). */
int analyze_main(int argc, char **argv);

/*
 * Reads a store flag shared by every sub-verb: --data DIR or --postgres CONNINFO at argv[*i] (its value at
 * argv[*i + 1]). true when argv[*i] was one of them (*i is then moved past its value); false otherwise.
 */
struct analyze_store_opts {
	const char *dir;      /* --data DIR (default ./data) */
	const char *conninfo; /* --postgres CONNINFO, or NULL */
};

bool analyze_store_flag(int argc, char **argv, int *i, struct analyze_store_opts *o);

/* The flags the sub-verbs that list findings share: the store's, --account ID and --format F. */
struct analyze_common_opts {
	struct analyze_store_opts store;
	const char *account; /* --account ID, or NULL */
	const char *format;  /* --format F: the sub-verb's default until given; the sub-verb checks it */
};

/*
 * Reads one of the common flags at argv[*i] (its value at argv[*i + 1]): true when argv[*i] was one of them with its
 * value (*i is then moved past the value); false otherwise (another flag, or a common one lacking its value).
 */
bool analyze_common_flags(int argc, char **argv, int *i, struct analyze_common_opts *o);

#endif
