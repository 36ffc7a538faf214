/*
 * config.c - the options of `rolegate server`, described once in a table (name, type, default, help) from which
 * parsing, the config file (--config), --print-config, defaults and --help all come.
 *
 * The effective value of an option is, in order of precedence: its flags on the command line (wherever --config
 * stands among them; a repeatable option given as a flag replaces the file's list), else its keys in the file, else
 * its default. The file is INI read with inih: `name = value` lines, the names of the flags without "--", at the top
 * or under [server]; a flag is `name = true|false`; a repeatable option may appear on several lines. Every value of
 * the file is checked at its line, even one a flag overrides.
 */
#include "server/config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/throttle.h"
#include "store/pq_api.h"
#include "util/common.h"

/* A new type needs a case in set() (its reason in err, no printing), one in repeatable() (the compiler asks), and
 * config_free() if it allocates. The config file, --print-config and the flags then take it as they are. */
enum opt_type {
	OPT_STRING,
	OPT_UINT,
	OPT_SIZE,
	OPT_QUOTA, /* NAME=N, repeatable: iam/quotas.c */
	OPT_FLAG,  /* no value */
	OPT_CIDR,  /* a network, repeatable: http/forwarded.c */
	OPT_RATE,  /* RPS[:BURST]: server/throttle.h */
};

struct option_def {
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *def; /* NULL: unset */
	const char *arg;
	const char *help;
	const char *choices; /* "a|b|c": the only values allowed; NULL: any the type takes */
	bool secret;         /* the value is a secret: --print-config never prints it (no option is one yet) */
	bool conninfo;       /* a libpq conninfo: --print-config does not print one that holds a password */
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
	{"trusted-proxy", OPT_CIDR, OFF(trusted_proxies), NULL, "CIDR",
	 "a proxy (address or network, IPv4 or IPv6; repeatable) whose X-Forwarded-For and X-Forwarded-Proto, or "
	 "Forwarded, name the client (aws:SourceIp, aws:SecureTransport, the audit and the logs); from any other peer "
	 "those headers are ignored"},
	{"metrics-listen", OPT_STRING, OFF(metrics_listen), NULL, "ADDR:PORT",
	 "serve Prometheus metrics (GET /metrics, plain HTTP) on a second address; off loopback only with "
	 "--insecure-http; port 0 picks a free port (the log says which)"},
	{"data", OPT_STRING, OFF(data_dir), "./data", "DIR",
	 "data directory (database, master key, root credentials; with --postgres: this node's own files)"},
	{"postgres", OPT_STRING, OFF(postgres), NULL, "CONNINFO",
	 "keep the database (schema, every table, the audit) in PostgreSQL instead of SQLite in DIR: a libpq conninfo or "
	 "URI, multi-host allowed (host=a,b target_session_attrs=read-write); any number of nodes may share it, each "
	 "with its own --data and the same master key. Keep a password in ~/.pgpass or PGPASSFILE, not here",
	 NULL, false, true},
	{"reach-report", OPT_STRING, OFF(reach_report), NULL, "FILE",
	 "the access analysis report the console links to (/console/reach), as `rolegate analyze reach --format html "
	 "--output FILE` writes it (default: DIR/reach.html); shown only to identities of the management account allowed "
	 "to read the organization"},
	{"master-key-file", OPT_STRING, OFF(master_key_file), NULL, "FILE",
	 "32-byte key that seals secrets at rest (default: ROLEGATE_MASTER_KEY_FILE, else DIR/master.key, generated "
	 "once, mode 0600); every node of one --postgres database needs the same"},
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
	{"log-level", OPT_STRING, OFF(log_level), "info", "LEVEL", "debug, info, warn or error", "debug|info|warn|error"},
	{"log-format", OPT_STRING, OFF(log_format), "logfmt", "FORMAT", "logfmt or json (one object per line)",
	 "logfmt|json"},
	{"quota", OPT_QUOTA, OFF(quotas), NULL, "NAME=N",
	 "raise an IAM quota of every account above AWS's default (repeatable; lower values are refused); NAMEs and "
	 "defaults:"},
	{"rate-principal", OPT_RATE, OFF(rate_principal), "0", "RPS[:BURST]",
	 "requests a second each principal may make (a user, a root user, a role session: keyed on its unique id), "
	 "with bursts of BURST (default: RPS); more get Throttling, \"Rate exceeded\" (0: no limit)"},
	{"rate-account", OPT_RATE, OFF(rate_account), "0", "RPS[:BURST]",
	 "requests a second all principals of one account may make together, with bursts of BURST (default: RPS) "
	 "(0: no limit)"},
	{"encode-denials", OPT_FLAG, OFF(encode_denials), NULL, "",
	 "end every AccessDenied message with \"Encoded authorization failure message: MSG\", as EC2 does (IAM, STS and "
	 "Organizations do not on AWS: off by default); sts:DecodeAuthorizationMessage decodes MSG for principals "
	 "allowed to call it"},
	{"enforce", OPT_STRING, OFF(enforce), NULL, "MODE",
	 "strict: a call the policies deny is refused (AccessDenied); soft: it proceeds, and the would-be denial is "
	 "audited (enforcement soft-denied), logged and counted in /metrics. Authentication, MFA codes, throttling and "
	 "validation are never soft. An account's own setting (rolegate accounts set-enforcement) or its Organizations "
	 "tag rolegate:enforcement = strict|soft overrides this. Default: strict; soft with --compat",
	 "strict|soft"},
	{"compat", OPT_STRING, OFF(compat), NULL, "MODE",
	 "moto: serve an existing moto-based test suite unchanged: NO AUTHENTICATION for access keys the store does not "
	 "know (any key id, any secret, no signature or clock check: the root user of --compat-account), POST "
	 "/moto-api/reset deletes every IAM, STS and Organizations resource and the audit trail. A test tool only: "
	 "loopback --listen only, no --trusted-proxy",
	 "moto"},
	{"compat-account", OPT_STRING, OFF(compat_account), "123456789012", "ID",
	 "with --compat: the account unknown access keys act in as its root (created if absent; no organization needed)"},
};

