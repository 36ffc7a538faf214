/*
 * fuzz_awsconfig.c - the AWS shared config and credentials files (src/cli/awsconfig.c): the configparser-style
 * parser (parse_text: sections, keys, continuation lines, nested blocks, [DEFAULT], the limits), the profile map
 * (build_profiles: "[profile NAME]" split as shlex does, [services NAME], the credentials file's sections), and
 * the lookups and chain resolution on what parses: awsconfig_get/has/get_nested, awsconfig_region,
 * awsconfig_endpoint_url, awsconfig_resolve and awsconfig_chain_describe for every profile found.
 *
 * The module is included (as h2o's fuzzers do) to reach its statics, so the files are parsed from memory and not
 * written to disk: the same struct awsconfig awsconfig_load_files builds, with fixed paths.
 *
 * Input: byte 0 is a set of flags; the rest is split at its first NUL byte into two files. Without flag 0x01 the
 * part before the NUL is the config file and the part after it the credentials file; with it, the other way round
 * (so either parser sees a NUL byte, which it must refuse). No NUL: the whole rest is the first file and the other
 * is empty. Flag 0x02 leaves the second file out ("not found") instead of empty.
 *
 * Checks beyond the sanitizers (abort on failure):
 *   - a refused file has an error naming it and the line (1 .. the number of lines);
 *   - what parses is well-formed: keys lowercased, non-empty, stripped; values without trailing line ends; nested
 *     keys unique; section names unique; the caps held;
 *   - every profile is found by name, in both files' order; awsconfig_get returns the credentials file's value
 *     for its keys, else the config file's (its [DEFAULT] filling in), never a nested block; awsconfig_has agrees;
 *   - awsconfig_resolve either fails with a message or returns a chain that starts at the profile asked for,
 *     whose links are AssumeRole steps (with a role_arn) up to one final source of credentials, at most one link
 *     per profile plus one; resolving again gives the same chain;
 *   - awsconfig_chain_describe names the profiles and never writes a secret access key or a session token.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/awsconfig.c"

#define CONFIG_PATH "/fuzz/.aws/config"
#define CREDENTIALS_PATH "/fuzz/.aws/credentials"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_awsconfig: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* The services endpoint_url is asked for (and their AWS_ENDPOINT_URL_* variables cleared). */
static const char *const services[] = {"sts", "s3", "iam", "ec2", "dynamodb", "cloud-watch"};

/* Keys asked for on every profile, beside the ones it has. */
static const char *const keys[] = {
	"region",         "role_arn",          "source_profile",     "credential_source", "mfa_serial",
	"external_id",    "role_session_name", "duration_seconds",   "aws_access_key_id", "aws_secret_access_key",
	"aws_session_token", "aws_security_token", "credential_process", "services",      "endpoint_url",
	"s3",             "sts",               "output",             "mfa_process",       "source_identity",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const vars[] = {
		"AWS_PROFILE",     "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	};
	char env[64];

	(void)argc;
	(void)argv;
	/* The lookups read the environment: make them depend on the input only. */
	for (size_t i = 0; i < ARRAY_LEN(vars); i++)
		unsetenv(vars[i]);
	for (size_t i = 0; i < ARRAY_LEN(services); i++) {
		size_t n = (size_t)snprintf(env, sizeof(env), "AWS_ENDPOINT_URL_");
		for (const char *c = services[i]; *c && n + 1 < sizeof(env); c++)
			env[n++] = (*c >= 'a' && *c <= 'z') ? (char)(*c - 32) : (*c == '-' ? '_' : *c);
		env[n] = '\0';
		unsetenv(env);
	}
	return 0;
}

/* ---- the parsed files --------------------------------------------------------------------------------------------- */

static bool ascii_space(char c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

static void check_section(const struct ac_file *f, const struct ac_section *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct ac_entry *e = &s->e[i];
		size_t kn = strlen(e->key), vn = strlen(e->value);

		if (kn == 0 || ascii_space(e->key[0]) || ascii_space(e->key[kn - 1]))
			die("a key is empty or not stripped", f->path);
		for (const char *c = e->key; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				die("a key is not lowercased", f->path);
		if (vn > 0 && e->value[vn - 1] == '\n')
			die("a value keeps a trailing empty line", f->path);
		if (e->line < 1)
			die("an entry has no line", f->path);
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->e[j].key, e->key) == 0)
				die("a key appears twice in a section", e->key);
		if (!e->nested && e->nsubs && !e->first_empty)
			die("a value with a nested block", e->key);
		for (size_t j = 0; j < e->nsubs; j++)
			for (size_t k = 0; k < j; k++)
				if (strcmp(e->subs[j].key, e->subs[k].key) == 0)
					die("a nested key appears twice", e->key);
	}
}

