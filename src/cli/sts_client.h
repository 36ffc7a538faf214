/*
 * sts_client.h - the client verbs' STS calls: GetCallerIdentity, GetSessionToken and AssumeRole over HTTP(S).
 *
 * The query protocol (POST, application/x-www-form-urlencoded, Version=2011-06-15) signed with SigV4 by the same
 * code the server verifies with (aws/sigv4.h), sent with libcurl, answered in XML that a small bounded parser reads
 * (depth, name, text and document sizes capped; no DTDs, so no entity expansion).
 *
 * Endpoint: the profile's endpoint_url when given (signed for its region, us-east-1 when none), else AWS's regional
 * endpoint https://sts.REGION.amazonaws.com as botocore's default sts_regional_endpoints=regional does
 * ("legacy" sends the legacy regions to the global https://sts.amazonaws.com, signed for us-east-1).
 * libcurl honours HTTPS_PROXY / https_proxy / http_proxy / NO_PROXY itself; AWS_CA_BUNDLE (or ca_bundle) becomes
 * the CA file. Connect timeout 5 s, whole request 30 s.
 *
 * Retries: at most 3 attempts, exponential backoff with full jitter, on throttling (Throttling, ThrottlingException,
 * RequestLimitExceeded, ...), HTTP 429 and 5xx, and connection failures. Never on AccessDenied,
 * InvalidClientTokenId, ExpiredToken or any other 4xx answer. A request that carries an MFA TokenCode is retried
 * only when the server cannot have seen it (it refused to connect, the name did not resolve, or it answered with
 * throttling), because a code is accepted once and a replay would turn a transient failure into an MFA failure.
 *
 * Secrets: the secret access key, session tokens and MFA codes are never logged or put in error text; request and
 * response buffers are explicit_bzero'd before they are freed, and sts_result_clear() wipes results.
 */
#ifndef ROLEGATE_STS_CLIENT_H
#define ROLEGATE_STS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "aws/sigv4.h"
#include "util/buf.h"

#define STS_API_VERSION "2011-06-15"
#define STS_MAX_ATTEMPTS 3
#define STS_CONNECT_TIMEOUT_MS 5000
#define STS_TIMEOUT_MS 30000
/* Largest answer read (STS answers are a few KiB). */
#define STS_MAX_RESPONSE (256 * 1024)
/* Largest session token accepted (AWS's are 400-2000 bytes and may grow). */
#define STS_MAX_TOKEN 8192

/* How to reach STS. Nothing here is owned; NULL fields take the defaults described. */
struct sts_client_config {
	const char *endpoint_url; /* e.g. "http://127.0.0.1:8600"; NULL: AWS's STS endpoint for region */
	const char *region;       /* signing region and endpoint region; NULL: us-east-1 */
	const char *sts_regional_endpoints; /* "regional" / "legacy"; NULL: $AWS_STS_REGIONAL_ENDPOINTS, "regional" */
	const char *ca_bundle;              /* CA file; NULL: $AWS_CA_BUNDLE, else the system's */
	int max_attempts;                   /* 0: STS_MAX_ATTEMPTS */
	int retry_base_ms;                  /* first backoff cap; 0: 500 ms (doubling per attempt) */
	long connect_timeout_ms;            /* 0: STS_CONNECT_TIMEOUT_MS */
	long timeout_ms;                    /* 0: STS_TIMEOUT_MS */
};

/*
 * A client: the resolved endpoint and one libcurl handle (connections are reused between calls). A client serves
 * one thread at a time; threads that call STS concurrently each make their own.
 */
struct sts_client {
	char url[512];    /* where requests go, e.g. "https://sts.eu-west-1.amazonaws.com/" */
	char host[300];   /* the Host header, "host[:port]" */
	char path[256];   /* the request path, "/" unless endpoint_url has one */
	char region[64];  /* signing region */
	char ca_bundle[1024];
	int max_attempts;
	int retry_base_ms;
	long connect_timeout_ms;
	long timeout_ms;
	void *curl; /* CURL *, owned */
};

/* What kind of failure an sts_error describes. */
enum sts_err_kind {
	STS_ERR_NONE,
	STS_ERR_INPUT,     /* the caller's arguments or configuration (no request was sent) */
	STS_ERR_TRANSPORT, /* no HTTP answer: DNS, connect, TLS, timeout */
	STS_ERR_SERVICE,   /* an AWS error document: code, message, request id */
	STS_ERR_HTTP,      /* an HTTP error without an AWS error document (a proxy's 502 page) */
	STS_ERR_RESPONSE,  /* an answer that is not what STS sends (malformed XML, missing fields) */
};

/* Why a call failed. text names the call and its target; the caller prefixes the profile. */
struct sts_error {
	enum sts_err_kind kind;
	char code[128];       /* "AccessDenied", "InvalidClientTokenId", ...; "" when not an AWS error */
	char type[16];        /* "Sender" / "Receiver" / "" */
	char message[1024];   /* AWS's message, or the transport's */
	char request_id[128]; /* "" when the answer had none */
	long http_status;     /* 0 when there was no HTTP answer */
	int attempts;         /* requests sent (or tried) */
	char text[2048];      /* e.g. "AssumeRole arn:aws:iam::1:role/admin: AccessDenied: User: ... is not authorized ..." */
};

/* Temporary credentials. secret_access_key and session_token are secrets: sts_result_clear wipes them. */
struct sts_credentials {
	char access_key_id[129];
	char secret_access_key[129];
	char session_token[STS_MAX_TOKEN];
	int64_t expiration_s; /* seconds since the epoch */
};

