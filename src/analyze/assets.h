/*
 * assets.h - the files of src/analyze/assets/ (reach.html: the HTML report's template), embedded in the binary at
 * build time by tools/embed-assets.sh (build.mk renames its symbols into build/gen/analyze_assets.c).
 */
#ifndef ROLEGATE_ANALYZE_ASSETS_H
#define ROLEGATE_ANALYZE_ASSETS_H

#include "console/assets.h"

extern const struct console_asset analyze_assets[];
extern const size_t analyze_nassets;

#endif
