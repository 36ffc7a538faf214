/*
 * http.c - libmicrohttpd glue: request lifecycle, limits, graceful shutdown.
 *
 * Lifecycle of one request:
 *   uri_log()      MHD has the request line: allocate our per-request state and keep the raw URI
 *   on_request()   first call: headers are complete; refuse an oversize Content-Length with 413 at once
 *                  next calls: body chunks, appended to a buffer capped at max_body
 *                  last call: run the handler, queue its response
 *   on_completed() free the per-request state
 *
 * Slow clients. MHD's connection timeout is an idle timer that every byte resets, so a client that dribbles a
 * header line every few seconds would hold its connection (and, a thousand of them, every connection) forever.
 * Each connection is tracked from its accept (on_connection) and a reaper thread cuts, with shutdown(2), every one
 * whose request head and body are not complete by its deadline; MHD then sees the connection end and closes it.
 * The deadline is request_deadline_s after the accept; on a kept-alive connection it is idle_timeout_s +
 * request_deadline_s after the previous request (MHD's idle timer applies while it waits), and request_deadline_s
 * once the next request line is in (uri_log). When the connection table is full, kept-alive connections waiting
 * for a request and those still reading one after EVICT_AFTER_MS are cut too, so that clients from many addresses
 * cannot keep a legitimate one waiting in the backlog until the deadline. MHD itself refuses (accepts and closes)
 * connections beyond max_connections_per_ip from one address.
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include "http/mhd_api.h"
#include "http/tlscreds.h"
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/common.h"
#include "util/log.h"
#include "util/timeutil.h"

#define LISTEN_BACKLOG 1024

/* GnuTLS priorities: TLS 1.3 and 1.2 only; in 1.2 forward-secret ECDHE key exchange with AEAD ciphers (AES-GCM,
 * ChaCha20-Poly1305) only, as Mozilla's "intermediate" profile; no CBC, no RSA key transport, no SHA-1 signatures. */
#define TLS_PRIORITIES                                                                                                \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:"          \
	"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:%SERVER_PRECEDENCE"

#define REAP_INTERVAL_MS 100
#define EVICT_AFTER_MS 2000
#define CUT_REPORT_MS 10000
#define HELD_WAIT_MS 120000 /* at stop, the longest wait for responses held for their audit record */

/* One connection, from its accept to its close: MHD's socket_context. */
struct conn_track {
	int fd;                      /* MHD's socket: open until after on_connection(CLOSED) has unlinked this */
	atomic_bool reading;         /* from the accept (or the end of a request) until a head and body are complete */
	atomic_bool idle;            /* kept alive after a request, no request line of the next one yet */
	_Atomic int64_t since_ms;    /* when the current request (or the wait for one) began, mono_ms() */
	_Atomic int64_t deadline_ms; /* when it must be complete, mono_ms() */
	bool cut;                    /* the reaper has shut the socket down (under conns_mu) */
	struct conn_track *prev, *next;
};

struct http_server {
	struct MHD_Daemon *d;
	struct http_options opts;
	unsigned port;
	bool tls; /* every connection is TLS (opts' PEM pointers are the caller's, gone after http_start) */
	atomic_int inflight; /* requests between their first byte and their completion */
	atomic_int parked;   /* connections suspended until their wait is done (MHD must not stop while any are) */
	atomic_int open_conns;              /* between MHD's STARTED and CLOSED notifications */
	_Atomic uint64_t accepted_conns;    /* STARTED notifications */
	/* every open connection, for the reaper */
	pthread_mutex_t conns_mu;
	pthread_cond_t reaper_cond;
	struct conn_track *conns;
	unsigned nconns;
	bool reaper_running, stopping;
	pthread_t reaper;
	unsigned cut_late, cut_full; /* connections cut since the last report */
	int64_t cut_reported_ms;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* MHD's connection notifications: a connection is tracked from its accept (STARTED) to its close (CLOSED, which MHD
 * calls before it closes the socket). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	struct conn_track *t = *socket_context;

	/* counted for every connection, tracked or not */
	atomic_fetch_add_explicit(&s->open_conns, code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1, memory_order_relaxed);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		atomic_fetch_add_explicit(&s->accepted_conns, 1, memory_order_relaxed);
		if (!ci || !(t = calloc(1, sizeof(*t))))
			return; /* untracked: only MHD's idle timeout applies to it */
		t->fd = ci->connect_fd;
		atomic_store(&t->reading, true);
		atomic_store(&t->since_ms, mono_ms());
		atomic_store(&t->deadline_ms, mono_ms() + (int64_t)s->opts.request_deadline_s * 1000);
		pthread_mutex_lock(&s->conns_mu);
		t->next = s->conns;
		if (s->conns)
			s->conns->prev = t;
		s->conns = t;
		s->nconns++;
		pthread_mutex_unlock(&s->conns_mu);
		*socket_context = t;
		return;
	}
	if (!t)
		return;
	pthread_mutex_lock(&s->conns_mu);
	if (t->prev)
		t->prev->next = t->next;
	else
		s->conns = t->next;
	if (t->next)
		t->next->prev = t->prev;
	s->nconns--;
	pthread_mutex_unlock(&s->conns_mu);
	free(t);
	*socket_context = NULL;
}

