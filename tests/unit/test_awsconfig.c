/*
 * test_awsconfig.c - tests src/cli/awsconfig.c over temporary files: configparser's syntax as botocore uses it
 * (delimiters, comments, no inline comments, continuation lines and nested blocks, DEFAULT, case of keys, line
 * ends), profile naming ([profile X], [default], shlex quoting, botocore's quirks), credentials-file precedence,
 * profile choice from the environment, region and endpoint lookups, malformed input with file and line, limits, and
 * chain resolution (depth, self-sourcing, loops, missing profiles, credential_source, credential_process, partial
 * keys). The expected values were checked against botocore 1.43 (Session.full_config and get_credentials).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/awsconfig.h"
#include "util/common.h"

static char tmpdir[64];
static char cfg_path[128], cred_path[128];

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Loads the two texts (NULL: that file does not exist). */
static struct awsconfig *load(const char *config, const char *creds, struct awsconfig_err *err)
{
	struct awsconfig *c = NULL;
	int rc;

	unlink(cfg_path);
	unlink(cred_path);
	if (config)
		write_file(cfg_path, config, strlen(config));
	if (creds)
		write_file(cred_path, creds, strlen(creds));
	rc = awsconfig_load_files(cfg_path, cred_path, &c, err);
	assert_true(rc == C_OK ? c != NULL : c == NULL);
	return c;
}

static struct awsconfig *load_ok(const char *config, const char *creds)
{
	struct awsconfig_err err;
	struct awsconfig *c = load(config, creds, &err);

	if (!c)
		fail_msg("unexpected error: %s", err.msg);
	return c;
}

/* The load fails on line `line` of `path`, and the message names both. */
static void load_fails(const char *config, const char *creds, const char *path, int line, const char *why)
{
	struct awsconfig_err err;
	char want[64];

	assert_null(load(config, creds, &err));
	assert_int_equal(err.line, line);
	assert_non_null(strstr(err.msg, path));
	if (line) {
		snprintf(want, sizeof(want), ", line %d: ", line);
		assert_non_null(strstr(err.msg, want));
	}
	if (!strstr(err.msg, why))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, why);
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test_awsconfig.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(cfg_path, sizeof(cfg_path), "%s/config", tmpdir);
	snprintf(cred_path, sizeof(cred_path), "%s/credentials", tmpdir);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_DEFAULT_PROFILE");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_STS");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(cfg_path);
	unlink(cred_path);
	rmdir(tmpdir);
	return 0;
}

/* --- syntax ------------------------------------------------------------------------------------------------- */

static void test_syntax(void **state)
{
	struct awsconfig *c;

	(void)state;
	c = load_ok("# comment\n"
	            "; comment\n"
	            "[default]\n"
	            "Region = us-east-1\n"
	            "output: json\n"
	            "endpoint_url = http://127.0.0.1:9000\n"
	            "x = a ; b # not comments\n"
	            "  # an indented comment line is still a comment\n"
	            "a:b = c\n"
	            "spaced key   =    spaced value   \n"
	            "empty =\n",
	            NULL);
	assert_string_equal(awsconfig_get(c, "default", "region"), "us-east-1"); /* keys lowercased */
	assert_null(awsconfig_get(c, "default", "Region"));
	assert_string_equal(awsconfig_get(c, "default", "output"), "json");
	assert_string_equal(awsconfig_get(c, "default", "endpoint_url"), "http://127.0.0.1:9000"); /* first : or = */
	assert_string_equal(awsconfig_get(c, "default", "x"), "a ; b # not comments");        /* no inline comments */
	assert_string_equal(awsconfig_get(c, "default", "a"), "b = c");
	assert_string_equal(awsconfig_get(c, "default", "spaced key"), "spaced value");
	assert_string_equal(awsconfig_get(c, "default", "empty"), "");
	assert_true(awsconfig_has(c, "default", "empty"));
	assert_false(awsconfig_has(c, "default", "missing"));
	assert_null(awsconfig_get(c, "default", "missing"));
	awsconfig_free(c);
}

