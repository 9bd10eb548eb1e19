/* berth-nsexec --sys OP ARGS... [OP ARGS...]: the host-side mount and namespace calls Node cannot
 * make (src/sys/native-sys.ts). Spawning mount(8), unshare(1) and nsenter(1) cost a run ~25 ms
 * (libmount reading the mount table, three execs for one namespace); this static binary makes
 * the same system calls in about one. TypeScript decides everything: flags arrive as numbers, and
 * which call to retry on which error (a busy unmount made lazy) is its choice, not ours.
 *
 *   mount SOURCE TARGET FSTYPE FLAGS DATA   mount(2); "" for SOURCE, FSTYPE or DATA passes NULL
 *   umount TARGET FLAGS                     umount2(2)
 *   netns TARGET LOOPBACK                   unshare(CLONE_NEWNET), `lo` up when LOOPBACK is "1",
 *                                           then the namespace bind-mounted onto TARGET (a file)
 *
 * Operations run in order; the first failure stops the rest. Exit 0 when all succeeded, else exit
 * 1 with one line on stderr: "INDEX\tERRNO\tOP\n" (INDEX counts operations from 0), which the
 * TypeScript side turns into its message. Exit 2 for a malformed command line. */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nsexec.h"

__attribute__((noreturn)) static void fail_op(int index, int err, const char *op)
{
	dprintf(2, "%d\t%d\t%s\n", index, err, op);
	exit(1);
}

static const char *or_null(const char *s)
{
	return s[0] == '\0' ? NULL : s;
}

static int parse_ulong(const char *s, unsigned long *out)
{
	char *end;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' ? 0 : -1;
}

/* also the container's, for PLAN_LOOPBACK_UP (child.c) */
int loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int sys_ops_main(int argc, char **argv)
{
	int i = 2, index = 0;
	if (argc <= i)
		goto usage;
	for (; i < argc; index++) {
		const char *op = argv[i];
		unsigned long flags;
		if (strcmp(op, "mount") == 0 && i + 5 < argc) {
			if (parse_ulong(argv[i + 4], &flags) < 0)
				goto usage;
			if (mount(or_null(argv[i + 1]), argv[i + 2], or_null(argv[i + 3]), flags, or_null(argv[i + 5])) < 0)
				fail_op(index, errno, op);
			i += 6;
		} else if (strcmp(op, "umount") == 0 && i + 2 < argc) {
			if (parse_ulong(argv[i + 2], &flags) < 0)
				goto usage;
			if (umount2(argv[i + 1], (int)flags) < 0)
				fail_op(index, errno, op);
			i += 3;
		} else if (strcmp(op, "netns") == 0 && i + 2 < argc) {
			if (unshare(CLONE_NEWNET) < 0)
				fail_op(index, errno, "unshare");
			if (strcmp(argv[i + 2], "1") == 0 && loopback_up() < 0)
				fail_op(index, errno, "loopback");
			if (mount("/proc/self/ns/net", argv[i + 1], NULL, MS_BIND, NULL) < 0)
				fail_op(index, errno, "bind");
			i += 3;
		} else {
			goto usage;
		}
	}
	return 0;
usage:
	dprintf(2, "usage: berth-nsexec --sys {mount SOURCE TARGET FSTYPE FLAGS DATA | umount TARGET FLAGS | netns TARGET 0|1}...\n");
	return 2;
}
