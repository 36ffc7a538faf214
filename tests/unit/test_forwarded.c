/*
 * test_forwarded.c - tests src/http/forwarded.c: --trusted-proxy networks, and the client's address and scheme
 * from X-Forwarded-For / X-Forwarded-Proto or RFC 7239 Forwarded, read only from trusted peers, walked from the
 * right, refused (never guessed) when unusable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "http/forwarded.h"
#include "util/common.h"

/* 10.0.0.0/8 (the proxies' network), 192.0.2.10 (one proxy), 2001:db8:f::/48 (IPv6 proxies) */
static struct fwd_trust trust;

static int setup(void **state)
{
	char err[256];

	(void)state;
	memset(&trust, 0, sizeof(trust));
	assert_int_equal(fwd_trust_add(&trust, "10.0.0.0/8", err, sizeof(err)), C_OK);
	assert_int_equal(fwd_trust_add(&trust, "192.0.2.10", err, sizeof(err)), C_OK);
	assert_int_equal(fwd_trust_add(&trust, "2001:db8:f::/48", err, sizeof(err)), C_OK);
	return 0;
}

struct outcome {
	int rc;
	char ip[FWD_IP_LEN];
	bool tls;
	char why[200];
};

/* Resolves a request from peer (plain HTTP unless peer_tls) with headers "Name: value", NULL-terminated. */
static struct outcome resolve_tls(const char *peer, bool peer_tls, const char *const *lines)
{
	struct sigv4_header h[16];
	size_t n = 0;
	struct outcome o;

	memset(&o, 0, sizeof(o));
	for (; lines && lines[n]; n++) {
		const char *colon = strchr(lines[n], ':');
		assert_non_null(colon);
		assert_true(n < 16);
		h[n].name = lines[n];
		h[n].name_len = (size_t)(colon - lines[n]);
		h[n].value = colon + 2;
		h[n].value_len = strlen(colon + 2);
	}
	o.rc = fwd_resolve(&trust, peer, peer_tls, h, n, o.ip, &o.tls, o.why, sizeof(o.why));
	return o;
}

static struct outcome resolve(const char *peer, const char *const *lines) { return resolve_tls(peer, false, lines); }

#define H(...) ((const char *const[]){__VA_ARGS__, NULL})

#define assert_client(o, ip, tls) check_client(o, ip, tls, __LINE__)
#define assert_refused(o, peer, about) check_refused(o, peer, about, __LINE__)

static void check_client(struct outcome o, const char *ip, bool tls, int line)
{
	if (o.rc != C_OK || strcmp(o.ip, ip) != 0 || o.tls != tls)
		print_error("line %d: rc %d, client %s, tls %d: %s\n", line, o.rc, o.ip, o.tls, o.why);
	assert_int_equal(o.rc, C_OK);
	assert_string_equal(o.ip, ip);
	assert_int_equal(o.tls, tls);
}

/* Refused: the peer's address and the connection's scheme stay, and why says something containing `about`. */
static void check_refused(struct outcome o, const char *peer, const char *about, int line)
{
	if (o.rc != C_ERR)
		print_error("line %d: not refused (client %s)\n", line, o.ip);
	assert_int_equal(o.rc, C_ERR);
	assert_string_equal(o.ip, peer);
	assert_false(o.tls);
	if (!strstr(o.why, about)) {
		print_error("why: \"%s\" lacks \"%s\"\n", o.why, about);
		fail();
	}
}

