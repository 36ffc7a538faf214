/*
 * log.c - one write(2) per line, logfmt, never a secret.
 */
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_LEVEL_INFO;
static int log_fd = 2;

void log_set_level(enum log_level level) { min_level = level; }
void log_set_fd(int fd) { log_fd = fd; }

static const char *level_names[] = {"debug", "info", "warn", "error"};

/* Formats "ts=2026-01-01T00:00:00.123Z " into out (at least 32 bytes). */
static size_t format_ts(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	return (size_t)snprintf(out, cap, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ", tm.tm_year + 1900,
	                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static void write_line(char *line, size_t len)
{
	if (len > 0 && line[len - 1] != '\n')
		line[len++] = '\n';
	while (len > 0) {
		ssize_t n = write(log_fd, line, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		line += n;
		len -= (size_t)n;
	}
}

static void vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char line[2048];
	size_t len, room;
	int n;

	if (level < min_level)
		return;
	len = format_ts(line, sizeof(line));
	len += (size_t)snprintf(line + len, sizeof(line) - len, "level=%s msg=\"", level_names[level]);
	room = sizeof(line) - len - 64;
	n = vsnprintf(line + len, room, fmt, ap);
	if (n < 0)
		n = 0;
	len += (size_t)n < room ? (size_t)n : room - 1;
	if (errnum)
		len += (size_t)snprintf(line + len, sizeof(line) - len - 2, ": %s", strerror(errnum));
	line[len++] = '"';
	write_line(line, len);
}

#define DEFINE_LOG(name, level)                                                                                     \
	void name(const char *fmt, ...)                                                                             \
	{                                                                                                           \
		va_list ap;                                                                                         \
		va_start(ap, fmt);                                                                                  \
		vlog(level, 0, fmt, ap);                                                                            \
		va_end(ap);                                                                                         \
	}

DEFINE_LOG(log_debug, LOG_LEVEL_DEBUG)
DEFINE_LOG(log_info, LOG_LEVEL_INFO)
DEFINE_LOG(log_warnx, LOG_LEVEL_WARN)

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARN, saved, fmt, ap);
	va_end(ap);
}

void log_record(const char *record)
{
	char line[4096];
	size_t len;

	if (LOG_LEVEL_INFO < min_level)
		return;
	len = format_ts(line, sizeof(line));
	len += (size_t)snprintf(line + len, sizeof(line) - len - 2, "%s", record);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	write_line(line, len);
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
