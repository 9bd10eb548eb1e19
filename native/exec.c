/* The last steps: find the program, wait on the exec fifo, leave no fd behind, execve. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsexec.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *exec_lookup(const struct plan *p)
{
	const char *name = p->args[0];
	if (name[0] == 0)
		fail_msg(ENOENT, "exec", "exec \"\": empty program name");
	if (strchr(name, '/') != NULL) {
		struct stat st;
		if (stat(name, &st) < 0)
			fail(errno, "exec", "exec \"%s\"", name);
		/* refused here, before READY, so that create fails (as runc does) rather than the start */
		if (S_ISDIR(st.st_mode) || access(name, X_OK) < 0)
			fail(EACCES, "exec", "exec \"%s\"", name);
		return strdup(name);
	}
	const char *path = DEFAULT_PATH;
	for (size_t i = 0; i < p->nenv; i++)
		if (strncmp(p->env[i], "PATH=", 5) == 0)
			path = p->env[i] + 5;
	static char full[PATH_MAX];
	for (const char *dir = path;;) {
		const char *end = strchrnul(dir, ':');
		int dlen = (int)(end - dir);
		/* an empty PATH entry means the current directory */
		int n = dlen == 0 ? snprintf(full, sizeof full, "%s", name)
				  : snprintf(full, sizeof full, "%.*s/%s", dlen, dir, name);
		if (n > 0 && (size_t)n < sizeof full && is_executable(full))
			return full;
		if (*end == 0)
			break;
		dir = end + 1;
	}
	fail_msg(ENOENT, "exec", "exec \"%s\": executable file not found in $PATH", name);
}

void exec_wait_fifo(int fifofd)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fifofd);
	/* blocks until `start` opens the read side */
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail(errno, "exec fifo", "open exec fifo");
	if (write_full(fd, "0", 1) < 0)
		fail(errno, "exec fifo", "write exec fifo");
	close(fd);
	close(fifofd);
}

void exec_close_fds(const struct plan *p)
{
	unsigned int first = 3 + p->preserve_fds;
	for (unsigned int fd = 3; fd < first; fd++)
		fcntl((int)fd, F_SETFD, 0);
	/* CLOEXEC rather than close: the sync fd must stay usable to report a failing execve */
	if (syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		fail(errno, "exec", "list open fds");
	int dfd = dirfd(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd >= (int)first && fd != dfd)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}

void exec_container(const struct plan *p, const char *path)
{
	execve(path, p->args, p->env);
	fail(errno, "exec", "exec \"%s\"", p->args[0]);
}