static void check_file(const struct ac_file *f)
{
	if (f->nsec > AWSCONFIG_MAX_SECTIONS || f->nentries > AWSCONFIG_MAX_ENTRIES)
		die("a cap was exceeded", f->path);
	for (size_t i = 0; i < f->nsec; i++) {
		if (strcmp(f->sec[i].name, "DEFAULT") == 0)
			die("[DEFAULT] stored as a section", f->path);
		for (size_t j = 0; j < i; j++)
			if (strcmp(f->sec[i].name, f->sec[j].name) == 0)
				die("a section appears twice", f->sec[i].name);
		check_section(f, &f->sec[i]);
	}
	check_section(f, &f->defaults);
}

/* Parses text into file which of cfg, as load_file does once it has read the bytes. */
static int parse_into(struct awsconfig *cfg, int which, const uint8_t *text, size_t len, bool present,
                      struct awsconfig_err *err)
{
	struct ac_file *f = &cfg->f[which];
	char *copy;
	int rc, lines = 1;

	f->path = strdup(which ? CREDENTIALS_PATH : CONFIG_PATH);
	if (!f->path)
		die("out of memory", NULL);
	f->found = present;
	if (!present)
		return C_OK;
	/* An exact-size copy, not NUL-terminated: ASan sees any read past the end. */
	copy = malloc(len ? len : 1);
	if (!copy)
		die("out of memory", NULL);
	memcpy(copy, text, len);
	rc = parse_text(f, copy, len, err);
	for (size_t i = 0; i < len; i++)
		if (copy[i] == '\n' || (copy[i] == '\r' && !(i + 1 < len && copy[i + 1] == '\n')))
			lines++;
	free(copy);
	if (rc != C_OK) {
		char want[128];

		snprintf(want, sizeof(want), "Unable to parse config file: %s, line ", f->path);
		if (strncmp(err->msg, want, strlen(want)) != 0)
			die("a parse error that does not name the file", err->msg);
		if (err->line < 1 || err->line > lines)
			die("a parse error without its line", err->msg);
	} else {
		check_file(f);
	}
	return rc;
}

/* ---- lookups and chains ------------------------------------------------------------------------------------------- */

/* What awsconfig_get must return for key of profile p: the credentials file's, else the config file's. */
static const struct ac_entry *expect_entry(const struct awsconfig *cfg, const struct ac_named *p, const char *key)
{
	for (int which = 1; which >= 0; which--) {
		const struct ac_file *f = &cfg->f[which];
		const struct ac_section *s = which ? p->cred : p->cfg;

		if (!s)
			continue;
		for (size_t i = 0; i < s->n; i++)
			if (strcmp(s->e[i].key, key) == 0)
				return &s->e[i];
		for (size_t i = 0; i < f->defaults.n; i++)
			if (strcmp(f->defaults.e[i].key, key) == 0)
				return &f->defaults.e[i];
	}
	return NULL;
}

static void check_key(const struct awsconfig *cfg, const struct ac_named *p, const char *key)
{
	const struct ac_entry *e = expect_entry(cfg, p, key);
	const char *got = awsconfig_get(cfg, p->name, key);

	if (got != (e && !e->nested ? e->value : NULL))
		die("awsconfig_get returns the wrong value", key);
	if (awsconfig_has(cfg, p->name, key) != (e != NULL))
		die("awsconfig_has disagrees", key);
	if (e && e->nested)
		for (size_t i = 0; i < e->nsubs; i++)
			if (awsconfig_get_nested(cfg, p->name, key, e->subs[i].key) != e->subs[i].value)
				die("awsconfig_get_nested returns the wrong value", key);
}

