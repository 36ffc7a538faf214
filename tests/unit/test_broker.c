/*
 * test_broker.c - the client verbs' credential broker and command lines, where no STS call is needed: static keys,
 * credential_source = Environment, credential_process (good, failing, malformed, expired, recursive), command-line
 * splitting (awsconfig_shlex_split), loops, renewal windows, the variables handed to a program, and option parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/awsconfig.h"
#include "cli/broker.h"
#include "cli/cliopts.h"
#include "util/common.h"
#include "util/crypto.h"

static char dir[] = "/tmp/rolegate-test-broker-XXXXXX";
static char config_path[128], creds_path[128];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(config_path, sizeof(config_path), "%s/config", dir);
	snprintf(creds_path, sizeof(creds_path), "%s/credentials", dir);
	setenv("AWS_CONFIG_FILE", config_path, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds_path, 1);
	setenv("HOME", dir, 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_DEFAULT_PROFILE");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("ROLEGATE_BROKER_DEPTH");
	return crypto_init();
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* credential_process lines are split by the same shlex as profile headers (awsconfig_shlex_split) */
static void test_split_command(void **state)
{
	char **argv, *store;

	(void)state;
#define SPLIT(cmd) awsconfig_shlex_split((cmd), strlen(cmd), &argv, &store)
	assert_int_equal(SPLIT("  aws-vault  export --format=json  dev "), 4);
	assert_string_equal(argv[0], "aws-vault");
	assert_string_equal(argv[1], "export");
	assert_string_equal(argv[2], "--format=json");
	assert_string_equal(argv[3], "dev");
	assert_null(argv[4]);
	free(argv);
	free(store);
	assert_int_equal(SPLIT("sh -c 'echo \"a b\"' \"x\\\"y\" a\\ b '' \"c\\$d\""), 7);
	assert_string_equal(argv[0], "sh");
	assert_string_equal(argv[2], "echo \"a b\"");
	assert_string_equal(argv[3], "x\"y");
	assert_string_equal(argv[4], "a b");
	assert_string_equal(argv[5], "");
	assert_string_equal(argv[6], "c\\$d"); /* shlex, unlike sh, keeps a backslash before $ inside "..." */
	assert_null(argv[7]);
	free(argv);
	free(store);
	assert_int_equal(SPLIT("echo 'open"), -1);
	assert_int_equal(SPLIT("echo \"open"), -1);
	assert_int_equal(SPLIT("echo \\"), -1);
	assert_int_equal(SPLIT("   "), 0);
	free(argv);
	free(store);
	assert_int_equal(SPLIT(""), 0);
	free(argv);
	free(store);
#undef SPLIT
}

static void test_refresh_window(void **state)
{
	(void)state;
	assert_int_equal(broker_refresh_window(3600), 900);
	assert_int_equal(broker_refresh_window(43200), 900);
	assert_int_equal(broker_refresh_window(900), 300);
	assert_int_equal(broker_refresh_window(0), 0);
}

static int get(const char *profile, struct broker_result *r, char err[BROKER_ERR_MAX])
{
	struct broker_opts o = {0};

	return broker_credentials(profile, &o, r, err);
}

static void test_static_keys(void **state)
{
	struct broker_result r;
	char err[BROKER_ERR_MAX];

	(void)state;
	write_file(creds_path, "[ops]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s3cr3t\n");
	write_file(config_path, "[profile ops]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:1\n");
	assert_int_equal(get("ops", &r, err), C_OK);
	assert_string_equal(r.creds.access_key_id, "AKIAEXAMPLEEXAMPLE01");
	assert_string_equal(r.creds.secret_access_key, "s3cr3t");
	assert_false(r.temporary);
	assert_int_equal(r.creds.expiration_s, 0);
	assert_string_equal(r.region, "eu-west-1");
	assert_string_equal(r.endpoint_url, "http://127.0.0.1:1");
	assert_string_equal(r.source, "static keys");
	broker_result_clear(&r);
	assert_int_equal(get("nope", &r, err), C_ERR);
	assert_non_null(strstr(err, "nope"));
}

