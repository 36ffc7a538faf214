/*
 * fuzz_config.c - the config file of `rolegate server --config FILE` (src/server/config.c): inih reading lines from
 * memory through config.c's reader, the keys checked against the option table, every value tried, and
 * --print-config's output read back.
 *
 * The module is included (with the modules its table reaches: iam/quotas.c, http/forwarded.c for --trusted-proxy,
 * server/throttle.c for --rate-*, store/pq_api.c for --print-config's libpq check) to reach its statics, so the text
 * is parsed from memory: parse_config_text, as read_config_file calls it once the file is read.
 *
 * Input: the file's text.
 *
 * Checks beyond the sanitizers (abort on failure):
 *   - a refused file has one error line, naming the file and a line from 1 to the number of lines (or saying it is
 *     not text when it holds a NUL byte);
 *   - a file that parses applies without error (every value was checked at its line);
 *   - its --print-config output, when every value can be printed, parses again and prints the same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/forwarded.c"
#include "iam/quotas.c"
#include "server/config.c"
#include "server/throttle.c"
#include "store/pq_api.c"

#define PATH "/fuzz/rolegate.ini"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_config: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* Parses text[len] into out; the error text (or "") in *msg, the caller's to free. */
static int parse(const char *text, size_t len, struct settings *out, char **msg)
{
	size_t mlen = 0;
	FILE *err = open_memstream(msg, &mlen);
	int rc;

	if (!err)
		abort();
	rc = parse_config_text(PATH, text, len, out, err);
	fclose(err);
	return rc;
}

/* --print-config of settings s (as the file's): C_OK and the text in *out, or C_ERR (a value cannot be printed). */
static int print(const struct settings *s, char **out)
{
	struct settings none = {0};
	struct server_config cfg;
	size_t len = 0;
	FILE *f = open_memstream(out, &len), *err = fopen("/dev/null", "w");
	int rc;

	if (!f || !err)
		abort();
	memset(&cfg, 0, sizeof(cfg));
	rc = apply(&cfg, &none, s, PATH, f, err);
	fclose(f);
	fclose(err);
	config_free(&cfg);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings file = {0}, again = {0}, none = {0};
	struct server_config cfg;
	char *msg = NULL, *text = NULL, *text2 = NULL, *msg2 = NULL;
	size_t lines = 1;
	FILE *devnull;

	if (size > 65536)
		return 0;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (parse((const char *)data, size, &file, &msg) != C_OK) {
		unsigned line = 0;
		char tail = 0;
		if (!strchr(msg, '\n') || strchr(msg, '\n')[1])
			die("the error is not one line", msg);
		if (strcmp(msg, "rolegate server: config file " PATH " is not text (it holds a NUL byte)\n") == 0) {
			if (!memchr(data, 0, size))
				die("refused as not text without a NUL byte", msg);
		} else if (sscanf(msg, "rolegate server: " PATH ":%u%c", &line, &tail) != 2 || tail != ':' || line < 1 ||
		           line > lines) {
			die("the error does not name the file and a line of it", msg);
		}
		goto out;
	}
	memset(&cfg, 0, sizeof(cfg));
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	if (apply(&cfg, &none, &file, PATH, NULL, devnull) != C_OK)
		die("a file that parsed does not apply", NULL);
	fclose(devnull);
	config_free(&cfg);
	if (print(&file, &text) != C_OK)
		goto out; /* a value --print-config refuses to write (a line that would be too long) */
	if (parse(text, strlen(text), &again, &msg2) != C_OK)
		die("--print-config's output does not parse", msg2);
	if (print(&again, &text2) != C_OK || strcmp(text, text2) != 0)
		die("--print-config's output, read back, prints something else", text2);
out:
	settings_free(&file);
	settings_free(&again);
	free(msg);
	free(msg2);
	free(text);
	free(text2);
	return 0;
}
