// Carrying out the snapshotter's mount descriptions with mount(8), and undoing them. A build holds
// a mount only while one step runs, and every path that mounts also unmounts in a finally block.

import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { BerthError } from '../../errors.js';
import type { Mount } from '../../storage/snapshotter.js';

const run = promisify(execFile);

function mountPoints(): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '').map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** Mount points at or below `dir`. */
export function mountsBelow(dir: string): string[] {
  return mountPoints().filter((p) => p === dir || p.startsWith(`${dir}/`));
}

export async function mountAt(mounts: Mount[], target: string, opts: { readonly?: boolean } = {}): Promise<void> {
  mkdirSync(target, { recursive: true, mode: 0o755 });
  if (mounts.length !== 1) throw new BerthError('BERTH_EUNSUPPORTED', `expected one mount from the snapshotter, got ${mounts.length}`);
  const m = mounts[0]!;
  try {
    if (m.type === 'bind') {
      await run('mount', ['--rbind', m.source, target]);
      if (m.options.includes('ro') || opts.readonly === true) await run('mount', ['-o', 'remount,bind,ro', target]);
    } else {
      const options = opts.readonly === true && !m.options.includes('ro') ? ['ro', ...m.options] : m.options;
      await run('mount', ['-t', m.type, m.source, '-o', options.join(','), target]);
    }
  } catch (e) {
    throw new BerthError('BERTH_EINTERNAL', `mount at ${target}: ${String((e as { stderr?: string }).stderr ?? e).trim()}`, { cause: e });
  }
}

export async function mountOverlay(lower: string, upper: string, work: string, target: string): Promise<void> {
  mkdirSync(target, { recursive: true, mode: 0o755 });
  await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, target]);
}

/** Unmounts everything at or below `target`, deepest first; a busy mount is detached instead. */
export async function unmountAll(target: string): Promise<void> {
  for (const p of mountsBelow(target).sort((a, b) => b.length - a.length)) {
    try {
      await run('umount', [p]);
    } catch {
      await run('umount', ['-l', p]).catch(() => undefined);
    }
  }
}
