/* berth-monitor entry point: daemonize, set up, run the container's create
 * (or, in helper mode, the helper that the caller drives), then the poll loop until the container exits. The contract is in monitor.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

#define READ_CHUNK 8192
#define DRAIN_IDLE_MS 100
#define DRAIN_MAX_MS 2000

static unsigned char chunk[READ_CHUNK];

struct outputs {
	int fd[2];          /* stdout, stderr read ends; fd[0] is the pty master with a tty */
	enum stream_id id[2];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fail(int *sync_fd, const char *msg)
{
	char line[1200];
	char esc[1100];

	json_escape_bounded(esc, sizeof(esc), msg);
	fmt(line, sizeof(line), "{\"error\":\"%s\"}", esc);
	report_sync(sync_fd, line);
}

/* Reads one chunk from output k; returns 0 on data or EAGAIN, -1 once the stream ended. */
static int pump(struct outputs *o, int k)
{
	ssize_t r = read(o->fd[k], chunk, sizeof(chunk));

	if (r > 0) {
		log_feed(o->id[k], chunk, (size_t)r);
		attach_broadcast(o->id[k], chunk, (size_t)r);
		return 0;
	}
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* EOF on a pipe, EIO on a pty master whose slave is gone. */
	log_flush(o->id[k]);
	return -1;
}

static void close_output(struct outputs *o, int k, int tty)
{
	/* With a tty the master is also stdin: attach_close owns it. */
	if (!tty)
		close(o->fd[k]);
	o->fd[k] = -1;
}

static void drain(struct outputs *o, int tty)
{
	long long until = now_ms() + DRAIN_MAX_MS;

	while (o->fd[0] >= 0 || o->fd[1] >= 0) {
		struct pollfd p[2] = { { o->fd[0], POLLIN, 0 }, { o->fd[1], POLLIN, 0 } };
		long long left = until - now_ms();
		int k, n;

		if (left <= 0)
			break;
		n = poll(p, 2, left < DRAIN_IDLE_MS ? (int)left : DRAIN_IDLE_MS);
		if (n == 0)
			break; /* quiet: something outside the container may hold the write end */
		if (n < 0 && errno != EINTR)
			break;
		for (k = 0; k < 2; k++)
			if (o->fd[k] >= 0 && p[k].revents && pump(o, k) < 0)
				close_output(o, k, tty);
	}
}

