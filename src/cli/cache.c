/*
 * cache.c - the AWS CLI's assume-role cache (shared with `aws`) and rolegate's sealed MFA-session cache.
 *
 * The AWS CLI side follows botocore 1.43 (botocore/credentials.py, botocore/utils.py):
 *   - BaseAssumeRoleCredentialFetcher._create_cache_key: args = the AssumeRole kwargs (RoleArn plus the profile's
 *     RoleSessionName, ExternalId, SerialNumber, DurationSeconds as configured; RoleSessionName dropped when botocore
 *     generated it; Policy json.loads'ed so its keys sort too), then sha1(json.dumps(args, sort_keys=True)) in hex.
 *     json.dumps here has its defaults: separators ", " and ": ", ensure_ascii (\uXXXX for everything outside
 *     printable ASCII), floats as repr(). _make_file_safe replaces ':' and '/' with '_', which a hex digest never
 *     holds, so the key is the digest itself.
 *   - JSONFileCache writes json.dumps(response) into <dir>/<key>.json through mkstemp + fsync + os.replace, with
 *     datetimes as strftime('%Y-%m-%dT%H:%M:%S%Z') ("...T12:00:00UTC"); CachedCredentialFetcher reads it back with
 *     json.load and dateutil, and treats fewer than 15 minutes left as expired.
 * We write Expiration as "YYYY-MM-DDTHH:MM:SSZ" (what STS itself sends, and what dateutil reads) and read botocore's
 * "UTC"/"GMT" suffix, ISO offsets, fractions and epoch numbers.
 */
/* SHA1_Init & co. (see sha1_hex) */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "cli/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "util/buf.h"
#include "util/common.h"
#include "util/file.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"

#define PATH_CAP 4096
#define AWS_FILE_MAX (256 * 1024) /* botocore's files are ~2 KiB (response metadata included) */
#define MFA_FILE_MAX (64 * 1024)
#define KEY_ARGS_MAX (1024 * 1024)

/* ---- Python's json.dumps(obj, sort_keys=True) ------------------------------------------------------------------ */

/* Appends s as Python's json encoder with ensure_ascii writes it: only ' '..'~' stay as they are. */
static int py_string(struct buf *b, const char *s, size_t len)
{
	if (!utf8_valid(s, len) || buf_putc(b, '"') != C_OK)
		return C_ERR;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		int n;

		if (c == '"' || c == '\\') {
			if (buf_putc(b, '\\') != C_OK || buf_putc(b, (char)c) != C_OK)
				return C_ERR;
			i++;
			continue;
		}
		if (c >= 0x20 && c < 0x7f) {
			if (buf_putc(b, (char)c) != C_OK)
				return C_ERR;
			i++;
			continue;
		}
		switch (c) {
		case '\n': n = buf_puts(b, "\\n"); i++; break;
		case '\r': n = buf_puts(b, "\\r"); i++; break;
		case '\t': n = buf_puts(b, "\\t"); i++; break;
		case '\b': n = buf_puts(b, "\\b"); i++; break;
		case '\f': n = buf_puts(b, "\\f"); i++; break;
		default:
			/* utf8_valid() vouched for the sequence. */
			if (c < 0x80) {
				cp = c;
				i += 1;
			} else if (c < 0xe0) {
				cp = (uint32_t)(c & 0x1f) << 6 | ((unsigned char)s[i + 1] & 0x3f);
				i += 2;
			} else if (c < 0xf0) {
				cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)((unsigned char)s[i + 1] & 0x3f) << 6 |
				     ((unsigned char)s[i + 2] & 0x3f);
				i += 3;
			} else {
				cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)((unsigned char)s[i + 1] & 0x3f) << 12 |
				     (uint32_t)((unsigned char)s[i + 2] & 0x3f) << 6 | ((unsigned char)s[i + 3] & 0x3f);
				i += 4;
			}
			if (cp >= 0x10000) {
				cp -= 0x10000;
				n = buf_printf(b, "\\u%04x\\u%04x", 0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
			} else {
				n = buf_printf(b, "\\u%04x", cp);
			}
		}
		if (n != C_OK)
			return C_ERR;
	}
	return buf_putc(b, '"');
}

/*
 * Appends v as Python's repr(float): the shortest digits that read back as v, positional when the decimal point
 * falls within -4 < decpt <= 16 (always with a fractional part, "100.0"), otherwise scientific ("1e+16", "1.5e-05").
 */
