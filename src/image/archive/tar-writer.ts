// A streaming tar writer: POSIX ustar headers, with a PAX record only when a value does not fit
// (long names, large sizes or ids, xattrs), so ordinary archives stay readable by any tar. The
// output is a function of the entries alone (no host names, no clock), which keeps saved images
// and the default image deterministic.

export type TarWriteType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarWriteEntry {
  name: string;
  type: TarWriteType;
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch (integer). */
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  uname?: string;
  gname?: string;
  xattrs?: Map<string, Buffer>;
}

const BLOCK = 512;
const TYPEFLAG: Record<TarWriteType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

export const TAR_END = Buffer.alloc(2 * BLOCK);

function fitsOctal(v: number, len: number): boolean {
  return Number.isSafeInteger(v) && v >= 0 && v < 8 ** (len - 1);
}

function octal(b: Buffer, off: number, len: number, v: number): void {
  b.write(v.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function ustar(e: { name: string; typeflag: string; size: number; mode: number; uid: number; gid: number; mtime: number; linkname: string; uname: string; gname: string; devmajor: number; devminor: number }): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(e.name, 0, 100, 'utf8');
  octal(b, 100, 8, e.mode);
  octal(b, 108, 8, e.uid);
  octal(b, 116, 8, e.gid);
  octal(b, 124, 12, e.size);
  octal(b, 136, 12, e.mtime);
  b.write(e.typeflag, 156, 1, 'latin1');
  b.write(e.linkname, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 8, 'latin1');
  b.write(e.uname, 265, 32, 'utf8');
  b.write(e.gname, 297, 32, 'utf8');
  octal(b, 329, 8, e.devmajor);
  octal(b, 337, 8, e.devminor);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += c;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

/** The header block(s) of one entry: a PAX header first when needed. */
export function tarHeader(e: TarWriteEntry): Buffer {
  const size = e.type === 'file' ? e.size ?? 0 : 0;
  const name = e.type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
  const linkname = e.linkname ?? '';
  const mode = e.mode ?? (e.type === 'dir' ? 0o755 : 0o644);
  const uid = e.uid ?? 0;
  const gid = e.gid ?? 0;
  const mtime = Math.max(0, Math.floor(e.mtime ?? 0));
  const pax: Buffer[] = [];
  if (Buffer.byteLength(name) > 100) pax.push(paxRecord('path', Buffer.from(name)));
  if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord('linkpath', Buffer.from(linkname)));
  if (!fitsOctal(size, 12)) pax.push(paxRecord('size', Buffer.from(String(size))));
  if (!fitsOctal(uid, 8)) pax.push(paxRecord('uid', Buffer.from(String(uid))));
  if (!fitsOctal(gid, 8)) pax.push(paxRecord('gid', Buffer.from(String(gid))));
  for (const [k, v] of [...(e.xattrs ?? new Map<string, Buffer>())].sort(([a], [b]) => (a < b ? -1 : 1))) pax.push(paxRecord(`SCHILY.xattr.${k}`, v));
  const main = ustar({
    name: Buffer.byteLength(name) > 100 ? name.slice(0, 99) : name,
    typeflag: TYPEFLAG[e.type],
    size: fitsOctal(size, 12) ? size : 0,
    mode: mode & 0o7777,
    uid: fitsOctal(uid, 8) ? uid : 0,
    gid: fitsOctal(gid, 8) ? gid : 0,
    mtime,
    linkname: Buffer.byteLength(linkname) > 100 ? linkname.slice(0, 99) : linkname,
    uname: e.uname ?? '',
    gname: e.gname ?? '',
    devmajor: e.devmajor ?? 0,
    devminor: e.devminor ?? 0,
  });
  if (pax.length === 0) return main;
  const data = Buffer.concat(pax);
  const base = name.replace(/\/$/, '').split('/').pop() ?? 'entry';
  const ph = ustar({
    name: `PaxHeaders/${base}`.slice(0, 99), typeflag: 'x', size: data.length, mode: 0o644, uid: 0, gid: 0, mtime,
    linkname: '', uname: '', gname: '', devmajor: 0, devminor: 0,
  });
  return Buffer.concat([ph, data, padding(data.length), main]);
}

export interface TarSourceEntry {
  entry: TarWriteEntry;
  /** The file's bytes; exactly entry.size of them. */
  body?: AsyncIterable<Uint8Array> | Uint8Array;
}

/** A tar stream of the entries; a body shorter or longer than its declared size is an error. */
export async function* writeTar(entries: AsyncIterable<TarSourceEntry> | Iterable<TarSourceEntry>): AsyncGenerator<Buffer> {
  for await (const { entry, body } of entries) {
    yield tarHeader(entry);
    if (entry.type !== 'file') continue;
    const want = entry.size ?? 0;
    let n = 0;
    if (body instanceof Uint8Array) {
      n = body.length;
      if (n === want) yield Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    } else if (body !== undefined) {
      for await (const c of body) {
        n += c.byteLength;
        if (n > want) break;
        yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      }
    }
    if (n !== want) throw new Error(`tar: ${entry.name} changed size while being written (${n} bytes, header says ${want})`);
    yield padding(want);
  }
  yield TAR_END;
}
