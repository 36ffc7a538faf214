/*
 * cli.h - `rolegate analyze SUBVERB`: the access-analysis verbs, one row each in cli.c's table.
 */
#ifndef ROLEGATE_ANALYZE_CLI_H
#define ROLEGATE_ANALYZE_CLI_H

/* `rolegate analyze SUBVERB [ARGS]`: dispatches to the table's sub-verb. */
int analyze_main(int argc, char **argv);

#endif
