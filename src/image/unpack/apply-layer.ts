// applyLayer: one pass over a layer blob that hashes the compressed bytes (digest), decompresses,
// hashes the tar (diffID), and extracts into a directory, never holding more than a chunk.
//
// Whiteouts: in 'overlay' mode the layer is unpacked alone into its own directory (an overlay
// upperdir), so `.wh.x` becomes the overlay whiteout (char device 0/0) and `.wh..wh..opq` the
// opaque xattr. In 'vfs' mode the directory already holds the layers below, so whiteouts delete.
// Either way a whiteout only hides what lower layers hold: what this layer itself writes, before
// or after the marker, stays (the OCI rule, which makes the order of entries irrelevant).
//
// Untrusted input: see resolve.ts for how names are confined to the root. Errors name the entry;
// the half-extracted directory is left for the caller to delete.

import {
  closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, chmodSync, mkdirSync, openSync,
  readdirSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeSync, constants as C, type Stats,
} from 'node:fs';
import { Readable } from 'node:stream';
import { BerthError } from '../../errors.js';
import { hashDigest, parseDigest, sha256, type Digest } from '../../storage/digest.js';
import { decompress, sniff } from './decompress.js';
import { shellNodeOps, type NodeOps, type NodeSpec, type XattrSpec } from './node-ops.js';
import { resolveDirInRoot, splitEntryPath, unsafe, type Resolved } from './resolve.js';
import { readTar, type TarEntry } from './tar-reader.js';

export type WhiteoutMode = 'overlay' | 'vfs';

export interface ApplyOptions {
  whiteoutMode: WhiteoutMode;
  expectedDiffId?: string;
  expectedDigest?: string;
  /** Create char/block devices from the layer; fifos are always allowed. Default true. */
  allowDevices?: boolean;
  /** Set owners from the layer; default: when running as root. */
  chown?: boolean;
  /** Largest PAX/GNU metadata block per entry; default 1 MiB. */
  maxMetaSize?: number;
  ops?: NodeOps;
}

export interface ApplyResult {
  /** sha256 of the bytes as given (the blob digest). */
  digest: Digest;
  /** sha256 of the uncompressed tar. */
  diffId: Digest;
  /** Bytes as given. */
  size: number;
  /** Bytes of the uncompressed tar. */
  uncompressedSize: number;
}

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';
const WH_META = '.wh..wh.';

interface Pending extends NodeSpec {
  entry: TarEntry | undefined;
  rel: string;
}

async function* tap(src: AsyncIterable<Uint8Array>, hash: ReturnType<typeof sha256>, count: { n: number }): AsyncGenerator<Buffer> {
  for await (const c of src) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    hash.update(b);
    count.n += b.length;
    yield b;
  }
}

export async function applyLayer(source: AsyncIterable<Uint8Array> | Readable, dest: string, opts: ApplyOptions): Promise<ApplyResult> {
  const wantDigest = opts.expectedDigest === undefined ? undefined : parseDigest(opts.expectedDigest);
  const wantDiffId = opts.expectedDiffId === undefined ? undefined : parseDigest(opts.expectedDiffId);
  const outer = sha256();
  const inner = sha256();
  const outerCount = { n: 0 };
  const innerCount = { n: 0 };
  const { compression, stream } = await sniff(tap(source, outer, outerCount));
  // An uncompressed layer's diffID is its digest: hashing the same bytes twice would be waste.
  const tar = compression === 'none' ? stream : tap(decompress(stream, compression), inner, innerCount);
  const x = new Extractor(realpathSync(dest), opts);
  for await (const { entry, body } of readTar(tar, { maxMetaSize: opts.maxMetaSize })) {
    await x.entry(entry, body);
  }
  x.finish();
  const digest = hashDigest(outer);
  const diffId = compression === 'none' ? digest : hashDigest(inner);
  if (compression === 'none') innerCount.n = outerCount.n;
  if (wantDigest !== undefined && digest !== wantDigest) {
    throw new BerthError('BERTH_EDIGEST', `layer has digest ${digest}, expected ${wantDigest}`);
  }
  if (wantDiffId !== undefined && diffId !== wantDiffId) {
    throw new BerthError('BERTH_EDIGEST', `layer has diffID ${diffId}, expected ${wantDiffId}`);
  }
  return { digest, diffId, size: outerCount.n, uncompressedSize: innerCount.n };
}

