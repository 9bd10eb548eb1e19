/* Path resolution inside the container's root: a rootfs is untrusted (image layers may plant
 * symlinks such as /proc -> /host/etc), so every lookup is scoped with openat2 RESOLVE_IN_ROOT and
 * missing components are created one at a time under an fd that is already inside the root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsexec.h"

#define MAX_HOPS 40

static int open_in_root(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	if (path[0] == 0)
		path = "/";
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

static int create_component(int parent, const char *name, int is_dir)
{
	if (is_dir) {
		if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
			return -1;
		return 0;
	}
	int fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno == EEXIST ? 0 : -1;
	close(fd);
	return 0;
}

/* Walks `path` component by component, creating what is missing. A dangling symlink met on the
 * way is not created through: its target replaces the prefix in `path` (still to be resolved in
 * the root), and the caller starts again. Returns 1 when `path` was rewritten, 0 when every
 * component now exists, -1 on error. */
static int create_walk(int rootfd, char *path, size_t cap, int last_is_dir)
{
	size_t start = 0;
	for (;;) {
		while (path[start] == '/')
			start++;
		if (path[start] == 0)
			return 0;
		size_t end = start;
		while (path[end] != 0 && path[end] != '/')
			end++;
		char saved = path[end];
		path[end] = 0;
		int fd = open_in_root(rootfd, path);
		if (fd >= 0) {
			close(fd);
			path[end] = saved;
			start = end;
			continue;
		}
		if (errno != ENOENT) {
			path[end] = saved;
			return -1;
		}

		char name[NAME_MAX + 1];
		snprintf(name, sizeof name, "%s", path + start);
		char csaved = path[start];
		path[start] = 0;
		int parent = open_in_root(rootfd, path);
		path[start] = csaved;
		path[end] = saved;
		if (parent < 0)
			return -1;

		char link[PATH_MAX];
		ssize_t ln = readlinkat(parent, name, link, sizeof link - 1);
		if (ln >= 0) {
			close(parent);
			link[ln] = 0;
			char rewritten[PATH_MAX];
			int n;
			if (link[0] == '/')
				n = snprintf(rewritten, sizeof rewritten, "%s%s", link, path + end);
			else
				n = snprintf(rewritten, sizeof rewritten, "%.*s%s%s", (int)start, path, link, path + end);
			if (n < 0 || (size_t)n >= cap || (size_t)n >= sizeof rewritten) {
				errno = ENAMETOOLONG;
				return -1;
			}
			memcpy(path, rewritten, (size_t)n + 1);
			return 1;
		}

		size_t rest = end;
		while (path[rest] == '/')
			rest++;
		int is_last = path[rest] == 0;
		int r = create_component(parent, name, !is_last || last_is_dir);
		int saved_errno = errno;
		close(parent);
		if (r < 0) {
			errno = saved_errno;
			return -1;
		}
		start = end;
	}
}

int inroot_open(int rootfd, const char *path, int create)
{
	char cur[PATH_MAX];
	if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (int hop = 0; hop < MAX_HOPS; hop++) {
		int fd = open_in_root(rootfd, cur);
		if (fd >= 0 || errno != ENOENT || create == INROOT_NOCREATE)
			return fd;
		if (create_walk(rootfd, cur, sizeof cur, create == INROOT_DIR) < 0)
			return -1;
	}
	errno = ELOOP;
	return -1;
}

int inroot_open_parent(int rootfd, const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (base[0] == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	char dir[PATH_MAX];
	size_t dlen = (size_t)(base - path);
	if (dlen >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, dlen);
	dir[dlen] = 0;
	*name = base;
	return inroot_open(rootfd, dir, INROOT_DIR);
}
