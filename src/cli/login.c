/*
 * login.c - `rolegate login`: the AWS console, signed in as a profile's role session.
 *
 * AWS's federation endpoint (https://signin.aws.amazon.com/federation; the China and GovCloud partitions have their
 * own) turns temporary credentials into a sign-in token: GET ?Action=getSigninToken&Session={"sessionId": KEY,
 * "sessionKey": SECRET, "sessionToken": TOKEN} answers {"SigninToken": "..."}, and
 * ?Action=login&Issuer=...&Destination=CONSOLE&SigninToken=... is the URL that signs the browser in. AWS accepts
 * role sessions (AssumeRole) there, not GetSessionToken sessions or long-term keys. A profile with endpoint_url (a
 * rolegate server) signs in to that server's console: ENDPOINT/federation and ENDPOINT/console/ (src/console/
 * federation.c). ROLEGATE_FEDERATION_ENDPOINT names another federation endpoint. The CA bundle is the profile's
 * ca_bundle or AWS_CA_BUNDLE, as for STS.
 */
#include "cli/curl_api.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/broker.h"
#include "cli/cliopts.h"
#include "cli/sts_client.h"
#include "cli/verbs.h"
#include "util/buf.h"
#include "util/common.h"

#define ANSWER_MAX (64 * 1024)

static const char login_usage[] =
	"usage: rolegate login [OPTIONS] [--print] PROFILE\n"
	"\n"
	"Signs in to the AWS console as PROFILE's role session: gets a sign-in token from AWS's federation endpoint\n"
	"(getSigninToken) and opens the sign-in URL with xdg-open, or prints it with --print. A profile with\n"
	"endpoint_url (a rolegate server) signs in to that server's console (ENDPOINT/federation, ENDPOINT/console/).\n"
	"The URL signs in whoever opens it, once, until the token expires (15 minutes): treat it as a secret.\n"
	"\n"
	"environment:\n"
	"  ROLEGATE_FEDERATION_ENDPOINT  another federation endpoint to ask for the sign-in token\n"
	"  AWS_CA_BUNDLE                 the CA bundle (the profile's ca_bundle wins), as for STS\n"
	"\n"
	"options:\n"
	"  --print                 print the URL instead of opening it\n" CLI_BROKER_HELP;

/* The federation endpoint and console of region's partition. */
static void partition_urls(const char *region, const char **federation, const char **console)
{
	if (region && strncmp(region, "cn-", 3) == 0) {
		*federation = "https://signin.amazonaws.cn/federation";
		*console = "https://console.amazonaws.cn/";
	} else if (region && strncmp(region, "us-gov-", 7) == 0) {
		*federation = "https://signin.amazonaws-us-gov.com/federation";
		*console = "https://console.amazonaws-us-gov.com/";
	} else {
		*federation = "https://signin.aws.amazon.com/federation";
		*console = "https://console.aws.amazon.com/";
	}
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	return buf_append(userdata, data, size * nmemb) == C_OK ? size * nmemb : 0;
}

/* getSigninToken: the sign-in token for r's session into *token (malloc'd). C_ERR with a message printed. */
static int signin_token(CURL *curl, const char *federation, const char *ca_bundle, const struct broker_result *r,
                        char **token)
{
	struct buf session, url, answer;
	char *enc = NULL;
	json_t *root = NULL, *t;
	json_error_t jerr;
	long status = 0;
	CURLcode cc;
	int rc = C_ERR;

	buf_init(&session, 16384);
	buf_init(&url, 32768);
	buf_init(&answer, ANSWER_MAX);
	if (buf_printf(&session, "{\"sessionId\":\"%s\",\"sessionKey\":\"%s\",\"sessionToken\":\"%s\"}",
	               r->creds.access_key_id, r->creds.secret_access_key, r->creds.session_token) != C_OK ||
	    !(enc = curl_easy_escape(curl, buf_str(&session), (int)session.len)) ||
	    buf_printf(&url, "%s?Action=getSigninToken&Session=%s", federation, enc) != C_OK) {
		fprintf(stderr, "rolegate login: the session does not fit a request\n");
		goto done;
	}
	curl_easy_setopt(curl, CURLOPT_URL, buf_str(&url));
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (ca_bundle && *ca_bundle)
		curl_easy_setopt(curl, CURLOPT_CAINFO, ca_bundle);
	cc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		fprintf(stderr, "rolegate login: %s: %s\n", federation, curl_easy_strerror(cc));
		goto done;
	}
	root = json_loadb(buf_str(&answer), answer.len, JSON_REJECT_DUPLICATES, &jerr);
	t = json_object_get(root, "SigninToken");
	if (status != 200 || !json_is_string(t) || !json_string_length(t)) {
		fprintf(stderr, "rolegate login: %s refused the session (HTTP %ld)%s\n", federation, status,
		        status == 400 ? ": the console signs in role sessions only (a profile with role_arn)" : "");
		goto done;
	}
	*token = strdup(json_string_value(t));
	rc = *token ? C_OK : C_ERR;