static void test_continuations_and_nested(void **state)
{
	struct awsconfig *c;

	(void)state;
	c = load_ok("[default]\n"
	            "s3 =\n"
	            "  max_concurrent_requests = 10\n"
	            "  # a comment inside the block\n"
	            "\n"
	            "  addressing_style = path\n"
	            "  Addressing_Style = virtual\n" /* nested keys keep their case */
	            "  max_concurrent_requests = 20\n" /* the last wins */
	            "k = line1\n"
	            "  line2\n"
	            "\n"
	            "  line3\n"
	            "\n"
	            "\n"
	            "after = 1\n"
	            "blank_only =\n"
	            "\n"
	            "next = 2\n",
	            NULL);
	assert_true(awsconfig_has(c, "default", "s3"));
	assert_null(awsconfig_get(c, "default", "s3")); /* a nested block is not a string */
	assert_string_equal(awsconfig_get_nested(c, "default", "s3", "max_concurrent_requests"), "20");
	assert_string_equal(awsconfig_get_nested(c, "default", "s3", "addressing_style"), "path");
	assert_string_equal(awsconfig_get_nested(c, "default", "s3", "Addressing_Style"), "virtual");
	assert_null(awsconfig_get_nested(c, "default", "s3", "missing"));
	assert_string_equal(awsconfig_get(c, "default", "k"), "line1\nline2\n\nline3"); /* trailing blanks dropped */
	assert_string_equal(awsconfig_get(c, "default", "after"), "1");
	assert_string_equal(awsconfig_get(c, "default", "blank_only"), ""); /* blank lines alone make no block */
	assert_null(awsconfig_get_nested(c, "default", "k", "line2"));
	awsconfig_free(c);

	/* Continuation is relative to the indentation of the line that opened the key. */
	c = load_ok("  [default]\n"
	            "  region = a\n"
	            "    b = c\n"
	            "  z = y\n",
	            NULL);
	assert_string_equal(awsconfig_get(c, "default", "region"), "a\nb = c");
	assert_string_equal(awsconfig_get(c, "default", "z"), "y");
	awsconfig_free(c);
}

static void test_line_ends_and_headers(void **state)
{
	struct awsconfig *c;

	(void)state;
	c = load_ok("[default]\r\nregion = crlf\r\n[profile a]\rregion=cr\r[profile b] trailing text\nregion = b\n", NULL);
	assert_string_equal(awsconfig_get(c, "default", "region"), "crlf");
	assert_string_equal(awsconfig_get(c, "a", "region"), "cr");
	assert_string_equal(awsconfig_get(c, "b", "region"), "b"); /* "[b] x" is the section [b] */
	awsconfig_free(c);
}

static void test_default_section(void **state)
{
	struct awsconfig *c;

	(void)state;
	c = load_ok("[DEFAULT]\noutput = json\nregion = r0\n[default]\nregion = r1\n[profile a]\n", "[DEFAULT]\nk = v\n[a]\n");
	assert_false(awsconfig_has_profile(c, "DEFAULT"));
	assert_string_equal(awsconfig_get(c, "default", "output"), "json");
	assert_string_equal(awsconfig_get(c, "default", "region"), "r1"); /* the section's own value first */
	assert_string_equal(awsconfig_get(c, "a", "region"), "r0");
	assert_string_equal(awsconfig_get(c, "a", "k"), "v"); /* the credentials file's DEFAULT, for its sections */
	assert_null(awsconfig_get(c, "default", "k"));        /* ... and only those */
	awsconfig_free(c);
}

/* --- profiles ------------------------------------------------------------------------------------------------ */

static void test_profile_names(void **state)
{
	struct awsconfig *c;

	(void)state;
	c = load_ok("[default]\nregion = d\n"
	            "[profile a]\nregion = a\n"
	            "[profile 'b c']\nregion = bc\n"
	            "[profile \"d\\\"e\"]\nregion = de\n"
	            "[profilex q]\nregion = quirk\n" /* botocore: startswith("profile") and two words */
	            "[profile]\nregion = no\n"
	            "[profile e f]\nregion = no\n"
	            "[profile \"open]\nregion = no\n"
	            "[a]\nregion = not a profile\n"
	            "[sso-session s]\nregion = no\n"
	            "[services s]\nsts =\n  endpoint_url = http://svc\n"
	            "[profile default]\nregion = later default\n",
	            "[a]\nb = from creds\n[profile z]\nk = v\n[only]\nk = w\n");
	assert_string_equal(awsconfig_get(c, "a", "region"), "a");
	assert_string_equal(awsconfig_get(c, "b c", "region"), "bc");
	assert_string_equal(awsconfig_get(c, "d\"e", "region"), "de");
	assert_string_equal(awsconfig_get(c, "q", "region"), "quirk");
	assert_false(awsconfig_has_profile(c, "profile"));
	assert_false(awsconfig_has_profile(c, "e f"));
	assert_false(awsconfig_has_profile(c, "s"));
	assert_string_equal(awsconfig_get(c, "default", "region"), "later default"); /* the later section wins */
	/* The credentials file: [NAME] is the profile, "profile z" included. */
	assert_string_equal(awsconfig_get(c, "profile z", "k"), "v");
	assert_false(awsconfig_has_profile(c, "z"));
	assert_string_equal(awsconfig_get(c, "a", "b"), "from creds");
	/* Order: the config file's profiles, then the credentials file's others. */
	assert_int_equal(awsconfig_profile_count(c), 7);
	assert_string_equal(awsconfig_profile_at(c, 0), "default");
	assert_string_equal(awsconfig_profile_at(c, 1), "a");
	assert_string_equal(awsconfig_profile_at(c, 2), "b c");
	assert_string_equal(awsconfig_profile_at(c, 3), "d\"e");
	assert_string_equal(awsconfig_profile_at(c, 4), "q");
	assert_string_equal(awsconfig_profile_at(c, 5), "profile z");
	assert_string_equal(awsconfig_profile_at(c, 6), "only");
	assert_null(awsconfig_profile_at(c, 7));
	awsconfig_free(c);
}