static int py_float(struct buf *b, double v)
{
	char tmp[48], digits[24];
	const char *p;
	int prec, exp10, decpt, n = 0, rc;

	if (!isfinite(v))
		return C_ERR; /* Python would write Infinity/NaN; jansson never yields them */
	if (v == 0)
		return buf_puts(b, signbit(v) ? "-0.0" : "0.0");
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	p = tmp;
	if (*p == '-') {
		if (buf_putc(b, '-') != C_OK)
			return C_ERR;
		p++;
	}
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && n < (int)sizeof(digits) - 1)
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	exp10 = *p == 'e' ? atoi(p + 1) : 0;
	decpt = exp10 + 1; /* v = 0.DIGITS x 10^decpt */
	if (decpt > -4 && decpt <= 16) {
		if (decpt <= 0) {
			rc = buf_puts(b, "0.");
			for (int i = 0; rc == C_OK && i < -decpt; i++)
				rc = buf_putc(b, '0');
			return rc == C_OK ? buf_puts(b, digits) : C_ERR;
		}
		if (decpt >= n) {
			rc = buf_puts(b, digits);
			for (int i = n; rc == C_OK && i < decpt; i++)
				rc = buf_putc(b, '0');
			return rc == C_OK ? buf_puts(b, ".0") : C_ERR;
		}
		return buf_printf(b, "%.*s.%s", decpt, digits, digits + decpt);
	}
	if (buf_putc(b, digits[0]) != C_OK)
		return C_ERR;
	if (n > 1 && buf_printf(b, ".%s", digits + 1) != C_OK)
		return C_ERR;
	return buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends v as json.dumps(v, sort_keys=True) writes it. depth bounds the recursion. */
static int py_dumps(struct buf *b, json_t *v, int depth)
{
	if (depth > 64)
		return C_ERR;
	switch (json_typeof(v)) {
	case JSON_NULL:
		return buf_puts(b, "null");
	case JSON_TRUE:
		return buf_puts(b, "true");
	case JSON_FALSE:
		return buf_puts(b, "false");
	case JSON_INTEGER:
		return buf_printf(b, "%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		return py_float(b, json_real_value(v));
	case JSON_STRING:
		return py_string(b, json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		size_t i;
		json_t *e;
		if (buf_putc(b, '[') != C_OK)
			return C_ERR;
		json_array_foreach(v, i, e) {
			if ((i && buf_puts(b, ", ") != C_OK) || py_dumps(b, e, depth + 1) != C_OK)
				return C_ERR;
		}
		return buf_putc(b, ']');
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		const char **keys = n ? calloc(n, sizeof(*keys)) : NULL;
		const char *k;
		json_t *e;
		int rc = C_ERR;

		if (n && !keys)
			return C_ERR;
		json_object_foreach(v, k, e) keys[i++] = k;
		/* Python sorts str keys by code point; bytewise order of UTF-8 is the same order. */
		if (n)
			qsort(keys, n, sizeof(*keys), key_cmp);
		if (buf_putc(b, '{') != C_OK)
			goto done;
		for (i = 0; i < n; i++) {
			if ((i && buf_puts(b, ", ") != C_OK) || py_string(b, keys[i], strlen(keys[i])) != C_OK ||
			    buf_puts(b, ": ") != C_OK || py_dumps(b, json_object_get(v, keys[i]), depth + 1) != C_OK)
				goto done;
		}
		rc = buf_putc(b, '}');
	done:
		free(keys);
		return rc;
	}
	}
	return C_ERR;
}

/* ---- SHA-1 and the cache key ------------------------------------------------------------------------------------ */

/*
 * SHA-1 of the cache key through OpenSSL's low-level SHA1_Init/Update/Final rather than an EVP fetch: the EVP path
 * starts OpenSSL's provider machinery (configuration, name maps), which costs a warm `rolegate exec` about a
 * millisecond and a half of its start-up; the low-level functions are the same implementation without it. They are
 * deprecated in OpenSSL 3 (hence OPENSSL_SUPPRESS_DEPRECATED above) but kept in every 3.x release.
 */
static int sha1_hex(const void *data, size_t len, char out[CACHE_KEY_LEN + 1])
{
	uint8_t md[SHA_DIGEST_LENGTH];
	SHA_CTX ctx;

	if (!SHA1_Init(&ctx) || !SHA1_Update(&ctx, data, len) || !SHA1_Final(md, &ctx))
		return C_ERR;
	explicit_bzero(&ctx, sizeof(ctx));
	hex_encode(md, sizeof(md), out);
	return C_OK;
}

/* Sets name to a copy of s in obj when s is given. */
static int set_str(json_t *obj, const char *name, const char *s)
{
	if (!s)
		return C_OK;
	if (!utf8_valid(s, strlen(s)))
		return C_ERR;
	return json_object_set_new(obj, name, json_string(s)) == 0 ? C_OK : C_ERR;
}

int cache_aws_key(const struct cache_assume_args *args, char key[CACHE_KEY_LEN + 1])
{
	json_t *obj = json_object();
	struct buf b;
	int result = C_ERR;

	buf_init(&b, KEY_ARGS_MAX);
	key[0] = '\0';
	if (!obj || !args->role_arn || !args->role_arn[0])
		goto fail;
	if (set_str(obj, "RoleArn", args->role_arn) != C_OK ||
	    set_str(obj, "RoleSessionName", args->role_session_name) != C_OK ||
	    set_str(obj, "ExternalId", args->external_id) != C_OK ||
	    set_str(obj, "SerialNumber", args->serial_number) != C_OK ||
	    set_str(obj, "SourceIdentity", args->source_identity) != C_OK)
		goto fail;
	if (args->has_duration && json_object_set_new(obj, "DurationSeconds", json_integer(args->duration_seconds)))
		goto fail;
	if (args->policy) {
		/* json.loads keeps the last of duplicate keys, as jansson does without JSON_REJECT_DUPLICATES. */
		json_t *pol = json_loads(args->policy, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (!pol || json_object_set_new(obj, "Policy", pol))
			goto fail;
	}
	if (py_dumps(&b, obj, 0) != C_OK || sha1_hex(b.p, b.len, key) != C_OK)
		goto fail;
	result = C_OK;
fail:
	if (result != C_OK)
		key[0] = '\0';
	json_decref(obj);
	buf_free(&b);
	return result;
}

/* ---- files ------------------------------------------------------------------------------------------------------ */

void cache_creds_clear(struct cache_creds *c)
{
	explicit_bzero(c, sizeof(*c));
}

/*
 * The home directory as Python's os.path.expanduser('~') finds it: $HOME, else the password database (through
 * getpwuid_r into out, so that a refreshing thread and the main one never share getpwuid's static buffer).
 */
static const char *home_dir(char *out, size_t cap)
{
	const char *h = getenv("HOME");
	struct passwd pw, *res = NULL;
	char pwbuf[4096];

	if (h && h[0])
		return h;
	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) != 0 || !res || !pw.pw_dir || !pw.pw_dir[0] ||
	    snprintf(out, cap, "%s", pw.pw_dir) >= (int)cap)
		return NULL;
	return out;
}

