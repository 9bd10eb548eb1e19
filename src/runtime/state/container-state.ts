// What the runtime remembers about a container between commands: <root>/<id>/state.json.
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../errors.js';

export interface StoredState {
  ociVersion: string;
  id: string;
  /** Host pid of the container's init process. */
  pid: number;
  /** Field 22 of /proc/PID/stat when created, so a reused pid is not mistaken for ours. */
  pidStartTime: string;
  bundle: string;
  rootfs: string;
  /** RFC 3339. */
  created: string;
  owner: string;
  annotations: Record<string, string>;
  /** cgroup controller → directory, from the cgroup manager. */
  cgroupPaths: Record<string, string>;
  cgroupsPath: string;
  cgroupVersion: 1 | 2;
  /** Set once `start` released the process; distinguishes created from running after the fifo is gone. */
  started: boolean;
  /** The validated spec, for exec, hooks and update. */
  configPath: string;
}

const ID_RE = /^[\w+\-.]+$/;

export function validateId(id: string | undefined): string {
  if (!id) throw new BerthError('BERTH_EINVAL', 'container id cannot be empty');
  if (!ID_RE.test(id) || id === '.' || id === '..' || id.length > 1024) {
    throw new BerthError('BERTH_EINVAL', `invalid container id "${id}": use letters, digits, _ + - .`);
  }
  return id;
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  exists(id: string): boolean {
    try { statSync(join(this.dir(id), 'state.json')); return true; } catch { return false; }
  }

  read(id: string): StoredState {
    let text: string;
    try {
      text = readFileSync(join(this.dir(id), 'state.json'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new BerthError('BERTH_ENOTFOUND', `container "${id}" does not exist`);
      throw e;
    }
    try {
      return JSON.parse(text) as StoredState;
    } catch (e) {
      throw new BerthError('BERTH_EINTERNAL', `container "${id}": state file is corrupt`, { cause: e });
    }
  }

  /** Written to a temporary name, synced and renamed, so a crash never leaves half a state file. */
  write(state: StoredState): void {
    const dir = this.dir(state.id);
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    writeFileAtomic(join(dir, 'state.json'), JSON.stringify(state));
  }

  list(): string[] {
    let names: string[];
    try { names = readdirSync(this.root); } catch { return []; }
    return names.filter((n) => ID_RE.test(n) && this.exists(n)).sort();
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}

/**
 * Readers see the old file or the new one, never half of one. The runtime's state lives on a tmpfs
 * (/run) that a crash empties anyway, so it skips fsync unless asked: it costs milliseconds per start.
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644, durable = false): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    if (typeof data === 'string') writeSync(fd, data);
    else writeSync(fd, data);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