/* The tracker of conn (NULL when untracked). */
static struct conn_track *track_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* Cuts the connections that are late: past their deadline, or (the table full) idle or reading for
 * EVICT_AFTER_MS. */
static void reap(struct http_server *s, int64_t now)
{
	bool deadline = s->opts.request_deadline_s > 0;
	/* MHD splits max_connections among its threads, rounding down: full may come a few connections early */
	bool full = s->opts.max_connections && s->nconns + s->opts.threads >= s->opts.max_connections;

	for (struct conn_track *t = s->conns; t; t = t->next) {
		int64_t age;
		if (t->cut || !atomic_load(&t->reading))
			continue;
		age = now - atomic_load(&t->since_ms);
		if (deadline && now >= atomic_load(&t->deadline_ms))
			s->cut_late++;
		else if (full && (atomic_load(&t->idle) || age >= EVICT_AFTER_MS))
			s->cut_full++;
		else
			continue;
		shutdown(t->fd, SHUT_RDWR);
		t->cut = true;
	}
	/* one line per CUT_REPORT_MS at most, however many are cut */
	if ((s->cut_full || s->cut_late) && now - s->cut_reported_ms >= CUT_REPORT_MS) {
		log_warnx("http: cut %u connection(s) whose request was not in within --request-deadline and %u still "
		          "arriving or idle while every connection was taken (--max-connections)",
		          s->cut_late, s->cut_full);
		s->cut_late = s->cut_full = 0;
		s->cut_reported_ms = now;
	}
}

static void *reaper_main(void *arg)
{
	struct http_server *s = arg;
	struct timespec ts;

	pthread_mutex_lock(&s->conns_mu);
	while (!s->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += REAP_INTERVAL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->reaper_cond, &s->conns_mu, &ts);
		if (!s->stopping)
			reap(s, mono_ms());
	}
	pthread_mutex_unlock(&s->conns_mu);
	return NULL;
}

/* A deferred response's wait (http.h). Its lock orders the finisher's resume against the listener's suspend and
 * against the request's end, so that neither touches a freed wait. */
struct http_wait {
	pthread_mutex_t mu;
	struct MHD_Connection *conn;
	bool done;      /* http_wait_done has been called */
	bool parked;    /* the connection is suspended, waiting for done */
	int rc;
};

/* Per-request state: MHD's *req_cls. */
struct req_state {
	char *uri;       /* owned copy of the raw request target */
	struct buf body; /* capped at max_body */
	bool too_large;
	bool bad_framing;
	bool started;
	bool answering;              /* a deferred response is held in resp, waiting for wait.done */
	int64_t complete_us;         /* when the request was complete (mono_us), for http_options.answered */
	struct http_response resp;   /* the held response (answering) */
	struct http_wait wait;
};

struct length_check {
	const char *first;
	bool conflict;
};

