/*
 * mfa_prompt.h - where the client verbs get an MFA code: --mfa-code, a profile's mfa_process (a command that prints
 * a code, e.g. a password manager's TOTP), or a prompt on the controlling terminal.
 */
#ifndef ROLEGATE_MFA_PROMPT_H
#define ROLEGATE_MFA_PROMPT_H

#include <stddef.h>

#define MFA_CODE_LEN 6
#define MFA_PROMPT_ERR_MAX 256

/* Where a code comes from, in this order: given (--mfa-code), else process (mfa_process), else the terminal. */
struct mfa_source {
	const char *given;   /* or NULL */
	const char *process; /* a shell command, or NULL */
	const char *tty;     /* the terminal to prompt on; NULL means /dev/tty */
};

/*
 * Gets a code for the device serial into out (six digits and a NUL). The terminal prompt reads
 * "Enter MFA code for SERIAL: " and asks again, at most three times in all, while the answer is not six digits.
 * C_OK, or C_ERR with a message in err (no terminal, the command failed or printed no code, not six digits).
 */
int mfa_code_get(const struct mfa_source *src, const char *serial, char out[MFA_CODE_LEN + 1],
                 char err[MFA_PROMPT_ERR_MAX]);

/* Whether s (up to its NUL, surrounding whitespace ignored) is six ASCII digits; copies them to out if so. */
int mfa_code_parse(const char *s, char out[MFA_CODE_LEN + 1]);

#endif
