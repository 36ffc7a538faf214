/*
 * sigv4.c - AWS Signature Version 4 canonicalisation, signing and verification.
 *
 * Reference: AWS's "Create a signed AWS API request" and the aws-c-auth test suite. Every string here is bounded:
 * the canonical request lives in a struct buf capped at CANONICAL_MAX.
 */
#include "aws/sigv4.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/form.h"
#include "util/common.h"
#include "util/crypto.h"

#define CANONICAL_MAX (256 * 1024)
#define MAX_QUERY_PARAMS 512

static void set_err(struct sigv4_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(struct sigv4_error *err, const char *code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* ---- time ---------------------------------------------------------------------------------------------------- */

void sigv4_format_time(int64_t t, char out[17])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	if (strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		out[0] = '\0';
}

static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return C_ERR;
		*v = *v * 10 + (s[i] - '0');
	}
	return C_OK;
}

int sigv4_parse_time(const char *s, int64_t *t)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, se;

	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
		return C_ERR;
	if (digits(s, 4, &y) || digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) || digits(s + 9, 2, &h) ||
	    digits(s + 11, 2, &mi) || digits(s + 13, 2, &se))
		return C_ERR;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
		return C_ERR;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*t = (int64_t)timegm(&tm);
	return C_OK;
}

/* ---- encoding ------------------------------------------------------------------------------------------------ */

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c == '.' || c == '~';
}

int sigv4_uri_encode(struct buf *out, const char *s, size_t len, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			if (buf_putc(out, (char)c) != C_OK)
				return C_ERR;
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			if (buf_append(out, e, 3) != C_OK)
				return C_ERR;
		}
	}
	return C_OK;
}

/* ---- canonical URI ------------------------------------------------------------------------------------------- */

/* Removes dot segments and empty segments (RFC 3986 5.2.4 plus AWS's slash collapsing). */
static int normalize_path(const char *path, size_t len, struct buf *out)
{
	const char *segs[256];
	size_t seglens[256];
	size_t n = 0, i = 0;
	bool trailing = len > 0 && path[len - 1] == '/';

	while (i < len) {
		size_t start, slen;
		while (i < len && path[i] == '/')
			i++;
		start = i;
		while (i < len && path[i] != '/')
			i++;
		slen = i - start;
		if (slen == 0)
			continue;
		if (slen == 1 && path[start] == '.') {
			if (i >= len)
				trailing = true;
			continue;
		}
		if (slen == 2 && path[start] == '.' && path[start + 1] == '.') {
			if (n > 0)
				n--;
			if (i >= len)
				trailing = true;
			continue;
		}
		if (n == ARRAY_LEN(segs))
			return C_ERR;
		segs[n] = path + start;
		seglens[n] = slen;
		n++;
	}
	if (buf_putc(out, '/') != C_OK)
		return C_ERR;
	for (size_t k = 0; k < n; k++) {
		if (buf_append(out, segs[k], seglens[k]) != C_OK)
			return C_ERR;
		if ((k + 1 < n || trailing) && buf_putc(out, '/') != C_OK)
			return C_ERR;
	}
	return C_OK;
}

static int canonical_uri(const struct sigv4_request *req, struct buf *out)
{
	struct buf norm;
	int rc;

	if (req->path_len == 0)
		return buf_putc(out, '/');
	if (!req->normalize_path)
		return sigv4_uri_encode(out, req->path, req->path_len, true);
	buf_init(&norm, req->path_len + 2);
	rc = normalize_path(req->path, req->path_len, &norm);
	if (rc == C_OK)
		rc = sigv4_uri_encode(out, buf_str(&norm), norm.len, true);
	buf_free(&norm);
	return rc;
}

/* ---- canonical query ----------------------------------------------------------------------------------------- */