class Extractor {
  private readonly ops: NodeOps;
  private readonly chown: boolean;
  private readonly allowDevices: boolean;
  /** Resolved parent directories by lexical path; dropped whenever a dir or symlink is replaced. */
  private dirs = new Map<string, Resolved>();
  /** Paths (resolved, relative) this layer wrote: whiteouts never remove them. */
  private readonly created = new Set<string>();
  private readonly dirTimes: Array<[string, number, number]> = [];
  private pending: Pending[] = [];
  private readonly xattrs: XattrSpec[] = [];
  private readonly opaqueVfs = new Set<string>();

  constructor(private readonly root: string, private readonly opts: ApplyOptions) {
    this.ops = opts.ops ?? shellNodeOps;
    this.chown = opts.chown ?? process.getuid?.() === 0;
    this.allowDevices = opts.allowDevices ?? true;
  }

  private parent(comps: string[], entry: string, create: boolean): Resolved {
    const key = comps.join('/');
    const hit = this.dirs.get(key);
    if (hit !== undefined) return hit;
    // Entries come in tree order, so the grandparent is nearly always known: resolve one step from it.
    const up = comps.length > 1 ? this.dirs.get(comps.slice(0, -1).join('/')) : undefined;
    const r = up === undefined
      ? resolveDirInRoot(this.root, comps, entry, create)
      : resolveDirInRoot(this.root, comps.slice(-1), entry, create, up);
    this.dirs.set(key, r);
    return r;
  }

  async entry(e: TarEntry, body: AsyncIterable<Buffer>): Promise<void> {
    const comps = splitEntryPath(e.path);
    const name = comps.pop();
    if (name === undefined) return; // "./": the root's own metadata belongs to the caller
    const parent = this.parent(comps, e.path, true);
    const rel = parent.rel.length === 0 ? name : `${parent.rel.join('/')}/${name}`;
    const abs = `${parent.abs}/${name}`;

    if (name.startsWith(WH)) return this.whiteout(e, name, parent);

    if (e.type === 'hardlink') return this.hardlink(e, abs, rel);
    if (e.type === 'dir') {
      this.replacing(abs, () => mkdirSync(abs, 0o700), true);
      this.created.add(rel);
      this.owner(abs, e);
      chmodSync(abs, e.mode);
      this.setXattrs(abs, e);
      this.dirTimes.push([abs, e.atime ?? e.mtime, e.mtime]);
      return;
    }
    this.created.add(rel);
    switch (e.type) {
      case 'file': {
        let fd = -1;
        this.replacing(abs, () => (fd = openSync(abs, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600)));
        try {
          for await (const chunk of body) {
            let off = 0;
            while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
          }
          if (this.chown) fchownSync(fd, e.uid, e.gid);
          fchmodSync(fd, e.mode); // after chown, which clears setuid/setgid
          futimesSync(fd, e.atime ?? e.mtime, e.mtime);
        } finally {
          closeSync(fd);
        }
        this.setXattrs(abs, e);
        return;
      }
      case 'symlink':
        this.replacing(abs, () => symlinkSync(e.linkname, abs));
        this.owner(abs, e);
        lutimesSync(abs, e.atime ?? e.mtime, e.mtime);
        this.setXattrs(abs, e);
        return;
      case 'char':
      case 'block':
        if (!this.allowDevices) throw unsafe(e.path, `is a ${e.type} device, and device nodes are not allowed here`);
        this.removeIfPresent(abs);
        this.pending.push({ path: abs, kind: e.type, major: e.devmajor, minor: e.devminor, entry: e, rel });
        return;
      case 'fifo':
        this.removeIfPresent(abs);
        this.pending.push({ path: abs, kind: 'fifo', major: 0, minor: 0, entry: e, rel });
        return;
    }
  }

  private hardlink(e: TarEntry, abs: string, rel: string): void {
    this.flushNodes(); // the target may be a node still waiting for mknod
    const tcomps = splitEntryPath(e.linkname, 'hardlink target', e.path);
    const tname = tcomps.pop();
    if (tname === undefined) throw unsafe(e.path, 'is a hardlink to the layer root');
    const tparent = this.parent(tcomps, e.path, false);
    const target = `${tparent.abs}/${tname}`;
    const tst = lstatOrUndefined(target);
    if (tst === undefined) throw unsafe(e.path, `is a hardlink to ${JSON.stringify(e.linkname)}, which is not in the layer`);
    if (tst.isDirectory()) throw unsafe(e.path, `is a hardlink to the directory ${JSON.stringify(e.linkname)}`);
    if (target === abs) return;
    this.replacing(abs, () => linkSync(target, abs));
    this.created.add(rel);
  }

