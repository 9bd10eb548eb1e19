// Disk use of one directory tree, counted like du: allocated blocks, each inode once (hardlinks
// share blocks), never following symlinks.

import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Usage } from './snapshotter.js';

export async function treeUsage(root: string): Promise<Usage> {
  const seen = new Set<string>();
  let size = 0;
  const stack = [root];
  while (stack.length > 0) {
    const p = stack.pop() as string;
    const st = await lstat(p, { bigint: true });
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) continue;
    seen.add(id);
    size += Number(st.blocks) * 512;
    if (st.isDirectory()) {
      for (const name of await readdir(p)) stack.push(join(p, name));
    }
  }
  return { size, inodes: seen.size };
}
