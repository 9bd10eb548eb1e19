// A launch plan: everything the C helper does between clone and exec, fully resolved.
// Built from an OCI spec by plan/build-plan.ts, encoded by plan/encode.ts (format: native/plan.h).

export interface MountOp {
  source: string;
  /** Absolute path inside the container's rootfs. */
  target: string;
  /** "" for bind mounts. */
  fstype: string;
  /** MS_* flags for mount(2). */
  flags: bigint;
  /** MS_* propagation flags applied after the mount, 0n for none. */
  propagation: bigint;
  data: string;
  /** 0n for none; else a MS_REMOUNT|MS_BIND remount with these flags (read-only binds). */
  remountFlags: bigint;
  /** What to create when the target does not exist. */
  targetKind: 'dir' | 'file';
  /** A bind made id-mapped with the maps of LaunchPlan.usernsHolders[holder - 1]. */
  idmap?: { holder: number; recursive: boolean };
}

/** Same shape as the runtime spec's LinuxIDMapping. */
export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** The maps of a user namespace that exists only to id-map mounts (native/plan.h). */
export interface UsernsHolder {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
}

export interface StartHook {
  /** Resolved inside the container. */
  path: string;
  args: string[];
  env: string[];
  /** Seconds; 0 for none. */
  timeout: number;
}

export interface DeviceOp {
  /** Absolute path inside the rootfs. */
  path: string;
  type: 'c' | 'b' | 'p' | 'u';
  major: number;
  minor: number;
  /** Permission bits (no file-type bits). */
  mode: number;
  uid: number;
  gid: number;
  /** Bind-mount the host's node instead of mknod (user namespaces cannot mknod). */
  bindFromHost: boolean;
}

export interface NamespaceJoin {
  /** CLONE_NEW* flag of the namespace type. */
  type: number;
  path: string;
}

export interface RlimitOp {
  /** RLIMIT_* number. */
  resource: number;
  soft: bigint;
  hard: bigint;
}

export interface CapabilitySets {
  bounding: bigint;
  effective: bigint;
  inheritable: bigint;
  permitted: bigint;
  ambient: bigint;
}

export interface LaunchPlan {
  mode: 'create' | 'exec';
  /** stage0 stays as the process's parent, relays the terminal and reports the exit status. */
  foreground: boolean;
  cloneFlags: bigint;
  /** Ordered: the user namespace first. */
  joinNamespaces: NamespaceJoin[];
  /** The child waits for SYNC_GO (the parent writes id maps and joins cgroups first). */
  waitForGo: boolean;
  /** A new network namespace (no path): bring `lo` up in it, as runc does. */
  loopbackUp: boolean;
  /** The child stops before pivot_root for prestart/createRuntime/createContainer hooks. */
  runHooks: boolean;
  /** Text for /proc/self/timens_offsets of the new time namespace. */
  timeOffsets?: string;
  usernsHolders: UsernsHolder[];
  /** Holder (1-based) whose maps id-map the rootfs; absent for a plain rbind. */
  rootfsIdmap?: number;
  rootfs: string;
  rootfsReadonly: boolean;
  rootfsPropagation: bigint;
  noPivot: boolean;
  mounts: MountOp[];
  devices: DeviceOp[];
  symlinks: { target: string; path: string }[];
  maskedPaths: string[];
  readonlyPaths: string[];
  hostname?: string;
  domainname?: string;
  sysctls: { key: string; value: string }[];
  rlimits: RlimitOp[];
  capabilities?: CapabilitySets;
  noNewPrivileges: boolean;
  seccomp?: { flags: number; program: Buffer };
  user: { uid: number; gid: number; umask?: number; additionalGids: number[] };
  /** false when setgroups is denied in an unprivileged user namespace. */
  setgroups: boolean;
  cwd: string;
  env: string[];
  args: string[];
  execFifo?: string;
  terminal: boolean;
  consoleSocket?: string;
  consoleSize?: { rows: number; cols: number };
  preserveFds: number;
  syncFd: number;
  /** exec mode: the container's init pid on the host. */
  targetPid?: number;
  /** create mode: run in the container after `start`, before execve. */
  startHooks: StartHook[];
  /** A startContainer hook's stdin: before + the process's own pid + after. */
  hookState?: { before: string; after: string };
}
