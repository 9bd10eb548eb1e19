// Serializes commands on one container ID. Node has no flock(2), so the lock is a file created
// with O_EXCL that records its holder; a holder that died is detected and its lock taken over.
import { openSync, writeSync, closeSync, readFileSync, unlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../errors.js';
import { processStartTime } from '../proc.js';

import { sleepMs } from '../lifecycle/context.js';

export interface Lock {
  release(): void;
}

export function lockContainer(root: string, id: string, timeoutMs = 30_000): Lock {
  const dir = join(root, '.locks');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, id);
  const me = `${process.pid} ${processStartTime(process.pid) ?? ''}`;
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, me);
      closeSync(fd);
      return {
        release() {
          try { if (readFileSync(path, 'utf8') === me) unlinkSync(path); } catch { /* already gone */ }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (holderIsDead(path)) {
      try { unlinkSync(path); } catch { /* another waiter took it over first */ }
      continue;
    }
    if (Date.now() > deadline) throw new BerthError('BERTH_ELOCKED', `container "${id}" is locked by another command`);
    sleepMs(delay);
    delay = Math.min(delay * 2, 50);
  }
}

function holderIsDead(path: string): boolean {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { return false; }
  const [pidText, start] = text.split(' ');
  const pid = Number(pidText);
  // An empty file: the holder is between open and write; give it time.
  if (!pid) return false;
  const now = processStartTime(pid);
  return now === undefined || (start !== undefined && start !== '' && now !== start);
}
