/* Loading the seccomp filter that TypeScript compiled: this file never interprets the program. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsexec.h"

int seccomp_load_late(const struct plan *p)
{
	/* Loading needs no_new_privs or CAP_SYS_ADMIN. Late is better (the filter then need not
	 * allow our own setup syscalls), so load early only when the dropped caps would forbid it. */
	if (p->no_new_privs || !p->has_caps)
		return 1;
	return (p->cap_effective & (1ull << CAP_SYS_ADMIN)) != 0;
}

void seccomp_apply(const struct plan *p)
{
	if (!p->has_seccomp || p->seccomp_len == 0)
		return;
	size_t n = p->seccomp_len / sizeof(struct sock_filter);
	if (n > 0xffff)
		fail_msg(E2BIG, "seccomp", "seccomp filter of %zu instructions is too long", n);
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = (struct sock_filter *)p->seccomp_prog };
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->seccomp_flags, &prog) < 0)
		fail(errno, "seccomp", "load seccomp filter");
}
