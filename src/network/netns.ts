// Persistent network namespaces for containers, as files under a berth run root.
//
// Why `unshare --net=FILE` and not `ip netns add`: iproute2 keeps its namespaces in a
// compile-time directory (/run/netns; it reads no environment variable to move it), and sharing
// that directory would mix berth's namespaces with the administrator's. util-linux `unshare`
// creates a namespace and bind-mounts it onto any existing file in one exec, which is all
// `ip netns add` does besides choosing the path. Node itself cannot unshare or mount.
//
// Like `ip netns`, the directory is made a shared mount (bind-mounted onto itself first if it
// is not a mount point). Containers started later copy the mount table, namespace files
// included; with shared propagation the unmount in deleteNetns reaches those copies
// (container mount namespaces are slaves of the host's), so the kernel can free the network
// namespace when the container is gone rather than when its last copy of the mount is.
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BerthError } from '../errors.js';
import { run, runChecked, type RunResult } from './run.js';

export const DEFAULT_NETNS_DIR = '/run/berth/netns';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

export interface NetnsOptions {
  /** Directory holding the namespace files; default /run/berth/netns. */
  dir?: string;
  /** Bring `lo` up inside the new namespace (default true): containers expect a working loopback. */
  loopbackUp?: boolean;
}

interface MountEntry {
  mountPoint: string;
  propagation: string[];
  fsType: string;
}

// mountinfo escapes space, tab, newline and backslash as octal.
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export async function readMountInfo(): Promise<MountEntry[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const sep = line.indexOf(' - ');
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    entries.push({ mountPoint: unescapeMount(left[4] ?? ''), propagation: left.slice(6), fsType: right[0] ?? '' });
  }
  return entries;
}

/** The last (topmost) mount at `path`, if any. */
async function mountAt(path: string): Promise<MountEntry | undefined> {
  const all = await readMountInfo();
  return all.filter((m) => m.mountPoint === path).pop();
}

// Two berth processes doing this at once may both bind-mount the directory; the stacked mount
// is harmless (namespace files land on the top one, which every later lookup sees).
async function ensureSharedDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  let m = await mountAt(dir);
  if (!m) {
    await runChecked(`cannot bind-mount ${dir} onto itself`, 'mount', ['--bind', dir, dir]);
    m = await mountAt(dir);
  }
  if (!m?.propagation.some((p) => p.startsWith('shared:'))) {
    await runChecked(`cannot make ${dir} a shared mount`, 'mount', ['--make-shared', dir]);
  }
}

/** Is `path` a bind-mounted network namespace? */
export async function isNetns(path: string): Promise<boolean> {
  const m = await mountAt(resolve(path));
  return m !== undefined && (m.fsType === 'nsfs' || m.fsType === 'proc');
}

/** Create a persistent network namespace `<dir>/<name>` and return its path. */
export async function createNetns(name: string, opts: NetnsOptions = {}): Promise<string> {
  if (!NAME.test(name)) throw new BerthError('BERTH_EINVAL', `invalid network namespace name ${JSON.stringify(name)}`);
  const dir = resolve(opts.dir ?? DEFAULT_NETNS_DIR);
  await ensureSharedDir(dir);
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
    await runChecked(`cannot create network namespace ${path}`, 'unshare', [`--net=${path}`, 'true']);
    if (opts.loopbackUp ?? true) {
      await runChecked(`cannot bring up loopback in ${path}`, 'nsenter', [`--net=${path}`, 'ip', 'link', 'set', 'lo', 'up']);
    }
  } catch (e) {
    await deleteNetns(path).catch(() => undefined);
    throw e;
  }
  return path;
}

/** Unmount and remove a namespace file. Missing or already-unmounted files are not an error. */
export async function deleteNetns(path: string): Promise<void> {
  const abs = resolve(path);
  // Lazy, as `ip netns del` does: a process still inside keeps the namespace, not the mount.
  while (await isNetns(abs)) {
    await runChecked(`cannot unmount network namespace ${abs}`, 'umount', ['--lazy', abs]);
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
