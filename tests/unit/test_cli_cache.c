/*
 * test_cli_cache.c - tests src/cli/cache.c with a temporary HOME: botocore's cache key (expected values computed
 * by botocore itself), the AWS CLI cache's round trip, atomic 0600 writes, corrupted/foreign/truncated files
 * ignored, the 15-minute refresh rule, botocore's own file formats both ways (when python3 with botocore is
 * installed), and the sealed MFA cache: round trip, tampering, a file moved to another serial, the keyring and the
 * key-file fallback (ROLEGATE_NO_KEYRING).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cache.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"

#define ROLE "arn:aws:iam::123456789012:role/Dev"
#define SERIAL "arn:aws:iam::111111111111:mfa/anay"

static char home[256];
static int log_fd = -1; /* warnings go to HOME/log, where tests check that no secret was written */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	snprintf(home, sizeof(home), "/tmp/rg-cache-test.XXXXXX");
	if (!mkdtemp(home))
		return -1;
	setenv("HOME", home, 1);
	unsetenv("XDG_CACHE_HOME");
	setenv("ROLEGATE_NO_KEYRING", "1", 1);
	{
		char p[300];
		snprintf(p, sizeof(p), "%s/log", home);
		log_fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (log_fd < 0)
			return -1;
		log_set_fd(log_fd);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("ROLEGATE_NO_KEYRING");
	cache_mfa_clear(); /* also forgets a keyring key a test made */
	log_set_fd(2);
	close(log_fd);
	return nftw(home, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void sample(struct cache_creds *c, int64_t expires_in_s)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->access_key_id, "ASIAEXAMPLEEXAMPLE01");
	strcpy(c->secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
	strcpy(c->session_token, "FwoGZXIvYXdzEXAMPLETOKEN+/=");
	strcpy(c->arn, "arn:aws:sts::123456789012:assumed-role/Dev/anay");
	strcpy(c->assumed_role_id, "AROAEXAMPLEEXAMPLE01:anay");
	c->expiration_s = now_ms() / 1000 + expires_in_s;
}

static void aws_path(const char *key, char *out, size_t cap)
{
	snprintf(out, cap, "%s/.aws/cli/cache/%s.json", home, key);
}

static void put_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = calloc(1, 1 << 20);
	assert_non_null(f);
	assert_non_null(p);
	*len = fread(p, 1, (1 << 20) - 1, f);
	fclose(f);
	return p;
}

/* Asserts that the log mentions what was ignored and holds none of sample()'s secrets. */
static void check_log(void)
{
	char p[300], *text;
	size_t len;

	snprintf(p, sizeof(p), "%s/log", home);
	text = slurp(p, &len);
	assert_non_null(strstr(text, "ignoring"));
	assert_null(strstr(text, "wJalrXUtnFEMI"));
	assert_null(strstr(text, "FwoGZXIvYXdz"));
	free(text);
}

static int mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (int)(st.st_mode & 07777);
}

/* Files in dir whose name starts with a dot (our temporary files): none may be left behind. */
static int dotfiles(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/*
 * Expected keys from botocore 1.43 itself:
 *
 *   from botocore.credentials import AssumeRoleCredentialFetcher
 *   def key(role_arn, **extra):
 *       f = AssumeRoleCredentialFetcher(client_creator=None, source_credentials=None, role_arn=role_arn,
 *                                       extra_args=extra or None)
 *       return f._cache_key
 *   A = 'arn:aws:iam::123456789012:role/Dev'
 *   key(A)                                  # botocore generates botocore-session-<ts> and leaves it out
 *   key(A, RoleSessionName='anay')
 *   key(A, SerialNumber='arn:aws:iam::111111111111:mfa/anay', DurationSeconds=3600)
 *   key(A, ExternalId='ext-42', SerialNumber='arn:aws:iam::111111111111:mfa/anay', DurationSeconds=43200,
 *       RoleSessionName='anay@ops')
 *   key(A, Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",
 *       "Condition":{"NumericLessThan":{"x":1.5,"y":1e16,"z":0.00001,"w":100.0,"v":-0.0,"u":12345678901234567}}}]}')
 *   key(A, RoleSessionName='j\u00fcrgen-\U0001F600"\\\t\x7f/')
 *   key(A, SourceIdentity='anay')
 */
#define POLICY                                                                                                         \
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\","      \
	"\"Condition\":{\"NumericLessThan\":{\"x\":1.5,\"y\":1e16,\"z\":0.00001,\"w\":100.0,\"v\":-0.0,"               \
	"\"u\":12345678901234567}}}]}"

static void test_key_botocore(void **state)
{
	static const struct {
		struct cache_assume_args a;
		const char *want;
	} v[] = {
		{{.role_arn = ROLE}, "2bb38c5db97ed7ea85d819b0a043df7bd7b4363a"},
		{{.role_arn = ROLE, .role_session_name = "anay"}, "76fad638327d4b559ac7a991a485f25921feb7b8"},
		{{.role_arn = ROLE, .serial_number = SERIAL, .has_duration = true, .duration_seconds = 3600},
		 "bb9da8143f6586f71f92043223b5a3b7cd7c06b0"},
		{{.role_arn = ROLE,
		  .external_id = "ext-42",
		  .serial_number = SERIAL,
		  .has_duration = true,
		  .duration_seconds = 43200,
		  .role_session_name = "anay@ops"},
		 "10cf563da6d67434a26822600a9de729eae25cb8"},
		{{.role_arn = ROLE, .policy = POLICY}, "03718db6ba33cef399044549008aeae1923c3ca4"},
		{{.role_arn = ROLE, .role_session_name = "j\xc3\xbcrgen-\xf0\x9f\x98\x80\"\\\t\x7f/"},
		 "857401a078351c6822fd54747a41436c77b8d114"},
		{{.role_arn = ROLE, .source_identity = "anay"}, "ee48960a94b93208ee3e825c1c942f7b1726a6c3"},
	};
	char key[CACHE_KEY_LEN + 1];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		assert_int_equal(cache_aws_key(&v[i].a, key), C_OK);
		assert_string_equal(key, v[i].want);
	}
}

