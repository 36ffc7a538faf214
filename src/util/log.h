/*
 * log.h - logging in the OpenBSD manner: log_info/log_warnx/log_warn/fatal/fatalx.
 *
 * Lines go to stderr (or a file chosen with log_open) as "ts=... level=... msg=..." logfmt, or with
 * log_set_format(LOG_FORMAT_JSON) as one JSON object per line with the same fields ({"ts":...,"level":...,
 * "msg":...}), one write(2) per line so concurrent threads never interleave. Nothing secret is ever passed here:
 * callers log identifiers, never keys.
 */
#ifndef ROLEGATE_LOG_H
#define ROLEGATE_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };
enum log_format { LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON };

/* Sets the minimum level written. */
void log_set_level(enum log_level level);
/* Sets the line format (logfmt by default). Call before other threads log. */
void log_set_format(enum log_format format);
/* Sends log lines to fd (default 2). The fd is not closed by the logger. */
void log_set_fd(int fd);
/*
 * Switches to buffered logging: lines collect in memory and a background thread writes them every 50 ms (or
 * sooner when 64 KiB are waiting), so a request costs no write(2). Lines of level warn and above, and fatal(),
 * flush at once. log_async_stop() writes what is left; call it before exiting.
 */
int log_async_start(void);
void log_async_stop(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning without errno. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A warning with strerror(errno) appended. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error (level=error) without errno: for what stops the process. */
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error (level=error) with strerror(errno) appended. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes a preformatted logfmt record (the per-request line: key=value pairs, values without spaces or in double
 * quotes) with ts= prefixed; in JSON format as an object of the same pairs, with "msg":"request" when it has none. */
void log_record(const char *record);
/* A value for a log_record pair: v itself when it is logfmt as it stands (not empty; no blank, '=', quote, backslash
 * or control character), else v quoted and escaped into out[cap] (cut to fit, always closed). */
const char *log_value(const char *v, char *out, size_t cap);
/* Logs with strerror(errno) and exits 1. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Logs and exits 1. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
