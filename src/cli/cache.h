/*
 * cache.h - where the client verbs keep temporary credentials between runs.
 *
 * Two caches:
 *
 * 1. Assumed-role sessions, in the AWS CLI's own cache: ~/.aws/cli/cache/<key>.json, where <key> is the name
 *    botocore's AssumeRoleCredentialFetcher computes (SHA-1 of the AssumeRole arguments as Python's
 *    json.dumps(args, sort_keys=True) writes them), and the content is the AssumeRole response botocore's
 *    JSONFileCache writes. So `aws --profile X` and `rolegate exec X` share one session per role. The files hold
 *    the credentials in clear text, as the AWS CLI's do; they are written 0600 in a 0700 directory.
 *
 * 2. MFA sessions (GetSessionToken with SerialNumber/TokenCode), rolegate's own: one file per mfa_serial under
 *    $XDG_CACHE_HOME/rolegate (or ~/.cache/rolegate), sealed with AES-256-GCM under a cache key that lives in the
 *    Linux kernel's user keyring when it can, else in a 0600 key file beside the cache.
 *
 *    Threat model. The sealing protects the MFA session (which can assume every role the user may enter) from
 *    anyone who gets the cache *files* without the key: backups and synced or copied home directories, a disk
 *    image, a stolen powered-off laptop, a misconfigured shared or world-readable ~/.cache, another user reading
 *    a file through a path mistake. A file moved or edited is detected (GCM tag; the serial is associated data) and
 *    ignored. It does NOT protect against code running as the same user while the key is reachable: such code can
 *    read the keyring key (or the key file) and decrypt, just as it could read ~/.aws/credentials, ptrace the
 *    shell or sniff the MFA prompt. With the key-file fallback, the key sits beside the files, so only copies that
 *    leave that one file behind are protected. Root, and (keyring) other containers sharing this uid in the same
 *    user namespace, can read everything. The kernel keyring is flushed when the user's last process exits (or
 *    on reboot); the sealed files then no longer open and the user is asked for one new MFA code.
 *
 * Both caches treat anything unexpected (missing, unreadable, truncated, corrupted, foreign, wrongly typed,
 * undecryptable, expiring) as a miss: never fatal, logged at most as a warning without secret contents. Writes
 * are atomic (a temporary file in the same directory, fsync, rename, fsync of the directory): a reader sees the
 * old file or the new one, never part of one, also across `kill -9`.
 *
 * Call crypto_init() before the MFA-cache functions (they use its AES-256-GCM).
 */
#ifndef ROLEGATE_CLI_CACHE_H
#define ROLEGATE_CLI_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sessions with fewer seconds than this left are treated as missing (botocore's expiry window is the same). */
#define CACHE_REFRESH_S (15 * 60)

#define CACHE_KEY_LEN 40 /* hex SHA-1 */
#define CACHE_AKID_MAX 128
#define CACHE_SECRET_MAX 128
#define CACHE_TOKEN_MAX 8192
#define CACHE_ARN_MAX 2048
#define CACHE_ROLE_ID_MAX 256
#define CACHE_ACCOUNT_MAX 12

/* One set of temporary credentials as the caches store it. Holds secrets: cache_creds_clear() when done. */
struct cache_creds {
	char access_key_id[CACHE_AKID_MAX + 1];
	char secret_access_key[CACHE_SECRET_MAX + 1];
	char session_token[CACHE_TOKEN_MAX + 1];
	int64_t expiration_s;                      /* seconds since the epoch */
	char account_id[CACHE_ACCOUNT_MAX + 1];    /* optional ("" when unknown) */
	char arn[CACHE_ARN_MAX + 1];               /* AssumedRoleUser.Arn, optional */
	char assumed_role_id[CACHE_ROLE_ID_MAX + 1]; /* AssumedRoleUser.AssumedRoleId, optional */
};

/*
 * The AssumeRole arguments botocore's assume-role provider puts in the cache key. NULL (or has_duration false)
 * means "not configured", and the argument is left out as botocore leaves it out.
 */
