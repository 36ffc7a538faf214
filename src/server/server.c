/*
 * server.c - `rolegate server`: one main() shape, in the OpenBSD manner.
 *
 *   parse and check options -> TLS files, plain HTTP off loopback only with --insecure-http -> bind the listen address (a port in use stops here, before anything is written;
 *   clients that connect meanwhile wait in the backlog) -> data directory -> master key -> database (migrations)
 *   -> bootstrap -> serve -> wait for SIGTERM/SIGINT -> stop accepting, let requests finish -> close the database
 *   -> wipe keys
 */
#include "server/server.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/model.h"
#include "compat/moto.h"
#include "http/http.h"
#include "http/tlsfiles.h"
#include "policy/policy.h"
#include "server/auditlog.h"
#include "server/bootstrap.h"
#include "server/config.h"
#include "server/credcache.h"
#include "server/keyring.h"
#include "server/dispatch.h"
#include "server/example.h"
#include "server/health.h"
#include "server/keycache.h"
#include "server/masterkey.h"
#include "server/metrics.h"
#include "server/secrets.h"
#include "server/throttle.h"
#include "store/node.h"
#include "sts/oidc_keys.h"
#include "util/common.h"
#include "util/crypto.h"
#include "util/file.h"
#include "util/log.h"
#include "util/timeutil.h"

#define SHUTDOWN_GRACE_MS 10000
#define FD_RESERVE 64 /* descriptors beside the connections: databases, log, the listen socket, libraries */

static int set_log_level(const char *name)
{
	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {{"debug", LOG_LEVEL_DEBUG}, {"info", LOG_LEVEL_INFO}, {"warn", LOG_LEVEL_WARN}, {"error", LOG_LEVEL_ERROR}};

	for (size_t i = 0; i < ARRAY_LEN(levels); i++) {
		if (strcmp(levels[i].name, name) == 0) {
			log_set_level(levels[i].level);
			return C_OK;
		}
	}
	fprintf(stderr, "rolegate server: unknown log level '%s'\n", name);
	return C_ERR;
}

static int set_log_format(const char *name)
{
	if (strcmp(name, "logfmt") == 0 || strcmp(name, "json") == 0) {
		log_set_format(strcmp(name, "json") == 0 ? LOG_FORMAT_JSON : LOG_FORMAT_LOGFMT);
		return C_OK;
	}
	fprintf(stderr, "rolegate server: unknown log format '%s' (logfmt or json)\n", name);
	return C_ERR;
}

static int prepare_data_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_error("cannot create data directory %s", dir);
		return C_ERR;
	}
	if (stat(dir, &st) != 0) {
		log_error("cannot use data directory %s", dir);
		return C_ERR;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_errorx("%s is not a directory", dir);
		return C_ERR;
	}
	return C_OK;
}

/* Holds DIR/lock (flock) while the server runs: a second server, or `rolegate master-key rotate`, on the same
 * directory is refused instead of working on secrets under the other's feet. The descriptor lives until exit. */
static int lock_data_dir(const char *dir, int *fd)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/lock", dir);
	*fd = file_lock_exclusive(path);
	if (*fd >= 0)
		return C_OK;
	if (errno == EWOULDBLOCK)
		log_errorx("data directory %s is in use by another rolegate server (or rolegate master-key rotate): %s is "
		           "locked", dir, path);
	else
		log_error("cannot lock %s", path);
	return C_ERR;
}

/* Raises the soft limit on open files to the hard one: every connection is a descriptor, and a server that runs
 * out of them stops accepting anyone. Warns when max_connections cannot fit. */
static void raise_fd_limit(unsigned max_connections)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)max_connections + FD_RESERVE > rl.rlim_cur)
		log_warnx("--max-connections %u does not fit in this process's limit of %llu open files (ulimit -n); "
		          "connections beyond about %llu will wait",
		          max_connections, (unsigned long long)rl.rlim_cur,
		          (unsigned long long)(rl.rlim_cur > FD_RESERVE ? rl.rlim_cur - FD_RESERVE : 0));
}

/* SIGHUP: reads --tls-cert and --tls-key again; new handshakes use them, open connections are left alone. A file
 * that does not load leaves the previous certificate in use (logged). */