done:
	json_decref(root);
	if (enc) {
		explicit_bzero(enc, strlen(enc));
		curl_free(enc);
	}
	buf_free_secret(&session);
	buf_free_secret(&url);
	buf_free_secret(&answer);
	return rc;
}

/* ENDPOINT + suffix into out (cap bytes), without doubling the slash between them. C_ERR when it does not fit. */
static int endpoint_join(const char *endpoint, const char *suffix, char *out, size_t cap)
{
	size_t n = strlen(endpoint);

	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	return (size_t)snprintf(out, cap, "%.*s%s", (int)n, endpoint, suffix) < cap ? C_OK : C_ERR;
}

int login_main(int argc, char **argv)
{
	struct cli_opts o;
	struct broker_result r;
	struct sts_client sc;
	const char *federation, *console, *override = getenv("ROLEGATE_FEDERATION_ENDPOINT");
	char *token = NULL, *etoken = NULL, *edest = NULL, dest[1024], rg_federation[600], err[BROKER_ERR_MAX];
	struct buf url;
	CURL *curl = NULL;
	int rc = cli_parse("login", login_usage, CLI_BROKER | CLI_PROFILE | CLI_PRINT, argc, argv, &o);

	if (rc != CLI_GO)
		return rc;
	memset(&sc, 0, sizeof(sc));
	if (cli_credentials(&o, &r) != C_OK)
		return 1;
	rc = 1;
	buf_init(&url, 16384);
	partition_urls(r.region, &federation, &console);
	if (r.endpoint_url[0]) { /* a rolegate server: its own federation endpoint and console */
		if (endpoint_join(r.endpoint_url, "/federation", rg_federation, sizeof(rg_federation)) != C_OK ||
		    endpoint_join(r.endpoint_url, "/console/", dest, sizeof(dest)) != C_OK) {
			fprintf(stderr, "rolegate login: profile %s: endpoint_url is too long\n", o.profile);
			goto done;
		}
		federation = rg_federation;
	} else if (r.region[0]) {
		snprintf(dest, sizeof(dest), "%sconsole/home?region=%s", console, r.region);
	} else {
		snprintf(dest, sizeof(dest), "%s", console);
	}
	if (override && *override)
		federation = override;
	if (!r.temporary || !r.creds.arn[0]) {
		fprintf(stderr, "rolegate login: profile %s does not assume a role: the console sign-in takes role "
		                "sessions (give the profile role_arn)\n",
		        o.profile);
		goto done;
	}
	/* the CA bundle the profile's STS calls use: its ca_bundle, else AWS_CA_BUNDLE */
	if (broker_sts_client(o.profile, &o.b, &sc, err) != C_OK) {
		fprintf(stderr, "rolegate login: profile %s: %s\n", o.profile, err);
		goto done;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(curl = curl_easy_init())) {
		fprintf(stderr, "rolegate login: libcurl could not be initialised\n");
		goto done;
	}
	if (signin_token(curl, federation, sc.ca_bundle, &r, &token) != C_OK)
		goto done;
	if (!(etoken = curl_easy_escape(curl, token, 0)) || !(edest = curl_easy_escape(curl, dest, 0)) ||
	    buf_printf(&url, "%s?Action=login&Issuer=rolegate&Destination=%s&SigninToken=%s", federation, edest,
	               etoken) != C_OK) {
		fprintf(stderr, "rolegate login: out of memory\n");
		goto done;
	}
	if (!o.print) {
		pid_t pid = fork();
		int status = -1;

		if (pid == 0) {
			execlp("xdg-open", "xdg-open", buf_str(&url), (char *)NULL);
			_exit(127);
		}
		if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			rc = 0;
			goto done;
		}
		fprintf(stderr, "rolegate login: xdg-open could not open the URL; here it is:\n");
	}
	printf("%s\n", buf_str(&url));
	rc = fflush(stdout) == 0 ? 0 : 1;
done:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	if (etoken) {
		explicit_bzero(etoken, strlen(etoken));
		curl_free(etoken);
	}
	curl_free(edest);
	if (curl)
		curl_easy_cleanup(curl);
	buf_free_secret(&url);
	sts_client_free(&sc);
	broker_result_clear(&r);
	return rc;
}
