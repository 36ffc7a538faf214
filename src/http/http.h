/*
 * http.h - the HTTP listener (libmicrohttpd with its internal thread pool) and the request/response it hands to
 * the service layer.
 *
 * The listener bounds everything it reads: the request line and headers (MHD's per-connection memory limit), the
 * body (max_body: larger bodies get 413 with an AWS-style error before they are read), the number of connections
 * (in all and from one address), idle time (idle connections and clients that stall are cut after
 * idle_timeout_s) and the time a request may take to arrive (request_deadline_s, however steadily it trickles).
 */
#ifndef ROLEGATE_HTTP_H
#define ROLEGATE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/sigv4.h"
#include "http/forwarded.h"
#include "util/buf.h"

#define HTTP_MAX_HEADERS 64

/* A complete request, as the handler sees it. Everything is owned by the listener and valid during the call. */
struct http_request {
	const char *method;
	const char *path; /* raw, as on the wire (not percent-decoded), without the query */
	size_t path_len;
	const char *query; /* raw query string without '?', or NULL */
	size_t query_len;
	struct sigv4_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;
	bool too_many_headers;
	const char *body;
	size_t body_len;
	/* The client: the TCP peer, or the address a trusted proxy names (forwarded.h). aws:SourceIp, the audit's
	 * source IP and the logs' ip= all read this. */
	char source_ip[FWD_IP_LEN];
	char peer_ip[FWD_IP_LEN]; /* the TCP peer (the proxy's own address when the request came through one) */
	bool tls;         /* the client used TLS (aws:SecureTransport): this connection's, or a trusted proxy's word */
	/* Non-empty: the request came from a trusted proxy whose forwarding headers cannot be used (why); source_ip
	 * and tls are then the connection's, and the request must be refused. */
	char forwarded_error[160];
};

/* A response's wait for something else (a durable audit record) before it may leave: see http_response.deferred. */
struct http_wait;

#define HTTP_RESP_HEADERS_MAX 12       /* extra response headers a handler may set */
#define HTTP_RESP_HEADER_VALUE_MAX 640 /* the longest value of one (a Set-Cookie with a sealed id, a CSP) */

/* A response header beyond Content-Type and x-amzn-RequestId (the console's cookies, redirects, security headers). */
struct http_resp_header {
	char name[40];
	char value[HTTP_RESP_HEADER_VALUE_MAX];
};

/* What the handler fills in. */
struct http_response {
	int status;
	const char *content_type;
	struct buf body; /* the listener frees it */
	bool sensitive;  /* the body carries a secret: wipe it once sent */
	char request_id[40];
	uint32_t tag; /* the handler's, handed back to http_options.answered with the status sent (0: none) */
	/* Deferring. The listener sets wait; a handler that must not answer before some other thread has finished
	 * (the audit committer) hands wait to it, which calls http_wait_done(wait, rc) exactly once, and sets deferred.
	 * The listener then parks the connection (its thread serves others meanwhile) and sends the response once the
	 * wait is done: body when rc is C_OK, alt_body (when alt_status is set) otherwise. */
	struct http_wait *wait;
	bool deferred;
	int alt_status;            /* 0: send body whatever rc is */
	const char *alt_content_type;
	struct buf alt_body;       /* the listener frees it */
	/* Extra headers (http_response_header): sent with body; not with alt_body. */
	struct http_resp_header headers[HTTP_RESP_HEADERS_MAX];
	size_t nheaders;
};

/* Adds a response header (sent in the order added; a name may repeat, as Set-Cookie does). C_ERR when the list is
 * full, or the name or value is too long or holds a control character (CR/LF: no header injection). */
int http_response_header(struct http_response *resp, const char *name, const char *value);

/* Ends a deferred response's wait (any thread, once): rc C_OK sends its body, C_ERR its alternative. The signature
 * is auditlog_done_fn's, so the wait can be handed straight to auditlog_submit. */
