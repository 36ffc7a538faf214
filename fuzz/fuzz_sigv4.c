/*
 * fuzz_sigv4.c - the SigV4 parser and canonicaliser, on raw HTTP requests.
 *
 * The input is read the way AWS's signing test suite writes requests: "METHOD target HTTP/1.1", then "Name:value"
 * header lines (a line starting with a space or tab continues the previous value), a blank line and the body;
 * "\r\n" works as well as "\n". The target is split at its first '?' into path and query; a version of "HTTP/S3"
 * selects S3's rules (paths not normalised), as for the suite's *-unnormalized cases. Then: sigv4_parse,
 * sigv4_check_time, sigv4_canonical_request and sigv4_verify under a key derived from a fixed secret (the suite's,
 * so its signed requests verify and the fuzzer starts from the success path).
 *
 * Checks beyond the sanitizers:
 *   - a parsed request is current at its own signing time (sigv4_check_time at auth.time_s succeeds);
 *   - every error carries a code and a message;
 *   - when the signature we compute from the canonical request equals the one claimed (and no
 *     x-amz-content-sha256 claim is involved), sigv4_verify accepts the request;
 *   - signer and verifier agree: the request signed by sigv4_sign_header (its own Authorization, date, token and
 *     content-hash headers replaced) parses and verifies.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/sigv4.h"
#include "util/buf.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/log.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define NOW_S 1440938160 /* 20150830T123600Z, the suite's signing time */
#define MAX_HEADERS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The end of the line starting at p (the '\n' or end), and the length without a trailing '\r'. */
static const char *line_end(const char *p, const char *end, size_t *len)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *e = nl ? nl : end;

	*len = (size_t)(e - p);
	if (*len && p[*len - 1] == '\r')
		(*len)--;
	return e;
}

static void check_err(const struct sigv4_error *err)
{
	if (!err->code || !err->code[0] || !err->message[0]) {
		fprintf(stderr, "fuzz_sigv4: an error without code or message\n");
		abort();
	}
}

/* Whether a header name is one the verifier takes in SignedHeaders once lowercased. */
static bool plain_name(const struct sigv4_header *h)
{
	if (h->name_len == 0)
		return false;
	for (size_t i = 0; i < h->name_len; i++) {
		char c = h->name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}
	return true;
}

static bool named(const struct sigv4_header *h, const char *name)
{
	return h->name_len == strlen(name) && strncasecmp(h->name, name, h->name_len) == 0;
}

/*
 * Signs the request (its own authentication headers left out, X-Amz-Date and Host added) with sigv4_sign_header,
 * then parses and verifies the signed request: the signer and the verifier must agree on every request the signer
 * accepts whose header names the verifier can list.
 */
