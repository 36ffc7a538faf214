/*
 * snapshot.h - `rolegate snapshot save|restore` (see snapshot.c) and the snapshot file's container format.
 */
#ifndef ROLEGATE_SNAPSHOT_H
#define ROLEGATE_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_MAGIC "RGSNAP1\n" /* 8 bytes */
#define SNAPSHOT_MAX_MEMBERS 2     /* rolegate.db, audit.db */

/* One database in a snapshot: its file name in the data directory and its bytes. */
struct snapshot_member {
	const char *name;
	const uint8_t *data;
	size_t len;
};

/*
 * Encodes n members into a new buffer (*out, malloc'd, the caller frees it): the magic, a 4-byte count, per member a
 * 2-byte name length, the name, an 8-byte data length and the data (integers big-endian), then the SHA-256 of every
 * byte before it. C_OK or C_ERR (a name other than rolegate.db / audit.db, out of memory).
 */
int snapshot_encode(const struct snapshot_member *m, size_t n, uint8_t **out, size_t *outlen);

/*
 * Decodes buf: m[] (cap entries) gets the members, pointing into buf. C_ERR unless the magic, every length and the
 * checksum are right, every name is rolegate.db or audit.db, none repeats and rolegate.db is present.
 */
int snapshot_decode(const uint8_t *buf, size_t len, struct snapshot_member *m, size_t cap, size_t *n);

/* Runs `rolegate snapshot ARGS`; returns the exit status. */
int snapshot_main(int argc, char **argv);

#endif
