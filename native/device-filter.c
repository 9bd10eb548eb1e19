/* berth-nsexec --device-filter CGROUP_DIR: the one thing Node cannot do for the cgroup v2 devices
 * controller, the bpf(2) calls. TypeScript (src/runtime/cgroups/device-bpf.ts) compiles the OCI
 * device rules into a BPF_PROG_TYPE_CGROUP_DEVICE program; this mode reads its struct bpf_insn[]
 * on stdin, loads it and attaches it to the cgroup2 directory, replacing the programs attached
 * there before:
 *
 *   1. BPF_PROG_LOAD the new one (license "Apache-2.0": it calls no helper, so GPL is not needed);
 *   2. BPF_PROG_QUERY the programs attached directly to the cgroup (attach type BPF_CGROUP_DEVICE);
 *   3. BPF_PROG_ATTACH it with BPF_F_ALLOW_MULTI: from here on it applies, together with the old;
 *   4. BPF_PROG_DETACH each old one (fd from BPF_PROG_GET_FD_BY_ID); one already gone is fine.
 * So there is no moment without a filter on update. rmdir of the cgroup releases the program.
 *
 * Exit 0 on success. On failure, exit 1 and one line on stderr: "STEP\tERRNO\tDETAIL\n", STEP one
 * of input, load, open, query, attach, detach; DETAIL the verifier's last line for load, or "".
 * TypeScript turns that into the user's message (src/runtime/cgroups/device-filter-attach.ts). */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsexec.h"

#define MAX_PROGRAM (1u << 20) /* bytes: 128 Ki instructions, far beyond any rule list */
#define MAX_OLD 64

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

__attribute__((noreturn)) static void die(const char *step, int err, const char *detail)
{
	dprintf(2, "%s\t%d\t%s\n", step, err, detail);
	exit(1);
}

static uint8_t *read_program(size_t *len)
{
	uint8_t *buf = malloc(MAX_PROGRAM + 1);
	size_t n = 0;
	if (buf == NULL)
		die("input", ENOMEM, "");
	for (;;) {
		ssize_t r = read(0, buf + n, MAX_PROGRAM + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("input", errno, "");
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > MAX_PROGRAM)
			die("input", E2BIG, "program too large");
	}
	if (n == 0 || n % sizeof(struct bpf_insn) != 0)
		die("input", EINVAL, "program length is not a positive multiple of 8");
	*len = n;
	return buf;
}

static int load(const uint8_t *insns, size_t len)
{
	static char log[65536];
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)(len / sizeof(struct bpf_insn));
	a.license = (uint64_t)(uintptr_t)"Apache-2.0";
	memcpy(a.prog_name, "berth_devices", sizeof "berth_devices");
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	int err = errno;
	if (err != EACCES && err != EINVAL)
		die("load", err, "");
	/* again with the verifier's log, to say why */
	a.log_level = 1;
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = sizeof log;
	log[0] = 0;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	/* the reason is the last line before the statistics ("processed N insns ...") */
	log[sizeof log - 1] = 0;
	char *line = "", *save = NULL;
	for (char *l = strtok_r(log, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, "processed ", 10) != 0 && strncmp(l, "verification time", 17) != 0)
			line = l;
	for (char *p = line; *p; p++)
		if (*p == '\t')
			*p = ' ';
	die("load", err, line);
}

int device_filter_main(int argc, char **argv)
{
	if (argc != 3) {
		dprintf(2, "usage: berth-nsexec --device-filter CGROUP_DIR < program\n");
		return 2;
	}
	size_t len;
	uint8_t *insns = read_program(&len);
	int prog = load(insns, len);
	int cg = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		die("open", errno, "");

	uint32_t old[MAX_OLD];
	union bpf_attr q;
	memset(&q, 0, sizeof q);
	q.query.target_fd = (uint32_t)cg;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)old;
	q.query.prog_cnt = MAX_OLD;
	if (sys_bpf(BPF_PROG_QUERY, &q) < 0)
		die("query", errno, "");
	uint32_t nold = q.query.prog_cnt;

	union bpf_attr at;
	memset(&at, 0, sizeof at);
	at.target_fd = (uint32_t)cg;
	at.attach_bpf_fd = (uint32_t)prog;
	at.attach_type = BPF_CGROUP_DEVICE;
	at.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &at) < 0)
		die("attach", errno, "");

	for (uint32_t i = 0; i < nold; i++) {
		union bpf_attr g;
		memset(&g, 0, sizeof g);
		g.prog_id = old[i];
		int ofd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (ofd < 0 && errno == ENOENT)
			continue;
		if (ofd < 0)
			die("detach", errno, "");
		union bpf_attr d;
		memset(&d, 0, sizeof d);
		d.target_fd = (uint32_t)cg;
		d.attach_bpf_fd = (uint32_t)ofd;
		d.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &d) < 0 && errno != ENOENT)
			die("detach", errno, "");
		close(ofd);
	}
	return 0;
}
