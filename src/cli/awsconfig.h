/*
 * awsconfig.h - the AWS shared config and credentials files, read exactly as botocore reads them, and the
 * credential chain of a profile (role_arn -> source_profile -> ... -> static keys / Environment / credential_process).
 *
 * Files. AWS_CONFIG_FILE (default ~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials); a
 * variable that is set, even to "", replaces the default. Both paths go through os.path.expandvars ($VAR, ${VAR};
 * unset variables stay as written) and then expanduser (~, ~user). A path that is not a regular file is "no file"
 * (botocore's ConfigNotFound); a regular file that cannot be opened reads as empty (configparser skips it).
 *
 * Syntax (configparser.RawConfigParser as botocore builds it: delimiters = and :, comment prefixes # and ; on
 * full lines only, no inline comments, strict, no interpolation, empty lines in values):
 *   - Lines end at \n, \r\n or \r. The file must be UTF-8 (a byte order mark is not skipped: botocore then reports
 *     a missing section header).
 *   - A line whose stripped text starts with # or ; is a comment, whatever its indentation; it never ends a value.
 *     "key = value # note" keeps "value # note".
 *   - "[NAME]": a section; NAME is everything between the first [ and the last ], unstripped ("[a] x" is [a]).
 *   - "key = value" or "key: value", split at the first = or :, so "endpoint_url = http://h:9000" works.
 *     Keys are lowercased and stripped, values stripped. An empty key or a line with no delimiter is an error.
 *   - A line indented deeper than the line that opened the current key continues its value ("\n"-joined; blank
 *     lines inside are kept, trailing ones dropped). When the key's own line had no value, the continuation lines
 *     are a nested block "sub = value" (split at the first =, stripped, case kept, the last duplicate wins), as in
 *     "s3 =\n  max_concurrent_requests = 10"; a nested line without = is an error.
 *   - A key before any section, a section twice, or a key twice in one section (case-insensitively) is an error.
 *   - [DEFAULT] is not a section: its keys apply to every section of the same file that lacks them.
 * Errors name the file and line ("Unable to parse config file: PATH, line N: ..."); the offending text is never
 * echoed (a credentials line holds a secret). botocore's own message names only the file.
 *
 * Profiles (botocore's build_profile_map and Session.full_config). In the config file, "[default]" and any section
 * starting with "profile" whose name splits (shlex, POSIX rules: quotes, backslashes) into exactly two words name
 * a profile: "[profile dev]", "[profile 'my dev']", and - botocore's quirk - "[profilex dev]" is profile "dev";
 * "[profile]" or "[profile a b]" are ignored. "[profile default]" is "default" too; of two sections naming the same
 * profile, the later one wins whole. "[services NAME]" and "[sso-session NAME]" are kept apart. In the credentials
 * file every section "[NAME]" is profile NAME ("[profile x]" there is a profile called "profile x"). For a profile
 * in both files, the credentials file's keys win, key by key (awsconfig_get).
 *
 * Profile choice: an explicit name, else AWS_DEFAULT_PROFILE, else AWS_PROFILE (botocore's order: the older
 * AWS_DEFAULT_PROFILE wins when both are set), else "default". A set variable counts even when empty. A name that
 * was chosen (explicitly or through the environment) must exist; the implicit "default" may be absent.
 *
 * Where rolegate differs from botocore, knowingly:
 *   - Keys are lowercased and whitespace stripped for ASCII letters and the Unicode whitespace str.isspace()
 *     knows; non-ASCII upper-case letters in keys are not folded (Python's str.lower would fold them).
 *   - A NUL byte anywhere is an error (Python would keep it in the value).
 *   - Limits: AWSCONFIG_MAX_FILE bytes per file, AWSCONFIG_MAX_LINE bytes per line, AWSCONFIG_MAX_SECTIONS sections
 *     and AWSCONFIG_MAX_ENTRIES keys (nested ones included) per file; beyond them is an error naming file (and line).
 *   - The first error found is reported; configparser collects every malformed line before raising, but raises at
 *     once for a missing section header or a duplicate, as here.
 *   - Region: AWS_REGION, then AWS_DEFAULT_REGION, then the profile's region (botocore 1.x reads only
 *     AWS_DEFAULT_REGION; the AWS CLI v2 and the other SDKs read AWS_REGION first). Empty variables are ignored.
 *   - Environment credentials (AWS_ACCESS_KEY_ID, ...) are not part of a profile's chain; botocore consults them
 *     before any profile only when no profile was named.
 *   - SSO (sso_account_id / sso_role_name), login_session and the credential sources EcsContainer /
 *     Ec2InstanceMetadata are recognised where botocore would use them, and reported as not supported rather than
 *     skipped. A profile's web_identity_token_file + role_arn (+ role_session_name) is a link of its own
 *     (AssumeRoleWithWebIdentityProvider); the environment variables AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and
 *     AWS_ROLE_SESSION_NAME, which botocore also reads, are not.
 */
