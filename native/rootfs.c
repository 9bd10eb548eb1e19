/* The container's root filesystem: mounts, devices and symlinks inside it, the switch of root,
 * and the masked / read-only paths that are applied from inside. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "nsexec.h"

static const char *fdpath(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return buf;
}

static void do_mount(int rootfd, const struct mount_op *m)
{
	char tp[64];
	int fd = inroot_open(rootfd, m->target, (int)m->target_kind);
	if (fd < 0)
		fail(errno, "mount", "mount \"%s\" on %s: create mount point", m->source, m->target);
	if (m->tree_fd >= 0) {
		if (idmap_move(m->tree_fd, fd) < 0)
			fail(errno, "mount", "move the id-mapped mount of \"%s\" onto %s", m->source, m->target);
	} else if (mount(m->source, fdpath(fd, tp, sizeof tp), m->fstype[0] ? m->fstype : NULL, (unsigned long)m->flags,
			 m->data[0] ? m->data : NULL) < 0)
		fail(errno, "mount", "mount \"%s\" on %s", m->source, m->target);
	close(fd);
	if (m->remount_flags == 0 && m->propagation == 0)
		return;
	/* the old fd names the covered directory; the new mount is only reached by a new lookup */
	fd = inroot_open(rootfd, m->target, INROOT_NOCREATE);
	if (fd < 0)
		fail(errno, "mount", "mount \"%s\" on %s: reopen mount point", m->source, m->target);
	fdpath(fd, tp, sizeof tp);
	if (m->remount_flags != 0 &&
	    mount(NULL, tp, NULL, MS_REMOUNT | MS_BIND | (unsigned long)m->remount_flags, NULL) < 0)
		fail(errno, "mount", "remount %s with flags 0x%llx", m->target, (unsigned long long)m->remount_flags);
	if (m->propagation != 0 && mount(NULL, tp, NULL, (unsigned long)m->propagation, NULL) < 0)
		fail(errno, "mount", "set propagation 0x%llx on %s", (unsigned long long)m->propagation, m->target);
	close(fd);
}

static void make_device(int rootfd, const struct device_op *d)
{
	const char *name;
	int dir = inroot_open_parent(rootfd, d->path, &name);
	if (dir < 0)
		fail(errno, "device", "create device %s: parent directory", d->path);
	if (d->bind_from_host) {
		int fd = openat(dir, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			fail(errno, "device", "bind device %s: create mount point", d->path);
		char tp[64];
		if (mount(d->path, fdpath(fd, tp, sizeof tp), NULL, MS_BIND, NULL) < 0)
			fail(errno, "device", "bind device %s from host", d->path);
		close(fd);
		close(dir);
		return;
	}
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	dev_t dev = makedev(d->major, d->minor);
	if (mknodat(dir, name, type | (d->mode & 07777), dev) < 0) {
		/* replace what the image left there, so the chmod/chown below act on our node */
		if (errno != EEXIST || unlinkat(dir, name, 0) < 0 || mknodat(dir, name, type | (d->mode & 07777), dev) < 0)
			fail(errno, "device", "mknod %s", d->path);
	}
	if (fchownat(dir, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		fail(errno, "device", "chown %s", d->path);
	/* mknod honours the umask; the plan's mode is exact */
	if (fchmodat(dir, name, d->mode & 07777, 0) < 0)
		fail(errno, "device", "chmod %s", d->path);
	close(dir);
}

static void make_symlink(int rootfd, const struct str_pair *s)
{
	const char *name;
	int dir = inroot_open_parent(rootfd, s->b, &name);
	if (dir < 0)
		fail(errno, "symlink", "symlink %s -> %s: parent directory", s->b, s->a);
	if (symlinkat(s->a, dir, name) < 0 && errno != EEXIST)
		fail(errno, "symlink", "symlink %s -> %s", s->b, s->a);
	close(dir);
}

static uint64_t mount_id(const char *path)
{
	struct statx sx;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID))
		fail(errno ? errno : ENOSYS, "rootfs", "statx %s", path);
	return sx.stx_mnt_id;
}

/* pivot_root refuses a new root whose parent mount is shared: with "/" made rshared, turn the
 * mount that holds the rootfs directory private (its mount point is the topmost directory above
 * the rootfs that still has the same mount id). */
static void make_parent_mount_private(const char *rootfs)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", rootfs);
	char *slash = strrchr(dir, '/');
	if (slash == NULL)
		return;
	*slash = 0;
	if (dir[0] == 0)
		strcpy(dir, "/");
	uint64_t id = mount_id(dir);
	while (strcmp(dir, "/") != 0) {
		char up[PATH_MAX];
		snprintf(up, sizeof up, "%s", dir);
		char *s = strrchr(up, '/');
		if (s == up)
			s[1] = 0;
		else
			*s = 0;
		if (mount_id(up) != id)
			break;
		memcpy(dir, up, strlen(up) + 1);
	}
	if (mount(NULL, dir, NULL, MS_PRIVATE, NULL) < 0)
		fail(errno, "rootfs", "make %s private", dir);
}

