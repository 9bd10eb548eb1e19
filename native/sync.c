/* Frames on the sync socket (plan.h), and failure reporting as SYNC_ERROR frames. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nsexec.h"

#define MAX_FRAME (64u << 20)

static int syncfd = 3;

void sync_set_fd(int fd)
{
	syncfd = fd;
}

int sync_get_fd(void)
{
	return syncfd;
}

int read_full(int fd, void *buf, size_t n)
{
	uint8_t *b = buf;
	while (n > 0) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EPIPE;
			return -1;
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *b = buf;
	while (n > 0) {
		/* MSG_NOSIGNAL: a parent that went away must not kill us with SIGPIPE */
		ssize_t r = send(fd, b, n, MSG_NOSIGNAL);
		if (r < 0 && errno == ENOTSOCK)
			r = write(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int sync_send(uint16_t tag, const void *payload, uint32_t len)
{
	/* one buffer, one send: stage0 and the child share the socket and must not interleave */
	uint8_t *buf = malloc(6 + (size_t)len);
	if (buf == NULL)
		return -1;
	buf[0] = (uint8_t)tag;
	buf[1] = (uint8_t)(tag >> 8);
	for (int i = 0; i < 4; i++)
		buf[2 + i] = (uint8_t)(len >> (8 * i));
	if (len)
		memcpy(buf + 6, payload, len);
	int r = write_full(syncfd, buf, 6 + (size_t)len);
	free(buf);
	return r;
}

uint8_t *sync_read(uint16_t *tag, uint32_t *len)
{
	uint8_t h[6];
	if (read_full(syncfd, h, sizeof h) < 0)
		return NULL;
	*tag = (uint16_t)(h[0] | h[1] << 8);
	*len = (uint32_t)h[2] | (uint32_t)h[3] << 8 | (uint32_t)h[4] << 16 | (uint32_t)h[5] << 24;
	if (*len > MAX_FRAME) {
		errno = EMSGSIZE;
		return NULL;
	}
	uint8_t *buf = malloc(*len ? *len : 1);
	if (buf == NULL)
		return NULL;
	if (read_full(syncfd, buf, *len) < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void sync_expect(uint16_t want, const char *step)
{
	uint16_t tag;
	uint32_t len;
	uint8_t *buf = sync_read(&tag, &len);
	if (buf == NULL)
		fail(errno, step, "%s: read sync frame", step);
	free(buf);
	if (tag != want)
		fail(EPROTO, step, "%s: expected sync frame %u, got %u", step, want, tag);
}

const char *errtext(int err)
{
	/* runc-style lower-case text, so messages read the same as runc's */
	static char buf[128];
	snprintf(buf, sizeof buf, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

static void put_str(uint8_t **p, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	for (int i = 0; i < 4; i++)
		(*p)[i] = (uint8_t)(n >> (8 * i));
	memcpy(*p + 4, s, n);
	*p += 4 + n;
}

static void vfail(int err, int append, const char *step, const char *fmt, va_list ap)
{
	char msg[2048];
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	if (n < 0)
		n = 0;
	if (append && err != 0 && (size_t)n < sizeof msg)
		snprintf(msg + n, sizeof msg - (size_t)n, ": %s", errtext(err));

	uint8_t payload[4 + 4 + 256 + 4 + sizeof msg];
	uint8_t *p = payload;
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)((uint32_t)err >> (8 * i));
	p += 4;
	char stepbuf[256];
	snprintf(stepbuf, sizeof stepbuf, "%s", step);
	put_str(&p, stepbuf);
	put_str(&p, msg);
	if (sync_send(SYNC_ERROR, payload, (uint32_t)(p - payload)) < 0) {
		/* nobody listens on the sync socket (run by hand, or the parent died): say it on stderr */
		dprintf(2, "berth-nsexec: %s\n", msg);
	}
}

void fail(int err, const char *step, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, 1, step, fmt, ap);
	va_end(ap);
	_exit(1);
}

void fail_msg(int err, const char *step, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(err, 0, step, fmt, ap);
	va_end(ap);
	_exit(1);
}