/* Whether the option may be given more than once, each adding to a list. A new type must say (-Wswitch). */
static bool repeatable(enum opt_type type)
{
	switch (type) {
	case OPT_QUOTA:
	case OPT_CIDR:
		return true;
	case OPT_RATE:
	case OPT_STRING:
	case OPT_UINT:
	case OPT_SIZE:
	case OPT_FLAG:
		return false;
	}
	return false;
}

static const struct option_def *find_option(const char *name, size_t len)
{
	for (size_t k = 0; k < ARRAY_LEN(options); k++)
		if (strlen(options[k].name) == len && strncmp(options[k].name, name, len) == 0)
			return &options[k];
	return NULL;
}

/* Sets o in cfg from value (a flag: NULL clears it, anything else sets it). C_ERR with a reason in err. */
static int set(struct server_config *cfg, const struct option_def *o, const char *value, char *err, size_t cap)
{
	char *base = (char *)cfg + o->offset, *end;
	unsigned long long v;

	switch (o->type) {
	case OPT_STRING: {
		char **dst = (char **)(void *)base;
		free(*dst);
		*dst = value ? strdup(value) : NULL;
		if (value && !*dst) {
			snprintf(err, cap, "out of memory");
			return C_ERR;
		}
		return C_OK;
	}
	case OPT_QUOTA:
		return iam_quotas_set((struct iam_quotas *)(void *)base, value, err, cap);
	case OPT_FLAG:
		*(bool *)(void *)base = value != NULL;
		return C_OK;
	case OPT_CIDR:
		return fwd_trust_add((struct fwd_trust *)(void *)base, value, err, cap);
	case OPT_RATE:
		return rate_limit_parse(value, (struct rate_limit *)(void *)base, err, cap);
	case OPT_UINT:
	case OPT_SIZE:
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno || end == value || *end || value[0] == '-' ||
		    v > (o->type == OPT_UINT ? 1000000ULL : (1ULL << 32))) {
			snprintf(err, cap, "'%s' is not a valid number", value);
			return C_ERR;
		}
		if (o->type == OPT_UINT)
			*(unsigned *)(void *)base = (unsigned)v;
		else
			*(size_t *)(void *)base = (size_t)v;
		return C_OK;
	}
	snprintf(err, cap, "unknown option type");
	return C_ERR;
}

