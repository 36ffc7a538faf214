/*
 * pq_api.c - libpq's functions, resolved on first use (pq_api.h).
 */
#define PQ_API_IMPLEMENTATION
#include "store/pq_api.h"

#include <pthread.h>

#include "util/common.h"
#include "util/dynlib.h"

#define PQ_SONAME "libpq.so.5"

static struct pq_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	static const char *const names[] = {
#define PQ_API_NAME(f) #f,
		PQ_API_FUNCS(PQ_API_NAME)
#undef PQ_API_NAME
	};

	_Static_assert(sizeof(api) == ARRAY_LEN(names) * sizeof(void *), "one pointer per function");
	dynlib_load(PQ_SONAME, names, (void **)&api, ARRAY_LEN(names));
}

const struct pq_api *pq_api(void)
{
	pthread_once(&once, load);
	return &api;
}