static void reload_tls(const struct server_config *cfg, struct http_server *http)
{
	struct tls_files f;

	if (!cfg->tls_cert_file) {
		log_info("received SIGHUP: no --tls-cert to reload");
		return;
	}
	if (tls_files_load(cfg->tls_cert_file, cfg->tls_key_file, &f) == C_OK &&
	    http_tls_reload(http, f.cert_pem, f.key_pem) == C_OK)
		log_info("received SIGHUP: reloaded the TLS certificate from %s", cfg->tls_cert_file);
	else
		log_errorx("received SIGHUP: TLS certificate not reloaded; still serving the previous one");
	tls_files_wipe(&f);
}

/* Binds addr (the value of option) and listens: the socket, or -1 with the reason logged (suffix ends the message
 * of a bind that fails). */
static int bind_listener(const char *addr, const char *option, const char *suffix, unsigned *port)
{
	int fd = http_listen_socket(addr, port);

	if (fd < 0) {
		if (errno == EINVAL)
			log_errorx("cannot parse %s address '%s' (expected HOST:PORT or [V6]:PORT)", option, addr);
		else
			log_error("cannot listen on %s%s", addr, suffix);
	}
	return fd;
}

/* Checks --metrics-listen and binds it: plain HTTP always (the metrics carry no secret, but request rates and MFA
 * failures are an operator's business), so off loopback it needs --insecure-http as --listen does. The socket, or
 * -1 (logged). */
static int metrics_socket(const struct server_config *cfg, unsigned *port)
{
	if (!http_listen_is_loopback(cfg->metrics_listen)) {
		if (!cfg->insecure_http) {
			log_errorx("refusing plain-HTTP metrics on non-loopback address %s: keep --metrics-listen on loopback "
			           "(scrape through a local agent or proxy), or pass --insecure-http", cfg->metrics_listen);
			return -1;
		}
		log_warnx("--insecure-http: serving metrics in plain HTTP on non-loopback address %s", cfg->metrics_listen);
	}
	return bind_listener(cfg->metrics_listen, "--metrics-listen", " (--metrics-listen)", port);
}

/* Starts the metrics listener on fd (which it takes): one thread, a few connections, plain HTTP. */
static struct http_server *metrics_start(const struct server_config *cfg, int fd, unsigned port,
                                         struct metrics_scrape *ms)
{
	struct http_options o;

	memset(&o, 0, sizeof(o));
	o.listen = cfg->metrics_listen;
	o.listen_fd = fd;
	o.port = port;
	o.threads = 1;
	o.max_connections = 16;
	o.max_connections_per_ip = 8;
	o.request_deadline_s = cfg->request_deadline_s;
	o.idle_timeout_s = cfg->idle_timeout_s;
	o.max_body = 4096;
	o.max_header_bytes = 16 * 1024;
	o.handler = metrics_serve;
	o.reject = metrics_reject;
	o.ctx = ms;
	return http_start(&o);
}

/* Buckets in each rate table (principals, accounts): about 2 MiB each, allocated only when a limit is set. More
 * principals active at once than this share slots: the fullest (an idle one) is evicted first. */
#define THROTTLE_SLOTS 16384

/* "RPS:BURST" or "none", for the start-up line. */
static const char *rate_text(const struct rate_limit *r, char *out, size_t len)
{
	if (r->rps <= 0)
		snprintf(out, len, "none");
	else
		snprintf(out, len, "%g/s burst %u", r->rps, r->burst);
	return out;
}

/* Blocks the stop signals and SIGHUP in this thread and (by inheritance) every thread started later; sigwait takes them. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The database of cfg: PostgreSQL's when --postgres names one, else SQLite's in the data directory. */
static struct db *store_open(const struct server_config *cfg)
{
	if (cfg->postgres)
		return db_open_postgres(cfg->postgres);
	return db_open_sqlite(cfg->data_dir);
}

