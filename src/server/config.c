/*
 * config.c - the options of `rolegate server`, described once in a table (name, type, default, help) from which
 * parsing, defaults and --help all come.
 */
#include "server/config.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/common.h"

enum opt_type { OPT_STRING, OPT_UINT, OPT_SIZE, OPT_QUOTA /* NAME=N, repeatable: iam/quotas.c */, OPT_FLAG /* no value */ };

struct option_def {
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *def; /* NULL: unset */
	const char *arg;
	const char *help;
};

#define OFF(field) offsetof(struct server_config, field)

static const struct option_def options[] = {
	{"listen", OPT_STRING, OFF(listen), "127.0.0.1:8600", "ADDR:PORT",
	 "address to listen on; port 0 picks a free port (the log says which)"},
	{"tls-cert", OPT_STRING, OFF(tls_cert_file), NULL, "FILE",
	 "serve HTTPS (TLS 1.2 and 1.3) with this PEM certificate chain, leaf first (as nginx takes it); needs --tls-key"},
	{"tls-key", OPT_STRING, OFF(tls_key_file), NULL, "FILE", "the PEM private key of --tls-cert (unencrypted; mode 0600)"},
	{"insecure-http", OPT_FLAG, OFF(insecure_http), NULL, "",
	 "allow plain HTTP on a non-loopback --listen address (secrets then cross the network in clear)"},
	{"metrics-listen", OPT_STRING, OFF(metrics_listen), NULL, "ADDR:PORT",
	 "serve Prometheus metrics (GET /metrics, plain HTTP) on a second address; off loopback only with "
	 "--insecure-http; port 0 picks a free port (the log says which)"},
	{"data", OPT_STRING, OFF(data_dir), "./data", "DIR", "data directory (database, master key, root credentials)"},
	{"master-key-file", OPT_STRING, OFF(master_key_file), NULL, "FILE",
	 "32-byte key that seals secrets at rest (default: DIR/master.key, generated once, mode 0600)"},
	{"account-id", OPT_STRING, OFF(account_id), NULL, "ID",
	 "12-digit id of the management account, used on first start (default: random)"},
	{"threads", OPT_UINT, OFF(threads), "8", "N",
	 "request threads (they block on storage; a request waiting for its durable audit record does not hold one)"},
	{"max-connections", OPT_UINT, OFF(max_connections), "1024", "N",
	 "connections served at once (when all are taken, those still sending a request after 2 s are cut)"},
	{"max-connections-per-ip", OPT_UINT, OFF(max_connections_per_ip), "128", "N",
	 "connections from one client address at once; more are refused (0: no cap)"},
	{"request-deadline", OPT_UINT, OFF(request_deadline_s), "20", "SECONDS",
	 "a request's headers and body must arrive within this, however steadily they trickle; slower clients are "
	 "cut (0: none)"},
	{"idle-timeout", OPT_UINT, OFF(idle_timeout_s), "30", "SECONDS",
	 "a connection idle (or a client stalled) this long is closed"},
	{"max-body", OPT_SIZE, OFF(max_body), "1048576", "BYTES", "largest request body; larger ones get 413"},
	{"example", OPT_STRING, OFF(example), NULL, "NAME",
	 "on an empty data directory, make the built-in example NAME first (seed: the seed article's Ops, Dev, Stage "
	 "and Prod accounts, roles, groups and people) and print its AWS CLI profiles"},
	{"log-level", OPT_STRING, OFF(log_level), "info", "LEVEL", "debug, info, warn or error"},
	{"log-format", OPT_STRING, OFF(log_format), "logfmt", "FORMAT", "logfmt or json (one object per line)"},
	{"quota", OPT_QUOTA, OFF(quotas), NULL, "NAME=N",
	 "raise an IAM quota of every account above AWS's default (repeatable; lower values are refused); NAMEs and "
	 "defaults:"},
};