/* Sets o from its text as a flag's argument or a file's value: "true" or "false" for a flag; a value listed in
 * o->choices; never empty. */
static int set_text(struct server_config *cfg, const struct option_def *o, const char *value, char *err, size_t cap)
{
	if (o->type == OPT_FLAG) {
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
			snprintf(err, cap, "'%s' is not true or false", value);
			return C_ERR;
		}
		return set(cfg, o, strcmp(value, "true") == 0 ? "" : NULL, err, cap);
	}
	if (!*value) {
		snprintf(err, cap, "needs a value");
		return C_ERR;
	}
	if (o->choices) {
		size_t n = strlen(value);
		const char *c = o->choices;
		for (;;) {
			size_t clen = strcspn(c, "|");
			if (clen == n && strncmp(c, value, n) == 0)
				break;
			if (!c[clen]) {
				snprintf(err, cap, "'%s' is not one of %s", value, o->choices);
				return C_ERR;
			}
			c += clen + 1;
		}
	}
	return set(cfg, o, value, err, cap);
}

/* One value of one option, as the command line or the file gave it. */
struct setting {
	const struct option_def *o;
	char *value;   /* owned; "true" or "false" for a flag */
	unsigned line; /* its line in the config file; 0: the command line */
};

struct settings {
	struct setting *v;
	size_t n, cap;
};

static int settings_add(struct settings *s, const struct option_def *o, const char *value, unsigned line)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct setting *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return C_ERR;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].value = strdup(value);
	if (!s->v[s->n].value)
		return C_ERR;
	s->v[s->n].o = o;
	s->v[s->n].line = line;
	s->n++;
	return C_OK;
}

static void settings_free(struct settings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].value);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static bool settings_has(const struct settings *s, const struct option_def *o)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].o == o)
			return true;
	return false;
}

/* ---- the config file ------------------------------------------------------------------------------------------ */

#define CONFIG_MAX_BYTES (1024 * 1024)

/* inih's state while it reads one file: the lines come from buf through read_line, which counts them, so the
 * handler knows the line it is called for. */
struct file_reader {
	const char *path;
	const char *buf;
	size_t len, pos;
	unsigned line;
	struct settings *out;
	struct server_config scratch; /* each value is tried here, so a bad one is reported at its own line */
	unsigned err_line;            /* the first error's line (0: none yet) and its message */
	char err[512];
};

