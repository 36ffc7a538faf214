/*
 * accounts_cli.h - `rolegate accounts`: an operator's settings of one account (today: its enforcement mode).
 */
#ifndef ROLEGATE_ACCOUNTS_CLI_H
#define ROLEGATE_ACCOUNTS_CLI_H

/* `rolegate accounts set-enforcement ACCOUNT strict|soft|inherit | list-enforcement [--data DIR|--postgres
 * CONNINFO]`. A running server obeys a new setting from its next call. Returns the exit status. */
int accounts_main(int argc, char **argv);

#endif
