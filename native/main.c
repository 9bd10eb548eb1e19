/* berth-nsexec, stage0: read the plan, prepare what must be done from the host's point of view
 * (exec fifo, console socket, setns), clone the container process, report its pid, and in
 * foreground mode stay as its parent. The protocol is in plan.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsexec.h"

static int parse_sync_fd(int argc, char **argv)
{
	if (argc < 2)
		return 3;
	char *end;
	long fd = strtol(argv[1], &end, 10);
	if (*end != 0 || fd < 3 || fd > 65535) {
		dprintf(2, "usage: berth-nsexec [SYNC_FD]\n");
		exit(2);
	}
	return (int)fd;
}

/* $BERTH_CGROUP_WARMUP names the cgroup.procs file of our own cgroup (TypeScript chose it). Until
 * the plan arrives, our pid is written there every 2 ms: a move into the cgroup we are already in,
 * which changes nothing, but keeps the kernel's cgroup_threadgroup_rwsem on its fast path. Its
 * first writer after a quiet spell waits out an RCU grace period (6-18 ms measured); paid here,
 * while TypeScript builds the plan, the container's own move into its cgroups right after the
 * clone takes microseconds. (src/runtime/cgroups/attach-warmup.ts) */
static void cgroup_warmup(int sfd, const char *procs)
{
	int fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char pid[16];
	int n = snprintf(pid, sizeof pid, "%d", (int)getpid());
	struct pollfd wait = { .fd = sfd, .events = POLLIN };
	/* at most ~10 s: a plan that takes longer gains nothing from it */
	for (int i = 0; i < 5000; i++) {
		if (write(fd, pid, (size_t)n) < 0 || poll(&wait, 1, 2) != 0)
			break;
	}
	close(fd);
}

static struct plan *read_plan(void)
{
	uint16_t tag;
	uint32_t len;
	uint8_t *buf = sync_read(&tag, &len);
	if (buf == NULL)
		fail(errno, "plan", "read launch plan");
	if (tag != SYNC_PLAN)
		fail_msg(EPROTO, "plan", "expected a SYNC_PLAN frame, got tag %u", tag);
	static struct plan p;
	char why[256];
	if (plan_decode(buf, len, &p, why, sizeof why) < 0)
		fail_msg(EINVAL, "plan", "invalid launch plan: %s", why);
	free(buf);
	return &p;
}

static int connect_console(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof addr.sun_path)
		fail_msg(ENAMETOOLONG, "console", "console socket path %s is too long", path);
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
		fail(errno, "console", "connect to console socket %s", path);
	return fd;
}

