/* A tiny formatter in place of snprintf: glibc's printf family drags
 * vfprintf, locale and floating-point code into the static binary and costs
 * a few hundred KiB of resident text, a large share of the 1 MiB budget.
 * Supports %s %d %u %ld %lld %%, which is all the monitor prints. */
#include <stdarg.h>
#include <string.h>

#include "monitor.h"

struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, char c)
{
	if (o->pos + 1 < o->len)
		o->buf[o->pos++] = c;
}

static void put_num(struct out *o, long long v, int is_unsigned)
{
	char tmp[24];
	int n = 0;
	unsigned long long u = is_unsigned || v >= 0 ? (unsigned long long)v : 0ULL - (unsigned long long)v;

	if (!is_unsigned && v < 0)
		put(o, '-');
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	while (n > 0)
		put(o, tmp[--n]);
}

int fmt(char *buf, size_t len, const char *f, ...)
{
	struct out o = { buf, len, 0 };
	va_list ap;

	if (len == 0)
		return 0;
	va_start(ap, f);
	for (; *f; f++) {
		int longs = 0;
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f++;
		while (*f == 'l') {
			longs++;
			f++;
		}
		switch (*f) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (s == NULL)
				s = "(null)";
			while (*s)
				put(&o, *s++);
			break;
		}
		case 'd':
			put_num(&o, longs == 0 ? va_arg(ap, int) : longs == 1 ? va_arg(ap, long) : va_arg(ap, long long), 0);
			break;
		case 'u':
			put_num(&o, (long long)va_arg(ap, unsigned), 1);
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			va_end(ap);
			buf[o.pos] = '\0';
			return (int)o.pos; /* unsupported conversion: a programming error, keep what we have */
		}
	}
	va_end(ap);
	buf[o.pos] = '\0';
	return (int)o.pos;
}

const char *err_text(int e)
{
	/* strerrordesc_np is a plain table lookup; strerror would pull in gettext. */
	const char *d = strerrordesc_np(e);
	return d != NULL ? d : "unknown error";
}