static void reader_fail(struct file_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reader_fail(struct file_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->err_line)
		return;
	r->err_line = r->line;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

/* inih's reader: the next line into str[num], leading blanks dropped (so an indented key is a key, never the
 * continuation of the line before). NULL at the end, after an error, or on a line longer than inih takes. */
static char *read_line(char *str, int num, void *stream)
{
	struct file_reader *r = stream;
	const char *p, *nl;
	size_t n;

	if (r->err_line || r->pos >= r->len)
		return NULL;
	p = r->buf + r->pos;
	nl = memchr(p, '\n', r->len - r->pos);
	n = nl ? (size_t)(nl - p) + 1 : r->len - r->pos;
	r->pos += n;
	r->line++;
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	if (n + 1 >= (size_t)num) {
		reader_fail(r, "line longer than %d characters", num - 3);
		return NULL;
	}
	memcpy(str, p, n);
	str[n] = '\0';
	return str;
}

/* Whether s can be quoted in an error message as it stands (printable ASCII or UTF-8 bytes, at most 64 bytes). */
static bool quotable(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f || n >= 64)
			return false;
	return true;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct file_reader *r = user;
	const struct option_def *o = find_option(name, strlen(name));
	char err[320];

	if (*section && strcmp(section, "server") != 0) {
		reader_fail(r, "section [%s] is not known (keys go at the top of the file or under [server])",
		            quotable(section) ? section : "...");
		return 0;
	}
	if (!o) {
		if (strcmp(name, "config") == 0 || strcmp(name, "print-config") == 0)
			reader_fail(r, "%s: only a command-line flag (--%s), not a key of the config file", name, name);
		else
			reader_fail(r, "unknown key '%s' (the keys are the options of rolegate server --help, without --)",
			            quotable(name) ? name : "...");
		return 0;
	}
	for (const char *p = value; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			reader_fail(r, "%s: the value holds a control character", name);
			return 0;
		}
	}
	for (size_t i = 0; i < r->out->n && !repeatable(o->type); i++) {
		if (r->out->v[i].o == o) {
			reader_fail(r, "%s: set twice (first on line %u)", name, r->out->v[i].line);
			return 0;
		}
	}
	if (set_text(&r->scratch, o, value, err, sizeof(err)) != C_OK) {
		reader_fail(r, "%s: %s", name, err);
		return 0;
	}
	if (settings_add(r->out, o, value, r->line) != C_OK) {
		reader_fail(r, "out of memory");
		return 0;
	}
	return 1;
}

/* Parses the text of the config file path (buf[len]) into out: text, every key known and every value valid. Errors
 * name path:line. */
static int parse_config_text(const char *path, const char *buf, size_t len, struct settings *out, FILE *err)
{
	struct file_reader r;
	int rc;

	if (memchr(buf, '\0', len)) {
		fprintf(err, "rolegate server: config file %s is not text (it holds a NUL byte)\n", path);
		return C_ERR;
	}
	memset(&r, 0, sizeof(r));
	r.path = path;
	r.buf = buf;
	r.len = len;
	r.out = out;
	rc = ini_parse_stream(read_line, &r, on_key, &r);
	config_free(&r.scratch);
	if (rc > 0 && (!r.err_line || (unsigned)rc < r.err_line))
		fprintf(err, "rolegate server: %s:%d: not a `name = value` line, a comment or a [section]\n", path, rc);
	else if (r.err_line)
		fprintf(err, "rolegate server: %s:%u: %s\n", path, r.err_line, r.err);
	else if (rc < 0)
		fprintf(err, "rolegate server: cannot parse config file %s\n", path);
	else
		return C_OK;
	return C_ERR;
}

/* Reads the settings of the config file at path into out: a regular file no other user may write (it names the
 * keys and certificates the server trusts), at most CONFIG_MAX_BYTES, then parse_config_text. */
static int read_config_file(const char *path, struct settings *out, FILE *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, result = C_ERR;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(err, "rolegate server: cannot read config file %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(err, "rolegate server: config file %s is not a regular file\n", path);
		goto fail;
	}
	if (st.st_mode & S_IWOTH) {
		fprintf(err, "rolegate server: config file %s is writable by every user: refusing it (it names the keys and "
		             "certificates the server trusts; chmod o-w it)\n", path);
		goto fail;
	}
	if (st.st_size > CONFIG_MAX_BYTES) {
		fprintf(err, "rolegate server: config file %s is larger than %d bytes\n", path, CONFIG_MAX_BYTES);
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(err, "rolegate server: cannot read config file %s: %s\n", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	result = parse_config_text(path, buf, len, out, err);
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return result;
}

/* ---- --print-config ------------------------------------------------------------------------------------------- */

/* Why value cannot be written as `name = value` so that inih reads it back the same, or NULL when it can. */
static const char *unprintable(const char *name, const char *value)
{
	if (!*value)
		return "it is empty";
	if (value[0] == ' ' || value[0] == '\t' || value[strlen(value) - 1] == ' ' || value[strlen(value) - 1] == '\t')
		return "it begins or ends with a blank";
	for (const char *p = value; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "it holds a control character";
		/* inih takes a ';' after a blank for a comment, and "name = ;" puts a blank before the first */
		if (*p == ';' && (p == value || p[-1] == ' ' || p[-1] == '\t'))
			return "a ';' at its start or after a blank would start a comment";
	}
	if (strlen(name) + strlen(value) + 4 > INI_MAX_LINE - 3)
		return "the line would be too long";
	return NULL;
}

/* Whether a conninfo (or URI) names a password; one that does not parse is treated as if it did. */
static bool conninfo_has_password(const char *value)
{
	PQconninfoOption *opts = PQconninfoParse(value, NULL);
	bool has = !opts;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0])
			has = true;
	PQconninfoFree(opts);
	return has;
}

