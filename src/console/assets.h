/*
 * assets.h - the console's static files (src/console/assets/), embedded in the binary at build time: build.mk runs
 * tools/embed-assets.sh, which writes them as byte arrays into build/gen/console_assets.c. Served under
 * /console/static/NAME (console.c).
 */
#ifndef ROLEGATE_CONSOLE_ASSETS_H
#define ROLEGATE_CONSOLE_ASSETS_H

#include <stddef.h>

struct console_asset {
	const char *name; /* "console.css" */
	const unsigned char *data;
	size_t len;
};

extern const struct console_asset console_assets[];
extern const size_t console_nassets;

#endif