/* Creates path and its missing parents with mode 0700 (existing directories are left as they are). */
static int mkdir_p(const char *path)
{
	char tmp[PATH_CAP];
	size_t len = strlen(path);
	struct stat st;

	if (len == 0 || len >= sizeof(tmp))
		return C_ERR;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return C_ERR;
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return C_ERR;
	return stat(tmp, &st) == 0 && S_ISDIR(st.st_mode) ? C_OK : C_ERR;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return C_ERR;
		p += n;
		len -= (size_t)n;
	}
	return C_OK;
}

/*
 * Creates dir (0700) and writes data into a new 0600 temporary file there, fsync'ed. On C_OK, tmp holds its
 * path and the caller renames or links it into place, then unlinks what is left.
 */
static int write_temp(const char *dir, const char *name, const void *data, size_t len, char tmp[PATH_CAP])
{
	int fd;

	/* A leading dot and no ".json": a temporary file is never mistaken for a cache entry by us or by botocore. */
	if (mkdir_p(dir) != C_OK || snprintf(tmp, PATH_CAP, "%s/.%s.XXXXXX", dir, name) >= PATH_CAP) {
		log_warn("cannot create the cache directory %s", dir);
		return C_ERR;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot write in %s", dir);
		return C_ERR;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != C_OK || fsync(fd) != 0) {
		log_warn("cannot write %s", tmp);
		close(fd);
		unlink(tmp);
		return C_ERR;
	}
	if (close(fd) != 0) {
		log_warn("cannot write %s", tmp);
		unlink(tmp);
		return C_ERR;
	}
	return C_OK;
}

/* Replaces dir/name with data atomically: temporary file, fsync, rename, fsync of the directory. */
static int write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
	char tmp[PATH_CAP], path[PATH_CAP];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return C_ERR;
	if (write_temp(dir, name, data, len, tmp) != C_OK)
		return C_ERR;
	if (rename(tmp, path) != 0) {
		log_warn("cannot rename %s to %s", tmp, path);
		unlink(tmp);
		return C_ERR;
	}
	/* The rename is durable once the directory is: without this a crash could bring the old file back. */
	if (file_fsync_dir(dir) != C_OK)
		log_warn("cannot fsync %s", dir);
	return C_OK;
}

/*
 * Reads a regular file of at most max bytes into b (initialised by the caller with a larger max). C_ERR with
 * errno ENOENT when it is missing; any other C_ERR means it is there but unusable.
 */
static int read_capped(const char *path, size_t max, struct buf *b)
{
	struct stat st;
	char chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), result = C_ERR;

	if (fd < 0)
		return C_ERR;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		errno = EINVAL;
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		if (b->len + (size_t)n > max || buf_append(b, chunk, (size_t)n) != C_OK) {
			errno = EFBIG;
			goto fail;
		}
	}
	result = C_OK;
fail:
	explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	return result;
}

/* Overwrites every string in a jansson tree (they may hold secrets) before it is freed. */
static void json_wipe(json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		/* jansson's string storage is its own malloc'd copy; const only to stop accidental writes. */
		explicit_bzero((char *)json_string_value(v), json_string_length(v));
		break;
	case JSON_OBJECT:
		json_object_foreach(v, k, e) json_wipe(e);
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, e) json_wipe(e);
		break;
	default:
		break;
	}
}

static void json_free_secret(json_t *v)
{
	if (v) {
		json_wipe(v);
		json_decref(v);
	}
}

