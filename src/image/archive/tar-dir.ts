// A directory tree as tar entries, in sorted order, for `berth export`, `berth save`'s helpers and
// the default image. Hardlinks within the tree stay hardlinks; sockets are skipped (tar cannot hold
// them); symlinks are written as links, never followed. Extended attributes are not carried yet:
// Node cannot read them without a helper, and the engine's export does not need them.

import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeTar, type TarSourceEntry, type TarWriteEntry } from './tar-writer.js';

export interface TarDirOptions {
  /** Fixed owner and mtime for every entry (a reproducible image layer). */
  normalize?: { uid: number; gid: number; mtime: number };
  /** Names (relative, no leading ./) to leave out. */
  exclude?: (rel: string) => boolean;
}

function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff & 0xfffff);
}

async function* walk(root: string, opts: TarDirOptions): AsyncGenerator<TarSourceEntry> {
  const links = new Map<string, string>();
  const stack: string[] = [''];
  while (stack.length > 0) {
    const rel = stack.pop() as string;
    const abs = rel === '' ? root : join(root, rel);
    const st = await lstat(abs);
    const base: Omit<TarWriteEntry, 'type'> = {
      name: rel === '' ? './' : rel,
      mode: st.mode & 0o7777,
      uid: opts.normalize?.uid ?? st.uid,
      gid: opts.normalize?.gid ?? st.gid,
      mtime: opts.normalize?.mtime ?? Math.floor(st.mtimeMs / 1000),
    };
    if (st.isDirectory()) {
      if (rel !== '') yield { entry: { ...base, type: 'dir' } };
      const names = (await readdir(abs)).sort();
      for (let i = names.length - 1; i >= 0; i--) {
        const child = rel === '' ? (names[i] as string) : `${rel}/${names[i] as string}`;
        if (opts.exclude?.(child) === true) continue;
        stack.push(child);
      }
      continue;
    }
    if (st.nlink > 1 && !st.isSymbolicLink()) {
      const id = `${st.dev}:${st.ino}`;
      const first = links.get(id);
      if (first !== undefined) {
        yield { entry: { ...base, type: 'hardlink', linkname: first } };
        continue;
      }
      links.set(id, rel);
    }
    if (st.isFile()) yield { entry: { ...base, type: 'file', size: st.size }, body: createReadStream(abs) };
    else if (st.isSymbolicLink()) yield { entry: { ...base, type: 'symlink', linkname: await readlink(abs) } };
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      yield { entry: { ...base, type: st.isCharacterDevice() ? 'char' : 'block', devmajor: major(st.rdev), devminor: minor(st.rdev) } };
    } else if (st.isFIFO()) yield { entry: { ...base, type: 'fifo' } };
  }
}

/** The tree under `root` as an uncompressed tar stream. */
export function tarDirectory(root: string, opts: TarDirOptions = {}): AsyncGenerator<Buffer> {
  return writeTar(walk(root, opts));
}
