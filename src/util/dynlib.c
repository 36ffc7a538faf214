/*
 * dynlib.c - libraries loaded on first use (see dynlib.h).
 */
#include "util/dynlib.h"

#include <dlfcn.h>

#include "util/log.h"

void dynlib_load(const char *soname, const char *const *names, void **fns, size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		fatalx("cannot load %s: %s", soname, dlerror());
	for (size_t i = 0; i < n; i++) {
		dlerror();
		fns[i] = dlsym(h, names[i]);
		if (!fns[i])
			fatalx("%s has no %s: %s", soname, names[i], dlerror());
	}
	/* h stays open for the life of the process */
}