static void check_keys_of(const struct awsconfig *cfg, const struct ac_named *p, const struct ac_file *f,
                          const struct ac_section *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		check_key(cfg, p, s->e[i].key);
	for (size_t i = 0; i < f->defaults.n; i++)
		check_key(cfg, p, f->defaults.e[i].key);
}

/*
 * The description as awsconfig.h promises it: profile names joined by " -> ", then where the keys come from, and
 * nothing else (so never a secret).
 */
static void expect_describe(const struct awsconfig_chain *ch, struct buf *out)
{
	for (size_t i = 0; i < ch->n; i++) {
		const struct awsconfig_link *l = &ch->links[i];

		if (l->kind == AWSCONFIG_LINK_ENVIRONMENT) {
			buf_printf(out, "%s(credentials from the environment)", i ? " " : "");
			return;
		}
		buf_printf(out, "%s%s", i ? " -> " : "", l->profile);
		if (l->kind == AWSCONFIG_LINK_STATIC) {
			buf_printf(out, " (static keys, %s)", l->keys_path);
			return;
		}
		if (l->kind == AWSCONFIG_LINK_PROCESS) {
			buf_puts(out, " (credential_process)");
			return;
		}
	}
}

static void check_chain(const struct awsconfig *cfg, const char *name, const struct awsconfig_chain *ch)
{
	struct buf d, want;

	if (ch->n == 0 || !ch->links || ch->n > cfg->nprof + 1)
		die("a chain of no or too many links", name);
	if (strcmp(ch->links[0].profile, name) != 0)
		die("a chain that does not start at its profile", name);
	for (size_t i = 0; i < ch->n; i++) {
		const struct awsconfig_link *l = &ch->links[i];

		if (!l->profile || !awsconfig_has_profile(cfg, l->profile))
			die("a link from no profile", name);
		if ((i + 1 < ch->n) != (l->kind == AWSCONFIG_LINK_ASSUME_ROLE))
			die("AssumeRole steps are not followed by exactly one source", name);
		switch (l->kind) {
		case AWSCONFIG_LINK_ASSUME_ROLE:
			if (!l->role_arn)
				die("an AssumeRole link without role_arn", name);
			break;
		case AWSCONFIG_LINK_STATIC:
			if (!l->access_key_id || !l->secret_access_key || !l->keys_path)
				die("static keys without their values", name);
			if (strcmp(l->keys_path, CONFIG_PATH) != 0 && strcmp(l->keys_path, CREDENTIALS_PATH) != 0)
				die("static keys from no file", l->keys_path);
			break;
		case AWSCONFIG_LINK_PROCESS:
			if (!l->credential_process || !l->credential_process[0])
				die("an empty credential_process", name);
			break;
		case AWSCONFIG_LINK_ENVIRONMENT:
			if (i == 0)
				die("a profile that is its own Environment source", name);
			break;
		default:
			die("a link of no kind", name);
		}
	}
	buf_init(&d, 1u << 20);
	buf_init(&want, 1u << 20);
	expect_describe(ch, &want);
	if (awsconfig_chain_describe(ch, &d) != C_OK || strcmp(buf_str(&d), buf_str(&want)) != 0)
		die("awsconfig_chain_describe writes more than names and paths", buf_str(&d));
	buf_free(&want);
	buf_free(&d);
}

static void resolve(const struct awsconfig *cfg, const char *name)
{
	struct awsconfig_chain ch, again;
	struct awsconfig_err err, err2;
	int rc = awsconfig_resolve(cfg, name, &ch, &err);
	int rc2 = awsconfig_resolve(cfg, name, &again, &err2);

	if (rc != rc2)
		die("awsconfig_resolve is not deterministic", name);
	if (rc == C_OK) {
		check_chain(cfg, name ? name : "default", &ch);
		if (again.n != ch.n || memcmp(again.links, ch.links, ch.n * sizeof(ch.links[0])) != 0)
			die("awsconfig_resolve is not deterministic", name);
	} else {
		if (!err.msg[0] || strcmp(err.msg, err2.msg) != 0 || ch.links || ch.n)
			die("awsconfig_resolve failed without a message, or left a chain", name);
		if (name && awsconfig_has_profile(cfg, name) && strncmp(err.msg, "The config profile (", 20) == 0)
			die("an existing profile reported missing", name);
	}
	awsconfig_chain_free(&ch);
	awsconfig_chain_free(&again);
}

