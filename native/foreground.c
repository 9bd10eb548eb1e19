/* stage0 in foreground mode: the parent that forwards signals, relays the terminal, and reaps. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "nsexec.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static sigset_t waited_set(void)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	return set;
}

/* Blocked before clone so no signal is lost between clone and the signalfd; the child unblocks. */
void foreground_block_signals(void)
{
	sigset_t set = waited_set();
	sigprocmask(SIG_BLOCK, &set, NULL);
}

struct relay {
	int master;
	int in_open;
	int tty_saved;
	struct termios saved;
};

static void copy_winsize(int master)
{
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

static void relay_start(struct relay *r, int master)
{
	r->master = master;
	r->in_open = 1;
	if (isatty(0) && tcgetattr(0, &r->saved) == 0) {
		struct termios raw = r->saved;
		cfmakeraw(&raw);
		if (tcsetattr(0, TCSANOW, &raw) == 0)
			r->tty_saved = 1;
		copy_winsize(master);
	}
}

/* Returns 0 when the master is done (the container closed every copy of the slave). */
static int pump_master(struct relay *r)
{
	char buf[8192];
	ssize_t n = read(r->master, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0 || write_full(1, buf, (size_t)n) < 0)
		return 0;
	return 1;
}

static void pump_stdin(struct relay *r)
{
	char buf[8192];
	ssize_t n = read(0, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0 || write_full(r->master, buf, (size_t)n) < 0)
		r->in_open = 0;
}

static void relay_end(struct relay *r)
{
	if (r->master >= 0) {
		/* what the process wrote just before exiting is still in the pty */
		fcntl(r->master, F_SETFL, fcntl(r->master, F_GETFL) | O_NONBLOCK);
		while (pump_master(r))
			;
		close(r->master);
		r->master = -1;
	}
	if (r->tty_saved)
		tcsetattr(0, TCSANOW, &r->saved);
}

int foreground_wait(const struct plan *p, pid_t child, int relay_sock)
{
	sigset_t set = waited_set();
	int sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sigfd < 0)
		fail(errno, "foreground", "signalfd");
	struct relay r = { .master = -1 };
	(void)p;
	for (;;) {
		struct pollfd fds[4];
		int nf = 0, i_sig, i_relay = -1, i_in = -1, i_master = -1;
		fds[i_sig = nf++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		if (relay_sock >= 0)
			fds[i_relay = nf++] = (struct pollfd){ .fd = relay_sock, .events = POLLIN };
		if (r.master >= 0 && r.in_open)
			fds[i_in = nf++] = (struct pollfd){ .fd = 0, .events = POLLIN };
		if (r.master >= 0)
			fds[i_master = nf++] = (struct pollfd){ .fd = r.master, .events = POLLIN };
		if (poll(fds, (nfds_t)nf, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail(errno, "foreground", "poll");
		}
		if (i_master >= 0 && fds[i_master].revents && !pump_master(&r)) {
			close(r.master);
			r.master = -1;
		}
		if (i_in >= 0 && fds[i_in].revents)
			pump_stdin(&r);
		if (i_relay >= 0 && fds[i_relay].revents) {
			int master = console_recv_master(relay_sock);
			close(relay_sock);
			relay_sock = -1;
			if (master >= 0)
				relay_start(&r, master);
		}
		if (fds[i_sig].revents) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof si) != sizeof si)
				continue;
			int sig = (int)si.ssi_signo;
			if (sig == SIGCHLD) {
				int status;
				pid_t w = waitpid(child, &status, WNOHANG);
				if (w == child) {
					relay_end(&r);
					return status;
				}
			} else if (sig == SIGWINCH && r.master >= 0) {
				/* the pty tells its foreground group itself */
				copy_winsize(r.master);
			} else {
				kill(child, sig);
			}
		}
	}
}
