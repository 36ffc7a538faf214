/*
 * fuzz_fedreq.c - /federation's parameter readers (src/console/fedreq.c, included: src/console is not in the fuzz
 * archive) on any bytes: the Session JSON, SessionDuration and the login Destination.
 *
 * Checks beyond the sanitizers (abort on failure): a Session that reads has sessionId and sessionKey set and every
 * field terminated within it; one that does not leaves the secret wiped; a duration that reads is 0 or within
 * 900..43200; an accepted Destination is a /console path or an http(s) URL of the given host.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "console/fedreq.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[FED_SESSION_MAX + 1];
	struct fed_session s;
	int64_t d;
	size_t n = size < FED_SESSION_MAX ? size : FED_SESSION_MAX;

	if (fed_session_parse((const char *)data, size, &s) == C_OK) {
		if (!s.access_key_id[0] || !s.secret[0] || memchr(s.access_key_id, '\0', sizeof(s.access_key_id)) == NULL ||
		    memchr(s.secret, '\0', sizeof(s.secret)) == NULL || memchr(s.token, '\0', sizeof(s.token)) == NULL ||
		    s.has_token != (s.token[0] != '\0'))
			abort();
	} else if (s.secret[0] || s.access_key_id[0] || s.has_token) {
		abort();
	}
	fed_session_clear(&s);

	memcpy(text, data, n);
	text[n] = '\0';
	if (fed_duration_parse(text, &d) == C_OK && d != 0 && (d < FED_DURATION_MIN || d > FED_DURATION_MAX))
		abort();
	if (fed_destination_ok(text, "rolegate.example:8443")) {
		const char *path = text;
		if (text[0] != '/') {
			path = strchr(text, ':') + 3 + strlen("rolegate.example:8443");
			if (strncasecmp(strchr(text, ':') + 3, "rolegate.example:8443", 21) != 0)
				abort();
		}
		if (strncmp(path, "/console", 8) != 0 || path[1] == '/' || strchr(text, '\\'))
			abort();
	}
	return 0;
}