static enum MHD_Result check_length(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct length_check *lc = cls;

	UNUSED(kind);
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
		return MHD_YES;
	if (!lc->first)
		lc->first = value ? value : "";
	else if (strcmp(lc->first, value ? value : "") != 0)
		lc->conflict = true;
	return MHD_YES;
}

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *s = cls;
	struct req_state *st = calloc(1, sizeof(*st));
	struct conn_track *t = track_of(conn);

	if (t && atomic_load(&t->idle)) {
		/* the request line of a kept-alive connection's next request: its deadline starts now */
		int64_t now = mono_ms();
		atomic_store(&t->since_ms, now);
		atomic_store(&t->deadline_ms, now + (int64_t)s->opts.request_deadline_s * 1000);
		atomic_store(&t->idle, false);
	}
	if (!st)
		return NULL;
	st->uri = strdup(uri ? uri : "/");
	buf_init(&st->body, s->opts.max_body);
	pthread_mutex_init(&st->wait.mu, NULL);
	atomic_fetch_add(&s->inflight, 1);
	return st;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct req_state *st = *req_cls;

	UNUSED(toe);
	if (!st)
		return;
	/* a finisher still inside http_wait_done holds the lock until it is out */
	pthread_mutex_lock(&st->wait.mu);
	pthread_mutex_unlock(&st->wait.mu);
	pthread_mutex_destroy(&st->wait.mu);
	if (st->answering) {
		/* held and never sent: the client went away while its response waited, and MHD ended the request on
		 * resuming it without calling on_request again, so the parked count is given back here */
		if (st->wait.parked)
			atomic_fetch_sub(&s->parked, 1);
		buf_free_secret(&st->resp.body);
		buf_free(&st->resp.alt_body);
	}
	free(st->uri);
	buf_free(&st->body);
	free(st);
	*req_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
	{
		/* kept alive: the next request must be in within the idle timeout and its deadline */
		struct conn_track *t = track_of(conn);
		if (t) {
			int64_t now = mono_ms();
			atomic_store(&t->since_ms, now);
			atomic_store(&t->deadline_ms,
			             now + ((int64_t)s->opts.idle_timeout_s + s->opts.request_deadline_s) * 1000);
			atomic_store(&t->idle, true);
			atomic_store(&t->reading, true);
		}
	}
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct http_request *r = cls;

	UNUSED(kind);
	if (r->nheaders == HTTP_MAX_HEADERS) {
		r->too_many_headers = true;
		return MHD_NO;
	}
	r->headers[r->nheaders].name = key;
	r->headers[r->nheaders].name_len = strlen(key);
	r->headers[r->nheaders].value = value ? value : "";
	r->headers[r->nheaders].value_len = value ? strlen(value) : 0;
	r->nheaders++;
	return MHD_YES;
}

static void fill_request(const struct http_server *s, struct MHD_Connection *conn, const char *method,
                         struct req_state *st, struct http_request *r)
{
	const union MHD_ConnectionInfo *ci;
	char *q = strchr(st->uri, '?');

	memset(r, 0, sizeof(*r));
	r->method = method;
	r->path = st->uri;
	r->path_len = q ? (size_t)(q - st->uri) : strlen(st->uri);
	if (q) {
		r->query = q + 1;
		r->query_len = strlen(q + 1);
	}
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, r);
	r->body = buf_str(&st->body);
	r->body_len = st->body.len;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->peer_ip,
			          sizeof(r->peer_ip));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->peer_ip,
			          sizeof(r->peer_ip));
	}
	/* The client is the peer (on TLS when the daemon speaks it: on every connection or on none), unless the peer
	 * is a trusted proxy that names another. With too many headers to see them all, the peer's word is not read:
	 * the request is refused (dispatch) before anything uses its address. */
	memcpy(r->source_ip, r->peer_ip, sizeof(r->source_ip));
	r->tls = s->tls;
	if (!r->too_many_headers &&
	    fwd_resolve(s->opts.trusted_proxies, r->peer_ip, s->tls, r->headers, r->nheaders, r->source_ip, &r->tls,
	                r->forwarded_error, sizeof(r->forwarded_error)) != C_OK && !r->forwarded_error[0])
		snprintf(r->forwarded_error, sizeof(r->forwarded_error), "the forwarding headers cannot be used");
}

/* MHD's free callback for bodies that carried a secret (buf bodies are NUL-terminated text). */
static void wipe_and_free(void *p)
{
	explicit_bzero(p, strlen(p));
	free(p);
}

