/* Children of the monitor: the runtime's `create` (or, in helper mode, the
 * helper and the caller's pid line), the console socket the pty master
 * arrives on, reaping (the monitor is a subreaper and adopts the
 * container init and anything orphaned below it), health checks, the exit
 * record and the exit command. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor.h"

#define EARLY_MAX 8

static int sig_fd = -1;
static pid_t health_pid;
/* Exits reaped before the container pid was known (it can be killed between
 * create and our reading the pid file). */
static struct { pid_t pid; int status; } early[EARLY_MAX];
static int early_n;

void child_setup_signals(void)
{
	sigset_t set;

	signal(SIGTERM, SIG_IGN); /* the engine stops containers through the runtime */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN); /* a vanished client must not kill the monitor */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int child_signalfd(void)
{
	return sig_fd;
}

static void drain_signalfd(void)
{
	struct signalfd_siginfo si[4];

	while (read(sig_fd, si, sizeof(si)) > 0)
		;
}

static void remember_early(pid_t pid, int status)
{
	if (early_n < EARLY_MAX) {
		early[early_n].pid = pid;
		early[early_n].status = status;
		early_n++;
	}
}

/* Reaps what has exited while a runtime or helper (pid) runs: its status when it is among them,
 * the others (a container that exited at once) kept for reap_children. */
static int reap_until(pid_t pid, int *status)
{
	int st, found = 0;
	pid_t w;

	while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
		if (w == pid) {
			*status = st;
			found = 1;
		} else {
			remember_early(w, st);
		}
	}
	return found;
}

int reap_children(pid_t container_pid, int *status)
{
	int st, found = 0, i;
	pid_t pid;

	drain_signalfd();
	for (i = 0; i < early_n; i++)
		if (container_pid > 0 && early[i].pid == container_pid) {
			*status = early[i].status;
			early_n = 0;
			found = 1;
		}
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == container_pid) {
			*status = st;
			found = 1;
		} else if (pid == health_pid) {
			health_pid = 0;
		} else if (container_pid <= 0) {
			remember_early(pid, st);
		}
	}
	return found;
}

/* Takes the first fd passed on conn; returns it or -1 (also when nothing arrived yet). */
static int console_recv(int conn)
{
	char data[256];
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int) * 4)]; } cm;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *c;
	int got = -1;

	if (recvmsg(conn, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k, n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (k = 0; k < n; k++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
				if (got < 0)
					got = fd;
				else
					close(fd);
			}
		}
	}
	return got;
}

static void console_step(int lfd, int *conn, int *master)
{
	if (*conn < 0)
		*conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (*conn >= 0 && *master < 0) {
		*master = console_recv(*conn);
		if (*master >= 0) {
			close(*conn);
			*conn = -1;
		}
	}
}

