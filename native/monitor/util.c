/* Small process and file helpers used by several parts of the monitor. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h> /* rename() only */
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor.h"

int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	return fl < 0 ? -1 : fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

int write_file_atomic(const char *path, const char *data, size_t n)
{
	static char tmp[PATH_MAX];
	int fd, rc;

	fmt(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	/* fsync so a crash after rename never leaves an empty record behind. */
	rc = write_all(fd, data, n) == 0 && fsync(fd) == 0 ? 0 : -1;
	if (close(fd) < 0)
		rc = -1;
	if (rc == 0)
		rc = rename(tmp, path);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static pid_t spawn(const char *path, const char *const argv[], int in, int out, int err, int fd3)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;

	/* A container init gets its own session, away from the monitor's, as when
	 * a runtime's `create` (detached) starts it. */
	if (fd3 >= 0)
		(void)setsid();

	/* The monitor ignores SIGTERM/SIGHUP/SIGPIPE and blocks SIGCHLD; exec keeps
	 * both, and runtimes and health commands must not inherit them. */
	{
		sigset_t none;
		int s;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
	}
	{
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		int fds[3] = { in, out, err };
		int i;
		/* Lift every source fd above 2 first so dup2 cannot clobber one with another. */
		for (i = 0; i < 3; i++) {
			int src = fds[i] >= 0 ? fds[i] : devnull;
			fds[i] = src >= 0 && src < 3 ? fcntl(src, F_DUPFD_CLOEXEC, 3) : src;
		}
		for (i = 0; i < 3; i++)
			if (fds[i] < 0 || dup2(fds[i], i) < 0)
				_exit(127);
		/* After stdio, which never targets fd 3; dup2 onto itself would keep
		 * the close-on-exec flag the monitor set on its copy. */
		if (fd3 == 3 ? fcntl(3, F_SETFD, 0) < 0 : fd3 > 3 && dup2(fd3, 3) < 0)
			_exit(127);
	}
	execvp(path, (char *const *)argv);
	{
		/* Lands on the runtime's stderr pipe, so the caller sees why create failed. */
		char msg[512];
		int len = fmt(msg, sizeof(msg), "berth-monitor: exec %s: %s\n", path, err_text(errno));
		if (len > 0)
			(void)!write(2, msg, (size_t)len);
	}
	_exit(127);
}

pid_t spawn_process(const char *path, const char *const argv[], int in, int out, int err)
{
	return spawn(path, argv, in, out, err, -1);
}

pid_t spawn_helper(const char *path, const char *const argv[], int in, int out, int err, int fd3)
{
	return spawn(path, argv, in, out, err, fd3);
}

void report_sync(int *sync_fd, const char *json_line)
{
	if (*sync_fd < 0)
		return;
	(void)write_all(*sync_fd, json_line, strlen(json_line));
	(void)write_all(*sync_fd, "\n", 1);
	close(*sync_fd);
	*sync_fd = -1;
}

int unix_listen(const char *path, int backlog)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	fmt(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* A socket left by a previous monitor of this container would make bind fail. */
	(void)unlink(path);
	/* umask is the only way to create the socket 0600 without a window of wider access. */
	old = umask(0077);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(fd, backlog) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}