static void test_loop_reported(void **state)
{
	struct broker_result r;
	char err[BROKER_ERR_MAX];

	(void)state;
	write_file(creds_path, "");
	write_file(config_path, "[profile loop-a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = loop-b\n"
	                        "[profile loop-b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = loop-a\n");
	assert_int_equal(get("loop-a", &r, err), C_ERR);
	assert_non_null(strstr(err, "loop-a -> loop-b -> loop-a"));
}

static void test_credential_process(void **state)
{
	struct broker_result r;
	char err[BROKER_ERR_MAX];

	(void)state;
	write_file(creds_path, "");
	write_file(config_path,
	           "[profile good]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", "
	           "\"SecretAccessKey\": \"sec\", \"SessionToken\": \"tok\", \"Expiration\": \"2999-01-01T00:00:00Z\"}'\n"
	           "[profile longterm]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", "
	           "\"SecretAccessKey\": \"sec\"}'\n"
	           "[profile v2]\ncredential_process = printf '{\"Version\": 2, \"AccessKeyId\": \"A\", "
	           "\"SecretAccessKey\": \"s\"}'\n"
	           "[profile failing]\ncredential_process = sh -c 'exit 3'\n"
	           "[profile garbage]\ncredential_process = echo not json\n"
	           "[profile dup]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": \"A\", "
	           "\"AccessKeyId\": \"B\", \"SecretAccessKey\": \"s\"}'\n"
	           "[profile expired]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": \"A\", "
	           "\"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", \"Expiration\": \"2001-01-01T00:00:00Z\"}'\n"
	           "[profile missing]\ncredential_process = /nonexistent/credential-helper\n"
	           "[profile unclosed]\ncredential_process = printf 'x\n");
	assert_int_equal(get("good", &r, err), C_OK);
	assert_string_equal(r.creds.access_key_id, "ASIAPROC");
	assert_string_equal(r.creds.session_token, "tok");
	assert_true(r.temporary);
	assert_true(r.creds.expiration_s > 30000000000LL);
	assert_string_equal(r.source, "credential_process");
	broker_result_clear(&r);
	assert_int_equal(get("longterm", &r, err), C_OK);
	assert_false(r.temporary);
	assert_int_equal(r.creds.expiration_s, 0);
	broker_result_clear(&r);
	assert_int_equal(get("v2", &r, err), C_ERR);
	assert_non_null(strstr(err, "unsupported Version"));
	assert_int_equal(get("failing", &r, err), C_ERR);
	assert_non_null(strstr(err, "exited with status 3"));
	assert_int_equal(get("garbage", &r, err), C_ERR);
	assert_non_null(strstr(err, "did not print a JSON object"));
	assert_int_equal(get("dup", &r, err), C_ERR);
	assert_int_equal(get("expired", &r, err), C_ERR);
	assert_non_null(strstr(err, "have expired"));
	assert_int_equal(get("missing", &r, err), C_ERR);
	assert_non_null(strstr(err, "exited with status 127"));
	assert_int_equal(get("unclosed", &r, err), C_ERR);
	assert_non_null(strstr(err, "not a command line"));
	/* rolegate run by its own credential_process, over and over: stopped */
	setenv("ROLEGATE_BROKER_DEPTH", "4", 1);
	assert_int_equal(get("good", &r, err), C_ERR);
	assert_non_null(strstr(err, "levels deep"));
	unsetenv("ROLEGATE_BROKER_DEPTH");
}

