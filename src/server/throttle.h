/*
 * throttle.h - request rates as AWS limits them: token buckets per principal and per account.
 *
 * Every authenticated request takes one token from the bucket of the identity it is made as and one from its
 * account's; when either is empty the request is refused (Throttling / TooManyRequestsException) and neither is
 * charged. A bucket holds at most `burst` tokens and gains `rps` a second, on a monotonic clock the caller passes.
 *
 * Memory is bounded: each table has a fixed number of slots, split into stripes with one mutex each. A key lives
 * in one of PROBE consecutive slots of its stripe; a newcomer takes an empty slot there, or evicts the bucket with
 * the most tokens (a full one is idle: evicting it loses nothing, as the newcomer's bucket starts full too), the
 * least recently used on a tie. Keys are compared in full: a hash collision never shares a bucket.
 */
#ifndef ROLEGATE_THROTTLE_H
#define ROLEGATE_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

/* A rate: rps tokens a second, at most burst of them saved up. rps 0: unlimited. */
struct rate_limit {
	double rps;
	unsigned burst;
};

/* Parses "RPS[:BURST]" (RPS a decimal number >= 0, at most 1000000; BURST an integer from 1 to 1000000, default
 * RPS rounded up, at least 1). C_OK or C_ERR with a message in err. */
int rate_limit_parse(const char *text, struct rate_limit *out, char *err, size_t errlen);

enum throttle_verdict {
	THROTTLE_PASS,      /* a token taken from both buckets */
	THROTTLE_PRINCIPAL, /* the principal's bucket is empty */
	THROTTLE_ACCOUNT,   /* the account's bucket is empty */
};

struct throttle;

/* The longest key (a principal's unique id, "AROA...:SESSION", or an account id) the tables keep, with its NUL. */
#define THROTTLE_KEY_MAX 112

/* A throttle with the two rates and `slots` buckets in each table (rounded up to a multiple of the stripes).
 * NULL when both rates are unlimited (nothing to do) or out of memory (errno ENOMEM). */
struct throttle *throttle_new(const struct rate_limit *principal, const struct rate_limit *account, size_t slots);
void throttle_free(struct throttle *t);
/* Charges one request of principal (its unique id) in account at monotonic time now_us. t NULL: always passes.
 * A key longer than THROTTLE_KEY_MAX - 1 bytes is refused (THROTTLE_PRINCIPAL): it cannot be kept in full. */
enum throttle_verdict throttle_take(struct throttle *t, const char *principal, const char *account, int64_t now_us);
/* Requests refused so far (0 when t is NULL). */
uint64_t throttle_refused(const struct throttle *t);

#endif