  private whiteout(e: TarEntry, name: string, parent: Resolved): void {
    const parentRel = parent.rel.join('/');
    if (name === OPAQUE) {
      if (this.opts.whiteoutMode === 'overlay') {
        this.xattrs.push({ path: parent.abs, name: 'trusted.overlay.opaque', value: Buffer.from('y') });
      } else {
        this.opaqueVfs.add(parentRel);
      }
      return;
    }
    if (name.startsWith(WH_META)) return; // aufs bookkeeping (.wh..wh.plnk, …), meaningless here
    const victim = name.slice(WH.length);
    if (victim === '' || victim === '.' || victim === '..' || victim.includes('/')) {
      throw unsafe(e.path, 'is a whiteout that names its own directory or its parent');
    }
    const rel = parentRel === '' ? victim : `${parentRel}/${victim}`;
    if (this.created.has(rel)) return;
    const abs = `${parent.abs}/${victim}`;
    if (this.opts.whiteoutMode === 'overlay') {
      this.pending.push({ path: abs, kind: 'char', major: 0, minor: 0, entry: undefined, rel });
      return;
    }
    const st = lstatOrUndefined(abs);
    if (st !== undefined) this.removeExisting(abs, st);
  }

  /**
   * Create, and only if something is in the way (EEXIST, never a followed link), remove it and
   * create again: trying first saves an lstat per entry, and most entries are new.
   */
  private replacing(abs: string, create: () => void, keepDir = false): void {
    try {
      create();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const st = lstatSync(abs);
    if (keepDir && st.isDirectory()) return;
    this.removeExisting(abs, st);
    create();
  }

  private removeIfPresent(abs: string): void {
    const st = lstatOrUndefined(abs);
    if (st !== undefined) this.removeExisting(abs, st);
  }

  /** Make room for a new entry; a replaced directory or symlink may be on a cached route. */
  private removeExisting(abs: string, st: Stats): void {
    if (st.isDirectory()) rmSync(abs, { recursive: true, force: true });
    else unlinkSync(abs);
    if (st.isDirectory() || st.isSymbolicLink()) this.dirs.clear();
  }

  private owner(abs: string, e: TarEntry): void {
    if (this.chown) lchownSync(abs, e.uid, e.gid);
  }

  private setXattrs(abs: string, e: TarEntry): void {
    for (const [name, value] of e.xattrs) {
      // A layer must not steer overlayfs itself (opaque, redirect, metacopy): those are ours to set.
      if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) continue;
      this.xattrs.push({ path: abs, name, value });
    }
  }

  private flushNodes(): void {
    if (this.pending.length === 0) return;
    // A later entry at the same path wins over a node still waiting to be made.
    const todo = this.pending.filter((p) => lstatOrUndefined(p.path) === undefined);
    this.pending = [];
    this.ops.mknod(todo);
    for (const p of todo) {
      if (p.entry === undefined) continue;
      this.owner(p.path, p.entry);
      chmodSync(p.path, p.entry.mode);
      lutimesSync(p.path, p.entry.atime ?? p.entry.mtime, p.entry.mtime);
      this.setXattrs(p.path, p.entry);
    }
  }

  finish(): void {
    this.flushNodes();
    this.ops.setXattrs(this.xattrs);
    for (const dir of this.opaqueVfs) this.clearLower(dir);
    // Last, because creating anything inside a directory moves its mtime.
    for (const [abs, atime, mtime] of this.dirTimes) {
      if (lstatOrUndefined(abs)?.isDirectory() === true) lutimesSync(abs, atime, mtime);
    }
  }

  /** vfs opaque directory: drop everything under it that this layer did not write. */
  private clearLower(dirRel: string): void {
    const keep = new Set<string>();
    for (const p of this.created) {
      if (dirRel !== '' && !p.startsWith(dirRel + '/')) continue;
      keep.add(p);
      for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) keep.add(p.slice(0, i));
    }
    const walk = (rel: string): void => {
      const abs = rel === '' ? this.root : `${this.root}/${rel}`;
      for (const name of readdirSync(abs)) {
        const child = rel === '' ? name : `${rel}/${name}`;
        if (!keep.has(child)) {
          rmSync(`${abs}/${name}`, { recursive: true, force: true });
          continue;
        }
        if (lstatSync(`${abs}/${name}`).isDirectory()) walk(child);
      }
    };
    walk(dirRel);
    this.dirs.clear();
  }
}

function lstatOrUndefined(p: string): Stats | undefined {
  // Not throwing on ENOENT matters: most entries are new, and building an exception costs more than the lstat.
  return lstatSync(p, { throwIfNoEntry: false });
}
