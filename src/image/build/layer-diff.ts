// The layer of a build step: what changed in its snapshot, as tar entries in the image-spec's
// changeset format. On overlay the changes are the upper dir: overlay's whiteouts (0:0 character
// devices) become `.wh.<name>` entries and opaque directories get `.wh..wh..opq`. On vfs the
// snapshot is a full copy, so it is compared with its parent's tree (type, mode, owner, size, mtime,
// link target), as docker's naive diff does. Entries are sorted by path; with SOURCE_DATE_EPOCH every
// mtime later than it is clamped to it, so two builds of the same inputs give the same bytes.

import { execFileSync } from 'node:child_process';
import { createReadStream, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { TarSourceEntry, TarWriteEntry } from '../archive/tar-writer.js';

export interface DiffOptions {
  /** Seconds: mtimes after it are clamped to it (SOURCE_DATE_EPOCH). */
  epoch?: number;
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function major(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}

function minor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff & 0xfffff);
}

/**
 * Every extended attribute under `dir`, by path relative to it. One getfattr run for the tree:
 * Node has no xattr calls. overlay's own attributes (trusted.overlay.*) are not layer content.
 */
export function readXattrs(dir: string): Map<string, Map<string, Buffer>> {
  const out = new Map<string, Map<string, Buffer>>();
  let text: string;
  try {
    text = execFileSync('getfattr', ['-h', '-R', '-d', '-m', '-', '-e', 'hex', '--absolute-names', dir], {
      encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (e) {
    // getfattr exits 1 when some file has none it may read; what it printed is still right.
    text = String((e as { stdout?: string }).stdout ?? '');
  }
  let cur: Map<string, Buffer> | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      const abs = line.slice(8).replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      const rel = abs === dir ? '' : abs.startsWith(`${dir}/`) ? abs.slice(dir.length + 1) : abs;
      cur = new Map();
      out.set(rel, cur);
      continue;
    }
    const m = /^([^=]+)=0x([0-9a-f]*)$/.exec(line);
    if (m === null || cur === undefined) continue;
    cur.set(m[1]!, Buffer.from(m[2]!, 'hex'));
  }
  return out;
}

function layerXattrs(all: Map<string, Map<string, Buffer>>, rel: string): Map<string, Buffer> | undefined {
  const x = all.get(rel);
  if (x === undefined) return undefined;
  const keep = new Map([...x].filter(([k]) => !k.startsWith('trusted.overlay.')));
  return keep.size === 0 ? undefined : keep;
}

function clampTime(st: Stats, opts: DiffOptions): number {
  const t = Math.floor(st.mtimeMs / 1000);
  return opts.epoch !== undefined && t > opts.epoch ? opts.epoch : t;
}

class EntryMaker {
  private readonly links = new Map<string, string>();

  constructor(private readonly root: string, private readonly xattrs: Map<string, Map<string, Buffer>>, private readonly opts: DiffOptions) {}

  whiteout(rel: string, name: string, st: Stats | undefined): TarSourceEntry {
    const dir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/') + 1) : '';
    const mtime = st === undefined ? this.opts.epoch ?? 0 : clampTime(st, this.opts);
    return { entry: { name: `${dir}${name}`, type: 'file', size: 0, mode: 0, uid: 0, gid: 0, mtime } };
  }

  make(rel: string, st: Stats): TarSourceEntry | undefined {
    const abs = join(this.root, rel);
    const x = layerXattrs(this.xattrs, rel);
    const base: Omit<TarWriteEntry, 'type'> = {
      name: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: clampTime(st, this.opts), ...(x === undefined ? {} : { xattrs: x }),
    };
    if (st.isDirectory()) return { entry: { ...base, type: 'dir' } };
    if (st.isFile()) {
      if (st.nlink > 1) {
        const id = `${st.dev}:${st.ino}`;
        const first = this.links.get(id);
        if (first !== undefined) return { entry: { ...base, type: 'hardlink', linkname: first } };
        this.links.set(id, rel);
      }
      return { entry: { ...base, type: 'file', size: st.size }, body: createReadStream(abs) };
    }
    if (st.isSymbolicLink()) return { entry: { ...base, type: 'symlink', linkname: readlinkSync(abs) } };
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      return { entry: { ...base, type: st.isCharacterDevice() ? 'char' : 'block', devmajor: major(st.rdev), devminor: minor(st.rdev) } };
    }
    if (st.isFIFO()) return { entry: { ...base, type: 'fifo' } };
    return undefined; // sockets: a tar cannot hold them
  }
}

