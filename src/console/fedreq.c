/*
 * fedreq.c - /federation's parameters: the Session JSON, SessionDuration and the login Destination (fedreq.h).
 */
#include "console/fedreq.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "util/common.h"

void fed_session_clear(struct fed_session *s)
{
	explicit_bzero(s, sizeof(*s));
}

/* Copies the string member key of o into dst (cap bytes). C_ERR unless it is a non-empty string without NUL that
 * fits; absent: C_ERR too, *present false. */
static int member(json_t *o, const char *key, char *dst, size_t cap, bool *present)
{
	json_t *v = json_object_get(o, key);
	size_t n;

	*present = v != NULL;
	if (!json_is_string(v))
		return C_ERR;
	n = json_string_length(v);
	if (n == 0 || n >= cap || memchr(json_string_value(v), '\0', n))
		return C_ERR;
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	return C_OK;
}

int fed_session_parse(const char *json, size_t len, struct fed_session *out)
{
	json_error_t jerr;
	json_t *root = NULL;
	bool present;
	int rc = C_ERR;

	fed_session_clear(out);
	if (!json || len == 0 || len > FED_SESSION_MAX)
		return C_ERR;
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root))
		goto done;
	if (member(root, "sessionId", out->access_key_id, sizeof(out->access_key_id), &present) != C_OK ||
	    member(root, "sessionKey", out->secret, sizeof(out->secret), &present) != C_OK)
		goto done;
	if (member(root, "sessionToken", out->token, sizeof(out->token), &present) == C_OK)
		out->has_token = true;
	else if (present)
		goto done; /* there, but not a usable string */
	rc = C_OK;
done:
	if (root) {
		/* the secret is also in jansson's copy: wipe it before it is freed */
		json_t *k = json_object_get(root, "sessionKey");
		if (json_is_string(k))
			explicit_bzero((char *)json_string_value(k), json_string_length(k));
		json_decref(root);
	}
	if (rc != C_OK)
		fed_session_clear(out);
	return rc;
}

int fed_duration_parse(const char *s, int64_t *out)
{
	int64_t v = 0;

	*out = 0;
	if (!s || !*s)
		return C_OK;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || p - s >= 6)
			return C_ERR;
		v = v * 10 + (*p - '0');
	}
	if (v < FED_DURATION_MIN || v > FED_DURATION_MAX)
		return C_ERR;
	*out = v;
	return C_OK;
}

/* Whether path is "/console" or under "/console/", optionally followed by a query or fragment. */
static bool console_path(const char *path)
{
	if (strncmp(path, "/console", 8) != 0)
		return false;
	return path[8] == '\0' || path[8] == '/' || path[8] == '?' || path[8] == '#';
}

bool fed_destination_ok(const char *dest, const char *host)
{
	const char *rest, *slash;
	size_t n;

	if (!dest || !*dest || strlen(dest) > FED_DESTINATION_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)dest; *p; p++)
		if (*p < 0x21 || *p == 0x7f || *p == '\\')
			return false;
	if (dest[0] == '/')
		return dest[1] != '/' && console_path(dest);
	if (strncasecmp(dest, "https://", 8) == 0)
		rest = dest + 8;
	else if (strncasecmp(dest, "http://", 7) == 0)
		rest = dest + 7;
	else
		return false;
	if (!host || !*host)
		return false;
	slash = strchr(rest, '/');
	if (!slash)
		return false;
	n = (size_t)(slash - rest);
	if (n == 0 || n != strlen(host) || strncasecmp(rest, host, n) != 0 || memchr(rest, '@', n))
		return false;
	return slash[1] != '/' && console_path(slash);
}

const char *fed_destination_path(const char *dest)
{
	const char *rest;

	if (dest[0] == '/')
		return dest;
	rest = strstr(dest, "://");
	rest = rest ? strchr(rest + 3, '/') : NULL;
	return rest ? rest : "/console/";
}
