/*
 * server.h - the running server's shared state and its configuration.
 */
#ifndef ROLEGATE_SERVER_H
#define ROLEGATE_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "http/forwarded.h"
#include "iam/quotas.h"
#include "server/throttle.h"
#include "store/store.h"

struct sigkey_cache;
struct credcache;
struct keyring;
struct auditlog;
struct compat_keys;

/* Everything `rolegate server` can be told on its command line (see config.c for the table). */
struct server_config {
	char *listen;
	char *tls_cert_file; /* --tls-cert: PEM chain, leaf first; NULL: plain HTTP */
	char *tls_key_file;  /* --tls-key */
	bool insecure_http;  /* --insecure-http: plain HTTP on a non-loopback address (--listen, --metrics-listen) */
	struct fwd_trust trusted_proxies; /* --trusted-proxy CIDR (repeatable): whose forwarding headers are read */
	char *metrics_listen; /* --metrics-listen ADDR:PORT: GET /metrics, plain HTTP; NULL: not served */
	char *data_dir;
	char *postgres;        /* --postgres CONNINFO: the database is PostgreSQL's (NULL: SQLite in data_dir) */
	char *master_key_file; /* --master-key-file, else ROLEGATE_MASTER_KEY_FILE; NULL: DATA/master.key */
	char *reach_report;    /* --reach-report FILE: the console's access analysis report; NULL: DATA/reach.html */
	char *account_id;
	unsigned threads;
	unsigned max_connections;
	unsigned max_connections_per_ip;
	unsigned request_deadline_s;
	unsigned idle_timeout_s;
	size_t max_body;
	char *log_level;
	char *log_format; /* logfmt or json */
	char *example; /* --example NAME, or NULL */
	struct iam_quotas quotas; /* --quota NAME=N (repeatable): raised IAM quotas */
	struct rate_limit rate_principal; /* --rate-principal RPS[:BURST]; rps 0: no limit */
	struct rate_limit rate_account;   /* --rate-account RPS[:BURST]; rps 0: no limit */
	bool encode_denials; /* --encode-denials: AccessDenied messages end with EC2's "Encoded authorization failure
	                      * message: ..." (src/server/explain.h), for sts:DecodeAuthorizationMessage */
	char *enforce; /* --enforce strict|soft: what a policy's denial does where an account sets nothing (enforce.h) */
	char *compat;         /* --compat moto: unknown access keys sign as the root of compat_account (src/compat/) */
	char *compat_account; /* --compat-account ID: that account [123456789012] */
};

struct rg_server {
	const struct server_config *cfg;
	struct db *db;
	char management_account[ACCOUNT_ID_LEN + 1];
	struct sigkey_cache *keys; /* derived SigV4 signing keys */
	struct credcache *creds;   /* access key -> principal */
	struct keyring *keyring;   /* the keys that seal session tokens */
	struct db *audit_db;       /* DATA/audit.db: the records of sts:AssumeRole and sts:GetSessionToken; NULL with
	                            * --postgres (they go to db) */
	struct auditlog *audit;    /* group commit of the records of sts:AssumeRole and sts:GetSessionToken */
	struct throttle *throttle; /* --rate-principal, --rate-account; NULL: no limits */
	struct compat_keys *compat_keys; /* --compat moto: the tokens of the STS keys it issued (compat/moto.h); NULL */
};

/* Runs `rolegate server ARGS`: returns the process exit status. */
int server_main(int argc, char **argv);

#endif
