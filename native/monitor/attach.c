/* The attach server: live output to clients, client input to the container,
 * and the control socket. The container must never wait on a client, so each
 * client has a bounded queue and is dropped when it overflows; client input is
 * back-pressured instead (clients are not read while stdin has a backlog). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "monitor.h"

#define MAX_CLIENTS 16
#define CLIENT_QUEUE 65536
#define MAX_CTL 4
#define CTL_LINE 128
#define STDIN_PEND 4096

struct client {
	int fd; /* -1 = free slot */
	int rd_closed;
	size_t start, len;
	unsigned char *queue;
};

struct ctl {
	int fd;
	size_t len;
	char line[CTL_LINE];
};

enum slot_kind { K_LISTEN, K_CTL_LISTEN, K_CLIENT, K_CTL, K_STDIN };

static const struct config *cfg;
static int listen_fd = -1, ctl_listen_fd = -1;
static int stdin_fd = -1, pty_fd = -1;
static struct client clients[MAX_CLIENTS];
/* Apart from the slots and page-aligned, so idle slots cost no resident
 * memory and a dropped client's pages can be handed back. */
static unsigned char queues[MAX_CLIENTS][CLIENT_QUEUE] __attribute__((aligned(4096)));
static struct ctl ctls[MAX_CTL];
static unsigned char pend[STDIN_PEND];
static size_t pend_len;
static struct { enum slot_kind kind; int idx; } slots[2 + MAX_CLIENTS + MAX_CTL + 1];
static char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

int attach_open(const struct config *c)
{
	int i;

	cfg = c;
	for (i = 0; i < MAX_CLIENTS; i++) {
		clients[i].fd = -1;
		clients[i].queue = queues[i];
	}
	for (i = 0; i < MAX_CTL; i++)
		ctls[i].fd = -1;
	fmt(ctl_path, sizeof(ctl_path), "%s.ctl", cfg->attach_socket);
	listen_fd = unix_listen(cfg->attach_socket, 16);
	if (listen_fd < 0)
		return -1;
	ctl_listen_fd = unix_listen(ctl_path, 16);
	return ctl_listen_fd < 0 ? -1 : 0;
}

void attach_set_stdio(int in_fd, int master)
{
	stdin_fd = in_fd;
	pty_fd = master;
}

int attach_stdin_fd(void)
{
	return stdin_fd;
}

static void drop_client(struct client *c)
{
	(void)madvise(c->queue, CLIENT_QUEUE, MADV_DONTNEED);
	close(c->fd);
	c->fd = -1;
	c->len = c->start = 0;
	c->rd_closed = 0;
}

static int queue_put(struct client *c, const unsigned char *p, size_t n)
{
	if (c->len + n > CLIENT_QUEUE)
		return -1;
	if (c->start + c->len + n > CLIENT_QUEUE) {
		memmove(c->queue, c->queue + c->start, c->len);
		c->start = 0;
	}
	memcpy(c->queue + c->start + c->len, p, n);
	c->len += n;
	return 0;
}

static void client_flush(struct client *c)
{
	while (c->len > 0) {
		ssize_t w = send(c->fd, c->queue + c->start, c->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				drop_client(c);
			return;
		}
		c->start += (size_t)w;
		c->len -= (size_t)w;
	}
	c->start = 0;
}

void attach_broadcast(enum stream_id s, const unsigned char *buf, size_t n)
{
	unsigned char hdr[5] = { (unsigned char)s, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
				 (unsigned char)(n >> 8), (unsigned char)n };
	size_t hlen = pty_fd >= 0 ? 0 : sizeof(hdr);
	int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		size_t done = 0;

		if (c->fd < 0)
			continue;
		if (c->len + hlen + n > CLIENT_QUEUE) {
			drop_client(c);
			continue;
		}
		if (c->len == 0) {
			struct iovec iov[2] = { { hdr, hlen }, { (void *)buf, n } };
			struct msghdr mh = { .msg_iov = hlen ? iov : iov + 1, .msg_iovlen = hlen ? 2 : 1 };
			ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				drop_client(c);
				continue;
			}
			done = w > 0 ? (size_t)w : 0;
		}
		/* Queue whatever the socket did not take, keeping the frame whole. */
		if (done < hlen)
			(void)queue_put(c, hdr + done, hlen - done);
		(void)queue_put(c, buf + (done > hlen ? done - hlen : 0), n - (done > hlen ? done - hlen : 0));
	}
}