#ifndef ROLEGATE_AWSCONFIG_H
#define ROLEGATE_AWSCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define AWSCONFIG_MAX_FILE (4u << 20)   /* bytes per file */
#define AWSCONFIG_MAX_LINE (64u << 10)  /* bytes per line, without its end */
#define AWSCONFIG_MAX_SECTIONS 4096     /* sections per file, [DEFAULT] included */
#define AWSCONFIG_MAX_ENTRIES 65536     /* keys per file, nested keys included */

/* Why a load or a resolution failed. */
struct awsconfig_err {
	int line;       /* the line of a parse error in the file msg names; 0 when the error is not about a line */
	char msg[1024]; /* the whole message, AWS CLI style; never holds a value from the files other than names */
};

struct awsconfig; /* the two files, parsed; opaque */

/* One step of a chain. Strings are borrowed from the struct awsconfig and live as long as it does. */
enum awsconfig_link_kind {
	AWSCONFIG_LINK_ASSUME_ROLE, /* sts:AssumeRole role_arn with the credentials of the next link */
	AWSCONFIG_LINK_STATIC,      /* aws_access_key_id + aws_secret_access_key (+ session token) of this profile */
	AWSCONFIG_LINK_ENVIRONMENT, /* credential_source = Environment: AWS_ACCESS_KEY_ID etc. of the process */
	AWSCONFIG_LINK_PROCESS,     /* credential_process of this profile */
	AWSCONFIG_LINK_WEB_IDENTITY, /* sts:AssumeRoleWithWebIdentity role_arn with the token in web_identity_token_file */
};

struct awsconfig_link {
	enum awsconfig_link_kind kind;
	const char *profile; /* the profile this step comes from */
	/* AWSCONFIG_LINK_ASSUME_ROLE (NULL when the profile does not set them) */
	const char *role_arn;
	const char *mfa_serial;
	const char *mfa_process; /* rolegate's own: a command that prints an MFA code */
	const char *external_id;
	const char *role_session_name;
	const char *source_identity;
	bool has_duration;        /* duration_seconds was set and an integer (botocore ignores one that is not) */
	int64_t duration_seconds; /* when has_duration */
	/* AWSCONFIG_LINK_STATIC: the keys come from one file, the credentials file first (as botocore's providers) */
	const char *access_key_id;
	const char *secret_access_key; /* secret: never log */
	const char *session_token;     /* aws_security_token, else aws_session_token, else NULL; secret */
	const char *keys_path;         /* the file they were read from */
	/* AWSCONFIG_LINK_PROCESS */
	const char *credential_process;
	/* AWSCONFIG_LINK_WEB_IDENTITY (with role_arn and role_session_name) */
	const char *web_identity_token_file;
};

/* A profile's chain: links[0] is the profile asked for, links[n - 1] where the first credentials come from. */
struct awsconfig_chain {
	struct awsconfig_link *links; /* owned */
	size_t n;
};

/*
 * Reads the config and credentials files named by the environment (see the top of this file). C_OK with *out set
 * (free it with awsconfig_free), or C_ERR with err filled. Missing files are not an error.
 */
int awsconfig_load(struct awsconfig **out, struct awsconfig_err *err);

/*
 * Reads the given files instead (either may be NULL for "none"); the paths are expanded as botocore expands them.
 * C_OK with *out set, or C_ERR with err filled.
 */
int awsconfig_load_files(const char *config_path, const char *credentials_path, struct awsconfig **out,
                         struct awsconfig_err *err);

/* Frees cfg (NULL is fine), first overwriting every name and value with zeros: the files hold secrets. */
void awsconfig_free(struct awsconfig *cfg);

/* The expanded path of the config (which 0) or credentials (which 1) file, and whether it was found. */
const char *awsconfig_path(const struct awsconfig *cfg, int which, bool *found);

