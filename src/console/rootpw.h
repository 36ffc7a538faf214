/*
 * rootpw.h - `rolegate root-password`: sets the console password of an account's root user (root_logins).
 */
#ifndef ROLEGATE_CONSOLE_ROOTPW_H
#define ROLEGATE_CONSOLE_ROOTPW_H

/* `rolegate root-password [--data DIR] [--account ID] [--delete]`: reads the new password from stdin (one line; on
 * a terminal, twice without echo), checks it (8 to 128 characters) and stores its salted hash. Offline, like
 * `rolegate master-key`: the running server reads it at the next sign-in. Returns the exit status. */
int root_password_main(int argc, char **argv);

#endif
