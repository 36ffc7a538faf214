/*
 * file.h - reading and writing files that hold secrets.
 */
#ifndef ROLEGATE_FILE_H
#define ROLEGATE_FILE_H

#include <stddef.h>

/*
 * Writes text to path atomically (a temporary file in the same directory, fsync, rename, the directory's fsync)
 * with mode 0600. C_OK, or
 * C_ERR (logged; path is left as it was).
 */
int file_write_private(const char *path, const char *text);

/* Creates path, which must not exist (errno EEXIST then), with mode 0600 holding data[0..len), fsynced (the caller
 * syncs the directory). C_OK, or C_ERR with errno set and no file left behind. */
int file_create_private(const char *path, const void *data, size_t len);

/* fsyncs directory dir, so that a file created or renamed in it survives a crash. C_OK or C_ERR (errno set). */
int file_fsync_dir(const char *dir);

/*
 * Takes an exclusive advisory lock (flock) on path, creating it (mode 0600) if needed, without waiting. Returns the
 * descriptor that holds the lock (closing it, or exiting, releases it), or -1: errno EWOULDBLOCK when another
 * process holds it, anything else when the file cannot be opened.
 */
int file_lock_exclusive(const char *path);

/*
 * Reads a regular file of at most max bytes whole into one allocation, NUL-terminated (a file holding a NUL byte
 * is refused). The caller owns *out: a secret's reader wipes it (explicit_bzero) before free. The buffer is sized
 * from the file once, so no copy of its content is left behind in freed memory. C_OK, or C_ERR (logged).
 */
int file_read_bounded(const char *path, size_t max, char **out, size_t *len);

#endif
