/*
 * capture.h - running a helper command and reading what it prints: credential_process (broker.c) and mfa_process
 * (mfa_prompt.c).
 */
#ifndef ROLEGATE_CAPTURE_H
#define ROLEGATE_CAPTURE_H

#include <stdbool.h>

#include "util/buf.h"

/*
 * Runs argv (execvp) with its standard output read into out, stdin and stderr inherited; env_name (when not NULL) is
 * set to env_value in the child. Reading stops once more than out's cap has come (*too_much is then true; it is false
 * otherwise): the command gets SIGPIPE if it goes on writing. Returns the command's exit status (128 + the signal that ended it), 127 when it could not be executed,
 * or -1 (errno set) when it could not be started. What was read may be secret: the caller wipes out.
 */
int capture_run(char *const *argv, const char *env_name, const char *env_value, struct buf *out, bool *too_much);

#endif