void http_wait_done(void *wait, int rc);

/* Handles one request. Called on a listener thread; may block (storage). */
typedef void (*http_handler_fn)(void *ctx, const struct http_request *req, struct http_response *resp);
/* Why the listener refuses a request before reading its body. */
enum http_reject {
	HTTP_REJECT_TOO_LARGE,   /* the body exceeds max_body */
	HTTP_REJECT_BAD_FRAMING, /* conflicting Content-Length headers (RFC 9112 6.3) */
};
/* Answers a refused request (before its body is read): fills resp with the AWS error. */
typedef void (*http_reject_fn)(void *ctx, const struct http_request *req, enum http_reject why,
                               struct http_response *resp);

/* Told once a response is queued: resp->tag as the handler set it, the status actually sent (a deferred response's
 * alternative when its wait failed) and the time since the request was complete, in microseconds. Called on the
 * connection's thread; must be quick. */
typedef void (*http_answered_fn)(uint32_t tag, int status, int64_t elapsed_us);

struct http_options {
	const char *listen;   /* "127.0.0.1:8600", "[::1]:8600", "0.0.0.0:0": for messages */
	int listen_fd;        /* from http_listen_socket; http_start takes it, even when it fails */
	unsigned port;        /* the port listen_fd is bound to */
	unsigned threads;
	unsigned max_connections;
	unsigned max_connections_per_ip; /* 0: no cap */
	unsigned request_deadline_s;     /* a request's head and body must arrive within this; 0: no deadline */
	unsigned idle_timeout_s;
	size_t max_body;
	size_t max_header_bytes;
	/* TLS: both NULL for plain HTTP, or the PEM certificate chain (leaf first) and private key, NUL-terminated.
	 * The caller owns them; http_start is done with them when it returns (wipe the key then). */
	const char *tls_cert_pem;
	const char *tls_key_pem;
	/* --trusted-proxy: peers whose X-Forwarded-For / Forwarded name the client (forwarded.h). NULL or empty: none.
	 * The caller's, for as long as the server runs. */
	const struct fwd_trust *trusted_proxies;
	http_handler_fn handler;
	http_reject_fn reject;
	http_answered_fn answered; /* optional */
	void *ctx;
};

/* What a listener has seen, for the metrics. */
struct http_stats {
	unsigned connections_open;     /* accepted and not yet closed */
	uint64_t connections_accepted; /* since the start */
};

struct http_server;

/* Binds spec ("host:port", "[v6]:port", ":port") and listens, so that a caller learns that the address is taken
 * before it sets anything else up. Returns the socket and sets *port to the port bound (useful with port 0), or -1
 * with errno set (EINVAL: spec does not parse). */
int http_listen_socket(const char *spec, unsigned *port);
/* Whether spec ("host:port", as http_listen_socket takes it) names a loopback address (127.0.0.0/8, ::1, or
 * ::ffff:127.0.0.0/104). false when it does not parse. */
bool http_listen_is_loopback(const char *spec);
/* Starts serving on opts->listen_fd. NULL on failure (logged). */
struct http_server *http_start(const struct http_options *opts);
/* The port actually bound (useful with port 0). */
unsigned http_port(const struct http_server *s);
/* Fills st with s's connection counts (s may be NULL: all zero). */
void http_get_stats(struct http_server *s, struct http_stats *st);
/* Makes new TLS handshakes use cert_pem (chain, leaf first) and key_pem (the caller wipes it after); connections
 * already open keep theirs. C_OK, or C_ERR (logged; the previous certificate stays). */
int http_tls_reload(struct http_server *s, const char *cert_pem, const char *key_pem);
/* Stops accepting, lets in-flight requests finish (at most grace_ms; a response held for its wait, the durable
 * audit record, is waited for beyond that, up to 2 minutes, since libmicrohttpd cannot stop with a connection
 * suspended), then stops and frees. */
void http_stop(struct http_server *s, unsigned grace_ms);

#endif
