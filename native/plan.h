/*
 * The launch plan and the sync protocol between berth's TypeScript runtime and the C helper.
 *
 * Every decision is taken in TypeScript (src/runtime/plan/); this helper only carries it out.
 * The TypeScript side of this file is src/runtime/plan/tags.ts: keep the numbers identical.
 *
 * ---------------------------------------------------------------------------------------------
 * Wire format of one record (plan records and sync frames alike), all integers little-endian:
 *
 *     u16 tag | u32 length | length bytes of payload
 *
 * Payload types used below:
 *     u32, u64, i32      fixed-size integers
 *     str                bytes, NOT NUL-terminated in the frame (the decoder adds the NUL)
 *     strv               u32 count, then count times (u32 len, bytes)
 *     bytes              the rest of the payload, as is
 * A payload that is a single str is the bare bytes. Inside a payload of several fields every str
 * is prefixed with its u32 length (so "u32 type, str path" is u32 type | u32 len | bytes).
 * A str must not contain a NUL byte. Every record's payload must be consumed exactly.
 * Unknown tags are an error. Every length is checked against the bytes that remain.
 *
 * The helper is started as `berth-nsexec [SYNC_FD]`: SYNC_FD (default 3) must equal PLAN_SYNC_FD,
 * since the plan itself arrives on that fd.
 *
 * ---------------------------------------------------------------------------------------------
 * Sync protocol, over fd 3 (a unix socketpair from the TypeScript parent). One table:
 *
 *  step | from -> to        | frame          | payload                  | meaning
 *  -----+-------------------+----------------+--------------------------+-----------------------------------
 *   1   | parent -> stage0  | SYNC_PLAN      | plan records             | the whole launch plan
 *   1a  | stage0 -> parent  | SYNC_USERNS    | n x u32 host pid         | only with PLAN_USERNS_HOLDERS n > 0:
 *       |                   |                |                          | n processes, each in a new user
 *       |                   |                |                          | namespace, wait for their id maps
 *   1b  | parent -> stage0  | SYNC_USERNS_OK | -                        | holder maps written (plan order); stage0
 *       |                   |                |                          | makes the id-mapped trees, then clones
 *   2   | stage0 -> parent  | SYNC_PID       | u32 host pid             | the container process exists (after
 *       |                   |                |                          | clone, or after setns+fork for exec)
 *   3   | parent -> child   | SYNC_GO        | -                        | id maps written, cgroups joined,
 *       |                   |                |                          | oom_score_adj set: carry on
 *   4   | child  -> parent  | SYNC_HOOKS     | -                        | mounts done, before pivot_root: run
 *       |                   |                |                          | prestart/createRuntime/createContainer
 *       |                   |                |                          | hooks (only if PLAN_RUN_HOOKS is set)
 *   5   | parent -> child   | SYNC_HOOKS_OK  | -                        | hooks have run
 *   6   | child  -> parent  | SYNC_READY     | -                        | all set up; the child now blocks on the
 *       |                   |                |                          | exec fifo (create) or execs (exec)
 *   7   | stage0 -> parent  | SYNC_EXIT      | i32 wait status          | foreground mode only: the process ended
 *  any  | stage0/child ->   | SYNC_ERROR     | i32 errno, str step,     | a step failed; the sender exits 1 after
 *       |   parent          |                | str message              | sending it
 *
 * ID-mapped mounts (PLAN_IDMAP_MOUNT, PLAN_ROOTFS_IDMAP). The kernel lets only a holder of
 * CAP_SYS_ADMIN in the user namespace that owns the filesystem (the initial one, for host
 * filesystems) make an id-mapped mount, and the container process has lost that once it is in its
 * own user namespace. So stage0 makes every tree before clone:
 *   - it forks PLAN_USERNS_HOLDERS processes, each in a new user namespace, and reports their pids
 *     (SYNC_USERNS); the parent writes each holder's uid_map/gid_map (its own copy of the maps, plan
 *     order) and answers SYNC_USERNS_OK. TypeScript gives mounts with equal mappings one holder, and
 *     the container's own mappings (for the rootfs) are just one more holder: an id-mapped mount
 *     keeps the mapping, not the namespace, so a holder with equal maps is equivalent.
 *   - stage0 opens each holder's /proc/PID/ns/user and lets the holders exit;
 *   - per record: open_tree(source, OPEN_TREE_CLONE [| AT_RECURSIVE for MS_REC]), propagation
 *     MS_SLAVE on the whole tree (the clone would otherwise stay a peer of the host's mount, and the
 *     container's mounts on it would propagate back), then mount_setattr(MOUNT_ATTR_IDMAP) with the
 *     holder's namespace fd, on the top mount or, for "ridmap" / the rootfs, recursively;
 *   - the child inherits the tree fds through clone and move_mount()s each onto its target, resolved
 *     in the rootfs like any other mount target; remount flags and propagation then apply as for
 *     PLAN_MOUNT. These happen before any join of PLAN_JOIN_NS, in the host's namespaces.
 *
 * startContainer hooks (PLAN_START_HOOK) run in the child after the exec fifo is released and before
 * execve (and before a late seccomp filter), as the container user: fork, the state on stdin (the
 * bytes of PLAN_HOOK_STATE with the child's own pid between them, as runc reports getpid()), execve,
 * wait with the timeout. A failing hook fails the container: SYNC_ERROR, or stderr once nobody
 * listens on the sync socket, and the user's program never runs.
 *
 * The parent may close fd 3 after READY (create mode). In foreground mode stage0 stays the parent
 * of the container process, forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2/SIGWINCH to it,
 * relays the terminal when PLAN_TERMINAL is set without a console socket, and exits with the
 * container's exit status (128+N for a signal).
 * ---------------------------------------------------------------------------------------------
 */
