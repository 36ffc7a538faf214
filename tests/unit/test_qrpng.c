/*
 * test_qrpng.c - tests src/util/qrpng.c: the PNG is well formed (signature, IHDR, IDAT, IEND in order, every CRC
 * right, IHDR says 1-bit grayscale), its IDAT inflates (zlib) to exactly height scanlines of filter 0 and the width
 * IHDR gives, and the pixels are the QR symbol libqrencode makes for the same text: scaled modules, a white quiet
 * zone, the finder patterns in three corners. Refusals: bad scale, no text, text too long for a QR code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/common.h"
#include "util/qrpng.h"

#define URI                                                                                                         \
	"otpauth://totp/rolegate:anay%40123456789012?secret="                                                     \
	"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=rolegate"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A decoded PNG: its header and its raw scanlines (filter byte + packed pixels per row). */
struct image {
	uint32_t width, height;
	uint8_t depth, colour;
	uint8_t *raw;
	size_t raw_len;
	int chunks;
};

/* Walks the chunks of png, checking order and CRCs, and inflates the IDAT data. */
static void parse_png(const uint8_t *png, size_t len, struct image *img)
{
	static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	uint8_t *idat = NULL;
	size_t idat_len = 0, o = 8;
	bool seen_ihdr = false, seen_iend = false;

	memset(img, 0, sizeof(*img));
	assert_true(len > 8);
	assert_memory_equal(png, signature, 8);
	while (o < len) {
		uint32_t n, crc;
		const uint8_t *type, *data;

		assert_true(o + 12 <= len);
		assert_false(seen_iend); /* nothing after IEND */
		n = get32(png + o);
		assert_true(o + 12 + n <= len);
		type = png + o + 4;
		data = png + o + 8;
		crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), type, 4 + n);
		assert_int_equal(get32(data + n), crc);
		if (memcmp(type, "IHDR", 4) == 0) {
			assert_int_equal(img->chunks, 0); /* IHDR comes first */
			assert_int_equal(n, 13);
			img->width = get32(data);
			img->height = get32(data + 4);
			img->depth = data[8];
			img->colour = data[9];
			assert_int_equal(data[10], 0); /* deflate */
			assert_int_equal(data[11], 0); /* filter method */
			assert_int_equal(data[12], 0); /* not interlaced */
			seen_ihdr = true;
		} else if (memcmp(type, "IDAT", 4) == 0) {
			assert_true(seen_ihdr);
			idat = realloc(idat, idat_len + n);
			assert_non_null(idat);
			memcpy(idat + idat_len, data, n);
			idat_len += n;
		} else if (memcmp(type, "IEND", 4) == 0) {
			assert_int_equal(n, 0);
			seen_iend = true;
		} else {
			fail_msg("unexpected chunk %.4s", (const char *)type);
		}
		img->chunks++;
		o += 12 + n;
	}
	assert_true(seen_ihdr && seen_iend && idat_len > 0);
	assert_int_equal(o, len);
	/* inflate: exactly height * (1 + stride) bytes */
	{
		uLongf want = (uLongf)img->height * (1 + (img->width * img->depth + 7) / 8), got = want + 16;
		img->raw = malloc(got);
		assert_non_null(img->raw);
		assert_int_equal(uncompress(img->raw, &got, idat, (uLong)idat_len), Z_OK);
		assert_int_equal(got, want);
		img->raw_len = got;
	}
	free(idat);
}

/* Whether the pixel (x, y) of a 1-bit image is dark (0). */
static bool dark(const struct image *img, uint32_t x, uint32_t y)
{
	size_t stride = (img->width + 7) / 8;
	const uint8_t *row = img->raw + y * (stride + 1);

	assert_int_equal(row[0], 0); /* filter type None */
	return !(row[1 + x / 8] & (0x80u >> (x % 8)));
}