static void test_key_refusals(void **state)
{
	char key[CACHE_KEY_LEN + 1];
	struct cache_assume_args a = {0};

	(void)state;
	assert_int_equal(cache_aws_key(&a, key), C_ERR);
	assert_string_equal(key, "");
	a.role_arn = "";
	assert_int_equal(cache_aws_key(&a, key), C_ERR);
	a.role_arn = ROLE;
	a.external_id = "bad\xff utf-8";
	assert_int_equal(cache_aws_key(&a, key), C_ERR);
	a.external_id = NULL;
	a.policy = "{\"Version\": ";
	assert_int_equal(cache_aws_key(&a, key), C_ERR);
	a.policy = "{\"n\": 123456789012345678901234567890}"; /* Python keeps big ints; we refuse rather than guess */
	assert_int_equal(cache_aws_key(&a, key), C_ERR);
	/* The key changes with each argument. */
	a.policy = NULL;
	assert_int_equal(cache_aws_key(&a, key), C_OK);
	assert_string_equal(key, "2bb38c5db97ed7ea85d819b0a043df7bd7b4363a");
	a.has_duration = true;
	a.duration_seconds = 900;
	assert_int_equal(cache_aws_key(&a, key), C_OK);
	assert_string_not_equal(key, "2bb38c5db97ed7ea85d819b0a043df7bd7b4363a");
}

/* Where the caches live: HOME as expanduser reads it (the password database when unset), XDG_CACHE_HOME. */
static void test_dirs(void **state)
{
	char dir[4096], want[4096];
	struct passwd *pw = getpwuid(getuid());

	(void)state;
	assert_int_equal(cache_aws_dir(dir, sizeof(dir)), C_OK);
	snprintf(want, sizeof(want), "%s/.aws/cli/cache", home);
	assert_string_equal(dir, want);
	assert_int_equal(cache_mfa_dir(dir, sizeof(dir)), C_OK);
	snprintf(want, sizeof(want), "%s/.cache/rolegate", home);
	assert_string_equal(dir, want);
	setenv("XDG_CACHE_HOME", "/var/cache/x", 1);
	assert_int_equal(cache_mfa_dir(dir, sizeof(dir)), C_OK);
	assert_string_equal(dir, "/var/cache/x/rolegate");
	unsetenv("XDG_CACHE_HOME");
	assert_int_equal(cache_aws_dir(dir, 10), C_ERR); /* does not fit */

	unsetenv("HOME");
	assert_non_null(pw);
	assert_int_equal(cache_aws_dir(dir, sizeof(dir)), C_OK);
	snprintf(want, sizeof(want), "%s/.aws/cli/cache", pw->pw_dir);
	assert_string_equal(dir, want);
	setenv("HOME", home, 1);
}