static void sign_round_trip(const struct sigv4_request *in)
{
	struct sigv4_header h[MAX_HEADERS + 3];
	struct sigv4_request req = *in;
	struct sigv4_credentials creds = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = SECRET};
	struct sigv4_auth auth;
	struct sigv4_error err;
	struct buf authz;
	uint8_t key[SHA256_LEN];
	char date[17];
	size_t n = 0, names_len = 0;
	bool plain = true, host = false;

	for (size_t i = 0; i < in->nheaders; i++) {
		const struct sigv4_header *x = &in->headers[i];
		if (named(x, "authorization") || named(x, "x-amz-date") || named(x, "date") ||
		    named(x, "x-amz-content-sha256") || named(x, "x-amz-security-token"))
			continue;
		plain = plain && plain_name(x);
		host = host || named(x, "host");
		names_len += x->name_len + 1;
		h[n++] = *x;
	}
	sigv4_format_time(NOW_S, date);
	h[n++] = (struct sigv4_header){"X-Amz-Date", 10, date, 16};
	names_len += 11;
	if (!host) {
		h[n++] = (struct sigv4_header){"Host", 4, "example.amazonaws.com", 21};
		names_len += 5;
	}
	req.headers = h;
	req.nheaders = n;
	buf_init(&authz, 8192);
	if (sigv4_sign_header(&req, &creds, "us-east-1", "iam", NOW_S, &authz) == C_OK && plain && names_len < 1024) {
		h[n] = (struct sigv4_header){"Authorization", 13, buf_str(&authz), authz.len};
		req.nheaders = n + 1;
		if (sigv4_parse(&req, &auth, &err) != C_OK) {
			fprintf(stderr, "fuzz_sigv4: a request we signed does not parse: %s: %s\n", err.code, err.message);
			abort();
		}
		if (sigv4_check_time(&auth, NOW_S, &err) != C_OK)
			abort();
		sigv4_signing_key(SECRET, strlen(SECRET), auth.scope_date, auth.region, auth.service, key);
		if (sigv4_verify(&req, &auth, key, &err) != C_OK) {
			fprintf(stderr, "fuzz_sigv4: a request we signed does not verify: %s\nAuthorization: %s\n",
			        err.message, buf_str(&authz));
			abort();
		}
	}
	buf_free(&authz);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERROR);
	if (crypto_init() != C_OK)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *e, *sp, *target, *q, *ver = NULL;
	struct sigv4_header headers[MAX_HEADERS];
	struct sigv4_request req;
	struct sigv4_auth auth;
	struct sigv4_error err;
	size_t ll, n = 0, tlen;
	char *method;

	memset(&req, 0, sizeof(req));
	/* Request line. */
	e = line_end(p, end, &ll);
	sp = memchr(p, ' ', ll);
	for (const char *s = p; s + 6 <= p + ll; s++)
		if (memcmp(s, " HTTP/", 6) == 0)
			ver = s;
	if (!sp || !ver || ver <= sp)
		return 0;
	method = strndup(p, (size_t)(sp - p));
	if (!method)
		abort();
	target = sp + 1;
	tlen = (size_t)(ver - target);
	q = memchr(target, '?', tlen);
	req.method = method;
	req.path = target;
	req.path_len = q ? (size_t)(q - target) : tlen;
	if (q) {
		req.query = q + 1;
		req.query_len = tlen - req.path_len - 1;
	}
	/* "HTTP/S3..." as the version (which no signature covers) asks for S3's unnormalised paths. */
	req.normalize_path = !(ver + 6 < p + ll && ver[6] == 'S');
	p = e < end ? e + 1 : end;

	/* Headers, up to a blank line. */
	while (p < end) {
		const char *colon;
		e = line_end(p, end, &ll);
		if (ll == 0) {
			p = e < end ? e + 1 : end;
			break;
		}
		if ((p[0] == ' ' || p[0] == '\t') && n > 0) {
			/* A continuation: the previous value now reaches the end of this line. */
			headers[n - 1].value_len = (size_t)(p + ll - headers[n - 1].value);
		} else {
			colon = memchr(p, ':', ll);
			if (colon && n < MAX_HEADERS) {
				headers[n].name = p;
				headers[n].name_len = (size_t)(colon - p);
				headers[n].value = colon + 1;
				headers[n].value_len = ll - headers[n].name_len - 1;
				n++;
			}
		}
		p = e < end ? e + 1 : end;
	}
	req.headers = headers;
	req.nheaders = n;
	crypto_sha256_hex(p, (size_t)(end - p), req.payload_hash);

	if (sigv4_parse(&req, &auth, &err) != C_OK) {
		check_err(&err);
	} else {
		uint8_t key[SHA256_LEN];
		struct buf canon, sts;
		char scope[256], sig[65];
		int verified;

		if (sigv4_check_time(&auth, auth.time_s, &err) != C_OK) {
			fprintf(stderr, "fuzz_sigv4: not current at its own time (%s): %s\n", auth.amz_date, err.message);
			abort();
		}
		if (sigv4_check_time(&auth, NOW_S, &err) != C_OK)
			check_err(&err);
		sigv4_signing_key(SECRET, strlen(SECRET), auth.scope_date, auth.region, auth.service, key);
		verified = sigv4_verify(&req, &auth, key, &err);
		if (verified != C_OK)
			check_err(&err);

		buf_init(&canon, 1024 * 1024);
		buf_init(&sts, 4096);
		sigv4_scope(&auth, scope, sizeof(scope));
		if (sigv4_canonical_request(&req, auth.signed_headers, auth.presigned, req.payload_hash, &canon) == C_OK &&
		    sigv4_string_to_sign(auth.amz_date, scope, buf_str(&canon), &sts) == C_OK) {
			sigv4_signature(key, buf_str(&sts), sts.len, sig);
			if (!auth.content_sha256[0] && strcmp(sig, auth.signature) == 0 && verified != C_OK) {
				fprintf(stderr, "fuzz_sigv4: a correct signature was refused: %s\n", err.message);
				abort();
			}
		}
		buf_free(&canon);
		buf_free(&sts);
	}
	sign_round_trip(&req);
	free(method);
	return 0;
}
