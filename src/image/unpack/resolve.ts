// Paths inside a layer root. Entry names are checked lexically (no absolute names, no ".." above
// the root); directories on the way are then resolved on disk one component at a time with lstat,
// and a symlink met on the way is followed *inside* the root, as openat2's RESOLVE_IN_ROOT does:
// an absolute target restarts at the root and ".." stops at it. So `lib -> /usr/lib` works as in a
// container, and `evil -> /etc` leads to <root>/etc, never to the host's /etc.

import { lstatSync, mkdirSync, readlinkSync } from 'node:fs';
import { BerthError } from '../../errors.js';

const MAX_LINKS = 40; // Linux's own limit on symlinks followed in one lookup

export function unsafe(entry: string, why: string): BerthError {
  const shown = JSON.stringify(entry.length > 200 ? entry.slice(0, 200) + '…' : entry);
  return new BerthError('BERTH_ELAYER', `layer entry ${shown} ${why}`, { detail: { entry } });
}

/** The components of a name relative to the root; [] is the root itself. */
export function splitEntryPath(name: string, what = 'path', entry = name): string[] {
  const shown = entry === name ? '' : ` ${JSON.stringify(name.slice(0, 200))}`;
  if (name.startsWith('/')) throw unsafe(entry, `has an absolute ${what}${shown}`);
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) throw unsafe(entry, `has a ${what}${shown} that escapes the layer root`);
      out.pop();
    } else {
      out.push(c);
    }
  }
  return out;
}

export interface Resolved {
  /** Absolute path on the host. */
  abs: string;
  /** Components below the root after following symlinks. */
  rel: string[];
}

/**
 * Resolve a directory path inside root (or below `from`). Missing directories are created (mode 0755) when `create`,
 * otherwise they are an error. Anything but a directory or symlink on the way is an error.
 */
export function resolveDirInRoot(root: string, comps: string[], entry: string, create: boolean, from?: Resolved): Resolved {
  const queue = [...comps];
  // `from` is an already resolved directory that comps are relative to.
  const stack: string[] = from === undefined ? [] : [...from.rel];
  let links = 0;
  while (queue.length > 0) {
    const c = queue.shift() as string;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      stack.pop();
      continue;
    }
    const abs = root + '/' + [...stack, c].join('/');
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (st === undefined) {
      if (!create) throw unsafe(entry, `refers to ${JSON.stringify([...stack, c].join('/'))}, which does not exist in the layer`);
      mkdirSync(abs, 0o755);
      stack.push(c);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw unsafe(entry, 'goes through too many levels of symbolic links');
      const target = readlinkSync(abs);
      if (target.startsWith('/')) stack.length = 0;
      queue.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory()) throw unsafe(entry, `goes through ${JSON.stringify([...stack, c].join('/'))}, which is not a directory`);
    stack.push(c);
  }
  return { abs: stack.length === 0 ? root : root + '/' + stack.join('/'), rel: stack };
}
