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

#endif
