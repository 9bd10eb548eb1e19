/* The container process, from clone to execve: the order of the steps lives here. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nsexec.h"

static int in_user_ns(const struct plan *p)
{
	if (p->clone_flags & CLONE_NEWUSER)
		return 1;
	for (size_t i = 0; i < p->njoins; i++)
		if (p->joins[i].type == CLONE_NEWUSER)
			return 1;
	return 0;
}

static void write_sysctl(const struct str_pair *s)
{
	char path[512];
	int n = snprintf(path, sizeof path, "/proc/sys/%s", s->a);
	if (n < 0 || (size_t)n >= sizeof path || strstr(s->a, "..") != NULL)
		fail_msg(EINVAL, "sysctl", "sysctl %s: invalid key", s->a);
	for (char *c = path + 10; *c; c++)
		if (*c == '.')
			*c = '/';
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || write_full(fd, s->b, strlen(s->b)) < 0)
		fail(errno, "sysctl", "sysctl %s=%s", s->a, s->b);
	close(fd);
}

static void setup_identity(const struct plan *p)
{
	if (p->hostname && sethostname(p->hostname, strlen(p->hostname)) < 0)
		fail(errno, "hostname", "sethostname %s", p->hostname);
	if (p->domainname && setdomainname(p->domainname, strlen(p->domainname)) < 0)
		fail(errno, "domainname", "setdomainname %s", p->domainname);
	for (size_t i = 0; i < p->nsysctls; i++)
		write_sysctl(&p->sysctls[i]);
}

void child_main(const struct plan *p, int start_pipe, int console_sock, int relay_sock, int target_root, int fifofd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* stage0 sends SYNC_PID first; anything we send must come after it */
	char go;
	if (read_full(start_pipe, &go, 1) < 0)
		_exit(1);
	close(start_pipe);
	if (p->wait_go)
		sync_expect(SYNC_GO, "sync");
	if (in_user_ns(p))
		creds_become_ns_root();
	/* created only now so that its root is the cgroup the parent has just put us in */
	if (p->wait_go && (p->clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		fail(errno, "namespaces", "unshare cgroup namespace");

	if (p->loopback_up && loopback_up() < 0)
		fail(errno, "network", "bring up lo in the new network namespace");

	if (p->mode == MODE_CREATE) {
		int rootfd = rootfs_prepare(p);
		if (p->run_hooks) {
			if (sync_send(SYNC_HOOKS, NULL, 0) < 0)
				fail(errno, "hooks", "send SYNC_HOOKS");
			sync_expect(SYNC_HOOKS_OK, "hooks");
		}
		rootfs_enter(p, rootfd);
		close(rootfd);
	} else if (target_root >= 0) {
		/* the root of the container's init, which is right even for a chroot'ed (no-pivot) one */
		if (fchdir(target_root) < 0 || chroot(".") < 0 || chdir("/") < 0)
			fail(errno, "rootfs", "enter the root of pid %u", p->target_pid);
		close(target_root);
	}

	if (p->terminal)
		console_setup(p, console_sock, relay_sock);
	if (console_sock >= 0)
		close(console_sock);
	if (relay_sock >= 0)
		close(relay_sock);

	if (p->mode == MODE_CREATE) {
		setup_identity(p);
		rootfs_finish(p);
	}
	/* cwd may be reachable only by the container user (root-squashed NFS): retry after setuid */
	int cwd_later = 0;
	if (p->cwd && chdir(p->cwd) < 0) {
		if (errno != EACCES)
			fail(errno, "cwd", "chdir %s", p->cwd);
		cwd_later = 1;
	}
	creds_apply_rlimits(p);
	int late = seccomp_load_late(p);
	if (!late)
		seccomp_apply(p);
	creds_apply_user(p);
	if (cwd_later && chdir(p->cwd) < 0)
		fail(errno, "cwd", "chdir %s", p->cwd);
	const char *path = exec_lookup(p);
	exec_close_fds(p);
	if (sync_send(SYNC_READY, NULL, 0) < 0)
		fail(errno, "sync", "send SYNC_READY");
	if (fifofd >= 0)
		exec_wait_fifo(fifofd);
	start_hooks_run(p);
	if (late)
		seccomp_apply(p);
	exec_container(p, path);
}
