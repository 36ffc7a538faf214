/*
 * mhd_api.c - libmicrohttpd's functions, resolved on first use (mhd_api.h).
 */
#define MHD_API_IMPLEMENTATION
#include "http/mhd_api.h"

#include <pthread.h>

#include "util/common.h"
#include "util/dynlib.h"

#define MHD_SONAME "libmicrohttpd.so.12"

static struct mhd_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	static const char *const names[] = {
#define MHD_API_NAME(f) #f,
		MHD_API_FUNCS(MHD_API_NAME)
#undef MHD_API_NAME
	};

	_Static_assert(sizeof(api) == ARRAY_LEN(names) * sizeof(void *), "one pointer per function");
	dynlib_load(MHD_SONAME, names, (void **)&api, ARRAY_LEN(names));
}

const struct mhd_api *mhd_api(void)
{
	pthread_once(&once, load);
	return &api;
}
