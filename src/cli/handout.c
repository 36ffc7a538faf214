/*
 * handout.c - the verbs that hand a profile's credentials to a program: exec, env, credential-process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/awsconfig.h"
#include "cli/cliopts.h"
#include "cli/verbs.h"
#include "util/common.h"

static const char exec_usage[] =
	"usage: rolegate exec [OPTIONS] PROFILE [-- CMD [ARG...]]\n"
	"\n"
	"Runs CMD (default: $SHELL) with PROFILE's credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
	"AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION, the region in AWS_REGION and AWS_DEFAULT_REGION, the\n"
	"profile's endpoint_url in AWS_ENDPOINT_URL, and AWS_PROFILE and AWS_DEFAULT_PROFILE unset. Sessions come from\n"
	"the AWS CLI's cache when it holds one with 15 minutes left; MFA is asked for once per MFA session.\n"
	"\n"
	"options:\n" CLI_BROKER_HELP
	"\n"
	"exit status: CMD's; 1 when the credentials could not be had; 2 for a usage error; 126/127 when CMD cannot run\n";

static const char env_usage[] =
	"usage: rolegate env [OPTIONS] PROFILE [--format sh|fish|json]\n"
	"\n"
	"Prints the variables `rolegate exec` sets, for eval: `eval \"$(rolegate env PROFILE)\"`.\n"
	"\n"
	"options:\n"
	"  --format sh|fish|json   the output's form (default sh)\n" CLI_BROKER_HELP;

static const char process_usage[] =
	"usage: rolegate credential-process [OPTIONS] PROFILE\n"
	"\n"
	"Prints PROFILE's credentials as the JSON a `credential_process =` line must print (Version 1, AccessKeyId,\n"
	"SecretAccessKey, SessionToken, Expiration), e.g. in ~/.aws/config:\n"
	"  [profile prod-tf]\n"
	"  credential_process = rolegate credential-process anay-prod\n"
	"\n"
	"options:\n" CLI_BROKER_HELP;

int exec_main(int argc, char **argv)
{
	struct cli_opts o;
	struct broker_result r;
	struct cli_env_var vars[CLI_ENV_MAX];
	char exp[ISO8601_LEN], *shell_argv[2];
	char **cmd;
	size_t n;
	int rc = cli_parse("exec", exec_usage, CLI_BROKER | CLI_PROFILE | CLI_CMD, argc, argv, &o);

	if (rc != CLI_GO)
		return rc;
	if (cli_credentials(&o, &r) != C_OK)
		return 1;
	n = cli_env_vars(&r, o.profile, exp, vars);
	rc = cli_env_apply(vars, n);
	broker_result_clear(&r); /* the environment has its own copies now */
	if (rc != C_OK) {
		fprintf(stderr, "rolegate: the environment could not be set: %s\n", strerror(errno));
		return 1;
	}
	cmd = o.cmd;
	if (!cmd) {
		const char *shell = getenv("SHELL");

		shell_argv[0] = (char *)(shell && *shell ? shell : "/bin/sh");
		shell_argv[1] = NULL;
		cmd = shell_argv;
	}
	execvp(cmd[0], cmd);
	rc = errno == ENOENT ? 127 : 126;
	fprintf(stderr, "rolegate exec: %s: %s\n", cmd[0], strerror(errno));
	return rc;
}

/* Writes s as a JSON string (written here, not through jansson, so that no unwiped copy of a secret stays on the
 * heap). */
static void put_json_string(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

/* Writes s as one single-quoted word of the shell (sh) or of fish. */
static void put_quoted(FILE *f, const char *s, bool fish)
{
	putc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs(fish ? "\\'" : "'\\''", f);
		else if (fish && *s == '\\')
			fputs("\\\\", f);
		else
			putc(*s, f);
	}
	putc('\'', f);
}

int env_main(int argc, char **argv)
{
	struct cli_opts o;
	struct broker_result r;
	struct cli_env_var vars[CLI_ENV_MAX];
	char exp[ISO8601_LEN];
	size_t n;
	int rc = cli_parse("env", env_usage, CLI_BROKER | CLI_PROFILE | CLI_FORMAT, argc, argv, &o);

	if (rc != CLI_GO)
		return rc;
	if (cli_credentials(&o, &r) != C_OK)
		return 1;
	n = cli_env_vars(&r, o.profile, exp, vars);
	if (strcmp(o.format, "json") == 0) {
		const char *sep = "{\n";

		for (size_t i = 0; i < n; i++) {
			if (!vars[i].value)
				continue;
			printf("%s  \"%s\": ", sep, vars[i].name);
			put_json_string(stdout, vars[i].value);
			sep = ",\n";
		}
		printf("\n}\n");
	} else {
		bool fish = strcmp(o.format, "fish") == 0;

		for (size_t i = 0; i < n; i++) {
			if (!vars[i].value) {
				printf(fish ? "set -e %s\n" : "unset %s\n", vars[i].name);
				continue;
			}
			printf(fish ? "set -gx %s " : "export %s=", vars[i].name);
			put_quoted(stdout, vars[i].value, fish);
			putchar('\n');
		}
	}
	broker_result_clear(&r);
	return fflush(stdout) == 0 ? 0 : 1;
}

int credential_process_main(int argc, char **argv)
{
	struct cli_opts o;
	struct broker_result r;
	char exp[ISO8601_LEN];
	int rc = cli_parse("credential-process", process_usage, CLI_BROKER | CLI_PROFILE, argc, argv, &o);

	if (rc != CLI_GO)
		return rc;
	if (cli_credentials(&o, &r) != C_OK)
		return 1;
	printf("{\n  \"Version\": 1,\n  \"AccessKeyId\": ");
	put_json_string(stdout, r.creds.access_key_id);
	printf(",\n  \"SecretAccessKey\": ");
	put_json_string(stdout, r.creds.secret_access_key);
	if (r.temporary) {
		printf(",\n  \"SessionToken\": ");
		put_json_string(stdout, r.creds.session_token);
	}
	if (r.creds.expiration_s > 0) {
		time_iso8601(r.creds.expiration_s, exp);
		printf(",\n  \"Expiration\": \"%s\"", exp);
	}
	printf("\n}\n");
	broker_result_clear(&r);
	return fflush(stdout) == 0 ? 0 : 1;
}