/* Copies the string member name of obj into out (cap bytes). Optional members may be missing (out = ""). */
static int get_str(json_t *obj, const char *name, char *out, size_t cap, bool required, bool token_chars)
{
	json_t *v = json_object_get(obj, name);
	const char *s;
	size_t len;

	out[0] = '\0';
	if (!v || json_is_null(v))
		return required ? C_ERR : C_OK;
	if (!json_is_string(v))
		return C_ERR;
	s = json_string_value(v);
	len = json_string_length(v);
	if (len >= cap || (required && len == 0) || strlen(s) != len)
		return C_ERR;
	/* Credentials end up in environment variables and HTTP headers: printable ASCII without spaces only. */
	for (size_t i = 0; token_chars && i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return C_ERR;
	memcpy(out, s, len + 1);
	return C_OK;
}

/*
 * Reads an Expiration as botocore writes or accepts it: ISO 8601 with "Z", an offset or botocore's own
 * strftime("%Z") suffix "UTC"/"GMT"; a space instead of the "T"; or seconds since the epoch as a number.
 */
static int parse_expiration(json_t *v, int64_t *out)
{
	char s[64];
	size_t len;

	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return C_OK;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!isfinite(d) || d < 0 || d > 1e13)
			return C_ERR;
		*out = (int64_t)d;
		return C_OK;
	}
	if (!json_is_string(v) || (len = json_string_length(v)) >= sizeof(s) - 1 || len < 19)
		return C_ERR;
	memcpy(s, json_string_value(v), len + 1);
	if (strlen(s) != len)
		return C_ERR;
	if (s[10] == ' ')
		s[10] = 'T';
	if (len > 19 && (strcmp(s + len - 3, "UTC") == 0 || strcmp(s + len - 3, "GMT") == 0)) {
		s[len - 3] = 'Z';
		s[len - 2] = '\0';
	} else if (len == 19) {
		/* No zone at all: dateutil would take local time; STS never writes this and neither do we. */
		return C_ERR;
	}
	return time_parse_iso8601(s, out);
}

/* Fills out from a {"Credentials": {...}, "AssumedRoleUser": {...}} object. */
static int parse_response(json_t *root, struct cache_creds *out)
{
	json_t *cr = json_object_get(root, "Credentials"), *aru = json_object_get(root, "AssumedRoleUser");

	if (!json_is_object(root) || !json_is_object(cr))
		return C_ERR;
	if (get_str(cr, "AccessKeyId", out->access_key_id, sizeof(out->access_key_id), true, true) != C_OK ||
	    get_str(cr, "SecretAccessKey", out->secret_access_key, sizeof(out->secret_access_key), true, true) != C_OK ||
	    get_str(cr, "SessionToken", out->session_token, sizeof(out->session_token), true, true) != C_OK ||
	    get_str(cr, "AccountId", out->account_id, sizeof(out->account_id), false, true) != C_OK ||
	    parse_expiration(json_object_get(cr, "Expiration"), &out->expiration_s) != C_OK)
		return C_ERR;
	if (aru && json_is_object(aru) &&
	    (get_str(aru, "Arn", out->arn, sizeof(out->arn), false, true) != C_OK ||
	     get_str(aru, "AssumedRoleId", out->assumed_role_id, sizeof(out->assumed_role_id), false, true) != C_OK))
		return C_ERR;
	return C_OK;
}

/*
 * Whether credentials expiring at expiration_s have fewer than min_remaining_s seconds left. A cached Expiration
 * may be any 64-bit integer: one far in the past (-2^63) is too soon rather than an overflow of the difference.
 */
static bool expires_within(int64_t expiration_s, int64_t min_remaining_s)
{
	int64_t left;

	if (__builtin_sub_overflow(expiration_s, now_ms() / 1000, &left))
		return expiration_s < 0;
	return left < min_remaining_s;
}

/* The account id of an ARN ("arn:aws:sts::123456789012:assumed-role/R/s"), or "" when it has none. */
static void arn_account(const char *arn, char out[CACHE_ACCOUNT_MAX + 1])
{
	const char *p = arn;
	size_t len;

	out[0] = '\0';
	for (int i = 0; i < 4 && p; i++) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	if (!p || strncmp(arn, "arn:", 4) != 0)
		return;
	len = strcspn(p, ":");
	if (len == CACHE_ACCOUNT_MAX && p[len] == ':') {
		memcpy(out, p, len);
		out[len] = '\0';
	}
}