static void test_trust_list(void **state)
{
	struct fwd_trust t;
	char err[256], text[256];

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(fwd_trust_add(&t, "127.0.0.1", err, sizeof(err)), C_OK); /* a bare address: /32 */
	assert_int_equal(fwd_trust_add(&t, "::1", err, sizeof(err)), C_OK);       /* /128 */
	assert_int_equal(fwd_trust_add(&t, "172.16.0.0/12", err, sizeof(err)), C_OK);
	assert_int_equal(fwd_trust_add(&t, "fd00::/8", err, sizeof(err)), C_OK);
	assert_int_equal(fwd_trust_add(&t, "0.0.0.0/0", err, sizeof(err)), C_OK);
	assert_int_equal(fwd_trust_add(&t, "::ffff:10.1.0.0/112", err, sizeof(err)), C_OK); /* mapped: 10.1.0.0/16 */
	fwd_trust_text(&t, text, sizeof(text));
	assert_string_equal(text, "127.0.0.1/32, ::1/128, 172.16.0.0/12, fd00::/8, 0.0.0.0/0, 10.1.0.0/16");

	memset(&t, 0, sizeof(t));
	assert_int_equal(fwd_trust_add(&t, "127.0.0.1", err, sizeof(err)), C_OK);
	assert_true(fwd_trusted(&t, "127.0.0.1"));
	assert_true(fwd_trusted(&t, "::ffff:127.0.0.1")); /* the same address, mapped */
	assert_false(fwd_trusted(&t, "127.0.0.2"));
	assert_false(fwd_trusted(&t, "::1"));
	assert_false(fwd_trusted(&t, ""));
	assert_false(fwd_trusted(&t, "garbage"));
	assert_int_equal(fwd_trust_add(&t, "172.16.0.0/12", err, sizeof(err)), C_OK);
	assert_true(fwd_trusted(&t, "172.31.255.255"));
	assert_false(fwd_trusted(&t, "172.32.0.0"));
	assert_int_equal(fwd_trust_add(&t, "2001:db8::/127", err, sizeof(err)), C_OK);
	assert_true(fwd_trusted(&t, "2001:db8::1"));
	assert_false(fwd_trusted(&t, "2001:db8::2"));

	/* refused, with a reason */
	const char *bad[] = {"", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0/8",
	                     "host.example", "10.0.0.0/0008", "fe80::1%eth0", "1.2.3.4:80", "[::1]", " 10.0.0.1",
	                     "::ffff:10.0.0.0/95"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (fwd_trust_add(&t, bad[i], err, sizeof(err)) != C_ERR) {
			print_error("'%s' was accepted\n", bad[i]);
			fail();
		}
		assert_true(err[0] != '\0');
	}
	assert_int_equal(fwd_trust_add(&t, "10.0.0.5/8", err, sizeof(err)), C_ERR);
	assert_non_null(strstr(err, "the network is 10.0.0.0/8"));
	assert_int_equal(fwd_trust_add(&t, "2001:db8::1/64", err, sizeof(err)), C_ERR);
	assert_non_null(strstr(err, "2001:db8::/64"));

	memset(&t, 0, sizeof(t));
	for (int i = 0; i < FWD_MAX_NETS; i++)
		assert_int_equal(fwd_trust_add(&t, "10.0.0.1", err, sizeof(err)), C_OK);
	assert_int_equal(fwd_trust_add(&t, "10.0.0.1", err, sizeof(err)), C_ERR);
}

static void test_untrusted_peer_headers_ignored(void **state)
{
	(void)state;
	/* whatever an untrusted peer says, it is the client */
	assert_client(resolve("203.0.113.9", H("X-Forwarded-For: 198.51.100.1", "X-Forwarded-Proto: https")),
	              "203.0.113.9", false);
	assert_client(resolve("203.0.113.9", H("Forwarded: for=198.51.100.1;proto=https")), "203.0.113.9", false);
	assert_client(resolve("203.0.113.9", H("X-Forwarded-For: garbage")), "203.0.113.9", false);
	assert_client(resolve("2001:db8:1::5", H("X-Forwarded-For: 10.0.0.1")), "2001:db8:1::5", false);
	assert_client(resolve_tls("203.0.113.9", true, H("X-Forwarded-Proto: http")), "203.0.113.9", true);
	/* with no trusted proxy at all, every peer is untrusted */
	{
		struct fwd_trust none;
		struct sigv4_header h = {"X-Forwarded-For", 15, "198.51.100.1", 12};
		char ip[FWD_IP_LEN], why[64];
		bool tls;
		memset(&none, 0, sizeof(none));
		assert_int_equal(fwd_resolve(&none, "10.0.0.1", false, &h, 1, ip, &tls, why, sizeof(why)), C_OK);
		assert_string_equal(ip, "10.0.0.1");
		assert_int_equal(fwd_resolve(NULL, "10.0.0.1", false, &h, 1, ip, &tls, why, sizeof(why)), C_OK);
		assert_string_equal(ip, "10.0.0.1");
	}
}

