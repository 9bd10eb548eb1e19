// berth's default seccomp profile: in effect the one Docker applies (moby's profiles/seccomp),
// written as our own data. Deny by default with EPERM; allow what ordinary programs use; allow the
// privileged calls only to containers that hold the capability that guards them in the kernel, so
// the filter never blocks what the capability set already grants, and never opens what it does not.
//
// Kernel ≥ 4.8 is assumed (ptrace is allowed without CAP_SYS_PTRACE, as Docker does from 4.8 on:
// before it, ptrace could bypass seccomp).
import { nativeScmpArch } from './compile.js';
import type { SeccompArch, SeccompSpec, SeccompSyscall } from './types.js';

const words = (s: string): string[] => s.trim().split(/\s+/);

/** What almost any program needs, grouped by what it is for. */
const ALLOWED: readonly string[] = [
  // files and descriptors
  ...words(`access chdir chmod chown chown32 close close_range copy_file_range creat dup dup2 dup3
    faccessat faccessat2 fadvise64 fadvise64_64 fallocate fchdir fchmod fchmodat fchown fchown32 fchownat
    fcntl fcntl64 fdatasync flock fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64
    futimesat getcwd getdents getdents64 ioctl lchown lchown32 link linkat _llseek lseek lstat lstat64
    mkdir mkdirat mknod mknodat name_to_handle_at newfstatat open openat openat2 pipe pipe2 pread64 preadv preadv2
    pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv rename renameat renameat2 rmdir
    sendfile sendfile64 splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range
    syncfs tee truncate truncate64 umask unlink unlinkat utime utimensat utimensat_time64 utimes vmsplice
    write writev`),
  // extended attributes
  ...words(`fgetxattr flistxattr fremovexattr fsetxattr getxattr lgetxattr listxattr llistxattr
    lremovexattr lsetxattr removexattr setxattr`),
  // waiting for events
  ...words(`epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
    epoll_wait_old eventfd eventfd2 fanotify_mark inotify_add_watch inotify_init inotify_init1
    inotify_rm_watch poll ppoll ppoll_time64 pselect6 pselect6_time64 select _newselect signalfd signalfd4
    timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64`),
  // asynchronous I/O
  ...words(`io_cancel io_destroy io_getevents io_pgetevents io_pgetevents_time64 io_setup io_submit
    io_uring_enter io_uring_register io_uring_setup`),
  // memory
  ...words(`brk madvise membarrier memfd_create memfd_secret mincore mlock mlock2 mlockall mmap mmap2
    mprotect mremap msync munlock munlockall munmap pkey_alloc pkey_free pkey_mprotect remap_file_pages`),
  // processes and threads
  ...words(`execve execveat exit exit_group fork vfork getpid getppid gettid getpgid getpgrp getsid
    setpgid setsid wait4 waitid waitpid pidfd_open pidfd_send_signal prctl process_mrelease rseq
    set_robust_list get_robust_list set_tid_address get_thread_area set_thread_area futex futex_time64
    futex_waitv restart_syscall seccomp capget capset landlock_add_rule landlock_create_ruleset
    landlock_restrict_self uname sysinfo getcpu getrandom times getrusage`),
  // debugging one's own children: safe since kernel 4.8
  ...words('ptrace process_vm_readv process_vm_writev'),
  // user and group ids (the kernel checks CAP_SETUID/CAP_SETGID itself)
  ...words(`getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getresgid
    getresgid32 getresuid getresuid32 getuid getuid32 setfsgid setfsgid32 setfsuid setfsuid32 setgid
    setgid32 setgroups setgroups32 setregid setregid32 setresgid setresgid32 setresuid setresuid32
    setreuid setreuid32 setuid setuid32`),
  // limits and scheduling
  ...words(`getpriority setpriority getrlimit setrlimit ugetrlimit prlimit64 ioprio_get ioprio_set
    sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
    sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr
    sched_setparam sched_setscheduler sched_yield`),
  // signals
  ...words(`alarm kill tgkill tkill pause rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
    rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sigaltstack
    sigprocmask sigreturn`),
  // clocks and timers (adjtimex and clock_adjtime only read without CAP_SYS_TIME)
  ...words(`adjtimex clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime
    clock_gettime64 clock_nanosleep clock_nanosleep_time64 gettimeofday nanosleep time getitimer setitimer
    timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64`),
  // sockets (socket itself is below: not every address family)
  ...words(`accept accept4 bind connect getpeername getsockname getsockopt listen recv recvfrom recvmmsg
    recvmmsg_time64 recvmsg send sendmmsg sendmsg sendto setsockopt shutdown socketcall socketpair`),
  // System V and POSIX IPC (namespaced per container)
  ...words(`ipc mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
    mq_timedsend_time64 mq_unlink msgctl msgget msgrcv msgsnd semctl semget semop semtimedop
    semtimedop_time64 shmat shmctl shmdt shmget`),
];

