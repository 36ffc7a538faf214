/*
 * log.c - one write(2) per line, logfmt or JSON, never a secret.
 */
#include "util/log.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/utf8.h"

static enum log_level min_level = LOG_LEVEL_INFO;
static int log_fd = 2;
static enum log_format format = LOG_FORMAT_LOGFMT;

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
void log_set_format(enum log_format f) { format = f; }

static const char *level_names[] = {"debug", "info", "warn", "error"};

/* Formats "2026-01-01T00:00:00.123Z" into out (64 bytes: room for any year the compiler imagines). */
static void format_time(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	         tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* Starts a line in line[cap]: "ts=... " (logfmt) or "{\"ts\":\"...\"" (JSON). Returns its length. */
static size_t line_start(char *line, size_t cap)
{
	char t[64];

	format_time(t, sizeof(t));
	return (size_t)snprintf(line, cap, format == LOG_FORMAT_JSON ? "{\"ts\":\"%s\"" : "ts=%s ", t);
}

/* Appends s[0..n) to line[len..cap) as the inside of a JSON string, which is also the inside of a quoted logfmt
 * value: quotes, backslashes and control characters escaped (\n, \r, \t, else \u00XX), ill-formed UTF-8 replaced
 * by U+FFFD. Stops (whole escapes and characters only) when fewer than
 * `keep` bytes would remain. Returns the new length. */
static size_t json_escape(char *line, size_t len, size_t cap, size_t keep, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		const char *out = esc;
		size_t olen, step = 1;

		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c, olen = 2;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			esc[0] = '\\', esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't', olen = 2;
		} else if (c < 0x20 || c == 0x7f) {
			olen = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
		} else if (c < 0x80) {
			esc[0] = (char)c, olen = 1;
		} else {
			step = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (i + step <= n && utf8_valid(s + i, step)) {
				out = s + i, olen = step;
			} else {
				out = "\\ufffd", olen = 6, step = 1;
			}
		}
		if (len + olen + keep > cap)
			break;
		memcpy(line + len, out, olen);
		len += olen;
		i += step;
	}
	return len;
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
	char line[2048], msg[1536];
	size_t len, mlen;
	int n;

	if (level < min_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	mlen = n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
	if (errnum) {
		n = snprintf(msg + mlen, sizeof(msg) - mlen, ": %s", strerror(errnum));
		mlen = n < 0 ? mlen : mlen + (size_t)n < sizeof(msg) ? mlen + (size_t)n : sizeof(msg) - 1;
	}
	len = line_start(line, sizeof(line));
	if (format == LOG_FORMAT_JSON) {
		len += (size_t)snprintf(line + len, sizeof(line) - len, ",\"level\":\"%s\",\"msg\":\"", level_names[level]);
		len = json_escape(line, len, sizeof(line), 4, msg, mlen);
		memcpy(line + len, "\"}", 2);
		len += 2;
	} else {
		len += (size_t)snprintf(line + len, sizeof(line) - len, "level=%s msg=\"", level_names[level]);
		len = json_escape(line, len, sizeof(line), 3, msg, mlen); /* one line, whatever msg holds */
		line[len++] = '"';
	}
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

/* The text of the quoted logfmt value s[0..end) (without its quotes) with the escapes of json_escape undone, into
 * out[cap] (cut to fit). Returns its length. */
static size_t unquote(const char *s, const char *end, char *out, size_t cap)
{
	size_t n = 0;

	while (s < end && n + 4 < cap) {
		if (*s != '\\' || s + 1 >= end) {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': out[n++] = '\n', s++; break;
		case 'r': out[n++] = '\r', s++; break;
		case 't': out[n++] = '\t', s++; break;
		case 'u': {
			unsigned v = 0;
			int k;
			for (k = 1; k <= 4 && s + k < end && isxdigit((unsigned char)s[k]); k++)
				v = v * 16 + (unsigned)(isdigit((unsigned char)s[k]) ? s[k] - '0' : (s[k] | 0x20) - 'a' + 10);
			if (k == 5 && v < 0x80) {
				out[n++] = (char)v;
				s += 5;
			} else if (k == 5 && v == 0xfffd) {
				memcpy(out + n, "\xef\xbf\xbd", 3);
				n += 3;
				s += 5;
			} else {
				out[n++] = 'u', s++;
			}
			break;
		}
		default: out[n++] = *s++; break;
		}
	}
	return n;
}

const char *log_value(const char *v, char *out, size_t cap)
{
	size_t len;

	if (*v && !v[strcspn(v, " =\"\\\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16"
	                       "\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f")])
		return v;
	if (cap < 3)
		return "\"\"";
	out[0] = '"';
	len = json_escape(out, 1, cap, 2, v, strlen(v));
	out[len++] = '"';
	out[len] = '\0';
	return out;
}

/* Appends the logfmt pairs of record as JSON members (",\"key\":\"value\"", digits as numbers); keeps `keep` bytes
 * free. Sets *has_msg when a pair is named msg. */
static size_t record_json(char *line, size_t len, size_t cap, size_t keep, const char *record, bool *has_msg)
{
	const char *p = record;

	while (*p) {
		const char *key, *val, *eq, *end;
		bool quoted, digits = true;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		key = p;
		eq = strpbrk(p, "= ");
		if (!eq || *eq != '=')
			break; /* not a pair: the rest is dropped, never misquoted */
		val = eq + 1;
		quoted = *val == '"';
		if (quoted)
			val++;
		if (quoted) { /* up to the closing quote, past escaped ones */
			for (end = val; *end && *end != '"'; end++)
				if (*end == '\\' && end[1])
					end++;
		} else {
			end = strchr(val, ' ');
		}
		if (!end)
			end = val + strlen(val);
		for (const char *d = val; d < end && digits; d++)
			digits = isdigit((unsigned char)*d);
		digits = digits && !quoted && end > val && end - val < 16;
		if (len + 4 + (size_t)(eq - key) + keep > cap)
			break;
		line[len++] = ',';
		line[len++] = '"';
		len = json_escape(line, len, cap, keep + 3, key, (size_t)(eq - key));
		memcpy(line + len, "\":", 2);
		len += 2;
		if (!digits)
			line[len++] = '"';
		if (quoted) {
			char raw[2048];
			size_t rlen = unquote(val, end, raw, sizeof(raw));
			len = json_escape(line, len, cap, keep + 1, raw, rlen);
		} else {
			len = json_escape(line, len, cap, keep + 1, val, (size_t)(end - val));
		}
		if (!digits)
			line[len++] = '"';
		if (eq - key == 3 && memcmp(key, "msg", 3) == 0)
			*has_msg = true;
		p = *end == '"' ? end + 1 : end;
	}
	return len;
}

void log_record(const char *record)
{
	char line[4096];
	size_t len;
	bool has_msg = false;

	if (LOG_LEVEL_INFO < min_level)
		return;
	len = line_start(line, sizeof(line));
	if (format == LOG_FORMAT_JSON) {
		len = record_json(line, len, sizeof(line), 24, record, &has_msg);
		if (!has_msg) {
			memcpy(line + len, ",\"msg\":\"request\"", 16);
			len += 16;
		}
		line[len++] = '}';
	} else {
		len += (size_t)snprintf(line + len, sizeof(line) - len - 2, "%s", record);
		if (len > sizeof(line) - 2)
			len = sizeof(line) - 2;
	}
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
