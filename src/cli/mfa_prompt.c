/*
 * mfa_prompt.c - an MFA code from --mfa-code, mfa_process or the terminal (see mfa_prompt.h).
 */
#include "cli/mfa_prompt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/capture.h"
#include "util/buf.h"
#include "util/common.h"

#define PROCESS_OUTPUT_MAX 256 /* what mfa_process may print (a code and a newline; anything longer is wrong) */
#define PROMPT_TRIES 3

int mfa_code_parse(const char *s, char out[MFA_CODE_LEN + 1])
{
	size_t n = 0;

	while (isspace((unsigned char)*s))
		s++;
	while (isdigit((unsigned char)s[n]) && n <= MFA_CODE_LEN)
		n++;
	if (n != MFA_CODE_LEN)
		return C_ERR;
	for (const char *t = s + n; *t; t++)
		if (!isspace((unsigned char)*t))
			return C_ERR;
	memcpy(out, s, MFA_CODE_LEN);
	out[MFA_CODE_LEN] = '\0';
	return C_OK;
}

/* Runs cmd with /bin/sh -c, its stdout captured (bounded), stdin and stderr inherited. */
static int from_process(const char *cmd, char out[MFA_CODE_LEN + 1], char err[MFA_PROMPT_ERR_MAX])
{
	char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
	struct buf printed;
	bool too_much;
	int status, rc = C_ERR;

	buf_init(&printed, PROCESS_OUTPUT_MAX);
	status = capture_run(argv, NULL, NULL, &printed, &too_much);
	if (status < 0)
		snprintf(err, MFA_PROMPT_ERR_MAX, "mfa_process could not be run: %s", strerror(errno));
	else if (status != 0)
		snprintf(err, MFA_PROMPT_ERR_MAX, "mfa_process exited with status %d", status);
	else if (too_much || mfa_code_parse(buf_str(&printed), out) != C_OK)
		snprintf(err, MFA_PROMPT_ERR_MAX, "mfa_process did not print a six-digit code");
	else
		rc = C_OK;
	buf_free_secret(&printed);
	return rc;
}

/* Prompts on the terminal, at most PROMPT_TRIES times. The terminal is opened twice, for reading and for
 * appending (stdio forbids switching one stream between input and output without a seek). */
static int from_tty(const char *path, const char *serial, char out[MFA_CODE_LEN + 1], char err[MFA_PROMPT_ERR_MAX])
{
	char line[128];
	FILE *in = fopen(path, "re"), *prompt = in ? fopen(path, "ae") : NULL;
	int rc = C_ERR;

	if (!in || !prompt) {
		snprintf(err, MFA_PROMPT_ERR_MAX,
		         "an MFA code is needed for %s and there is no terminal to ask on (%s: %s); use --mfa-code or "
		         "mfa_process",
		         serial, path, strerror(errno));
		if (in)
			fclose(in);
		return C_ERR;
	}
	for (int i = 0; i < PROMPT_TRIES; i++) {
		fprintf(prompt, "Enter MFA code for %s: ", serial);
		fflush(prompt);
		if (!fgets(line, sizeof(line), in)) {
			snprintf(err, MFA_PROMPT_ERR_MAX, "no MFA code entered for %s", serial);
			break;
		}
		if (mfa_code_parse(line, out) == C_OK) {
			rc = C_OK;
			break;
		}
		fprintf(prompt, "An MFA code is six digits.\n");
		snprintf(err, MFA_PROMPT_ERR_MAX, "no valid MFA code entered for %s after %d tries", serial, PROMPT_TRIES);
	}
	explicit_bzero(line, sizeof(line));
	fclose(in);
	fclose(prompt);
	return rc;
}

int mfa_code_get(const struct mfa_source *src, const char *serial, char out[MFA_CODE_LEN + 1],
                 char err[MFA_PROMPT_ERR_MAX])
{
	err[0] = '\0';
	if (src->given) {
		if (mfa_code_parse(src->given, out) == C_OK)
			return C_OK;
		snprintf(err, MFA_PROMPT_ERR_MAX, "--mfa-code: an MFA code is six digits");
		return C_ERR;
	}
	if (src->process && *src->process)
		return from_process(src->process, out, err);
	return from_tty(src->tty ? src->tty : "/dev/tty", serial, out, err);
}