/** Calls that exist only on some architectures; a name the arch lacks is skipped by the compiler. */
const ARCH_SPECIFIC: readonly string[] = [
  ...words('arch_prctl modify_ldt'), // x86
  // arm; Docker also lists sync_file_range2, which is arm_sync_file_range's other name there
  ...words('arm_fadvise64_64 arm_sync_file_range breakpoint cacheflush set_tls'),
];

/** Calls a container may make only when it holds the capability the kernel checks for them. */
const BY_CAPABILITY: Readonly<Record<string, readonly string[]>> = {
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_ADMIN: words(`bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie mount
    mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname
    setns syslog umount umount2 unshare`),
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: ['delete_module', 'init_module', 'finit_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: words('kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace'),
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'],
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
};

// <linux/sched.h>: every flag that makes clone(2) create a namespace.
const CLONE_NEWNS = 0x00020000;
const CLONE_NEWCGROUP = 0x02000000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
const CLONE_NAMESPACE_FLAGS = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

// <linux/personality.h>: the personas a container may switch to, and 0xffffffff, which only queries.
const PER_LINUX = 0x0000;
const PER_LINUX32 = 0x0008;
const UNAME26 = 0x0020000;
const PERSONALITY_QUERY = 0xffffffff;
const PERSONAS = [PER_LINUX, PER_LINUX32, UNAME26, UNAME26 | PER_LINUX32, PERSONALITY_QUERY];

const AF_VSOCK = 40;
const EPERM = 1;
const ENOSYS = 38;

/** The arches Docker filters on each host: the native ABI and the compat ABIs it can run. */
const ARCHES_ON: Readonly<Record<string, SeccompArch[]>> = {
  SCMP_ARCH_X86_64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  SCMP_ARCH_AARCH64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  SCMP_ARCH_X86: ['SCMP_ARCH_X86'],
  SCMP_ARCH_ARM: ['SCMP_ARCH_ARM'],
};

function capName(c: string): string {
  const u = c.toUpperCase();
  return u.startsWith('CAP_') ? u : `CAP_${u}`;
}

export function defaultSeccompProfile(opts: { capabilities: string[]; arch?: string }): SeccompSpec {
  const caps = new Set(opts.capabilities.map(capName));
  const native = nativeScmpArch(opts.arch) ?? 'SCMP_ARCH_X86_64';
  const allow = (names: readonly string[]): SeccompSyscall => ({ names: [...names], action: 'SCMP_ACT_ALLOW' });

  const syscalls: SeccompSyscall[] = [allow([...ALLOWED, ...ARCH_SPECIFIC])];
  syscalls.push({
    names: ['socket'],
    action: 'SCMP_ACT_ALLOW',
    // vsock reaches the host's hypervisor sockets, outside the container's network namespace.
    args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }],
  });
  for (const p of PERSONAS) {
    syscalls.push({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: p, op: 'SCMP_CMP_EQ' }] });
  }
  for (const [cap, names] of Object.entries(BY_CAPABILITY)) {
    if (caps.has(cap)) syscalls.push(allow(names));
  }
  if (!caps.has('CAP_SYS_ADMIN')) {
    // Threads and processes yes, new namespaces no.
    syscalls.push({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    });
    // clone3 passes its flags in memory, out of seccomp's sight: ENOSYS makes libc fall back to clone.
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }

  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: [...(ARCHES_ON[native] ?? [native])],
    syscalls,
  };
}
