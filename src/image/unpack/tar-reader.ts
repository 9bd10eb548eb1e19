// A streaming tar reader: entries come out one at a time with their body as a stream of slices,
// so a layer of any size passes through in constant memory. GNU long names (L/K) and PAX headers
// (x) are folded into the entry they describe; their size is capped, because they are buffered.

import { BerthError } from '../../errors.js';
import { ByteReader } from './byte-reader.js';
import { BLOCK, isZeroBlock, parseHeader, parsePax, paxInt, paxTime } from './tar-header.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  path: string;
  type: EntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Seconds since the epoch, possibly fractional (PAX). */
  mtime: number;
  atime: number | undefined;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** From PAX SCHILY.xattr.<name>. */
  xattrs: Map<string, Buffer>;
}

export interface TarReaderOptions {
  /** Largest PAX or GNU long-name block buffered for one entry; default 1 MiB. */
  maxMetaSize?: number;
  /** Longest path or link target accepted; default 4096 (PATH_MAX). */
  maxPathLength?: number;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file', '\0': 'file', '7': 'file',
  '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

function bad(msg: string): BerthError {
  return new BerthError('BERTH_ELAYER', `layer archive: ${msg}`);
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * Yields each entry with a body iterable. The body must be used before asking for the next entry;
 * whatever is left of it is skipped. At the end of the archive the rest of the stream is read too,
 * so a hash over the stream covers every byte.
 */
export async function* readTar(source: AsyncIterable<Uint8Array>, opts: TarReaderOptions = {}): AsyncGenerator<{ entry: TarEntry; body: AsyncIterable<Buffer> }> {
  const maxMeta = opts.maxMetaSize ?? 1 << 20;
  const maxPath = opts.maxPathLength ?? 4096;
  const r = new ByteReader(source[Symbol.asyncIterator]());
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;

  const meta = async (size: number, what: string, at: number): Promise<Buffer> => {
    if (size > maxMeta) throw bad(`${what} of ${size} bytes at byte ${at} is over the ${maxMeta}-byte limit`);
    const data = Buffer.from(await r.read(size));
    await r.skip(padding(size));
    return data;
  };

  for (;;) {
    const at = r.position;
    const block = await r.readOrEnd(BLOCK);
    if (block === undefined || isZeroBlock(block)) break;
    const h = parseHeader(block, at);
    switch (h.typeflag) {
      case 'x':
        parsePax(await meta(h.size, 'PAX header', at), at, pax);
        continue;
      case 'g':
        // Global headers describe the archive, not a file; Docker ignores them, and so do we.
        await meta(h.size, 'PAX global header', at);
        continue;
      case 'L':
        longName = cutNul(await meta(h.size, 'GNU long name', at));
        continue;
      case 'K':
        longLink = cutNul(await meta(h.size, 'GNU long link name', at));
        continue;
      case 'V':
        await r.skip(h.size + padding(h.size));
        continue;
      default:
        break;
    }
    let type = TYPES[h.typeflag];
    if (type === undefined) {
      throw bad(`entry ${JSON.stringify(longName ?? h.name)} has unsupported type ${JSON.stringify(h.typeflag)}`);
    }
    for (const k of pax.keys()) {
      if (k.startsWith('GNU.sparse.')) throw bad(`entry ${JSON.stringify(h.name)} is a sparse file, which is not supported`);
    }
    const path = pax.get('path')?.toString('utf8') ?? longName ?? h.name;
    const linkname = pax.get('linkpath')?.toString('utf8') ?? longLink ?? h.linkname;
    // Old tars mark directories only by a trailing slash on a regular entry.
    if (type === 'file' && h.typeflag !== '7' && path.endsWith('/')) type = 'dir';
    if (path.length === 0) throw bad(`entry at byte ${at} has an empty name`);
    if (path.length > maxPath || linkname.length > maxPath) throw bad(`entry at byte ${at} has a name over ${maxPath} bytes`);
    if (path.includes('\0') || linkname.includes('\0')) throw bad(`entry at byte ${at} has a NUL in its name`);
    const pv = (k: string): Buffer | undefined => pax.get(k);
    const size = pv('size') !== undefined ? paxInt(pv('size') as Buffer, 'size', at) : h.size;
    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), v);
    const entry: TarEntry = {
      path,
      type,
      // Only regular files carry data, whatever the size field of other types says.
      size: type === 'file' ? size : 0,
      mode: h.mode & 0o7777,
      uid: pv('uid') !== undefined ? paxInt(pv('uid') as Buffer, 'uid', at) : h.uid,
      gid: pv('gid') !== undefined ? paxInt(pv('gid') as Buffer, 'gid', at) : h.gid,
      uname: pv('uname')?.toString('utf8') ?? h.uname,
      gname: pv('gname')?.toString('utf8') ?? h.gname,
      mtime: pv('mtime') !== undefined ? paxTime(pv('mtime') as Buffer, 'mtime', at) : h.mtime,
      atime: pv('atime') !== undefined ? paxTime(pv('atime') as Buffer, 'atime', at) : undefined,
      linkname,
      devmajor: h.devmajor,
      devminor: h.devminor,
      xattrs,
    };
    pax = new Map();
    longName = undefined;
    longLink = undefined;
    let left = entry.size;
    const body: AsyncIterable<Buffer> = {
      async *[Symbol.asyncIterator]() {
        for await (const s of r.slices(left)) {
          left -= s.length;
          yield s;
        }
      },
    };
    yield { entry, body };
    await r.skip(left + padding(entry.size));
  }
  await r.drain();
}

function cutNul(b: Buffer): string {
  const i = b.indexOf(0);
  return b.toString('utf8', 0, i === -1 ? b.length : i);
}