int server_main(int argc, char **argv)
{
	struct server_config cfg;
	struct rg_server srv;
	struct http_server *http = NULL, *metrics_http = NULL;
	struct metrics_scrape scrape;
	struct http_options hopts;
	struct tls_files tls;
	sigset_t stop;
	int sig = 0, rc, status = 1, listen_fd = -1, dir_lock = -1, metrics_fd = -1;
	unsigned port = 0, metrics_port = 0;
	char pr[64], ac[64];

	rc = config_parse(&cfg, argc, argv);
	if (rc != C_OK) {
		config_free(&cfg);
		return rc == 1 ? 0 : 2;
	}
	memset(&srv, 0, sizeof(srv));
	memset(&tls, 0, sizeof(tls));
	srv.cfg = &cfg;
	if (set_log_level(cfg.log_level) != C_OK || set_log_format(cfg.log_format) != C_OK)
		goto out;
	block_signals(&stop);
	/* glibc gives the free top of each thread's heap back to the kernel at once (madvise), which costs a TLB
	 * shootdown across every thread on each request: keep up to 8 MiB per heap instead. */
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	if (crypto_init() != C_OK || model_init() != C_OK) {
		log_errorx("cannot initialise the crypto library or the service models");
		goto out;
	}
	/* The options and the address first: a mistake or a port in use must leave no data directory, key or
	 * credentials behind. */
	if (bootstrap_check(&cfg) != C_OK || compat_check(&cfg) != C_OK)
		goto out;
	if (cfg.tls_cert_file) {
		if (tls_files_load(cfg.tls_cert_file, cfg.tls_key_file, &tls) != C_OK)
			goto out;
	} else if (!http_listen_is_loopback(cfg.listen)) {
		/* Vault and etcd refuse the same way: access keys, session credentials and MFA seeds would cross the
		 * network in clear. (An address that does not parse is reported below, when it is bound.) */
		if (!cfg.insecure_http) {
			log_errorx("refusing plain HTTP on non-loopback address %s: secrets would cross the network in clear; "
			           "serve TLS with --tls-cert FILE --tls-key FILE, or pass --insecure-http (for a TLS-terminating "
			           "proxy on a trusted network)", cfg.listen);
			goto out;
		}
		log_warnx("--insecure-http: serving plain HTTP on non-loopback address %s; access keys, session credentials "
		          "and MFA seeds cross the network in clear", cfg.listen);
	}
	if ((listen_fd = bind_listener(cfg.listen, "listen", "", &port)) < 0)
		goto out;
	if (cfg.metrics_listen && (metrics_fd = metrics_socket(&cfg, &metrics_port)) < 0)
		goto out;
	raise_fd_limit(cfg.max_connections);
	if (prepare_data_dir(cfg.data_dir) != C_OK || lock_data_dir(cfg.data_dir, &dir_lock) != C_OK ||
	    secrets_load_master_key(cfg.master_key_file, cfg.data_dir) != C_OK)
		goto out;
	/* DATA/postgres names the database of a PostgreSQL node: the commands that take --data DIR find it there; a
	 * node's directory does not silently become a SQLite one (an empty database) when --postgres is left out */
	if (cfg.postgres ? store_node_record(cfg.data_dir, cfg.postgres) != C_OK : store_node_is_postgres(cfg.data_dir)) {
		if (!cfg.postgres)
			log_errorx("%s is the directory of a PostgreSQL node (%s/" STORE_NODE_PG_FILE "): start it with "
			           "--postgres CONNINFO, or remove that file to start on SQLite",
			           cfg.data_dir, cfg.data_dir);
		goto out;
	}
	srv.db = store_open(&cfg);
	if (!srv.db || store_migrate(srv.db) != C_OK) {
		if (cfg.postgres)
			log_errorx("cannot open the PostgreSQL database (--postgres)");
		else
			log_errorx("cannot open the database in %s", cfg.data_dir);
		goto out;
	}
	/* The key the database names wins; an interrupted `rolegate master-key rotate` is settled here. */
	if (masterkey_reconcile(srv.db, cfg.data_dir, cfg.master_key_file, true) != C_OK)
		goto out;
	if (bootstrap(&srv, now_ms()) != C_OK || compat_start(&srv) != C_OK)
		goto out;
	srv.keys = sigkey_cache_new();
	srv.creds = credcache_new();
	srv.keyring = keyring_open(srv.db);
	/* SQLite: a second file takes the group-committed records, so that their commits leave rolegate.db's page
	 * caches alone. PostgreSQL: they go to the one database's audit table (srv.audit_db stays NULL). */
	if (!cfg.postgres) {
		srv.audit_db = db_open_sqlite_file(cfg.data_dir, "audit.db");
		if (!srv.audit_db || store_migrate_audit(srv.audit_db) != C_OK) {
			log_errorx("cannot open the audit database in %s", cfg.data_dir);
			goto out;
		}
	}
	srv.audit = auditlog_new(srv.audit_db ? srv.audit_db : srv.db, AUDITLOG_LINGER_US);
	if (!srv.keys || !srv.creds || !srv.keyring || !srv.audit)
		goto out;
	if (cfg.rate_principal.rps > 0 || cfg.rate_account.rps > 0) {
		srv.throttle = throttle_new(&cfg.rate_principal, &cfg.rate_account, THROTTLE_SLOTS);
		if (!srv.throttle) {
			log_errorx("cannot allocate the request-rate tables");
			goto out;
		}
		log_info("request rates limited: per principal %s, per account %s",
		         rate_text(&cfg.rate_principal, pr, sizeof(pr)), rate_text(&cfg.rate_account, ac, sizeof(ac)));
	}

	memset(&hopts, 0, sizeof(hopts));
	hopts.listen = cfg.listen;
	hopts.listen_fd = listen_fd;
	hopts.port = port;
	listen_fd = -1; /* http_start owns it now */
	hopts.threads = cfg.threads ? cfg.threads : 1;
	hopts.max_connections = cfg.max_connections;
	hopts.max_connections_per_ip = cfg.max_connections_per_ip;
	hopts.request_deadline_s = cfg.request_deadline_s;
	hopts.idle_timeout_s = cfg.idle_timeout_s;
	hopts.max_body = cfg.max_body;
	hopts.max_header_bytes = 64 * 1024;
	hopts.tls_cert_pem = tls.cert_pem;
	hopts.tls_key_pem = tls.key_pem;
	hopts.trusted_proxies = &cfg.trusted_proxies;
	hopts.handler = dispatch_request;
	hopts.reject = dispatch_reject;
	hopts.answered = metrics_request_done;
	hopts.ctx = &srv;
	http = http_start(&hopts);
	tls_files_wipe(&tls); /* GnuTLS holds its own copy of the key now */
	if (!http)
		goto out;
	metrics_init();
	if (metrics_fd >= 0) {
		scrape = (struct metrics_scrape){.srv = &srv, .api = http};
		metrics_http = metrics_start(&cfg, metrics_fd, metrics_port, &scrape);
		metrics_fd = -1; /* http_start owns it now */
		if (!metrics_http)
			goto out;
	}
	if (cfg.example && example_run(&srv, cfg.example, http_port(http)) != C_OK) {
		log_errorx("cannot make the example %s", cfg.example);
		goto out;
	}
	if (log_async_start() != C_OK)
		log_warnx("cannot start the log writer thread; logging synchronously");
	if (cfg.trusted_proxies.n) {
		char nets[1024];
		fwd_trust_text(&cfg.trusted_proxies, nets, sizeof(nets));
		log_info("trusting the client address and scheme that these proxies forward (X-Forwarded-For and "
		         "X-Forwarded-Proto, or Forwarded): %s", nets);
	}
	health_set_ready(true); /* bootstrap done, listening, the audit committer running */
	{
		/* The host part of --listen with the port actually bound: tests start us on port 0 and read this. */
		const char *colon = strrchr(cfg.listen, ':');
		int hostlen = colon ? (int)(colon - cfg.listen) : 0;
		if (metrics_http) { /* before the listening line, which tests wait for */
			const char *mc = strrchr(cfg.metrics_listen, ':');
			log_info("serving metrics on http://%.*s:%u/metrics", mc ? (int)(mc - cfg.metrics_listen) : 0,
			         cfg.metrics_listen, http_port(metrics_http));
		}
		log_info("listening on %s://%.*s:%u (management account %s, data %s)", cfg.tls_cert_file ? "https" : "http",
		         hostlen, cfg.listen, http_port(http), srv.management_account, cfg.data_dir);
	}

	while (sigwait(&stop, &sig) == 0 && sig == SIGHUP)
		reload_tls(&cfg, http);
	if (sig != SIGHUP)
		log_info("received %s: finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	health_set_ready(false);
	http_stop(metrics_http, 0);
	metrics_http = NULL;
	http_stop(http, SHUTDOWN_GRACE_MS);
	http = NULL;
	status = 0;
out:
	if (status != 0)
		log_errorx("rolegate server stopped: it could not start (see above)");
	if (listen_fd >= 0)
		close(listen_fd);
	if (metrics_fd >= 0)
		close(metrics_fd);
	http_stop(metrics_http, 0);
	http_stop(http, 0);
	tls_files_wipe(&tls);
	auditlog_free(srv.audit); /* first: it writes what is queued, into srv.db itself on PostgreSQL */
	db_close(srv.db);
	sigkey_cache_free(srv.keys);
	credcache_free(srv.creds);
	keyring_free(srv.keyring);
	throttle_free(srv.throttle);
	compat_keys_free(srv.compat_keys);
	db_close(srv.audit_db);
	policy_cache_clear();
	oidc_keys_clear();
	secrets_wipe();
	model_cleanup();
	crypto_cleanup();
	config_free(&cfg);
	if (dir_lock >= 0)
		close(dir_lock); /* last: the audit is flushed and the databases closed */
	if (status == 0)
		log_info("stopped");
	log_async_stop();
	return status;
}