#ifndef BERTH_PLAN_H
#define BERTH_PLAN_H

/* sync frame tags */
#define SYNC_PLAN      1
#define SYNC_PID       2
#define SYNC_GO        3
#define SYNC_HOOKS     4
#define SYNC_HOOKS_OK  5
#define SYNC_READY     6
#define SYNC_EXIT      7
#define SYNC_ERROR     8
#define SYNC_USERNS    9
#define SYNC_USERNS_OK 60 /* above the plan record range: tags.test.ts wants the two sets apart */

/* plan record tags (inside the SYNC_PLAN payload), in the order TypeScript emits them */
#define PLAN_MODE            10 /* u32: 1 = create (clone new container), 2 = exec (setns into one) */
#define PLAN_FOREGROUND      11 /* u32 0/1: stage0 stays, waits, relays, reports SYNC_EXIT */
#define PLAN_CLONE_FLAGS     12 /* u64: CLONE_NEW* flags for namespaces to create */
#define PLAN_JOIN_NS         13 /* u32 CLONE_NEW* type, str path: setns before clone/fork, in order */
#define PLAN_WAIT_GO         14 /* u32 0/1: child waits for SYNC_GO (id maps / cgroups by parent) */
#define PLAN_RUN_HOOKS       15 /* u32 0/1: child sends SYNC_HOOKS before pivot_root and waits */
#define PLAN_TIME_OFFSETS    16 /* str: written to /proc/self/timens_offsets by stage0 after
                                  unshare(CLONE_NEWTIME), before clone (the only moment it may be) */
#define PLAN_LOOPBACK_UP     18 /* u32 0/1: the child brings `lo` up in its new network namespace (runc
                                  does for a network namespace without a path) */
#define PLAN_USERNS_HOLDERS  17 /* u32 n: user namespaces for id-mapped mounts, numbered 1..n */
#define PLAN_ROOTFS_IDMAP    19 /* u32 holder (1..n): the rootfs is bound onto itself id-mapped,
                                  recursively, instead of the plain rbind */