/* Queues resp on conn and tells opts.answered (the request was complete at complete_us). */
static enum MHD_Result send_response(struct http_server *s, struct MHD_Connection *conn, struct http_response *resp,
                                     int64_t complete_us)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;
	size_t len = resp->body.len;
	char *body = buf_steal(&resp->body);

	/* Ownership of body passes to MHD, which frees it once the response is destroyed. */
	if (resp->sensitive)
		mr = MHD_create_response_from_buffer_with_free_callback(len, body, wipe_and_free);
	else
		mr = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!mr) {
		free(body);
		return MHD_NO;
	}
	if (resp->content_type)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	if (resp->request_id[0])
		MHD_add_response_header(mr, "x-amzn-RequestId", resp->request_id);
	for (size_t i = 0; i < resp->nheaders && i < HTTP_RESP_HEADERS_MAX; i++)
		MHD_add_response_header(mr, resp->headers[i].name, resp->headers[i].value);
	ret = MHD_queue_response(conn, (unsigned)resp->status, mr);
	MHD_destroy_response(mr);
	if (s->opts.answered)
		s->opts.answered(resp->tag, resp->status, mono_us() - complete_us);
	return ret;
}

/* Whether s is printable ASCII (and tab, in values): no CR, LF or NUL can split a header. */
static bool header_text(const char *s, bool value)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 ? !(value && *s == '\t') : (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

int http_response_header(struct http_response *resp, const char *name, const char *value)
{
	struct http_resp_header *h;

	if (resp->nheaders >= HTTP_RESP_HEADERS_MAX || !name[0] || strlen(name) >= sizeof(h->name) ||
	    strlen(value) >= sizeof(h->value) || !header_text(name, false) || strchr(name, ':') || strchr(name, ' ') ||
	    !header_text(value, true))
		return C_ERR;
	h = &resp->headers[resp->nheaders++];
	memcpy(h->name, name, strlen(name) + 1);
	memcpy(h->value, value, strlen(value) + 1);
	return C_OK;
}

static void response_init(struct http_response *resp, struct http_wait *wait)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 500;
	buf_init(&resp->body, 16 * 1024 * 1024);
	buf_init(&resp->alt_body, 64 * 1024);
	resp->wait = wait;
}

void http_wait_done(void *arg, int rc)
{
	struct http_wait *w = arg;

	pthread_mutex_lock(&w->mu);
	w->rc = rc;
	w->done = true;
	if (w->parked)
		MHD_resume_connection(w->conn); /* MHD calls on_request again on the connection's own thread */
	pthread_mutex_unlock(&w->mu);
}

/* Sends the held response of a finished wait: its body, or its alternative when the wait failed. */
static enum MHD_Result send_held(struct http_server *s, struct MHD_Connection *conn, struct req_state *st)
{
	struct http_response *r = &st->resp;
	enum MHD_Result ret;
	int rc;

	pthread_mutex_lock(&st->wait.mu);
	rc = st->wait.rc;
	pthread_mutex_unlock(&st->wait.mu);
	if (rc != C_OK && r->alt_status) {
		buf_free_secret(&r->body);
		r->body = r->alt_body; /* ownership moves */
		buf_init(&r->alt_body, 0);
		r->status = r->alt_status;
		r->content_type = r->alt_content_type;
		r->sensitive = false;
		r->nheaders = 0;
	}
	st->answering = false;
	ret = send_response(s, conn, r, st->complete_us);
	buf_free(&r->body);
	buf_free(&r->alt_body);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
	struct http_server *s = cls;
	struct req_state *st = *req_cls;
	struct http_request req;
	struct http_response resp;
	enum MHD_Result ret;

