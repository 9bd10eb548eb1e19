// fstab-style mount options (mount(8)) → mount(2) flags, as the OCI spec's `mounts[].options` use them.
// Whatever is not a known flag goes to the filesystem as data (mode=755,size=65536k), in order.

/** MS_* constants of <linux/mount.h>. */
export const MS = {
  RDONLY: 0x1n,
  NOSUID: 0x2n,
  NODEV: 0x4n,
  NOEXEC: 0x8n,
  SYNCHRONOUS: 0x10n,
  REMOUNT: 0x20n,
  MANDLOCK: 0x40n,
  DIRSYNC: 0x80n,
  NOSYMFOLLOW: 0x100n,
  NOATIME: 0x400n,
  NODIRATIME: 0x800n,
  BIND: 0x1000n,
  MOVE: 0x2000n,
  REC: 0x4000n,
  SILENT: 0x8000n,
  POSIXACL: 0x10000n,
  UNBINDABLE: 0x20000n,
  PRIVATE: 0x40000n,
  SLAVE: 0x80000n,
  SHARED: 0x100000n,
  RELATIME: 0x200000n,
  I_VERSION: 0x800000n,
  STRICTATIME: 0x1000000n,
  LAZYTIME: 0x2000000n,
} as const;

/** [clear, flag]: `clear` options remove the flag a previous option may have set ("rw" after "ro"). */
const FLAG_OPTIONS: ReadonlyMap<string, readonly [boolean, bigint]> = new Map([
  ['acl', [false, MS.POSIXACL]],
  ['async', [true, MS.SYNCHRONOUS]],
  ['atime', [true, MS.NOATIME]],
  ['bind', [false, MS.BIND]],
  ['defaults', [false, 0n]],
  ['dev', [true, MS.NODEV]],
  ['diratime', [true, MS.NODIRATIME]],
  ['dirsync', [false, MS.DIRSYNC]],
  ['exec', [true, MS.NOEXEC]],
  ['iversion', [false, MS.I_VERSION]],
  ['lazytime', [false, MS.LAZYTIME]],
  ['loud', [true, MS.SILENT]],
  ['mand', [false, MS.MANDLOCK]],
  ['noacl', [true, MS.POSIXACL]],
  ['noatime', [false, MS.NOATIME]],
  ['nodev', [false, MS.NODEV]],
  ['nodiratime', [false, MS.NODIRATIME]],
  ['noexec', [false, MS.NOEXEC]],
  ['noiversion', [true, MS.I_VERSION]],
  ['nolazytime', [true, MS.LAZYTIME]],
  ['nomand', [true, MS.MANDLOCK]],
  ['norelatime', [true, MS.RELATIME]],
  ['nostrictatime', [true, MS.STRICTATIME]],
  ['nosuid', [false, MS.NOSUID]],
  ['nosymfollow', [false, MS.NOSYMFOLLOW]],
  ['rbind', [false, MS.BIND | MS.REC]],
  ['relatime', [false, MS.RELATIME]],
  ['remount', [false, MS.REMOUNT]],
  ['ro', [false, MS.RDONLY]],
  ['rw', [true, MS.RDONLY]],
  ['silent', [false, MS.SILENT]],
  ['strictatime', [false, MS.STRICTATIME]],
  ['suid', [true, MS.NOSUID]],
  ['symfollow', [true, MS.NOSYMFOLLOW]],
  ['sync', [false, MS.SYNCHRONOUS]],
]);

export const PROPAGATION_OPTIONS: ReadonlyMap<string, bigint> = new Map([
  ['private', MS.PRIVATE],
  ['rprivate', MS.PRIVATE | MS.REC],
  ['shared', MS.SHARED],
  ['rshared', MS.SHARED | MS.REC],
  ['slave', MS.SLAVE],
  ['rslave', MS.SLAVE | MS.REC],
  ['unbindable', MS.UNBINDABLE],
  ['runbindable', MS.UNBINDABLE | MS.REC],
]);

/** Recursive mount attributes (mount_setattr with AT_RECURSIVE). The launch plan has no operation for
 * them yet, so they are refused rather than silently applied to the top mount only. */
export const RECURSIVE_OPTIONS: ReadonlySet<string> = new Set([
  'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnodiratime', 'rdiratime',
  'rrelatime', 'rnorelatime', 'rnoatime', 'ratime', 'rstrictatime', 'rnostrictatime', 'rnosymfollow', 'rsymfollow',
]);

/** Options that are instructions to the runtime rather than to mount(2). */
export const RUNTIME_OPTIONS: ReadonlySet<string> = new Set(['tmpcopyup', 'idmap', 'ridmap']);

export interface ParsedMountOptions {
  flags: bigint;
  /** Propagation changes in the order given; the kernel takes one type per call. */
  propagation: bigint[];
  /** Filesystem-specific options, comma-joined, in the order given. */
  data: string;
  recursive: string[];
  runtime: string[];
}

export function parseMountOptions(options: readonly string[] | undefined): ParsedMountOptions {
  let flags = 0n;
  const propagation: bigint[] = [];
  const data: string[] = [];
  const recursive: string[] = [];
  const runtime: string[] = [];
  for (const o of options ?? []) {
    const f = FLAG_OPTIONS.get(o);
    if (f !== undefined) {
      flags = f[0] ? flags & ~f[1] : flags | f[1];
      continue;
    }
    const p = PROPAGATION_OPTIONS.get(o);
    if (p !== undefined) propagation.push(p);
    else if (RECURSIVE_OPTIONS.has(o)) recursive.push(o);
    else if (RUNTIME_OPTIONS.has(o)) runtime.push(o);
    else if (o !== '') data.push(o);
  }
  return { flags, propagation, data: data.join(','), recursive, runtime };
}

/** Every option name parseMountOptions understands, for `features`. Recursive attributes are left
 * out until the launch plan can apply them. */
export function knownMountOptions(): string[] {
  return [...FLAG_OPTIONS.keys(), ...PROPAGATION_OPTIONS.keys()].sort();
}

/** The flags that a bind mount's MS_REMOUNT|MS_BIND pass must carry (mount(2) ignores them on the
 * first, binding call). */
export function bindRemountFlags(flags: bigint): bigint {
  return flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
}
