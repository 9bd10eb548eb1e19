// The archive endpoints of `docker cp` and `docker export`. Every path is resolved inside the
// container's rootfs (engine/inroot.ts: symlinks are followed by hand and never leave it); the tar
// walk never follows a link; an upload is extracted by the layer extractor rooted at the resolved
// directory, which refuses entries that would climb out of it.
import { createReadStream, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError } from '../../errors.js';
import { exportContainer as engineExport, rootfsOf } from '../../engine/files.js';
import { resolveInRoot } from '../../engine/inroot.js';
import { writeTar, type TarSourceEntry } from '../../image/archive/tar-writer.js';
import { applyLayer } from '../../image/unpack/apply-layer.js';
import type { ApiStream, ArchivePutOptions } from '../backend.js';
import { Channel } from '../channel.js';
import type { PathStat } from '../types.js';
import type { EngineApi } from './state.js';

/** Go's os.FileMode bits, which the CLI decodes from the stat header (IsDir is bit 31). */
const GO_MODE = { dir: 2 ** 31, symlink: 2 ** 27, device: 2 ** 26, pipe: 2 ** 25, socket: 2 ** 24, setuid: 2 ** 23, setgid: 2 ** 22, char: 2 ** 21, sticky: 2 ** 20 };

export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += GO_MODE.dir;
  else if (st.isSymbolicLink()) m += GO_MODE.symlink;
  else if (st.isFIFO()) m += GO_MODE.pipe;
  else if (st.isSocket()) m += GO_MODE.socket;
  else if (st.isCharacterDevice()) m += GO_MODE.device + GO_MODE.char;
  else if (st.isBlockDevice()) m += GO_MODE.device;
  if (st.mode & 0o4000) m += GO_MODE.setuid;
  if (st.mode & 0o2000) m += GO_MODE.setgid;
  if (st.mode & 0o1000) m += GO_MODE.sticky;
  return m;
}

interface Resolved { host: string; inside: string; st: Stats; stat: PathStat }

async function resolvePath(api: EngineApi, ref: string, path: string): Promise<Resolved> {
  const rec = await api.find(ref);
  const root = await rootfsOf(api.engine, rec);
  // docker: a trailing "/" or "/." means the directory's content, so the last link is followed.
  const r = resolveInRoot(root, path, { followLast: path.endsWith('/') || path.endsWith('/.') });
  if (!r.exists) throw new BerthError('BERTH_ENOTFOUND', `Could not find the file ${path} in container ${ref}`);
  const st = lstatSync(r.host);
  const name = basename(r.inside) === '' ? '/' : basename(r.inside);
  const stat: PathStat = {
    name, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(),
    linkTarget: st.isSymbolicLink() ? readlinkSync(r.host) : '',
  };
  return { host: r.host, inside: r.inside, st, stat };
}

export async function statPath(api: EngineApi, ref: string, path: string): Promise<PathStat> {
  return (await resolvePath(api, ref, path)).stat;
}

async function* entries(host: string, name: string): AsyncGenerator<TarSourceEntry> {
  const stack: Array<[string, string]> = [[host, name]];
  const links = new Map<string, string>();
  while (stack.length > 0) {
    const [abs, rel] = stack.pop()!;
    const st = lstatSync(abs);
    const base = { name: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) {
      yield { entry: { ...base, type: 'dir' } };
      const names = readdirSync(abs).sort();
      for (let i = names.length - 1; i >= 0; i--) stack.push([join(abs, names[i]!), `${rel}/${names[i]!}`]);
    } else if (st.isSymbolicLink()) {
      yield { entry: { ...base, type: 'symlink', linkname: readlinkSync(abs) } };
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) { yield { entry: { ...base, type: 'hardlink', linkname: first } }; continue; }
      if (st.nlink > 1) links.set(key, rel);
      yield { entry: { ...base, type: 'file', size: st.size }, body: createReadStream(abs) };
    } else if (st.isFIFO()) {
      yield { entry: { ...base, type: 'fifo' } };
    }
    // sockets and devices are left out, as cp has no use for them
  }
}

function pumpInto<T>(source: AsyncGenerator<T> | AsyncIterable<T>, highWater = 16): Channel<T> {
  const it = source[Symbol.asyncIterator]();
  const ch = new Channel<T>(highWater, () => { void it.return?.(undefined); });
  void (async () => {
    try {
      for (;;) {
        const r = await it.next();
        if (r.done === true || ch.closed) break;
        await ch.push(r.value);
      }
      ch.end();
    } catch (e) {
      ch.end(e);
    }
  })();
  return ch;
}

export async function getArchive(api: EngineApi, ref: string, path: string): Promise<{ stat: PathStat; tar: ApiStream<Buffer> }> {
  const r = await resolvePath(api, ref, path);
  // `cp ctr:/dir/. dest` wants the content, which the CLI renames from the directory's own name.
  const top = r.stat.name === '/' ? '.' : r.stat.name;
  return { stat: r.stat, tar: pumpInto(writeTar(entries(r.host, top))) };
}

export async function putArchive(api: EngineApi, ref: string, path: string, tar: Readable, _opts: ArchivePutOptions): Promise<void> {
  const rec = await api.find(ref);
  const root = await rootfsOf(api.engine, rec);
  const d = resolveInRoot(root, path);
  if (!d.exists) throw new BerthError('BERTH_ENOTFOUND', `Could not find the file ${path} in container ${ref}`);
  if (!lstatSync(d.host).isDirectory()) throw new BerthError('BERTH_EINVAL', `extraction point is not a directory: ${path}`);
  // noOverwriteDirNonDir is not enforced: the extractor replaces what is there, as a layer does.
  try {
    await applyLayer(tar, d.host, { whiteoutMode: 'vfs', allowDevices: false, chown: true });
  } catch (e) {
    if (e instanceof BerthError) throw new BerthError('BERTH_EINVAL', `cannot extract the archive into ${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

export async function exportFs(api: EngineApi, ref: string): Promise<ApiStream<Buffer>> {
  const rec = await api.find(ref);
  const stream = await engineExport(api.engine, rec);
  api.containerEvent(rec, 'export');
  return pumpInto(stream as AsyncIterable<Buffer>);
}

export { pumpInto };
