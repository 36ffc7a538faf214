/*
 * timeutil.h - clocks and the ISO 8601 forms AWS writes.
 */
#ifndef ROLEGATE_TIMEUTIL_H
#define ROLEGATE_TIMEUTIL_H

#include <stdint.h>

#define ISO8601_LEN 21 /* "2026-11-25T16:52:29Z" + NUL */

/* Wall-clock milliseconds since the epoch. */
int64_t now_ms(void);
/* Monotonic microseconds (for latencies). */
int64_t mono_us(void);
/* Formats seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ". */
void time_iso8601(int64_t s, char out[ISO8601_LEN]);
/* Parses "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm|-hh:mm)" into seconds. C_ERR when malformed. */
int time_parse_iso8601(const char *s, int64_t *out);

#endif
