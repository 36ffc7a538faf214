/*
 * fuzz_cache_json.c - the client's credential caches (src/cli/cache.c) on what a cache file or a caller hands them:
 * parse_response (with get_str and parse_expiration) on a jansson-parsed cached AssumeRole response, as
 * cache_aws_read and cache_mfa_read read it; cache_aws_read itself on the same bytes written as a cache file; the
 * write side's build_response read back; and cache_aws_key on fuzzed AssumeRole arguments, including the Policy
 * JSON that py_dumps re-serialises as Python's json.dumps(sort_keys=True).
 *
 * The module is included (as h2o's fuzzers do) to reach its statics. HOME points at a fresh directory under
 * $TMPDIR (default /tmp), removed at exit, where one cache file is rewritten per input.
 *
 * Input: byte 0 is a set of flags; the rest is split at its first NUL byte (unless flag 0x04: then the whole rest is
 * the JSON text, NUL bytes included). The part before is JSON text: the cached response, and (flag 0x02) the
 * Policy. The part after holds the other arguments one a line: RoleArn, RoleSessionName, ExternalId, SerialNumber,
 * SourceIdentity, DurationSeconds (decimal; an empty or missing line leaves an argument out). Without a NUL,
 * RoleArn is a fixed ARN and the others are left out. Flag 0x01 also reads the cache file when the response does
 * not parse (it always does when it does).
 *
 * Checks beyond the sanitizers (abort on failure):
 *   - what parse_response accepts has the required credentials, non-empty and printable ASCII without spaces, and
 *     every field terminated within its size; what build_response writes from it (cache_aws_write's document) reads
 *     back to the same credentials;
 *   - cache_aws_read accepts the file only when parse_response accepts its JSON, then with the same credentials,
 *     and leaves its output zeroed when it refuses;
 *   - py_dumps writes printable ASCII that jansson reads back to an equal value, and writes it again byte for byte;
 *     it fails only past its depth limit;
 *   - cache_aws_key gives 40 lowercase hex digits, the same for the same arguments and for a policy and its own
 *     re-serialisation, and fails (with an empty key) only when the arguments are refused as documented.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cache.c"

#define FILE_KEY "fuzz"
#define PY_DEPTH_MAX 64 /* py_dumps refuses values nested deeper */
#define ISO8601_LAST 253402300799LL /* 9999-12-31T23:59:59Z, the last second time_iso8601 writes */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char home[PATH_CAP], cache_dir[PATH_CAP], cache_file[PATH_CAP];

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_cache_json: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void cleanup(void)
{
	char p[PATH_CAP];

	unlink(cache_file);
	rmdir(cache_dir);
	snprintf(p, sizeof(p), "%s/.aws/cli", home);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/.aws", home);
	rmdir(p);
	rmdir(home);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(home, sizeof(home), "%s/rolegate-fuzz-cache.XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
	if (!mkdtemp(home))
		die("cannot create a home directory", home);
	setenv("HOME", home, 1);
	if (cache_aws_dir(cache_dir, sizeof(cache_dir)) != C_OK || mkdir_p(cache_dir) != C_OK)
		die("cannot create the cache directory", cache_dir);
	snprintf(cache_file, sizeof(cache_file), "%s/%s.json", cache_dir, FILE_KEY);
	atexit(cleanup);
	/* Refused files are logged as warnings: not once per input. */
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

/* ---- the cached response ------------------------------------------------------------------------------------------ */

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_token(const char *s, size_t cap, bool required, const char *what)
{
	if (!terminated(s, cap))
		die("a field not terminated within its size", what);
	if (required && !s[0])
		die("a required field is empty", what);
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			die("a field with a character a header cannot carry", what);
}

static void check_creds(const struct cache_creds *c)
{
	check_token(c->access_key_id, sizeof(c->access_key_id), true, "AccessKeyId");
	check_token(c->secret_access_key, sizeof(c->secret_access_key), true, "SecretAccessKey");
	check_token(c->session_token, sizeof(c->session_token), true, "SessionToken");
	check_token(c->account_id, sizeof(c->account_id), false, "AccountId");
	check_token(c->arn, sizeof(c->arn), false, "Arn");
	check_token(c->assumed_role_id, sizeof(c->assumed_role_id), false, "AssumedRoleId");
}

static bool same_creds(const struct cache_creds *a, const struct cache_creds *b)
{
	return strcmp(a->access_key_id, b->access_key_id) == 0 &&
	       strcmp(a->secret_access_key, b->secret_access_key) == 0 &&
	       strcmp(a->session_token, b->session_token) == 0 && strcmp(a->account_id, b->account_id) == 0 &&
	       strcmp(a->arn, b->arn) == 0 && strcmp(a->assumed_role_id, b->assumed_role_id) == 0 &&
	       a->expiration_s == b->expiration_s;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

/* Large (the token): static, not on the stack. */
static struct cache_creds parsed, again, from_file;

/* What cache_aws_write would write for c, read back as cache_aws_read reads it. */
static void check_write_side(const struct cache_creds *c)
{
	json_t *root, *back;
	char *text;

	if (!creds_ok(c))
		return;
	root = build_response(c);
	if (!root)
		die("build_response failed on credentials creds_ok accepts", NULL);
	text = json_dumps(root, 0);
	if (!text)
		die("json_dumps failed", NULL);
	back = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	cache_creds_clear(&again);
	if (!back || parse_response(back, &again) != C_OK)
		die("what build_response writes does not read back", NULL);
	if (strcmp(again.access_key_id, c->access_key_id) != 0 ||
	    strcmp(again.secret_access_key, c->secret_access_key) != 0 ||
	    strcmp(again.session_token, c->session_token) != 0 || strcmp(again.arn, c->arn) != 0 ||
	    (c->arn[0] && strcmp(again.assumed_role_id, c->assumed_role_id) != 0) ||
	    (c->account_id[0] && strcmp(again.account_id, c->account_id) != 0))
		die("what build_response writes reads back different", NULL);
	if (c->expiration_s <= ISO8601_LAST && again.expiration_s != c->expiration_s)
		die("the expiration does not survive a write and a read", NULL);
	free(text);
	json_free_secret(back);
	json_free_secret(root);
}

static void write_file(const uint8_t *p, size_t n)
{
	int fd = open(cache_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write_all(fd, p, n) != C_OK || close(fd) != 0)
		die("cannot write the cache file", cache_file);
}

static void check_response(const uint8_t *text, size_t len, bool read_file)
{
	json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
	bool ok;
	int rc;

	memset(&parsed, 0x5a, sizeof(parsed));
	cache_creds_clear(&parsed);
	ok = root && parse_response(root, &parsed) == C_OK;
	if (ok) {
		check_creds(&parsed);
		check_write_side(&parsed);
	}
	json_free_secret(root);
	if (!ok && !read_file)
		return;
	write_file(text, len);
	memset(&from_file, 0x5a, sizeof(from_file));
	rc = cache_aws_read(FILE_KEY, CACHE_REFRESH_S, &from_file);
	if (rc == C_OK && (!ok || !same_creds(&parsed, &from_file)))
		die("cache_aws_read accepts what parse_response does not, or reads it differently", NULL);
	if (rc != C_OK && !all_zero(&from_file, sizeof(from_file)))
		die("cache_aws_read leaves credentials behind when it refuses", NULL);
	if (rc != C_OK && ok && parsed.expiration_s > now_ms() / 1000 + CACHE_REFRESH_S + 60)
		die("cache_aws_read refuses a response that parses and does not expire soon", NULL);
	cache_creds_clear(&parsed);
	cache_creds_clear(&from_file);
}

/* ---- py_dumps ----------------------------------------------------------------------------------------------------- */

/* The deepest nesting of v: 0 for a scalar or an empty container at the top. */
static int depth_of(json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;
	int d = 0;

	if (json_is_object(v)) {
		json_object_foreach(v, k, e) {
			int c = depth_of(e) + 1;
			d = c > d ? c : d;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			int c = depth_of(e) + 1;
			d = c > d ? c : d;
		}
	}
	return d;
}

static void check_dumps(json_t *v)
{
	struct buf b, b2;
	json_t *back;
	int d = depth_of(v);

	buf_init(&b, KEY_ARGS_MAX);
	buf_init(&b2, KEY_ARGS_MAX);
	if (py_dumps(&b, v, 0) != C_OK) {
		if (d <= PY_DEPTH_MAX)
			die("py_dumps refuses a value within its depth", NULL);
		goto out;
	}
	if (d > PY_DEPTH_MAX)
		die("py_dumps writes a value beyond its depth", NULL);
	for (size_t i = 0; i < b.len; i++)
		if (b.p[i] < 0x20 || b.p[i] > 0x7e)
			die("py_dumps writes a byte json.dumps(ensure_ascii) would not", buf_str(&b));
	back = json_loadb(buf_str(&b), b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!back || !json_equal(back, v))
		die("what py_dumps writes does not read back equal", buf_str(&b));
	if (py_dumps(&b2, back, 0) != C_OK || b2.len != b.len || memcmp(b.p, b2.p, b.len) != 0)
		die("py_dumps writes a value read back from it differently", buf_str(&b));
	json_decref(back);
out:
	buf_free(&b);
	buf_free(&b2);
}

/* ---- cache_aws_key ------------------------------------------------------------------------------------------------ */

static bool valid_str(const char *s)
{
	return !s || utf8_valid(s, strlen(s));
}

static void check_key(const struct cache_assume_args *args, json_t *policy)
{
	char key[CACHE_KEY_LEN + 1], key2[CACHE_KEY_LEN + 1];
	bool expect_ok;
	int rc;

	memset(key, 'x', sizeof(key));
	rc = cache_aws_key(args, key);
	expect_ok = args->role_arn && args->role_arn[0] && valid_str(args->role_arn) &&
	            valid_str(args->role_session_name) && valid_str(args->external_id) &&
	            valid_str(args->serial_number) && valid_str(args->source_identity) &&
	            (!args->policy || (policy && depth_of(policy) < PY_DEPTH_MAX));
	if ((rc == C_OK) != expect_ok)
		die(rc == C_OK ? "cache_aws_key accepts arguments it should refuse" : "cache_aws_key refuses good arguments",
		    args->policy);
	if (rc != C_OK) {
		if (key[0])
			die("a refused key is not empty", NULL);
		return;
	}
	for (size_t i = 0; i < CACHE_KEY_LEN; i++)
		if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
			die("a key that is not lowercase hex", key);
	if (key[CACHE_KEY_LEN] != '\0')
		die("a key of the wrong length", key);
	if (cache_aws_key(args, key2) != C_OK || strcmp(key, key2) != 0)
		die("cache_aws_key is not deterministic", key);
	if (args->policy) {
		/* The key of a policy is the key of its canonical form (json.loads, then sorted json.dumps). */
		struct cache_assume_args canon = *args;
		struct buf b;

		buf_init(&b, KEY_ARGS_MAX);
		if (py_dumps(&b, policy, 0) != C_OK)
			die("py_dumps refuses a policy cache_aws_key accepted", NULL);
		canon.policy = buf_str(&b);
		if (cache_aws_key(&canon, key2) != C_OK || strcmp(key, key2) != 0)
			die("a policy and its canonical form give different keys", canon.policy);
		buf_free(&b);
	}
}

/* Splits the next line off *p (the NUL-terminated rest), or NULL when there is none; an empty line is NULL too. */
static const char *next_line(char **p)
{
	char *s = *p, *nl;

	if (!s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = NULL;
	}
	return s[0] ? s : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cache_assume_args args;
	const uint8_t *text, *nul = NULL;
	size_t tlen;
	char *ctext = NULL, *argtext = NULL, *rest;
	json_t *policy = NULL;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[0];
	text = data + 1;
	tlen = size - 1;
	if (!(flags & 0x04) && (nul = memchr(text, '\0', tlen)) != NULL)
		tlen = (size_t)(nul - text);

	/* The cached response, from an exact-size copy (ASan sees any read past the end). */
	ctext = malloc(tlen ? tlen : 1);
	if (!ctext)
		goto out;
	memcpy(ctext, text, tlen);
	check_response((const uint8_t *)ctext, tlen, flags & 0x01);

	/* The same text as a policy: json.loads as cache_aws_key does it, then py_dumps on it. */
	policy = json_loadb(ctext, tlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (policy)
		check_dumps(policy);

	/* cache_aws_key */
	memset(&args, 0, sizeof(args));
	if (nul) {
		size_t alen = size - 1 - tlen - 1;

		argtext = malloc(alen + 1);
		if (!argtext)
			goto out;
		memcpy(argtext, nul + 1, alen);
		argtext[alen] = '\0';
		rest = argtext;
		args.role_arn = next_line(&rest);
		args.role_session_name = next_line(&rest);
		args.external_id = next_line(&rest);
		args.serial_number = next_line(&rest);
		args.source_identity = next_line(&rest);
		{
			const char *d = next_line(&rest);
			char *end;

			if (d) {
				args.duration_seconds = strtoll(d, &end, 10);
				args.has_duration = *end == '\0';
			}
		}
	} else {
		args.role_arn = "arn:aws:iam::123456789012:role/fuzz";
	}
	if (flags & 0x02) {
		/* cache_aws_key reads the policy as a C string: up to the first NUL. */
		char *pol = malloc(tlen + 1);

		if (!pol)
			goto out;
		memcpy(pol, ctext, tlen);
		pol[tlen] = '\0';
		json_decref(policy);
		policy = json_loads(pol, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		args.policy = pol;
		check_key(&args, policy);
		free(pol);
	} else {
		check_key(&args, NULL);
	}
out:
	json_decref(policy);
	free(ctext);
	free(argtext);
	return 0;
}