static void test_aws_roundtrip(void **state)
{
	struct cache_creds in, out;
	char path[512], dir[512], *text;
	size_t len;

	(void)state;
	sample(&in, 3600);
	assert_int_equal(cache_aws_write("2bb38c5db97ed7ea85d819b0a043df7bd7b4363a", &in), C_OK);
	aws_path("2bb38c5db97ed7ea85d819b0a043df7bd7b4363a", path, sizeof(path));
	assert_int_equal(mode_of(path), 0600);
	snprintf(dir, sizeof(dir), "%s/.aws/cli/cache", home);
	assert_int_equal(mode_of(dir), 0700);
	assert_int_equal(dotfiles(dir), 0);

	assert_int_equal(cache_aws_read("2bb38c5db97ed7ea85d819b0a043df7bd7b4363a", CACHE_REFRESH_S, &out), C_OK);
	assert_string_equal(out.access_key_id, in.access_key_id);
	assert_string_equal(out.secret_access_key, in.secret_access_key);
	assert_string_equal(out.session_token, in.session_token);
	assert_int_equal(out.expiration_s, in.expiration_s);
	assert_string_equal(out.arn, in.arn);
	assert_string_equal(out.assumed_role_id, in.assumed_role_id);
	assert_string_equal(out.account_id, "123456789012"); /* botocore adds AccountId from the ARN; so do we */

	/* The shape botocore writes: the AssumeRole response with Credentials.Expiration as a string. */
	text = slurp(path, &len);
	assert_non_null(strstr(text, "{\"Credentials\": {\"AccessKeyId\": \"ASIAEXAMPLEEXAMPLE01\""));
	assert_non_null(strstr(text, "\"AssumedRoleUser\": {"));
	assert_non_null(strstr(text, "Z\""));
	free(text);

	/* A second write replaces the first, atomically, still 0600. */
	strcpy(in.access_key_id, "ASIASECONDSECOND0002");
	assert_int_equal(cache_aws_write("2bb38c5db97ed7ea85d819b0a043df7bd7b4363a", &in), C_OK);
	assert_int_equal(cache_aws_read("2bb38c5db97ed7ea85d819b0a043df7bd7b4363a", CACHE_REFRESH_S, &out), C_OK);
	assert_string_equal(out.access_key_id, "ASIASECONDSECOND0002");
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(dotfiles(dir), 0);

	/* Delete, then it is a miss; deleting again is fine; a key that is not a file name is refused. */
	assert_int_equal(cache_aws_delete("2bb38c5db97ed7ea85d819b0a043df7bd7b4363a", NULL), C_OK);
	assert_int_equal(cache_aws_read("2bb38c5db97ed7ea85d819b0a043df7bd7b4363a", 0, &out), C_ERR);
	assert_int_equal(cache_aws_delete("2bb38c5db97ed7ea85d819b0a043df7bd7b4363a", NULL), C_OK);
	assert_int_equal(cache_aws_delete("../../.bashrc", NULL), C_ERR);
	assert_int_equal(cache_aws_write("../x", &in), C_ERR);
	assert_int_equal(cache_aws_read("..", 0, &out), C_ERR);

	/* Credentials that would break an environment variable or a header are not written. */
	strcpy(in.session_token, "two words");
	assert_int_equal(cache_aws_write("k", &in), C_ERR);
	in.session_token[0] = '\0';
	assert_int_equal(cache_aws_write("k", &in), C_ERR);
}

static void test_aws_threshold(void **state)
{
	struct cache_creds in, out;

	(void)state;
	sample(&in, CACHE_REFRESH_S + 60);
	assert_int_equal(cache_aws_write("k1", &in), C_OK);
	assert_int_equal(cache_aws_read("k1", CACHE_REFRESH_S, &out), C_OK);

	sample(&in, CACHE_REFRESH_S - 60); /* 14 minutes left: refresh */
	assert_int_equal(cache_aws_write("k1", &in), C_OK);
	assert_int_equal(cache_aws_read("k1", CACHE_REFRESH_S, &out), C_ERR);
	assert_string_equal(out.access_key_id, ""); /* out is cleared on a miss */
	assert_int_equal(cache_aws_read("k1", 0, &out), C_OK); /* still valid, for `rolegate list` */

	sample(&in, -10); /* expired */
	assert_int_equal(cache_aws_write("k1", &in), C_OK);
	assert_int_equal(cache_aws_read("k1", 0, &out), C_ERR);
}

static void test_aws_ignores_bad_files(void **state)
{
	static const char *bad[] = {
		"",
		"{",
		"null",
		"[]",
		"\"Credentials\"",
		"{\"Credentials\": \"x\"}",
		"{\"Credentials\": {}}",
		/* wrongly typed */
		"{\"Credentials\": {\"AccessKeyId\": 5, \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", "
		"\"Expiration\": \"2099-01-01T00:00:00Z\"}}",
		"{\"Credentials\": {\"AccessKeyId\": \"a\", \"SecretAccessKey\": [\"s\"], \"SessionToken\": \"t\", "
		"\"Expiration\": \"2099-01-01T00:00:00Z\"}}",
		"{\"Credentials\": {\"AccessKeyId\": \"a\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", "
		"\"Expiration\": true}}",
		/* a missing or bad expiration */
		"{\"Credentials\": {\"AccessKeyId\": \"a\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\"}}",
		"{\"Credentials\": {\"AccessKeyId\": \"a\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", "
		"\"Expiration\": \"tomorrow\"}}",
		"{\"Credentials\": {\"AccessKeyId\": \"a\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", "
		"\"Expiration\": \"2099-02-30T00:00:00Z\"}}",
		"{\"Credentials\": {\"AccessKeyId\": \"a\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", "
		"\"Expiration\": \"2099-01-01T00:00:00\"}}",
		/* an empty or header-breaking credential */
		"{\"Credentials\": {\"AccessKeyId\": \"\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", "
		"\"Expiration\": \"2099-01-01T00:00:00Z\"}}",
		"{\"Credentials\": {\"AccessKeyId\": \"a\\r\\nX-Evil: 1\", \"SecretAccessKey\": \"s\", \"SessionToken\": "
		"\"t\", \"Expiration\": \"2099-01-01T00:00:00Z\"}}",
		"{\"Credentials\": {\"AccessKeyId\": \"a\\u0000b\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", "
		"\"Expiration\": \"2099-01-01T00:00:00Z\"}}",
		/* duplicate keys */
		"{\"Credentials\": {\"AccessKeyId\": \"a\", \"AccessKeyId\": \"b\", \"SecretAccessKey\": \"s\", "
		"\"SessionToken\": \"t\", \"Expiration\": \"2099-01-01T00:00:00Z\"}}",
		/* foreign: the SSO token cache that shares ~/.aws; credential_process output */
		"{\"startUrl\": \"https://x.awsapps.com/start\", \"region\": \"us-east-1\", \"accessToken\": \"t\", "
		"\"expiresAt\": \"2099-01-01T00:00:00Z\"}",
		"{\"Version\": 1, \"AccessKeyId\": \"a\", \"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", "
		"\"Expiration\": \"2099-01-01T00:00:00Z\"}",
		"\x89PNG\r\n\x1a\n\x00\x00binary",
	};
	struct cache_creds in, out;
	char path[512], *good;
	size_t len;

	(void)state;
	sample(&in, 3600);
	assert_int_equal(cache_aws_write("bad", &in), C_OK);
	aws_path("bad", path, sizeof(path));
	good = slurp(path, &len);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		put_file(path, bad[i], strlen(bad[i]) + (i == ARRAY_LEN(bad) - 1 ? 6 : 0));
		assert_int_equal(cache_aws_read("bad", 0, &out), C_ERR);
		assert_string_equal(out.access_key_id, "");
	}
	/* Every truncation of a good file. */
	for (size_t n = 0; n < len; n++) {
		put_file(path, good, n);
		assert_int_equal(cache_aws_read("bad", 0, &out), C_ERR);
	}
	/* Too large (a runaway or hostile file is not read into memory). */
	{
		size_t big = 300 * 1024;
		char *p = malloc(big);
		assert_non_null(p);
		memset(p, ' ', big);
		memcpy(p, good, len);
		put_file(path, p, big);
		free(p);
		assert_int_equal(cache_aws_read("bad", 0, &out), C_ERR);
	}
	/* Unreadable, and a directory in its place. */
	put_file(path, good, len);
	chmod(path, 0);
	if (geteuid() != 0)
		assert_int_equal(cache_aws_read("bad", 0, &out), C_ERR);
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(cache_aws_read("bad", 0, &out), C_ERR);
	rmdir(path);
	/* After all that, writing works again and reads back. */
	assert_int_equal(cache_aws_write("bad", &in), C_OK);
	assert_int_equal(cache_aws_read("bad", 0, &out), C_OK);
	free(good);
	check_log();
}

