/*
 * test_sigv4.c - tests src/aws/sigv4.c.
 *
 * Against every case of AWS's SigV4 test suite, in both the Authorization-header and the presigned (query) variant:
 * the canonical request, string to sign and signature; sigv4_sign_header reproducing the signed request; full
 * verification (parse, time check, key derivation, verify) of *-signed-request.txt; and single changes to each
 * signed request (method, path, query, each signed header, body, date, scope, key, signature) that the verifier
 * must reject. Then the time window and its messages, parse errors, and a sign/verify round trip. The canonical query
 * at every encoding corner is the re-encoding of what the action's decoder (form_next) sees: a signed %2B rewritten
 * to '+' no longer verifies.
 *
 * The suite is read from $ROLEGATE_SIGV4_SUITE when set, else from tests/data/aws-signing-test-suite
 * (relative to the repository root, where the tests run).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "aws/form.h"
#include "aws/sigv4.h"
#include "util/buf.h"
#include "util/common.h"
#include "util/crypto.h"

#define SUITE_DEFAULT "tests/data/aws-signing-test-suite"
#define SUITE_CASES 38
#define MAX_CASES 128
#define TEXT_MAX (1024 * 1024)

/* ---- small helpers --------------------------------------------------------------------------------------------- */

static int nfail; /* failed checks in the current test; every suite test ends with assert_int_equal(nfail, 0) */