int main(int argc, char **argv)
{
	static struct config cfg;
	static struct create_result res;
	static struct pollfd pfd[64];
	char err[512];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct outputs o = { { -1, -1 }, { STREAM_STDOUT, STREAM_STDERR } };
	int status = 0, exited = 0, devnull, k;
	long long next_health = 0;
	pid_t pid;

	if (parse_args(argc, argv, &cfg, err, sizeof(err)) < 0) {
		char line[600];
		int n = fmt(line, sizeof(line), "berth-monitor: %s\n", err);
		(void)write_all(2, line, (size_t)n);
		if (cfg.sync_fd >= 0)
			fail(&cfg.sync_fd, err);
		return 2;
	}
	if (cfg.sync_fd >= 0 && set_cloexec(cfg.sync_fd) < 0) {
		char line[96];
		int n = fmt(line, sizeof(line), "berth-monitor: --sync-fd %d is not open\n", cfg.sync_fd);
		(void)write_all(2, line, (size_t)n);
		return 2;
	}
	/* Closed on exec everywhere but in the helper, where it becomes fd 3. */
	if (cfg.helper_fd >= 0 && set_cloexec(cfg.helper_fd) < 0) {
		fmt(err, sizeof(err), "--helper-fd %d is not open", cfg.helper_fd);
		fail(&cfg.sync_fd, err);
		return 2;
	}

	/* The caller (berth) must be free to exit; the monitor lives as long as the container. */
	pid = fork();
	if (pid < 0) {
		fmt(err, sizeof(err), "fork: %s", err_text(errno));
		fail(&cfg.sync_fd, err);
		return 1;
	}
	if (pid > 0)
		_exit(0);
	setsid();
	(void)!chdir("/");
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		for (k = 0; k < 3; k++)
			dup2(devnull, k);
		if (devnull > 2)
			close(devnull);
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		fmt(err, sizeof(err), "PR_SET_CHILD_SUBREAPER: %s", err_text(errno));
		fail(&cfg.sync_fd, err);
		return 1;
	}
	child_setup_signals();
	if (child_signalfd() < 0) {
		fail(&cfg.sync_fd, "signalfd failed");
		return 1;
	}
	if (log_open(&cfg) < 0) {
		fmt(err, sizeof(err), "open log %s: %s", cfg.log_path, err_text(errno));
		fail(&cfg.sync_fd, err);
		return 1;
	}
	if (attach_open(&cfg) < 0) {
		fmt(err, sizeof(err), "attach socket %s: %s", cfg.attach_socket, err_text(errno));
		attach_close();
		fail(&cfg.sync_fd, err);
		return 1;
	}

	if ((!cfg.terminal && (pipe2(out, O_CLOEXEC) < 0 || (cfg.stdin_open && pipe2(in, O_CLOEXEC) < 0))) ||
	    pipe2(errp, O_CLOEXEC) < 0) {
		fmt(err, sizeof(err), "pipe: %s", err_text(errno));
		attach_close();
		fail(&cfg.sync_fd, err);
		return 1;
	}
	set_nonblock(errp[0]);
	{
		void (*create)(const struct config *, int, int, int, int, struct create_result *) =
			cfg.exec_helper != NULL ? run_helper : run_create;
		if (cfg.terminal)
			create(&cfg, -1, -1, errp[1], errp[0], &res);
		else
			create(&cfg, in[0], out[1], errp[1], errp[0], &res);
	}
	/* Only the container may hold the write ends now, so EOF means it is gone. */
	close(errp[1]);
	if (out[1] >= 0)
		close(out[1]);
	if (in[0] >= 0)
		close(in[0]);
	if (!res.ok) {
		attach_close();
		fail(&cfg.sync_fd, res.error);
		return 1;
	}
	{
		char line[96];
		fmt(line, sizeof(line), "{\"pid\":%d,\"monitorPid\":%d}", (int)res.container_pid, (int)getpid());
		report_sync(&cfg.sync_fd, line);
	}

	if (cfg.terminal) {
		close(errp[0]);
		o.fd[0] = res.pty_master;
		set_nonblock(o.fd[0]);
		attach_set_stdio(cfg.stdin_open ? res.pty_master : -1, res.pty_master);
	} else {
		o.fd[0] = out[0];
		o.fd[1] = errp[0];
		set_nonblock(o.fd[0]);
		if (in[1] >= 0)
			set_nonblock(in[1]);
		attach_set_stdio(in[1], -1);
	}
	if (cfg.health_interval_ms > 0)
		next_health = now_ms() + cfg.health_interval_ms;

	while (!exited) {
		int n = 0, na, timeout = -1;

		pfd[n++] = (struct pollfd){ child_signalfd(), POLLIN, 0 };
		pfd[n++] = (struct pollfd){ o.fd[0], POLLIN, 0 };
		pfd[n++] = (struct pollfd){ o.fd[1], POLLIN, 0 };
		na = attach_poll_fill(pfd + n, (int)(sizeof(pfd) / sizeof(pfd[0])) - n);
		if (next_health > 0) {
			long long left = next_health - now_ms();
			timeout = left < 0 ? 0 : (int)left;
		}
		if (poll(pfd, (nfds_t)(n + na), timeout) < 0 && errno != EINTR)
			break;
		for (k = 0; k < 2; k++)
			if (o.fd[k] >= 0 && pfd[1 + k].revents && pump(&o, k) < 0)
				close_output(&o, k, cfg.terminal);
		attach_poll_handle(pfd + n, na);
		if (pfd[0].revents)
			exited = reap_children(res.container_pid, &status);
		if (next_health > 0 && now_ms() >= next_health) {
			health_tick(&cfg);
			next_health += cfg.health_interval_ms;
			if (next_health <= now_ms())
				next_health = now_ms() + cfg.health_interval_ms;
		}
	}

	drain(&o, cfg.terminal);
	log_close();
	write_exit_file(&cfg, status);
	attach_close();
	if (cfg.terminal && res.pty_master >= 0)
		close(res.pty_master);
	run_exit_command(&cfg);
	(void)reap_children(-1, &status);
	return 0;
}
