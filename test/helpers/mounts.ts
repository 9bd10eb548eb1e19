// Leftover mounts under a temp dir (a tool that failed half-way may leave some behind).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Mount points at or under `dir`, deepest first (the order to unmount them in). */
export function mountsUnder(dir: string): string[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((p) => p === dir || p.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything under `dir`; returns what it had to unmount, so callers can report a leak. */
export function unmountUnder(dir: string): string[] {
  const found = mountsUnder(dir);
  for (const m of found) {
    const r = spawnSync('umount', [m], { encoding: 'utf8' });
    if (r.status !== 0) spawnSync('umount', ['-l', m]);
  }
  return found;
}