/* The response object botocore caches, built from c. Caller frees with json_free_secret. */
static json_t *build_response(const struct cache_creds *c)
{
	char exp[ISO8601_LEN], account[CACHE_ACCOUNT_MAX + 1];
	json_t *root, *cr;

	time_iso8601(c->expiration_s, exp);
	if (c->account_id[0])
		snprintf(account, sizeof(account), "%s", c->account_id);
	else
		arn_account(c->arn, account);
	cr = json_pack("{s:s, s:s, s:s, s:s}", "AccessKeyId", c->access_key_id, "SecretAccessKey",
	               c->secret_access_key, "SessionToken", c->session_token, "Expiration", exp);
	if (!cr)
		return NULL;
	if (account[0] && json_object_set_new(cr, "AccountId", json_string(account))) {
		json_free_secret(cr);
		return NULL;
	}
	root = json_pack("{s:o}", "Credentials", cr);
	if (!root)
		return NULL;
	if (c->arn[0] &&
	    json_object_set_new(root, "AssumedRoleUser", json_pack("{s:s, s:s}", "AssumedRoleId", c->assumed_role_id,
	                                                           "Arn", c->arn))) {
		json_free_secret(root);
		return NULL;
	}
	return root;
}

/* Whether c can be written: fields the readers require, within their caps, safe characters. */
static bool creds_ok(const struct cache_creds *c)
{
	const char *f[] = {c->access_key_id, c->secret_access_key, c->session_token};

	if (!memchr(c->access_key_id, 0, sizeof(c->access_key_id)) ||
	    !memchr(c->secret_access_key, 0, sizeof(c->secret_access_key)) ||
	    !memchr(c->session_token, 0, sizeof(c->session_token)) || !memchr(c->account_id, 0, sizeof(c->account_id)) ||
	    !memchr(c->arn, 0, sizeof(c->arn)) || !memchr(c->assumed_role_id, 0, sizeof(c->assumed_role_id)))
		return false; /* not terminated within its field */
	for (size_t i = 0; i < ARRAY_LEN(f); i++) {
		if (!f[i][0])
			return false;
		for (const char *p = f[i]; *p; p++)
			if (*p <= ' ' || *p > '~')
				return false;
	}
	return c->expiration_s > 0;
}

/* ---- the AWS CLI's cache ---------------------------------------------------------------------------------------- */

int cache_aws_dir(char *out, size_t cap)
{
	char hbuf[PATH_CAP];
	const char *home = home_dir(hbuf, sizeof(hbuf));

	if (!home || snprintf(out, cap, "%s/.aws/cli/cache", home) >= (int)cap)
		return C_ERR;
	return C_OK;
}

/* A key names a file in the cache directory: a short run of [A-Za-z0-9_.-], never "." or "..". */
static bool key_ok(const char *key)
{
	size_t len = strlen(key);

	if (len == 0 || len > 128 || key[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z') ||
		      (key[i] >= '0' && key[i] <= '9') || key[i] == '_' || key[i] == '-' || key[i] == '.'))
			return false;
	return true;
}

int cache_aws_read(const char *key, int64_t min_remaining_s, struct cache_creds *out)
{
	char dir[PATH_CAP], path[PATH_CAP];
	struct buf b;
	json_t *root = NULL;
	int result = C_ERR;

	buf_init(&b, AWS_FILE_MAX);
	cache_creds_clear(out);
	if (!key_ok(key) || cache_aws_dir(dir, sizeof(dir)) != C_OK ||
	    snprintf(path, sizeof(path), "%s/%s.json", dir, key) >= (int)sizeof(path))
		goto fail;
	if (read_capped(path, AWS_FILE_MAX, &b) != C_OK) {
		if (errno != ENOENT)
			log_warn("ignoring the cached session %s", path);
		goto fail;
	}
	root = json_loadb(b.p ? b.p : "", b.len, JSON_REJECT_DUPLICATES, NULL);
	if (!root || parse_response(root, out) != C_OK) {
		log_warnx("ignoring the cached session %s: not an AssumeRole response", path);
		goto fail;
	}
	if (expires_within(out->expiration_s, min_remaining_s)) {
		log_debug("the cached session %s expires too soon", path);
		goto fail;
	}
	result = C_OK;
fail:
	if (result != C_OK)
		cache_creds_clear(out);
	json_free_secret(root);
	buf_free_secret(&b);
	return result;
}

int cache_aws_write(const char *key, const struct cache_creds *c)
{
	char dir[PATH_CAP], name[160];
	json_t *root = NULL;
	char *text = NULL;
	int result = C_ERR;

	if (!key_ok(key) || !creds_ok(c) || cache_aws_dir(dir, sizeof(dir)) != C_OK)
		goto fail;
	snprintf(name, sizeof(name), "%s.json", key);
	/* jansson's default separators are Python's (", " and ": "), so the file reads like one botocore wrote. */
	root = build_response(c);
	text = root ? json_dumps(root, 0) : NULL;
	if (!text)
		goto fail;
	result = write_atomic(dir, name, text, strlen(text));
fail:
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	json_free_secret(root);
	return result;
}

/* Unlinks path; ENOENT is fine. */
static int remove_file(const char *path, bool *removed)
{
	bool gone = unlink(path) == 0;

	if (removed)
		*removed = gone;
	if (!gone && errno != ENOENT) {
		log_warn("cannot remove %s", path);
		return C_ERR;
	}
	return C_OK;
}

