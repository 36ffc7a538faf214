/*
 * xml.c - escaping XML writer.
 */
#include "aws/xml.h"

#include <string.h>

#include "util/common.h"
#include "util/utf8.h"

int xml_open(struct buf *b, const char *name)
{
	if (buf_putc(b, '<') != C_OK || buf_puts(b, name) != C_OK)
		return C_ERR;
	return buf_putc(b, '>');
}

int xml_open_ns(struct buf *b, const char *name, const char *ns)
{
	if (buf_putc(b, '<') != C_OK || buf_puts(b, name) != C_OK || buf_puts(b, " xmlns=\"") != C_OK ||
	    xml_text(b, ns, strlen(ns)) != C_OK)
		return C_ERR;
	return buf_puts(b, "\">");
}

int xml_close(struct buf *b, const char *name)
{
	if (buf_append(b, "</", 2) != C_OK || buf_puts(b, name) != C_OK)
		return C_ERR;
	return buf_putc(b, '>');
}

/*
 * The length of the well-formed UTF-8 character starting at s[0] (a byte >= 0x80), or 0 when the bytes there are
 * not one. Text can hold bytes that are not UTF-8 even when every input was: a message that echoes a value is cut
 * at a byte count (the "%.256s" of a validation message), which may fall inside a character.
 */
static size_t utf8_char_len(const unsigned char *s, size_t len)
{
	size_t n = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;

	return n <= len && utf8_valid((const char *)s, n) ? n : 0;
}

int xml_text(struct buf *b, const char *s, size_t len)
{
	size_t run = 0; /* start of the pending run of bytes that need no escaping */

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		size_t skip = 1; /* bytes replaced by rep */
		if (c >= 0x80) {
			size_t n = utf8_char_len((const unsigned char *)s + i, len - i);
			if (n == 3 && c == 0xEF && (unsigned char)s[i + 1] == 0xBF && (unsigned char)s[i + 2] >= 0xBE)
				skip = 3; /* U+FFFE, U+FFFF: well-formed, but not XML characters */
			else if (n) {
				i += n - 1;
				continue;
			}
			rep = "\xEF\xBF\xBD"; /* else one U+FFFD for each byte that is not part of a character */
		} else {
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
		}
		if (!rep)
			continue;
		if (buf_append(b, s + run, i - run) != C_OK || buf_puts(b, rep) != C_OK)
			return C_ERR;
		i += skip - 1;
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
