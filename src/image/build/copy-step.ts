// COPY and ADD into a step's mounted rootfs. Sources come from the build context (the walked entries,
// so .dockerignore holds) or from another stage's or image's rootfs (a read-only view). Docker's
// rules: a directory source copies its contents; a file lands at the destination, or inside it when
// the destination ends with `/`, is a directory, or there are several sources; context files are
// owned by root unless --chown, while --from keeps the owners it finds. Every write is resolved
// inside the rootfs and replaces the final component rather than following it.

import { chmodSync, copyFileSync, createReadStream, lchownSync, lstatSync, mkdirSync, openSync, readSync, closeSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync, constants, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { BerthError } from '../../errors.js';
import { applyLayer } from '../unpack/apply-layer.js';
import type { AddInstruction, CopyInstruction } from './ast.js';
import { cleanSource, selectEntries } from './cache-key.js';
import { Pattern, PatternMatcher, type ContextEntry } from './dockerignore.js';
import { mkdirInRoot, resolveInRoot, type Owner } from './in-root.js';
import { resolveChown } from './passwd.js';

export type CopySource =
  | { kind: 'context'; dir: string; entries: readonly ContextEntry[] }
  | { kind: 'rootfs'; root: string; what: string };

export interface CopyOptions {
  rootfs: string;
  instruction: CopyInstruction | AddInstruction;
  workdir: string;
  source: CopySource;
  /** For messages: `Dockerfile:12`. */
  where: string;
}

interface Item {
  /** Path below the matched source root ('' for the root itself). */
  rel: string;
  abs: string;
  st: Stats;
}

const GLOB = /[*?[\\]/;

function fail(where: string, msg: string): never {
  throw new BerthError('BERTH_EBUILD', `${where}: ${msg}`);
}

function parseChmod(where: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-7]{1,4}$/.test(v)) fail(where, `--chmod=${v}: only octal modes are supported`);
  return parseInt(v, 8);
}

function isArchive(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(512);
    const n = readSync(fd, b, 0, 512, 0);
    if (n >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true; // gzip
    if (n >= 4 && b.readUInt32BE(0) === 0x28b52ffd) return true; // zstd
    return n >= 262 && b.toString('latin1', 257, 262) === 'ustar';
  } finally {
    closeSync(fd);
  }
}

/** The matched roots of one source in the context, with everything below each. */
function contextItems(src: { dir: string; entries: readonly ContextEntry[] }, source: string, exclude: PatternMatcher | undefined): Array<{ root: string; items: Item[] }> {
  const selected = selectEntries(src.entries, source);
  const clean = cleanSource(source);
  const roots = clean === '' ? [''] : GLOB.test(clean) ? selected.filter((e) => new Pattern(clean).test(e.path)).map((e) => e.path) : [clean];
  return roots.map((root) => {
    const items: Item[] = [];
    for (const e of selected) {
      if (!(root === '' || e.path === root || e.path.startsWith(`${root}/`))) continue;
      const rel = root === '' ? e.path : e.path === root ? '' : e.path.slice(root.length + 1);
      if (exclude !== undefined && rel !== '' && exclude.matches(rel)) continue;
      const abs = join(src.dir, e.path);
      items.push({ rel, abs, st: lstatSync(abs) });
    }
    if (root === '') items.unshift({ rel: '', abs: src.dir, st: lstatSync(src.dir) });
    return { root, items };
  });
}

function walkHost(abs: string, rel: string, out: Item[]): void {
  const st = lstatSync(abs);
  out.push({ rel, abs, st });
  if (!st.isDirectory()) return;
  for (const name of readdirSync(abs).sort()) walkHost(join(abs, name), rel === '' ? name : `${rel}/${name}`, out);
}

/** Sources from another rootfs: resolved inside it; a glob may only be in the last component. */
function rootfsItems(root: string, source: string, exclude: PatternMatcher | undefined): Array<{ root: string; items: Item[] }> {
  const clean = posix.normalize(`/${source}`);
  const parent = posix.dirname(clean);
  const base = posix.basename(clean);
  let paths: string[];
  if (GLOB.test(parent)) throw new BerthError('BERTH_EBUILD', `${source}: COPY --from supports wildcards in the last path component only`);
  if (GLOB.test(base)) {
    const dir = resolveInRoot(root, parent);
    const p = new Pattern(base);
    paths = dir.exists ? readdirSync(dir.host).sort().filter((n) => p.test(n)).map((n) => posix.join(parent, n)) : [];
  } else {
    paths = resolveInRoot(root, clean).exists ? [clean] : [];
  }
  return paths.map((p) => {
    const r = resolveInRoot(root, p);
    const items: Item[] = [];
    walkHost(r.host, '', items);
    return { root: p, items: items.filter((i) => i.rel === '' || exclude === undefined || !exclude.matches(i.rel)) };
  });
}

