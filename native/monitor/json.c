/* JSON string escaping and timestamps, shared by the log, the exit file and
 * the readiness line. Container output is arbitrary bytes, so escaping has to
 * validate UTF-8: a JSON reader would otherwise reject the whole log line. */
#include <string.h>
#include <time.h>

#include "monitor.h"

static int is_cont(unsigned char c)
{
	return c >= 0x80 && c <= 0xBF;
}

/* Length of the well-formed UTF-8 sequence at s, or 0 if s[0] starts none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && is_cont(s[1]) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
		return n >= 3 && s[1] >= lo && s[1] <= hi && is_cont(s[2]) ? 3 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
		return n >= 4 && s[1] >= lo && s[1] <= hi && is_cont(s[2]) && is_cont(s[3]) ? 4 : 0;
	}
	return 0;
}

static size_t ascii_len(unsigned char c)
{
	if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f')
		return 2;
	return c < 0x20 ? 6 : 1;
}

size_t json_escaped_len(const unsigned char *s, size_t n)
{
	size_t i = 0, len = 0;

	while (i < n) {
		size_t k = utf8_seq(s + i, n - i);
		if (k == 0) {
			len += 6;
			i++;
		} else if (k == 1) {
			len += ascii_len(s[i]);
			i++;
		} else {
			len += k;
			i += k;
		}
	}
	return len;
}

size_t json_escape(char *out, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0;

	while (i < n) {
		size_t k = utf8_seq(s + i, n - i);
		unsigned char c = s[i];

		if (k == 0) {
			memcpy(out + o, "\\ufffd", 6);
			o += 6;
			i++;
			continue;
		}
		if (k > 1) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		i++;
		switch (c) {
		case '"': out[o++] = '\\'; out[o++] = '"'; break;
		case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
		case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
		case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
		case '\t': out[o++] = '\\'; out[o++] = 't'; break;
		case '\b': out[o++] = '\\'; out[o++] = 'b'; break;
		case '\f': out[o++] = '\\'; out[o++] = 'f'; break;
		default:
			if (c < 0x20) {
				memcpy(out + o, "\\u00", 4);
				out[o + 4] = hex[c >> 4];
				out[o + 5] = hex[c & 15];
				o += 6;
			} else {
				out[o++] = (char)c;
			}
		}
	}
	return o;
}

void json_escape_bounded(char *out, size_t outlen, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0;

	while (i < n) {
		size_t k = utf8_seq(u + i, n - i);
		size_t step = k == 0 ? 1 : k;
		size_t need = json_escaped_len(u + i, step);
		if (o + need + 1 > outlen)
			break;
		o += json_escape(out + o, u + i, step);
		i += step;
	}
	out[o] = '\0';
}

size_t utf8_incomplete_tail(const unsigned char *s, size_t n)
{
	size_t k;

	for (k = 1; k <= 3 && k <= n; k++) {
		unsigned char c = s[n - k];
		size_t need;

		if (is_cont(c))
			continue;
		if (c >= 0xC2 && c <= 0xDF)
			need = 2;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 3;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 4;
		else
			return 0;
		return k < need ? k : 0;
	}
	return 0;
}

static char *digits(char *p, long v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* UTC calendar date from days since 1970-01-01, by the era/day-of-era method
 * (proleptic Gregorian). gmtime_r is avoided because glibc's reads
 * /etc/localtime on first use, which allocates and pulls in stdio. */
static void civil_from_days(long long z, long *y, long *m, long *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (long)(doy - (153 * mp + 2) / 5 + 1);
	*m = (long)(mp < 10 ? mp + 3 : mp - 9);
	*y = (long)(yoe + era * 400 + (*m <= 2));
}

void format_time_now(char *buf)
{
	struct timespec ts;
	long long days, secs;
	long y, mo, d;
	char *p = buf;

	clock_gettime(CLOCK_REALTIME, &ts);
	days = ts.tv_sec / 86400;
	secs = ts.tv_sec % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	p = digits(p, y, 4);
	*p++ = '-';
	p = digits(p, mo, 2);
	*p++ = '-';
	p = digits(p, d, 2);
	*p++ = 'T';
	p = digits(p, (long)(secs / 3600), 2);
	*p++ = ':';
	p = digits(p, (long)(secs / 60 % 60), 2);
	*p++ = ':';
	p = digits(p, (long)(secs % 60), 2);
	*p++ = '.';
	p = digits(p, ts.tv_nsec, 9);
	*p++ = 'Z';
	*p = '\0';
}
