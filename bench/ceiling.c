/*
 * ceiling.c - the bare-HTTP ceiling: rolegate's own listener (src/http/http.c, same options) with a trivial
 * handler that answers every request with a fixed GetCallerIdentity-sized XML body. `make bench` measures it in
 * the same run as the real server, so the ratio between them is the cost of rolegate's work per request.
 *
 *   build/bench/http-ceiling 127.0.0.1:0 THREADS
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/common.h"
#include "util/log.h"

static const char body[] =
	"<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"
	"<Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId><Account>123456789012</Account>"
	"</GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId>"
	"</ResponseMetadata></GetCallerIdentityResponse>";

static void trivial(void *ctx, const struct http_request *req, struct http_response *resp)
{
	UNUSED(ctx);
	UNUSED(req);
	resp->status = 200;
	resp->content_type = "text/xml";
	snprintf(resp->request_id, sizeof(resp->request_id), "00000000-0000-4000-8000-000000000000");
	buf_append(&resp->body, body, sizeof(body) - 1);
}

static void reject(void *ctx, const struct http_request *req, enum http_reject why, struct http_response *resp)
{
	UNUSED(why);
	trivial(ctx, req, resp);
	resp->status = 400;
}

int main(int argc, char **argv)
{
	struct http_options o;
	struct http_server *s;
	sigset_t set;
	int sig;

	memset(&o, 0, sizeof(o));
	o.listen = argc > 1 ? argv[1] : "127.0.0.1:0";
	o.threads = argc > 2 ? (unsigned)atoi(argv[2]) : 4;
	o.max_connections = 1024;
	o.idle_timeout_s = 30;
	o.max_body = 1024 * 1024;
	o.max_header_bytes = 64 * 1024;
	o.handler = trivial;
	o.reject = reject;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	o.listen_fd = http_listen_socket(o.listen, &o.port);
	if (o.listen_fd < 0) {
		log_warn("cannot listen on %s", o.listen);
		return 1;
	}
	s = http_start(&o);
	if (!s)
		return 1;
	log_info("listening on http://127.0.0.1:%u", http_port(s));
	sigwait(&set, &sig);
	http_stop(s, 1000);
	return 0;
}
