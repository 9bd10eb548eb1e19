// The host's mount table, and carrying out a snapshotter's mount descriptions onto a directory
// (the container rootfs, a build step's root) and undoing them. One module for the engine and the
// builder: both mount what storage describes and unmount it again.
import { mkdirSync, readFileSync } from 'node:fs';
import { BerthError } from '../errors.js';
import { MS, bindRemountFlags, parseMountOptions } from './mount-options.js';
import { MNT_DETACH, nativeSys, type Sys, type SysOp } from './native-sys.js';

export interface MountEntry {
  mountPoint: string;
  /** Optional fields of mountinfo: shared:N, master:N, … */
  propagation: string[];
  fsType: string;
}

/** A snapshotter's mount description (storage's Mount): fstab-style options, as mount(8) takes them. */
export interface MountDescription {
  type: string;
  source: string;
  options: string[];
}

// mountinfo escapes space, tab, newline and backslash as octal.
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const sep = line.indexOf(' - ');
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    entries.push({ mountPoint: unescapeMount(left[4] ?? ''), propagation: left.slice(6), fsType: right[0] ?? '' });
  }
  return entries;
}

export function readMountTable(): MountEntry[] {
  try {
    return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return [];
  }
}

/** The last (topmost) mount at `path`, if any. */
export function mountAtPath(path: string): MountEntry | undefined {
  return readMountTable().filter((m) => m.mountPoint === path).pop();
}

export function isMountPoint(path: string): boolean {
  return readMountTable().some((m) => m.mountPoint === path);
}

/** Mount points at or below `dir`. */
export function mountsBelow(dir: string): string[] {
  return readMountTable().map((m) => m.mountPoint).filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** The mount(2) calls for one description: a bind is recursive and, read-only, needs a remount. */
export function mountOps(m: MountDescription, target: string, opts: { readonly?: boolean } = {}): SysOp[] {
  const parsed = parseMountOptions(m.options);
  const readonly = opts.readonly === true || (parsed.flags & MS.RDONLY) !== 0n;
  const flags = readonly ? parsed.flags | MS.RDONLY : parsed.flags;
  const ops: SysOp[] = [];
  if (m.type === 'bind') {
    ops.push({ op: 'mount', source: m.source, target, fstype: '', flags: MS.BIND | MS.REC, data: '' });
    if (readonly) ops.push({ op: 'mount', source: '', target, fstype: '', flags: MS.REMOUNT | MS.BIND | bindRemountFlags(flags), data: '' });
  } else {
    ops.push({ op: 'mount', source: m.source, target, fstype: m.type, flags, data: parsed.data });
  }
  for (const p of parsed.propagation) ops.push({ op: 'mount', source: '', target, fstype: '', flags: p, data: '' });
  return ops;
}

/** Mounts the snapshotter's single description onto `target` (made if missing). */
export async function mountAt(mounts: readonly MountDescription[], target: string, opts: { readonly?: boolean; what?: string } = {}, sys: Sys = nativeSys): Promise<void> {
  const what = opts.what ?? 'mount';
  if (mounts.length !== 1) throw new BerthError('BERTH_EUNSUPPORTED', `${what}: expected one mount from the snapshotter, got ${mounts.length}`);
  mkdirSync(target, { recursive: true, mode: 0o755 });
  try {
    await sys.run(mountOps(mounts[0]!, target, opts));
  } catch (e) {
    throw new BerthError('BERTH_EINTERNAL', `${what} at ${target}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Unmounts everything at or below `target`, deepest first; a path not mounted is fine. A busy
 * mount (a process still inside) is detached instead: the kernel frees it when the last user goes.
 */
export async function unmountAll(target: string, sys: Sys = nativeSys): Promise<void> {
  for (const p of mountsBelow(target).sort((a, b) => b.length - a.length)) {
    try {
      await sys.run([{ op: 'umount', target: p, flags: 0 }]);
    } catch {
      await sys.run([{ op: 'umount', target: p, flags: MNT_DETACH }]).catch(() => undefined);
    }
  }
}
