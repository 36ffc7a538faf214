/*
 * broker.h - the credentials of a profile, as the client verbs hand them out: the profile's chain (awsconfig.h)
 * walked from its source credentials to the role asked for, each AssumeRole answered from the AWS CLI's cache when it
 * can be (cache.h), else asked of STS (sts_client.h), with MFA.
 *
 * MFA. A role whose profile has mfa_serial is assumed, by default, from an MFA session: one GetSessionToken with
 * SerialNumber/TokenCode per device, cached sealed (cache_mfa_*), so one code serves every account the person may
 * enter until that session ends. AWS caps a role session assumed with temporary credentials at one hour (role
 * chaining), so the broker assumes the role directly with SerialNumber/TokenCode (one code per role) instead when
 * asked to (--direct), when the session asked for is longer than an hour, or when the role's source credentials are
 * themselves temporary. A code comes from --mfa-code, the profile's mfa_process or a prompt on /dev/tty
 * (mfa_prompt.h); a code AWS rejects as invalid is asked for again when it was typed, at most three times in all.
 *
 * A profile with static keys and mfa_serial but no role_arn gets an MFA session (GetSessionToken) too; without
 * mfa_serial its keys are handed out as they are.
 *
 * Nothing is written unless a call succeeded: a failure leaves both caches as they were.
 */
#ifndef ROLEGATE_CLI_BROKER_H
#define ROLEGATE_CLI_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/awsconfig.h"
#include "cli/cache.h"

#define BROKER_ERR_MAX 2048
#define BROKER_MFA_DURATION_S 3600      /* GetSessionToken's DurationSeconds for MFA sessions by default */
#define BROKER_CHAINED_MAX_S 3600       /* AWS's cap on roles assumed with temporary credentials */
#define BROKER_MAX_DEPTH 4              /* rolegate called through credential_process of itself, at most */

/* What the verbs' common options ask for. Zero values mean "as configured". */
struct broker_opts {
	const char *mfa_code;  /* --mfa-code */
	bool direct;           /* --direct: AssumeRole with SerialNumber/TokenCode, no MFA session */
	int duration_s;        /* --duration: the asked-for role's session length (overrides duration_seconds) */
	int mfa_duration_s;    /* --mfa-duration: GetSessionToken's DurationSeconds; 0: BROKER_MFA_DURATION_S */
	const char *region;    /* --region */
	bool refresh;          /* ignore a cached session of the asked-for role (serve-credentials renewing) */
};

/* A profile's credentials. Holds secrets: broker_result_clear() when done. */
struct broker_result {
	struct cache_creds creds; /* expiration_s is 0 for long-term keys */
	bool temporary;           /* creds.session_token is set */
	char region[64];          /* "" when none is configured */
	char endpoint_url[512];   /* the profile's endpoint_url (AWS_ENDPOINT_URL, endpoint_url), "" for AWS's */
	char source[64];          /* where they came from: "cache", "AssumeRole", "GetSessionToken", "static keys", ... */
};

/*
 * Gets the credentials of profile (NULL: AWS_DEFAULT_PROFILE, AWS_PROFILE, "default"). C_OK with out filled, or
 * C_ERR with err holding a message that names the profile, the role and what STS answered. Initialises the crypto
 * library (crypto_init) only when it needs it: a session found in the AWS CLI's cache does without.
 */
int broker_credentials(const char *profile, const struct broker_opts *o, struct broker_result *out,
                       char err[BROKER_ERR_MAX]);

/* Seconds before its expiry at which a session of lifetime_s is renewed: 15 minutes, or a third of a shorter one. */
int64_t broker_refresh_window(int64_t lifetime_s);

/* The name of the AWS CLI cache file of link's role session (an AWSCONFIG_LINK_ASSUME_ROLE), as the AWS CLI and
 * broker_credentials (without --duration) compute it. C_ERR when the session is not cacheable. */
int broker_cache_key(const struct awsconfig_link *l, char key[CACHE_KEY_LEN + 1]);

/* An STS client for profile (its endpoint, region, CA bundle; o->region wins), as broker_credentials uses. C_ERR with
 * err filled; sts_client_free(c) either way. */
struct sts_client;
int broker_sts_client(const char *profile, const struct broker_opts *o, struct sts_client *c,
                      char err[BROKER_ERR_MAX]);

/* Wipes r. */
void broker_result_clear(struct broker_result *r);

#endif
