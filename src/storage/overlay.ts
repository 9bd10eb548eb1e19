// The overlay snapshotter. Each snapshot owns <root>/snapshots/<id>/{fs,work}; a committed layer's
// fs is a lowerdir for every snapshot above it, so a layer is stored once however many images use it.
//
// The kernel takes all overlay options in one page (4096 bytes with the NUL). A 100-layer image
// with long paths would not fit, so each layer also gets a short name, <linkDir>/<id> with a 6-char
// id, a symlink to its fs that the kernel follows when it parses lowerdir. Docker's overlay2 does
// the same but mounts relative to the link dir; our C helper mounts by absolute strings, so the
// link dir itself must be short: with the default <root>/l and a root of ≤ 24 characters, 128
// layers fit; mounts() refuses, with the sizes, stacks that do not.

import { mkdir, rm, symlink } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import { join, relative } from 'node:path';
import { BerthError } from '../errors.js';
import { DirSnapshotter, type DirSnapshotterOptions } from './snapshot-base.js';
import type { SnapshotRecord } from './snapshot-meta.js';
import type { Mount, SnapshotKind } from './snapshotter.js';

/** mount(2) copies at most one page of option data, terminating NUL included. */
export const MOUNT_DATA_MAX = 4095;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 6;

export interface OverlaySnapshotterOptions extends DirSnapshotterOptions {
  /** Directory of the short layer links; default <root>/l. Point it somewhere short for deep stacks. */
  linkDir?: string;
}

export class OverlaySnapshotter extends DirSnapshotter {
  readonly linkDir: string;

  constructor(root: string, opts: OverlaySnapshotterOptions = {}) {
    super(root, opts);
    this.linkDir = opts.linkDir ?? join(root, 'l');
  }

  protected newId(): string {
    let id = '';
    for (let i = 0; i < ID_LENGTH; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
    return id;
  }

  private link(id: string): string {
    return join(this.linkDir, id);
  }

  protected async populate(id: string, _kind: SnapshotKind, _parents: SnapshotRecord[]): Promise<void> {
    const dir = this.snapshotDir(id);
    await mkdir(join(dir, 'fs'), { mode: 0o755 });
    await mkdir(join(dir, 'work'), { mode: 0o700 });
    await mkdir(this.linkDir, { recursive: true, mode: 0o700 });
    // Relative, so the store can be moved as a whole; an existing link means an id clash, which
    // allocate() ruled out for snapshots/ — a stale link from a crash is simply replaced.
    await rm(this.link(id), { force: true });
    await symlink(relative(this.linkDir, join(dir, 'fs')), this.link(id));
  }

  protected override async forget(id: string): Promise<void> {
    await rm(this.link(id), { force: true });
  }

  protected mountsOf(rec: SnapshotRecord, parents: SnapshotRecord[]): Mount[] {
    const own = this.fsDir(rec.id);
    if (rec.kind === 'view') {
      if (parents.length === 0) return [{ type: 'bind', source: own, options: ['rbind', 'ro'] }];
      if (parents.length === 1) return [{ type: 'bind', source: this.fsDir((parents[0] as SnapshotRecord).id), options: ['rbind', 'ro'] }];
      return [this.checked(rec.key, ['ro', `lowerdir=${parents.map((p) => this.link(p.id)).join(':')}`])];
    }
    if (parents.length === 0) return [{ type: 'bind', source: own, options: ['rbind', 'rw'] }];
    return [
      this.checked(rec.key, [
        `lowerdir=${parents.map((p) => this.link(p.id)).join(':')}`,
        `upperdir=${own}`,
        `workdir=${join(this.snapshotDir(rec.id), 'work')}`,
      ]),
    ];
  }

  private checked(key: string, options: string[]): Mount {
    const size = Buffer.byteLength(options.join(','));
    if (size > MOUNT_DATA_MAX) {
      throw new BerthError(
        'BERTH_EUNSUPPORTED',
        `snapshot "${key}": overlay options are ${size} bytes, over the ${MOUNT_DATA_MAX}-byte mount limit (too many layers for link dir ${this.linkDir})`,
      );
    }
    return { type: 'overlay', source: 'overlay', options };
  }
}