/*
 * The profile to use: explicit when not NULL, else AWS_DEFAULT_PROFILE, else AWS_PROFILE, else "default".
 * *chosen (may be NULL) says whether the name was chosen (explicit or from the environment) rather than implied.
 * The result is explicit itself, a getenv() string, or a literal.
 */
const char *awsconfig_profile_name(const char *explicit_name, bool *chosen);

/* Whether a profile of that name exists in either file. */
bool awsconfig_has_profile(const struct awsconfig *cfg, const char *profile);

/* The number of profiles, and the name of the i-th: config-file profiles in file order, then the credentials
 * file's others in its order (the order of botocore's full_config['profiles']). */
size_t awsconfig_profile_count(const struct awsconfig *cfg);
const char *awsconfig_profile_at(const struct awsconfig *cfg, size_t i);

/*
 * A profile's value for key (lowercase, as stored), the credentials file's first, or NULL when the profile or the
 * key is absent or the value is a nested block. Any key may be asked for, known to rolegate or not.
 */
const char *awsconfig_get(const struct awsconfig *cfg, const char *profile, const char *key);
/* Whether the profile has key at all (a nested block counts), as botocore's `key in profile`. */
bool awsconfig_has(const struct awsconfig *cfg, const char *profile, const char *key);
/* A value inside a nested block ("s3 =\n  addressing_style = path": key "s3", sub "addressing_style"), or NULL. */
const char *awsconfig_get_nested(const struct awsconfig *cfg, const char *profile, const char *key, const char *sub);

/* The region for profile: AWS_REGION, AWS_DEFAULT_REGION (non-empty), else the profile's region, else NULL. */
const char *awsconfig_region(const struct awsconfig *cfg, const char *profile);

/*
 * The endpoint URL botocore would use for service (its snake_case id, e.g. "sts") under profile, or NULL for the
 * service's default: nothing when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (else the profile's
 * ignore_configured_endpoint_urls) is "true" (any case); else the first non-empty of AWS_ENDPOINT_URL_<SERVICE>,
 * AWS_ENDPOINT_URL, the service's endpoint_url in the profile's "services = NAME" section ([services NAME],
 * "sts =\n  endpoint_url = ..."), the profile's endpoint_url. C_ERR (err filled) when the profile names a services
 * section that does not exist, as botocore.
 */
int awsconfig_endpoint_url(const struct awsconfig *cfg, const char *profile, const char *service, const char **url,
                           struct awsconfig_err *err);

/*
 * Resolves profile's credential chain as botocore's AssumeRoleProvider and profile providers do (profile NULL:
 * awsconfig_profile_name(NULL)). A profile with role_arn assumes it (the profile asked for always; a source profile
 * only when it has no static keys) from its source_profile (followed to any depth) or its credential_source
 * (Environment). A source profile's own credentials are, in botocore's order: static keys in the credentials file,
 * credential_process, static keys in the config file. A profile may name itself as source_profile when it also has
 * static keys; any other return to a visited profile is a loop, reported with the path ("a -> b -> a") and not
 * followed. C_OK with *chain filled (free it with awsconfig_chain_free), or C_ERR with err filled: a missing
 * profile or source profile, a loop, both or neither of source_profile and credential_source, partial keys, an
 * unsupported source.
 */
int awsconfig_resolve(const struct awsconfig *cfg, const char *profile, struct awsconfig_chain *chain,
                      struct awsconfig_err *err);

/* Frees the links (the strings belong to the struct awsconfig). */
void awsconfig_chain_free(struct awsconfig_chain *chain);

/*
 * Splits [s, s + n) into words as Python's shlex.split (POSIX mode) does, which is how botocore reads a
 * credential_process command line and a "[profile NAME]" header: quotes, backslashes (inside "..." only \ and "
 * are escaped). *argv (NULL-terminated, malloc'd) points into *storage (malloc'd): free both. Returns the number of
 * words, or -1 for shlex's ValueError (an unclosed quote, a trailing backslash) or no memory.
 */
int awsconfig_shlex_split(const char *s, size_t n, char ***argv, char **storage);

/* Appends a one-line description without secrets: "dev -> ops (static keys, /home/u/.aws/credentials)". */
int awsconfig_chain_describe(const struct awsconfig_chain *chain, struct buf *out);

#endif
