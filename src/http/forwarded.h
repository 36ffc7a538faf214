/*
 * forwarded.h - the client's address and scheme behind trusted proxies (--trusted-proxy): X-Forwarded-For with
 * X-Forwarded-Proto, or RFC 7239 Forwarded.
 *
 * Only a request whose TCP peer is inside a trusted network has its forwarding headers read at all; from anyone
 * else they are ignored and the client is the peer. From a trusted peer the address list (every instance of the
 * header, in order, as one list) is walked from the right, skipping the addresses that are themselves trusted
 * proxies; the first one that is not is the client (nginx's real_ip_recursive, Vault's x_forwarded_for handling).
 * Entries left of it were written by the client and are never used. When every entry is a trusted proxy, the
 * leftmost is the client.
 *
 * Fail closed. A request from a trusted peer is refused (fwd_resolve returns C_ERR with the reason) when its
 * headers cannot be used: an entry that is reached and is not an address (garbage, "unknown", an obfuscated
 * identifier: the client is then not known, and the proxy's own address, which allow-lists may well cover, must not
 * stand in for it), more than FWD_MAX_ENTRIES entries, both dialects at once (X-Forwarded-* and Forwarded: the
 * proxy writes one, so the other came from the client), an X-Forwarded-Proto that is not exactly one "http" or
 * "https", a Forwarded header that does not parse. A trusted peer that sends no forwarding header at all is the
 * client itself (a probe, the proxy's own request).
 *
 * The scheme: the client element's proto= (Forwarded), else X-Forwarded-Proto, else the connection's own.
 */
#ifndef ROLEGATE_FORWARDED_H
#define ROLEGATE_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/sigv4.h"

#define FWD_MAX_NETS 64    /* --trusted-proxy entries */
#define FWD_MAX_ENTRIES 32 /* entries of one forwarding header (all its instances together) */
#define FWD_IP_LEN 64      /* room for an address in text, NUL included */

/* One trusted network. IPv4-mapped IPv6 addresses are kept (and compared) as IPv4. */
struct fwd_net {
	uint8_t family; /* 4 or 6 */
	uint8_t bits;
	uint8_t addr[16];
};

/* The trusted proxies: empty means none (forwarding headers are never read). */
struct fwd_trust {
	struct fwd_net nets[FWD_MAX_NETS];
	size_t n;
};

/* Adds "ADDR/BITS" or a bare "ADDR" (/32 or /128) to t. C_ERR with the reason in err when it does not parse, has
 * bits set beyond its prefix (10.0.0.5/8: a typo for /32, or for 10.0.0.0/8?), or t is full. */
int fwd_trust_add(struct fwd_trust *t, const char *cidr, char *err, size_t errlen);

/* Writes t's networks as "10.0.0.0/8, 2001:db8::/32" into out (truncated to len). */
void fwd_trust_text(const struct fwd_trust *t, char *out, size_t len);

/* Whether ip (text) is inside one of t's networks. false when ip does not parse. */
bool fwd_trusted(const struct fwd_trust *t, const char *ip);

/*
 * The client of a request: peer_ip and peer_tls are the connection's; headers are the request's, in order.
 * Sets client_ip (FWD_IP_LEN bytes, the address in canonical text) and *tls. C_OK; or C_ERR when the peer is
 * trusted and its forwarding headers cannot be used: then why holds the reason, client_ip the peer and *tls the
 * connection's, and the request must be refused.
 */
int fwd_resolve(const struct fwd_trust *t, const char *peer_ip, bool peer_tls, const struct sigv4_header *headers,
                size_t nheaders, char *client_ip, bool *tls, char *why, size_t whylen);

#endif
