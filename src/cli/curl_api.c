/*
 * curl_api.c - libcurl's functions, resolved on first use (curl_api.h).
 */
#define CURL_API_IMPLEMENTATION
#include "cli/curl_api.h"

#include <pthread.h>

#include "util/common.h"
#include "util/dynlib.h"

#define CURL_SONAME "libcurl.so.4"

static struct curl_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	static const char *const names[] = {
#define CURL_API_NAME(f) #f,
		CURL_API_FUNCS(CURL_API_NAME)
#undef CURL_API_NAME
	};

	_Static_assert(sizeof(api) == ARRAY_LEN(names) * sizeof(void *), "one pointer per function");
	dynlib_load(CURL_SONAME, names, (void **)&api, ARRAY_LEN(names));
}

const struct curl_api *curl_api(void)
{
	pthread_once(&once, load);
	return &api;
}
