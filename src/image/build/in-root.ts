// Paths inside a build step's rootfs (or a source stage's) that never lead out of it: symlinks are
// followed by hand with absolute targets restarting at the root and ".." stopping there, as openat2's
// RESOLVE_IN_ROOT does. The build owns the rootfs while a COPY runs (no container is inside), so
// there is no process racing these lookups; writes still open the last component with O_NOFOLLOW.

import { chownSync, lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../errors.js';
import { pathComponents as components, resolveInRoot as resolve, type InRoot } from '../../sys/in-root.js';

const MAX_LINKS = 40;

export type { InRoot };

/** Resolves `path` (as seen inside) under `root`; with followLast=false a final symlink is kept. */
export function resolveInRoot(root: string, path: string, opts: { followLast?: boolean } = {}): InRoot {
  return resolve(root, path, { ...opts, strictDirs: true, code: 'BERTH_EBUILD' });
}

export interface Owner { uid: number; gid: number }

/**
 * Makes the directory `path` inside root (and missing parents, with mode 0755 and `owner`), following
 * symlinks inside the root. Returns the resolved host path.
 */
export function mkdirInRoot(root: string, path: string, owner?: Owner): InRoot {
  let pending = components(path);
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const c = pending.shift() as string;
    if (c === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, c);
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (st === undefined) {
      mkdirSync(host, 0o755);
      if (owner !== undefined) chownSync(host, owner.uid, owner.gid);
      done.push(c);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new BerthError('BERTH_EBUILD', `too many levels of symbolic links in ${path}`);
      const target = readlinkSync(host);
      if (target.startsWith('/')) done.length = 0;
      pending = [...components(target), ...pending];
      continue;
    }
    if (!st.isDirectory()) throw new BerthError('BERTH_EBUILD', `${path}: /${[...done, c].join('/')} exists and is not a directory`);
    done.push(c);
  }
  return { host: join(root, ...done), rel: done, inside: '/' + done.join('/'), exists: true };
}
