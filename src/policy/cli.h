/*
 * cli.h - `rolegate policy ...` (see cli.c).
 */
#ifndef ROLEGATE_POLICY_CLI_H
#define ROLEGATE_POLICY_CLI_H

/* Runs `rolegate policy ARGS`; returns the exit status. */
int policy_main(int argc, char **argv);

#endif