static int print_value(FILE *out, FILE *err, const struct option_def *o, const char *value)
{
	const char *why;

	if (o->secret) {
		fprintf(out, "# %s = (a secret: not printed)\n", o->name);
		return C_OK;
	}
	if (o->conninfo && conninfo_has_password(value)) {
		fprintf(out, "# %s = (holds a password: not printed)\n", o->name);
		return C_OK;
	}
	why = unprintable(o->name, value);
	if (why) {
		fprintf(err, "rolegate server: --print-config: the value of %s cannot be written in a config file: %s\n",
		        o->name, why);
		return C_ERR;
	}
	fprintf(out, "%s = %s\n", o->name, value);
	return C_OK;
}

/* ---- putting it together -------------------------------------------------------------------------------------- */

/* The settings that decide o: the command line's when it names o, else the file's. */
static const struct settings *source_of(const struct option_def *o, const struct settings *flags,
                                        const struct settings *file)
{
	return settings_has(flags, o) ? flags : file;
}

/* Sets every option of cfg from its source (or its default); prints it as a config file to out when out is set. */
static int apply(struct server_config *cfg, const struct settings *flags, const struct settings *file,
                 const char *path, FILE *out, FILE *err)
{
	char msg[320];

	if (out)
		fprintf(out, "# rolegate server --print-config: the effective configuration (defaults, then the config file, "
		             "then the flags).\n# rolegate server --config FILE reads it back.\n[server]\n");
	for (size_t k = 0; k < ARRAY_LEN(options); k++) {
		const struct option_def *o = &options[k];
		const struct settings *src = source_of(o, flags, file);
		bool any = false;

		for (size_t i = 0; i < src->n; i++) {
			const struct setting *s = &src->v[i];
			if (s->o != o)
				continue;
			any = true;
			if (set_text(cfg, o, s->value, msg, sizeof(msg)) != C_OK) {
				if (s->line)
					fprintf(err, "rolegate server: %s:%u: %s: %s\n", path, s->line, o->name, msg);
				else
					fprintf(err, "rolegate server: --%s: %s\n", o->name, msg);
				return C_ERR;
			}
			if (out && print_value(out, err, o, s->value) != C_OK)
				return C_ERR;
		}
		if (any)
			continue;
		if (o->def && set_text(cfg, o, o->def, msg, sizeof(msg)) != C_OK) {
			fprintf(err, "rolegate server: default of --%s: %s\n", o->name, msg);
			return C_ERR;
		}
		if (!out)
			continue;
		if (o->def)
			print_value(out, err, o, o->def);
		else if (o->type == OPT_FLAG)
			fprintf(out, "%s = false\n", o->name);
		else
			fprintf(out, "# %s = %s\n", o->name, o->arg);
	}
	return C_OK;
}

