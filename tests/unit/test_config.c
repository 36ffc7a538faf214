/*
 * test_config.c - tests src/server/config.c: `rolegate server --config FILE` (a good file, repeatable keys, flags
 * overriding the file wherever they stand, a repeatable flag replacing the file's list; unknown keys, bad numbers,
 * bad sections, duplicate keys and syntax errors refused at FILE:LINE; a world-writable or non-regular file refused)
 * and --print-config (the output read back gives the same output).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http/forwarded.h"
#include "iam/quotas.h"
#include "server/throttle.h"
#include "server/config.h"
#include "testutil.h"
#include "util/common.h"

static char dir[64];
static char out_text[8192], err_text[2048];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rg-config-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	remove_dir(dir);
	return 0;
}

/* Writes text to DIR/name with mode and returns its path (static storage: one at a time). */
static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* Runs config_load on the NULL-terminated arguments; what it prints lands in out_text and err_text. */
static int load(struct server_config *cfg, ...)
{
	char *argv[32];
	int argc = 0, rc;
	va_list ap;
	FILE *out = tmpfile(), *err = tmpfile();
	size_t n;

	va_start(ap, cfg);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	assert_non_null(out);
	assert_non_null(err);
	rc = config_load(cfg, argc, argv, out, err);
	rewind(out);
	rewind(err);
	n = fread(out_text, 1, sizeof(out_text) - 1, out);
	out_text[n] = '\0';
	n = fread(err_text, 1, sizeof(err_text) - 1, err);
	err_text[n] = '\0';
	fclose(out);
	fclose(err);
	return rc;
}

static const char good[] = "# a comment\n"
                           "; another\n"
                           "[server]\n"
                           "listen = 0.0.0.0:9000\n"
                           "  data = /var/lib/rolegate\n"
                           "threads = 4\n"
                           "insecure-http = true\n"
                           "log-format = json ; inline comment\n"
                           "quota = users=6000\n"
                           "quota = roles=2000\n"
                           "trusted-proxy = 10.0.0.2\n"
                           "trusted-proxy = 2001:db8::/32\n"
                           "rate-principal = 20:40\n";

static void test_good_file(void **state)
{
	struct server_config cfg;
	const char *path = write_file("good.ini", good, 0600);

	(void)state;
	assert_int_equal(load(&cfg, "--config", path, NULL), C_OK);
	assert_string_equal(cfg.listen, "0.0.0.0:9000");
	assert_string_equal(cfg.data_dir, "/var/lib/rolegate");
	assert_int_equal(cfg.threads, 4);
	assert_true(cfg.insecure_http);
	assert_string_equal(cfg.log_format, "json");
	assert_string_equal(cfg.log_level, "info"); /* the default */
	assert_int_equal(cfg.max_body, 1048576);
	assert_int_equal(iam_quota_limit(&cfg.quotas, IAM_QUOTA_USERS), 6000);
	assert_int_equal(iam_quota_limit(&cfg.quotas, IAM_QUOTA_ROLES), 2000);
	assert_int_equal(cfg.trusted_proxies.n, 2);
	assert_true(fwd_trusted(&cfg.trusted_proxies, "10.0.0.2"));
	assert_true(fwd_trusted(&cfg.trusted_proxies, "2001:db8::7"));
	assert_false(fwd_trusted(&cfg.trusted_proxies, "10.0.0.3"));
	assert_true(cfg.rate_principal.rps == 20.0 && cfg.rate_principal.burst == 40);
	assert_true(cfg.rate_account.rps == 0.0); /* the default: no limit */
	assert_null(cfg.tls_cert_file);
	config_free(&cfg);

	/* Keys at the top, without [server], and a flag set false. */
	path = write_file("top.ini", "threads = 3\ninsecure-http = false\n", 0644);
	assert_int_equal(load(&cfg, "--config=", NULL), C_ERR); /* an empty path is no file */
	config_free(&cfg);
	assert_int_equal(load(&cfg, "--config", path, NULL), C_OK);
	assert_int_equal(cfg.threads, 3);
	assert_false(cfg.insecure_http);
	config_free(&cfg);
}

static void test_flags_override(void **state)
{
	struct server_config cfg;
	const char *path = write_file("good.ini", good, 0600);

	(void)state;
	/* A flag before --config wins as much as one after it; a repeatable flag replaces the file's whole list. */
	assert_int_equal(load(&cfg, "--threads", "2", "--config", path, "--quota", "groups=400", "--listen",
	                      "127.0.0.1:0", NULL),
	                 C_OK);
	assert_int_equal(cfg.threads, 2);
	assert_string_equal(cfg.listen, "127.0.0.1:0");
	assert_int_equal(iam_quota_limit(&cfg.quotas, IAM_QUOTA_GROUPS), 400);
	assert_int_equal(iam_quota_limit(&cfg.quotas, IAM_QUOTA_USERS), 5000); /* the file's users=6000 is replaced */
	assert_int_equal(iam_quota_limit(&cfg.quotas, IAM_QUOTA_ROLES), 1000);
	assert_string_equal(cfg.data_dir, "/var/lib/rolegate"); /* not overridden: the file's */
	assert_int_equal(cfg.trusted_proxies.n, 2);              /* no --trusted-proxy flag: the file's list */
	config_free(&cfg);

	/* --trusted-proxy as a flag replaces the file's two networks; --rate-principal replaces its rate. */
	assert_int_equal(load(&cfg, "--config", path, "--trusted-proxy", "192.0.2.9", "--rate-principal", "5", NULL),
	                 C_OK);
	assert_int_equal(cfg.trusted_proxies.n, 1);
	assert_true(fwd_trusted(&cfg.trusted_proxies, "192.0.2.9"));
	assert_false(fwd_trusted(&cfg.trusted_proxies, "10.0.0.2"));
	assert_true(cfg.rate_principal.rps == 5.0);
	config_free(&cfg);
}

