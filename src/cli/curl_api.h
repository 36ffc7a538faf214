/*
 * curl_api.h - libcurl, loaded on first use (util/dynlib.h). Include this instead of <curl/curl.h>: the calls read as
 * libcurl's own (curl_easy_setopt(...)) and go through a table that curl_api() fills once. libcurl's compile-time
 * type checks of curl_easy_setopt are macros that would hide the table, so they are off here.
 */
#ifndef ROLEGATE_CURL_API_H
#define ROLEGATE_CURL_API_H

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

/* Every libcurl function rolegate calls. */
#define CURL_API_FUNCS(X)                                                                                             \
	X(curl_global_init)                                                                                               \
	X(curl_global_cleanup)                                                                                            \
	X(curl_easy_init)                                                                                                 \
	X(curl_easy_cleanup)                                                                                              \
	X(curl_easy_reset)                                                                                                \
	X(curl_easy_setopt)                                                                                               \
	X(curl_easy_getinfo)                                                                                              \
	X(curl_easy_perform)                                                                                              \
	X(curl_easy_strerror)                                                                                             \
	X(curl_easy_escape)                                                                                               \
	X(curl_free)                                                                                                      \
	X(curl_slist_append)                                                                                              \
	X(curl_slist_free_all)                                                                                            \
	X(curl_url)                                                                                                       \
	X(curl_url_set)                                                                                                   \
	X(curl_url_get)                                                                                                   \
	X(curl_url_cleanup)

struct curl_api {
#define CURL_API_MEMBER(f) __typeof__(&f) f;
	CURL_API_FUNCS(CURL_API_MEMBER)
#undef CURL_API_MEMBER
};

/* The table, loaded on the first call (thread-safe; fatal when libcurl cannot be loaded). */
const struct curl_api *curl_api(void);

#ifndef CURL_API_IMPLEMENTATION
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (curl_api()->curl_global_init)
#define curl_global_cleanup (curl_api()->curl_global_cleanup)
#define curl_easy_init (curl_api()->curl_easy_init)
#define curl_easy_cleanup (curl_api()->curl_easy_cleanup)
#define curl_easy_reset (curl_api()->curl_easy_reset)
#define curl_easy_setopt (curl_api()->curl_easy_setopt)
#define curl_easy_getinfo (curl_api()->curl_easy_getinfo)
#define curl_easy_perform (curl_api()->curl_easy_perform)
#define curl_easy_strerror (curl_api()->curl_easy_strerror)
#define curl_easy_escape (curl_api()->curl_easy_escape)
#define curl_free (curl_api()->curl_free)
#define curl_slist_append (curl_api()->curl_slist_append)
#define curl_slist_free_all (curl_api()->curl_slist_free_all)
#define curl_url (curl_api()->curl_url)
#define curl_url_set (curl_api()->curl_url_set)
#define curl_url_get (curl_api()->curl_url_get)
#define curl_url_cleanup (curl_api()->curl_url_cleanup)
#endif

#endif