static void check_profile(const struct awsconfig *cfg, const struct ac_named *p)
{
	const char *url;
	struct awsconfig_err err;

	if (!awsconfig_has_profile(cfg, p->name) || named_find(cfg->prof, cfg->nprof, p->name) != p)
		die("a profile is not found by its name", p->name);
	if (!p->cfg && !p->cred)
		die("a profile from no section", p->name);
	check_keys_of(cfg, p, &cfg->f[1], p->cred);
	check_keys_of(cfg, p, &cfg->f[0], p->cfg);
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		check_key(cfg, p, keys[i]);
	if (awsconfig_region(cfg, p->name) != awsconfig_get(cfg, p->name, "region"))
		die("awsconfig_region is not the profile's region", p->name);
	for (size_t i = 0; i < ARRAY_LEN(services); i++) {
		err.msg[0] = '\0';
		if (awsconfig_endpoint_url(cfg, p->name, services[i], &url, &err) == C_OK) {
			if (url && !url[0])
				die("an empty endpoint URL", p->name);
		} else if (!err.msg[0] || url) {
			die("awsconfig_endpoint_url failed without a message", p->name);
		}
	}
	resolve(cfg, p->name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct awsconfig *cfg;
	struct awsconfig_err err;
	const uint8_t *a, *b = NULL, *nul;
	size_t alen, blen = 0;
	uint8_t flags;
	int first;

	if (size < 1)
		return 0;
	flags = data[0];
	a = data + 1;
	alen = size - 1;
	nul = memchr(a, '\0', alen);
	if (nul) {
		b = nul + 1;
		blen = alen - (size_t)(b - a);
		alen = (size_t)(nul - a);
	}
	first = flags & 0x01 ? 1 : 0;

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return 0;
	memset(&err, 0, sizeof(err));
	/* The config file is parsed first, as awsconfig_load_files does. */
	if (first == 0) {
		if (parse_into(cfg, 0, a, alen, true, &err) != C_OK ||
		    parse_into(cfg, 1, b ? b : a, blen, b || !(flags & 0x02), &err) != C_OK)
			goto out;
	} else {
		if (parse_into(cfg, 0, b ? b : a, blen, b || !(flags & 0x02), &err) != C_OK ||
		    parse_into(cfg, 1, a, alen, true, &err) != C_OK)
			goto out;
	}
	if (build_profiles(cfg) != C_OK)
		die("build_profiles failed", NULL);

	/* The profile map: the config file's profiles in order, then the credentials file's others. */
	if (awsconfig_profile_at(cfg, awsconfig_profile_count(cfg)) != NULL)
		die("a profile beyond the count", NULL);
	for (size_t i = 0; i < cfg->f[1].nsec; i++) {
		const struct ac_named *p = named_find(cfg->prof, cfg->nprof, cfg->f[1].sec[i].name);
		if (!p || p->cred != &cfg->f[1].sec[i])
			die("a credentials section is not its profile", cfg->f[1].sec[i].name);
	}
	for (size_t i = 0; i < awsconfig_profile_count(cfg); i++) {
		const char *name = awsconfig_profile_at(cfg, i);

		if (!name)
			die("a profile without a name", NULL);
		for (size_t j = 0; j < i; j++)
			if (strcmp(awsconfig_profile_at(cfg, j), name) == 0)
				die("a profile listed twice", name);
		check_profile(cfg, &cfg->prof[i]);
	}
	for (size_t i = 0; i < cfg->nsvc; i++)
		if (!cfg->svc[i].cfg || !cfg->svc[i].name)
			die("a services section from nowhere", NULL);
	/* The implicit profile ("default", which may be absent) and one that does not exist. */
	resolve(cfg, NULL);
	if (!awsconfig_has_profile(cfg, "fuzz-no-such-profile")) {
		struct awsconfig_chain ch;

		if (awsconfig_resolve(cfg, "fuzz-no-such-profile", &ch, &err) == C_OK ||
		    !strstr(err.msg, "could not be found"))
			die("a missing profile resolves", NULL);
	}
out:
	awsconfig_free(cfg);
	return 0;
}