static void test_credentials_file_wins(void **state)
{
	struct awsconfig *c;
	struct awsconfig_chain ch;
	struct awsconfig_err err;

	(void)state;
	c = load_ok("[profile p]\nregion = cfg-region\noutput = text\n"
	            "aws_access_key_id = CFGKEY\naws_secret_access_key = CFGSECRET\naws_session_token = CFGTOKEN\n",
	            "[p]\nregion = cred-region\naws_access_key_id = CREDKEY\naws_secret_access_key = CREDSECRET\n");
	assert_string_equal(awsconfig_get(c, "p", "region"), "cred-region");
	assert_string_equal(awsconfig_get(c, "p", "output"), "text");
	/* The keys come whole from the credentials file: the config's session token is not mixed in. */
	assert_int_equal(awsconfig_resolve(c, "p", &ch, &err), C_OK);
	assert_int_equal(ch.n, 1);
	assert_int_equal(ch.links[0].kind, AWSCONFIG_LINK_STATIC);
	assert_string_equal(ch.links[0].access_key_id, "CREDKEY");
	assert_string_equal(ch.links[0].secret_access_key, "CREDSECRET");
	assert_null(ch.links[0].session_token);
	assert_string_equal(ch.links[0].keys_path, cred_path);
	awsconfig_chain_free(&ch);
	awsconfig_free(c);

	/* aws_security_token goes before aws_session_token. */
	c = load_ok(NULL, "[p]\naws_access_key_id = K\naws_secret_access_key = S\naws_session_token = T2\n"
	                  "aws_security_token = T1\n");
	assert_int_equal(awsconfig_resolve(c, "p", &ch, &err), C_OK);
	assert_string_equal(ch.links[0].session_token, "T1");
	awsconfig_chain_free(&ch);
	awsconfig_free(c);
}

static void test_profile_choice_and_region(void **state)
{
	struct awsconfig *c;
	struct awsconfig_chain ch;
	struct awsconfig_err err;
	bool chosen;

	(void)state;
	assert_string_equal(awsconfig_profile_name(NULL, &chosen), "default");
	assert_false(chosen);
	setenv("AWS_PROFILE", "fromprofile", 1);
	assert_string_equal(awsconfig_profile_name(NULL, &chosen), "fromprofile");
	assert_true(chosen);
	setenv("AWS_DEFAULT_PROFILE", "fromdefault", 1); /* botocore: AWS_DEFAULT_PROFILE first */
	assert_string_equal(awsconfig_profile_name(NULL, NULL), "fromdefault");
	assert_string_equal(awsconfig_profile_name("explicit", &chosen), "explicit");
	assert_true(chosen);

	c = load_ok("[profile fromdefault]\nregion = r-fd\n[default]\nregion = r-d\n", NULL);
	assert_string_equal(awsconfig_get(c, NULL, "region"), "r-fd");
	assert_string_equal(awsconfig_region(c, NULL), "r-fd");
	setenv("AWS_DEFAULT_REGION", "env-default-region", 1);
	assert_string_equal(awsconfig_region(c, NULL), "env-default-region");
	setenv("AWS_REGION", "env-region", 1);
	assert_string_equal(awsconfig_region(c, "default"), "env-region");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	assert_string_equal(awsconfig_region(c, "default"), "r-d");

	/* A chosen profile must exist; the implicit default need not (but then there are no credentials). */
	unsetenv("AWS_DEFAULT_PROFILE");
	assert_int_equal(awsconfig_resolve(c, NULL, &ch, &err), C_ERR);
	assert_string_equal(err.msg, "The config profile (fromprofile) could not be found");
	unsetenv("AWS_PROFILE");
	assert_int_equal(awsconfig_resolve(c, "nope", &ch, &err), C_ERR);
	assert_string_equal(err.msg, "The config profile (nope) could not be found");
	awsconfig_free(c);
	c = load_ok("[profile x]\n", NULL);
	assert_int_equal(awsconfig_resolve(c, NULL, &ch, &err), C_ERR);
	assert_non_null(strstr(err.msg, "Unable to locate credentials"));
	assert_null(awsconfig_region(c, NULL));
	awsconfig_free(c);
}