int cache_aws_delete(const char *key, bool *removed)
{
	char dir[PATH_CAP], path[PATH_CAP];

	if (removed)
		*removed = false;
	if (!key_ok(key) || cache_aws_dir(dir, sizeof(dir)) != C_OK ||
	    snprintf(path, sizeof(path), "%s/%s.json", dir, key) >= (int)sizeof(path))
		return C_ERR;
	return remove_file(path, removed);
}

/* ---- the MFA cache's key ---------------------------------------------------------------------------------------- */

/* From keyutils.h (not in <linux/keyctl.h>): the permission bits of a key. */
#define KEY_POS_ALL 0x3f000000u
#define KEY_USR_VIEW 0x00010000u
#define KEY_USR_READ 0x00020000u
#define KEY_USR_SEARCH 0x00080000u

#define MFA_KEY_FILE "key"
#define MFA_MAGIC "RGMFA001"
#define MFA_MAGIC_LEN 8
#define MFA_AAD "rolegate mfa cache v1\n"

int cache_mfa_dir(char *out, size_t cap)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home;
	char hbuf[PATH_CAP];

	/* The XDG base-directory spec: a relative XDG_CACHE_HOME is invalid and ignored. */
	if (xdg && xdg[0] == '/')
		return snprintf(out, cap, "%s/rolegate", xdg) < (int)cap ? C_OK : C_ERR;
	home = home_dir(hbuf, sizeof(hbuf));
	if (!home || snprintf(out, cap, "%s/.cache/rolegate", home) >= (int)cap)
		return C_ERR;
	return C_OK;
}

/*
 * The keyring: rolegate talks to the kernel through the three system calls (add_key, keyctl) rather than
 * libkeyutils, whose wrappers are one line each; one less library to install and link.
 *
 * Which keyring: the *user* keyring (@u). It is shared by every process of this uid, so one MFA prompt serves every
 * terminal, tmux pane, IDE and cron job, which is the point of the cache; it lives until the user's last process
 * exits (or reboot). The session keyring would be narrower, but each login, ssh connection or terminal started by
 * pam_keyinit gets a new one, so every new terminal would ask for an MFA code again - the complaint rolegate is
 * meant to fix - and what it keeps from other processes of the same uid is little: they can read the key file
 * fallback, ~/.aws/credentials, or ptrace the shell anyway. The key is readable by the possessor and the user
 * (view/read/search), which is exactly the reach of a 0600 file.
 *
 * The key's description names the cache directory (a hash of its path), so two homes (or a test's temporary
 * one) never share or clobber each other's key.
 */
static bool keyring_wanted(void)
{
	const char *off = getenv("ROLEGATE_NO_KEYRING");

	if (off && off[0])
		return false;
	/* Looks up (creating if needed) the user keyring: fails with ENOSYS/EPERM where seccomp or the kernel refuse. */
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 1) >= 0;
}

const char *cache_mfa_key_store(void)
{
	return keyring_wanted() ? "keyring" : "file";
}

static void key_description(const char *dir, char out[64])
{
	char hex[SHA256_HEX_LEN + 1];

	crypto_sha256_hex(dir, strlen(dir), hex);
	snprintf(out, 64, "rolegate:mfa-cache:%.16s", hex);
}

/* Reads the key from the user keyring; when it is not there and create is set, adds a new random one. */
static int keyring_key(const char *dir, bool create, uint8_t key[AEAD_KEY_LEN])
{
	char desc[64];
	uint8_t got[AEAD_KEY_LEN + 1];
	long id, n;
	int result = C_ERR;

	key_description(dir, desc);
	id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", desc, 0);
	if (id < 0) {
		if (!create)
			goto fail;
		if (crypto_random(key, AEAD_KEY_LEN) != C_OK)
			goto fail;
		/*
		 * add_key replaces the payload of a key with the same description: two first runs racing could each
		 * seal under their own key, and the loser's file then no longer opens (one extra MFA prompt, nothing
		 * worse). Reading the key back below makes both continue with the survivor.
		 */
		id = syscall(SYS_add_key, "user", desc, key, (size_t)AEAD_KEY_LEN, KEY_SPEC_USER_KEYRING);
		if (id < 0) {
			log_warn("cannot add the MFA cache key to the user keyring");
			goto fail;
		}
		if (syscall(SYS_keyctl, KEYCTL_SETPERM, id, KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ | KEY_USR_SEARCH) < 0)
			log_warn("cannot set the permissions of the MFA cache key");
	}
	n = syscall(SYS_keyctl, KEYCTL_READ, id, got, sizeof(got));
	if (n != AEAD_KEY_LEN)
		goto fail;
	memcpy(key, got, AEAD_KEY_LEN);
	result = C_OK;
fail:
	explicit_bzero(got, sizeof(got));
	if (result != C_OK)
		explicit_bzero(key, AEAD_KEY_LEN);
	return result;
}