	UNUSED(url);
	UNUSED(version);
	if (!st)
		return MHD_NO;
	if (st->answering) { /* resumed: the wait is over */
		if (st->wait.parked)
			atomic_fetch_sub(&s->parked, 1);
		return send_held(s, conn, st);
	}
	if (!st->started) {
		struct length_check lc = {NULL, false};
		st->started = true;
		MHD_get_connection_values(conn, MHD_HEADER_KIND, check_length, &lc);
		if (lc.conflict)
			st->bad_framing = true;
		else if (lc.first && strtoull(lc.first, NULL, 10) > s->opts.max_body)
			st->too_large = true;
		if (!st->too_large && !st->bad_framing)
			return MHD_YES; /* wait for the body */
	} else if (*upload_data_size) {
		if (!st->too_large && buf_append(&st->body, upload_data, *upload_data_size) != C_OK)
			st->too_large = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* Headers and body are complete (or the body is refused unread): the deadline no longer applies. */
	{
		struct conn_track *t = track_of(conn);
		if (t)
			atomic_store(&t->reading, false);
	}
	st->complete_us = mono_us();
	fill_request(s, conn, method, st, &req);
	st->wait.conn = conn;
	response_init(&resp, &st->wait);
	if (st->bad_framing)
		s->opts.reject(s->opts.ctx, &req, HTTP_REJECT_BAD_FRAMING, &resp);
	else if (st->too_large)
		s->opts.reject(s->opts.ctx, &req, HTTP_REJECT_TOO_LARGE, &resp);
	else
		s->opts.handler(s->opts.ctx, &req, &resp);
	if (resp.deferred) {
		/* Hold the response; park the connection unless the wait is already over. */
		st->resp = resp;
		st->answering = true;
		pthread_mutex_lock(&st->wait.mu);
		if (!st->wait.done) {
			MHD_suspend_connection(conn);
			st->wait.parked = true;
			atomic_fetch_add(&s->parked, 1);
			pthread_mutex_unlock(&st->wait.mu);
			return MHD_YES;
		}
		pthread_mutex_unlock(&st->wait.mu);
		return send_held(s, conn, st);
	}
	ret = send_response(s, conn, &resp, st->complete_us);
	buf_free(&resp.body);
	buf_free(&resp.alt_body);
	return ret;
}

/* Parses "host:port", "[v6]:port" or ":port" into a socket address. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss)
{
	char host[256];
	const char *colon;
	long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof(host))
			return C_ERR;
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(host))
			return C_ERR;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
	}
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return C_ERR;
	if (!host[0])
		strcpy(host, "0.0.0.0");
	{
		struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
			in4->sin_family = AF_INET;
			in4->sin_port = htons((uint16_t)port);
		} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons((uint16_t)port);
		} else {
			return C_ERR;
		}
	}
	return C_OK;
}

bool http_listen_is_loopback(const char *spec)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct sockaddr_storage ss;

	if (parse_listen(spec, &ss) != C_OK)
		return false;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)(const void *)&ss;
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss.ss_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)&ss)->sin6_addr.s6_addr;
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)&ss)->sin6_addr) ||
		       (memcmp(a, v4mapped, sizeof(v4mapped)) == 0 && a[12] == 127);
	}
	return false;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	UNUSED(cls);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_debug("http: %s", msg);
}

int http_listen_socket(const char *spec, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, saved;

	if (parse_listen(spec, &ss) != C_OK) {
		errno = EINVAL;
		return -1;
	}
	len = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		goto fail;
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                       : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

struct http_server *http_start(const struct http_options *opts)
{
	struct http_server *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;
	/* poll(), not epoll: MHD_quiesce_daemon on an epoll thread pool races the workers' own removal of the listen
	 * socket from their epoll sets and aborts the process ("Failed to remove listen FD from epoll set", an open
	 * libmicrohttpd defect, seen here in a SIGTERM right after start-up). Each worker has a handful of
	 * connections, so poll() costs nothing measurable (make bench: within this machine's noise). poll() also has
	 * no FD_SETSIZE limit. */
	struct MHD_OptionItem tls_opts[5] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL},
	                                     {MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL},
	                                     {MHD_OPTION_END, 0, NULL}};
	struct MHD_OptionItem pool_opt[2] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG |
	                 MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;

	if (!s) {
		close(opts->listen_fd);
		return NULL;
	}
	s->opts = *opts;
	pthread_mutex_init(&s->conns_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->reaper_cond, &ca);
	pthread_condattr_destroy(&ca);
	s->port = opts->port;
	s->tls = opts->tls_cert_pem != NULL;
	s->opts.tls_cert_pem = s->opts.tls_key_pem = NULL;
	if (s->tls) {
		if (!opts->tls_key_pem || MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			log_errorx("cannot serve TLS on %s: this libmicrohttpd was built without TLS (GnuTLS)", opts->listen);
			close(opts->listen_fd);
			goto fail;
		}
		flags |= MHD_USE_TLS;
		/* Handshakes take the chain and key from tls_creds (swapped by http_tls_reload); the PEMs are given
		 * too, as libmicrohttpd checks them at start. GnuTLS copies both during the calls. */
		if (tls_creds_set(opts->tls_cert_pem, strlen(opts->tls_cert_pem), opts->tls_key_pem,
		                  strlen(opts->tls_key_pem)) != C_OK) {
			close(opts->listen_fd);
			goto fail;
		}
		tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)opts->tls_cert_pem};
		tls_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)opts->tls_key_pem};
		tls_opts[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)(uintptr_t)TLS_PRIORITIES};
		tls_opts[3] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0, tls_creds_callback()};
	}
	/* One thread: the daemon's own (libmicrohttpd warns about a pool of 1 or 0). */
	if (opts->threads > 1)
		pool_opt[0] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)opts->threads, NULL};
	/* Ownership of listen_fd passes to MHD, which closes it when the daemon stops. */
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
	                        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)opts->listen_fd,
	                        MHD_OPTION_ARRAY, pool_opt,
	                        MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
	                        MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->max_connections_per_ip,
	                        MHD_OPTION_CONNECTION_TIMEOUT, opts->idle_timeout_s,
	                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, opts->max_header_bytes,
	                        MHD_OPTION_URI_LOG_CALLBACK, uri_log, s,
	                        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	                        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
	                        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	                        MHD_OPTION_ARRAY, tls_opts,
	                        MHD_OPTION_END);
	if (!s->d) {
		/* listen_fd is not closed here: MHD may have closed it (the process is about to exit) */
		log_errorx("cannot serve on %s", opts->listen);
		goto fail;
	}
	if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0) {
		log_warnx("cannot start the thread that cuts slow clients");
		MHD_stop_daemon(s->d);
		goto fail;
	}
	s->reaper_running = true;
	return s;