static void test_endpoint_url(void **state)
{
	struct awsconfig *c;
	struct awsconfig_err err;
	const char *url;

	(void)state;
	c = load_ok("[default]\nendpoint_url = http://global\n"
	            "[profile svc]\nservices = local\nendpoint_url = http://global\n"
	            "[profile nosvc]\nservices = missing\n"
	            "[services local]\nsts =\n  endpoint_url = http://sts-local\n",
	            NULL);
	assert_int_equal(awsconfig_endpoint_url(c, "default", "sts", &url, &err), C_OK);
	assert_string_equal(url, "http://global");
	assert_int_equal(awsconfig_endpoint_url(c, "svc", "sts", &url, &err), C_OK);
	assert_string_equal(url, "http://sts-local");
	assert_int_equal(awsconfig_endpoint_url(c, "svc", "iam", &url, &err), C_OK);
	assert_string_equal(url, "http://global");
	assert_int_equal(awsconfig_endpoint_url(c, "nosvc", "sts", &url, &err), C_ERR);
	assert_non_null(strstr(err.msg, "\"missing\" services configuration does not exist"));
	setenv("AWS_ENDPOINT_URL", "http://env-global", 1);
	assert_int_equal(awsconfig_endpoint_url(c, "svc", "sts", &url, &err), C_OK);
	assert_string_equal(url, "http://env-global");
	setenv("AWS_ENDPOINT_URL_STS", "http://env-sts", 1);
	assert_int_equal(awsconfig_endpoint_url(c, "svc", "sts", &url, &err), C_OK);
	assert_string_equal(url, "http://env-sts");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
	assert_int_equal(awsconfig_endpoint_url(c, "svc", "sts", &url, &err), C_OK);
	assert_null(url);
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL_STS");
	unsetenv("AWS_ENDPOINT_URL");
	awsconfig_free(c);
}

static void test_paths(void **state)
{
	struct awsconfig *c = NULL;
	struct awsconfig_err err;
	char withvar[160];
	bool found;

	(void)state;
	write_file(cfg_path, "[default]\nregion = via-var\n", 27);
	setenv("RG_TEST_DIR", tmpdir, 1);
	/* expandvars: $NAME and ${NAME}; an unset one stays as written (and so the file is not found). */
	assert_int_equal(awsconfig_load_files("${RG_TEST_DIR}/config", "$RG_TEST_UNSET/credentials", &c, &err), C_OK);
	assert_string_equal(awsconfig_get(c, "default", "region"), "via-var");
	assert_string_equal(awsconfig_path(c, 0, &found), cfg_path);
	assert_true(found);
	assert_string_equal(awsconfig_path(c, 1, &found), "$RG_TEST_UNSET/credentials");
	assert_false(found);
	awsconfig_free(c);
	/* expanduser: ~ is $HOME. */
	setenv("HOME", tmpdir, 1);
	assert_int_equal(awsconfig_load_files("~/config", NULL, &c, &err), C_OK);
	assert_string_equal(awsconfig_path(c, 0, NULL), cfg_path);
	assert_string_equal(awsconfig_get(c, "default", "region"), "via-var");
	awsconfig_free(c);
	/* AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE; a directory or "" is no file, not an error. */
	snprintf(withvar, sizeof(withvar), "%s", tmpdir);
	setenv("AWS_CONFIG_FILE", withvar, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "", 1);
	assert_int_equal(awsconfig_load(&c, &err), C_OK);
	assert_int_equal(awsconfig_profile_count(c), 0);
	awsconfig_free(c);
	setenv("AWS_CONFIG_FILE", "$RG_TEST_DIR/config", 1);
	assert_int_equal(awsconfig_load(&c, &err), C_OK);
	assert_string_equal(awsconfig_get(c, "default", "region"), "via-var");
	awsconfig_free(c);
	unsetenv("AWS_CONFIG_FILE");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
}

