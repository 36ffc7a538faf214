/*
 * migrate_cli.h - `rolegate migrate --from-data DIR --to-postgres CONNINFO` (see migrate_cli.c).
 */
#ifndef ROLEGATE_MIGRATE_CLI_H
#define ROLEGATE_MIGRATE_CLI_H

/* Runs `rolegate migrate ARGS`; returns the exit status (0: copied and verified, 1: refused or failed, 2: usage). */
int migrate_main(int argc, char **argv);

#endif