struct qparam {
	char *key; /* encoded */
	char *value; /* encoded */
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

/* The URI encoding of a decoded component, as a malloc'd string, or NULL. */
static char *encoded(const struct buf *b)
{
	struct buf enc;
	char *res = NULL;

	buf_init(&enc, CANONICAL_MAX);
	if (sigv4_uri_encode(&enc, buf_str(b), b->len, false) == C_OK)
		res = buf_steal(&enc);
	buf_free(&enc);
	return res;
}

/* Whether the decoded component b is exactly name. */
static bool is_name(const struct buf *b, const char *name)
{
	return b->len == strlen(name) && memcmp(buf_str(b), name, b->len) == 0;
}

/*
 * The canonical query: every parameter as form_next() decodes it (the decoding the action's parameters come from,
 * '+' a space), URI-encoded again, sorted. presigned leaves out X-Amz-Signature; skip_token also leaves out
 * X-Amz-Security-Token (both by decoded name, as the parameter parser finds them).
 */
static int canonical_query(const struct sigv4_request *req, bool presigned, bool skip_token, struct buf *out)
{
	struct qparam params[MAX_QUERY_PARAMS];
	struct form_cursor cur;
	struct buf k, v;
	size_t n = 0, i;
	int r, rc = C_ERR;

	buf_init(&k, CANONICAL_MAX);
	buf_init(&v, CANONICAL_MAX);
	form_cursor_init(&cur, req->query, req->query ? req->query_len : 0);
	while ((r = form_next(&cur, &k, &v)) == 1) {
		if (presigned && is_name(&k, "X-Amz-Signature"))
			continue;
		if (skip_token && is_name(&k, "X-Amz-Security-Token"))
			continue;
		if (n == MAX_QUERY_PARAMS)
			goto fail;
		params[n].key = encoded(&k);
		params[n].value = encoded(&v);
		n++;
		if (!params[n - 1].key || !params[n - 1].value)
			goto fail;
	}
	if (r < 0)
		goto fail;
	qsort(params, n, sizeof(params[0]), qparam_cmp);
	for (i = 0; i < n; i++) {
		if ((i && buf_putc(out, '&') != C_OK) || buf_puts(out, params[i].key) != C_OK ||
		    buf_putc(out, '=') != C_OK || buf_puts(out, params[i].value) != C_OK)
			goto fail;
	}
	rc = C_OK;
fail:
	for (i = 0; i < n; i++) {
		free(params[i].key);
		free(params[i].value);
	}
	buf_free(&k);
	buf_free(&v);
	return rc;
}

/* ---- canonical headers --------------------------------------------------------------------------------------- */

/* Appends value trimmed, with every run of whitespace collapsed into one space. */
static int append_trimmed(struct buf *out, const char *v, size_t len)
{
	bool pending_space = false, any = false;

	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			pending_space = any;
			continue;
		}
		if (pending_space && buf_putc(out, ' ') != C_OK)
			return C_ERR;
		pending_space = false;
		any = true;
		if (buf_putc(out, c) != C_OK)
			return C_ERR;
	}
	return C_OK;
}

/* Appends "name:v1,v2\n" for every header called name (compared case-insensitively). C_ERR if none. */
static int canonical_header(const struct sigv4_request *req, const char *name, size_t nlen, struct buf *out)
{
	size_t found = 0;

	if (buf_append(out, name, nlen) != C_OK || buf_putc(out, ':') != C_OK)
		return C_ERR;
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct sigv4_header *h = &req->headers[i];
		if (h->name_len != nlen || strncasecmp(h->name, name, nlen) != 0)
			continue;
		if (found++ && buf_putc(out, ',') != C_OK)
			return C_ERR;
		if (append_trimmed(out, h->value, h->value_len) != C_OK)
			return C_ERR;
	}
	if (!found)
		return C_ERR;
	return buf_putc(out, '\n');
}

