/*
 * xml.h - a minimal XML writer for AWS query-protocol responses.
 *
 * Text and attribute values are escaped; what XML 1.0 cannot carry (C0 controls other than tab, newline and
 * carriage return, U+FFFE, U+FFFF, and bytes that are not well-formed UTF-8) is replaced by U+FFFD so a response
 * is always well-formed.
 */
#ifndef ROLEGATE_XML_H
#define ROLEGATE_XML_H

#include <stddef.h>

#include "util/buf.h"

/* Appends "<name>". */
int xml_open(struct buf *b, const char *name);
/* Appends "<name xmlns=\"ns\">". */
int xml_open_ns(struct buf *b, const char *name, const char *ns);
/* Appends "</name>". */
int xml_close(struct buf *b, const char *name);
/* Appends the escaped text s[0..len). */
int xml_text(struct buf *b, const char *s, size_t len);
/* Appends "<name>escaped text</name>". */
int xml_element(struct buf *b, const char *name, const char *text);

#endif