/* Reads a key file: a regular file of AEAD_KEY_LEN bytes, ours, not readable by group or others. */
static int keyfile_read(const char *path, uint8_t key[AEAD_KEY_LEN])
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY), result = C_ERR;
	ssize_t n;

	if (fd < 0)
		return C_ERR;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != AEAD_KEY_LEN) {
		errno = EINVAL;
		goto fail;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		/* Someone else could have read it: do not trust it and let a new key replace it. */
		log_warnx("%s: not private to this user (mode %03o); replacing it", path, (unsigned)(st.st_mode & 0777));
		errno = EPERM;
		goto fail;
	}
	do
		n = read(fd, key, AEAD_KEY_LEN);
	while (n < 0 && errno == EINTR);
	if (n == AEAD_KEY_LEN)
		result = C_OK;
	else
		errno = EIO;
fail:
	if (result != C_OK) {
		int saved = errno;
		explicit_bzero(key, AEAD_KEY_LEN);
		close(fd);
		errno = saved;
		return C_ERR;
	}
	close(fd);
	return result;
}

/*
 * The key-file fallback. The file is created with link(2) from a complete temporary file, which fails when another
 * process got there first: every process ends up with the same key, never a half-written one.
 */
static int file_key(const char *dir, bool create, uint8_t key[AEAD_KEY_LEN])
{
	char path[PATH_CAP], tmp[PATH_CAP];
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, MFA_KEY_FILE) >= (int)sizeof(path))
		return C_ERR;
	if (keyfile_read(path, key) == C_OK)
		return C_OK;
	if (!create)
		return C_ERR;
	/* There but unusable (wrong size, type or owner, readable by others): a new key replaces it. */
	if (errno != ENOENT && unlink(path) != 0 && errno != ENOENT) {
		log_warn("cannot replace %s", path);
		return C_ERR;
	}
	if (crypto_random(key, AEAD_KEY_LEN) != C_OK || write_temp(dir, MFA_KEY_FILE, key, AEAD_KEY_LEN, tmp) != C_OK) {
		explicit_bzero(key, AEAD_KEY_LEN);
		return C_ERR;
	}
	rc = link(tmp, path);
	unlink(tmp);
	if (rc != 0 && errno != EEXIST) {
		log_warn("cannot create %s", path);
		explicit_bzero(key, AEAD_KEY_LEN);
		return C_ERR;
	}
	file_fsync_dir(dir);
	/* Whether ours or a racing process's won, the file now holds the key everyone uses. */
	return keyfile_read(path, key);
}

static int mfa_key(const char *dir, bool create, uint8_t key[AEAD_KEY_LEN])
{
	if (create && mkdir_p(dir) != C_OK)
		return C_ERR;
	return keyring_wanted() ? keyring_key(dir, create, key) : file_key(dir, create, key);
}

/* ---- the MFA cache ---------------------------------------------------------------------------------------------- */

/* dir and the file name for serial: "mfa-<sha256 hex of the serial>.bin". */
static int mfa_paths(const char *serial, char dir[PATH_CAP], char name[80])
{
	char hex[SHA256_HEX_LEN + 1];

	if (!serial || !serial[0] || strlen(serial) > 2048 || cache_mfa_dir(dir, PATH_CAP) != C_OK)
		return C_ERR;
	crypto_sha256_hex(serial, strlen(serial), hex);
	snprintf(name, 80, "mfa-%s.bin", hex);
	return C_OK;
}

/* The associated data binding a sealed file to its serial: moving it under another serial's name breaks it. */
static int mfa_aad(const char *serial, struct buf *aad)
{
	return buf_puts(aad, MFA_AAD) == C_OK && buf_puts(aad, serial) == C_OK ? C_OK : C_ERR;
}

int cache_mfa_read(const char *serial, int64_t min_remaining_s, struct cache_creds *out)
{
	char dir[PATH_CAP], name[80], path[PATH_CAP * 2];
	uint8_t key[AEAD_KEY_LEN];
	struct buf b, aad;
	uint8_t *plain = NULL;
	size_t plen = 0;
	json_t *root = NULL, *sn;
	int result = C_ERR;

	buf_init(&b, MFA_FILE_MAX);
	buf_init(&aad, 4096);
	explicit_bzero(key, sizeof(key));
	cache_creds_clear(out);
	if (mfa_paths(serial, dir, name) != C_OK)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_capped(path, MFA_FILE_MAX, &b) != C_OK) {
		if (errno != ENOENT)
			log_warn("ignoring the cached MFA session %s", path);
		goto fail;
	}
	if (b.len < MFA_MAGIC_LEN + AEAD_OVERHEAD || memcmp(b.p, MFA_MAGIC, MFA_MAGIC_LEN) != 0) {
		log_warnx("ignoring the cached MFA session %s: not a rolegate cache file", path);
		goto fail;
	}
	if (mfa_key(dir, false, key) != C_OK) {
		log_debug("no MFA cache key (%s): ignoring %s", cache_mfa_key_store(), path);
		goto fail;
	}
	plen = b.len - MFA_MAGIC_LEN - AEAD_OVERHEAD;
	plain = malloc(plen + 1);
	if (!plain || mfa_aad(serial, &aad) != C_OK)
		goto fail;
	if (aead_open(key, aad.p, aad.len, (const uint8_t *)b.p + MFA_MAGIC_LEN, b.len - MFA_MAGIC_LEN, plain) !=
	    C_OK) {
		log_warnx("ignoring the cached MFA session %s: it does not open under the cache key", path);
		goto fail;
	}
	root = json_loadb((const char *)plain, plen, JSON_REJECT_DUPLICATES, NULL);
	sn = root ? json_object_get(root, "SerialNumber") : NULL;
	if (!sn || !json_is_string(sn) || strcmp(json_string_value(sn), serial) != 0 ||
	    parse_response(root, out) != C_OK) {
		log_warnx("ignoring the cached MFA session %s: malformed", path);
		goto fail;
	}
	if (expires_within(out->expiration_s, min_remaining_s))
		goto fail;
	result = C_OK;