static int canonical_request(const struct sigv4_request *req, const char *signed_headers, bool presigned,
                             bool skip_token, const char *payload, struct buf *out)
{
	const char *p = signed_headers;

	if (buf_puts(out, req->method) != C_OK || buf_putc(out, '\n') != C_OK)
		return C_ERR;
	if (canonical_uri(req, out) != C_OK || buf_putc(out, '\n') != C_OK)
		return C_ERR;
	if (canonical_query(req, presigned, skip_token, out) != C_OK || buf_putc(out, '\n') != C_OK)
		return C_ERR;
	while (*p) {
		const char *semi = strchr(p, ';');
		size_t nlen = semi ? (size_t)(semi - p) : strlen(p);
		if (nlen == 0 || canonical_header(req, p, nlen, out) != C_OK)
			return C_ERR;
		p += nlen;
		if (*p == ';')
			p++;
	}
	if (buf_putc(out, '\n') != C_OK || buf_puts(out, signed_headers) != C_OK || buf_putc(out, '\n') != C_OK)
		return C_ERR;
	return buf_puts(out, payload);
}

int sigv4_canonical_request(const struct sigv4_request *req, const char *signed_headers, bool presigned,
                            const char *payload, struct buf *out)
{
	return canonical_request(req, signed_headers, presigned, false, payload, out);
}

int sigv4_string_to_sign(const char *amz_date, const char *scope, const char *canonical, struct buf *out)
{
	char hash[SHA256_HEX_LEN + 1];

	crypto_sha256_hex(canonical, strlen(canonical), hash);
	return buf_printf(out, SIGV4_ALGORITHM "\n%s\n%s\n%s", amz_date, scope, hash);
}

void sigv4_scope(const struct sigv4_auth *auth, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s/%s/aws4_request", auth->scope_date, auth->region, auth->service);
}

void sigv4_signing_key(const char *secret, size_t secret_len, const char *date, const char *region,
                       const char *service, uint8_t key[SHA256_LEN])
{
	char small[4 + 256];
	/* The HMAC key is "AWS4" + the whole secret: secrets longer than usual go to the heap, never truncated. */
	char *k = secret_len <= sizeof(small) - 4 ? small : malloc(4 + secret_len);
	uint8_t a[SHA256_LEN], b[SHA256_LEN];

	if (!k)
		abort(); /* as crypto_hmac_sha256 does on failure: there is no error path here */
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, secret_len);
	crypto_hmac_sha256(k, 4 + secret_len, date, strlen(date), a);
	crypto_hmac_sha256(a, SHA256_LEN, region, strlen(region), b);
	crypto_hmac_sha256(b, SHA256_LEN, service, strlen(service), a);
	crypto_hmac_sha256(a, SHA256_LEN, "aws4_request", 12, key);
	explicit_bzero(k, 4 + secret_len);
	if (k != small)
		free(k);
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
}

void sigv4_signature(const uint8_t key[SHA256_LEN], const char *string_to_sign, size_t len, char out[65])
{
	uint8_t mac[SHA256_LEN];

	crypto_hmac_sha256(key, SHA256_LEN, string_to_sign, len, mac);
	hex_encode(mac, SHA256_LEN, out);
}

/* ---- parsing ------------------------------------------------------------------------------------------------- */

/*
 * Finds the first header called name and returns it in *tmp with the optional whitespace around its value removed
 * (RFC 9110 5.5: it is not part of the value; the canonicaliser trims it too), or NULL.
 */
static const struct sigv4_header *find_header(const struct sigv4_request *req, const char *name,
                                              struct sigv4_header *tmp)
{
	size_t nlen = strlen(name);

	for (size_t i = 0; i < req->nheaders; i++) {
		if (req->headers[i].name_len == nlen && strncasecmp(req->headers[i].name, name, nlen) == 0) {
			*tmp = req->headers[i];
			while (tmp->value_len && (tmp->value[0] == ' ' || tmp->value[0] == '\t')) {
				tmp->value++;
				tmp->value_len--;
			}
			while (tmp->value_len &&
			       (tmp->value[tmp->value_len - 1] == ' ' || tmp->value[tmp->value_len - 1] == '\t'))
				tmp->value_len--;
			return tmp;
		}
	}
	return NULL;
}

