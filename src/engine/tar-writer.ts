// A small tar writer (ustar with PAX records for long names and large values) for `commit` and
// `export`: it never follows a symlink, and it turns overlay whiteouts into `.wh.` entries.
import { closeSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const BLOCK = 512;

function octal(n: number, len: number): string {
  return n.toString(8).padStart(len - 1, '0') + '\0';
}

function header(name: string, st: { mode: number; uid: number; gid: number; size: number; mtime: number; type: string; link?: string }): Buffer {
  const pax: string[] = [];
  const rec = (k: string, v: string): void => {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    pax.push(`${len}${body}`);
  };
  let n = name;
  if (Buffer.byteLength(n) > 99) {
    rec('path', n);
    n = n.slice(0, 99);
  }
  if (st.link !== undefined && Buffer.byteLength(st.link) > 99) rec('linkpath', st.link);
  if (st.size > 0o77777777777) rec('size', String(st.size));
  const out: Buffer[] = [];
  if (pax.length > 0) {
    const data = Buffer.from(pax.join(''));
    out.push(rawHeader('PaxHeader', { mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: st.mtime, type: 'x' }), pad(data));
  }
  out.push(rawHeader(n, { ...st, size: st.size > 0o77777777777 ? 0 : st.size, link: st.link?.slice(0, 99) }));
  return Buffer.concat(out);
}

function rawHeader(name: string, st: { mode: number; uid: number; gid: number; size: number; mtime: number; type: string; link?: string | undefined }): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name, 0, 100);
  b.write(octal(st.mode & 0o7777, 8), 100);
  b.write(octal(st.uid, 8), 108);
  b.write(octal(st.gid, 8), 116);
  b.write(octal(st.size, 12), 124);
  b.write(octal(Math.floor(st.mtime), 12), 136);
  b.write('        ', 148);
  b.write(st.type, 156);
  if (st.link !== undefined) b.write(st.link, 157, 100);
  b.write('ustar\0', 257);
  b.write('00', 263);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(octal(sum, 7) + ' ', 148);
  return b;
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Entries of `root` (sorted, parents first) as tar blocks; `whiteouts` converts overlay ones. */
export function* tarEntries(root: string, opts: { whiteouts?: boolean; opaque?: (dir: string) => boolean } = {}): Generator<Buffer> {
  const hardlinks = new Map<string, string>();
  function* walk(dir: string, rel: string): Generator<Buffer> {
    const names = readdirSync(dir).sort();
    for (const name of names) {
      const full = join(dir, name);
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(full);
      const base = { mode: st.mode, uid: st.uid, gid: st.gid, size: 0, mtime: st.mtimeMs / 1000 };
      if (opts.whiteouts && isWhiteout(st)) {
        yield header(rel === '' ? `.wh.${name}` : `${rel}/.wh.${name}`, { ...base, mode: 0o644, type: '0' });
        continue;
      }
      if (st.isDirectory()) {
        yield header(`${path}/`, { ...base, type: '5' });
        if (opts.whiteouts && opts.opaque?.(full)) yield header(`${path}/.wh..wh..opq`, { ...base, mode: 0o644, type: '0' });
        yield* walk(full, path);
      } else if (st.isSymbolicLink()) {
        yield header(path, { ...base, type: '2', link: readlinkSync(full) });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        if (st.nlink > 1 && hardlinks.has(key)) {
          yield header(path, { ...base, type: '1', link: hardlinks.get(key)! });
          continue;
        }
        if (st.nlink > 1) hardlinks.set(key, path);
        yield header(path, { ...base, size: st.size, type: '0' });
        const fd = openSync(full, 'r');
        try {
          const buf = Buffer.alloc(64 * 1024);
          let left = st.size;
          while (left > 0) {
            const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
            if (n === 0) break;
            yield Buffer.from(buf.subarray(0, n));
            left -= n;
          }
          // A file that shrank while being read is padded to the size in its header.
          if (left > 0) yield Buffer.alloc(left);
        } finally {
          closeSync(fd);
        }
        const rest = st.size % BLOCK;
        if (rest !== 0) yield Buffer.alloc(BLOCK - rest);
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const h = rawHeader(path, { ...base, type: st.isCharacterDevice() ? '3' : '4' });
        h.write(octal(Math.floor(st.rdev / 256) & 0xfff, 8), 329);
        h.write(octal(st.rdev & 0xff, 8), 337);
        let sum = 0;
        h.write('        ', 148);
        for (const x of h) sum += x;
        h.write(octal(sum, 7) + ' ', 148);
        yield h;
      } else if (st.isFIFO()) {
        yield header(path, { ...base, type: '6' });
      }
    }
  }
  yield* walk(root, '');
  yield Buffer.alloc(BLOCK * 2);
}

export function tarStream(root: string, opts: { whiteouts?: boolean; opaque?: (dir: string) => boolean } = {}): Readable {
  return Readable.from(tarEntries(root, opts), { objectMode: false });
}
