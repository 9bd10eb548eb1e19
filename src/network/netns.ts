// Persistent network namespaces for containers, as files under a berth run root.
//
// Why not `ip netns add`: iproute2 keeps its namespaces in a compile-time directory (/run/netns;
// it reads no environment variable to move it), and sharing that directory would mix berth's
// namespaces with the administrator's. berth-nsexec (src/sys) creates a namespace, brings `lo`
// up and bind-mounts it onto any file in one exec, which is all `ip netns add` does besides
// choosing the path; unshare(1) and nsenter(1) took three execs and ~10 ms for the same.
//
// Like `ip netns`, the directory is made a shared mount (bind-mounted onto itself first if it
// is not a mount point). Containers started later copy the mount table, namespace files
// included; with shared propagation the unmount in deleteNetns reaches those copies
// (container mount namespaces are slaves of the host's), so the kernel can free the network
// namespace when the container is gone rather than when its last copy of the mount is.
import { mkdir, open, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BerthError } from '../errors.js';
import { MS } from '../sys/mount-options.js';
import { mountAtPath } from '../sys/mounts.js';
import { MNT_DETACH, nativeSys, type SysOp } from '../sys/native-sys.js';
import { run, type RunResult } from './run.js';

export const DEFAULT_NETNS_DIR = '/run/berth/netns';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

export interface NetnsOptions {
  /** Directory holding the namespace files; default /run/berth/netns. */
  dir?: string;
  /** Bring `lo` up inside the new namespace (default true): containers expect a working loopback. */
  loopbackUp?: boolean;
}

// Two berth processes doing this at once may both bind-mount the directory; the stacked mount
// is harmless (namespace files land on the top one, which every later lookup sees).
function sharedDirOps(dir: string): SysOp[] {
  let m = mountAtPath(dir);
  const ops: SysOp[] = [];
  if (!m) {
    ops.push({ op: 'mount', source: dir, target: dir, fstype: '', flags: MS.BIND, data: '' });
    m = { mountPoint: dir, propagation: [], fsType: '' };
  }
  if (!m.propagation.some((p) => p.startsWith('shared:'))) ops.push({ op: 'mount', source: '', target: dir, fstype: '', flags: MS.SHARED, data: '' });
  return ops;
}

/** Is `path` a bind-mounted network namespace? */
export async function isNetns(path: string): Promise<boolean> {
  const m = mountAtPath(resolve(path));
  return m !== undefined && (m.fsType === 'nsfs' || m.fsType === 'proc');
}

/** Create a persistent network namespace `<dir>/<name>` and return its path. */
export async function createNetns(name: string, opts: NetnsOptions = {}): Promise<string> {
  if (!NAME.test(name)) throw new BerthError('BERTH_EINVAL', `invalid network namespace name ${JSON.stringify(name)}`);
  const dir = resolve(opts.dir ?? DEFAULT_NETNS_DIR);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const shared = sharedDirOps(dir);
  if (shared.length > 0) {
    // before the file is made: a bind of the directory onto itself would hide it
    await nativeSys.run(shared).catch((e: Error) => {
      throw new BerthError('BERTH_ENETWORK', `cannot make ${dir} a shared mount: ${e.message}`, { cause: e });
    });
  }
  const path = join(dir, name);
  try {
    // O_EXCL: two containers racing for one name must not share a namespace.
    const fh = await open(path, 'wx', 0o444);
    await fh.close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new BerthError('BERTH_ENETWORK', `network namespace ${path} already exists`, { cause: e });
    }
    throw new BerthError('BERTH_ENETWORK', `cannot create network namespace file ${path}`, { cause: e });
  }
  try {
    await nativeSys.run([{ op: 'netns', target: path, loopbackUp: opts.loopbackUp ?? true }]);
  } catch (e) {
    await deleteNetns(path).catch(() => undefined);
    throw new BerthError('BERTH_ENETWORK', `cannot create network namespace ${path}: ${(e as Error).message}`, { cause: e });
  }
  return path;
}

/** Unmount and remove a namespace file. Missing or already-unmounted files are not an error. */
export async function deleteNetns(path: string): Promise<void> {
  const abs = resolve(path);
  // Lazy, as `ip netns del` does: a process still inside keeps the namespace, not the mount.
  while (await isNetns(abs)) {
    await nativeSys.run([{ op: 'umount', target: abs, flags: MNT_DETACH }]).catch((e: Error) => {
      throw new BerthError('BERTH_ENETWORK', `cannot unmount network namespace ${abs}: ${e.message}`, { cause: e });
    });
  }
  try {
    await unlink(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new BerthError('BERTH_ENETWORK', `cannot remove network namespace file ${abs}`, { cause: e });
    }
  }
}

/** Run a command inside a namespace (tests, diagnostics). Does not throw on a non-zero exit. */
export function execInNetns(path: string, cmd: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  if (cmd.length === 0) throw new BerthError('BERTH_EINVAL', 'execInNetns needs a command');
  return run('nsenter', [`--net=${path}`, ...cmd], opts);
}
