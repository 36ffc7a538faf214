/*
 * serve.c - `rolegate serve-credentials`: an ECS-style credential endpoint on 127.0.0.1 for a program (or a shell)
 * that must outlive one role session, such as a long `terraform apply`.
 *
 * The AWS SDKs and the AWS CLI read AWS_CONTAINER_CREDENTIALS_FULL_URI and send AWS_CONTAINER_AUTHORIZATION_TOKEN
 * as the Authorization header; the answer is {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}. They come
 * back when their copy nears its Expiration (botocore 15 minutes before, the Go SDK 5), and the endpoint renews the
 * session before that: when less than broker_refresh_window(lifetime) is left, from the AWS CLI's cache or with a new
 * AssumeRole (MFA from the cached MFA session, or a prompt on the terminal). A request without the token, with
 * another one, or for another path or method is refused; nothing else is served.
 */
#include <errno.h>
#include "http/mhd_api.h"
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cliopts.h"
#include "cli/verbs.h"
#include "util/common.h"
#include "util/crypto.h"

#define TOKEN_LEN 43 /* ~256 bits of base62 */
#define BODY_MAX 16384

static const char serve_usage[] =
	"usage: rolegate serve-credentials [OPTIONS] [--port N] PROFILE [-- CMD [ARG...]]\n"
	"\n"
	"Serves PROFILE's credentials to CMD through an ECS-style endpoint on 127.0.0.1 (AWS_CONTAINER_CREDENTIALS_FULL_URI\n"
	"and AWS_CONTAINER_AUTHORIZATION_TOKEN in CMD's environment; AWS_ACCESS_KEY_ID, AWS_PROFILE and the like unset)\n"
	"and renews the role session before it expires, so a long `terraform apply` never holds expired credentials.\n"
	"Without CMD, prints the two variables (sh) and serves until interrupted.\n"
	"\n"
	"options:\n"
	"  --port N                listen on port N (default: any free port)\n" CLI_BROKER_HELP
	"\n"
	"exit status: CMD's; 1 when the credentials could not be had or the endpoint could not start; 2 usage\n";

struct server {
	const struct cli_opts *o;
	const char *profile;
	char token[TOKEN_LEN + 1];
	pthread_mutex_t lock;    /* guards r and obtained_s; held while renewing (one renewal at a time) */
	struct broker_result r;
	int64_t obtained_s;      /* when r was obtained */
	unsigned long renewals;
};

/* Gets fresh credentials into s->r when none are held or the held ones are within their renewal window. Called
 * with s->lock held. C_OK when s->r is usable (renewed, or still valid after a failed renewal). */
static int renew_if_due(struct server *s)
{
	int64_t now = (int64_t)time(NULL), exp = s->r.creds.expiration_s;
	struct broker_result fresh;
	char err[BROKER_ERR_MAX];

	if (s->obtained_s && (exp == 0 || exp - now > broker_refresh_window(exp - s->obtained_s)))
		return C_OK;
	if (broker_credentials(s->profile, &s->o->b, &fresh, err) != C_OK) {
		fprintf(stderr, "rolegate serve-credentials: renewing failed: %s\n", err);
		return s->obtained_s && exp > now ? C_OK : C_ERR;
	}
	broker_result_clear(&s->r);
	s->r = fresh;
	s->obtained_s = now;
	s->renewals++;
	broker_result_clear(&fresh);
	return C_OK;
}

static void wipe_free(void *p)
{
	explicit_bzero(p, strlen(p));
	free(p);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body /* malloc'd, taken */)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer_with_free_callback_cls(strlen(body), body, wipe_free, body);
	if (!resp) {
		wipe_free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned status, const char *code, const char *msg)
{
	char *body = malloc(512);

	if (!body)
		return MHD_NO;
	snprintf(body, 512, "{\"code\": \"%s\", \"message\": \"%s\"}\n", code, msg);
	return reply(conn, status, body);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct server *s = cls;
	const char *auth;
	char exp[ISO8601_LEN], *body;
	int rc;

	UNUSED(version);
	UNUSED(upload);
	if (!*state) { /* the headers have arrived; a body (there should be none) would come in later calls */
		*state = s;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!auth || strlen(auth) != TOKEN_LEN || !crypto_equal(auth, s->token, TOKEN_LEN))
		return refuse(conn, MHD_HTTP_FORBIDDEN, "AccessDenied", "the authorization token is missing or wrong");
	if (strcmp(method, "GET") != 0)
		return refuse(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "MethodNotAllowed", "only GET is served");
	if (strcmp(url, "/") != 0)
		return refuse(conn, MHD_HTTP_NOT_FOUND, "NotFound", "credentials are served at /");
	if (!(body = malloc(BODY_MAX)))
		return MHD_NO;
	pthread_mutex_lock(&s->lock);
	rc = renew_if_due(s);
	if (rc == C_OK) {
		time_iso8601(s->r.creds.expiration_s, exp);
		snprintf(body, BODY_MAX,
		         "{\"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\", \"Token\": \"%s\", \"Expiration\": \"%s\"}\n",
		         s->r.creds.access_key_id, s->r.creds.secret_access_key, s->r.creds.session_token, exp);
	}
	pthread_mutex_unlock(&s->lock);
	if (rc != C_OK) {
		free(body);
		return refuse(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "CredentialsUnavailable",
		              "the credentials could not be renewed: see rolegate's standard error");
	}
	return reply(conn, MHD_HTTP_OK, body);
}