/* The last non-empty line the runtime wrote on its error pipe. */
static void last_line(int fd, char *out, size_t outlen)
{
	static char buf[4096];
	size_t len = 0;
	ssize_t r;
	char *end, *start;

	for (;;) {
		if (len == sizeof(buf) - 1) {
			/* keep the tail: the last line is what matters */
			memmove(buf, buf + sizeof(buf) / 2, len - sizeof(buf) / 2);
			len -= sizeof(buf) / 2;
		}
		r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	end = buf + len;
	while (end > buf && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = end;
	while (start > buf && start[-1] != '\n')
		start--;
	len = strlen(start);
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, start, len);
	out[len] = '\0';
}

static pid_t read_pid_file(const char *path)
{
	char buf[32];
	ssize_t r;
	long v;
	char *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	v = strtol(buf, &end, 10);
	return v > 0 && (*end == '\0' || *end == '\n') ? (pid_t)v : -1;
}

void run_create(const struct config *cfg, int in, int out, int err, int err_read, struct create_result *res)
{
	const char *argv[MAX_LIST_ARGS + 12];
	char console_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int argc = 0, i, lfd = -1, conn = -1, status = 0, exited = 0;
	pid_t pid;

	res->ok = 0;
	res->container_pid = -1;
	res->pty_master = -1;
	res->error[0] = '\0';

	argv[argc++] = cfg->runtime;
	for (i = 0; i < cfg->runtime_args.n; i++)
		argv[argc++] = cfg->runtime_args.v[i];
	argv[argc++] = "create";
	argv[argc++] = "--bundle";
	argv[argc++] = cfg->bundle;
	argv[argc++] = "--pid-file";
	argv[argc++] = cfg->pid_file;
	if (cfg->terminal) {
		fmt(console_path, sizeof(console_path), "%s.console", cfg->attach_socket);
		lfd = unix_listen(console_path, 1);
		if (lfd < 0) {
			fmt(res->error, sizeof(res->error), "console socket %s: %s", console_path, err_text(errno));
			return;
		}
		argv[argc++] = "--console-socket";
		argv[argc++] = console_path;
	}
	argv[argc++] = cfg->id;
	argv[argc] = NULL;

	pid = spawn_process(cfg->runtime, argv, in, out, err);
	if (pid < 0) {
		fmt(res->error, sizeof(res->error), "fork runtime: %s", err_text(errno));
		goto out;
	}
	while (!exited) {
		struct pollfd pfd[3] = { { sig_fd, POLLIN, 0 }, { lfd, POLLIN, 0 }, { conn, POLLIN, 0 } };

		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			break;
		if (lfd >= 0 && res->pty_master < 0 && (pfd[1].revents || pfd[2].revents))
			console_step(lfd, &conn, &res->pty_master);
		drain_signalfd();
		if (reap_until(pid, &status))
			exited = 1;
	}
	/* The fd is sent before create exits; it may still sit unread in the socket. */
	if (lfd >= 0 && res->pty_master < 0)
		console_step(lfd, &conn, &res->pty_master);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[900];
		last_line(err_read, line, sizeof(line));
		if (WIFSIGNALED(status))
			fmt(res->error, sizeof(res->error), "runtime create killed by signal %d: %s",
				 WTERMSIG(status), line);
		else
			fmt(res->error, sizeof(res->error), "runtime create exited with status %d: %s",
				 WEXITSTATUS(status), line);
		goto out;
	}
	res->container_pid = read_pid_file(cfg->pid_file);
	if (res->container_pid <= 0) {
		fmt(res->error, sizeof(res->error), "runtime create succeeded but pid file %s is unreadable",
			 cfg->pid_file);
		goto out;
	}
	if (cfg->terminal && res->pty_master < 0) {
		fmt(res->error, sizeof(res->error), "runtime create did not send a terminal on the console socket");
		goto out;
	}
	res->ok = 1;
out:
	if (conn >= 0)
		close(conn);
	if (lfd >= 0) {
		close(lfd);
		(void)unlink(console_path);
	}
}

void health_tick(const struct config *cfg)
{
	const char *argv[MAX_LIST_ARGS + 2];
	int i, argc = 0;
	pid_t pid;

	if (health_pid > 0)
		return; /* the previous check is still running: skip this tick */
	argv[argc++] = cfg->health_command;
	for (i = 0; i < cfg->health_command_args.n; i++)
		argv[argc++] = cfg->health_command_args.v[i];
	argv[argc] = NULL;
	pid = spawn_process(cfg->health_command, argv, -1, -1, -1);
	if (pid > 0)
		health_pid = pid;
}

int health_running(void)
{
	return health_pid > 0;
}

void write_exit_file(const struct config *cfg, int status)
{
	char buf[160], when[32], sig[16];
	int code, n;

	format_time_now(when);
	if (WIFSIGNALED(status)) {
		code = 128 + WTERMSIG(status);
		fmt(sig, sizeof(sig), "%d", WTERMSIG(status));
	} else {
		code = WEXITSTATUS(status);
		fmt(sig, sizeof(sig), "null");
	}
	n = fmt(buf, sizeof(buf), "{\"exitCode\":%d,\"signal\":%s,\"oomKilled\":false,\"finishedAt\":\"%s\"}\n",
		     code, sig, when);
	(void)write_file_atomic(cfg->exit_file, buf, (size_t)n);
}

void run_exit_command(const struct config *cfg)
{
	const char *argv[MAX_LIST_ARGS + 2];
	int i, argc = 0, st;
	pid_t pid;

	if (cfg->exit_command == NULL)
		return;
	argv[argc++] = cfg->exit_command;
	for (i = 0; i < cfg->exit_command_args.n; i++)
		argv[argc++] = cfg->exit_command_args.v[i];
	argv[argc] = NULL;
	pid = spawn_process(cfg->exit_command, argv, -1, -1, -1);
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
}

/* Takes "{"pid":N}" (what the TypeScript side writes, byte for byte); 0 if it is anything else. */
static pid_t parse_pid_line(const char *line)
{
	static const char head[] = "{\"pid\":";
	char *end;
	long v;

	if (strncmp(line, head, sizeof(head) - 1) != 0)
		return 0;
	v = strtol(line + sizeof(head) - 1, &end, 10);
	return v > 0 && v <= 0x3fffffff && strcmp(end, "}") == 0 ? (pid_t)v : 0;
}

