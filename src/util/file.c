/*
 * file.c - writing files that hold secrets (root credentials, the example's profiles).
 */
#include "util/file.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/common.h"
#include "util/log.h"

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
	return C_OK;
}