static void to_stdin(const unsigned char *p, size_t n)
{
	ssize_t w;

	if (stdin_fd < 0 || n == 0)
		return;
	w = write(stdin_fd, p, n);
	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return; /* the container closed its stdin: input has nowhere to go */
		w = 0;
	}
	if ((size_t)w < n) {
		memmove(pend, p + w, n - (size_t)w);
		pend_len = n - (size_t)w;
	}
}

static void stdin_flush(void)
{
	size_t n = pend_len;

	pend_len = 0;
	to_stdin(pend, n);
}

static void ctl_reply(struct ctl *t, const char *msg)
{
	(void)send(t->fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Parses a decimal number ending at a space or NUL; -1 if malformed or too large. */
static long parse_dim(const char **p)
{
	long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > 65535)
			return -1;
	}
	if (*s != ' ' && *s != '\0')
		return -1;
	*p = s;
	return v;
}

static int parse_resize(const char *line, long *rows, long *cols)
{
	const char *p = line + 7;

	if (strncmp(line, "resize ", 7) != 0 || (*rows = parse_dim(&p)) < 0 || *p++ != ' ')
		return -1;
	if ((*cols = parse_dim(&p)) < 0 || *p != '\0')
		return -1;
	return 0;
}

static void ctl_command(struct ctl *t, char *line)
{
	long rows, cols;

	if (strncmp(line, "resize", 6) == 0) {
		struct winsize ws;
		if (parse_resize(line, &rows, &cols) < 0) {
			ctl_reply(t, "error usage: resize ROWS COLS\n");
			return;
		}
		memset(&ws, 0, sizeof(ws));
		ws.ws_row = (unsigned short)rows;
		ws.ws_col = (unsigned short)cols;
		if (pty_fd < 0)
			ctl_reply(t, "error no terminal\n");
		else if (ioctl(pty_fd, TIOCSWINSZ, &ws) < 0)
			ctl_reply(t, "error resize failed\n");
		else
			ctl_reply(t, "ok\n");
	} else if (strcmp(line, "close-stdin") == 0) {
		if (pty_fd >= 0) {
			ctl_reply(t, "error stdin is the terminal\n");
		} else if (stdin_fd >= 0) {
			close(stdin_fd);
			stdin_fd = -1;
			pend_len = 0;
			ctl_reply(t, "ok\n");
		} else {
			ctl_reply(t, "ok\n");
		}
	} else {
		ctl_reply(t, "error unknown command\n");
	}
}

static void ctl_read(struct ctl *t)
{
	ssize_t r = read(t->fd, t->line + t->len, CTL_LINE - 1 - t->len);
	char *nl;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		close(t->fd);
		t->fd = -1;
		return;
	}
	t->len += (size_t)r;
	t->line[t->len] = '\0';
	while ((nl = memchr(t->line, '\n', t->len)) != NULL) {
		size_t used = (size_t)(nl - t->line) + 1;
		*nl = '\0';
		if (nl > t->line && nl[-1] == '\r')
			nl[-1] = '\0';
		ctl_command(t, t->line);
		memmove(t->line, t->line + used, t->len - used);
		t->len -= used;
		t->line[t->len] = '\0';
	}
	if (t->len == CTL_LINE - 1) {
		ctl_reply(t, "error line too long\n");
		t->len = 0;
	}
}

static void accept_into(int lfd, int is_ctl)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	int i;

	if (fd < 0)
		return;
	if (is_ctl) {
		for (i = 0; i < MAX_CTL; i++)
			if (ctls[i].fd < 0) {
				ctls[i].fd = fd;
				ctls[i].len = 0;
				return;
			}
	} else {
		for (i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].fd < 0) {
				clients[i].fd = fd;
				clients[i].start = clients[i].len = 0;
				clients[i].rd_closed = 0;
				return;
			}
	}
	close(fd); /* full: refusing is better than growing */
}

