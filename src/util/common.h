/*
 * common.h - conventions shared by every module.
 *
 * Functions that can fail return C_OK or C_ERR (Redis style); where the caller needs to know *why*, the failure is
 * described in an out-parameter (usually a struct aws_err). Sizes are size_t; times are int64_t milliseconds or
 * seconds since the Unix epoch as the name says (_ms / _s).
 */
#ifndef ROLEGATE_COMMON_H
#define ROLEGATE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define C_OK 0
#define C_ERR -1

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED(x) (void)(x)

#define ROLEGATE_VERSION "0.1.0"

#endif
