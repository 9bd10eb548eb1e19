/* Resource limits, user and group ids, and the five capability sets. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsexec.h"

void creds_become_ns_root(void)
{
	/* in a fresh userns we still carry the host ids, which are unmapped there: files we create
	 * for mount points would fail with EOVERFLOW. EINVAL means 0 is not mapped: stay as we are. */
	if (setresgid(0, 0, 0) < 0 && errno != EINVAL)
		fail(errno, "user", "setresgid 0 in user namespace");
	if (setresuid(0, 0, 0) < 0 && errno != EINVAL)
		fail(errno, "user", "setresuid 0 in user namespace");
}

static const char *rlimit_name(uint32_t r)
{
	static const char *names[] = {
		"RLIMIT_CPU",	 "RLIMIT_FSIZE",   "RLIMIT_DATA",   "RLIMIT_STACK",  "RLIMIT_CORE",
		"RLIMIT_RSS",	 "RLIMIT_NPROC",   "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS",
		"RLIMIT_LOCKS",	 "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO",
		"RLIMIT_RTTIME",
	};
	static char buf[32];
	if (r < sizeof names / sizeof names[0])
		return names[r];
	snprintf(buf, sizeof buf, "resource %u", r);
	return buf;
}

void creds_apply_rlimits(const struct plan *p)
{
	for (size_t i = 0; i < p->nrlimits; i++) {
		const struct rlimit_op *r = &p->rlimits[i];
		struct rlimit rl = { .rlim_cur = (rlim_t)r->soft, .rlim_max = (rlim_t)r->hard };
		if (setrlimit((__rlimit_resource_t)r->resource, &rl) < 0)
			fail(errno, "setrlimit", "setrlimit %s", rlimit_name(r->resource));
	}
}

static void drop_bounding(uint64_t keep)
{
	for (int cap = 0; cap < 64; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (in < 0)
			break; /* past the kernel's last capability */
		if (in == 1 && !(keep & (1ull << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			fail(errno, "capabilities", "drop capability %d from the bounding set", cap);
	}
}

static void set_caps(const struct plan *p)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(p->cap_effective >> (32 * i));
		data[i].permitted = (uint32_t)(p->cap_permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(p->cap_inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail(errno, "capabilities", "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail(errno, "capabilities", "clear ambient capabilities");
	for (int cap = 0; cap < 64; cap++) {
		if ((p->cap_ambient & (1ull << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			fail(errno, "capabilities", "raise ambient capability %d", cap);
	}
}

void creds_apply_user(const struct plan *p)
{
	if (p->umask != 0xffffffffu)
		umask((mode_t)(p->umask & 0777));
	/* keep the permitted set across setuid to non-root; the effective set is rebuilt by capset */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		fail(errno, "user", "PR_SET_KEEPCAPS");
	if (p->has_caps)
		drop_bounding(p->cap_bounding);
	if (p->has_user) {
		if (p->setgroups && setgroups(p->ngids, (const gid_t *)p->gids) < 0)
			fail(errno, "user", "setgroups");
		if (setresgid(p->gid, p->gid, p->gid) < 0)
			fail(errno, "user", "setgid %u", p->gid);
		if (setresuid(p->uid, p->uid, p->uid) < 0)
			fail(errno, "user", "setuid %u", p->uid);
	}
	if (p->has_caps)
		set_caps(p);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		fail(errno, "user", "PR_SET_KEEPCAPS");
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(errno, "no_new_privs", "PR_SET_NO_NEW_PRIVS");
}