/* --- malformed input ----------------------------------------------------------------------------------------- */

static void test_malformed(void **state)
{
	(void)state;
	load_fails("region = x\n[default]\n", NULL, cfg_path, 1, "no section header");
	load_fails("# only a comment\n\n  key = x\n", NULL, cfg_path, 3, "no section header");
	load_fails("\xef\xbb\xbf[default]\n", NULL, cfg_path, 1, "no section header"); /* a BOM is not skipped */
	load_fails("[default]\nregion = x\ngarbage\n", NULL, cfg_path, 3, "expected \"key = value\"");
	load_fails("[default]\n= value\n", NULL, cfg_path, 2, "expected \"key = value\"");
	load_fails("[default]\nx = 1\n[profile a]\n[default]\n", NULL, cfg_path, 4,
	           "section [default] already exists (line 1)");
	load_fails("[default]\nRegion = 1\nregion = 2\n", NULL, cfg_path, 3,
	           "option \"region\" in section [default] already exists (line 2)");
	load_fails("[DEFAULT]\nx = 1\n[DEFAULT]\nx = 2\n", NULL, cfg_path, 4, "in section [DEFAULT] already exists");
	load_fails("[default]\ns3 =\n  ok = 1\n  not a pair\n", NULL, cfg_path, 4, "nested block of \"s3\"");
	load_fails("[default]\nregion = \xff\n", NULL, cfg_path, 2, "not valid UTF-8");
	/* A parse error after an earlier malformed line: the duplicate is reported (configparser raises it at once). */
	load_fails("[default]\nbad line\nx = 1\nx = 2\n", NULL, cfg_path, 4, "already exists");
	/* The credentials file is checked the same way and named. */
	load_fails("[default]\n", "[p]\naws_access_key_id = AKIA\nthe secret on its own line\n", cred_path, 3,
	           "expected \"key = value\"");
}

static void test_malformed_not_echoed(void **state)
{
	struct awsconfig_err err;

	(void)state;
	assert_null(load(NULL, "[p]\naws_secret_access_key\nwJalrXUtnFEMIEXAMPLEKEY\n", &err));
	assert_int_equal(err.line, 2);
	assert_null(strstr(err.msg, "wJalr"));
}

/* What botocore accepts without complaint, this accepts too (no false errors). */
static void test_not_errors(void **state)
{
	struct awsconfig *c;

	(void)state;
	/* A bad nested block only in [DEFAULT], shadowed in every section, is never parsed by botocore. */
	c = load_ok("[DEFAULT]\ns3 =\n  not a pair\n[default]\ns3 = 1\n", NULL);
	assert_string_equal(awsconfig_get(c, "default", "s3"), "1");
	awsconfig_free(c);
	c = load_ok("[DEFAULT]\ns3 =\n  not a pair\n", NULL);
	assert_int_equal(awsconfig_profile_count(c), 0);
	awsconfig_free(c);
	/* ... but inherited by a section that lacks the key, it is an error. */
	load_fails("[DEFAULT]\ns3 =\n  not a pair\n[default]\nregion = x\n", NULL, cfg_path, 3, "nested block");
	/* Empty files, and missing ones. */
	c = load_ok("", "");
	assert_int_equal(awsconfig_profile_count(c), 0);
	awsconfig_free(c);
	c = load_ok(NULL, NULL);
	assert_int_equal(awsconfig_profile_count(c), 0);
	awsconfig_free(c);
}

static void test_limits(void **state)
{
	struct awsconfig *c = NULL;
	struct awsconfig_err err;
	size_t n = AWSCONFIG_MAX_LINE + 64;
	char *text = malloc(n + 64);

	(void)state;
	assert_non_null(text);
	/* A long session token line is fine (inih, as Debian builds it, would cut it at 200 bytes). */
	strcpy(text, "[p]\naws_session_token = ");
	memset(text + strlen(text), 'T', 2000);
	strcpy(text + 24 + 2000, "\n");
	c = load_ok(NULL, text);
	assert_int_equal(strlen(awsconfig_get(c, "p", "aws_session_token")), 2000);
	awsconfig_free(c);
	/* A line over the cap is an error naming it. */
	strcpy(text, "[p]\nk = ");
	memset(text + 8, 'x', AWSCONFIG_MAX_LINE);
	strcpy(text + 8 + AWSCONFIG_MAX_LINE, "\n");
	load_fails(text, NULL, cfg_path, 2, "line longer than");
	free(text);
	/* A NUL byte. */
	unlink(cred_path);
	write_file(cfg_path, "[default]\nregion = a\0b\n", 23);
	assert_int_equal(awsconfig_load_files(cfg_path, cred_path, &c, &err), C_ERR);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "NUL"));
	/* Too many sections. */
	{
		size_t cap = (size_t)(AWSCONFIG_MAX_SECTIONS + 1) * 16 + 1, len = 0;
		char *many = malloc(cap);

		assert_non_null(many);
		for (int i = 0; i <= AWSCONFIG_MAX_SECTIONS; i++)
			len += (size_t)snprintf(many + len, cap - len, "[s%d]\n", i);
		load_fails(many, NULL, cfg_path, AWSCONFIG_MAX_SECTIONS + 1, "more than");
		free(many);
	}
}

