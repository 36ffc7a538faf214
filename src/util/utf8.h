/*
 * utf8.h - UTF-8 validation and length in the units AWS counts (Java UTF-16 code units).
 */
#ifndef ROLEGATE_UTF8_H
#define ROLEGATE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
bool utf8_valid(const char *s, size_t len);
/* The length of valid UTF-8 s in UTF-16 code units, as Java's String.length() and so AWS's limits count. */
size_t utf8_utf16_len(const char *s, size_t len);

#endif