/* The Expiration forms botocore writes or accepts. */
static void test_aws_expiration_forms(void **state)
{
	static const struct {
		const char *exp;
		int64_t want;
	} v[] = {
		{"\"2099-01-01T00:00:00UTC\"", 4070908800},       /* JSONFileCache: strftime('%Y-%m-%dT%H:%M:%S%Z') */
		{"\"2099-01-01T00:00:00+00:00\"", 4070908800},    /* datetime.isoformat() */
		{"\"2099-01-01T01:00:00+01:00\"", 4070908800},
		{"\"2099-01-01T00:00:00.123Z\"", 4070908800},
		{"\"2099-01-01 00:00:00+00:00\"", 4070908800},    /* str(datetime) */
		{"4070908800", 4070908800},                        /* an epoch number */
	};
	char path[512], text[512];
	struct cache_creds in, out;

	(void)state;
	sample(&in, 3600);
	assert_int_equal(cache_aws_write("forms", &in), C_OK);
	aws_path("forms", path, sizeof(path));
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		snprintf(text, sizeof(text),
		         "{\"Credentials\": {\"AccessKeyId\": \"ASIAX\", \"SecretAccessKey\": \"s\", \"SessionToken\": "
		         "\"t\", \"Expiration\": %s}, \"ResponseMetadata\": {\"RequestId\": \"r\", \"HTTPStatusCode\": "
		         "200, \"HTTPHeaders\": {}, \"RetryAttempts\": 0}}",
		         v[i].exp);
		put_file(path, text, strlen(text));
		assert_int_equal(cache_aws_read("forms", CACHE_REFRESH_S, &out), C_OK);
		assert_int_equal(out.expiration_s, v[i].want);
		assert_string_equal(out.access_key_id, "ASIAX");
	}
}

/*
 * Epoch Expirations at the ends of 64 bits (found by fuzz/fuzz_cache_json.c): the time left used to be computed as
 * Expiration - now, which overflows for -2^63 (UBSan aborted). Long past is expired; far future is fine.
 */
static void test_aws_expiration_extremes(void **state)
{
	static const struct {
		const char *exp;
		int want;     /* at least CACHE_REFRESH_S left */
		int want_any; /* at least INT64_MIN seconds left: true unless Expiration - now is below INT64_MIN */
	} v[] = {
		{"-9223372036854775808", C_ERR, C_ERR},
		{"-9223372036854775807", C_ERR, C_ERR},
		{"-1", C_ERR, C_OK},
		{"0", C_ERR, C_OK},
		{"9223372036854775807", C_OK, C_OK},
	};
	char path[512], text[512];
	struct cache_creds in, out;

	(void)state;
	sample(&in, 3600);
	assert_int_equal(cache_aws_write("extremes", &in), C_OK);
	aws_path("extremes", path, sizeof(path));
	for (size_t i = 0; i < ARRAY_LEN(v); i++) {
		snprintf(text, sizeof(text),
		         "{\"Credentials\": {\"AccessKeyId\": \"ASIAX\", \"SecretAccessKey\": \"s\", \"SessionToken\": "
		         "\"t\", \"Expiration\": %s}}",
		         v[i].exp);
		put_file(path, text, strlen(text));
		assert_int_equal(cache_aws_read("extremes", CACHE_REFRESH_S, &out), v[i].want);
		assert_int_equal(cache_aws_read("extremes", INT64_MIN, &out), v[i].want_any);
		if (v[i].want_any == C_OK)
			assert_int_equal(out.expiration_s, strtoll(v[i].exp, NULL, 10));
	}
}

