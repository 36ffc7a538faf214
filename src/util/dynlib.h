/*
 * dynlib.h - shared libraries loaded when first needed rather than when rolegate starts.
 *
 * libmicrohttpd (with GnuTLS behind it) and libcurl (with its two dozen protocol libraries) are most of the
 * libraries rolegate links; mapping them costs ~10 ms per process start on a VM where mmap and page faults are slow,
 * which every `rolegate exec` and every credential_process call would pay without using either. So they are not
 * linked: http/mhd.h and cli/curl.h resolve the functions rolegate calls through dynlib_load, on first use.
 */
#ifndef ROLEGATE_DYNLIB_H
#define ROLEGATE_DYNLIB_H

#include <stddef.h>

/*
 * Opens soname (dlopen, RTLD_NOW) and stores the address of names[i] in fns[i], for i < n. A library or a function
 * that cannot be found is fatal, with a message naming it: rolegate cannot go on without either library.
 */
void dynlib_load(const char *soname, const char *const *names, void **fns, size_t n);

#endif
