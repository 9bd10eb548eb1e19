/* The json-file log writer: line assembly per stream, Docker json-file
 * entries, size-based rotation. Buffers are static and fixed; a line longer
 * than LINE_CAP is cut into several entries, as Docker does. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h> /* rename() only */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor.h"

#define LINE_CAP 16384
#define STAGE_CAP 8192
#define ESC_CHUNK 1024 /* raw bytes escaped at once: at most 6x in the stage */

struct line {
	size_t len;
	unsigned char buf[LINE_CAP];
};

static const struct config *cfg;
static int log_fd = -1;
static long long log_size;
static struct line lines[2];
static char stage[STAGE_CAP];
static size_t stage_len;
static char path_a[PATH_MAX], path_b[PATH_MAX];

static int open_log(int trunc)
{
	struct stat st;

	log_fd = open(cfg->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | (trunc ? O_TRUNC : 0), 0640);
	if (log_fd < 0)
		return -1;
	log_size = fstat(log_fd, &st) == 0 ? st.st_size : 0;
	return 0;
}

int log_open(const struct config *c)
{
	cfg = c;
	return open_log(0);
}

static void rotate(void)
{
	int i;

	close(log_fd);
	log_fd = -1;
	for (i = cfg->log_max_files - 1; i >= 1; i--) {
		if (i == 1)
			fmt(path_a, sizeof(path_a), "%s", cfg->log_path);
		else
			fmt(path_a, sizeof(path_a), "%s.%d", cfg->log_path, i - 1);
		fmt(path_b, sizeof(path_b), "%s.%d", cfg->log_path, i);
		/* A missing file only means fewer rotations have happened yet. */
		(void)rename(path_a, path_b);
	}
	(void)open_log(1);
}

static void stage_flush(void)
{
	if (log_fd >= 0 && stage_len > 0)
		(void)write_all(log_fd, stage, stage_len);
	stage_len = 0;
}

static void stage_put(const char *s, size_t n)
{
	if (stage_len + n > STAGE_CAP)
		stage_flush();
	memcpy(stage + stage_len, s, n);
	stage_len += n;
}

static void emit(enum stream_id s, const unsigned char *data, size_t n)
{
	static const char pre[] = "{\"log\":\"";
	char mid[64], when[32];
	size_t midlen, total, off = 0;

	if (n == 0)
		return;
	format_time_now(when);
	midlen = (size_t)fmt(mid, sizeof(mid), "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
				  s == STREAM_STDERR ? "stderr" : "stdout", when);
	total = sizeof(pre) - 1 + json_escaped_len(data, n) + midlen;

	if (log_fd >= 0 && cfg->log_max_size > 0 && log_size > 0 && log_size + (long long)total > cfg->log_max_size)
		rotate();
	if (log_fd < 0)
		return;

	stage_put(pre, sizeof(pre) - 1);
	while (off < n) {
		size_t take = n - off > ESC_CHUNK ? ESC_CHUNK : n - off;
		/* Never split a UTF-8 sequence between chunks, or it would be escaped as invalid. */
		if (off + take < n)
			take -= utf8_incomplete_tail(data + off, take);
		if (stage_len + take * 6 > STAGE_CAP)
			stage_flush();
		stage_len += json_escape(stage + stage_len, data + off, take);
		off += take;
	}
	stage_put(mid, midlen);
	stage_flush();
	log_size += (long long)total;
}

void log_feed(enum stream_id s, const unsigned char *buf, size_t n)
{
	struct line *l = &lines[s == STREAM_STDERR];

	while (n > 0) {
		size_t space = LINE_CAP - l->len;
		size_t scan = n < space ? n : space;
		const unsigned char *nl = memchr(buf, '\n', scan);

		if (nl != NULL) {
			size_t take = (size_t)(nl - buf) + 1;
			if (l->len == 0) {
				/* Whole line already in the read buffer: no copy. */
				emit(s, buf, take);
			} else {
				memcpy(l->buf + l->len, buf, take);
				emit(s, l->buf, l->len + take);
				l->len = 0;
			}
			buf += take;
			n -= take;
			continue;
		}
		memcpy(l->buf + l->len, buf, scan);
		l->len += scan;
		buf += scan;
		n -= scan;
		if (l->len == LINE_CAP) {
			size_t keep = utf8_incomplete_tail(l->buf, l->len);
			emit(s, l->buf, l->len - keep);
			memmove(l->buf, l->buf + l->len - keep, keep);
			l->len = keep;
		}
	}
}

void log_flush(enum stream_id s)
{
	struct line *l = &lines[s == STREAM_STDERR];

	emit(s, l->buf, l->len);
	l->len = 0;
}

void log_close(void)
{
	log_flush(STREAM_STDOUT);
	log_flush(STREAM_STDERR);
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}
