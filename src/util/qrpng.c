/*
 * qrpng.c - QR codes (libqrencode) written as PNG images (zlib for deflate and crc32).
 */
#include "util/qrpng.h"

#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/common.h"

/* Images larger than this are refused (a version-40 symbol at scale 32 is 5 888 pixels wide). */
#define PNG_MAX_SIDE 8192

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Writes one chunk (length, type, data, CRC over type and data) at out; returns the bytes written. */
static size_t put_chunk(uint8_t *out, const char type[4], const uint8_t *data, uint32_t n)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	put32(out, n);
	memcpy(out + 4, type, 4);
	if (n)
		memcpy(out + 8, data, n);
	crc = crc32(crc, out + 4, 4 + n);
	put32(out + 8 + n, (uint32_t)crc);
	return 12 + (size_t)n;
}

uint8_t *png_encode_gray1(const uint8_t *rows, uint32_t width, uint32_t height, size_t *len)
{
	static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	size_t stride, raw_len, out_cap, o = 0;
	uint8_t ihdr[13], *raw = NULL, *z = NULL, *out = NULL;
	uLongf z_len;

	if (width == 0 || height == 0 || width > PNG_MAX_SIDE || height > PNG_MAX_SIDE)
		return NULL;
	stride = (width + 7) / 8;
	/* Each scanline starts with its filter type (0: None). */
	raw_len = (stride + 1) * height;
	raw = malloc(raw_len);
	if (!raw)
		goto fail;
	for (uint32_t y = 0; y < height; y++) {
		raw[y * (stride + 1)] = 0;
		memcpy(raw + y * (stride + 1) + 1, rows + y * stride, stride);
	}
	z_len = compressBound((uLong)raw_len);
	z = malloc(z_len);
	if (!z || compress2(z, &z_len, raw, (uLong)raw_len, Z_BEST_COMPRESSION) != Z_OK || z_len > UINT32_MAX)
		goto fail;
	put32(ihdr, width);
	put32(ihdr + 4, height);
	ihdr[8] = 1;  /* bit depth */
	ihdr[9] = 0;  /* colour type: grayscale */
	ihdr[10] = 0; /* compression: deflate */
	ihdr[11] = 0; /* filter method 0 */
	ihdr[12] = 0; /* not interlaced */
	out_cap = sizeof(signature) + (12 + sizeof(ihdr)) + (12 + z_len) + 12;
	out = malloc(out_cap);
	if (!out)
		goto fail;
	memcpy(out, signature, sizeof(signature));
	o = sizeof(signature);
	o += put_chunk(out + o, "IHDR", ihdr, sizeof(ihdr));
	o += put_chunk(out + o, "IDAT", z, (uint32_t)z_len);
	o += put_chunk(out + o, "IEND", NULL, 0);
	*len = o;
	explicit_bzero(raw, raw_len);
	explicit_bzero(z, z_len);
	free(raw);
	free(z);
	return out;
fail:
	if (raw)
		explicit_bzero(raw, raw_len);
	free(raw);
	free(z);
	free(out);
	return NULL;
}

uint8_t *qrpng_render(const char *text, int scale, size_t *len)
{
	QRcode *qr = NULL;
	uint8_t *rows = NULL, *png = NULL;
	uint32_t side, modules;
	size_t stride, rows_len = 0;

	if (!text || !len || scale < 1 || scale > 32)
		return NULL;
	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!qr || qr->width <= 0)
		goto done;
	modules = (uint32_t)qr->width + 2 * QRPNG_QUIET_ZONE;
	side = modules * (uint32_t)scale;
	stride = (side + 7) / 8;
	rows_len = stride * side;
	rows = malloc(rows_len);
	if (!rows)
		goto done;
	/* White everywhere, then a dark pixel for every pixel of a dark module. */
	memset(rows, 0xff, rows_len);
	for (uint32_t y = 0; y < side; y++) {
		uint32_t my = y / (uint32_t)scale;
		for (uint32_t x = 0; x < side; x++) {
			uint32_t mx = x / (uint32_t)scale;
			bool dark = mx >= QRPNG_QUIET_ZONE && my >= QRPNG_QUIET_ZONE &&
			            mx < QRPNG_QUIET_ZONE + (uint32_t)qr->width &&
			            my < QRPNG_QUIET_ZONE + (uint32_t)qr->width &&
			            (qr->data[(my - QRPNG_QUIET_ZONE) * (uint32_t)qr->width + (mx - QRPNG_QUIET_ZONE)] & 1);
			if (dark)
				rows[y * stride + x / 8] &= (uint8_t)~(0x80u >> (x % 8));
		}
	}
	png = png_encode_gray1(rows, side, side, len);
done:
	if (qr) {
		/* the symbol encodes the seed */
		explicit_bzero(qr->data, (size_t)qr->width * (size_t)qr->width);
		QRcode_free(qr);
	}
	if (rows)
		explicit_bzero(rows, rows_len);
	free(rows);
	return png;
}