/* Copies [s, s+len) into dst (cap bytes) as a C string. C_ERR if it does not fit. */
static int copy_bounded(char *dst, size_t cap, const char *s, size_t len)
{
	if (len >= cap)
		return C_ERR;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return C_OK;
}

/* Splits "AKID/20150830/us-east-1/service/aws4_request" into auth. */
static int parse_credential(const char *cred, size_t len, struct sigv4_auth *auth, struct sigv4_error *err)
{
	const char *parts[5];
	size_t lens[5], n = 0, start = 0;

	for (size_t i = 0; i <= len && n < 5; i++) {
		if (i == len || cred[i] == '/') {
			parts[n] = cred + start;
			lens[n] = i - start;
			n++;
			start = i + 1;
		}
	}
	/* The access key id may not contain '/', so more than five parts is malformed. */
	if (n != 5 || start <= len) {
		set_err(err, "IncompleteSignature",
		        "Credential should be scoped to a valid region, not '%.*s'. ", (int)(len > 200 ? 200 : len), cred);
		return C_ERR;
	}
	if (lens[0] == 0 || copy_bounded(auth->access_key_id, sizeof(auth->access_key_id), parts[0], lens[0])) {
		set_err(err, "IncompleteSignature", "Credential should contain a valid access key id. ");
		return C_ERR;
	}
	if (lens[1] != 8 || copy_bounded(auth->scope_date, sizeof(auth->scope_date), parts[1], lens[1])) {
		set_err(err, "IncompleteSignature", "Credential should be scoped to a valid date. ");
		return C_ERR;
	}
	if (lens[2] == 0 || copy_bounded(auth->region, sizeof(auth->region), parts[2], lens[2])) {
		set_err(err, "IncompleteSignature", "Credential should be scoped to a valid region. ");
		return C_ERR;
	}
	if (lens[3] == 0 || copy_bounded(auth->service, sizeof(auth->service), parts[3], lens[3])) {
		set_err(err, "IncompleteSignature", "Credential should be scoped to correct service. ");
		return C_ERR;
	}
	if (lens[4] != 12 || memcmp(parts[4], "aws4_request", 12) != 0) {
		set_err(err, "IncompleteSignature", "Credential should be scoped with a valid terminator: 'aws4_request', not '%.*s'. ",
		        (int)(lens[4] > 64 ? 64 : lens[4]), parts[4]);
		return C_ERR;
	}
	return C_OK;
}

static bool valid_signed_headers(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == ';' || *s == '_' ||
		      *s == '.'))
			return false;
	return true;
}

