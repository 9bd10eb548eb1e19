/* startContainer hooks: run in the container, after `start` and before the user's program. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nsexec.h"

static void feed_state(const struct plan *p, int fd)
{
	char pid[16];
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	/* a hook that exits without reading its stdin must not kill us with SIGPIPE */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGPIPE, &ign, &old);
	if (write_full(fd, p->hook_state_before, strlen(p->hook_state_before)) == 0 && write_full(fd, pid, strlen(pid)) == 0)
		write_full(fd, p->hook_state_after, strlen(p->hook_state_after));
	sigaction(SIGPIPE, &old, NULL);
	close(fd);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Returns the wait status, or -1 when the timeout ran out (the hook is then killed). */
static int wait_hook(pid_t pid, uint32_t timeout)
{
	struct timespec t0, tick = { .tv_sec = 0, .tv_nsec = 5 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int status;
		pid_t r = waitpid(pid, &status, timeout ? WNOHANG : 0);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			fail(errno, "startContainer hook", "wait for hook");
		if (timeout && elapsed_ms(&t0) >= (long)timeout * 1000) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		if (timeout)
			nanosleep(&tick, NULL);
	}
}

static void run_one(const struct plan *p, size_t index, const struct start_hook *h)
{
	int in[2];
	if (pipe2(in, O_CLOEXEC) < 0)
		fail(errno, "startContainer hook", "pipe");
	pid_t pid = fork();
	if (pid < 0)
		fail(errno, "startContainer hook", "fork");
	if (pid == 0) {
		if (dup2(in[0], 0) < 0)
			_exit(127);
		/* the container's preserved fds are for its program, not for hooks */
		syscall(SYS_close_range, 3, ~0u, CLOSE_RANGE_CLOEXEC);
		execve(h->path, h->args, h->env);
		dprintf(2, "startContainer hook #%zu: exec %s: %s\n", index, h->path, errtext(errno));
		_exit(127);
	}
	close(in[0]);
	feed_state(p, in[1]);
	int status = wait_hook(pid, h->timeout);
	if (status < 0)
		fail_msg(ETIMEDOUT, "startContainer hook", "startContainer hook #%zu (%s): timed out after %us", index, h->path,
			 h->timeout);
	if (WIFSIGNALED(status))
		fail_msg(ECHILD, "startContainer hook", "startContainer hook #%zu (%s): killed by signal %d", index, h->path,
			 WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg(ECHILD, "startContainer hook", "startContainer hook #%zu (%s): exit status %d", index, h->path,
			 WEXITSTATUS(status));
}

void start_hooks_run(const struct plan *p)
{
	for (size_t i = 0; i < p->nstart_hooks; i++)
		run_one(p, i, &p->start_hooks[i]);
}