/* The file's text, the error a user sees (a substring). */
static const struct {
	const char *text;
	const char *error;
} bad[] = {
	{"listen = 127.0.0.1:1\nthreads = many\n", "bad.ini:2: threads: 'many' is not a valid number"},
	{"# one\n\n[server]\nlisen = 1.2.3.4:5\n", "bad.ini:4: unknown key 'lisen'"},
	{"max-body = -5\n", "bad.ini:1: max-body: '-5' is not a valid number"},
	{"listen = a:1\nthreads = 2\nlisten = b:2\n", "bad.ini:3: listen: set twice (first on line 1)"},
	{"threads = 2\nnot a pair\nthreads = x\n", "bad.ini:2: not a `name = value` line"},
	{"[client]\nlisten = a:1\n", "bad.ini:2: section [client] is not known"},
	{"config = other.ini\n", "bad.ini:1: config: only a command-line flag"},
	{"insecure-http = yes\n", "bad.ini:1: insecure-http: 'yes' is not true or false"},
	{"log-level = loud\n", "bad.ini:1: log-level: 'loud' is not one of debug|info|warn|error"},
	{"quota = users=10\n", "bad.ini:1: quota: quota users: 10 is below AWS's default"},
	{"account-id =\n", "bad.ini:1: account-id: needs a value"},
	{"threads = 2\ntrusted-proxy = 10.0.0.5/8\n", "bad.ini:2: trusted-proxy: "},
	{"rate-account = fast\n", "bad.ini:1: rate-account: "},
	{"rate-account = 1\nrate-account = 2\n", "bad.ini:2: rate-account: set twice (first on line 1)"},
	{"threads = 2\ndata = /srv/a\rb\n", "bad.ini:2: data: the value holds a control character"},
	{"lis\x1bten = x\n", "bad.ini:1: unknown key '...'"},
	{"\n\ndata = /xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	 "bad.ini:3: line longer than"},
};

static void test_bad_files(void **state)
{
	struct server_config cfg;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		const char *path = write_file("bad.ini", bad[i].text, 0600);
		/* A flag overriding the bad key does not hide the file's mistake. */
		assert_int_equal(load(&cfg, "--config", path, "--threads", "1", NULL), C_ERR);
		config_free(&cfg);
		if (!strstr(err_text, bad[i].error))
			fail_msg("file %zu: expected \"%s\" in \"%s\"", i, bad[i].error, err_text);
	}
}

static void test_refused_files(void **state)
{
	struct server_config cfg;
	const char *path;

	(void)state;
	path = write_file("open.ini", "threads = 2\n", 0666);
	assert_int_equal(load(&cfg, "--config", path, NULL), C_ERR);
	assert_non_null(strstr(err_text, "writable by every user"));
	config_free(&cfg);
	assert_int_equal(load(&cfg, "--config", dir, NULL), C_ERR);
	assert_non_null(strstr(err_text, "is not a regular file"));
	config_free(&cfg);
	assert_int_equal(load(&cfg, "--config", "/nonexistent/rolegate.ini", NULL), C_ERR);
	assert_non_null(strstr(err_text, "cannot read config file /nonexistent/rolegate.ini"));
	config_free(&cfg);
	path = write_file("ok.ini", "threads = 2\n", 0600);
	assert_int_equal(load(&cfg, "--config", path, "--config", path, NULL), C_ERR);
	assert_non_null(strstr(err_text, "--config is given twice"));
	config_free(&cfg);
}

static void test_print_config_round_trip(void **state)
{
	struct server_config cfg;
	char first[8192];
	const char *path = write_file("good.ini", good, 0600);

	(void)state;
	assert_int_equal(load(&cfg, "--config", path, "--print-config", "--quota", "groups=400", "--threads", "6", NULL),
	                 1);
	config_free(&cfg);
	assert_non_null(strstr(out_text, "\nthreads = 6\n"));
	assert_non_null(strstr(out_text, "\nquota = groups=400\n"));
	assert_null(strstr(out_text, "users=6000"));
	assert_non_null(strstr(out_text, "\ninsecure-http = true\n"));
	assert_non_null(strstr(out_text, "\n# tls-cert = FILE\n"));
	snprintf(first, sizeof(first), "%s", out_text);
	path = write_file("printed.ini", first, 0600);
	assert_int_equal(load(&cfg, "--config", path, "--print-config", NULL), 1);
	config_free(&cfg);
	assert_string_equal(out_text, first);

	/* A value the file format cannot hold is refused, and nothing half-printed. */
	assert_int_equal(load(&cfg, "--print-config", "--data", "/srv/a ;b", NULL), C_ERR);
	config_free(&cfg);
	assert_string_equal(out_text, "");
	assert_non_null(strstr(err_text, "the value of data cannot be written"));
	assert_int_equal(load(&cfg, "--print-config", "--account-id", ";123", NULL), C_ERR);
	config_free(&cfg);
	assert_non_null(strstr(err_text, "the value of account-id cannot be written"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags_override, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_config_round_trip, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
