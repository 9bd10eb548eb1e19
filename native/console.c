/* The container's terminal: a pty opened inside the container's devpts, whose slave becomes the
 * controlling terminal and stdio, and whose master leaves by SCM_RIGHTS. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "nsexec.h"

static int send_fd(int sock, const char *name, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	/* the pty's name travels as the data: runc's console-socket receivers read it */
	struct iovec iov = { .iov_base = (void *)name, .iov_len = strlen(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ssize_t r;
	do
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}

int console_recv_master(int sock)
{
	char data[256];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	ssize_t r;
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
			return fd;
		}
	}
	return -1;
}

void console_setup(const struct plan *p, int console_sock, int relay_sock)
{
	int sock = console_sock >= 0 ? console_sock : relay_sock;
	if (sock < 0)
		fail_msg(EINVAL, "console", "terminal requested but there is no console socket");
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		fail(errno, "console", "open /dev/ptmx");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		fail(errno, "console", "unlock pty");
	unsigned int n = 0;
	if (ioctl(master, TIOCGPTN, &n) < 0)
		fail(errno, "console", "get pty number");
	char name[64];
	snprintf(name, sizeof name, "/dev/pts/%u", n);
	/* TIOCGPTPEER opens the peer of *this* master, whatever /dev/pts holds */
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		fail(errno, "console", "open pty slave %s", name);
	if (p->has_console_size) {
		struct winsize ws = { .ws_row = (unsigned short)p->rows, .ws_col = (unsigned short)p->cols };
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			fail(errno, "console", "set console size");
	}
	if (setsid() < 0)
		fail(errno, "console", "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		fail(errno, "console", "make %s the controlling terminal", name);
	if (p->has_user && fchown(slave, p->uid, p->gid) < 0 && errno != EINVAL && errno != EPERM)
		fail(errno, "console", "chown %s", name);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			fail(errno, "console", "dup2 %s to %d", name, fd);
	close(slave);
	if (send_fd(sock, name, master) < 0)
		fail(errno, "console", "send pty master");
	close(master);
}
