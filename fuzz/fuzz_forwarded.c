/*
 * fuzz_forwarded.c - the client's address behind trusted proxies (src/http/forwarded.c): --trusted-proxy values
 * and the forwarding headers of a request, on arbitrary bytes. forwarded.c is #included (src/http is not in the
 * fuzz archive).
 *
 * The input is lines: the first is a --trusted-proxy value (added to fixed networks), the second the peer's
 * address (cut to FWD_IP_LEN - 1 bytes), the rest "Name: value" headers (a line without ": " is a header with an empty value), at most 24.
 *
 * Checks beyond the sanitizers:
 *   - an untrusted peer is its own client, on its own connection's scheme, whatever the headers say;
 *   - a refused request keeps the peer's address and the connection's scheme, and says why;
 *   - a client taken from the headers is an address in canonical text (it parses, and prints back the same);
 *   - the answer does not depend on the headers' letter case or on other headers in between.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/forwarded.c"

#define MAX_LINES 26

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool canonical(const char *ip)
{
	uint8_t a[16];
	char back[FWD_IP_LEN];
	int af = strchr(ip, ':') ? AF_INET6 : AF_INET;

	return inet_pton(af, ip, a) == 1 && inet_ntop(af, a, back, sizeof(back)) && strcmp(back, ip) == 0;
}

static int run(const struct fwd_trust *t, const char *peer, bool peer_tls, const struct sigv4_header *h, size_t n,
               char *ip, bool *tls, char *why)
{
	int rc = fwd_resolve(t, peer, peer_tls, h, n, ip, tls, why, 200);

	if (rc != C_OK && rc != C_ERR)
		abort();
	if (rc == C_ERR && (strcmp(ip, peer) != 0 || *tls != peer_tls || !why[0]))
		abort();
	if (!fwd_trusted(t, peer) && (rc != C_OK || strcmp(ip, peer) != 0 || *tls != peer_tls))
		abort();
	if (rc == C_OK && strcmp(ip, peer) != 0 && !canonical(ip))
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwd_trust t;
	struct sigv4_header h[MAX_LINES], mixed[2 * MAX_LINES];
	char *text = malloc(size + 1), *lines[MAX_LINES], err[256], ip[FWD_IP_LEN], ip2[FWD_IP_LEN], why[200];
	char upper[MAX_LINES][32];
	size_t nlines = 0, nh = 0, nm = 0;
	bool tls, tls2, peer_tls = size && (data[0] & 1);
	int rc, rc2;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *p = text; p && nlines < MAX_LINES;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		lines[nlines++] = p;
		p = nl ? nl + 1 : NULL;
	}
	memset(&t, 0, sizeof(t));
	fwd_trust_add(&t, "10.0.0.0/8", err, sizeof(err));
	fwd_trust_add(&t, "2001:db8:f::/48", err, sizeof(err));
	if (nlines > 0 && fwd_trust_add(&t, lines[0], err, sizeof(err)) == C_OK) {
		char nets[1024];
		fwd_trust_text(&t, nets, sizeof(nets));
		if (!strchr(nets, '/'))
			abort();
	}
	for (size_t i = 2; i < nlines; i++) {
		char *sep = strstr(lines[i], ": ");
		h[nh].name = lines[i];
		h[nh].name_len = sep ? (size_t)(sep - lines[i]) : strlen(lines[i]);
		h[nh].value = sep ? sep + 2 : "";
		h[nh].value_len = sep ? strlen(sep + 2) : 0;
		nh++;
	}
	{
		const char *peer = nlines > 1 ? lines[1] : "10.0.0.1";
		if (strlen(peer) >= FWD_IP_LEN) /* the listener's peer is inet_ntop's text */
			lines[1][FWD_IP_LEN - 1] = '\0';
		rc = run(&t, peer, peer_tls, h, nh, ip, &tls, why);
		/* the same headers, names upper-cased, with an unrelated header before each */
		for (size_t i = 0; i < nh; i++) {
			size_t k = h[i].name_len < sizeof(upper[i]) ? h[i].name_len : 0;
			for (size_t j = 0; j < k; j++)
				upper[i][j] = (char)(h[i].name[j] >= 'a' && h[i].name[j] <= 'z' ? h[i].name[j] - 32 : h[i].name[j]);
			mixed[nm++] = (struct sigv4_header){"X-Other", 7, "for=1.2.3.4, 5.6.7.8", 20};
			mixed[nm] = h[i];
			if (k)
				mixed[nm].name = upper[i];
			nm++;
		}
		rc2 = run(&t, peer, peer_tls, mixed, nm, ip2, &tls2, why);
		if (rc != rc2 || strcmp(ip, ip2) != 0 || (rc == C_OK && tls != tls2))
			abort();
	}
	free(text);
	return 0;
}
