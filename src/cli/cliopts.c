/*
 * cliopts.c - the client verbs' command lines and the variables that hand credentials to a program (cliopts.h).
 */
#include "cli/cliopts.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

enum { O_MFA_CODE = 256, O_DIRECT, O_DURATION, O_MFA_DURATION, O_REGION, O_FORMAT, O_PRINT, O_PORT };

static const struct option long_opts[] = {
	{"mfa-code", required_argument, NULL, O_MFA_CODE},
	{"direct", no_argument, NULL, O_DIRECT},
	{"duration", required_argument, NULL, O_DURATION},
	{"mfa-duration", required_argument, NULL, O_MFA_DURATION},
	{"region", required_argument, NULL, O_REGION},
	{"format", required_argument, NULL, O_FORMAT},
	{"print", no_argument, NULL, O_PRINT},
	{"port", required_argument, NULL, O_PORT},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Which of `what` an option belongs to. */
static unsigned opt_group(int c)
{
	switch (c) {
	case O_MFA_CODE:
	case O_DIRECT:
	case O_DURATION:
	case O_MFA_DURATION:
	case O_REGION:
		return CLI_BROKER;
	case O_FORMAT:
		return CLI_FORMAT;
	case O_PRINT:
		return CLI_PRINT;
	case O_PORT:
		return CLI_PORT;
	default:
		return 0;
	}
}

static int usage_error(const char *verb, const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "rolegate %s: ", verb);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

/* A decimal integer from min to max (seconds, a port). */
static int parse_int_range(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	if (!*s)
		return C_ERR;
	v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return C_ERR;
	*out = (int)v;
	return C_OK;
}

int cli_parse(const char *verb, const char *usage, unsigned what, int argc, char **argv, struct cli_opts *o)
{
	char *name = (char *)verb;
	int c;

	memset(o, 0, sizeof(*o));
	o->format = "sh";
	/* getopt wants the program's name first: the verb stands in for it (argv[-1] is the verb in main's argv) */
	argv--;
	argc++;
	argv[0] = name;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (c == '?')
			return usage_error(verb, usage, "unknown option %s", argv[optind - 1]);
		if (c == ':')
			return usage_error(verb, usage, "%s needs a value", argv[optind - 1]);
		if (!(opt_group(c) & what))
			return usage_error(verb, usage, "%s does not apply here", argv[optind - 1]);
		switch (c) {
		case O_MFA_CODE:
			o->b.mfa_code = optarg;
			break;
		case O_DIRECT:
			o->b.direct = true;
			break;
		case O_DURATION:
			if (parse_int_range(optarg, 900, 129600, &o->b.duration_s) != C_OK)
				return usage_error(verb, usage, "--duration: %s is not a number of seconds from 900 to 129600",
				                   optarg);
			break;
		case O_MFA_DURATION:
			if (parse_int_range(optarg, 900, 129600, &o->b.mfa_duration_s) != C_OK)
				return usage_error(verb, usage,
				                   "--mfa-duration: %s is not a number of seconds from 900 to 129600", optarg);
			break;
		case O_REGION:
			o->b.region = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "sh") && strcmp(optarg, "fish") && strcmp(optarg, "json"))
				return usage_error(verb, usage, "--format: %s is not sh, fish or json", optarg);
			o->format = optarg;
			break;
		case O_PRINT:
			o->print = true;
			break;
		case O_PORT:
			if (parse_int_range(optarg, 1, 65535, &o->port) != C_OK)
				return usage_error(verb, usage, "--port: %s is not a port number", optarg);
			break;
		}
	}
	if (optind < argc && (what & (CLI_PROFILE | CLI_PROFILE_OPT)))
		o->profile = argv[optind++];
	else if (what & CLI_PROFILE)
		return usage_error(verb, usage, "%s", "a PROFILE is needed");
	if (optind < argc) {
		if (!(what & CLI_CMD))
			return usage_error(verb, usage, "unexpected argument %s", argv[optind]);
		o->cmd = argv + optind;
	}
	return CLI_GO;
}

size_t cli_env_vars(const struct broker_result *r, const char *profile, char exp[ISO8601_LEN],
                    struct cli_env_var out[CLI_ENV_MAX])
{
	size_t n = 0;

#define PUT(k, v) (out[n].name = (k), out[n].value = (v), n++)
	PUT("AWS_ACCESS_KEY_ID", r->creds.access_key_id);
	PUT("AWS_SECRET_ACCESS_KEY", r->creds.secret_access_key);
	PUT("AWS_SESSION_TOKEN", r->temporary ? r->creds.session_token : NULL);
	PUT("AWS_SECURITY_TOKEN", NULL);
	if (r->creds.expiration_s > 0) {
		time_iso8601(r->creds.expiration_s, exp);
		PUT("AWS_CREDENTIAL_EXPIRATION", exp);
	} else {
		PUT("AWS_CREDENTIAL_EXPIRATION", NULL);
	}
	if (r->region[0]) {
		PUT("AWS_REGION", r->region);
		PUT("AWS_DEFAULT_REGION", r->region);
	}
	if (r->endpoint_url[0])
		PUT("AWS_ENDPOINT_URL", r->endpoint_url);
	PUT("AWS_PROFILE", NULL);
	PUT("AWS_DEFAULT_PROFILE", NULL);
	PUT("ROLEGATE_PROFILE", profile);
#undef PUT
	return n;
}

int cli_env_apply(const struct cli_env_var *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (vars[i].value ? setenv(vars[i].name, vars[i].value, 1) != 0 : unsetenv(vars[i].name) != 0)
			return C_ERR;
	}
	return C_OK;
}

int cli_credentials(const struct cli_opts *o, struct broker_result *r)
{
	char err[BROKER_ERR_MAX];

	if (broker_credentials(o->profile, &o->b, r, err) != C_OK) {
		fprintf(stderr, "rolegate: %s\n", err);
		return C_ERR;
	}
	return C_OK;
}