/* What a call answered; each call fills the fields its response carries and leaves the others "". */
struct sts_result {
	struct sts_credentials creds; /* GetSessionToken, AssumeRole */
	char assumed_role_arn[2048];  /* AssumeRole: AssumedRoleUser/Arn */
	char assumed_role_id[256];    /* AssumeRole: AssumedRoleUser/AssumedRoleId */
	char source_identity[256];    /* AssumeRole: SourceIdentity when set */
	char account[16];             /* GetCallerIdentity */
	char arn[2048];               /* GetCallerIdentity */
	char user_id[256];            /* GetCallerIdentity */
	char request_id[128];
};

/* GetSessionToken's parameters. duration_s 0 and NULL strings are left out of the request. */
struct sts_session_token_input {
	int duration_s;
	const char *serial_number;
	const char *token_code; /* secret-ish: never logged */
};

/* AssumeRole's parameters. role_arn and role_session_name are required; 0 / NULL are left out. */
struct sts_assume_role_input {
	const char *role_arn;
	const char *role_session_name;
	int duration_s;
	const char *external_id;
	const char *serial_number;
	const char *token_code;
	const char *source_identity;
};

/*
 * Resolves the endpoint of cfg and prepares a libcurl handle. C_ERR with err (STS_ERR_INPUT) for a malformed
 * endpoint_url or region, or when libcurl cannot be initialised. sts_client_free releases c either way.
 */
int sts_client_init(struct sts_client *c, const struct sts_client_config *cfg, struct sts_error *err);

/* Releases the libcurl handle. Safe on a zeroed or already freed client. */
void sts_client_free(struct sts_client *c);

/*
 * Resolves where STS is for cfg: writes the URL (with its path) into url and the signing region into region.
 * C_ERR with err when endpoint_url is not an http(s) URL or region is not a region name.
 */
int sts_resolve_endpoint(const struct sts_client_config *cfg, char *url, size_t url_cap, char *region,
                         size_t region_cap, struct sts_error *err);

/* GetCallerIdentity as creds. Fills out->account, arn, user_id, request_id. */
int sts_client_get_caller_identity(struct sts_client *c, const struct sigv4_credentials *creds,
                                   struct sts_result *out, struct sts_error *err);

/* GetSessionToken as creds (long-term keys), with MFA when in->serial_number is set. Fills out->creds. */
int sts_client_get_session_token(struct sts_client *c, const struct sigv4_credentials *creds,
                                 const struct sts_session_token_input *in, struct sts_result *out,
                                 struct sts_error *err);

/* AssumeRole as creds. Fills out->creds, assumed_role_arn, assumed_role_id, source_identity. */
int sts_client_assume_role(struct sts_client *c, const struct sigv4_credentials *creds,
                           const struct sts_assume_role_input *in, struct sts_result *out, struct sts_error *err);

/* AssumeRoleWithWebIdentity's input: the request is not signed (the token authenticates it), as on AWS. */
struct sts_web_identity_input {
	const char *role_arn;
	const char *role_session_name;
	int duration_s; /* 0: STS's default */
	const char *web_identity_token; /* secret: never logged */
};

/* AssumeRoleWithWebIdentity (unsigned). Fills out->creds, assumed_role_arn, assumed_role_id, source_identity. */
int sts_client_assume_role_with_web_identity(struct sts_client *c, const struct sts_web_identity_input *in,
                                             struct sts_result *out, struct sts_error *err);

/* Wipes a result (its credentials are secrets). */
void sts_result_clear(struct sts_result *r);

/* ---- other services at the client's endpoint, and the bounded XML reader (rolegate analyze reach over the API) */

/* One request to another AWS service: signed for service at the client's endpoint and region. */
struct sts_raw_request {
	const char *service; /* the signing name: "iam", "organizations", "sts" */
	const char *target;  /* the JSON protocol's X-Amz-Target ("AWSOrganizationsV20161128.ListAccounts"), sent as
	                        application/x-amz-json-1.1; NULL: a query-protocol form body */
	const char *body;
	size_t len;
};

/*
 * Sends rq signed with creds, retrying transport failures, 429 and 5xx as the STS calls do. C_OK when an HTTP answer
 * came (any status: *status, the body in answer, which the caller initialised with buf_init and its size cap; it
 * may hold secrets: buf_free_secret), C_ERR with err (STS_ERR_INPUT / STS_ERR_TRANSPORT) when none did.
 */
int sts_client_raw(struct sts_client *c, const struct sigv4_credentials *creds, const struct sts_raw_request *rq,
                   long *status, struct buf *answer, struct sts_error *err);

#define STS_XML_MAX_NAME 128
/* Called when an element opens: depth 1 for the root, its name. C_ERR stops the walk. */
typedef int (*sts_xml_open_fn)(void *ctx, int depth, const char *name);
/* Called for an element without child elements: its path from the root ("A/B/C") and its text. */
typedef int (*sts_xml_leaf_fn)(void *ctx, const char *path, const char *text, size_t len);
/*
 * The bounded XML reader STS's answers are read with (no DTDs, depth 16, names 128 bytes, paths 1 KiB, text at
 * most text_max bytes): walks doc[0..len), calling open (may be NULL) for every element and fn for every element
 * without children. Writes the root element's name into root. C_ERR when the document is not well-formed within
 * the caps, or when a callback fails.
 */
int sts_xml_walk(const char *doc, size_t len, size_t text_max, sts_xml_open_fn open, sts_xml_leaf_fn fn, void *ctx,
                 char root[STS_XML_MAX_NAME + 1]);

#endif