static int set(struct server_config *cfg, const struct option_def *o, const char *value)
{
	char *base = (char *)cfg + o->offset, *end;
	unsigned long long v;

	switch (o->type) {
	case OPT_STRING: {
		char **dst = (char **)(void *)base;
		free(*dst);
		*dst = value ? strdup(value) : NULL;
		return value && !*dst ? C_ERR : C_OK;
	}
	case OPT_QUOTA: {
		char err[256];
		if (iam_quotas_set((struct iam_quotas *)(void *)base, value, err, sizeof(err)) != C_OK) {
			fprintf(stderr, "rolegate server: --%s: %s\n", o->name, err);
			return C_ERR;
		}
		return C_OK;
	}
	case OPT_FLAG:
		*(bool *)(void *)base = value != NULL;
		return C_OK;
	case OPT_UINT:
	case OPT_SIZE:
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno || end == value || *end || v > (o->type == OPT_UINT ? 1000000ULL : (1ULL << 32))) {
			fprintf(stderr, "rolegate server: --%s: '%s' is not a valid number\n", o->name, value);
			return C_ERR;
		}
		if (o->type == OPT_UINT)
			*(unsigned *)(void *)base = (unsigned)v;
		else
			*(size_t *)(void *)base = (size_t)v;
		return C_OK;
	}
	return C_ERR;
}

void config_usage(FILE *out)
{
	fprintf(out, "usage: rolegate server [OPTIONS]\n\n"
	             "Serves IAM, STS and Organizations over AWS's own protocols on one endpoint.\n"
	             "Root credentials of the management account come from ROLEGATE_ROOT_ACCESS_KEY_ID and\n"
	             "ROLEGATE_ROOT_SECRET_ACCESS_KEY when set; otherwise they are generated on first start, written\n"
	             "to DIR/root-credentials (mode 0600) and printed once if stdout is a terminal.\n\noptions:\n");
	for (size_t i = 0; i < ARRAY_LEN(options); i++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", options[i].name, options[i].arg[0] ? " " : "", options[i].arg);
		fprintf(out, "  %-26s %s", left, options[i].help);
		if (options[i].def)
			fprintf(out, " [%s]", options[i].def);
		if (options[i].type == OPT_QUOTA) {
			fprintf(out, "\n  %-26s ", "");
			iam_quotas_usage(out);
		}
		fputc('\n', out);
	}
}

int config_parse(struct server_config *cfg, int argc, char **argv)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < ARRAY_LEN(options); i++)
		if (options[i].def && set(cfg, &options[i], options[i].def) != C_OK)
			return C_ERR;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *value = NULL, *eq;
		size_t nlen;
		const struct option_def *o = NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			config_usage(stdout);
			return 1;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "rolegate server: unexpected argument '%s'\n", a);
			return C_ERR;
		}
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		for (size_t k = 0; k < ARRAY_LEN(options); k++)
			if (strlen(options[k].name) == nlen && strncmp(options[k].name, a + 2, nlen) == 0)
				o = &options[k];
		if (!o) {
			fprintf(stderr, "rolegate server: unknown option '%s' (see rolegate server --help)\n", a);
			return C_ERR;
		}
		if (o->type == OPT_FLAG) {
			if (eq) {
				fprintf(stderr, "rolegate server: --%s takes no value\n", o->name);
				return C_ERR;
			}
			value = "";
		} else if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			fprintf(stderr, "rolegate server: --%s needs a value\n", o->name);
			return C_ERR;
		}
		if (set(cfg, o, value) != C_OK)
			return C_ERR;
	}
	if (!cfg->tls_cert_file != !cfg->tls_key_file) {
		fprintf(stderr, "rolegate server: --tls-cert and --tls-key go together\n");
		return C_ERR;
	}
	return C_OK;
}

void config_free(struct server_config *cfg)
{
	for (size_t i = 0; i < ARRAY_LEN(options); i++) {
		if (options[i].type == OPT_STRING) {
			char **p = (char **)(void *)((char *)cfg + options[i].offset);
			free(*p);
			*p = NULL;
		}
	}
}