/* ---- botocore itself, both ways -------------------------------------------------------------------------------- */

static bool have_botocore(void)
{
	return system("python3 -c 'import botocore.credentials' >/dev/null 2>&1") == 0;
}

/*
 * botocore's AssumeRoleCredentialFetcher with the AWS CLI's JSONFileCache writes a session (its client is a stub
 * that answers AssumeRole with datetimes, as botocore's parser does); rolegate reads it under its own key. Then
 * rolegate writes one and botocore's fetcher must take it from the cache (its stub client fails the test if
 * called).
 */
#define PY_COMMON                                                                                                      \
	"import datetime, os, sys\n"                                                                                   \
	"from dateutil.tz import tzutc\n"                                                                              \
	"from botocore.credentials import AssumeRoleCredentialFetcher, JSONFileCache\n"                                \
	"cache = JSONFileCache(os.path.expanduser('~/.aws/cli/cache'))\n"                                              \
	"extra = {'SerialNumber': 'arn:aws:iam::111111111111:mfa/anay', 'DurationSeconds': 3600}\n"                   \
	"class Client:\n"                                                                                              \
	"    def assume_role(self, **kw):\n"                                                                           \
	"        if os.environ.get('MUST_HIT'): sys.exit('botocore called AssumeRole: cache miss')\n"                 \
	"        exp = datetime.datetime.now(tzutc()).replace(microsecond=0) + datetime.timedelta(hours=1)\n"         \
	"        return {'Credentials': {'AccessKeyId': 'ASIABOTOCOREWROTE001', 'SecretAccessKey': 'sk/+=',\n"        \
	"                'SessionToken': 'tok/+=', 'Expiration': exp},\n"                                              \
	"                'AssumedRoleUser': {'AssumedRoleId': 'AROAX:s', 'Arn': 'arn:aws:sts::123456789012:assumed-role/Dev/s'},\n" \
	"                'ResponseMetadata': {'RequestId': 'r', 'HTTPStatusCode': 200, 'HTTPHeaders': {}, 'RetryAttempts': 0}}\n" \
	"f = AssumeRoleCredentialFetcher(lambda *a, **k: Client(), None, 'arn:aws:iam::123456789012:role/Dev',\n"     \
	"                                extra_args=extra, cache=cache, mfa_prompter=lambda p: '123456')\n"           \
	"f._create_client = lambda: Client()\n"                                                                        \
	"c = f.fetch_credentials()\n"                                                                                  \
	"print(c['access_key'], c['expiry_time'])\n"

static void test_botocore_interop(void **state)
{
	struct cache_assume_args a = {.role_arn = ROLE, .serial_number = SERIAL, .has_duration = true,
	                              .duration_seconds = 3600};
	char key[CACHE_KEY_LEN + 1], path[512], cmd[4096];
	struct cache_creds in, out;
	int64_t now = now_ms() / 1000;

	(void)state;
	if (!have_botocore())
		skip();
	assert_int_equal(cache_aws_key(&a, key), C_OK);
	aws_path(key, path, sizeof(path));

	/* botocore writes; rolegate reads. */
	snprintf(cmd, sizeof(cmd), "python3 -c \"$PY\" >/dev/null");
	setenv("PY", PY_COMMON, 1);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(access(path, F_OK), 0); /* the same file name */
	assert_int_equal(cache_aws_read(key, CACHE_REFRESH_S, &out), C_OK);
	assert_string_equal(out.access_key_id, "ASIABOTOCOREWROTE001");
	assert_string_equal(out.secret_access_key, "sk/+=");
	assert_string_equal(out.session_token, "tok/+=");
	/* botocore's stub said now + 1 h; python's start-up takes a second or two after our `now` */
	assert_true(out.expiration_s >= now + 3600 && out.expiration_s <= now + 3600 + 60);

	/* rolegate writes; botocore reads it from its cache (MUST_HIT: calling AssumeRole fails). */
	sample(&in, 7200);
	strcpy(in.access_key_id, "ASIAROLEGATEWROTE001");
	assert_int_equal(cache_aws_write(key, &in), C_OK);
	setenv("MUST_HIT", "1", 1);
	snprintf(cmd, sizeof(cmd), "python3 -c \"$PY\" > %s/py.out", home);
	assert_int_equal(system(cmd), 0);
	unsetenv("MUST_HIT");
	{
		size_t len;
		char p[512], *o;
		snprintf(p, sizeof(p), "%s/py.out", home);
		o = slurp(p, &len);
		assert_non_null(strstr(o, "ASIAROLEGATEWROTE001"));
		free(o);
	}

	/* A session rolegate wrote with 14 minutes left is a miss for botocore too (it calls AssumeRole). */
	sample(&in, CACHE_REFRESH_S - 60);
	assert_int_equal(cache_aws_write(key, &in), C_OK);
	setenv("MUST_HIT", "1", 1);
	snprintf(cmd, sizeof(cmd), "python3 -c \"$PY\" >/dev/null 2>&1");
	assert_int_not_equal(system(cmd), 0);
	unsetenv("MUST_HIT");
	unsetenv("PY");
}

