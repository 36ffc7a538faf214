/*
 * log.c - one write(2) per line, logfmt, never a secret.
 */
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_LEVEL_INFO;
static int log_fd = 2;

#define ASYNC_FLUSH_BYTES (64 * 1024)
#define ASYNC_MAX_BYTES (1024 * 1024)

/* Buffered mode: lines wait in pending[] until the flusher thread writes them. */
static struct {
	bool on;
	bool stopping;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	char *pending;
	size_t len;
} async = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

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

static void write_all(const char *line, size_t len)
{
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

/* Writes what is pending; called with async.mu held. */
static void flush_locked(void)
{
	if (async.len) {
		write_all(async.pending, async.len);
		async.len = 0;
	}
}

static void *flusher(void *arg)
{
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&async.mu);
	while (!async.stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&async.cond, &async.mu, &ts);
		flush_locked();
	}
	flush_locked();
	pthread_mutex_unlock(&async.mu);
	return NULL;
}

int log_async_start(void)
{
	async.pending = malloc(ASYNC_MAX_BYTES);
	if (!async.pending)
		return -1;
	async.len = 0;
	async.stopping = false;
	if (pthread_create(&async.thread, NULL, flusher, NULL) != 0) {
		free(async.pending);
		async.pending = NULL;
		return -1;
	}
	async.on = true;
	return 0;
}

void log_async_stop(void)
{
	if (!async.on)
		return;
	pthread_mutex_lock(&async.mu);
	async.stopping = true;
	pthread_cond_signal(&async.cond);
	pthread_mutex_unlock(&async.mu);
	pthread_join(async.thread, NULL);
	async.on = false;
	free(async.pending);
	async.pending = NULL;
}

/* Emits one line (a newline is added): buffered in async mode, else written at once. */
static void write_line(char *line, size_t len, bool urgent)
{
	if (len > 0 && line[len - 1] != '\n')
		line[len++] = '\n';
	if (!async.on) {
		write_all(line, len);
		return;
	}
	pthread_mutex_lock(&async.mu);
	if (async.len + len > ASYNC_MAX_BYTES)
		flush_locked(); /* the flusher fell behind: the writer pays */
	memcpy(async.pending + async.len, line, len);
	async.len += len;
	if (urgent)
		flush_locked();
	else if (async.len >= ASYNC_FLUSH_BYTES)
		pthread_cond_signal(&async.cond);
	pthread_mutex_unlock(&async.mu);
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
	write_line(line, len, level >= LOG_LEVEL_WARN);
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
DEFINE_LOG(log_errorx, LOG_LEVEL_ERROR)

void log_error(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, saved, fmt, ap);
	va_end(ap);
}

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
	write_line(line, len, false);
}

void fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, saved, fmt, ap);
	va_end(ap);
	log_async_stop();
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, 0, fmt, ap);
	va_end(ap);
	log_async_stop();
	exit(1);
}
