/*
 * forwarded.c - the client's address and scheme behind trusted proxies (the rules are in forwarded.h).
 *
 * The dialects:
 *   X-Forwarded-For: 203.0.113.7, 10.0.0.2        every proxy appends the address it received the request from;
 *                                                  entries may carry a port (1.2.3.4:5678, [2001:db8::1]:443)
 *   X-Forwarded-Proto: https                       set (not appended) by the proxy next to the client
 *   Forwarded: for=203.0.113.7;proto=https, for="[2001:db8::1]:443"
 *                                                  RFC 7239: one element per proxy, pairs separated by ';', values
 *                                                  tokens or quoted strings; for= may be "unknown" or an
 *                                                  obfuscated "_name"
 * Nothing here allocates: a list is at most FWD_MAX_ENTRIES slices (X-Forwarded-For) or elements (Forwarded) on the
 * stack, and every value is capped.
 */
#include "http/forwarded.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/common.h"

#define VALUE_MAX 96 /* a for= value or an X-Forwarded-For entry: "[full IPv6]:65535" is 47 bytes */
#define PROTO_MAX 16
#define SCRATCH_MAX 512 /* by=, host= and extensions: read, then dropped */

enum node { NODE_ADDR, NODE_UNKNOWN, NODE_BAD };

/* ---- addresses and networks ----------------------------------------------------------------------------------- */

/* Parses exactly an address (no port, no brackets) of len bytes. IPv4-mapped IPv6 becomes IPv4. */
static int parse_ip(const char *s, size_t len, struct fwd_net *out)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char text[48];

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(text))
		return C_ERR;
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, out->addr) == 1) {
		out->family = 4;
		out->bits = 32;
		return C_OK;
	}
	if (inet_pton(AF_INET6, text, out->addr) != 1)
		return C_ERR;
	if (memcmp(out->addr, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = 4;
		out->bits = 32;
		return C_OK;
	}
	out->family = 6;
	out->bits = 128;
	return C_OK;
}

static bool in_net(const struct fwd_net *net, const struct fwd_net *a)
{
	unsigned full = net->bits / 8, rest = net->bits % 8;

	if (net->family != a->family || memcmp(net->addr, a->addr, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		return (net->addr[full] & mask) == (a->addr[full] & mask);
	}
	return true;
}

static bool trusted(const struct fwd_trust *t, const struct fwd_net *a)
{
	for (size_t i = 0; i < t->n; i++)
		if (in_net(&t->nets[i], a))
			return true;
	return false;
}

static void ip_text(const struct fwd_net *a, char *out)
{
	if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, out, FWD_IP_LEN))
		out[0] = '\0';
}

int fwd_trust_add(struct fwd_trust *t, const char *cidr, char *err, size_t errlen)
{
	const char *slash = strchr(cidr, '/');
	size_t iplen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	struct fwd_net net;
	unsigned long bits;

	if (t->n == FWD_MAX_NETS) {
		snprintf(err, errlen, "at most %d trusted proxy networks", FWD_MAX_NETS);
		return C_ERR;
	}
	if (parse_ip(cidr, iplen, &net) != C_OK) {
		snprintf(err, errlen, "'%.64s' is not an IPv4 or IPv6 address or CIDR (like 10.0.0.0/8 or 2001:db8::/32)",
		         cidr);
		return C_ERR;
	}
	if (slash) {
		const char *p = slash + 1;
		bool mapped = net.family == 4 && strchr(cidr, ':') != NULL; /* ::ffff:10.0.0.0/104 */
		unsigned max = net.family == 4 && !mapped ? 32 : 128;
		size_t digits = strspn(p, "0123456789");
		if (digits == 0 || digits > 3 || p[digits] != '\0' || (bits = strtoul(p, NULL, 10)) > max ||
		    (mapped && bits < 96)) {
			snprintf(err, errlen, "'%.64s': the prefix length must be 0 to %u", cidr, max);
			return C_ERR;
		}
		net.bits = (uint8_t)(mapped ? bits - 96 : bits);
	}
	{
		/* bits set beyond the prefix: refused rather than guessed */
		struct fwd_net masked = net;
		unsigned full = net.bits / 8, rest = net.bits % 8;
		if (full < 16) {
			if (rest)
				masked.addr[full] &= (uint8_t)(0xff << (8 - rest));
			memset(masked.addr + full + (rest ? 1 : 0), 0, 16 - full - (rest ? 1 : 0));
		}
		if (memcmp(masked.addr, net.addr, 16) != 0) {
			char base[FWD_IP_LEN];
			ip_text(&masked, base);
			snprintf(err, errlen, "'%.64s' has address bits set beyond its /%u prefix (the network is %s/%u)", cidr,
			         net.bits, base, net.bits);
			return C_ERR;
		}
	}
	t->nets[t->n++] = net;
	return C_OK;
}