#define CHECK(cond, ...)                                                                                            \
	do {                                                                                                        \
		if (!(cond)) {                                                                                      \
			nfail++;                                                                                    \
			print_error("%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);                        \
			print_error(__VA_ARGS__);                                                                   \
			print_error("\n");                                                                          \
		}                                                                                                   \
	} while (0)

static void check_streq(const char *where, const char *what, const char *expected, const char *got)
{
	if (strcmp(expected, got) != 0) {
		nfail++;
		print_error("%s: %s differs\n--- expected:\n%s\n--- got:\n%s\n---\n", where, what, expected, got);
	}
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* Replaces *dst (freed) with s (taken). */
static void replace(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

/* Returns a copy of s with the first occurrence of from replaced by to, or NULL when from does not occur. */
static char *replace_first(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);

	if (!at)
		return NULL;
	return xprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* Reads dir/name whole; NUL-terminated; NULL when unreadable. */
static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[PATH_MAX];
	FILE *f;
	long n;
	char *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > TEXT_MAX || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	s = malloc((size_t)n + 1);
	if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		fclose(f);
		return NULL;
	}
	s[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return s;
}

/* Strips trailing newlines in place. */
static char *chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* "YYYYMMDDTHHMMSSZ" <-> seconds, done here independently of sigv4_format_time/sigv4_parse_time. */
static void fmt_amz(int64_t t, char out[17])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int64_t parse_amz(const char *s)
{
	struct tm tm = {0};
	const char *end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);

	return end && *end == '\0' ? (int64_t)timegm(&tm) : -1;
}

/* ---- raw HTTP requests ----------------------------------------------------------------------------------------- */

struct hdr {
	char *name;
	char *value;
};

struct http {
	char *method;
	char *path;
	char *query; /* after '?'; NULL when the target has none */
	struct hdr *h;
	size_t nh;
	char *body; /* never NULL */
	size_t body_len;
};

static void http_free(struct http *r)
{
	free(r->method);
	free(r->path);
	free(r->query);
	for (size_t i = 0; i < r->nh; i++) {
		free(r->h[i].name);
		free(r->h[i].value);
	}
	free(r->h);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void hdr_add(struct http *r, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct hdr *h = realloc(r->h, (r->nh + 1) * sizeof(*h));

	if (!h)
		abort();
	r->h = h;
	r->h[r->nh].name = xstrndup(name, nlen);
	r->h[r->nh].value = xstrndup(value, vlen);
	r->nh++;
}

static void hdr_adds(struct http *r, const char *name, const char *value)
{
	hdr_add(r, name, strlen(name), value, strlen(value));
}

static void hdr_remove(struct http *r, size_t i)
{
	free(r->h[i].name);
	free(r->h[i].value);
	memmove(&r->h[i], &r->h[i + 1], (r->nh - i - 1) * sizeof(r->h[0]));
	r->nh--;
}

/* Index of the first header called name (any case), or -1. */
static long hdr_find(const struct http *r, const char *name)
{
	for (size_t i = 0; i < r->nh; i++)
		if (strcasecmp(r->h[i].name, name) == 0)
			return (long)i;
	return -1;
}

static void http_clone(const struct http *src, struct http *dst)
{
	memset(dst, 0, sizeof(*dst));
	dst->method = xstrdup(src->method);
	dst->path = xstrdup(src->path);
	dst->query = src->query ? xstrdup(src->query) : NULL;
	for (size_t i = 0; i < src->nh; i++)
		hdr_adds(dst, src->h[i].name, src->h[i].value);
	dst->body = xstrndup(src->body, src->body_len);
	dst->body_len = src->body_len;
}

/*
 * Parses a raw request: "METHOD target HTTP/1.1", "Name:value" lines (a line starting with whitespace continues the
 * previous value, joined with its newline kept), a blank line, then the body. The target is everything between the
 * first space and the last " HTTP/" (it may hold raw spaces and UTF-8). C_ERR when malformed.
 */
static int http_parse(const char *text, size_t len, struct http *out)
{
	const char *p = text, *end = text + len, *eol, *sp, *ver = NULL, *target, *q;
	size_t ll, tlen;

	memset(out, 0, sizeof(*out));
	eol = memchr(p, '\n', len);
	ll = (size_t)((eol ? eol : end) - p);
	if (ll && p[ll - 1] == '\r')
		ll--;
	sp = memchr(p, ' ', ll);
	for (const char *s = p; s + 6 <= p + ll; s++)
		if (memcmp(s, " HTTP/", 6) == 0)
			ver = s;
	if (!sp || !ver || ver <= sp)
		return C_ERR;
	out->method = xstrndup(p, (size_t)(sp - p));
	target = sp + 1;
	tlen = (size_t)(ver - target);
	q = memchr(target, '?', tlen);
	out->path = xstrndup(target, q ? (size_t)(q - target) : tlen);
	if (q)
		out->query = xstrndup(q + 1, tlen - (size_t)(q + 1 - target));
	p = eol ? eol + 1 : end;
	while (p < end) {
		const char *le, *next, *colon;
		eol = memchr(p, '\n', (size_t)(end - p));
		le = eol ? eol : end;
		next = eol ? eol + 1 : end;
		ll = (size_t)(le - p);
		if (ll && p[ll - 1] == '\r')
			ll--;
		if (ll == 0) {
			p = next;
			break;
		}
		if (p[0] == ' ' || p[0] == '\t') {
			struct hdr *last;
			if (out->nh == 0)
				goto fail;
			last = &out->h[out->nh - 1];
			replace(&last->value, xprintf("%s\n%.*s", last->value, (int)ll, p));
		} else {
			colon = memchr(p, ':', ll);
			if (!colon)
				goto fail;
			hdr_add(out, p, (size_t)(colon - p), colon + 1, ll - (size_t)(colon + 1 - p));
		}
		p = next;
	}
	out->body_len = (size_t)(end - p);
	out->body = xstrndup(p, out->body_len);
	return C_OK;
fail:
	http_free(out);
	return C_ERR;
}

static int http_load(const char *dir, const char *name, struct http *out)
{
	size_t len;
	char *text = slurp(dir, name, &len);
	int rc;

	if (!text)
		return C_ERR;
	rc = http_parse(text, len, out);
	free(text);
	return rc;
}

/* A struct sigv4_request viewing a struct http, with payload_hash computed from the body as a server would. */
struct view {
	struct sigv4_request req;
	struct sigv4_header *hv;
};

static void view_init(struct view *v, const struct http *r, bool normalize)
{
	memset(v, 0, sizeof(*v));
	v->hv = calloc(r->nh ? r->nh : 1, sizeof(*v->hv));
	if (!v->hv)
		abort();
	for (size_t i = 0; i < r->nh; i++) {
		v->hv[i].name = r->h[i].name;
		v->hv[i].name_len = strlen(r->h[i].name);
		v->hv[i].value = r->h[i].value;
		v->hv[i].value_len = strlen(r->h[i].value);
	}
	v->req.method = r->method;
	v->req.path = r->path;
	v->req.path_len = strlen(r->path);
	v->req.query = r->query;
	v->req.query_len = r->query ? strlen(r->query) : 0;
	v->req.headers = v->hv;
	v->req.nheaders = r->nh;
	crypto_sha256_hex(r->body, r->body_len, v->req.payload_hash);
	v->req.normalize_path = normalize;
}

static void view_free(struct view *v)
{
	free(v->hv);
	v->hv = NULL;
}

/* What a server does: parse, check the time at now, derive the key for the claimed scope from secret, verify. */
static int verify_full(const struct http *r, bool normalize, const char *secret, int64_t now, struct sigv4_auth *auth,
                       struct sigv4_error *err)
{
	struct view v;
	uint8_t key[SHA256_LEN];
	int rc;

	view_init(&v, r, normalize);
	rc = sigv4_parse(&v.req, auth, err);
	if (rc == C_OK)
		rc = sigv4_check_time(auth, now, err);
	if (rc == C_OK) {
		sigv4_signing_key(secret, strlen(secret), auth->scope_date, auth->region, auth->service, key);
		rc = sigv4_verify(&v.req, auth, key, err);
	}
	view_free(&v);
	return rc;
}

/* ---- query strings --------------------------------------------------------------------------------------------- */

/* Splits q on '&' into malloc'd segments (kept verbatim so that joining gives q back). */
static size_t query_split(const char *q, char ***segs)
{
	size_t n = 0;
	const char *p = q;

	*segs = NULL;
	for (;;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		char **s = realloc(*segs, (n + 1) * sizeof(*s));
		if (!s)
			abort();
		*segs = s;
		s[n++] = xstrndup(p, len);
		if (!amp)
			return n;
		p = amp + 1;
	}
}

static char *query_join(char **segs, size_t n)
{
	struct buf b;
	char *s;

	buf_init(&b, TEXT_MAX);
	for (size_t i = 0; i < n; i++)
		if ((i && buf_putc(&b, '&') != C_OK) || buf_puts(&b, segs[i]) != C_OK)
			abort();
	s = buf_steal(&b);
	if (!s)
		abort();
	return s;
}

static void segs_free(char **segs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(segs[i]);
	free(segs);
}

/* Returns a copy of q where the value of the first parameter called name is replaced by value (NULL: absent). */
static char *query_set(const char *q, const char *name, const char *value)
{
	char **segs, *res = NULL;
	size_t n = query_split(q, &segs), nlen = strlen(name);

	for (size_t i = 0; i < n; i++) {
		if (strncmp(segs[i], name, nlen) == 0 && segs[i][nlen] == '=') {
			replace(&segs[i], xprintf("%s=%s", name, value));
			res = query_join(segs, n);
			break;
		}
	}
	segs_free(segs, n);
	return res;
}

/* Returns the raw value of the first parameter called name (malloc'd), or NULL. */
static char *query_get(const char *q, const char *name)
{
	char **segs, *res = NULL;
	size_t n = query_split(q, &segs), nlen = strlen(name);

	for (size_t i = 0; i < n && !res; i++)
		if (strncmp(segs[i], name, nlen) == 0 && segs[i][nlen] == '=')
			res = xstrdup(segs[i] + nlen + 1);
	segs_free(segs, n);
	return res;
}

/* ---- the suite ------------------------------------------------------------------------------------------------- */

static char suite_v4[PATH_MAX];
static char *case_names[MAX_CASES];
static size_t ncases;

struct ctx {
	const char *name;
	char dir[PATH_MAX + 512];
	char akid[128];
	char secret[256];
	char token[4096]; /* "" when the credentials have none */
	char region[64];
	char service[64];
	bool normalize, sign_body, omit_token;
	int64_t expires;
	int64_t now; /* the case's timestamp */
	char amz_date[17];
	char date8[9];
	char scope[256];
};

enum variant { V_HEADER, V_QUERY };

static const char *vname(enum variant v)
{
	return v == V_HEADER ? "header" : "query";
}

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Finds the suite's v4 folder and lists its case folders (those holding a context.json), sorted. */
static void suite_list(void)
{
	const char *root = getenv("ROLEGATE_SIGV4_SUITE");
	DIR *d;
	struct dirent *e;

	if (!root || !*root)
		root = SUITE_DEFAULT;
	snprintf(suite_v4, sizeof(suite_v4), "%s/v4", root);
	if (!is_dir(suite_v4))
		snprintf(suite_v4, sizeof(suite_v4), "%s", root); /* the variable may name the v4 folder itself */
	d = opendir(suite_v4);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL && ncases < MAX_CASES) {
		char path[PATH_MAX + 300];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/context.json", suite_v4, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			case_names[ncases++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(case_names, ncases, sizeof(case_names[0]), name_cmp);
}

static bool json_str(json_t *obj, const char *key, char *dst, size_t cap)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (!s || strlen(s) >= cap)
		return false;
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

/* Loads case i's context.json. false (with a message) when it cannot. */
static bool ctx_load(size_t i, struct ctx *c)
{
	json_error_t jerr;
	json_t *j, *creds, *v;
	char path[PATH_MAX + 512 + 32];
	struct tm tm = {0};
	const char *ts, *end;
	bool ok;

	memset(c, 0, sizeof(*c));
	c->name = case_names[i];
	snprintf(c->dir, sizeof(c->dir), "%s/%s", suite_v4, case_names[i]);
	snprintf(path, sizeof(path), "%s/context.json", c->dir);
	j = json_load_file(path, 0, &jerr);
	if (!j) {
		print_error("%s: %s\n", path, jerr.text);
		return false;
	}
	creds = json_object_get(j, "credentials");
	ok = json_str(creds, "access_key_id", c->akid, sizeof(c->akid)) &&
	     json_str(creds, "secret_access_key", c->secret, sizeof(c->secret)) &&
	     json_str(j, "region", c->region, sizeof(c->region)) && json_str(j, "service", c->service, sizeof(c->service));
	if (json_object_get(creds, "token"))
		ok = ok && json_str(creds, "token", c->token, sizeof(c->token));
	c->normalize = json_is_true(json_object_get(j, "normalize"));
	c->sign_body = json_is_true(json_object_get(j, "sign_body"));
	c->omit_token = json_is_true(json_object_get(j, "omit_session_token"));
	v = json_object_get(j, "expiration_in_seconds");
	c->expires = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
	ok = ok && json_is_boolean(json_object_get(j, "normalize")) && c->expires > 0;
	ts = json_string_value(json_object_get(j, "timestamp"));
	end = ts ? strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	ok = ok && end && *end == '\0';
	json_decref(j);
	if (!ok) {
		print_error("%s: missing or malformed fields\n", path);
		return false;
	}
	c->now = (int64_t)timegm(&tm);
	fmt_amz(c->now, c->amz_date);
	memcpy(c->date8, c->amz_date, 8);
	snprintf(c->scope, sizeof(c->scope), "%s/%s/%s/aws4_request", c->date8, c->region, c->service);
	return true;
}

/* Runs fn on every case; each failure is counted in nfail. */
static void for_each_case(void (*fn)(const struct ctx *c))
{
	struct ctx *c = malloc(sizeof(*c));

	if (!c)
		abort();
	for (size_t i = 0; i < ncases; i++) {
		if (!ctx_load(i, c)) {
			nfail++;
			continue;
		}
		fn(c);
	}
	free(c);
}

static void require_suite(void)
{
	if (ncases != SUITE_CASES)
		print_error("expected %d cases in %s (set ROLEGATE_SIGV4_SUITE), found %zu\n", SUITE_CASES, suite_v4,
		            ncases);
	assert_int_equal(ncases, SUITE_CASES);
}

static void test_suite_layout(void **state)
{
	static const char *files[] = {"context.json", "request.txt", "header-canonical-request.txt",
	                              "header-string-to-sign.txt", "header-signature.txt", "header-signed-request.txt",
	                              "query-canonical-request.txt", "query-string-to-sign.txt", "query-signature.txt",
	                              "query-signed-request.txt"};
	struct ctx c;

	(void)state;
	require_suite();
	nfail = 0;
	for (size_t i = 0; i < ncases; i++) {
		CHECK(ctx_load(i, &c), "%s: context.json", case_names[i]);
		for (size_t k = 0; k < ARRAY_LEN(files); k++) {
			char *s = slurp(c.dir, files[k], NULL);
			CHECK(s != NULL, "%s/%s unreadable", case_names[i], files[k]);
			free(s);
		}
	}
	assert_int_equal(nfail, 0);
}

/* Splits the expected canonical request's last two lines: the signed-header list and the payload hash. */
static bool expected_tail(const char *canon, char *signed_headers, size_t shcap, char *payload, size_t pcap)
{
	const char *last = strrchr(canon, '\n'), *prev;

	if (!last || last == canon)
		return false;
	for (prev = last - 1; prev > canon && *prev != '\n'; prev--)
		;
	if (*prev != '\n' || (size_t)(last - prev - 1) >= shcap || strlen(last + 1) >= pcap)
		return false;
	memcpy(signed_headers, prev + 1, (size_t)(last - prev - 1));
	signed_headers[last - prev - 1] = '\0';
	memcpy(payload, last + 1, strlen(last + 1) + 1);
	return true;
}

/* request.txt with what a header signer adds: X-Amz-Date, the session token (unless omitted), the body hash. */
static int header_request(const struct ctx *c, struct http *r)
{
	char hash[SHA256_HEX_LEN + 1];

	if (http_load(c->dir, "request.txt", r) != C_OK)
		return C_ERR;
	crypto_sha256_hex(r->body, r->body_len, hash);
	hdr_adds(r, "X-Amz-Date", c->amz_date);
	if (c->token[0] && !c->omit_token)
		hdr_adds(r, "X-Amz-Security-Token", c->token);
	if (c->sign_body)
		hdr_adds(r, "x-amz-content-sha256", hash);
	return C_OK;
}

/* request.txt with the request line (and so the X-Amz-* parameters) of query-signed-request.txt. */
static int query_request(const struct ctx *c, struct http *r)
{
	struct http s;

	if (http_load(c->dir, "request.txt", r) != C_OK)
		return C_ERR;
	if (http_load(c->dir, "query-signed-request.txt", &s) != C_OK) {
		http_free(r);
		return C_ERR;
	}
	replace(&r->method, xstrdup(s.method));
	replace(&r->path, xstrdup(s.path));
	replace(&r->query, s.query ? xstrdup(s.query) : NULL);
	http_free(&s);
	/* With omit_session_token the signer adds X-Amz-Security-Token only after signing. */
	if (c->omit_token && r->query) {
		char **segs;
		size_t n = query_split(r->query, &segs), k = 0;
		for (size_t i = 0; i < n; i++) {
			if (strncmp(segs[i], "X-Amz-Security-Token=", 21) == 0)
				free(segs[i]);
			else
				segs[k++] = segs[i];
		}
		replace(&r->query, query_join(segs, k));
		segs_free(segs, k);
	}
	return C_OK;
}

static void canonical_variant(const struct ctx *c, enum variant var)
{
	struct http r;
	struct view v;
	struct buf canon, sts;
	char fname[64], where[256], signed_headers[1024], payload[128], body_hash[SHA256_HEX_LEN + 1], sig[65];
	char *exp_canon, *exp_sts, *exp_sig;
	uint8_t key[SHA256_LEN];
	const char *pre = vname(var);

	snprintf(where, sizeof(where), "%s (%s)", c->name, pre);
	if ((var == V_HEADER ? header_request(c, &r) : query_request(c, &r)) != C_OK) {
		CHECK(0, "%s: cannot parse the request", where);
		return;
	}
	snprintf(fname, sizeof(fname), "%s-canonical-request.txt", pre);
	exp_canon = slurp(c->dir, fname, NULL);
	snprintf(fname, sizeof(fname), "%s-string-to-sign.txt", pre);
	exp_sts = slurp(c->dir, fname, NULL);
	snprintf(fname, sizeof(fname), "%s-signature.txt", pre);
	exp_sig = slurp(c->dir, fname, NULL);
	buf_init(&canon, TEXT_MAX);
	buf_init(&sts, TEXT_MAX);
	view_init(&v, &r, c->normalize);
	crypto_sha256_hex(r.body, r.body_len, body_hash);
	if (!exp_canon || !exp_sts || !exp_sig ||
	    !expected_tail(exp_canon, signed_headers, sizeof(signed_headers), payload, sizeof(payload))) {
		CHECK(0, "%s: expected files missing or malformed", where);
		goto done;
	}
	/* In this suite the payload line is always the body's hash (sign_body cases also send it as a header). */
	check_streq(where, "payload hash line", body_hash, payload);
	CHECK(sigv4_canonical_request(&v.req, signed_headers, var == V_QUERY, payload, &canon) == C_OK,
	      "%s: sigv4_canonical_request failed", where);
	check_streq(where, "canonical request", exp_canon, buf_str(&canon));
	CHECK(sigv4_string_to_sign(c->amz_date, c->scope, buf_str(&canon), &sts) == C_OK, "%s: string to sign", where);
	check_streq(where, "string to sign", exp_sts, buf_str(&sts));
	sigv4_signing_key(c->secret, strlen(c->secret), c->date8, c->region, c->service, key);
	sigv4_signature(key, buf_str(&sts), sts.len, sig);
	check_streq(where, "signature", chomp(exp_sig), sig);
done:
	view_free(&v);
	buf_free(&canon);
	buf_free(&sts);
	free(exp_canon);
	free(exp_sts);
	free(exp_sig);
	http_free(&r);
}

static void canonical_case(const struct ctx *c)
{
	canonical_variant(c, V_HEADER);
	canonical_variant(c, V_QUERY);
}

static void test_suite_canonical(void **state)
{
	(void)state;
	require_suite();
	nfail = 0;
	for_each_case(canonical_case);
	assert_int_equal(nfail, 0);
}

/* sigv4_sign_header over request.txt (plus X-Amz-Date etc.) must give header-signed-request.txt's Authorization. */
static void sign_case(const struct ctx *c)
{
	struct http r, s;
	struct view v;
	struct buf out;
	struct sigv4_credentials creds = {c->akid, c->secret, c->token[0] ? c->token : NULL};
	long ai;

	if (header_request(c, &r) != C_OK) {
		CHECK(0, "%s: cannot parse request.txt", c->name);
		return;
	}
	if (http_load(c->dir, "header-signed-request.txt", &s) != C_OK) {
		CHECK(0, "%s: cannot parse header-signed-request.txt", c->name);
		http_free(&r);
		return;
	}
	buf_init(&out, 8192);
	view_init(&v, &r, c->normalize);
	ai = hdr_find(&s, "authorization");
	CHECK(ai >= 0, "%s: no Authorization header in header-signed-request.txt", c->name);
	CHECK(sigv4_sign_header(&v.req, &creds, c->region, c->service, c->now, &out) == C_OK, "%s: sign", c->name);
	if (ai >= 0)
		check_streq(c->name, "Authorization header from sigv4_sign_header", s.h[ai].value, buf_str(&out));
	view_free(&v);
	buf_free(&out);
	http_free(&r);
	http_free(&s);
}

static void test_suite_sign_header(void **state)
{
	(void)state;
	require_suite();
	nfail = 0;
	for_each_case(sign_case);
	assert_int_equal(nfail, 0);
}

static void verify_variant(const struct ctx *c, enum variant var)
{
	struct http r;
	struct sigv4_auth *auth = calloc(1, sizeof(*auth));
	struct sigv4_error err = {0};
	char fname[64], where[256], *exp_sig;
	int rc;

	if (!auth)
		abort();
	snprintf(where, sizeof(where), "%s (%s)", c->name, vname(var));
	snprintf(fname, sizeof(fname), "%s-signed-request.txt", vname(var));
	if (http_load(c->dir, fname, &r) != C_OK) {
		CHECK(0, "%s: cannot parse %s", where, fname);
		free(auth);
		return;
	}
	snprintf(fname, sizeof(fname), "%s-signature.txt", vname(var));
	exp_sig = slurp(c->dir, fname, NULL);
	rc = verify_full(&r, c->normalize, c->secret, c->now, auth, &err);
	CHECK(rc == C_OK, "%s: rejected: %s: %s", where, err.code ? err.code : "?", err.message);
	if (rc == C_OK) {
		check_streq(where, "access key id", c->akid, auth->access_key_id);
		check_streq(where, "scope date", c->date8, auth->scope_date);
		check_streq(where, "region", c->region, auth->region);
		check_streq(where, "service", c->service, auth->service);
		check_streq(where, "signing time", c->amz_date, auth->amz_date);
		check_streq(where, "signature", exp_sig ? chomp(exp_sig) : "(missing)", auth->signature);
		/* Every signed request of a case with a token carries it, signed or (omit_session_token) not. */
		check_streq(where, "security token", c->token, auth->security_token);
		CHECK(auth->presigned == (var == V_QUERY), "%s: presigned flag", where);
		CHECK(auth->time_s == c->now, "%s: time_s", where);
		if (var == V_QUERY)
			CHECK(auth->expires_s == c->expires, "%s: expires %lld", where, (long long)auth->expires_s);
	}
	free(exp_sig);
	free(auth);
	http_free(&r);
}

static void verify_case(const struct ctx *c)
{
	verify_variant(c, V_HEADER);
	verify_variant(c, V_QUERY);
}

static void test_suite_verify(void **state)
{
	(void)state;
	require_suite();
	nfail = 0;
	for_each_case(verify_case);
	assert_int_equal(nfail, 0);
}

/* ---- mutations ------------------------------------------------------------------------------------------------- */

static size_t nmutations;

/* m (consumed) is the signed request with one change: a server must refuse it. */
static void expect_rejected(const struct ctx *c, enum variant var, struct http *m, const char *secret,
                            const char *what)
{
	struct sigv4_auth *auth = calloc(1, sizeof(*auth));
	struct sigv4_error err = {0};

	if (!auth)
		abort();
	nmutations++;
	CHECK(verify_full(m, c->normalize, secret, c->now, auth, &err) != C_OK, "%s (%s): accepted after %s", c->name,
	      vname(var), what);
	free(auth);
	http_free(m);
}

/* The same instant shifted by delta seconds, as "YYYYMMDDTHHMMSSZ". */
static void shift_amz(const char *amz, int64_t delta, char out[17])
{
	int64_t t = parse_amz(amz);

	fmt_amz(t < 0 ? 0 : t + delta, out);
}

/* Flips the last hex digit of a 64-digit signature in place. */
static void flip_digit(char *sig)
{
	size_t n = strlen(sig);

	if (n)
		sig[n - 1] = sig[n - 1] == '0' ? '1' : '0';
}

static void mutate_variant(const struct ctx *c, enum variant var)
{
	struct http base, m;
	struct sigv4_auth *auth = calloc(1, sizeof(*auth));
	struct sigv4_error err = {0};
	char fname[64], what[512], other_secret[256], shifted[17], *s;
	size_t before = nmutations;
	long i;

	if (!auth)
		abort();
	snprintf(fname, sizeof(fname), "%s-signed-request.txt", vname(var));
	if (http_load(c->dir, fname, &base) != C_OK) {
		CHECK(0, "%s: cannot parse %s", c->name, fname);
		free(auth);
		return;
	}
	/* The unchanged request must pass, or the rejections below would prove nothing. */
	if (verify_full(&base, c->normalize, c->secret, c->now, auth, &err) != C_OK) {
		CHECK(0, "%s (%s): the unchanged request is rejected: %s", c->name, vname(var), err.message);
		goto done;
	}

	/* method */
	http_clone(&base, &m);
	replace(&m.method, xstrdup(strcmp(base.method, "GET") == 0 ? "POST" : "GET"));
	expect_rejected(c, var, &m, c->secret, "method changed");

	/* path */
	http_clone(&base, &m);
	replace(&m.path, xprintf("%sx", base.path));
	expect_rejected(c, var, &m, c->secret, "path changed");

	/* query: a parameter added */
	http_clone(&base, &m);
	replace(&m.query, base.query && base.query[0] ? xprintf("%s&a=b", base.query) : xstrdup("a=b"));
	expect_rejected(c, var, &m, c->secret, "query parameter added");

	/* query: each parameter's value changed (not the signature itself, covered below) */
	if (base.query && base.query[0]) {
		char **segs;
		size_t n = query_split(base.query, &segs);
		for (size_t k = 0; k < n; k++) {
			char *eq = strchr(segs[k], '='), *old;
			const char *val;
			if (strncmp(segs[k], "X-Amz-Signature=", 16) == 0)
				continue;
			/* With omit_session_token the token is added after signing: it is not covered by the
			 * signature (the server checks it against the access key instead). */
			if (c->omit_token && strncmp(segs[k], "X-Amz-Security-Token=", 21) == 0)
				continue;
			old = segs[k];
			val = eq ? eq + 1 : "";
			if (*val && strspn(val, "0123456789") == strlen(val)) /* X-Amz-Expires: stay a valid number */
				segs[k] = xprintf("%.*s%lld", (int)(val - old), old, strtoll(val, NULL, 10) - 1);
			else
				segs[k] = xprintf("%sx", old);
			http_clone(&base, &m);
			replace(&m.query, query_join(segs, n));
			snprintf(what, sizeof(what), "query parameter %.60s changed", old);
			expect_rejected(c, var, &m, c->secret, what);
			free(segs[k]);
			segs[k] = old;
		}
		segs_free(segs, n);
	}

	/* each signed header: every line carrying it changed, and its first line removed */
	for (const char *p = auth->signed_headers; *p;) {
		size_t len = strcspn(p, ";");
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		p += len + (p[len] == ';');
		for (size_t k = 0; k < base.nh; k++) {
			if (strcasecmp(base.h[k].name, name) != 0)
				continue;
			http_clone(&base, &m);
			if (strcmp(name, "x-amz-date") == 0) {
				shift_amz(base.h[k].value, 86400, shifted); /* another day: scope mismatch */
				replace(&m.h[k].value, xstrdup(shifted));
			} else {
				replace(&m.h[k].value, xprintf("%sx", base.h[k].value));
			}
			snprintf(what, sizeof(what), "signed header %s (line %zu) changed", name, k + 2);
			expect_rejected(c, var, &m, c->secret, what);
		}
		i = hdr_find(&base, name);
		CHECK(i >= 0, "%s (%s): signed header %s absent", c->name, vname(var), name);
		if (i >= 0) {
			http_clone(&base, &m);
			hdr_remove(&m, (size_t)i);
			snprintf(what, sizeof(what), "signed header %s removed", name);
			expect_rejected(c, var, &m, c->secret, what);
		}
	}

	/* body: one byte more (payload_hash is recomputed from it, as a server does) */
	http_clone(&base, &m);
	replace(&m.body, xprintf("%.*sx", (int)base.body_len, base.body));
	m.body_len = base.body_len + 1;
	expect_rejected(c, var, &m, c->secret, "body changed");

	/* date: one second later, nothing else adjusted */
	http_clone(&base, &m);
	if (var == V_HEADER) {
		i = hdr_find(&m, "x-amz-date");
		CHECK(i >= 0, "%s: no X-Amz-Date", c->name);
		if (i >= 0) {
			shift_amz(m.h[i].value, 1, shifted);
			replace(&m.h[i].value, xstrdup(shifted));
		}
	} else {
		s = query_get(m.query, "X-Amz-Date");
		CHECK(s != NULL, "%s: no X-Amz-Date parameter", c->name);
		shift_amz(s ? s : "", 1, shifted);
		free(s);
		replace(&m.query, query_set(m.query, "X-Amz-Date", shifted));
	}
	expect_rejected(c, var, &m, c->secret, "date shifted by 1 s");

	/* scope: another region, then another service, in the credential */
	for (int k = 0; k < 2; k++) {
		char from[80], to[80];
		snprintf(from, sizeof(from), "%s%s%s", var == V_HEADER ? "/" : "%2F", k ? c->service : c->region,
		         var == V_HEADER ? "/" : "%2F");
		snprintf(to, sizeof(to), "%s%s%s", var == V_HEADER ? "/" : "%2F", k ? "iam" : "us-west-2",
		         var == V_HEADER ? "/" : "%2F");
		bool found = false;
		http_clone(&base, &m);
		if (var == V_HEADER) {
			i = hdr_find(&m, "authorization");
			s = i >= 0 ? replace_first(m.h[i].value, from, to) : NULL;
			found = s != NULL;
			if (s)
				replace(&m.h[i].value, s);
		} else {
			char *cred = query_get(m.query, "X-Amz-Credential");
			s = cred ? replace_first(cred, from, to) : NULL;
			found = s != NULL;
			if (s)
				replace(&m.query, query_set(m.query, "X-Amz-Credential", s));
			free(s);
			free(cred);
		}
		CHECK(found, "%s (%s): no %s in the credential", c->name, vname(var), from);
		expect_rejected(c, var, &m, c->secret, k ? "scope service changed" : "scope region changed");
	}

	/* key: another secret */
	snprintf(other_secret, sizeof(other_secret), "%s", c->secret);
	flip_digit(other_secret);
	http_clone(&base, &m);
	expect_rejected(c, var, &m, other_secret, "different secret key");

	/* the signature itself: one hex digit flipped */
	http_clone(&base, &m);
	if (var == V_HEADER) {
		char *sig;
		i = hdr_find(&m, "authorization");
		sig = i >= 0 ? strstr(m.h[i].value, "Signature=") : NULL;
		CHECK(sig != NULL, "%s: no Signature=", c->name);
		if (sig)
			flip_digit(sig);
	} else {
		s = query_get(m.query, "X-Amz-Signature");
		CHECK(s != NULL, "%s: no X-Amz-Signature", c->name);
		if (s) {
			flip_digit(s);
			replace(&m.query, query_set(m.query, "X-Amz-Signature", s));
			free(s);
		}
	}
	expect_rejected(c, var, &m, c->secret, "signature digit flipped");

	/* a sanity bound: at least method, path, query, host, body, date, 2 scopes, key, signature */
	CHECK(nmutations - before >= 11, "%s (%s): only %zu mutations", c->name, vname(var), nmutations - before);
done:
	free(auth);
	http_free(&base);
}

static void mutate_case(const struct ctx *c)
{
	mutate_variant(c, V_HEADER);
	mutate_variant(c, V_QUERY);
}

static void test_suite_mutations(void **state)
{
	(void)state;
	require_suite();
	nfail = 0;
	nmutations = 0;
	for_each_case(mutate_case);
	print_message("[          ] %zu mutations of %zu signed requests, all rejected unless reported above\n",
	              nmutations, 2 * ncases);
	assert_true(nmutations >= 2 * SUITE_CASES * 11);
	assert_int_equal(nfail, 0);
}

/* ---- time ------------------------------------------------------------------------------------------------------ */

/* Parses get-vanilla's signed request of the given variant into auth. */
static void vanilla_auth(enum variant var, struct sigv4_auth *auth, int64_t *ts)
{
	struct ctx c;
	struct http r;
	struct view v;
	struct sigv4_error err = {0};
	size_t i;
	char fname[64];

	require_suite();
	for (i = 0; i < ncases && strcmp(case_names[i], "get-vanilla") != 0; i++)
		;
	assert_true(i < ncases);
	assert_true(ctx_load(i, &c));
	snprintf(fname, sizeof(fname), "%s-signed-request.txt", vname(var));
	assert_int_equal(http_load(c.dir, fname, &r), C_OK);
	view_init(&v, &r, true);
	assert_int_equal(sigv4_parse(&v.req, auth, &err), C_OK);
	view_free(&v);
	http_free(&r);
	*ts = c.now;
}

static void test_time_window(void **state)
{
	struct sigv4_auth auth;
	struct sigv4_error err = {0};
	int64_t ts;
	const char *expired = "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
	                      "(20150830T125101Z - 15 min.)";
	const char *future = "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z "
	                     "(20150830T122059Z + 15 min.)";

	(void)state;
	vanilla_auth(V_HEADER, &auth, &ts);
	assert_string_equal(auth.amz_date, "20150830T123600Z");
	assert_false(auth.presigned);
	assert_int_equal(sigv4_check_time(&auth, ts, &err), C_OK);
	assert_int_equal(sigv4_check_time(&auth, ts + SIGV4_MAX_SKEW_S, &err), C_OK);
	assert_int_equal(sigv4_check_time(&auth, ts - SIGV4_MAX_SKEW_S, &err), C_OK);

	memset(&err, 0, sizeof(err));
	assert_int_equal(sigv4_check_time(&auth, ts + SIGV4_MAX_SKEW_S + 1, &err), C_ERR);
	assert_non_null(err.code);
	assert_string_equal(err.code, "SignatureDoesNotMatch");
	if (strncmp(err.message, expired, strlen(expired)) != 0)
		fail_msg("expired message: got '%s', want '%s'", err.message, expired);

	memset(&err, 0, sizeof(err));
	assert_int_equal(sigv4_check_time(&auth, ts - SIGV4_MAX_SKEW_S - 1, &err), C_ERR);
	assert_non_null(err.code);
	assert_string_equal(err.code, "SignatureDoesNotMatch");
	if (strncmp(err.message, future, strlen(future)) != 0)
		fail_msg("future message: got '%s', want '%s'", err.message, future);
}

static void test_time_presigned(void **state)
{
	struct sigv4_auth auth;
	struct sigv4_error err = {0};
	int64_t ts;

	(void)state;
	vanilla_auth(V_QUERY, &auth, &ts);
	assert_true(auth.presigned);
	assert_int_equal(auth.expires_s, 3600);
	/* Valid until X-Amz-Expires has passed, even beyond the 15-minute skew... */
	assert_int_equal(sigv4_check_time(&auth, ts, &err), C_OK);
	assert_int_equal(sigv4_check_time(&auth, ts + SIGV4_MAX_SKEW_S + 1, &err), C_OK);
	assert_int_equal(sigv4_check_time(&auth, ts + 3600, &err), C_OK);
	/* ...not one second more. */
	assert_int_equal(sigv4_check_time(&auth, ts + 3601, &err), C_ERR);
	assert_string_equal(err.code, "SignatureDoesNotMatch");
	if (strncmp(err.message, "Signature expired: ", 19) != 0)
		fail_msg("presigned expiry message: '%s'", err.message);
	/* Dated more than 15 minutes in the future. */
	assert_int_equal(sigv4_check_time(&auth, ts - SIGV4_MAX_SKEW_S, &err), C_OK);
	assert_int_equal(sigv4_check_time(&auth, ts - SIGV4_MAX_SKEW_S - 1, &err), C_ERR);
	if (strncmp(err.message, "Signature not yet current: 20150830T123600Z is still later than ", 64) != 0)
		fail_msg("presigned future message: '%s'", err.message);
}

/* ---- parse errors ---------------------------------------------------------------------------------------------- */

/* Parses a request with the given query (may be NULL) and up to 3 headers ("Name:value"); returns sigv4_parse's rc. */
static int parse_with(const char *query, const char *h1, const char *h2, const char *h3, struct sigv4_error *err)
{
	struct http r = {0};
	struct view v;
	struct sigv4_auth *auth = calloc(1, sizeof(*auth));
	const char *hs[] = {h1, h2, h3};
	int rc;

	if (!auth)
		abort();
	r.method = xstrdup("GET");
	r.path = xstrdup("/");
	r.query = query ? xstrdup(query) : NULL;
	r.body = xstrdup("");
	for (size_t i = 0; i < ARRAY_LEN(hs); i++) {
		const char *colon = hs[i] ? strchr(hs[i], ':') : NULL;
		if (colon)
			hdr_add(&r, hs[i], (size_t)(colon - hs[i]), colon + 1, strlen(colon + 1));
	}
	view_init(&v, &r, true);
	memset(err, 0, sizeof(*err));
	rc = sigv4_parse(&v.req, auth, err);
	view_free(&v);
	http_free(&r);
	free(auth);
	return rc;
}

#define CRED "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
#define SIG "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

static void expect_error(int rc, const struct sigv4_error *err, const char *code, const char *msg_prefix)
{
	assert_int_equal(rc, C_ERR);
	assert_non_null(err->code);
	assert_string_equal(err->code, code);
	if (strncmp(err->message, msg_prefix, strlen(msg_prefix)) != 0)
		fail_msg("message '%s' does not start with '%s'", err->message, msg_prefix);
}

static void test_parse_errors(void **state)
{
	struct sigv4_error err;
	int rc;

	(void)state;
	/* The reference request parses. */
	rc = parse_with(NULL, "Host:example.amazonaws.com", "X-Amz-Date:20150830T123600Z",
	                "Authorization:AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;x-amz-date, " SIG, &err);
	assert_int_equal(rc, C_OK);

	rc = parse_with(NULL, "Host:example.amazonaws.com", "X-Amz-Date:20150830T123600Z", NULL, &err);
	expect_error(rc, &err, "MissingAuthenticationToken", "Request is missing Authentication Token");
	assert_string_equal(err.message, "Request is missing Authentication Token");
	rc = parse_with("Action=ListUsers&Version=2010-05-08", "Host:example.amazonaws.com", NULL, NULL, &err);
	expect_error(rc, &err, "MissingAuthenticationToken", "Request is missing Authentication Token");

	rc = parse_with(NULL, "Host:example.amazonaws.com", "X-Amz-Date:20150830T123600Z",
	                "Authorization:AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;x-amz-date", &err);
	expect_error(rc, &err, "IncompleteSignature", "Authorization header requires 'Signature' parameter.");

	rc = parse_with(NULL, "Host:example.amazonaws.com", "X-Amz-Date:20150830T123600Z",
	                "Authorization:AWS4-HMAC-SHA512 " CRED ", SignedHeaders=host;x-amz-date, " SIG, &err);
	expect_error(rc, &err, "IncompleteSignature", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'");
	rc = parse_with(NULL, "Host:example.amazonaws.com", "X-Amz-Date:20150830T123600Z",
	                "Authorization:AWS4-HMAC-SHA256X " CRED ", SignedHeaders=host;x-amz-date, " SIG, &err);
	expect_error(rc, &err, "IncompleteSignature", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA256X'");

	/* Presigned: an unknown algorithm, and none at all next to a credential. */
	rc = parse_with("X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice"
	                "%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
	                "Host:example.amazonaws.com", NULL, NULL, &err);
	expect_error(rc, &err, "IncompleteSignature", "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'");
	rc = parse_with("X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
	                "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
	                "Host:example.amazonaws.com", NULL, NULL, &err);
	expect_error(rc, &err, "IncompleteSignature", "Unsupported AWS 'algorithm': ''");
	assert_string_equal(err.message, "Unsupported AWS 'algorithm': ''");

	/* The credential scope's date must be the signing date. */
	rc = parse_with(NULL, "Host:example.amazonaws.com", "X-Amz-Date:20150830T123600Z",
	                "Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/us-east-1/service/aws4_request, "
	                "SignedHeaders=host;x-amz-date, " SIG,
	                &err);
	expect_error(rc, &err, "SignatureDoesNotMatch", "Date in Credential scope does not match");
	rc = parse_with("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150829%2Fus-east-1%2Fservice"
	                "%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
	                "Host:example.amazonaws.com", NULL, NULL, &err);
	expect_error(rc, &err, "SignatureDoesNotMatch", "Date in Credential scope does not match");

	/* Host must be signed; a date must be present. */
	rc = parse_with(NULL, "Host:example.amazonaws.com", "X-Amz-Date:20150830T123600Z",
	                "Authorization:AWS4-HMAC-SHA256 " CRED ", SignedHeaders=x-amz-date, " SIG, &err);
	expect_error(rc, &err, "SignatureDoesNotMatch", "'Host' must be a 'SignedHeader'");
	rc = parse_with(NULL, "Host:example.amazonaws.com",
	                "Authorization:AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, " SIG, NULL, &err);
	expect_error(rc, &err, "IncompleteSignature", "Authorization header requires existence of either");
}

/* Optional whitespace around header values ("Name: value ") is not part of them: the request still verifies. */
static void test_verify_header_whitespace(void **state)
{
	struct ctx c;
	struct http r;
	struct sigv4_auth *auth;
	struct sigv4_error err = {0};
	size_t i;

	(void)state;
	require_suite();
	auth = calloc(1, sizeof(*auth));
	assert_non_null(auth);
	for (i = 0; i < ncases && strcmp(case_names[i], "post-x-www-form-urlencoded") != 0; i++)
		;
	assert_true(i < ncases);
	assert_true(ctx_load(i, &c));
	assert_int_equal(http_load(c.dir, "header-signed-request.txt", &r), C_OK);
	for (size_t k = 0; k < r.nh; k++)
		replace(&r.h[k].value, xprintf(" %s\t ", r.h[k].value));
	if (verify_full(&r, c.normalize, c.secret, c.now, auth, &err) != C_OK)
		fail_msg("rejected: %s: %s", err.code, err.message);
	assert_string_equal(auth->amz_date, "20150830T123600Z");
	http_free(&r);
	free(auth);
}

/* An x-amz-content-sha256 header must match the body even when it is not signed. */
static void test_verify_content_sha256(void **state)
{
	struct ctx c;
	struct http r;
	struct sigv4_auth *auth;
	struct sigv4_error err = {0};
	char hash[SHA256_HEX_LEN + 1];
	size_t i;

	(void)state;
	require_suite();
	auth = calloc(1, sizeof(*auth));
	assert_non_null(auth);
	for (i = 0; i < ncases && strcmp(case_names[i], "get-vanilla") != 0; i++)
		;
	assert_true(i < ncases);
	assert_true(ctx_load(i, &c));
	assert_int_equal(http_load(c.dir, "header-signed-request.txt", &r), C_OK);
	/* The right hash, unsigned: fine. */
	crypto_sha256_hex(r.body, r.body_len, hash);
	hdr_adds(&r, "x-amz-content-sha256", hash);
	assert_int_equal(verify_full(&r, c.normalize, c.secret, c.now, auth, &err), C_OK);
	/* Another hash, unsigned: refused. */
	hash[0] = hash[0] == '0' ? '1' : '0';
	replace(&r.h[r.nh - 1].value, xstrdup(hash));
	assert_int_equal(verify_full(&r, c.normalize, c.secret, c.now, auth, &err), C_ERR);
	assert_string_equal(err.code, "SignatureDoesNotMatch");
	assert_string_equal(err.message, "The provided 'x-amz-content-sha256' header does not match what was computed.");
	http_free(&r);
	free(auth);
}

/*
 * post-sts-header-after's presigned request carries an X-Amz-Security-Token added after signing. It verifies (see
 * test_suite_verify), but only without the token in the canonical query: a token that was signed cannot be removed
 * or replaced, and an unsigned one cannot be turned into another request's signed one.
 */
static void test_verify_presigned_token(void **state)
{
	struct ctx c;
	struct http r, m;
	struct sigv4_auth *auth;
	struct sigv4_error err = {0};
	size_t i;
	char *tok;

	(void)state;
	require_suite();
	auth = calloc(1, sizeof(*auth));
	assert_non_null(auth);
	for (i = 0; i < ncases && strcmp(case_names[i], "post-sts-header-before") != 0; i++)
		;
	assert_true(i < ncases);
	assert_true(ctx_load(i, &c));
	assert_int_equal(http_load(c.dir, "query-signed-request.txt", &r), C_OK);
	assert_int_equal(verify_full(&r, c.normalize, c.secret, c.now, auth, &err), C_OK);
	/* Signed token: removing it fails. */
	http_clone(&r, &m);
	tok = query_get(m.query, "X-Amz-Security-Token");
	assert_non_null(tok);
	{
		char *with = xprintf("X-Amz-Security-Token=%s&", tok);
		char *without = replace_first(m.query, with, "");
		assert_non_null(without);
		replace(&m.query, without);
		free(with);
	}
	assert_int_equal(verify_full(&m, c.normalize, c.secret, c.now, auth, &err), C_ERR);
	assert_string_equal(err.code, "SignatureDoesNotMatch");
	http_free(&m);
	/* Signed token: replacing it fails, also with an empty one. */
	http_clone(&r, &m);
	replace(&m.query, query_set(m.query, "X-Amz-Security-Token", "other"));
	assert_int_equal(verify_full(&m, c.normalize, c.secret, c.now, auth, &err), C_ERR);
	http_free(&m);
	http_clone(&r, &m);
	replace(&m.query, query_set(m.query, "X-Amz-Security-Token", ""));
	assert_int_equal(verify_full(&m, c.normalize, c.secret, c.now, auth, &err), C_ERR);
	http_free(&m);
	free(tok);
	http_free(&r);
	free(auth);
}

/* ---- the query as the action sees it ------------------------------------------------------------------------- */

/* The canonical query line (the third line of the canonical request) of a GET with query q, or NULL on C_ERR. */
static char *canonical_query_of(const char *q)
{
	struct sigv4_header h = {"Host", 4, "example.amazonaws.com", 21};
	struct sigv4_request req = {.method = "GET", .path = "/", .path_len = 1, .query = q,
	                            .query_len = q ? strlen(q) : 0, .headers = &h, .nheaders = 1, .normalize_path = true};
	struct buf out;
	char *line = NULL;

	crypto_sha256_hex("", 0, req.payload_hash);
	buf_init(&out, 1 << 20);
	if (sigv4_canonical_request(&req, "host", false, req.payload_hash, &out) == C_OK) {
		const char *a = strchr(buf_str(&out), '\n');
		const char *b = a ? strchr(a + 1, '\n') : NULL;
		const char *c = b ? strchr(b + 1, '\n') : NULL;
		if (c)
			line = xstrndup(b + 1, (size_t)(c - b - 1));
	}
	buf_free(&out);
	return line;
}

/* The query string made of what form_next() decodes from q, every byte URI-encoded again; NULL when q is malformed. */
static char *reencoded_decoding(const char *q)
{
	struct form_cursor cur;
	struct buf k, v, out;
	char *res = NULL;
	int r;

	buf_init(&k, 1 << 20);
	buf_init(&v, 1 << 20);
	buf_init(&out, 1 << 20);
	form_cursor_init(&cur, q, strlen(q));
	while ((r = form_next(&cur, &k, &v)) == 1) {
		if (out.len)
			buf_putc(&out, '&');
		sigv4_uri_encode(&out, buf_str(&k), k.len, false);
		buf_putc(&out, '=');
		sigv4_uri_encode(&out, buf_str(&v), v.len, false);
	}
	if (r == 0)
		res = xstrdup(buf_str(&out));
	buf_free(&k);
	buf_free(&v);
	buf_free(&out);
	return res;
}

/*
 * Each encoding corner: the canonical query is the re-encoding of exactly what the action's decoder (form_next)
 * hands over, so a literal '+' (a space to the action) is signed as %20 and a %2B (a '+') as %2B: rewriting one
 * into the other changes the signature.
 */
static void test_query_corners(void **state)
{
	static const struct {
		const char *raw, *canonical;
	} cases[] = {
		{"a=x+y", "a=x%20y"},                 /* '+' is a space, as to the action */
		{"a=x%20y", "a=x%20y"},               /* the same meaning, the same signature */
		{"a=x%2By", "a=x%2By"},               /* a plus sign */
		{"a=x%2by", "a=x%2By"},               /* lowercase hex: still a plus sign */
		{"a=x%252By", "a=x%252By"},           /* double encoding: decoded once, the action sees "x%2By" */
		{"a=%2525", "a=%2525"},
		{"a=&b&c=1&&", "a=&b=&c=1"},          /* empty values, a key without '=', empty pieces */
		{"a=2&a=1&a=", "a=&a=1&a=2"},         /* repeated keys (the action refuses them): sorted by value */
		{"a+b=1", "a%20b=1"},                 /* '+' in a name */
		{"%61=1&b%2Bc=2", "a=1&b%2Bc=2"},
		{"a==b", "a=%3Db"},                   /* the first '=' splits */
		{"a=%E1%88%B4&~-._=~-._", "a=%E1%88%B4&~-._=~-._"},
		{"a=!*'()", "a=%21%2A%27%28%29"},
	};

	(void)state;
	nfail = 0;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *got = canonical_query_of(cases[i].raw), *again = reencoded_decoding(cases[i].raw);
		assert_non_null(got);
		assert_non_null(again);
		check_streq(cases[i].raw, "canonical query", cases[i].canonical, got);
		/* and it is (sorted) what the action's decoder sees, byte for byte */
		replace(&again, canonical_query_of(again));
		assert_non_null(again);
		check_streq(cases[i].raw, "canonical query of the decoded parameters", got, again);
		free(again);
		free(got);
	}
	assert_int_equal(nfail, 0);
	/* The two spellings of a space agree; a space and a plus sign never do. */
	{
		char *plus = canonical_query_of("UserName=a+b"), *sp = canonical_query_of("UserName=a%20b"),
		     *p2b = canonical_query_of("UserName=a%2Bb");
		assert_string_equal(plus, sp);
		assert_string_not_equal(plus, p2b);
		free(plus);
		free(sp);
		free(p2b);
	}
	/* Malformed escapes have no canonical form (the action refuses them too). */
	assert_null(canonical_query_of("a=%2"));
	assert_null(canonical_query_of("a=%zz"));
	assert_null(canonical_query_of("%=1"));
	assert_null(reencoded_decoding("a=%2"));
}

/* A signed query's %2B rewritten to '+' (which the action reads as a space) no longer verifies; a rewrite that
 * keeps the meaning (%2F -> '/', %2B -> %2b) still does. Header and presigned signatures alike. */
static void test_query_plus_rewrite(void **state)
{
	struct http r = {0}, m;
	struct view v;
	struct buf out;
	struct sigv4_auth *auth = calloc(1, sizeof(*auth));
	struct sigv4_error err = {0};
	struct sigv4_credentials creds = {"AKIDROLEGATETEST0001", "rolegateTestSecretKey/0123456789abcdefXYZ+", NULL};
	int64_t now = (int64_t)time(NULL);
	struct ctx c;
	size_t i;
	char amz[17];

	(void)state;
	nfail = 0;
	assert_non_null(auth);
	fmt_amz(now, amz);
	r.method = xstrdup("GET");
	r.path = xstrdup("/");
	r.query = xstrdup("Action=CreateUser&Path=%2Fa%2Bb%2F&UserName=c%2Bd&Version=2010-05-08");
	r.body = xstrdup("");
	hdr_adds(&r, "Host", "iam.rolegate.test");
	hdr_adds(&r, "X-Amz-Date", amz);
	buf_init(&out, 8192);
	view_init(&v, &r, true);
	assert_int_equal(sigv4_sign_header(&v.req, &creds, "us-east-1", "iam", now, &out), C_OK);
	view_free(&v);
	hdr_adds(&r, "Authorization", buf_str(&out));
	buf_free(&out);
	assert_int_equal(verify_full(&r, true, creds.secret_access_key, now, auth, &err), C_OK);
	{
		static const char *const changed[] = {
		    "Action=CreateUser&Path=%2Fa+b%2F&UserName=c%2Bd&Version=2010-05-08",
		    "Action=CreateUser&Path=%2Fa%2Bb%2F&UserName=c+d&Version=2010-05-08",
		    "Action=CreateUser&Path=%2Fa%20b%2F&UserName=c%2Bd&Version=2010-05-08",
		    "Action=CreateUser&Path=%2Fa%252Bb%2F&UserName=c%2Bd&Version=2010-05-08",
		    "Action=CreateUser&Path=%2Fa%2Bb%2F&UserName=c%2Bd&UserName=e&Version=2010-05-08",
		    "Action=CreateUser&Path=%2Fa%2Bb%2F&UserName=c%2Bd&Version=2010-05-08&X=",
		};
		static const char *const same[] = {
		    "Action=CreateUser&Path=/a%2Bb/&UserName=c%2Bd&Version=2010-05-08",
		    "Action=CreateUser&Path=%2Fa%2bb%2F&UserName=c%2bd&Version=2010-05-08",
		    "Version=2010-05-08&UserName=c%2Bd&Path=%2Fa%2Bb%2F&Action=CreateUser",
		    "Action=CreateUser&&Path=%2Fa%2Bb%2F&UserName=c%2Bd&Version=2010-05-08&",
		};
		for (i = 0; i < ARRAY_LEN(changed); i++) {
			http_clone(&r, &m);
			replace(&m.query, xstrdup(changed[i]));
			CHECK(verify_full(&m, true, creds.secret_access_key, now, auth, &err) == C_ERR &&
			          strcmp(err.code, "SignatureDoesNotMatch") == 0,
			      "'%s' (another meaning) verified", changed[i]);
			http_free(&m);
		}
		for (i = 0; i < ARRAY_LEN(same); i++) {
			http_clone(&r, &m);
			replace(&m.query, xstrdup(same[i]));
			CHECK(verify_full(&m, true, creds.secret_access_key, now, auth, &err) == C_OK,
			      "'%s' (the same meaning) refused: %s", same[i], err.message);
			http_free(&m);
		}
	}
	http_free(&r);

	/* Presigned (the suite's STS case, whose signed token holds %2B): the token's %2B made a '+' fails. */
	require_suite();
	for (i = 0; i < ncases && strcmp(case_names[i], "post-sts-header-before") != 0; i++)
		;
	assert_true(i < ncases);
	assert_true(ctx_load(i, &c));
	assert_int_equal(http_load(c.dir, "query-signed-request.txt", &r), C_OK);
	assert_int_equal(verify_full(&r, c.normalize, c.secret, c.now, auth, &err), C_OK);
	http_clone(&r, &m);
	replace(&m.query, replace_first(m.query, "%2B", "+"));
	assert_non_null(m.query);
	assert_int_equal(verify_full(&m, c.normalize, c.secret, c.now, auth, &err), C_ERR);
	assert_string_equal(err.code, "SignatureDoesNotMatch");
	http_free(&m);
	/* X-Amz-Signature is found and left out by its decoded name; given twice, the request is refused. */
	http_clone(&r, &m);
	replace(&m.query, replace_first(m.query, "X-Amz-Signature=", "X-Amz-Signatur%65="));
	assert_int_equal(verify_full(&m, c.normalize, c.secret, c.now, auth, &err), C_OK);
	http_free(&m);
	http_clone(&r, &m);
	replace(&m.query, xprintf("%s&X-Amz-Signature=%064d", r.query, 0));
	assert_int_equal(verify_full(&m, c.normalize, c.secret, c.now, auth, &err), C_ERR);
	assert_string_equal(err.code, "IncompleteSignature");
	http_free(&m);
	http_free(&r);
	free(auth);
	assert_int_equal(nfail, 0);
}

/* ---- signing ------------------------------------------------------------------------------------------------- */

static void test_sign_roundtrip(void **state)
{
	struct http r = {0};
	struct view v;
	struct buf out;
	struct sigv4_auth *auth = calloc(1, sizeof(*auth));
	struct sigv4_error err = {0};
	const char *secret = "rolegateTestSecretKey/0123456789abcdefXYZ+";
	const char *token = "FQoGZXIvYXdzEXAMPLE//token+with/slashes==";
	struct sigv4_credentials creds = {"ASIAROLEGATETEST0001", secret, token};
	int64_t now = (int64_t)time(NULL);
	char amz[17];
	struct http m;
	int rc;

	(void)state;
	assert_non_null(auth);
	fmt_amz(now, amz);
	r.method = xstrdup("POST");
	r.path = xstrdup("/");
	r.body = xstrdup("Action=GetCallerIdentity&Version=2011-06-15");
	r.body_len = strlen(r.body);
	hdr_adds(&r, "Host", "sts.rolegate.test:8443");
	hdr_adds(&r, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
	hdr_adds(&r, "X-Amz-Date", amz);
	hdr_adds(&r, "X-Amz-Security-Token", token);
	buf_init(&out, 8192);
	view_init(&v, &r, true);
	assert_int_equal(sigv4_sign_header(&v.req, &creds, "eu-west-3", "sts", now, &out), C_OK);
	view_free(&v);
	hdr_adds(&r, "Authorization", buf_str(&out));
	buf_free(&out);

	rc = verify_full(&r, true, secret, now, auth, &err);
	if (rc != C_OK)
		fail_msg("round trip rejected: %s: %s", err.code, err.message);
	assert_string_equal(auth->access_key_id, "ASIAROLEGATETEST0001");
	assert_string_equal(auth->region, "eu-west-3");
	assert_string_equal(auth->service, "sts");
	assert_string_equal(auth->amz_date, amz);
	assert_string_equal(auth->signed_headers, "content-type;host;x-amz-date;x-amz-security-token");
	assert_string_equal(auth->security_token, token);

	/* And the signature binds it: another body, another key, 16 minutes later. */
	http_clone(&r, &m);
	replace(&m.body, xstrdup("Action=GetCallerIdentity&Version=2011-06-16"));
	assert_int_equal(verify_full(&m, true, secret, now, auth, &err), C_ERR);
	http_free(&m);
	assert_int_equal(verify_full(&r, true, "rolegateTestSecretKey/0123456789abcdefXYZ-", now, auth, &err), C_ERR);
	assert_int_equal(verify_full(&r, true, secret, now + 16 * 60, auth, &err), C_ERR);
	assert_string_equal(err.code, "SignatureDoesNotMatch");
	http_free(&r);
	free(auth);
}

/* A request dated by an RFC 1123 Date header instead of X-Amz-Date. */
static void test_sign_date_header(void **state)
{
	struct http r = {0};
	struct view v;
	struct buf out;
	struct sigv4_auth *auth = calloc(1, sizeof(*auth));
	struct sigv4_error err = {0};
	struct sigv4_credentials creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};
	const int64_t t = 1440938160; /* 2015-08-30T12:36:00Z */

	(void)state;
	assert_non_null(auth);
	r.method = xstrdup("GET");
	r.path = xstrdup("/");
	r.body = xstrdup("");
	hdr_adds(&r, "Host", "example.amazonaws.com");
	hdr_adds(&r, "Date", "Sun, 30 Aug 2015 12:36:00 GMT");
	buf_init(&out, 8192);
	view_init(&v, &r, true);
	assert_int_equal(sigv4_sign_header(&v.req, &creds, "us-east-1", "service", t, &out), C_OK);
	view_free(&v);
	hdr_adds(&r, "Authorization", buf_str(&out));
	buf_free(&out);
	if (verify_full(&r, true, creds.secret_access_key, t, auth, &err) != C_OK)
		fail_msg("rejected: %s: %s", err.code, err.message);
	assert_string_equal(auth->amz_date, "20150830T123600Z");
	assert_string_equal(auth->signed_headers, "date;host");
	/* One second later in the Date header: refused. */
	replace(&r.h[1].value, xstrdup("Sun, 30 Aug 2015 12:36:01 GMT"));
	assert_int_equal(verify_full(&r, true, creds.secret_access_key, t, auth, &err), C_ERR);
	http_free(&r);
	free(auth);
}

/* The signing key of AWS's documentation example, and secrets longer than the usual 40 characters. */
static void test_signing_key(void **state)
{
	uint8_t key[SHA256_LEN], a[SHA256_LEN], b[SHA256_LEN];
	char hex[SHA256_HEX_LEN + 1], secret[600];
	struct buf k;

	(void)state;
	sigv4_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 40, "20120215", "us-east-1", "iam", key);
	hex_encode(key, SHA256_LEN, hex);
	assert_string_equal(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");

	/* A 500-byte secret: the whole of it counts. */
	memset(secret, 'S', 500);
	secret[500] = '\0';
	buf_init(&k, 1024);
	assert_int_equal(buf_printf(&k, "AWS4%s", secret), C_OK);
	crypto_hmac_sha256(buf_str(&k), k.len, "20150830", 8, a);
	crypto_hmac_sha256(a, SHA256_LEN, "us-east-1", 9, b);
	crypto_hmac_sha256(b, SHA256_LEN, "service", 7, a);
	crypto_hmac_sha256(a, SHA256_LEN, "aws4_request", 12, b);
	buf_free(&k);
	sigv4_signing_key(secret, 500, "20150830", "us-east-1", "service", key);
	assert_memory_equal(key, b, SHA256_LEN);
	secret[499] = 'T';
	sigv4_signing_key(secret, 500, "20150830", "us-east-1", "service", a);
	assert_memory_not_equal(key, a, SHA256_LEN);
}

static void test_uri_encode(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 256);
	assert_int_equal(sigv4_uri_encode(&b, "a b/c~-._\xe1\x88\xb4%+=", 15, true), C_OK);
	assert_string_equal(buf_str(&b), "a%20b/c~-._%E1%88%B4%25%2B%3D");
	buf_reset(&b);
	assert_int_equal(sigv4_uri_encode(&b, "a b/c", 5, false), C_OK);
	assert_string_equal(buf_str(&b), "a%20b%2Fc");
	buf_free(&b);
	/* The cap is honoured. */
	buf_init(&b, 4);
	assert_int_equal(sigv4_uri_encode(&b, " ", 1, false), C_OK);
	assert_int_equal(sigv4_uri_encode(&b, " ", 1, false), C_ERR);
	assert_string_equal(buf_str(&b), "%20");
	buf_free(&b);
}

static void test_time_format(void **state)
{
	char out[17];
	int64_t t;

	(void)state;
	sigv4_format_time(1440938160, out);
	assert_string_equal(out, "20150830T123600Z");
	assert_int_equal(sigv4_parse_time("20150830T123600Z", &t), C_OK);
	assert_int_equal(t, 1440938160);
	assert_int_equal(sigv4_parse_time("20150830T123600", &t), C_ERR);
	assert_int_equal(sigv4_parse_time("2015-08-30T12:36:00Z", &t), C_ERR);
	assert_int_equal(sigv4_parse_time("20151330T123600Z", &t), C_ERR);
	assert_int_equal(sigv4_parse_time("2015083OT123600Z", &t), C_ERR);
}

/* ---- main ------------------------------------------------------------------------------------------------------ */

static int group_setup(void **state)
{
	(void)state;
	if (crypto_init() != C_OK)
		return -1;
	suite_list();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < ncases; i++)
		free(case_names[i]);
	ncases = 0;
	crypto_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suite_layout),    cmocka_unit_test(test_suite_canonical),
		cmocka_unit_test(test_suite_sign_header), cmocka_unit_test(test_suite_verify),
		cmocka_unit_test(test_suite_mutations), cmocka_unit_test(test_time_window),
		cmocka_unit_test(test_time_presigned),  cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_verify_header_whitespace), cmocka_unit_test(test_verify_content_sha256),
		cmocka_unit_test(test_verify_presigned_token), cmocka_unit_test(test_sign_date_header),
		cmocka_unit_test(test_sign_roundtrip),  cmocka_unit_test(test_signing_key),
		cmocka_unit_test(test_uri_encode),      cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_query_corners),   cmocka_unit_test(test_query_plus_rewrite),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