static void test_xff_addresses_and_ports(void **state)
{
	(void)state;
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100.1")), "198.51.100.1", false);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100.1:5678")), "198.51.100.1", false);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 2001:db8::1")), "2001:db8::1", false);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: [2001:db8::1]")), "2001:db8::1", false);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: [2001:db8::1]:443")), "2001:db8::1", false);
	/* canonical text: what a policy's IpAddress and the audit see */
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 2001:DB8:0:0::0:1")), "2001:db8::1", false);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: ::ffff:198.51.100.1")), "198.51.100.1", false);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: [::ffff:198.51.100.1]:80")), "198.51.100.1", false);
	/* an IPv6 peer */
	assert_client(resolve("2001:db8:f::2", H("X-Forwarded-For: 198.51.100.1")), "198.51.100.1", false);
	/* spaces and tabs around entries; header name in any case */
	assert_client(resolve("10.0.0.2", H("x-forwarded-for:  \t198.51.100.1 \t")), "198.51.100.1", false);
	/* no forwarding header from a trusted proxy: the proxy is the client (its own request, a probe) */
	assert_client(resolve("10.0.0.2", H("Host: x")), "10.0.0.2", false);
	assert_client(resolve("10.0.0.2", NULL), "10.0.0.2", false);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: ")), "10.0.0.2", false);
	/* empty list elements are skipped (RFC 9110 5.6.1) */
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: ,198.51.100.1,,")), "198.51.100.1", false);
}

static void test_xff_walked_from_the_right(void **state)
{
	(void)state;
	/* trusted hops skipped; the first untrusted entry is the client */
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100.1, 10.9.9.9, 192.0.2.10")), "198.51.100.1",
	              false);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100.1, [2001:db8:f::9]:8080, 10.1.1.1:443")),
	              "198.51.100.1", false);
	/* spoofing: what the client sent comes first, the proxy appends the address it saw; the prefix is not used,
	 * whatever it holds (addresses, garbage, "unknown") */
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 1.1.1.1, 203.0.113.7")), "203.0.113.7", false);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: not an address, unknown, 203.0.113.7")), "203.0.113.7",
	              false);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 10.0.0.1, 203.0.113.7")), "203.0.113.7", false);
	/* a client claiming to be a trusted proxy itself: still only what the proxy appended counts */
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100.1, 10.0.0.3, 203.0.113.7, 10.0.0.4")),
	              "203.0.113.7", false);
	/* several instances are one list, in order: the proxy's line comes last */
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 1.1.1.1", "X-Forwarded-For: 203.0.113.7")),
	              "203.0.113.7", false);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 1.1.1.1, 2.2.2.2", "Host: x",
	                                    "X-Forwarded-For: 203.0.113.7, 10.0.0.5")),
	              "203.0.113.7", false);
	/* every entry a trusted proxy: the leftmost is the client */
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 10.0.0.7, 10.0.0.8")), "10.0.0.7", false);
}

