/*
 * file.h - writing files that hold secrets.
 */
#ifndef ROLEGATE_FILE_H
#define ROLEGATE_FILE_H

/*
 * Writes text to path atomically (a temporary file in the same directory, fsync, rename) with mode 0600. C_OK, or
 * C_ERR (logged; path is left as it was).
 */
int file_write_private(const char *path, const char *text);

#endif