static void test_env_vars(void **state)
{
	struct broker_result r;
	struct cli_env_var v[CLI_ENV_MAX];
	char exp[ISO8601_LEN];
	size_t n;

	(void)state;
	memset(&r, 0, sizeof(r));
	strcpy(r.creds.access_key_id, "ASIAX");
	strcpy(r.creds.secret_access_key, "s");
	strcpy(r.creds.session_token, "t");
	r.temporary = true;
	r.creds.expiration_s = 1800000000;
	strcpy(r.region, "eu-west-1");
	strcpy(r.endpoint_url, "http://127.0.0.1:8600");
	n = cli_env_vars(&r, "dev", exp, v);
	assert_int_equal(n, 11);
	assert_string_equal(v[2].name, "AWS_SESSION_TOKEN");
	assert_string_equal(v[2].value, "t");
	assert_string_equal(v[4].value, "2027-01-15T08:00:00Z");
	assert_string_equal(v[7].name, "AWS_ENDPOINT_URL");
	assert_string_equal(v[8].name, "AWS_PROFILE");
	assert_null(v[8].value);
	assert_string_equal(v[10].value, "dev");
	/* long-term keys, no region, no endpoint: the token and expiration are unset, region and endpoint untouched */
	r.temporary = false;
	r.creds.expiration_s = 0;
	r.region[0] = r.endpoint_url[0] = '\0';
	n = cli_env_vars(&r, "ops", exp, v);
	assert_int_equal(n, 8);
	assert_null(v[2].value);
	assert_null(v[4].value);
	for (size_t i = 0; i < n; i++)
		assert_true(strcmp(v[i].name, "AWS_REGION") && strcmp(v[i].name, "AWS_ENDPOINT_URL"));
}

static void test_parse(void **state)
{
	struct cli_opts o;
	char *a1[] = {"exec", "--mfa-code", "123456", "dev", "--direct", "--", "aws", "--profile", "x", NULL};
	char *a2[] = {"env", "dev", "--format", "fish", NULL};
	char *a3[] = {"env", "dev", "--format", "yaml", NULL};
	char *a4[] = {"exec", NULL};
	char *a5[] = {"whoami", "--print", "dev", NULL};
	char *a6[] = {"exec", "--duration", "899", "dev", NULL};
	char *a7[] = {"whoami", NULL};
	char *a8[] = {"list", "extra", NULL};
	FILE *saved = stderr;

	(void)state;
	stderr = fopen("/dev/null", "w");
	assert_int_equal(cli_parse("exec", "", CLI_BROKER | CLI_PROFILE | CLI_CMD, 8, a1 + 1, &o), CLI_GO);
	assert_string_equal(o.profile, "dev");
	assert_string_equal(o.b.mfa_code, "123456");
	assert_true(o.b.direct);
	assert_string_equal(o.cmd[0], "aws");
	assert_string_equal(o.cmd[1], "--profile");
	assert_null(o.cmd[3]);
	assert_int_equal(cli_parse("env", "", CLI_BROKER | CLI_PROFILE | CLI_FORMAT, 3, a2 + 1, &o), CLI_GO);
	assert_string_equal(o.format, "fish");
	assert_int_equal(cli_parse("env", "", CLI_BROKER | CLI_PROFILE | CLI_FORMAT, 3, a3 + 1, &o), 2);
	assert_int_equal(cli_parse("exec", "", CLI_BROKER | CLI_PROFILE | CLI_CMD, 0, a4 + 1, &o), 2);
	assert_int_equal(cli_parse("whoami", "", CLI_BROKER | CLI_PROFILE_OPT, 2, a5 + 1, &o), 2);
	assert_int_equal(cli_parse("exec", "", CLI_BROKER | CLI_PROFILE | CLI_CMD, 3, a6 + 1, &o), 2);
	assert_int_equal(cli_parse("whoami", "", CLI_BROKER | CLI_PROFILE_OPT, 0, a7 + 1, &o), CLI_GO);
	assert_null(o.profile);
	assert_int_equal(cli_parse("list", "", 0, 1, a8 + 1, &o), 2);
	fclose(stderr);
	stderr = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_command),  cmocka_unit_test(test_refresh_window),
		cmocka_unit_test(test_static_keys),    cmocka_unit_test(test_loop_reported),
		cmocka_unit_test(test_credential_process), cmocka_unit_test(test_env_vars),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
