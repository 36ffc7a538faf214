/*
 * capture.c - a helper command's standard output (capture.h).
 */
#include "cli/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/common.h"

int capture_run(char *const *argv, const char *env_name, const char *env_value, struct buf *out, bool *too_much)
{
	int fds[2], status;
	char chunk[4096];
	ssize_t n;
	pid_t pid;

	*too_much = false;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		if (env_name)
			setenv(env_name, env_value, 1);
		dup2(fds[1], STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (buf_append(out, chunk, (size_t)n) != C_OK) {
			*too_much = true; /* more than the caller accepts */
			break;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
