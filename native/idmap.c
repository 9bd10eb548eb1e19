/* ID-mapped mounts. Why stage0 makes the trees before clone, and the holders: plan.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsexec.h"

static pid_t spawn_holder(const int gate[2])
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		close(gate[1]);
		/* lives until stage0 closes the gate (or dies): only its namespace is wanted */
		char c;
		while (read(gate[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	return pid;
}

static void open_holders(const struct plan *p, int *nsfds)
{
	int gate[2];
	if (pipe2(gate, O_CLOEXEC) < 0)
		fail(errno, "idmap", "pipe");
	pid_t pids[p->userns_holders];
	uint8_t payload[4 * p->userns_holders];
	for (uint32_t i = 0; i < p->userns_holders; i++) {
		pids[i] = spawn_holder(gate);
		if (pids[i] < 0)
			fail(errno, "idmap", "clone a user namespace for an id-mapped mount");
		for (int b = 0; b < 4; b++)
			payload[4 * i + (uint32_t)b] = (uint8_t)((uint32_t)pids[i] >> (8 * b));
	}
	close(gate[0]);
	if (sync_send(SYNC_USERNS, payload, (uint32_t)sizeof payload) < 0)
		fail(errno, "idmap", "send SYNC_USERNS");
	sync_expect(SYNC_USERNS_OK, "idmap");
	for (uint32_t i = 0; i < p->userns_holders; i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pids[i]);
		nsfds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfds[i] < 0)
			fail(errno, "idmap", "open %s", path);
	}
	close(gate[1]);
	for (uint32_t i = 0; i < p->userns_holders; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
}

static int make_tree(const char *source, int clone_recursive, int nsfd, int idmap_recursive)
{
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, source,
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (clone_recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		fail(errno, "idmap", "open_tree %s", source);
	struct mount_attr slave = { .propagation = MS_SLAVE };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &slave, sizeof slave) < 0)
		fail(errno, "idmap", "make the clone of %s a slave", source);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)nsfd };
	unsigned int flags = AT_EMPTY_PATH | (idmap_recursive ? AT_RECURSIVE : 0);
	if (syscall(SYS_mount_setattr, tree, "", flags, &attr, sizeof attr) < 0)
		fail(errno, "idmap", "id-map the mount of %s (mount_setattr MOUNT_ATTR_IDMAP)", source);
	return tree;
}

void idmap_prepare(struct plan *p)
{
	if (p->userns_holders == 0)
		return;
	int nsfds[p->userns_holders];
	open_holders(p, nsfds);
	for (size_t i = 0; i < p->nmounts; i++) {
		struct mount_op *m = &p->mounts[i];
		if (m->idmap_holder == 0)
			continue;
		m->tree_fd = make_tree(m->source, (m->flags & MS_REC) != 0, nsfds[m->idmap_holder - 1], (int)m->idmap_recursive);
	}
	if (p->rootfs_idmap != 0)
		p->rootfs_tree = make_tree(p->rootfs, 1, nsfds[p->rootfs_idmap - 1], 1);
	for (uint32_t i = 0; i < p->userns_holders; i++)
		close(nsfds[i]);
}

int idmap_move(int tree_fd, int target_fd)
{
	int r = (int)syscall(SYS_move_mount, tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	int saved = errno;
	close(tree_fd);
	errno = saved;
	return r;
}