/*
 * The AWS CLI itself (`aws`, botocore 1.43) takes a session rolegate cached: with --debug it logs "Credentials
 * for role retrieved from cache." and signs GetCallerIdentity with our key id. With 14 minutes left it calls
 * AssumeRole instead. AWS_ENDPOINT_URL points every client at a closed local port: nothing leaves the machine.
 */
static int run_aws(const char *grep_for)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
	         "env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "
	         "-u AWS_SESSION_TOKEN AWS_CONFIG_FILE=%s/config AWS_SHARED_CREDENTIALS_FILE=%s/none "
	         "AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard "
	         "aws sts get-caller-identity --profile dev --debug --cli-connect-timeout 1 2>&1 | grep -q '%s'",
	         home, home, grep_for);
	return system(cmd);
}

static void test_aws_cli_reads_ours(void **state)
{
	static const char config[] = "[profile base]\n"
	                             "aws_access_key_id = AKIABASEBASEBASE0001\n"
	                             "aws_secret_access_key = x\n"
	                             "region = us-east-1\n"
	                             "[profile dev]\n"
	                             "role_arn = arn:aws:iam::123456789012:role/Dev\n"
	                             "source_profile = base\n"
	                             "duration_seconds = 3600\n"
	                             "external_id = ext-42\n"
	                             "role_session_name = anay\n"
	                             "region = us-east-1\n";
	struct cache_assume_args a = {.role_arn = ROLE, .role_session_name = "anay", .external_id = "ext-42",
	                              .has_duration = true, .duration_seconds = 3600};
	char key[CACHE_KEY_LEN + 1], path[512];
	struct cache_creds in;

	(void)state;
	if (system("aws --version >/dev/null 2>&1") != 0)
		skip();
	snprintf(path, sizeof(path), "%s/config", home);
	put_file(path, config, strlen(config));
	assert_int_equal(cache_aws_key(&a, key), C_OK);

	sample(&in, 3600);
	strcpy(in.access_key_id, "ASIAROLEGATEWROTE001");
	assert_int_equal(cache_aws_write(key, &in), C_OK);
	assert_int_equal(run_aws("retrieved from cache"), 0);
	assert_int_equal(run_aws("Credential=ASIAROLEGATEWROTE001/"), 0);

	sample(&in, CACHE_REFRESH_S - 60);
	strcpy(in.access_key_id, "ASIAROLEGATEWROTE001");
	assert_int_equal(cache_aws_write(key, &in), C_OK);
	assert_int_not_equal(run_aws("retrieved from cache"), 0);
	assert_int_equal(run_aws("sts.AssumeRole"), 0);
}

/* ---- the MFA cache -------------------------------------------------------------------------------------------- */

static void mfa_file(const char *serial, char *out, size_t cap)
{
	char hex[SHA256_HEX_LEN + 1];
	crypto_sha256_hex(serial, strlen(serial), hex);
	snprintf(out, cap, "%s/.cache/rolegate/mfa-%s.bin", home, hex);
}

static void test_mfa_roundtrip_keyfile(void **state)
{
	struct cache_creds in, out;
	char path[512], keypath[512], dir[512], *text;
	size_t len;

	(void)state;
	assert_string_equal(cache_mfa_key_store(), "file");
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_ERR); /* nothing yet; reading makes no key */
	snprintf(keypath, sizeof(keypath), "%s/.cache/rolegate/key", home);
	assert_int_equal(access(keypath, F_OK), -1);

	sample(&in, 12 * 3600);
	in.arn[0] = in.assumed_role_id[0] = '\0'; /* GetSessionToken has no AssumedRoleUser */
	assert_int_equal(cache_mfa_write(SERIAL, &in), C_OK);
	mfa_file(SERIAL, path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s/.cache/rolegate", home);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(keypath), 0600);
	assert_int_equal(mode_of(dir), 0700);
	assert_int_equal(dotfiles(dir), 0);

	/* Sealed: neither the secret, the token nor the key id appear in the file. */
	text = slurp(path, &len);
	assert_true(len > 8 + AEAD_OVERHEAD);
	assert_memory_equal(text, "RGMFA001", 8);
	assert_null(memmem(text, len, in.secret_access_key, strlen(in.secret_access_key)));
	assert_null(memmem(text, len, in.session_token, strlen(in.session_token)));
	assert_null(memmem(text, len, in.access_key_id, strlen(in.access_key_id)));
	free(text);

	assert_int_equal(cache_mfa_read(SERIAL, CACHE_REFRESH_S, &out), C_OK);
	assert_string_equal(out.access_key_id, in.access_key_id);
	assert_string_equal(out.secret_access_key, in.secret_access_key);
	assert_string_equal(out.session_token, in.session_token);
	assert_int_equal(out.expiration_s, in.expiration_s);

	/* Another serial is a different file and a miss. */
	assert_int_equal(cache_mfa_read("arn:aws:iam::111111111111:mfa/abhi", 0, &out), C_ERR);

	/* The refresh rule. */
	sample(&in, CACHE_REFRESH_S - 60);
	assert_int_equal(cache_mfa_write(SERIAL, &in), C_OK);
	assert_int_equal(cache_mfa_read(SERIAL, CACHE_REFRESH_S, &out), C_ERR);
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_OK);

	/* Delete; delete again. */
	assert_int_equal(cache_mfa_delete(SERIAL, NULL), C_OK);
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_ERR);
	assert_int_equal(cache_mfa_delete(SERIAL, NULL), C_OK);
}

