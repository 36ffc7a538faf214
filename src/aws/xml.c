/*
 * xml.c - escaping XML writer.
 */
#include "aws/xml.h"

#include <string.h>

#include "util/common.h"

int xml_open(struct buf *b, const char *name)
{
	return buf_printf(b, "<%s>", name);
}

int xml_open_ns(struct buf *b, const char *name, const char *ns)
{
	if (buf_printf(b, "<%s xmlns=\"", name) != C_OK || xml_text(b, ns, strlen(ns)) != C_OK)
		return C_ERR;
	return buf_puts(b, "\">");
}

int xml_close(struct buf *b, const char *name)
{
	return buf_printf(b, "</%s>", name);
}

int xml_text(struct buf *b, const char *s, size_t len)
{
	size_t run = 0; /* start of the pending run of bytes that need no escaping */

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		switch (c) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		case '\r': rep = "&#xD;"; break;
		default:
			if (c < 0x20 && c != '\t' && c != '\n')
				rep = "\xEF\xBF\xBD";
			break;
		}
		if (!rep)
			continue;
		if (buf_append(b, s + run, i - run) != C_OK || buf_puts(b, rep) != C_OK)
			return C_ERR;
		run = i + 1;
	}
	return buf_append(b, s + run, len - run);
}

int xml_element(struct buf *b, const char *name, const char *text)
{
	if (xml_open(b, name) != C_OK || xml_text(b, text, strlen(text)) != C_OK)
		return C_ERR;
	return xml_close(b, name);
}