static void test_png_small_image(void **state)
{
	/* 10 x 3: a checkerboard-ish pattern, rows of 2 bytes */
	const uint8_t rows[] = {0xAA, 0x80, 0x55, 0x40, 0xFF, 0xC0};
	struct image img;
	size_t len = 0;
	uint8_t *png;

	(void)state;
	png = png_encode_gray1(rows, 10, 3, &len);
	assert_non_null(png);
	parse_png(png, len, &img);
	assert_int_equal(img.width, 10);
	assert_int_equal(img.height, 3);
	assert_int_equal(img.depth, 1);
	assert_int_equal(img.colour, 0);
	assert_int_equal(img.chunks, 3);
	for (uint32_t y = 0; y < 3; y++)
		for (uint32_t x = 0; x < 10; x++)
			assert_true(dark(&img, x, y) == !(rows[y * 2 + x / 8] & (0x80u >> (x % 8))));
	free(img.raw);
	free(png);
	/* refusals */
	assert_null(png_encode_gray1(rows, 0, 3, &len));
	assert_null(png_encode_gray1(rows, 10, 0, &len));
	assert_null(png_encode_gray1(rows, 100000, 1, &len));
}

static void check_qr(const char *text, int scale)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	struct image img;
	size_t len = 0;
	uint8_t *png = qrpng_render(text, scale, &len);
	uint32_t modules, side;

	assert_non_null(qr);
	assert_non_null(png);
	parse_png(png, len, &img);
	modules = (uint32_t)qr->width + 2 * QRPNG_QUIET_ZONE;
	side = modules * (uint32_t)scale;
	assert_int_equal(img.width, side);
	assert_int_equal(img.height, side);
	assert_int_equal(img.depth, 1);
	assert_int_equal(img.colour, 0);
	/* every pixel is its module: dark where libqrencode's symbol is dark, white in the quiet zone */
	for (uint32_t y = 0; y < side; y++)
		for (uint32_t x = 0; x < side; x++) {
			uint32_t mx = x / (uint32_t)scale, my = y / (uint32_t)scale;
			bool want = false;
			if (mx >= QRPNG_QUIET_ZONE && my >= QRPNG_QUIET_ZONE && mx < modules - QRPNG_QUIET_ZONE &&
			    my < modules - QRPNG_QUIET_ZONE)
				want = qr->data[(my - QRPNG_QUIET_ZONE) * (uint32_t)qr->width + mx - QRPNG_QUIET_ZONE] & 1;
			if (dark(&img, x, y) != want)
				fail_msg("pixel (%u, %u) of a %u-pixel image", x, y, side);
		}
	/* the finder patterns: a dark 7x7 ring with a dark 3x3 centre in three corners */
	for (int corner = 0; corner < 3; corner++) {
		uint32_t ox = QRPNG_QUIET_ZONE + (corner == 1 ? (uint32_t)qr->width - 7 : 0);
		uint32_t oy = QRPNG_QUIET_ZONE + (corner == 2 ? (uint32_t)qr->width - 7 : 0);
		for (uint32_t i = 0; i < 7; i++) {
			assert_true(dark(&img, (ox + i) * (uint32_t)scale, oy * (uint32_t)scale));
			assert_true(dark(&img, (ox + i) * (uint32_t)scale, (oy + 6) * (uint32_t)scale));
			assert_true(dark(&img, ox * (uint32_t)scale, (oy + i) * (uint32_t)scale));
		}
		assert_false(dark(&img, (ox + 1) * (uint32_t)scale, (oy + 1) * (uint32_t)scale));
		assert_true(dark(&img, (ox + 3) * (uint32_t)scale, (oy + 3) * (uint32_t)scale));
	}
	free(img.raw);
	free(png);
	QRcode_free(qr);
}

static void test_qr_otpauth(void **state)
{
	(void)state;
	check_qr(URI, QRPNG_SCALE);
	check_qr(URI, 1);
	check_qr(URI, 3); /* rows that do not end on a byte boundary */
	check_qr("x", 5);
}

static void test_qr_refusals(void **state)
{
	char *big = malloc(8001);
	size_t len = 0;

	(void)state;
	assert_null(qrpng_render(URI, 0, &len));
	assert_null(qrpng_render(URI, 33, &len));
	assert_null(qrpng_render(NULL, 4, &len));
	assert_null(qrpng_render(URI, 4, NULL));
	/* more than a version-40 symbol holds */
	assert_non_null(big);
	memset(big, 'a', 8000);
	big[8000] = '\0';
	assert_null(qrpng_render(big, 1, &len));
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_png_small_image),
		cmocka_unit_test(test_qr_otpauth),
		cmocka_unit_test(test_qr_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
