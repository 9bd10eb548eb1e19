/* Internal interface of berth-nsexec: the decoded plan and the functions of each file. */
#ifndef BERTH_NSEXEC_H
#define BERTH_NSEXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan.h"

struct mount_op {
	char *source, *target, *fstype, *data;
	uint64_t flags, propagation, remount_flags;
	uint32_t target_kind;
	uint32_t idmap_holder; /* 0: a plain mount; else PLAN_IDMAP_MOUNT's holder */
	uint32_t idmap_recursive;
	int tree_fd;           /* the id-mapped tree stage0 made, or -1 */
};

struct start_hook {
	char *path;
	char **args, **env; /* NULL-terminated */
	size_t nargs, nenv;
	uint32_t timeout;
};

struct device_op {
	char *path;
	uint32_t type, major, minor, mode, uid, gid, bind_from_host;
};

struct ns_join {
	uint32_t type;
	char *path;
};

struct str_pair {
	char *a, *b;
};

struct rlimit_op {
	uint32_t resource;
	uint64_t soft, hard;
};

struct plan {
	uint32_t mode, foreground, wait_go, run_hooks, loopback_up;
	uint64_t clone_flags;
	char *time_offsets;
	uint32_t userns_holders;
	uint32_t rootfs_idmap; /* holder, 0 = none */
	int rootfs_tree;       /* -1 unless rootfs_idmap */
	struct ns_join *joins;
	size_t njoins;

	char *rootfs;
	uint32_t rootfs_readonly, no_pivot;
	uint64_t rootfs_propagation;
	struct mount_op *mounts;
	size_t nmounts;
	struct device_op *devices;
	size_t ndevices;
	struct str_pair *symlinks; /* a = target, b = link path */
	size_t nsymlinks;
	char **masks;
	size_t nmasks;
	char **readonly_paths;
	size_t nreadonly;

	char *hostname, *domainname;
	struct str_pair *sysctls; /* a = dotted key, b = value */
	size_t nsysctls;
	struct rlimit_op *rlimits;
	size_t nrlimits;

	int has_caps;
	uint64_t cap_bounding, cap_effective, cap_inheritable, cap_permitted, cap_ambient;
	uint32_t no_new_privs;
	int has_seccomp;
	uint32_t seccomp_flags;
	uint8_t *seccomp_prog;
	size_t seccomp_len;

	int has_user;
	uint32_t uid, gid, umask;
	uint32_t *gids;
	size_t ngids;
	uint32_t setgroups;

	char *cwd;
	char **env; /* NULL-terminated */
	size_t nenv;
	char **args; /* NULL-terminated */
	size_t nargs;
	char *exec_fifo;
	uint32_t terminal;
	char *console_socket;
	int has_console_size;
	uint32_t rows, cols;
	uint32_t preserve_fds;
	uint32_t sync_fd;
	uint32_t target_pid;
	char *hook_state_before, *hook_state_after;
	struct start_hook *start_hooks;
	size_t nstart_hooks;
};

/* plan.c */
int plan_decode(const uint8_t *buf, size_t len, struct plan *p, char *why, size_t whylen);

/* sync.c: frames on the sync socket, and reporting failures as SYNC_ERROR */
void sync_set_fd(int fd);
int sync_get_fd(void);
int sync_send(uint16_t tag, const void *payload, uint32_t len);
uint8_t *sync_read(uint16_t *tag, uint32_t *len);
void sync_expect(uint16_t tag, const char *step);
/* fail() appends ": <errno text>" to the message; fail_msg() sends the message as is. Both send
 * SYNC_ERROR {err, step, message} and exit 1. */
__attribute__((noreturn, format(printf, 3, 4))) void fail(int err, const char *step, const char *fmt, ...);
__attribute__((noreturn, format(printf, 3, 4))) void fail_msg(int err, const char *step, const char *fmt, ...);
const char *errtext(int err);
int read_full(int fd, void *buf, size_t n);
int write_full(int fd, const void *buf, size_t n);

/* inroot.c: resolve a path inside a root directory fd, never leaving it */
enum { INROOT_NOCREATE = 0, INROOT_DIR = MOUNT_TARGET_DIR, INROOT_FILE = MOUNT_TARGET_FILE };
int inroot_open(int rootfd, const char *path, int create);
int inroot_open_parent(int rootfd, const char *path, const char **name);

/* rootfs.c */
int rootfs_prepare(const struct plan *p);
void rootfs_enter(const struct plan *p, int rootfd);
void rootfs_finish(const struct plan *p);

/* creds.c */
void creds_become_ns_root(void);
void creds_apply_rlimits(const struct plan *p);
void creds_apply_user(const struct plan *p);

/* seccomp.c */
void seccomp_apply(const struct plan *p);
int seccomp_load_late(const struct plan *p);

/* console.c: the pty (child side) and passing its master */
void console_setup(const struct plan *p, int console_sock, int relay_sock);
int console_recv_master(int sock);

/* foreground.c: stage0 as the waiting parent */
void foreground_block_signals(void);
int foreground_wait(const struct plan *p, pid_t child, int relay_sock);

/* exec.c */
char *exec_lookup(const struct plan *p);
void exec_wait_fifo(int fifofd);
void exec_close_fds(const struct plan *p);
__attribute__((noreturn)) void exec_container(const struct plan *p, const char *path);

/* idmap.c: stage0 makes the id-mapped trees (see plan.h); the child moves them into place */
void idmap_prepare(struct plan *p);
int idmap_move(int tree_fd, int target_fd);

/* start-hooks.c */
void start_hooks_run(const struct plan *p);

/* sealed-exe.c */
void sealed_exe_ensure(char **argv);

/* child.c */
__attribute__((noreturn)) void child_main(const struct plan *p, int start_pipe, int console_sock, int relay_sock,
					    int target_root, int fifofd);

/* device-filter.c: `berth-nsexec --device-filter CGROUP_DIR`, a mode of its own (see there) */
int device_filter_main(int argc, char **argv);
int sys_ops_main(int argc, char **argv);
int loopback_up(void);

#endif