void config_usage(FILE *out)
{
	fprintf(out, "usage: rolegate server [OPTIONS]\n\n"
	             "Serves IAM, STS and Organizations over AWS's own protocols on one endpoint.\n"
	             "Root credentials of the management account come from ROLEGATE_ROOT_ACCESS_KEY_ID and\n"
	             "ROLEGATE_ROOT_SECRET_ACCESS_KEY when set; otherwise they are generated on first start, written\n"
	             "to DIR/root-credentials (mode 0600) and printed once if stdout is a terminal.\n\noptions:\n");
	fprintf(out, "  %-26s %s\n", "--config FILE",
	        "read options from FILE: INI, `name = value` lines (the option's name without --; a flag is name = "
	        "true|false; a repeatable option on several lines) at the top or under [server]. A flag on the command "
	        "line overrides the file wherever it stands; a repeatable option given as a flag replaces the file's "
	        "list. Unknown names and bad values are errors naming FILE:LINE; a file every user may write is refused");
	fprintf(out, "  %-26s %s\n", "--print-config",
	        "print the effective configuration (defaults, FILE, flags) as a config file and exit without starting");
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

int config_load(struct server_config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
	struct settings flags = {0}, file = {0};
	const char *path = NULL;
	bool print = false;
	int rc = C_ERR;

	memset(cfg, 0, sizeof(*cfg));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *value = NULL, *eq;
		size_t nlen;
		const struct option_def *o;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			config_usage(out);
			rc = 1;
			goto done;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(err, "rolegate server: unexpected argument '%s'\n", a);
			goto done;
		}
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (strcmp(a, "--print-config") == 0) {
			print = true;
			continue;
		}
		if (nlen == 6 && strncmp(a + 2, "config", 6) == 0) {
			if (path) {
				fprintf(err, "rolegate server: --config is given twice\n");
				goto done;
			}
			if (!eq && i + 1 >= argc) {
				fprintf(err, "rolegate server: --config needs a value\n");
				goto done;
			}
			path = eq ? eq + 1 : argv[++i];
			continue;
		}
		o = find_option(a + 2, nlen);
		if (!o) {
			fprintf(err, "rolegate server: unknown option '%s' (see rolegate server --help)\n", a);
			goto done;
		}
		if (o->type == OPT_FLAG) {
			if (eq) {
				fprintf(err, "rolegate server: --%s takes no value\n", o->name);
				goto done;
			}
			value = "true";
		} else if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			fprintf(err, "rolegate server: --%s needs a value\n", o->name);
			goto done;
		}
		if (settings_add(&flags, o, value, 0) != C_OK)
			goto done;
	}
	if (path && read_config_file(path, &file, err) != C_OK)
		goto done;
	if (apply(cfg, &flags, &file, path, NULL, err) != C_OK)
		goto done;
	if (!cfg->tls_cert_file != !cfg->tls_key_file) {
		fprintf(err, "rolegate server: --tls-cert and --tls-key go together\n");
		goto done;
	}
	if (!cfg->master_key_file && getenv("ROLEGATE_MASTER_KEY_FILE") && *getenv("ROLEGATE_MASTER_KEY_FILE")) {
		cfg->master_key_file = strdup(getenv("ROLEGATE_MASTER_KEY_FILE"));
		if (!cfg->master_key_file)
			goto done;
	}
	rc = C_OK;
	if (print) {
		/* Into memory first: a value that cannot be printed leaves no half file on stdout. */
		struct server_config again;
		char *text = NULL;
		size_t tlen = 0;
		FILE *mem = open_memstream(&text, &tlen);
		memset(&again, 0, sizeof(again));
		rc = mem && apply(&again, &flags, &file, path, mem, err) == C_OK ? 1 : C_ERR;
		if (mem)
			fclose(mem);
		if (rc == 1 && (fwrite(text, 1, tlen, out) != tlen || fflush(out) != 0)) {
			fprintf(err, "rolegate server: --print-config: cannot write: %s\n", strerror(errno));
			rc = C_ERR;
		}
		free(text);
		config_free(&again);
	}
done:
	settings_free(&flags);
	settings_free(&file);
	return rc;
}

int config_parse(struct server_config *cfg, int argc, char **argv)
{
	return config_load(cfg, argc, argv, stdout, stderr);
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