/* --- chains -------------------------------------------------------------------------------------------------- */

static const char chain_config[] =
	"[profile top]\nrole_arn = arn:aws:iam::111111111111:role/top\nsource_profile = mid\n"
	"mfa_serial = arn:aws:iam::000000000000:mfa/anay\nmfa_process = pass otp aws\nexternal_id = ext\n"
	"duration_seconds = 1_800\nrole_session_name = anay\nsource_identity = anay@example.com\n"
	"[profile mid]\nrole_arn = arn:aws:iam::222222222222:role/mid\nsource_profile = base\n"
	"duration_seconds = soon\n"
	"[profile base]\nregion = us-east-1\n"
	"[profile selfok]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = selfok\n"
	"aws_access_key_id = A\naws_secret_access_key = S\n"
	"[profile selfbad]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = selfbad\n"
	"[profile la]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = lb\n"
	"[profile lb]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = lc\n"
	"[profile lc]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = la\n"
	"[profile missing]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = nope\n"
	"[profile both]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = base\ncredential_source = Environment\n"
	"[profile neither]\nrole_arn = arn:aws:iam::1:role/a\n"
	"[profile env]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = Environment\n"
	"[profile lowercase]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = environment\n"
	"[profile ecs]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = EcsContainer\n"
	"[profile proc]\ncredential_process = /usr/bin/get-creds --x\n"
	"[profile viaproc]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = proc\n"
	"[profile staticrole]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = la\n"
	"aws_access_key_id = A2\naws_secret_access_key = S2\n"
	"[profile viastaticrole]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = staticrole\n"
	"[profile partial]\naws_access_key_id = A\n"
	"[profile viapartial]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = partial\n"
	"[profile empty]\nregion = x\n"
	"[profile viaempty]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = empty\n"
	"[profile sso]\nsso_account_id = 1\nsso_role_name = r\n"
	"[profile webid]\nrole_arn = arn:aws:iam::1:role/a\nweb_identity_token_file = /tmp/token\n"
	"[profile webidnorole]\nweb_identity_token_file = /tmp/token\n"
	"[profile viawebid]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = webid\n";

static const char chain_creds[] = "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = SECRETBASE\n"
                                  "[proc]\n"; /* credentials-file only sections are profiles too */

