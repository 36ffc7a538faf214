/*
 * file.c - writing files that hold secrets (root credentials, the example's profiles) and reading them (TLS keys).
 */
#include "util/file.h"

#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/common.h"
#include "util/log.h"

int file_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return C_ERR;
	rc = fsync(fd) == 0 ? C_OK : C_ERR;
	close(fd);
	return rc;
}

int file_create_private(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), err;

	if (fd < 0)
		return C_ERR;
	if (write(fd, data, len) == (ssize_t)len && fsync(fd) == 0) {
		close(fd);
		return C_OK;
	}
	err = errno ? errno : EIO;
	close(fd);
	unlink(path);
	errno = err;
	return C_ERR;
}

int file_lock_exclusive(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600), err;

	if (fd < 0)
		return -1;
	/* nothing secret in it, but every file of a data directory is private (one an earlier version or an operator
	 * left readable is tightened, as the databases are) */
	(void)fchmod(fd, 0600);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int file_write_private(const char *path, const char *text)
{
	char tmp[4200];
	size_t len = strlen(text), done = 0;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		log_warnx("%s: path too long", path);
		return C_ERR;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("cannot write %s", tmp);
		return C_ERR;
	}
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done < len || fsync(fd) != 0) {
		log_warn("cannot write %s", tmp);
		close(fd);
		unlink(tmp);
		return C_ERR;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		log_warn("cannot rename %s to %s", tmp, path);
		unlink(tmp);
		return C_ERR;
	}
	/* the rename itself is durable only once the directory is (tmp is a copy: dirname may change it) */
	if (file_fsync_dir(dirname(tmp)) != C_OK) {
		log_warn("cannot sync the directory of %s", path);
		return C_ERR;
	}
	return C_OK;
}

int file_read_bounded(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *data = NULL;
	size_t size = 0, done = 0;
	int fd;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_error("cannot open %s", path);
		return C_ERR;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_errorx("%s is not a regular file", path);
		goto fail;
	}
	if (st.st_size <= 0 || (unsigned long long)st.st_size > max) {
		log_errorx("%s: %lld bytes (expected 1 to %zu)", path, (long long)st.st_size, max);
		goto fail;
	}
	size = (size_t)st.st_size;
	data = malloc(size + 1);
	if (!data) {
		log_errorx("%s: out of memory", path);
		goto fail;
	}
	while (done < size) {
		ssize_t n = read(fd, data + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_errorx("%s: cannot read it whole (it changed while being read?)", path);
			goto fail;
		}
		done += (size_t)n;
	}
	data[size] = '\0';
	if (memchr(data, '\0', size)) {
		log_errorx("%s: not a text (PEM) file", path);
		goto fail;
	}
	close(fd);
	*out = data;
	*len = size;
	return C_OK;
fail:
	if (data) {
		explicit_bzero(data, size + 1);
		free(data);
	}
	close(fd);
	return C_ERR;
}
