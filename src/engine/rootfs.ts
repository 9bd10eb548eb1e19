// The container rootfs: the snapshotter's mount descriptions carried out by the engine onto
// <bundle>/rootfs (the runtime then sees an ordinary directory, which runc needs as well). The
// mount stays while the container exists, so cp, diff and export work on a stopped container;
// rm unmounts it. After a reboot the mount is gone and ensureMounted makes it again.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { BerthError } from '../errors.js';
import type { Mount } from '../storage/snapshotter.js';

const run = promisify(execFile);

/** Decodes mountinfo's octal escapes (\040 for a space). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function mountPoints(): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '').map((l) => unescape(l.split(' ')[4] ?? ''));
}

export function isMounted(path: string): boolean {
  return mountPoints().includes(path);
}

export async function mountRootfs(mounts: Mount[], target: string): Promise<void> {
  mkdirSync(target, { recursive: true, mode: 0o755 });
  if (mounts.length !== 1) throw new BerthError('BERTH_EUNSUPPORTED', `rootfs: expected one mount from the snapshotter, got ${mounts.length}`);
  const m = mounts[0]!;
  try {
    if (m.type === 'bind') {
      const ro = m.options.includes('ro');
      await run('mount', ['--rbind', m.source, target]);
      if (ro) await run('mount', ['-o', 'remount,bind,ro', target]);
    } else {
      await run('mount', ['-t', m.type, m.source, '-o', m.options.join(','), target]);
    }
  } catch (e) {
    throw new BerthError('BERTH_EINTERNAL', `mount rootfs at ${target}: ${String((e as { stderr?: string }).stderr ?? e).trim()}`, { cause: e });
  }
}

/** Unmounts everything at or below `target` (deepest first); a path not mounted is fine. */
export async function unmountAll(target: string): Promise<void> {
  const below = mountPoints().filter((p) => p === target || p.startsWith(`${target}/`)).sort((a, b) => b.length - a.length);
  for (const p of below) {
    try {
      await run('umount', [p]);
    } catch {
      // Busy (a process still inside): detach it, the kernel frees it when the last user goes.
      await run('umount', ['-l', p]).catch(() => undefined);
    }
  }
}