static void test_xff_refusals(void **state)
{
	(void)state;
	/* what the proxy itself wrote (the rightmost untrusted entry) is not an address */
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: garbage")), "10.0.0.2", "is not an IP address");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: 203.0.113.7, 10.0.0.1, zzz")), "10.0.0.2",
	               "\"zzz\"");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100.1:99999")), "10.0.0.2", "not an IP");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100.1:")), "10.0.0.2", "not an IP");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100")), "10.0.0.2", "not an IP");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: [198.51.100.1]")), "10.0.0.2", "not an IP");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: [2001:db8::1")), "10.0.0.2", "not an IP");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: [2001:db8::1]443")), "10.0.0.2", "not an IP");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: fe80::1%eth0")), "10.0.0.2", "not an IP");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: \"198.51.100.1\"")), "10.0.0.2", "not an IP");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100.1 203.0.113.7")), "10.0.0.2", "not an IP");
	/* the proxy does not know the client: not guessed (its own address may be on an allow-list) */
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: unknown")), "10.0.0.2", "does not know");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: 203.0.113.7, UNKNOWN, 10.0.0.1")), "10.0.0.2",
	               "does not know");
	/* bounded: too many entries */
	{
		char line[1024] = "X-Forwarded-For: ";
		for (int i = 0; i < FWD_MAX_ENTRIES; i++)
			strcat(line, i ? ", 10.0.0.1" : "10.0.0.1");
		assert_client(resolve("10.0.0.2", H(line)), "10.0.0.1", false); /* exactly the cap */
		strcat(line, ", 203.0.113.7");
		assert_refused(resolve("10.0.0.2", H(line)), "10.0.0.2", "more than 32 entries");
	}
	/* a long garbage entry is shown shortened and printable */
	{
		char line[600] = "X-Forwarded-For: ";
		struct outcome o;
		memset(line + strlen(line), 'a', 400);
		line[17 + 400] = '\0';
		line[20] = '\x01';
		o = resolve("10.0.0.2", H(line));
		assert_refused(o, "10.0.0.2", "...\"");
		assert_true(strlen(o.why) < 120);
		assert_null(strchr(o.why, '\x01'));
	}
}

static void test_forwarded_proto(void **state)
{
	(void)state;
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100.1", "X-Forwarded-Proto: https")),
	              "198.51.100.1", true);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100.1", "X-Forwarded-Proto: HTTPS")),
	              "198.51.100.1", true);
	/* the proxy says http although it reached us over TLS: the client's leg is what counts */
	assert_client(resolve_tls("10.0.0.2", true, H("X-Forwarded-For: 198.51.100.1", "X-Forwarded-Proto: http")),
	              "198.51.100.1", false);
	/* no word on the scheme: the connection's */
	assert_client(resolve_tls("10.0.0.2", true, H("X-Forwarded-For: 198.51.100.1")), "198.51.100.1", true);
	assert_client(resolve("10.0.0.2", H("X-Forwarded-Proto: https")), "10.0.0.2", true);
	/* anything but one http or https: refused */
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-For: 198.51.100.1", "X-Forwarded-Proto: https, http")),
	               "10.0.0.2", "X-Forwarded-Proto must be one value");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-Proto: https", "X-Forwarded-Proto: https")), "10.0.0.2",
	               "X-Forwarded-Proto");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-Proto: wss")), "10.0.0.2", "X-Forwarded-Proto");
	assert_refused(resolve("10.0.0.2", H("X-Forwarded-Proto: https;")), "10.0.0.2", "X-Forwarded-Proto");
	/* ignored from untrusted peers */
	assert_client(resolve("203.0.113.1", H("X-Forwarded-Proto: wss, https")), "203.0.113.1", false);
}