static void resolve_fails(struct awsconfig *c, const char *profile, const char *want)
{
	struct awsconfig_chain ch;
	struct awsconfig_err err;

	assert_int_equal(awsconfig_resolve(c, profile, &ch, &err), C_ERR);
	assert_null(ch.links);
	if (strcmp(err.msg, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", profile, err.msg, want);
}

static void assert_describes(struct awsconfig *c, const char *profile, const char *want)
{
	struct awsconfig_chain ch;
	struct awsconfig_err err;
	struct buf b;

	buf_init(&b, 4096);
	if (awsconfig_resolve(c, profile, &ch, &err) != C_OK)
		fail_msg("%s: %s", profile, err.msg);
	assert_int_equal(awsconfig_chain_describe(&ch, &b), C_OK);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
	awsconfig_chain_free(&ch);
}

static void test_chain_depth(void **state)
{
	struct awsconfig *c = load_ok(chain_config, chain_creds);
	struct awsconfig_chain ch;
	struct awsconfig_err err;
	char want[256];

	(void)state;
	assert_int_equal(awsconfig_resolve(c, "top", &ch, &err), C_OK);
	assert_int_equal(ch.n, 3);
	assert_int_equal(ch.links[0].kind, AWSCONFIG_LINK_ASSUME_ROLE);
	assert_string_equal(ch.links[0].profile, "top");
	assert_string_equal(ch.links[0].role_arn, "arn:aws:iam::111111111111:role/top");
	assert_string_equal(ch.links[0].mfa_serial, "arn:aws:iam::000000000000:mfa/anay");
	assert_string_equal(ch.links[0].mfa_process, "pass otp aws");
	assert_string_equal(ch.links[0].external_id, "ext");
	assert_string_equal(ch.links[0].role_session_name, "anay");
	assert_string_equal(ch.links[0].source_identity, "anay@example.com");
	assert_true(ch.links[0].has_duration);
	assert_int_equal(ch.links[0].duration_seconds, 1800);
	assert_int_equal(ch.links[1].kind, AWSCONFIG_LINK_ASSUME_ROLE);
	assert_string_equal(ch.links[1].profile, "mid");
	assert_false(ch.links[1].has_duration); /* not an integer: ignored, as botocore does */
	assert_null(ch.links[1].mfa_serial);
	assert_int_equal(ch.links[2].kind, AWSCONFIG_LINK_STATIC);
	assert_string_equal(ch.links[2].profile, "base");
	assert_string_equal(ch.links[2].access_key_id, "AKIABASE");
	assert_string_equal(ch.links[2].secret_access_key, "SECRETBASE");
	awsconfig_chain_free(&ch);
	snprintf(want, sizeof(want), "top -> mid -> base (static keys, %s)", cred_path);
	assert_describes(c, "top", want);
	assert_describes(c, "viaproc", "viaproc -> proc (credential_process)");
	assert_describes(c, "proc", "proc (credential_process)");
	assert_describes(c, "env", "env (credentials from the environment)");
	/* A source profile with static keys stops the chain even when it has a role of its own. */
	snprintf(want, sizeof(want), "viastaticrole -> staticrole (static keys, %s)", cfg_path);
	assert_describes(c, "viastaticrole", want);
	/* A profile may source itself when it has static keys. */
	snprintf(want, sizeof(want), "selfok -> selfok (static keys, %s)", cfg_path);
	assert_describes(c, "selfok", want);
	awsconfig_free(c);
}

static void test_chain_errors(void **state)
{
	struct awsconfig *c = load_ok(chain_config, chain_creds);

	(void)state;
	resolve_fails(c, "selfbad", "Infinite loop in credential configuration detected. Attempting to load from "
	                            "profile \"selfbad\" which has already been visited: selfbad -> selfbad");
	resolve_fails(c, "la", "Infinite loop in credential configuration detected. Attempting to load from profile "
	                       "\"la\" which has already been visited: la -> lb -> lc -> la");
	/* The profile asked for assumes its role even with static keys, so its source is followed into the loop. */
	resolve_fails(c, "staticrole", "Infinite loop in credential configuration detected. Attempting to load from "
	                               "profile \"la\" which has already been visited: staticrole -> la -> lb -> lc -> la");
	resolve_fails(c, "missing", "The source_profile \"nope\" referenced in the profile \"missing\" does not exist.");
	resolve_fails(c, "both", "The profile \"both\" contains both source_profile and credential_source.");
	resolve_fails(c, "neither", "Partial credentials found in assume-role, missing: source_profile or "
	                            "credential_source (profile \"neither\")");
	resolve_fails(c, "lowercase", "The credential source \"environment\" referenced in profile \"lowercase\" is not "
	                              "valid.");
	resolve_fails(c, "ecs", "The credential source \"EcsContainer\" referenced in profile \"ecs\" is not supported "
	                        "by rolegate (only Environment is).");
	resolve_fails(c, "viaempty", "The source profile \"empty\" must have credentials.");
	resolve_fails(c, "empty", "Unable to locate credentials for profile \"empty\": it has no role_arn, "
	                          "credential_process or aws_access_key_id");
	{
		struct awsconfig_chain ch;
		struct awsconfig_err err;

		assert_int_equal(awsconfig_resolve(c, "viapartial", &ch, &err), C_ERR);
		assert_non_null(strstr(err.msg, "Partial credentials found in config-file, missing: aws_secret_access_key"));
		assert_int_equal(awsconfig_resolve(c, "sso", &ch, &err), C_ERR);
		assert_non_null(strstr(err.msg, "SSO"));
		/* web identity (AssumeRoleWithWebIdentityProvider): a link of its own, also as a source profile */
		assert_int_equal(awsconfig_resolve(c, "webid", &ch, &err), C_OK);
		assert_int_equal(ch.n, 1);
		assert_int_equal(ch.links[0].kind, AWSCONFIG_LINK_WEB_IDENTITY);
		assert_string_equal(ch.links[0].role_arn, "arn:aws:iam::1:role/a");
		assert_string_equal(ch.links[0].web_identity_token_file, "/tmp/token");
		assert_null(ch.links[0].role_session_name);
		awsconfig_chain_free(&ch);
		assert_int_equal(awsconfig_resolve(c, "viawebid", &ch, &err), C_OK);
		assert_int_equal(ch.n, 2);
		assert_int_equal(ch.links[0].kind, AWSCONFIG_LINK_ASSUME_ROLE);
		assert_int_equal(ch.links[1].kind, AWSCONFIG_LINK_WEB_IDENTITY);
		awsconfig_chain_free(&ch);
		assert_int_equal(awsconfig_resolve(c, "webidnorole", &ch, &err), C_ERR);
		assert_non_null(strstr(err.msg, "has no role ARN configured"));
	}
	awsconfig_free(c);
}

/* The credentials file's keys are used before a credential_process, which goes before the config file's keys. */
static void test_source_order(void **state)
{
	struct awsconfig *c;
	struct awsconfig_chain ch;
	struct awsconfig_err err;

	(void)state;
	c = load_ok("[profile s]\ncredential_process = get-creds\naws_access_key_id = CFG\naws_secret_access_key = X\n",
	            "[s]\naws_access_key_id = CRED\naws_secret_access_key = Y\n");
	assert_int_equal(awsconfig_resolve(c, "s", &ch, &err), C_OK);
	assert_int_equal(ch.links[0].kind, AWSCONFIG_LINK_STATIC);
	assert_string_equal(ch.links[0].access_key_id, "CRED");
	awsconfig_chain_free(&ch);
	awsconfig_free(c);
	c = load_ok("[profile s]\ncredential_process = get-creds\naws_access_key_id = CFG\naws_secret_access_key = X\n",
	            NULL);
	assert_int_equal(awsconfig_resolve(c, "s", &ch, &err), C_OK);
	assert_int_equal(ch.links[0].kind, AWSCONFIG_LINK_PROCESS);
	assert_string_equal(ch.links[0].credential_process, "get-creds");
	awsconfig_chain_free(&ch);
	/* role_arn in the credentials file counts too (full_config merges it). */
	awsconfig_free(c);
	c = load_ok("[profile base]\naws_access_key_id = K\naws_secret_access_key = S\n",
	            "[r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n");
	{
		char want[256];

		snprintf(want, sizeof(want), "r -> base (static keys, %s)", cfg_path);
		assert_describes(c, "r", want);
	}
	awsconfig_free(c);
}

/* A long chain of distinct profiles resolves in full; a long loop is still caught. */
static void test_long_chain(void **state)
{
	size_t cap = 200 * 96, len = 0;
	char *text = malloc(cap);
	struct awsconfig *c;
	struct awsconfig_chain ch;
	struct awsconfig_err err;

	(void)state;
	assert_non_null(text);
	for (int i = 0; i < 199; i++)
		len += (size_t)snprintf(text + len, cap - len,
		                        "[profile p%d]\nrole_arn = arn:aws:iam::1:role/r%d\nsource_profile = p%d\n", i, i, i + 1);
	snprintf(text + len, cap - len, "[profile p199]\ncredential_process = x\n");
	c = load_ok(text, NULL);
	assert_int_equal(awsconfig_resolve(c, "p0", &ch, &err), C_OK);
	assert_int_equal(ch.n, 200);
	assert_int_equal(ch.links[199].kind, AWSCONFIG_LINK_PROCESS);
	awsconfig_chain_free(&ch);
	awsconfig_free(c);
	len = 0;
	for (int i = 0; i < 200; i++)
		len += (size_t)snprintf(text + len, cap - len,
		                        "[profile p%d]\nrole_arn = arn:aws:iam::1:role/r%d\nsource_profile = p%d\n", i, i,
		                        (i + 1) % 200);
	c = load_ok(text, NULL);
	assert_int_equal(awsconfig_resolve(c, "p5", &ch, &err), C_ERR);
	assert_non_null(strstr(err.msg, ": p5 -> p6 -> p7 -> ... -> p2 -> p3 -> p4 -> p5"));
	awsconfig_free(c);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_continuations_and_nested),
		cmocka_unit_test(test_line_ends_and_headers),
		cmocka_unit_test(test_default_section),
		cmocka_unit_test(test_profile_names),
		cmocka_unit_test(test_credentials_file_wins),
		cmocka_unit_test(test_profile_choice_and_region),
		cmocka_unit_test(test_endpoint_url),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_not_echoed),
		cmocka_unit_test(test_not_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_chain_depth),
		cmocka_unit_test(test_chain_errors),
		cmocka_unit_test(test_source_order),
		cmocka_unit_test(test_long_chain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
