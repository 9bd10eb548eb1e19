// RUN --mount=type=cache: directories that persist across builds under <root>/build-cache/mounts,
// one per cache id. sharing=locked (and private, which berth treats the same) lets one step at a
// time use a cache: the lock is a directory made with mkdir (atomic) holding the owner's pid, so a
// lock left by a dead process is taken over.

import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../errors.js';
import type { CacheSharing } from './ast.js';
import { sha256 } from './cache-key.js';

export interface CacheMountLock {
  dir: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockCacheMount(root: string, o: { id: string; sharing: CacheSharing; mode: number; uid: number; gid: number; signal?: AbortSignal }): Promise<CacheMountLock> {
  const name = sha256(o.id).slice(7, 39);
  const base = join(root, 'build-cache', 'mounts', name);
  const dir = join(base, 'data');
  try {
    mkdirSync(base, { recursive: true, mode: 0o700 });
    mkdirSync(dir, { mode: o.mode });
    chownSync(dir, o.uid, o.gid);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (o.sharing === 'shared') return { dir, release() {} };
  const lock = join(base, 'lock');
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return { dir, release: () => rmSync(lock, { recursive: true, force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      owner = 0;
    }
    if (owner > 0 && !alive(owner)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (o.signal?.aborted === true) throw new BerthError('BERTH_EBUILD', `cache mount ${o.id}: interrupted while waiting for its lock`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