/* All namespace fds are opened first: after joining a mount namespace the host paths are gone. */
static void join_namespaces(const struct plan *p)
{
	int fds[p->njoins + 1];
	for (size_t i = 0; i < p->njoins; i++) {
		fds[i] = open(p->joins[i].path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			fail(errno, "namespaces", "open namespace %s", p->joins[i].path);
	}
	for (size_t i = 0; i < p->njoins; i++) {
		if (setns(fds[i], (int)p->joins[i].type) < 0)
			fail(errno, "namespaces", "setns %s", p->joins[i].path);
		close(fds[i]);
	}
}

/* The offsets of a time namespace can be set only until a process enters it: our clone. */
static void write_time_offsets(const char *text)
{
	int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	/* one write(2): the kernel parses the lines of one write together */
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fail(errno, "namespaces", "write time namespace offsets");
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--device-filter") == 0)
		return device_filter_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "--sys") == 0)
		return sys_ops_main(argc, argv);
	int sfd = parse_sync_fd(argc, argv);
	sync_set_fd(sfd);
	sealed_exe_ensure(argv);
	/* keeps the container's processes from ptrace or /proc/<pid> access to us until execve */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail(errno, "init", "PR_SET_DUMPABLE");
	int fl = fcntl(sfd, F_GETFL);
	if (fl < 0 || fcntl(sfd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		fail(errno, "init", "sync fd %d", sfd);
	fcntl(sfd, F_SETFD, FD_CLOEXEC);

	const char *warmup = getenv("BERTH_CGROUP_WARMUP");
	if (warmup != NULL && warmup[0] != '\0')
		cgroup_warmup(sfd, warmup);
	struct plan *p = read_plan();
	if ((int)p->sync_fd != sfd)
		fail_msg(EINVAL, "plan", "plan says sync fd %u, helper was given %d", p->sync_fd, sfd);

	int fifofd = -1;
	if (p->mode == MODE_CREATE && p->exec_fifo != NULL) {
		if (mkfifo(p->exec_fifo, 0622) < 0 || chmod(p->exec_fifo, 0622) < 0)
			fail(errno, "exec fifo", "mkfifo %s", p->exec_fifo);
		/* opened here, as the host's root, because the container's root (a mapped uid in a user
		 * namespace) may not be allowed to search the state directory */
		fifofd = open(p->exec_fifo, O_PATH | O_CLOEXEC);
		if (fifofd < 0)
			fail(errno, "exec fifo", "open exec fifo %s", p->exec_fifo);
	}
	int console_sock = -1, relay[2] = { -1, -1 };
	if (p->terminal && p->console_socket != NULL)
		console_sock = connect_console(p->console_socket);
	else if (p->terminal && !p->foreground)
		fail_msg(EINVAL, "console", "a terminal in detached mode needs a console socket");
	else if (p->terminal && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, relay) < 0)
		fail(errno, "console", "socketpair");
	int target_root = -1;
	if (p->mode == MODE_EXEC && p->target_pid != 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%u/root", p->target_pid);
		target_root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (target_root < 0)
			fail(errno, "namespaces", "open %s", path);
	}
	/* before the joins: the trees need the host's mount namespace and initial-userns privileges */
	idmap_prepare(p);
	join_namespaces(p);

	int start[2];
	if (pipe2(start, O_CLOEXEC) < 0)
		fail(errno, "clone", "pipe");
	if (p->foreground)
		foreground_block_signals();
	unsigned long flags = (unsigned long)p->clone_flags;
	if (p->wait_go)
		flags &= ~(unsigned long)CLONE_NEWCGROUP; /* the child unshares it after SYNC_GO */
	/* CLONE_NEWTIME shares its bit with clone()'s exit signal; unshare puts our children in it */
	if ((flags & CLONE_NEWTIME) && unshare(CLONE_NEWTIME) < 0)
		fail(errno, "namespaces", "unshare time namespace");
	if (p->time_offsets != NULL)
		write_time_offsets(p->time_offsets);
	/* fork-like clone (no new stack): the child carries on right here, in new namespaces */
	long pid = syscall(SYS_clone, (flags & ~0xffUL) | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		fail(errno, "clone", "clone with flags 0x%lx", flags);
	if (pid == 0) {
		close(start[1]);
		if (relay[0] >= 0)
			close(relay[0]);
		child_main(p, start[0], console_sock, relay[1], target_root, fifofd);
	}
	close(start[0]);
	if (fifofd >= 0)
		close(fifofd);
	if (relay[1] >= 0)
		close(relay[1]);
	if (console_sock >= 0)
		close(console_sock);
	if (target_root >= 0)
		close(target_root);

	uint8_t pidbuf[4];
	for (int i = 0; i < 4; i++)
		pidbuf[i] = (uint8_t)((uint32_t)pid >> (8 * i));
	if (sync_send(SYNC_PID, pidbuf, 4) < 0) {
		kill((pid_t)pid, SIGKILL);
		fail(errno, "sync", "send SYNC_PID");
	}
	if (write_full(start[1], "g", 1) < 0)
		fail(errno, "sync", "release the child");
	close(start[1]);
	if (!p->foreground)
		return 0;

	signal(SIGPIPE, SIG_IGN);
	int status = foreground_wait(p, (pid_t)pid, relay[0]);
	uint8_t st[4];
	for (int i = 0; i < 4; i++)
		st[i] = (uint8_t)((uint32_t)status >> (8 * i));
	sync_send(SYNC_EXIT, st, 4);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