/** Removes what is at `host` unless it is a directory and a directory is wanted. */
function clear(host: string, wantDir: boolean): boolean {
  const st = lstatSync(host, { throwIfNoEntry: false });
  if (st === undefined) return false;
  if (st.isDirectory()) {
    if (wantDir) return true;
    rmSync(host, { recursive: true, force: true });
    return false;
  }
  unlinkSync(host);
  return false;
}

function place(rootfs: string, target: string, item: Item, owner: Owner | undefined, chmod: number | undefined, parentOwner: Owner | undefined): void {
  const parent = mkdirInRoot(rootfs, posix.dirname(target), parentOwner);
  const host = join(parent.host, posix.basename(target));
  const st = item.st;
  const uid = owner?.uid ?? st.uid;
  const gid = owner?.gid ?? st.gid;
  if (st.isDirectory()) {
    if (!clear(host, true)) mkdirSync(host, 0o755);
    chmodSync(host, chmod ?? st.mode & 0o7777);
  } else if (st.isSymbolicLink()) {
    clear(host, false);
    symlinkSync(readlinkSync(item.abs), host);
  } else if (st.isFile()) {
    clear(host, false);
    // COPYFILE_EXCL: the name was just cleared, so a symlink planted there is an error, not followed.
    copyFileSync(item.abs, host, constants.COPYFILE_EXCL);
    chmodSync(host, chmod ?? st.mode & 0o7777);
  } else {
    return; // devices, fifos and sockets are not copied
  }
  lchownSync(host, uid, gid);
  if (!st.isSymbolicLink()) utimesSync(host, st.atime, st.mtime);
}

export async function copyStep(o: CopyOptions): Promise<void> {
  const ins = o.instruction;
  const chmod = parseChmod(o.where, ins.chmod);
  const chown = ins.chown === undefined ? undefined : resolveChown(o.rootfs, ins.chown);
  const fromContext = o.source.kind === 'context';
  const owner: Owner | undefined = chown ?? (fromContext ? { uid: 0, gid: 0 } : undefined);
  const dest = posix.resolve(o.workdir, ins.dest);
  const many = ins.sources.length + ins.heredocs.length > 1 || ins.sources.some((s) => GLOB.test(s));
  const destIsDir = ins.dest.endsWith('/') || ins.dest === '.' || many || lstatIsDir(o.rootfs, dest);
  const exclude = ins.exclude.length > 0 ? new PatternMatcher(ins.exclude) : undefined;

  for (const h of ins.heredocs) {
    const target = destIsDir ? posix.join(dest, h.name) : dest;
    const parent = mkdirInRoot(o.rootfs, posix.dirname(target), chown);
    const host = join(parent.host, posix.basename(target));
    clear(host, false);
    writeFileSync(host, h.content, { mode: 0o644, flag: 'wx' });
    chmodSync(host, chmod ?? 0o644);
    lchownSync(host, owner?.uid ?? 0, owner?.gid ?? 0);
  }

  for (const src of ins.sources) {
    if (/^(?:https?:\/\/|git@|git:\/\/)/.test(src)) {
      fail(o.where, `${ins.kind} ${src}: remote sources are not supported (berth builds offline-first): download it into the context and COPY it`);
    }
    const norm = posix.normalize(src);
    if (fromContext && (norm === '..' || norm.startsWith('../'))) fail(o.where, `${ins.kind} ${src}: the source is outside the build context`);
    const groups = o.source.kind === 'context' ? contextItems(o.source, src, exclude) : rootfsItems(o.source.root, src, exclude);
    if (groups.length === 0 || groups.every((g) => g.items.length === 0)) {
      fail(o.where, o.source.kind === 'context'
        ? `${ins.kind} ${src}: not found in the build context (or excluded by .dockerignore)`
        : `${ins.kind} ${src}: not found in ${o.source.what}`);
    }
    for (const g of groups) {
      const top = g.items.find((i) => i.rel === '');
      if (top === undefined) continue;
      if (top.st.isDirectory()) {
        // A directory source: its contents go into the destination directory.
        mkdirInRoot(o.rootfs, dest, chown);
        for (const it of g.items) if (it.rel !== '') place(o.rootfs, posix.join(dest, it.rel), it, owner, chmod, chown);
        continue;
      }
      const target = destIsDir ? posix.join(dest, posix.basename(g.root === '' ? src : g.root)) : dest;
      if (ins.kind === 'ADD' && ins.unpack !== false && top.st.isFile() && isArchive(top.abs)) {
        const into = mkdirInRoot(o.rootfs, dest, chown);
        await applyLayer(createReadStream(top.abs), into.host, { whiteoutMode: 'vfs' }).catch((e: unknown) => {
          throw new BerthError('BERTH_EBUILD', `${o.where}: ADD ${src}: cannot unpack: ${(e as Error).message}`, { cause: e });
        });
        continue;
      }
      place(o.rootfs, target, top, owner, chmod, chown);
    }
  }
}

function lstatIsDir(rootfs: string, path: string): boolean {
  const r = resolveInRoot(rootfs, path);
  return r.exists && lstatSync(r.host).isDirectory();
}