struct cache_assume_args {
	const char *role_arn;          /* role_arn (required) */
	const char *role_session_name; /* role_session_name; NULL when botocore would generate "botocore-session-<ts>",
	                                  which it leaves out of the key */
	const char *external_id;       /* external_id */
	const char *serial_number;     /* mfa_serial */
	bool has_duration;
	long long duration_seconds;    /* duration_seconds (an integer in the key, as botocore's int()) */
	/* Policy: JSON text, parsed and re-serialised with sorted keys as botocore does. Not read from profiles by the
	   AWS CLI; here for callers that pass a session policy. */
	const char *policy;
	/* SourceIdentity: botocore (1.43) does not send source_identity, so the AWS CLI never computes a key with it.
	   When set, rolegate's key includes it, so a session carrying a source identity is never shared with the CLI's
	   session without one (and the key for profiles without source_identity stays the CLI's). */
	const char *source_identity;
};

/* Overwrites c with zeros. */
void cache_creds_clear(struct cache_creds *c);

/*
 * Computes botocore's cache key for args into key (CACHE_KEY_LEN hex digits and a NUL). C_ERR when role_arn is
 * missing, a string is not valid UTF-8, or the policy is not JSON that can be re-serialised exactly as Python
 * would (e.g. NaN, or an integer beyond 64 bits); the caller should then not cache.
 */
int cache_aws_key(const struct cache_assume_args *args, char key[CACHE_KEY_LEN + 1]);

/*
 * The AWS CLI's cache directory: $HOME/.aws/cli/cache (HOME as Python's expanduser reads it, else the password
 * database). C_ERR when no home directory is known or the path does not fit cap.
 */
int cache_aws_dir(char *out, size_t cap);

/*
 * Reads the cached session named key into out. C_OK when the file exists, is a well-formed AssumeRole response
 * and its credentials expire at least min_remaining_s seconds from now (pass CACHE_REFRESH_S). C_ERR otherwise
 * (out is then cleared): missing, unreadable, corrupted, foreign, expiring or expired.
 */
int cache_aws_read(const char *key, int64_t min_remaining_s, struct cache_creds *out);

/*
 * Writes c as the session named key, in the shape botocore writes (Credentials with AccessKeyId, SecretAccessKey,
 * SessionToken, Expiration and AccountId; AssumedRoleUser when known), atomically, mode 0600, creating the
 * directories 0700. C_ERR (logged; any previous file is left as it was) on failure.
 */
int cache_aws_write(const char *key, const struct cache_creds *c);

/* Removes the session named key. C_OK also when there was none; *removed (may be NULL) says whether there was. */
int cache_aws_delete(const char *key, bool *removed);

/*
 * rolegate's own cache directory: $XDG_CACHE_HOME/rolegate (when XDG_CACHE_HOME is an absolute path), else
 * $HOME/.cache/rolegate. C_ERR when no home directory is known or the path does not fit cap.
 */
int cache_mfa_dir(char *out, size_t cap);

/*
 * Where the MFA cache's key is kept: "keyring" (the kernel's user keyring) or "file" (a 0600 key file). The
 * keyring is used unless the keyring system calls are unavailable (seccomp, old kernel) or ROLEGATE_NO_KEYRING is
 * set to a non-empty value.
 */
const char *cache_mfa_key_store(void);

/*
 * Reads the MFA session cached for serial. C_OK when a sealed file opens under the cache key, belongs to serial
 * and expires at least min_remaining_s from now; C_ERR (out cleared) otherwise. Never creates a key.
 */
int cache_mfa_read(const char *serial, int64_t min_remaining_s, struct cache_creds *out);

/* Seals c and writes it as the MFA session for serial (atomic, 0600; key created on first use). C_ERR on failure. */
int cache_mfa_write(const char *serial, const struct cache_creds *c);

/* Removes the MFA session cached for serial. C_OK also when there was none; *removed (may be NULL) says whether
 * there was. */
int cache_mfa_delete(const char *serial, bool *removed);

/*
 * Removes every cached MFA session and forgets the cache key (invalidated in the keyring, key file removed), so
 * any copy of the files made earlier can no longer be opened with what is left on this machine.
 */
int cache_mfa_clear(void);

#endif