void fwd_trust_text(const struct fwd_trust *t, char *out, size_t len)
{
	size_t used = 0;

	if (len)
		out[0] = '\0';
	for (size_t i = 0; i < t->n && used < len; i++) {
		char ip[FWD_IP_LEN];
		int w;
		ip_text(&t->nets[i], ip);
		w = snprintf(out + used, len - used, "%s%s/%u", i ? ", " : "", ip, t->nets[i].bits);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

bool fwd_trusted(const struct fwd_trust *t, const char *ip)
{
	struct fwd_net a;

	return ip && parse_ip(ip, strlen(ip), &a) == C_OK && trusted(t, &a);
}

/* ---- one entry: an address, maybe with a port -------------------------------------------------------------- */

static bool is_port(const char *s, size_t len, bool obfuscated_ok)
{
	unsigned long v = 0;

	if (obfuscated_ok && len >= 2 && s[0] == '_') {
		for (size_t i = 1; i < len; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
				return false;
		return true;
	}
	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v <= 65535;
}

/*
 * A node: an X-Forwarded-For entry (forwarded false: "1.2.3.4", "1.2.3.4:5678", "2001:db8::1", "[2001:db8::1]",
 * "[2001:db8::1]:443") or a Forwarded for= value, unquoted (forwarded true: RFC 7239 section 6, IPv6 only in
 * brackets, ports may be obfuscated "_name"). "unknown" and obfuscated "_name" identifiers are NODE_UNKNOWN.
 */
static enum node parse_node(const char *s, size_t len, bool forwarded, struct fwd_net *a)
{
	const char *colon;

	if (len == 7 && strncasecmp(s, "unknown", 7) == 0)
		return NODE_UNKNOWN;
	if (forwarded && len >= 2 && s[0] == '_') {
		for (size_t i = 1; i < len; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
				return NODE_BAD;
		return NODE_UNKNOWN;
	}
	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		size_t after;
		if (!close || memchr(s + 1, ':', (size_t)(close - s - 1)) == NULL)
			return NODE_BAD; /* brackets hold IPv6 only */
		after = len - (size_t)(close - s) - 1;
		if (after && (close[1] != ':' || !is_port(close + 2, after - 1, forwarded)))
			return NODE_BAD;
		return parse_ip(s + 1, (size_t)(close - s - 1), a) == C_OK ? NODE_ADDR : NODE_BAD; /* may be mapped IPv4 */
	}
	colon = memchr(s, ':', len);
	if (colon && memchr(colon + 1, ':', len - (size_t)(colon - s) - 1)) {
		/* two colons or more: a bare IPv6 address, which only X-Forwarded-For writes */
		if (forwarded)
			return NODE_BAD;
		return parse_ip(s, len, a) == C_OK ? NODE_ADDR : NODE_BAD;
	}
	if (colon && !is_port(colon + 1, len - (size_t)(colon - s) - 1, forwarded))
		return NODE_BAD;
	if (parse_ip(s, colon ? (size_t)(colon - s) : len, a) != C_OK)
		return NODE_BAD;
	/* a bare IPv4 address: "::ffff:1.2.3.4" never gets here (two colons) */
	return a->family == 4 ? NODE_ADDR : NODE_BAD;
}

/* ---- the headers ---------------------------------------------------------------------------------------------- */

static bool ows(char c) { return c == ' ' || c == '\t'; }

/* An entry shown in a message: printable ASCII only, at most 40 bytes. */
static void shown(const char *s, size_t len, char out[48])
{
	size_t n = len > 40 ? 40 : len;

	for (size_t i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' ? s[i] : '?';
	memcpy(out + n, len > n ? "..." : "", len > n ? 4 : 1);
}

static bool named(const struct sigv4_header *h, const char *name)
{
	size_t n = strlen(name);

	return h->name_len == n && strncasecmp(h->name, name, n) == 0;
}

/* Whether a header of this name is present with something in it. */
static bool present(const struct sigv4_header *h, size_t nh, const char *name)
{
	for (size_t i = 0; i < nh; i++) {
		if (!named(&h[i], name))
			continue;
		for (size_t k = 0; k < h[i].value_len; k++)
			if (!ows(h[i].value[k]))
				return true;
	}
	return false;
}

struct slice {
	const char *s;
	size_t len;
};

/* The comma-separated entries of every instance of header name, in order, empty ones skipped (RFC 9110 5.6.1).
 * Returns their number, or -1 when there are more than max. */
static int list_entries(const struct sigv4_header *h, size_t nh, const char *name, struct slice *out, int max)
{
	int n = 0;

	for (size_t i = 0; i < nh; i++) {
		const char *p, *end;
		if (!named(&h[i], name))
			continue;
		p = h[i].value;
		end = p + h[i].value_len;
		while (p <= end) {
			const char *comma = memchr(p, ',', (size_t)(end - p)), *e = comma ? comma : end, *b = p;
			while (b < e && ows(*b))
				b++;
			while (e > b && ows(e[-1]))
				e--;
			if (e > b) {
				if (n == max)
					return -1;
				out[n++] = (struct slice){b, (size_t)(e - b)};
			}
			if (!comma)
				break;
			p = comma + 1;
		}
	}
	return n;
}

/* One Forwarded element: its for= and proto= (unquoted), if present. */
struct fwd_elem {
	char for_[VALUE_MAX];
	size_t for_len;
	bool has_for;
	char proto[PROTO_MAX];
	size_t proto_len;
	bool has_proto;
};

static bool tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Reads a value (token or quoted-string) at *pp into out (cap bytes); C_ERR when it does not parse or is longer. */
static int fwd_value(const char **pp, const char *end, char *out, size_t cap, size_t *len)
{
	const char *p = *pp;
	size_t n = 0;

	if (p < end && *p == '"') {
		for (p++;; p++) {
			unsigned char c;
			if (p == end)
				return C_ERR; /* unterminated */
			c = (unsigned char)*p;
			if (c == '"')
				break;
			if (c == '\\') {
				if (++p == end)
					return C_ERR;
				c = (unsigned char)*p;
				if (c != '\t' && (c < 0x20 || c == 0x7f))
					return C_ERR;
			} else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
				return C_ERR;
			}
			if (n + 1 >= cap)
				return C_ERR;
			out[n++] = (char)c;
		}
		p++;
	} else {
		while (p < end && tchar(*p)) {
			if (n + 1 >= cap)
				return C_ERR;
			out[n++] = *p++;
		}
		if (n == 0)
			return C_ERR;
	}
	out[n] = '\0';
	*len = n;
	*pp = p;
	return C_OK;
}

/* Parses every Forwarded instance into elems (at most FWD_MAX_ENTRIES). Returns their number, or -1 with why. */
static int forwarded_elements(const struct sigv4_header *h, size_t nh, struct fwd_elem *elems, char *why,
                              size_t whylen)
{
	int n = 0;

	for (size_t i = 0; i < nh; i++) {
		const char *p, *end;
		if (!named(&h[i], "Forwarded"))
			continue;
		p = h[i].value;
		end = p + h[i].value_len;
		while (p < end) {
			struct fwd_elem e;
			unsigned seen = 0; /* for, by, host, proto: each at most once per element (RFC 7239 section 4) */
			bool any = false;
			memset(&e, 0, sizeof(e));
			for (;;) { /* pairs, separated by ';' */
				const char *name;
				size_t name_len;
				char scratch[SCRATCH_MAX], *dst = scratch;
				size_t cap = sizeof(scratch), vlen, *lenp = &vlen;
				unsigned bit = 0;
				while (p < end && ows(*p))
					p++;
				if (p == end || *p == ',')
					break;
				if (*p == ';') {
					p++;
					continue;
				}
				name = p;
				while (p < end && tchar(*p))
					p++;
				name_len = (size_t)(p - name);
				if (name_len == 0 || p == end || *p != '=')
					goto bad;
				p++;
				if (name_len == 3 && strncasecmp(name, "for", 3) == 0) {
					bit = 1;
					dst = e.for_;
					cap = sizeof(e.for_);
					lenp = &e.for_len;
					e.has_for = true;
				} else if (name_len == 5 && strncasecmp(name, "proto", 5) == 0) {
					bit = 8;
					dst = e.proto;
					cap = sizeof(e.proto);
					lenp = &e.proto_len;
					e.has_proto = true;
				} else if (name_len == 2 && strncasecmp(name, "by", 2) == 0) {
					bit = 2;
				} else if (name_len == 4 && strncasecmp(name, "host", 4) == 0) {
					bit = 4;
				}
				if (bit & seen) {
					snprintf(why, whylen, "a Forwarded element names %.*s twice", (int)name_len, name);
					return -1;
				}
				seen |= bit;
				if (fwd_value(&p, end, dst, cap, lenp) != C_OK)
					goto bad;
				any = true;
				while (p < end && ows(*p))
					p++;
				if (p < end && *p != ';' && *p != ',')
					goto bad;
			}
			if (p < end)
				p++; /* the ',' */
			if (!any)
				continue; /* an empty element */
			if (n == FWD_MAX_ENTRIES) {
				snprintf(why, whylen, "the Forwarded header has more than %d elements", FWD_MAX_ENTRIES);
				return -1;
			}
			elems[n++] = e;
		}
	}
	return n;
bad:
	snprintf(why, whylen, "the Forwarded header does not parse (RFC 7239)");
	return -1;
}

/* The scheme a proxy states: "http" or "https" (any case). C_ERR otherwise. */
static int proto_value(const char *s, size_t len, bool *tls)
{
	if (len == 5 && strncasecmp(s, "https", 5) == 0)
		*tls = true;
	else if (len == 4 && strncasecmp(s, "http", 4) == 0)
		*tls = false;
	else
		return C_ERR;
	return C_OK;
}

/* The client of a list of nodes, walked from the right: *at is its index. C_ERR with why. */
static int walk(const struct fwd_trust *t, int n, const char *header, const struct slice *xff,
                const struct fwd_elem *elems, struct fwd_net *client, int *at, char *why, size_t whylen)
{
	for (int i = n - 1; i >= 0; i--) {
		const char *s = xff ? xff[i].s : elems[i].for_;
		size_t len = xff ? xff[i].len : elems[i].for_len;
		char show[48];
		enum node k;
		if (!xff && !elems[i].has_for) {
			snprintf(why, whylen, "a Forwarded element the client is behind names no for=");
			return C_ERR;
		}
		k = len > VALUE_MAX ? NODE_BAD : parse_node(s, len, !xff, client);
		shown(s, len, show);
		if (k == NODE_UNKNOWN) {
			snprintf(why, whylen, "the proxy does not know the client's address (%s \"%s\")", header, show);
			return C_ERR;
		}
		if (k == NODE_BAD) {
			snprintf(why, whylen, "%s entry \"%s\" is not an IP address", header, show);
			return C_ERR;
		}
		*at = i;
		if (!trusted(t, client))
			return C_OK;
	}
	return C_OK; /* every entry is a trusted proxy: the leftmost is the client */
}

int fwd_resolve(const struct fwd_trust *t, const char *peer_ip, bool peer_tls, const struct sigv4_header *headers,
                size_t nheaders, char *client_ip, bool *tls, char *why, size_t whylen)
{
	struct fwd_net client;
	int n, at = -1;

	snprintf(client_ip, FWD_IP_LEN, "%s", peer_ip ? peer_ip : "");
	*tls = peer_tls;
	if (why && whylen)
		why[0] = '\0';
	if (!t || t->n == 0 || !fwd_trusted(t, peer_ip))
		return C_OK; /* not from a trusted proxy: its headers are the client's word, and ignored */

	if (present(headers, nheaders, "Forwarded")) {
		struct fwd_elem elems[FWD_MAX_ENTRIES];
		if (present(headers, nheaders, "X-Forwarded-For") || present(headers, nheaders, "X-Forwarded-Proto")) {
			snprintf(why, whylen, "both Forwarded and X-Forwarded-For/-Proto are present (a proxy writes one; the "
			                      "other came from the client)");
			return C_ERR;
		}
		n = forwarded_elements(headers, nheaders, elems, why, whylen);
		if (n < 0 || walk(t, n, "Forwarded for=", NULL, elems, &client, &at, why, whylen) != C_OK)
			return C_ERR;
		if (at >= 0 && elems[at].has_proto && proto_value(elems[at].proto, elems[at].proto_len, tls) != C_OK) {
			*tls = peer_tls;
			snprintf(why, whylen, "the Forwarded proto= of the client is neither http nor https");
			return C_ERR;
		}
	} else {
		struct slice xff[FWD_MAX_ENTRIES], xfp[2];
		bool proto_tls;
		n = list_entries(headers, nheaders, "X-Forwarded-For", xff, FWD_MAX_ENTRIES);
		if (n < 0) {
			snprintf(why, whylen, "X-Forwarded-For has more than %d entries", FWD_MAX_ENTRIES);
			return C_ERR;
		}
		if (walk(t, n, "X-Forwarded-For", xff, NULL, &client, &at, why, whylen) != C_OK)
			return C_ERR;
		/* X-Forwarded-Proto is set by the proxy next to the client, once: a list would say more than one thing */
		n = list_entries(headers, nheaders, "X-Forwarded-Proto", xfp, 2);
		if (n < 0 || n > 1 || (n == 1 && proto_value(xfp[0].s, xfp[0].len, &proto_tls) != C_OK)) {
			snprintf(why, whylen, "X-Forwarded-Proto must be one value, http or https");
			return C_ERR;
		}
		if (n == 1)
			*tls = proto_tls;
	}
	if (at >= 0)
		ip_text(&client, client_ip);
	return C_OK;
}
