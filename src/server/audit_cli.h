/*
 * audit_cli.h - `rolegate audit` (see audit_cli.c).
 */
#ifndef ROLEGATE_AUDIT_CLI_H
#define ROLEGATE_AUDIT_CLI_H

/* Runs `rolegate audit ARGS`; returns the exit status. */
int audit_main(int argc, char **argv);

#endif