static bool valid_signature(const char *s)
{
	size_t n = strlen(s);

	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Whether ';'-separated list contains name. */
static bool list_has(const char *list, const char *name)
{
	size_t nlen = strlen(name);

	while (*list) {
		const char *semi = strchr(list, ';');
		size_t len = semi ? (size_t)(semi - list) : strlen(list);
		if (len == nlen && memcmp(list, name, nlen) == 0)
			return true;
		list += len;
		if (*list == ';')
			list++;
	}
	return false;
}

/* Parses the Authorization header value. */
static int parse_header_auth(const char *v, size_t len, struct sigv4_auth *auth, struct sigv4_error *err)
{
	size_t alglen = strlen(SIGV4_ALGORITHM), i;
	bool have_cred = false, have_sh = false, have_sig = false;
	char missing[400] = "";

	if (len < alglen || memcmp(v, SIGV4_ALGORITHM, alglen) != 0 || (len > alglen && v[alglen] != ' ')) {
		size_t sp = 0;
		while (sp < len && v[sp] != ' ')
			sp++;
		set_err(err, "IncompleteSignature", "Unsupported AWS 'algorithm': '%.*s'", (int)(sp > 64 ? 64 : sp), v);
		return C_ERR;
	}
	i = alglen;
	while (i < len) {
		size_t start, eq, end;
		while (i < len && (v[i] == ' ' || v[i] == ','))
			i++;
		start = i;
		while (i < len && v[i] != ',')
			i++;
		end = i;
		while (end > start && v[end - 1] == ' ')
			end--;
		if (end == start)
			continue;
		eq = start;
		while (eq < end && v[eq] != '=')
			eq++;
		if (eq == end) {
			set_err(err, "IncompleteSignature",
			        "'%.*s' not a valid key=value pair (missing equal-sign) in Authorization header: '%.*s'.",
			        (int)(end - start > 100 ? 100 : end - start), v + start, (int)(len > 300 ? 300 : len), v);
			return C_ERR;
		}
		if (eq - start == 10 && memcmp(v + start, "Credential", 10) == 0) {
			if (parse_credential(v + eq + 1, end - eq - 1, auth, err) != C_OK)
				return C_ERR;
			have_cred = true;
		} else if (eq - start == 13 && memcmp(v + start, "SignedHeaders", 13) == 0) {
			if (copy_bounded(auth->signed_headers, sizeof(auth->signed_headers), v + eq + 1, end - eq - 1) != C_OK)
				goto bad_headers;
			have_sh = true;
		} else if (eq - start == 9 && memcmp(v + start, "Signature", 9) == 0) {
			if (copy_bounded(auth->signature, sizeof(auth->signature), v + eq + 1, end - eq - 1) != C_OK)
				auth->signature[0] = '\0';
			have_sig = true;
		}
	}
	if (!have_cred)
		strcat(missing, "Authorization header requires 'Credential' parameter. ");
	if (!have_sig)
		strcat(missing, "Authorization header requires 'Signature' parameter. ");
	if (!have_sh)
		strcat(missing, "Authorization header requires 'SignedHeaders' parameter. ");
	if (missing[0]) {
		set_err(err, "IncompleteSignature", "%sAuthorization=%.*s", missing, (int)(len > 100 ? 100 : len), v);
		return C_ERR;
	}
	if (!valid_signed_headers(auth->signed_headers))
		goto bad_headers;
	return C_OK;
bad_headers:
	set_err(err, "IncompleteSignature", "Authorization header has an invalid SignedHeaders list.");
	return C_ERR;
}

/*
 * Finds the query parameter called name (compared after decoding, by form_next() as everywhere) and copies its
 * decoded value into dst (cap bytes, NUL-terminated). 1 found, 0 absent, -1 malformed, too long, holding a NUL,
 * or given more than once (which of two values was signed is not for the verifier to guess).
 */
static int query_param(const struct sigv4_request *req, const char *name, char *dst, size_t cap)
{
	struct form_cursor cur;
	struct buf k, v;
	int r, found = 0;

	buf_init(&k, CANONICAL_MAX);
	buf_init(&v, CANONICAL_MAX);
	form_cursor_init(&cur, req->query, req->query ? req->query_len : 0);
	while ((r = form_next(&cur, &k, &v)) == 1) {
		if (!is_name(&k, name))
			continue;
		if (found || v.len >= cap || memchr(buf_str(&v), '\0', v.len)) {
			found = -1;
			break;
		}
		memcpy(dst, buf_str(&v), v.len + 1);
		found = 1;
	}
	if (r < 0)
		found = -1;
	buf_free(&k);
	buf_free(&v);
	return found;
}

static int parse_presigned(const struct sigv4_request *req, struct sigv4_auth *auth, struct sigv4_error *err)
{
	char alg[64] = "", cred[512], expires[32];
	char *end;
	int r;

	auth->presigned = true;
	if (query_param(req, "X-Amz-Algorithm", alg, sizeof(alg)) != 1 || strcmp(alg, SIGV4_ALGORITHM) != 0) {
		set_err(err, "IncompleteSignature", "Unsupported AWS 'algorithm': '%s'", alg);
		return C_ERR;
	}
	if (query_param(req, "X-Amz-Credential", cred, sizeof(cred)) != 1) {
		set_err(err, "IncompleteSignature", "AWS query-string parameters must include 'X-Amz-Credential'. Re-examine the query-string parameters.");
		return C_ERR;
	}
	if (parse_credential(cred, strlen(cred), auth, err) != C_OK)
		return C_ERR;
	if (query_param(req, "X-Amz-SignedHeaders", auth->signed_headers, sizeof(auth->signed_headers)) != 1 ||
	    !valid_signed_headers(auth->signed_headers)) {
		set_err(err, "IncompleteSignature", "AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.");
		return C_ERR;
	}
	if (query_param(req, "X-Amz-Signature", auth->signature, sizeof(auth->signature)) != 1) {
		set_err(err, "IncompleteSignature", "AWS query-string parameters must include 'X-Amz-Signature'. Re-examine the query-string parameters.");
		return C_ERR;
	}
	if (query_param(req, "X-Amz-Date", auth->amz_date, sizeof(auth->amz_date)) != 1) {
		set_err(err, "IncompleteSignature", "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.");
		return C_ERR;
	}
	r = query_param(req, "X-Amz-Expires", expires, sizeof(expires));
	if (r == 1) {
		auth->expires_s = strtoll(expires, &end, 10);
		if (*end || end == expires || auth->expires_s < 1 || auth->expires_s > SIGV4_MAX_EXPIRES_S) {
			set_err(err, "AuthorizationQueryParametersError",
			        "X-Amz-Expires must be a number between 1 and %d seconds", SIGV4_MAX_EXPIRES_S);
			return C_ERR;
		}
	} else {
		auth->expires_s = SIGV4_MAX_SKEW_S;
	}
	r = query_param(req, "X-Amz-Security-Token", auth->security_token, sizeof(auth->security_token));
	if (r < 0) {
		set_err(err, "InvalidClientTokenId", "The security token included in the request is invalid.");
		return C_ERR;
	}
	return C_OK;
}

int sigv4_parse(const struct sigv4_request *req, struct sigv4_auth *auth, struct sigv4_error *err)
{
	struct sigv4_header hv, dv, tokv, csv;
	const struct sigv4_header *h = find_header(req, "authorization", &hv);
	char probe[8];

	memset(auth, 0, offsetof(struct sigv4_auth, security_token));
	auth->security_token[0] = '\0';
	if (h) {
		const struct sigv4_header *d, *tok, *cs;
		if (parse_header_auth(h->value, h->value_len, auth, err) != C_OK)
			return C_ERR;
		d = find_header(req, "x-amz-date", &dv);
		if (d) {
			if (copy_bounded(auth->amz_date, sizeof(auth->amz_date), d->value, d->value_len) != C_OK)
				auth->amz_date[0] = '\0';
		} else if ((d = find_header(req, "date", &dv)) != NULL) {
			/* RFC 1123 "Sun, 30 Aug 2015 12:36:00 GMT" */
			struct tm tm = {0};
			char tmp[64];
			if (copy_bounded(tmp, sizeof(tmp), d->value, d->value_len) == C_OK &&
			    strptime(tmp, "%a, %d %b %Y %H:%M:%S GMT", &tm))
				sigv4_format_time((int64_t)timegm(&tm), auth->amz_date);
		} else {
			set_err(err, "IncompleteSignature",
			        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
			        "Authorization=%.*s", (int)(h->value_len > 100 ? 100 : h->value_len), h->value);
			return C_ERR;
		}
		tok = find_header(req, "x-amz-security-token", &tokv);
		if (tok && copy_bounded(auth->security_token, sizeof(auth->security_token), tok->value, tok->value_len)) {
			set_err(err, "InvalidClientTokenId", "The security token included in the request is invalid.");
			return C_ERR;
		}
		cs = find_header(req, "x-amz-content-sha256", &csv);
		if (cs && copy_bounded(auth->content_sha256, sizeof(auth->content_sha256), cs->value, cs->value_len)) {
			set_err(err, "SignatureDoesNotMatch",
			        "The provided 'x-amz-content-sha256' header does not match what was computed.");
			return C_ERR;
		}
	} else if (query_param(req, "X-Amz-Algorithm", probe, sizeof(probe)) != 0 ||
	           query_param(req, "X-Amz-Credential", probe, sizeof(probe)) != 0 ||
	           query_param(req, "X-Amz-Signature", probe, sizeof(probe)) != 0) {
		if (parse_presigned(req, auth, err) != C_OK)
			return C_ERR;
	} else {
		set_err(err, "MissingAuthenticationToken", "Request is missing Authentication Token");
		return C_ERR;
	}
	if (sigv4_parse_time(auth->amz_date, &auth->time_s) != C_OK) {
		set_err(err, "IncompleteSignature",
		        "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601",
		        auth->amz_date);
		return C_ERR;
	}
	if (memcmp(auth->scope_date, auth->amz_date, 8) != 0) {
		set_err(err, "SignatureDoesNotMatch",
		        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
		        "'%s' != '%.8s', from '%s'.",
		        auth->scope_date, auth->amz_date, auth->amz_date);
		return C_ERR;
	}
	if (!list_has(auth->signed_headers, "host")) {
		set_err(err, "SignatureDoesNotMatch", "'Host' must be a 'SignedHeader' in the AWS Authorization.");
		return C_ERR;
	}
	return C_OK;
}

int sigv4_check_time(const struct sigv4_auth *auth, int64_t now_s, struct sigv4_error *err)
{
	char now[17], bound[17];

	if (auth->time_s > now_s + SIGV4_MAX_SKEW_S) {
		sigv4_format_time(now_s + SIGV4_MAX_SKEW_S, bound);
		sigv4_format_time(now_s, now);
		set_err(err, "SignatureDoesNotMatch", "Signature not yet current: %s is still later than %s (%s + 15 min.)",
		        auth->amz_date, bound, now);
		return C_ERR;
	}
	if (auth->presigned) {
		if (now_s > auth->time_s + auth->expires_s) {
			sigv4_format_time(auth->time_s + auth->expires_s, bound);
			sigv4_format_time(now_s, now);
			set_err(err, "SignatureDoesNotMatch", "Signature expired: %s is now earlier than %s", bound, now);
			return C_ERR;
		}
		return C_OK;
	}
	if (auth->time_s < now_s - SIGV4_MAX_SKEW_S) {
		sigv4_format_time(now_s - SIGV4_MAX_SKEW_S, bound);
		sigv4_format_time(now_s, now);
		set_err(err, "SignatureDoesNotMatch", "Signature expired: %s is now earlier than %s (%s - 15 min.)",
		        auth->amz_date, bound, now);
		return C_ERR;
	}
	return C_OK;
}

int sigv4_verify(const struct sigv4_request *req, const struct sigv4_auth *auth, const uint8_t key[SHA256_LEN],
                 struct sigv4_error *err)
{
	struct buf canon, sts;
	char scope[256], sig[65];
	const char *payload = req->payload_hash;
	int ok = 0;

	if (auth->content_sha256[0]) {
		if (strcmp(auth->content_sha256, SIGV4_UNSIGNED_PAYLOAD) == 0) {
			payload = SIGV4_UNSIGNED_PAYLOAD;
		} else if (strcmp(auth->content_sha256, req->payload_hash) != 0) {
			set_err(err, "SignatureDoesNotMatch",
			        "The provided 'x-amz-content-sha256' header does not match what was computed.");
			return C_ERR;
		}
	}
	buf_init(&canon, CANONICAL_MAX);
	buf_init(&sts, 1024);
	sigv4_scope(auth, scope, sizeof(scope));
	/*
	 * A presigned request's X-Amz-Security-Token may have been added after signing (AWS's omit_session_token, as
	 * AWS IoT clients do): then the signature covers every other parameter. Like an unsigned
	 * X-Amz-Security-Token header, such a token is not bound by the signature, so the caller must check that it
	 * belongs to the access key (which it must do anyway).
	 */
	for (int attempt = 0; attempt < 2 && !ok; attempt++) {
		bool skip_token = attempt == 1;
		if (skip_token && !(auth->presigned && auth->security_token[0]))
			break;
		buf_reset(&canon);
		buf_reset(&sts);
		if (canonical_request(req, auth->signed_headers, auth->presigned, skip_token, payload, &canon) == C_OK &&
		    sigv4_string_to_sign(auth->amz_date, scope, buf_str(&canon), &sts) == C_OK) {
			sigv4_signature(key, buf_str(&sts), sts.len, sig);
			ok = valid_signature(auth->signature) && crypto_equal(sig, auth->signature, 64);
		}
	}
	buf_free(&canon);
	buf_free(&sts);
	if (!ok) {
		set_err(err, "SignatureDoesNotMatch",
		        "The request signature we calculated does not match the signature you provided. Check your AWS "
		        "Secret Access Key and signing method. Consult the service documentation for details.");
		return C_ERR;
	}
	return C_OK;
}

/* ---- signing ------------------------------------------------------------------------------------------------- */

static int hdr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sigv4_sign_header(const struct sigv4_request *req, const struct sigv4_credentials *creds, const char *region,
                      const char *service, int64_t now_s, struct buf *out)
{
	char *names[128];
	size_t n = 0;
	struct buf sh, canon, sts;
	struct sigv4_auth a;
	char scope[256], sig[65];
	uint8_t key[SHA256_LEN];
	int rc = C_ERR;

	buf_init(&sh, 4096);
	buf_init(&canon, CANONICAL_MAX);
	buf_init(&sts, 1024);
	/* Signed headers: every header of the request, lowercased, sorted, once each. */
	for (size_t i = 0; i < req->nheaders && n < ARRAY_LEN(names); i++) {
		const struct sigv4_header *h = &req->headers[i];
		char *lc = strndup(h->name, h->name_len);
		bool dup = false;
		if (!lc)
			goto fail;
		for (char *c = lc; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		for (size_t k = 0; k < n; k++)
			dup = dup || strcmp(names[k], lc) == 0;
		if (dup || strcmp(lc, "authorization") == 0)
			free(lc);
		else
			names[n++] = lc;
	}
	qsort(names, n, sizeof(names[0]), hdr_cmp);
	for (size_t i = 0; i < n; i++)
		if ((i && buf_putc(&sh, ';') != C_OK) || buf_puts(&sh, names[i]) != C_OK)
			goto fail;
	memset(&a, 0, sizeof(a));
	sigv4_format_time(now_s, a.amz_date);
	memcpy(a.scope_date, a.amz_date, 8);
	snprintf(a.region, sizeof(a.region), "%s", region);
	snprintf(a.service, sizeof(a.service), "%s", service);
	sigv4_scope(&a, scope, sizeof(scope));
	if (sigv4_canonical_request(req, buf_str(&sh), false, req->payload_hash, &canon) != C_OK ||
	    sigv4_string_to_sign(a.amz_date, scope, buf_str(&canon), &sts) != C_OK)
		goto fail;
	sigv4_signing_key(creds->secret_access_key, strlen(creds->secret_access_key), a.scope_date, region, service,
	                  key);
	sigv4_signature(key, buf_str(&sts), sts.len, sig);
	explicit_bzero(key, sizeof(key));
	rc = buf_printf(out, SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s", creds->access_key_id,
	                scope, buf_str(&sh), sig);
fail:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	buf_free(&sh);
	buf_free(&canon);
	buf_free(&sts);
	return rc;
}