static int add(struct pollfd *pfd, int n, int max, int fd, short ev, enum slot_kind k, int idx)
{
	if (n >= max)
		return n;
	pfd[n].fd = fd;
	pfd[n].events = ev;
	pfd[n].revents = 0;
	slots[n].kind = k;
	slots[n].idx = idx;
	return n + 1;
}

int attach_poll_fill(struct pollfd *pfd, int max)
{
	int n = 0, i;

	if ((size_t)max > sizeof(slots) / sizeof(slots[0]))
		max = (int)(sizeof(slots) / sizeof(slots[0]));
	if (listen_fd >= 0)
		n = add(pfd, n, max, listen_fd, POLLIN, K_LISTEN, 0);
	if (ctl_listen_fd >= 0)
		n = add(pfd, n, max, ctl_listen_fd, POLLIN, K_CTL_LISTEN, 0);
	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		short ev = 0;
		if (c->fd < 0)
			continue;
		if (!c->rd_closed && pend_len == 0)
			ev |= POLLIN;
		if (c->len > 0)
			ev |= POLLOUT;
		n = add(pfd, n, max, c->fd, ev, K_CLIENT, i);
	}
	for (i = 0; i < MAX_CTL; i++)
		if (ctls[i].fd >= 0)
			n = add(pfd, n, max, ctls[i].fd, POLLIN, K_CTL, i);
	if (pend_len > 0 && stdin_fd >= 0)
		n = add(pfd, n, max, stdin_fd, POLLOUT, K_STDIN, 0);
	return n;
}

static void client_event(struct client *c, short re)
{
	if (re & POLLIN) {
		unsigned char buf[STDIN_PEND];
		ssize_t r = read(c->fd, buf, sizeof(buf));
		if (r > 0) {
			to_stdin(buf, (size_t)r);
		} else if (r == 0) {
			/* Half-close: the client is done typing but may still read output. */
			c->rd_closed = 1;
		} else if (errno != EAGAIN && errno != EINTR) {
			drop_client(c);
			return;
		}
	}
	if (c->fd >= 0 && (re & POLLOUT))
		client_flush(c);
	if (c->fd >= 0 && (re & (POLLERR | POLLNVAL | POLLHUP)) && !(re & POLLIN))
		drop_client(c);
}

void attach_poll_handle(const struct pollfd *pfd, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		short re = pfd[i].revents;
		if (re == 0)
			continue;
		switch (slots[i].kind) {
		case K_LISTEN:
			accept_into(listen_fd, 0);
			break;
		case K_CTL_LISTEN:
			accept_into(ctl_listen_fd, 1);
			break;
		case K_CLIENT:
			if (clients[slots[i].idx].fd == pfd[i].fd)
				client_event(&clients[slots[i].idx], re);
			break;
		case K_CTL:
			if (ctls[slots[i].idx].fd == pfd[i].fd)
				ctl_read(&ctls[slots[i].idx]);
			break;
		case K_STDIN:
			stdin_flush();
			break;
		}
	}
}

void attach_close(void)
{
	int i;

	for (i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0) {
			client_flush(&clients[i]);
			if (clients[i].fd >= 0)
				drop_client(&clients[i]);
		}
	for (i = 0; i < MAX_CTL; i++)
		if (ctls[i].fd >= 0) {
			close(ctls[i].fd);
			ctls[i].fd = -1;
		}
	if (listen_fd >= 0) {
		close(listen_fd);
		(void)unlink(cfg->attach_socket);
	}
	if (ctl_listen_fd >= 0) {
		close(ctl_listen_fd);
		(void)unlink(ctl_path);
	}
	listen_fd = ctl_listen_fd = -1;
	if (stdin_fd >= 0 && stdin_fd != pty_fd)
		close(stdin_fd);
	stdin_fd = -1;
}
