/*
 * cli.h - `rolegate policy generate` (see cli.c).
 */
#ifndef ROLEGATE_GENERATE_CLI_H
#define ROLEGATE_GENERATE_CLI_H

/* Runs `rolegate policy generate ARGS`; returns the exit status. */
int generate_main(int argc, char **argv);

#endif