fail:
	pthread_cond_destroy(&s->reaper_cond);
	pthread_mutex_destroy(&s->conns_mu);
	free(s);
	return NULL;
}

unsigned http_port(const struct http_server *s) { return s->port; }

void http_get_stats(struct http_server *s, struct http_stats *st)
{
	int open = s ? atomic_load_explicit(&s->open_conns, memory_order_relaxed) : 0;

	st->connections_open = open > 0 ? (unsigned)open : 0;
	st->connections_accepted = s ? atomic_load_explicit(&s->accepted_conns, memory_order_relaxed) : 0;
}

int http_tls_reload(struct http_server *s, const char *cert_pem, const char *key_pem)
{
	if (!s || !s->tls) {
		log_warnx("TLS: not serving TLS; nothing to reload");
		return C_ERR;
	}
	return tls_creds_set(cert_pem, strlen(cert_pem), key_pem, strlen(key_pem));
}

/* Waits (10 ms steps) while *counter is above 0, at most limit_ms; returns the time waited. */
static unsigned wait_for_zero(atomic_int *counter, unsigned limit_ms)
{
	struct timespec tick = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
	unsigned waited = 0;

	while (atomic_load(counter) > 0 && waited < limit_ms) {
		nanosleep(&tick, NULL);
		waited += 10;
	}
	return waited;
}

void http_stop(struct http_server *s, unsigned grace_ms)
{
	MHD_socket lsock;

	if (!s)
		return;
	/* Stop accepting; requests already begun keep going. */
	lsock = MHD_quiesce_daemon(s->d);
	if (lsock != MHD_INVALID_SOCKET)
		close(lsock);
	wait_for_zero(&s->inflight, grace_ms);
	if (atomic_load(&s->parked) > 0) {
		/* Responses held for their durable audit record: whoever holds them (the audit committer, bounded by the
		 * store's busy timeouts) ends each wait, and MHD cannot stop with a connection suspended. */
		log_warnx("http: %d response(s) still wait for their audit record; waiting for them",
		          atomic_load(&s->parked));
		wait_for_zero(&s->parked, HELD_WAIT_MS);
		if (atomic_load(&s->parked) > 0) {
			log_errorx("http: %d response(s) still held after %u ms; exiting without them",
			           atomic_load(&s->parked), HELD_WAIT_MS);
			return; /* the daemon stays up (the process is exiting): a late wait_done still finds it */
		}
		wait_for_zero(&s->inflight, grace_ms ? 2000 : 0); /* their responses leave */
	}
	if (atomic_load(&s->inflight) > 0)
		log_warnx("http: %d request(s) still in flight after %u ms; closing", atomic_load(&s->inflight), grace_ms);
	pthread_mutex_lock(&s->conns_mu);
	s->stopping = true;
	pthread_cond_signal(&s->reaper_cond);
	pthread_mutex_unlock(&s->conns_mu);
	if (s->reaper_running)
		pthread_join(s->reaper, NULL);
	MHD_stop_daemon(s->d);
	if (s->tls)
		tls_creds_free_all(); /* no connection is left to use them */
	pthread_cond_destroy(&s->reaper_cond);
	pthread_mutex_destroy(&s->conns_mu);
	free(s);
}
