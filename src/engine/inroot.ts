// Path resolution inside a container's rootfs that never leaves it: symlinks are followed by hand,
// absolute targets restart at the rootfs, and ".." stops at it (openat2's RESOLVE_IN_ROOT, in
// userspace). Used for cp, the image's /etc/passwd, and workdirs. A race with a process inside the
// container swapping a component for a symlink is narrowed, not closed: callers that write open the
// final component with O_NOFOLLOW.
import { lstatSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../errors.js';

const MAX_LINKS = 40;

export interface InRoot {
  /** Host path of the resolved location. */
  host: string;
  /** The same location as seen inside the container (always absolute, normalized). */
  inside: string;
  exists: boolean;
}

/**
 * Resolves `path` (as seen in the container) under `root`. With followLast=false the final
 * component is not followed when it is a symlink (cp copies the link itself, as docker does).
 */
export function resolveInRoot(root: string, path: string, opts: { followLast?: boolean } = {}): InRoot {
  const followLast = opts.followLast ?? true;
  let pending = path.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const c = pending.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, c);
    let st;
    try {
      st = lstatSync(host);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        // Nothing more to follow: the rest is taken literally (still under root, ".." clamped).
        const rest = [c, ...pending];
        for (const r of rest) if (r === '..') done.pop(); else done.push(r);
        return { host: join(root, ...done), inside: '/' + done.join('/'), exists: false };
      }
      throw e;
    }
    if (st.isSymbolicLink() && (pending.length > 0 || followLast)) {
      if (++links > MAX_LINKS) throw new BerthError('BERTH_EINVAL', `too many levels of symbolic links in ${path}`);
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      pending = [...target.split('/').filter((x) => x !== '' && x !== '.'), ...pending];
      continue;
    }
    done.push(c);
  }
  return { host: join(root, ...done), inside: '/' + done.join('/'), exists: true };
}