fail:
	if (result != C_OK)
		cache_creds_clear(out);
	explicit_bzero(key, sizeof(key));
	if (plain) {
		explicit_bzero(plain, plen);
		free(plain);
	}
	json_free_secret(root);
	buf_free_secret(&b);
	buf_free(&aad);
	return result;
}

int cache_mfa_write(const char *serial, const struct cache_creds *c)
{
	char dir[PATH_CAP], name[80];
	uint8_t key[AEAD_KEY_LEN];
	struct buf aad, file;
	json_t *root = NULL;
	char *text = NULL;
	size_t tlen = 0;
	int result = C_ERR;

	buf_init(&aad, 4096);
	buf_init(&file, MFA_FILE_MAX);
	explicit_bzero(key, sizeof(key));
	if (!creds_ok(c) || mfa_paths(serial, dir, name) != C_OK || !utf8_valid(serial, strlen(serial)))
		goto fail;
	root = build_response(c);
	if (!root || json_object_set_new(root, "SerialNumber", json_string(serial)))
		goto fail;
	text = json_dumps(root, JSON_COMPACT);
	if (!text)
		goto fail;
	tlen = strlen(text);
	if (MFA_MAGIC_LEN + AEAD_OVERHEAD + tlen > MFA_FILE_MAX || mfa_aad(serial, &aad) != C_OK ||
	    mfa_key(dir, true, key) != C_OK)
		goto fail;
	/* The file: magic, then the sealed blob written straight into the buffer's storage. */
	if (buf_append(&file, MFA_MAGIC, MFA_MAGIC_LEN) != C_OK)
		goto fail;
	for (size_t i = 0; i < AEAD_OVERHEAD + tlen; i++)
		if (buf_putc(&file, 0) != C_OK)
			goto fail;
	if (aead_seal(key, aad.p, aad.len, text, tlen, (uint8_t *)file.p + MFA_MAGIC_LEN) != C_OK)
		goto fail;
	result = write_atomic(dir, name, file.p, file.len);
fail:
	explicit_bzero(key, sizeof(key));
	if (text) {
		explicit_bzero(text, tlen);
		free(text);
	}
	json_free_secret(root);
	buf_free(&aad);
	buf_free(&file);
	return result;
}

int cache_mfa_delete(const char *serial, bool *removed)
{
	char dir[PATH_CAP], name[80], path[PATH_CAP * 2];

	if (removed)
		*removed = false;
	if (mfa_paths(serial, dir, name) != C_OK)
		return C_ERR;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return remove_file(path, removed);
}

int cache_mfa_clear(void)
{
	char dir[PATH_CAP], path[PATH_CAP * 2], desc[64];
	struct dirent *e;
	DIR *d;
	long id;
	int result = C_OK;

	if (cache_mfa_dir(dir, sizeof(dir)) != C_OK)
		return C_ERR;
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d)) != NULL) {
			const char *n = e->d_name;
			size_t len = strlen(n);
			/* Sealed sessions, their leftover temporary files, and the key file. */
			bool ours = (strncmp(n, "mfa-", 4) == 0 && len > 8 && strcmp(n + len - 4, ".bin") == 0) ||
			            strncmp(n, ".mfa-", 5) == 0 || strncmp(n, "." MFA_KEY_FILE ".", 5) == 0 ||
			            strcmp(n, MFA_KEY_FILE) == 0;
			if (!ours)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, n);
			if (unlink(path) != 0 && errno != ENOENT) {
				log_warn("cannot remove %s", path);
				result = C_ERR;
			}
		}
		closedir(d);
	} else if (errno != ENOENT) {
		log_warn("cannot read %s", dir);
		result = C_ERR;
	}
	/* Forget the keyring key too (whatever the store in use now: the switch may have changed). */
	key_description(dir, desc);
	id = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", desc, 0);
	if (id >= 0 && syscall(SYS_keyctl, KEYCTL_INVALIDATE, id) < 0 &&
	    syscall(SYS_keyctl, KEYCTL_UNLINK, id, KEY_SPEC_USER_KEYRING) < 0) {
		log_warn("cannot remove the MFA cache key from the user keyring");
		result = C_ERR;
	}
	return result;
}
