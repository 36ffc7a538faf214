/*
 * cliopts.h - what the client verbs share: their command lines (the common options, PROFILE, "-- CMD ...") and the
 * environment variables that hand credentials to a program.
 */
#ifndef ROLEGATE_CLIOPTS_H
#define ROLEGATE_CLIOPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/broker.h"
#include "util/timeutil.h"

/* Which parts of the command line a verb takes. */
enum {
	CLI_BROKER = 1 << 0,        /* --mfa-code, --direct, --duration, --mfa-duration, --region */
	CLI_FORMAT = 1 << 1,        /* --format sh|fish|json */
	CLI_PRINT = 1 << 2,         /* --print */
	CLI_PORT = 1 << 3,          /* --port N */
	CLI_CMD = 1 << 4,           /* -- CMD [ARG...] after PROFILE */
	CLI_PROFILE = 1 << 5,       /* PROFILE, required */
	CLI_PROFILE_OPT = 1 << 6,   /* PROFILE, optional (default: AWS_DEFAULT_PROFILE, AWS_PROFILE, "default") */
};

struct cli_opts {
	struct broker_opts b;
	const char *profile; /* NULL when optional and not given */
	char **cmd;          /* NULL-terminated, or NULL when none was given; points into argv */
	const char *format;  /* "sh" unless --format */
	bool print;
	int port;            /* 0: any free port */
};

/* What cli_parse decided: go on, or exit with this status (after --help: 0; after a usage error: 2). */
#define CLI_GO (-1)

/*
 * Parses a verb's arguments (argv[0] is the first argument after the verb) into o. usage is the verb's --help
 * text, printed on --help (stdout) and after a usage error (stderr, with the error). Returns CLI_GO, or the exit
 * status the verb should return at once.
 */
int cli_parse(const char *verb, const char *usage, unsigned what, int argc, char **argv, struct cli_opts *o);

/* The --help lines of the common options (CLI_BROKER). */
#define CLI_BROKER_HELP                                                                                               \
	"  --mfa-code CODE         the MFA code (instead of mfa_process or a prompt on /dev/tty)\n"                      \
	"  --direct                assume the role with SerialNumber/TokenCode, not through a cached MFA session\n"      \
	"  --duration SECONDS      the role session's length (default: duration_seconds, else 3600)\n"                  \
	"  --mfa-duration SECONDS  the MFA session's length (GetSessionToken; default 3600)\n"                           \
	"  --region REGION         the region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region)\n"         \
	"  -h, --help              this text\n"

/* One variable for a program: value NULL means "unset it". */
struct cli_env_var {
	const char *name;
	const char *value;
};

#define CLI_ENV_MAX 16

/*
 * The variables that hand r to a program run for profile: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION, AWS_REGION and AWS_DEFAULT_REGION (when a region is known),
 * AWS_ENDPOINT_URL (when the profile sets endpoint_url), ROLEGATE_PROFILE; unset: AWS_PROFILE,
 * AWS_DEFAULT_PROFILE, AWS_SECURITY_TOKEN and what does not apply. The values point into r, profile and exp (which
 * must outlive them). Returns how many were written to out.
 */
size_t cli_env_vars(const struct broker_result *r, const char *profile, char exp[ISO8601_LEN],
                    struct cli_env_var out[CLI_ENV_MAX]);

/* Applies vars to this process's environment (setenv / unsetenv). C_ERR when one cannot be set. */
int cli_env_apply(const struct cli_env_var *vars, size_t n);

/* Gets the credentials of o->profile, printing "rolegate: MESSAGE" on failure. C_OK or C_ERR. */
int cli_credentials(const struct cli_opts *o, struct broker_result *r);

#endif
