// The vfs snapshotter: every snapshot is a full copy of its parent's tree. Slow and large, but it
// works on any filesystem and needs no mount support beyond a bind, which makes it the fallback
// and the reference the overlay snapshotter is tested against.

import { mkdir } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { BerthError } from '../errors.js';
import { DirSnapshotter } from './snapshot-base.js';
import type { SnapshotRecord } from './snapshot-meta.js';
import type { Mount, SnapshotKind } from './snapshotter.js';

const run = promisify(execFile);

export class VfsSnapshotter extends DirSnapshotter {
  protected newId(): string {
    return randomBytes(16).toString('hex');
  }

  protected async populate(id: string, kind: SnapshotKind, parents: SnapshotRecord[]): Promise<void> {
    const fs = this.fsDir(id);
    await mkdir(fs, { mode: 0o755 });
    const parent = parents[0];
    // A view never changes, so it reads the parent's tree in place instead of copying it.
    if (parent === undefined || kind === 'view') return;
    try {
      // cp -a keeps modes, owners, times, xattrs, symlinks, devices, and hardlinks within the copy.
      await run('cp', ['-a', '--reflink=auto', '--', `${this.fsDir(parent.id)}/.`, fs], { maxBuffer: 16 << 20 });
    } catch (e) {
      throw new BerthError('BERTH_EINTERNAL', `copying snapshot "${parent.key}" failed: ${String((e as { stderr?: string }).stderr ?? e).trim()}`, { cause: e });
    }
  }

  protected mountsOf(rec: SnapshotRecord, parents: SnapshotRecord[]): Mount[] {
    if (rec.kind === 'view') {
      const src = parents[0] === undefined ? this.fsDir(rec.id) : this.fsDir(parents[0].id);
      return [{ type: 'bind', source: src, options: ['rbind', 'ro'] }];
    }
    return [{ type: 'bind', source: this.fsDir(rec.id), options: ['rbind', 'rw'] }];
  }
}