static void test_mfa_xdg(void **state)
{
	struct cache_creds in, out;
	char xdg[512], path[600], hex[SHA256_HEX_LEN + 1];

	(void)state;
	snprintf(xdg, sizeof(xdg), "%s/xdg", home);
	setenv("XDG_CACHE_HOME", xdg, 1);
	sample(&in, 3600);
	assert_int_equal(cache_mfa_write(SERIAL, &in), C_OK);
	crypto_sha256_hex(SERIAL, strlen(SERIAL), hex);
	snprintf(path, sizeof(path), "%s/rolegate/mfa-%s.bin", xdg, hex);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_OK);
	/* A relative XDG_CACHE_HOME is ignored (the XDG spec): back to ~/.cache, where there is nothing. */
	setenv("XDG_CACHE_HOME", "relative/dir", 1);
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_ERR);
	setenv("XDG_CACHE_HOME", xdg, 1);
	assert_int_equal(cache_mfa_clear(), C_OK);
	assert_int_equal(access(path, F_OK), -1);
	unsetenv("XDG_CACHE_HOME");
}

static void test_mfa_tampered(void **state)
{
	struct cache_creds in, out;
	char path[512], other[512], keypath[512], *good;
	size_t len;

	(void)state;
	sample(&in, 3600);
	assert_int_equal(cache_mfa_write(SERIAL, &in), C_OK);
	mfa_file(SERIAL, path, sizeof(path));
	good = slurp(path, &len);

	/* Every single bit flip anywhere (magic, version, nonce, ciphertext, tag) is refused. */
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			good[i] ^= (char)(1 << bit);
			put_file(path, good, len);
			good[i] ^= (char)(1 << bit);
			assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_ERR);
			assert_string_equal(out.access_key_id, "");
		}
	}
	/* Truncated at every length; extended. */
	for (size_t n = 0; n < len; n++) {
		put_file(path, good, n);
		assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_ERR);
	}
	{
		char *longer = calloc(1, len + 1);
		memcpy(longer, good, len);
		put_file(path, longer, len + 1);
		free(longer);
		assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_ERR);
	}
	/* Intact again: opens. */
	put_file(path, good, len);
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_OK);

	/* Moved under another serial's name: the serial is associated data, so it does not open. */
	mfa_file("arn:aws:iam::111111111111:mfa/abhi", other, sizeof(other));
	put_file(other, good, len);
	assert_int_equal(cache_mfa_read("arn:aws:iam::111111111111:mfa/abhi", 0, &out), C_ERR);

	/* Under another key (a copy of the files taken elsewhere, or a new key after `clear`): ignored. */
	snprintf(keypath, sizeof(keypath), "%s/.cache/rolegate/key", home);
	assert_int_equal(unlink(keypath), 0);
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_ERR);
	assert_int_equal(access(keypath, F_OK), -1); /* a read never makes a key */
	/* and writing starts over with a new key */
	assert_int_equal(cache_mfa_write(SERIAL, &in), C_OK);
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_OK);
	free(good);
	check_log();
}

/* A key file others could read is not trusted: sessions sealed under it are misses and a new key replaces it. */
static void test_mfa_keyfile_permissions(void **state)
{
	struct cache_creds in, out;
	char keypath[512];
	uint8_t k1[AEAD_KEY_LEN], k2[AEAD_KEY_LEN];
	size_t len;
	char *p;

	(void)state;
	sample(&in, 3600);
	assert_int_equal(cache_mfa_write(SERIAL, &in), C_OK);
	snprintf(keypath, sizeof(keypath), "%s/.cache/rolegate/key", home);
	p = slurp(keypath, &len);
	assert_int_equal(len, AEAD_KEY_LEN);
	memcpy(k1, p, AEAD_KEY_LEN);
	free(p);

	assert_int_equal(chmod(keypath, 0644), 0);
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_ERR);
	assert_int_equal(cache_mfa_write(SERIAL, &in), C_OK);
	assert_int_equal(mode_of(keypath), 0600);
	p = slurp(keypath, &len);
	assert_int_equal(len, AEAD_KEY_LEN);
	memcpy(k2, p, AEAD_KEY_LEN);
	free(p);
	assert_memory_not_equal(k1, k2, AEAD_KEY_LEN);
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_OK);

	/* A key file of the wrong size is not a key either; the next write replaces it. */
	put_file(keypath, "short", 5);
	chmod(keypath, 0600);
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_ERR);
	assert_int_equal(cache_mfa_write(SERIAL, &in), C_OK);
	assert_int_equal(mode_of(keypath), 0600);
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_OK);
}