/* The environment of CMD: this process's, less the variables that would shadow the endpoint, plus the endpoint's.
 * Built before fork (the child of a threaded process may not allocate). Free with free_env. */
static char **child_env(const struct server *s, const char *uri)
{
	static const char *const drop[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
		"AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "ROLEGATE_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
	};
	extern char **environ;
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	if (!(env = calloc(n + 8, sizeof(char *))))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool keep = true;

		for (size_t d = 0; d < ARRAY_LEN(drop) && keep; d++) {
			size_t len = strlen(drop[d]);

			keep = !(strncmp(environ[i], drop[d], len) == 0 && environ[i][len] == '=');
		}
		if (keep && s->r.endpoint_url[0] && strncmp(environ[i], "AWS_ENDPOINT_URL=", 17) == 0)
			keep = false;
		if (keep && !(env[k++] = strdup(environ[i])))
			goto fail;
	}
#define ADD(fmt, v)                                                                                                   \
	do {                                                                                                              \
		if (asprintf(&env[k], fmt, v) < 0) {                                                                          \
			env[k] = NULL;                                                                                            \
			goto fail;                                                                                                \
		}                                                                                                             \
		k++;                                                                                                          \
	} while (0)
	ADD("AWS_CONTAINER_CREDENTIALS_FULL_URI=%s", uri);
	ADD("AWS_CONTAINER_AUTHORIZATION_TOKEN=%s", s->token);
	ADD("ROLEGATE_PROFILE=%s", s->profile);
	if (s->r.region[0]) {
		ADD("AWS_REGION=%s", s->r.region);
		ADD("AWS_DEFAULT_REGION=%s", s->r.region);
	}
	if (s->r.endpoint_url[0])
		ADD("AWS_ENDPOINT_URL=%s", s->r.endpoint_url);
#undef ADD
	return env;
fail:
	for (size_t i = 0; i < k; i++)
		free(env[i]);
	free(env);
	return NULL;
}

static void free_env(char **env)
{
	for (size_t i = 0; env && env[i]; i++) {
		explicit_bzero(env[i], strlen(env[i]));
		free(env[i]);
	}
	free(env);
}

/* Runs cmd with env and waits for it; SIGINT and SIGTERM go to it (a terminal's ^C reaches it directly). */
static int run_child(char **cmd, char **env)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_term;
	int status;
	pid_t pid;

	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGTERM, &ign, &old_term);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "rolegate serve-credentials: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		execvpe(cmd[0], cmd, env);
		fprintf(stderr, "rolegate serve-credentials: %s: %s\n", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Serves until SIGINT or SIGTERM. */
static int serve_forever(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigwait(&set, &sig);
	return 0;
}

int serve_credentials_main(int argc, char **argv)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	struct cli_opts o;
	struct server s;
	struct MHD_Daemon *d = NULL;
	struct sockaddr_in addr = {.sin_family = AF_INET};
	const union MHD_DaemonInfo *info;
	char uri[64], **env = NULL;
	sigset_t set, old;
	int rc = cli_parse("serve-credentials", serve_usage, CLI_BROKER | CLI_PROFILE | CLI_PORT | CLI_CMD, argc, argv,
	                   &o);

	if (rc != CLI_GO)
		return rc;
	memset(&s, 0, sizeof(s));
	s.o = &o;
	s.profile = o.profile;
	pthread_mutex_init(&s.lock, NULL);
	if (cli_credentials(&o, &s.r) != C_OK) /* first, so that an MFA prompt comes before the program starts */
		return 1;
	s.obtained_s = (int64_t)time(NULL);
	if (!s.r.temporary) {
		fprintf(stderr, "rolegate serve-credentials: profile %s has long-term keys: the credential endpoint serves "
		                "temporary credentials (give the profile role_arn or mfa_serial)\n",
		        o.profile);
		rc = 1;
		goto done;
	}
	if (crypto_init() != C_OK) {
		fprintf(stderr, "rolegate serve-credentials: the crypto library could not be initialised\n");
		rc = 1;
		goto done;
	}
	crypto_random_chars(alphabet, sizeof(alphabet) - 1, s.token, TOKEN_LEN);
	s.token[TOKEN_LEN] = '\0';
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = htons((uint16_t)o.port);
	/* the daemon's thread must not take SIGINT/SIGTERM meant for serve_forever's sigwait */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, &s, MHD_OPTION_SOCK_ADDR, &addr,
	                     MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (!info) {
		fprintf(stderr, "rolegate serve-credentials: cannot listen on 127.0.0.1:%d: %s\n", o.port, strerror(errno));
		rc = 1;
		goto done;
	}
	snprintf(uri, sizeof(uri), "http://127.0.0.1:%u/", (unsigned)info->port);
	if (o.cmd) {
		if (!(env = child_env(&s, uri))) {
			fprintf(stderr, "rolegate serve-credentials: out of memory\n");
			rc = 1;
			goto done;
		}
		rc = run_child(o.cmd, env);
	} else {
		printf("export AWS_CONTAINER_CREDENTIALS_FULL_URI=%s\nexport AWS_CONTAINER_AUTHORIZATION_TOKEN=%s\n", uri,
		       s.token);
		printf("unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE\n");
		fflush(stdout);
		rc = serve_forever();
	}
done:
	if (d)
		MHD_stop_daemon(d);
	free_env(env);
	pthread_mutex_lock(&s.lock);
	broker_result_clear(&s.r);
	pthread_mutex_unlock(&s.lock);
	explicit_bzero(s.token, sizeof(s.token));
	pthread_mutex_destroy(&s.lock);
	return rc;
}