int rootfs_prepare(const struct plan *p)
{
	unsigned long prop = p->rootfs_propagation ? (unsigned long)p->rootfs_propagation : MS_REC | MS_SLAVE;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		fail(errno, "rootfs", "set propagation 0x%lx on /", prop);
	if (prop & MS_SHARED)
		make_parent_mount_private(p->rootfs);
	if (p->rootfs_tree >= 0) {
		int target = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (target < 0 || idmap_move(p->rootfs_tree, target) < 0)
			fail(errno, "rootfs", "move the id-mapped rootfs onto %s", p->rootfs);
		close(target);
	} else if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(errno, "rootfs", "mount \"%s\" on %s", p->rootfs, p->rootfs);
	int rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		fail(errno, "rootfs", "open rootfs %s", p->rootfs);
	for (size_t i = 0; i < p->nmounts; i++)
		do_mount(rootfd, &p->mounts[i]);
	for (size_t i = 0; i < p->ndevices; i++)
		make_device(rootfd, &p->devices[i]);
	for (size_t i = 0; i < p->nsymlinks; i++)
		make_symlink(rootfd, &p->symlinks[i]);
	return rootfd;
}

void rootfs_enter(const struct plan *p, int rootfd)
{
	if (fchdir(rootfd) < 0)
		fail(errno, "rootfs", "chdir to rootfs %s", p->rootfs);
	if (p->no_pivot) {
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			fail(errno, "chroot", "move rootfs %s to /", p->rootfs);
		if (chroot(".") < 0)
			fail(errno, "chroot", "chroot %s", p->rootfs);
	} else {
		/* pivot onto ourselves, then detach the old root that now sits under "." */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			fail(errno, "pivot_root", "pivot_root %s", p->rootfs);
		/* the old root must not pass the detach on to the host */
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			fail(errno, "pivot_root", "make old root rslave");
		if (umount2(".", MNT_DETACH) < 0)
			fail(errno, "pivot_root", "detach old root");
	}
	if (chdir("/") < 0)
		fail(errno, "rootfs", "chdir /");
	/* the detach above needed a slave old root; give the new root the propagation asked for */
	if (p->rootfs_propagation & MS_SHARED) {
		if (mount(NULL, "/", NULL, (unsigned long)p->rootfs_propagation, NULL) < 0)
			fail(errno, "rootfs", "set propagation 0x%llx on /", (unsigned long long)p->rootfs_propagation);
	}
}

/* Flags a bind remount must repeat: leaving out a locked one fails with EPERM in a userns. */
static unsigned long kept_flags(const char *path)
{
	struct statvfs sv;
	if (statvfs(path, &sv) < 0)
		return 0;
	unsigned long f = 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static void mask_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return;
		fail(errno, "mask", "mask %s", path);
	}
	int r = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL)
				    : mount("/dev/null", path, NULL, MS_BIND, NULL);
	if (r < 0)
		fail(errno, "mask", "mask %s", path);
}

static void readonly_path(const char *path)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return;
		fail(errno, "readonly", "bind %s read-only", path);
	}
	unsigned long f = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | kept_flags(path);
	if (mount(NULL, path, NULL, f, NULL) < 0)
		fail(errno, "readonly", "remount %s read-only", path);
}

void rootfs_finish(const struct plan *p)
{
	for (size_t i = 0; i < p->nreadonly; i++)
		readonly_path(p->readonly_paths[i]);
	for (size_t i = 0; i < p->nmasks; i++)
		mask_path(p->masks[i]);
	if (p->rootfs_readonly) {
		unsigned long f = MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags("/");
		if (mount(NULL, "/", NULL, f, NULL) < 0)
			fail(errno, "rootfs", "remount / read-only");
	}
}