/* The kernel keyring, where the machine allows it; the switch moves to the key file, whose key is another one. */
static void test_mfa_keyring(void **state)
{
	struct cache_creds in, out;
	char keypath[512];

	(void)state;
	unsetenv("ROLEGATE_NO_KEYRING");
	if (strcmp(cache_mfa_key_store(), "keyring") != 0) {
		setenv("ROLEGATE_NO_KEYRING", "1", 1);
		skip(); /* keyctl refused here (seccomp); the key-file tests above cover the fallback */
	}
	sample(&in, 3600);
	assert_int_equal(cache_mfa_write(SERIAL, &in), C_OK);
	snprintf(keypath, sizeof(keypath), "%s/.cache/rolegate/key", home);
	assert_int_equal(access(keypath, F_OK), -1); /* the key is not on disk */
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_OK);
	assert_string_equal(out.session_token, in.session_token);

	/* The fallback is a different key: the keyring-sealed file does not open with it. */
	setenv("ROLEGATE_NO_KEYRING", "1", 1);
	assert_string_equal(cache_mfa_key_store(), "file");
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_ERR);
	unsetenv("ROLEGATE_NO_KEYRING");
	assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_OK);

	/* clear: files gone and the keyring key forgotten, so a copy of the file taken before would not open. */
	{
		char path[512], *copy;
		size_t len;
		mfa_file(SERIAL, path, sizeof(path));
		copy = slurp(path, &len);
		assert_int_equal(cache_mfa_clear(), C_OK);
		assert_int_equal(access(path, F_OK), -1);
		put_file(path, copy, len);
		free(copy);
		assert_int_equal(cache_mfa_read(SERIAL, 0, &out), C_ERR);
	}
	setenv("ROLEGATE_NO_KEYRING", "1", 1);
}

/*
 * Driven by tests/e2e/test_cli_cache_compat.py against a real server (and run only then): with HOME and the
 * profile's role ARN and session name from ROLEGATE_COMPAT_*, either reads the session the aws CLI cached and
 * prints "compat-read KEY ACCESS_KEY_ID EXPIRATION ARN", or checks that there is no usable session
 * (ROLEGATE_COMPAT_EXPECT_MISS), or (ROLEGATE_COMPAT_WRITE) writes the credentials given in
 * ROLEGATE_COMPAT_AKID/SECRET/TOKEN/EXPIRATION for the aws CLI to take.
 */
static void test_compat_env(void **state)
{
	struct cache_assume_args a = {.role_arn = getenv("ROLEGATE_COMPAT_ROLE"),
	                              .role_session_name = getenv("ROLEGATE_COMPAT_SESSION")};
	char key[CACHE_KEY_LEN + 1];
	struct cache_creds c;

	(void)state;
	assert_non_null(a.role_arn);
	setenv("HOME", getenv("ROLEGATE_COMPAT_HOME"), 1);
	assert_int_equal(cache_aws_key(&a, key), C_OK);
	if (getenv("ROLEGATE_COMPAT_WRITE")) {
		memset(&c, 0, sizeof(c));
		snprintf(c.access_key_id, sizeof(c.access_key_id), "%s", getenv("ROLEGATE_COMPAT_AKID"));
		snprintf(c.secret_access_key, sizeof(c.secret_access_key), "%s", getenv("ROLEGATE_COMPAT_SECRET"));
		snprintf(c.session_token, sizeof(c.session_token), "%s", getenv("ROLEGATE_COMPAT_TOKEN"));
		assert_int_equal(time_parse_iso8601(getenv("ROLEGATE_COMPAT_EXPIRATION"), &c.expiration_s), C_OK);
		assert_int_equal(cache_aws_write(key, &c), C_OK);
		printf("compat-write %s\n", key);
	} else if (getenv("ROLEGATE_COMPAT_EXPECT_MISS")) {
		assert_int_equal(cache_aws_read(key, CACHE_REFRESH_S, &c), C_ERR);
		printf("compat-miss %s\n", key);
	} else {
		char exp[ISO8601_LEN];
		assert_int_equal(cache_aws_read(key, CACHE_REFRESH_S, &c), C_OK);
		time_iso8601(c.expiration_s, exp);
		printf("compat-read %s %s %s %s\n", key, c.access_key_id, exp, c.arn);
	}
	fflush(stdout);
	cache_creds_clear(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_botocore),
		cmocka_unit_test(test_key_refusals),
		cmocka_unit_test_setup_teardown(test_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aws_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aws_threshold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aws_ignores_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aws_expiration_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aws_expiration_extremes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_botocore_interop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aws_cli_reads_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mfa_roundtrip_keyfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mfa_xdg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mfa_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mfa_keyfile_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mfa_keyring, setup, teardown),
	};

	const struct CMUnitTest compat[] = {
		cmocka_unit_test(test_compat_env),
	};
	int rc;

	if (crypto_init() != C_OK)
		return 1;
	if (getenv("ROLEGATE_COMPAT_HOME"))
		rc = cmocka_run_group_tests(compat, NULL, NULL);
	else
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	crypto_cleanup();
	return rc;
}
