/*
 * test_log.c - tests src/util/log.c: logfmt lines (the default) and JSON lines (one object per line that parses,
 * whatever the message holds: quotes, backslashes, control characters, ill-formed UTF-8, more than fits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/common.h"
#include "util/log.h"

static FILE *out;

static int setup(void **state)
{
	(void)state;
	out = tmpfile();
	assert_non_null(out);
	log_set_fd(fileno(out));
	log_set_level(LOG_LEVEL_INFO);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_fd(2);
	log_set_format(LOG_FORMAT_LOGFMT);
	fclose(out);
	return 0;
}

/* The one line written since setup, without its newline, in a static buffer. */
static const char *written(void)
{
	static char line[8192];
	long n = (long)lseek(fileno(out), 0, SEEK_CUR);

	assert_true(n > 0 && n < (long)sizeof(line));
	assert_int_equal(pread(fileno(out), line, (size_t)n, 0), n);
	line[n] = '\0';
	assert_ptr_equal(strchr(line, '\n'), line + n - 1); /* exactly one line */
	line[n - 1] = '\0';
	return line;
}

static json_t *written_json(void)
{
	json_error_t err;
	json_t *j = json_loads(written(), JSON_REJECT_DUPLICATES, &err);

	if (!j)
		fail_msg("not JSON (%s): %s", err.text, written());
	assert_true(json_is_object(j));
	assert_true(json_is_string(json_object_get(j, "ts")));
	return j;
}

static void test_logfmt_is_the_default(void **state)
{
	(void)state;
	log_warnx("hello %d", 42);
	const char *l = written();
	assert_memory_equal(l, "ts=", 3);
	assert_non_null(strstr(l, "Z level=warn msg=\"hello 42\""));
}

static void test_json_message(void **state)
{
	(void)state;
	log_set_format(LOG_FORMAT_JSON);
	log_warnx("quote \" backslash \\ newline \n tab \t bell \a bad \xff\xfe utf8 \xc3\xa9 cut \xe2\x82");
	json_t *j = written_json();
	assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(j, "msg")),
	                    "quote \" backslash \\ newline \n tab \t bell \a bad \xef\xbf\xbd\xef\xbf\xbd utf8 \xc3\xa9 "
	                    "cut \xef\xbf\xbd\xef\xbf\xbd");
	assert_int_equal(json_object_size(j), 3);
	json_decref(j);
}

static void test_json_message_too_long_still_parses(void **state)
{
	char big[6000];

	(void)state;
	memset(big, '"', sizeof(big) - 1); /* every byte doubles when escaped */
	big[sizeof(big) - 1] = '\0';
	log_set_format(LOG_FORMAT_JSON);
	log_errorx("%s", big);
	json_t *j = written_json();
	const char *msg = json_string_value(json_object_get(j, "msg"));
	assert_non_null(msg);
	assert_true(strlen(msg) > 100 && strspn(msg, "\"") == strlen(msg));
	assert_string_equal(json_string_value(json_object_get(j, "level")), "error");
	json_decref(j);
}

static void test_json_record(void **state)
{
	(void)state;
	log_set_format(LOG_FORMAT_JSON);
	log_record("level=info req=3f2a-b ip=127.0.0.1 principal=arn:aws:iam::123456789012:user/a action=iam:ListUsers "
	           "status=200 error=- latency_us=512");
	json_t *j = written_json();
	assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "request");
	assert_string_equal(json_string_value(json_object_get(j, "principal")), "arn:aws:iam::123456789012:user/a");
	assert_string_equal(json_string_value(json_object_get(j, "action")), "iam:ListUsers");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 200);
	assert_int_equal(json_integer_value(json_object_get(j, "latency_us")), 512);
	assert_string_equal(json_string_value(json_object_get(j, "error")), "-");
	json_decref(j);
}

static void test_logfmt_record_unchanged(void **state)
{
	(void)state;
	log_record("level=info req=r1 status=200");
	const char *l = written();
	assert_memory_equal(l, "ts=", 3);
	assert_non_null(strstr(l, "Z level=info req=r1 status=200"));
}

static void test_below_the_level_nothing(void **state)
{
	(void)state;
	log_set_format(LOG_FORMAT_JSON);
	log_set_level(LOG_LEVEL_WARN);
	log_info("not written");
	log_warnx("written");
	json_t *j = written_json();
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "written");
	json_decref(j);
}