#define PLAN_ROOTFS          20 /* str: absolute host path of the root filesystem */
#define PLAN_ROOTFS_READONLY 21 /* u32 0/1 */
#define PLAN_ROOTFS_PROPAGATION 22 /* u64: MS_* propagation for "/" before mounting (MS_REC|MS_SLAVE default) */
#define PLAN_NO_PIVOT        23 /* u32 0/1: chroot instead of pivot_root */
#define PLAN_MOUNT           24 /* mount op, see below */
#define PLAN_DEVICE          25 /* device op, see below */
#define PLAN_SYMLINK         26 /* str target, str linkpath (inside rootfs) */
#define PLAN_MASK            27 /* str path: /dev/null over files, ro tmpfs over dirs */
#define PLAN_READONLY_PATH   28 /* str path: bind onto itself, remount read-only */
#define PLAN_IDMAP_MOUNT     29 /* u32 holder (1..n) | u32 recursive idmap (0/1) | PLAN_MOUNT payload:
                                  a bind (fstype "") made id-mapped by stage0, see above; it takes
                                  its place among the PLAN_MOUNT records in plan order */
#define PLAN_HOSTNAME        30 /* str */
#define PLAN_DOMAINNAME      31 /* str */
#define PLAN_SYSCTL          32 /* str key (dotted), str value */
#define PLAN_RLIMIT          33 /* u32 resource, u64 soft, u64 hard */
#define PLAN_CAPS            34 /* u64 bounding, effective, inheritable, permitted, ambient */
#define PLAN_NO_NEW_PRIVS    35 /* u32 0/1 */
#define PLAN_SECCOMP         36 /* u32 flags (SECCOMP_FILTER_FLAG_*), bytes: sock_filter array */
#define PLAN_USER            37 /* u32 uid, u32 gid, u32 umask (0xffffffff = leave), u32 n, n x u32 gids */
#define PLAN_SETGROUPS       38 /* u32 0/1: call setgroups() (0 when setgroups is denied in a userns) */
#define PLAN_CWD             40 /* str */
#define PLAN_ENV             41 /* strv */
#define PLAN_ARGS            42 /* strv; args[0] is looked up in PATH of env inside the container */
#define PLAN_EXEC_FIFO       43 /* str: host path; stage0 creates it (mkfifo 0622), child opens it O_PATH
                                  before pivot_root and blocks on it before execve */
#define PLAN_TERMINAL        44 /* u32 0/1 */
#define PLAN_CONSOLE_SOCKET  45 /* str: host path of a unix socket; stage0 connects, child sends the
                                  pty master over it with SCM_RIGHTS */
#define PLAN_CONSOLE_SIZE    46 /* u32 rows, u32 cols */
#define PLAN_PRESERVE_FDS    47 /* u32 n: fds 3 .. 3+n-1 of the *caller* are passed through; the sync fd
                                  is then at 3+n (see PLAN_SYNC_FD) */
#define PLAN_SYNC_FD         48 /* u32: which fd is the sync socket (default 3) */
#define PLAN_PID_FILE        49 /* unused by C (TypeScript writes it); reserved */
#define PLAN_CHDIR_NS_PID    50 /* u32 pid: exec mode, the target container's host pid (for /proc/PID/root) */
#define PLAN_HOOK_STATE      51 /* str before, str after: a startContainer hook's stdin is
                                  before | decimal getpid() | after */
#define PLAN_START_HOOK      52 /* str path | strv args | strv env | u32 timeout seconds (0 = none) */

/* PLAN_MOUNT payload:
 *   str source | str target (absolute, inside rootfs) | str fstype ("" for bind) |
 *   u64 flags (MS_*) | u64 propagation (MS_* applied after, 0 = none) | str data |
 *   u64 remount_flags (0 = none; else mount(NULL, t, NULL, MS_REMOUNT|MS_BIND|remount_flags)) |
 *   u32 target_kind (1 = directory, 2 = file: what to create when the target is missing)
 * The target is resolved inside the rootfs without following symlinks out of it
 * (openat2 RESOLVE_IN_ROOT, or a component walk where openat2 is missing), and the mount is done
 * on /proc/self/fd/N of the resolved O_PATH fd.
 */
#define MOUNT_TARGET_DIR  1
#define MOUNT_TARGET_FILE 2

/* PLAN_DEVICE payload:
 *   str path (inside rootfs) | u32 type ('c','b','p','u') | u32 major | u32 minor | u32 mode (perm bits) |
 *   u32 uid | u32 gid | u32 bind_from_host (0/1: bind-mount the host node instead of mknod, for userns)
 */

#define MODE_CREATE 1
#define MODE_EXEC   2

#endif