/* Reads what is available of the caller's line; 1 once it is complete, -1 at EOF or overflow. */
static int read_line_step(int fd, char *buf, size_t len, size_t *used)
{
	ssize_t r = read(fd, buf + *used, len - 1 - *used);
	char *nl;

	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (r == 0)
		return -1;
	*used += (size_t)r;
	buf[*used] = '\0';
	nl = memchr(buf, '\n', *used);
	if (nl != NULL) {
		*nl = '\0';
		return 1;
	}
	return *used + 1 >= len ? -1 : 0;
}

/* Is pid our child (alive, or reaped early)? It must be, or its exit would never reach us. */
static int is_our_child(pid_t pid)
{
	siginfo_t si;
	int i;

	for (i = 0; i < early_n; i++)
		if (early[i].pid == pid)
			return 1;
	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* A half-made container below us must not outlive a failed creation: nobody
 * else may know it (the caller can die between the helper's READY and its
 * line), and it would wait on its exec fifo forever. */
static void kill_children(void)
{
	char path[64], buf[512];
	char *p, *end;
	ssize_t r;
	int fd;

	fmt(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return;
	buf[r] = '\0';
	for (p = buf; *p != '\0'; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v > 0)
			kill((pid_t)v, SIGKILL);
	}
}

void run_helper(const struct config *cfg, int in, int out, int err, int err_read, struct create_result *res)
{
	const char *argv[] = { cfg->exec_helper, "3", NULL };
	char console_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char line[128];
	size_t used = 0;
	int lfd = -1, conn = -1, status = 0, exited = 0, have_line = 0, sync_fd = cfg->sync_fd;
	pid_t pid;

	res->ok = 0;
	res->container_pid = -1;
	res->pty_master = -1;
	res->error[0] = '\0';

	if (cfg->terminal) {
		fmt(console_path, sizeof(console_path), "%s.console", cfg->attach_socket);
		lfd = unix_listen(console_path, 1);
		if (lfd < 0) {
			fmt(res->error, sizeof(res->error), "console socket %s: %s", console_path, err_text(errno));
			close(cfg->helper_fd);
			return;
		}
	}
	pid = spawn_helper(cfg->exec_helper, argv, in, out, err, cfg->helper_fd);
	/* Only the helper and the container may hold it now: their exit is the caller's EOF. */
	close(cfg->helper_fd);
	if (pid < 0) {
		fmt(res->error, sizeof(res->error), "fork helper: %s", err_text(errno));
		goto out;
	}
	set_nonblock(sync_fd);
	while (!exited || !have_line) {
		struct pollfd pfd[4] = {
			{ sig_fd, POLLIN, 0 }, { lfd, POLLIN, 0 }, { conn, POLLIN, 0 }, { have_line ? -1 : sync_fd, POLLIN, 0 },
		};

		if (poll(pfd, 4, -1) < 0 && errno != EINTR)
			break;
		if (lfd >= 0 && res->pty_master < 0 && (pfd[1].revents || pfd[2].revents))
			console_step(lfd, &conn, &res->pty_master);
		drain_signalfd();
		if (reap_until(pid, &status))
			exited = 1;
		if (exited && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
			char last[900];
			last_line(err_read, last, sizeof(last));
			if (WIFSIGNALED(status))
				fmt(res->error, sizeof(res->error), "helper killed by signal %d: %s", WTERMSIG(status), last);
			else
				fmt(res->error, sizeof(res->error), "helper exited with status %d: %s", WEXITSTATUS(status), last);
			goto out;
		}
		if (!have_line && pfd[3].revents) {
			int r = read_line_step(sync_fd, line, sizeof(line), &used);
			if (r > 0) {
				have_line = 1;
				res->container_pid = parse_pid_line(line);
			}
			if (r < 0 || (r > 0 && res->container_pid <= 0)) {
				/* EOF or an error line: the caller failed and reports why itself */
				fmt(res->error, sizeof(res->error), "container creation abandoned by the caller");
				goto out;
			}
		}
	}
	if (!exited || !have_line) {
		fmt(res->error, sizeof(res->error), "poll: %s", err_text(errno));
		goto out;
	}
	/* The master is sent before the child reports READY, so it is here or in the socket. */
	if (lfd >= 0 && res->pty_master < 0)
		console_step(lfd, &conn, &res->pty_master);
	if (!is_our_child(res->container_pid)) {
		fmt(res->error, sizeof(res->error), "pid %d from the caller is not a child of the monitor",
			 (int)res->container_pid);
		goto out;
	}
	if (cfg->terminal && res->pty_master < 0) {
		fmt(res->error, sizeof(res->error), "the container did not send a terminal on the console socket");
		goto out;
	}
	res->ok = 1;
out:
	if (!res->ok)
		kill_children();
	if (conn >= 0)
		close(conn);
	if (lfd >= 0) {
		close(lfd);
		(void)unlink(console_path);
	}
}