static void test_rfc7239(void **state)
{
	(void)state;
	assert_client(resolve("10.0.0.2", H("Forwarded: for=198.51.100.1")), "198.51.100.1", false);
	assert_client(resolve("10.0.0.2", H("Forwarded: For=198.51.100.1;Proto=HTTPS;by=10.0.0.2;host=iam.example")),
	              "198.51.100.1", true);
	assert_client(resolve("10.0.0.2", H("Forwarded: for=\"198.51.100.1:4711\";proto=https")), "198.51.100.1",
	              true);
	assert_client(resolve("10.0.0.2", H("Forwarded: for=\"[2001:db8:cafe::17]:4711\"")), "2001:db8:cafe::17",
	              false);
	assert_client(resolve("10.0.0.2", H("Forwarded: for=\"[2001:db8:cafe::17]\"")), "2001:db8:cafe::17", false);
	assert_client(resolve("10.0.0.2", H("Forwarded: for=\"198.51.100.1:_hidden\"")), "198.51.100.1", false);
	/* quoted-pair escapes; quoted commas and semicolons do not split */
	assert_client(resolve("10.0.0.2", H("Forwarded: for=\"\\198.51.100.1\";host=\"a,b;c\"")), "198.51.100.1",
	              false);
	/* the walk: one element per proxy; each element's proto is its own hop's */
	assert_client(resolve("10.0.0.2", H("Forwarded: for=198.51.100.1;proto=https, for=10.1.1.1;proto=http")),
	              "198.51.100.1", true);
	assert_client(resolve("10.0.0.2", H("Forwarded: for=1.1.1.1;proto=https", "Forwarded: for=203.0.113.7")),
	              "203.0.113.7", false); /* spoofed prefix and its proto ignored */
	assert_client(resolve("10.0.0.2", H("forwarded: for=1.1.1.1, for=\"[2001:db8:f::1]:80\";proto=http, "
	                                    "for=192.0.2.10")),
	              "1.1.1.1", false);
	/* OWS around ';' and ','; empty elements and pairs */
	assert_client(resolve("10.0.0.2", H("Forwarded: ,for=198.51.100.1 ; proto=https ;, ")), "198.51.100.1", true);
	/* refusals */
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=unknown")), "10.0.0.2", "does not know");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=_gazonk")), "10.0.0.2", "does not know");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=\"_gazonk\";proto=https, for=10.0.0.1")), "10.0.0.2",
	               "does not know");
	assert_refused(resolve("10.0.0.2", H("Forwarded: proto=https")), "10.0.0.2", "no for=");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=198.51.100.1;for=203.0.113.7")), "10.0.0.2", "twice");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=198.51.100.1;proto=ftp")), "10.0.0.2", "proto=");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=[2001:db8::1]")), "10.0.0.2", "does not parse");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=\"2001:db8::1\"")), "10.0.0.2", "not an IP");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=198.51.100.1:80")), "10.0.0.2", "does not parse");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=\"198.51.100.1")), "10.0.0.2", "does not parse");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=198.51.100.1 proto=https")), "10.0.0.2", "does not parse");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for")), "10.0.0.2", "does not parse");
	assert_refused(resolve("10.0.0.2", H("Forwarded: =1.2.3.4")), "10.0.0.2", "does not parse");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=\"\x01\"")), "10.0.0.2", "does not parse");
	/* a client-supplied element that does not parse makes the whole header unusable (its quoting decides where the
	 * proxy's element begins): refused, which hurts only that client */
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=\"1.1.1.1", "Forwarded: for=203.0.113.7")), "10.0.0.2",
	               "does not parse");
	{
		char line[2048] = "Forwarded: ";
		for (int i = 0; i < FWD_MAX_ENTRIES; i++)
			strcat(line, i ? ", for=10.0.0.1" : "for=10.0.0.1");
		assert_client(resolve("10.0.0.2", H(line)), "10.0.0.1", false);
		strcat(line, ", for=203.0.113.7");
		assert_refused(resolve("10.0.0.2", H(line)), "10.0.0.2", "more than 32 elements");
	}
	/* untrusted peer: not even parsed */
	assert_client(resolve("203.0.113.1", H("Forwarded: for=\"")), "203.0.113.1", false);
}

static void test_both_dialects_refused(void **state)
{
	(void)state;
	/* the proxy writes one dialect; the other came from the client (a forged Forwarded passed through by a proxy
	 * that appends X-Forwarded-For, or the reverse) */
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=1.1.1.1;proto=https", "X-Forwarded-For: 203.0.113.7")),
	               "10.0.0.2", "both Forwarded and X-Forwarded-For");
	assert_refused(resolve("10.0.0.2", H("Forwarded: for=203.0.113.7", "X-Forwarded-Proto: https")), "10.0.0.2",
	               "both");
	/* an empty one does not count */
	assert_client(resolve("10.0.0.2", H("Forwarded: ", "X-Forwarded-For: 203.0.113.7")), "203.0.113.7", false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trust_list),
		cmocka_unit_test(test_untrusted_peer_headers_ignored),
		cmocka_unit_test(test_xff_addresses_and_ports),
		cmocka_unit_test(test_xff_walked_from_the_right),
		cmocka_unit_test(test_xff_refusals),
		cmocka_unit_test(test_forwarded_proto),
		cmocka_unit_test(test_rfc7239),
		cmocka_unit_test(test_both_dialects_refused),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
