// A small tar writer for tests: enough of ustar, GNU long names and PAX to build both ordinary
// and hostile archives byte by byte.

export interface TestEntry {
  name: string;
  /** Tar typeflag; '0' by default. */
  type?: string;
  data?: Buffer | string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Records for a PAX 'x' header written before this entry. */
  pax?: Record<string, string | Buffer>;
  /** Write GNU 'L' / 'K' headers for the name / link name. */
  gnuLong?: boolean;
  /** Override the size field (to lie about sizes). */
  sizeField?: number;
}

function octal(b: Buffer, off: number, len: number, v: number): void {
  b.write(v.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

export function header(e: { name: string; type: string; size: number; mode?: number; uid?: number; gid?: number; mtime?: number; linkname?: string; devmajor?: number; devminor?: number; gnu?: boolean }): Buffer {
  const b = Buffer.alloc(512);
  Buffer.from(e.name).copy(b, 0, 0, 100);
  octal(b, 100, 8, e.mode ?? 0o644);
  octal(b, 108, 8, e.uid ?? 0);
  octal(b, 116, 8, e.gid ?? 0);
  octal(b, 124, 12, e.size);
  octal(b, 136, 12, e.mtime ?? 1_600_000_000);
  b.write(e.type, 156, 1, 'latin1');
  Buffer.from(e.linkname ?? '').copy(b, 157, 0, 100);
  if (e.gnu === true) b.write('ustar  \0', 257, 8, 'latin1');
  else b.write('ustar\x0000', 257, 8, 'latin1');
  octal(b, 329, 8, e.devmajor ?? 0);
  octal(b, 337, 8, e.devminor ?? 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += c;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

function pad(data: Buffer): Buffer {
  const rest = (512 - (data.length % 512)) % 512;
  return Buffer.concat([data, Buffer.alloc(rest)]);
}

export function paxData(records: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${k}=`), Buffer.isBuffer(v) ? v : Buffer.from(v), Buffer.from('\n')]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    parts.push(Buffer.concat([Buffer.from(String(len)), body]));
  }
  return Buffer.concat(parts);
}

export function tarBytes(entries: TestEntry[], opts: { end?: boolean } = {}): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    if (e.pax !== undefined) {
      const d = paxData(e.pax);
      out.push(header({ name: 'PaxHeader', type: 'x', size: d.length }), pad(d));
    }
    if (e.gnuLong === true) {
      const n = Buffer.from(e.name + '\0');
      out.push(header({ name: '././@LongLink', type: 'L', size: n.length, gnu: true }), pad(n));
      if (e.linkname !== undefined) {
        const l = Buffer.from(e.linkname + '\0');
        out.push(header({ name: '././@LongLink', type: 'K', size: l.length, gnu: true }), pad(l));
      }
    }
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    out.push(
      header({
        name: e.name, type: e.type ?? '0', size: e.sizeField ?? data.length, mode: e.mode, uid: e.uid, gid: e.gid,
        mtime: e.mtime, linkname: e.linkname, devmajor: e.devmajor, devminor: e.devminor, gnu: e.gnuLong,
      }),
      pad(data),
    );
  }
  if (opts.end !== false) out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

export async function* chunked(b: Buffer, size = 700): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}