/* Finds key's value in a logfmt line as a logfmt reader takes it: unquoted up to a blank, or quoted with \" \\ \n
 * \r \t \uXXXX (ASCII and U+FFFD) escapes. Fails the test when the line is not a sequence of key=value pairs. */
static const char *logfmt_get(const char *line, const char *key)
{
	static char val[8192];
	const char *p = line;
	bool found = false;

	while (*p) {
		const char *k = p, *eq = strchr(p, '=');
		size_t n = 0;
		assert_non_null(eq);
		for (const char *q = k; q < eq; q++)
			assert_true(*q > ' ' && *q != '"' && *q != '=');
		p = eq + 1;
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				assert_true(*p && (unsigned char)*p >= 0x20);
				if (*p != '\\') {
					val[n++] = *p;
					continue;
				}
				p++;
				if (*p == 'n' || *p == 'r' || *p == 't')
					val[n++] = *p == 'n' ? '\n' : *p == 'r' ? '\r' : '\t';
				else if (*p == '"' || *p == '\\')
					val[n++] = *p;
				else if (*p == 'u' && strncmp(p, "ufffd", 5) == 0)
					memcpy(val + n, "\xef\xbf\xbd", 3), n += 3, p += 4;
				else if (*p == 'u' && strncmp(p, "u00", 3) == 0)
					val[n++] = (char)strtol((char[3]){p[3], p[4], 0}, NULL, 16), p += 4;
				else
					fail_msg("bad escape in %s", line);
			}
			p++;
		} else {
			for (; *p && *p != ' '; p++) {
				assert_true((unsigned char)*p > ' ' && *p != '"' && *p != '=');
				val[n++] = *p;
			}
		}
		assert_true(*p == '\0' || *p == ' ');
		while (*p == ' ')
			p++;
		val[n] = '\0';
		if ((size_t)(eq - k) == strlen(key) && strncmp(k, key, (size_t)(eq - k)) == 0) {
			found = true;
			break;
		}
	}
	if (!found)
		fail_msg("no %s in %s", key, line);
	return val;
}

static void test_logfmt_message_escaped(void **state)
{
	(void)state;
	log_warnx("quote \" backslash \\ newline \n injected=1 level=error tab \t bell \a bad \xff utf8 \xc3\xa9");
	const char *l = written(); /* exactly one line */
	assert_string_equal(logfmt_get(l, "msg"), "quote \" backslash \\ newline \n injected=1 level=error tab \t bell \a "
	                                          "bad \xef\xbf\xbd utf8 \xc3\xa9");
	assert_string_equal(logfmt_get(l, "level"), "warn");
}

static void test_logfmt_message_too_long_still_parses(void **state)
{
	char big[6000];

	(void)state;
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_errorx("%s", big);
	const char *msg = logfmt_get(written(), "msg");
	assert_true(strlen(msg) > 100 && strspn(msg, "\n") == strlen(msg));
}

static void test_record_value_quoted_when_needed(void **state)
{
	char buf[256], line[512];

	(void)state;
	assert_string_equal(log_value("arn:aws:iam::123456789012:user/a", buf, sizeof(buf)),
	                    "arn:aws:iam::123456789012:user/a");
	snprintf(line, sizeof(line), "level=info principal=%s status=200",
	         log_value("arn:aws:iam::123456789012:user/a=b,c", buf, sizeof(buf)));
	assert_string_equal(line, "level=info principal=\"arn:aws:iam::123456789012:user/a=b,c\" status=200");
	snprintf(line, sizeof(line), "level=info ip=%s status=200", log_value("1.2.3.4\" x=\\\n", buf, sizeof(buf)));
	log_record(line);
	const char *l = written();
	assert_string_equal(logfmt_get(l, "ip"), "1.2.3.4\" x=\\\n");
	assert_string_equal(logfmt_get(l, "status"), "200");
	assert_int_equal(ftruncate(fileno(out), 0), 0);
	assert_int_equal(lseek(fileno(out), 0, SEEK_SET), 0);
	log_set_format(LOG_FORMAT_JSON);
	log_record(line);
	json_t *j = written_json();
	assert_string_equal(json_string_value(json_object_get(j, "ip")), "1.2.3.4\" x=\\\n");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 200);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_logfmt_is_the_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_message_too_long_still_parses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logfmt_record_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_below_the_level_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logfmt_message_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logfmt_message_too_long_still_parses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_value_quoted_when_needed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