/** The changes in an overlay upper dir, sorted. Bodies are read lazily, while the tar is written. */
export function overlayDiff(upper: string, opts: DiffOptions = {}): TarSourceEntry[] {
  const xattrs = readXattrs(upper);
  const maker = new EntryMaker(upper, xattrs, opts);
  const out: Pending[] = [];
  const walk = (relDir: string): void => {
    for (const name of readdirSync(relDir === '' ? upper : join(upper, relDir)).sort()) {
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const st = lstatSync(join(upper, rel));
      if (isWhiteout(st)) {
        out.push(pending(whName(rel), () => maker.whiteout(rel, `${WHITEOUT}${name}`, st)));
        continue;
      }
      out.push(pending(rel, () => maker.make(rel, st)));
      if (st.isDirectory()) {
        if (xattrs.get(rel)?.get('trusted.overlay.opaque')?.toString() === 'y') out.push(pending(`${rel}/${OPAQUE}`, () => maker.whiteout(`${rel}/${OPAQUE}`, OPAQUE, st)));
        walk(rel);
      }
    }
  };
  walk('');
  return finish(out);
}

function same(a: Stats, b: Stats): boolean {
  if ((a.mode & 0o170000) !== (b.mode & 0o170000) || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (a.isDirectory()) return true;
  return a.size === b.size && Math.floor(a.mtimeMs) === Math.floor(b.mtimeMs) && a.rdev === b.rdev;
}

/** The changes from `lower` (the parent's full tree) to `upper` (the step's full tree), sorted. */
export function treeDiff(lower: string | undefined, upper: string, opts: DiffOptions = {}): TarSourceEntry[] {
  const xattrs = readXattrs(upper);
  const maker = new EntryMaker(upper, xattrs, opts);
  const out: Pending[] = [];
  /** Returns whether anything under relDir changed (so relDir's own entry is needed). */
  const walk = (relDir: string): boolean => {
    const mine = readdirSync(relDir === '' ? upper : join(upper, relDir)).sort();
    const theirs = lower === undefined ? [] : (() => {
      try { return readdirSync(relDir === '' ? lower : join(lower, relDir)); } catch { return []; }
    })();
    let changed = false;
    const here = new Set(mine);
    for (const name of theirs) {
      if (here.has(name)) continue;
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      out.push(pending(whName(rel), () => maker.whiteout(rel, `${WHITEOUT}${name}`, undefined)));
      changed = true;
    }
    for (const name of mine) {
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const st = lstatSync(join(upper, rel));
      const old = lower === undefined ? undefined : lstatSync(join(lower, rel), { throwIfNoEntry: false });
      if (st.isDirectory()) {
        const at = out.length;
        const e = pending(rel, () => maker.make(rel, st));
        const fresh = old === undefined || !old.isDirectory();
        const below = walk(rel);
        if (fresh || below || !same(st, old)) {
          out.splice(at, 0, e);
          changed = true;
        }
        continue;
      }
      if (old !== undefined && same(st, old)) continue;
      out.push(pending(rel, () => maker.make(rel, st)));
      changed = true;
    }
    return changed;
  };
  walk('');
  return finish(out);
}

interface Pending { name: string; make: () => TarSourceEntry | undefined }

function pending(name: string, make: () => TarSourceEntry | undefined): Pending {
  return { name, make };
}

function whName(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? `${WHITEOUT}${rel}` : `${rel.slice(0, i + 1)}${WHITEOUT}${rel.slice(i + 1)}`;
}

/**
 * Byte order of names (a directory always sorts before what is in it). Entries are made in that
 * order, so the first name of a hardlinked file is the one the later names link to.
 */
function finish(items: Pending[]): TarSourceEntry[] {
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return items.flatMap((p) => p.make() ?? []);
}
