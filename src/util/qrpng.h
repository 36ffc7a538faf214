/*
 * qrpng.h - a QR code as a PNG image (what CreateVirtualMFADevice returns as QRCodePNG: the otpauth:// URI of the
 * seed, for an authenticator app's camera).
 *
 * The QR symbol comes from libqrencode (byte mode, error correction level M, the smallest version that holds the
 * text); the PNG is written here: 1-bit grayscale, not interlaced, one IDAT compressed with zlib, CRCs from zlib.
 */
#ifndef ROLEGATE_QRPNG_H
#define ROLEGATE_QRPNG_H

#include <stddef.h>
#include <stdint.h>

/* The white border around the symbol, in modules (the QR specification asks for 4). */
#define QRPNG_QUIET_ZONE 4
/* The default size of one module, in pixels. */
#define QRPNG_SCALE 4

/*
 * Renders text as a QR code of dark modules on white, each module scale x scale pixels (1..32), with a quiet zone of
 * QRPNG_QUIET_ZONE modules. Returns the PNG in a malloc'd buffer (caller frees; it may hold a secret: wipe it) and
 * its length in *len, or NULL (text too long for a QR code, bad scale, out of memory).
 */
uint8_t *qrpng_render(const char *text, int scale, size_t *len);

/*
 * Encodes a 1-bit grayscale image as a PNG. rows holds height rows of (width + 7) / 8 bytes, most significant bit
 * first, 1 = white. Returns a malloc'd buffer (caller frees) with *len, or NULL.
 */
uint8_t *png_encode_gray1(const uint8_t *rows, uint32_t width, uint32_t height, size_t *len);

#endif
