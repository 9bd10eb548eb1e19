// Decoding of one 512-byte tar header block and of PAX extended-header records. Formats: POSIX
// ustar (name split into prefix/name), GNU (numbers in base-256, no prefix field), and old V7.

import { BerthError } from '../../errors.js';

export const BLOCK = 512;

export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

function bad(msg: string, at: number): BerthError {
  return new BerthError('BERTH_ELAYER', `layer archive: ${msg} (header at byte ${at})`);
}

function cstring(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

/** Octal, space/NUL padded; or GNU base-256 when the top bit of the first byte is set. */
function number(b: Buffer, start: number, len: number, field: string, at: number): number {
  const first = b[start] as number;
  if (first & 0x80) {
    if (first === 0xff) throw bad(`negative ${field}`, at);
    let v = first & 0x7f;
    for (let i = 1; i < len; i++) {
      v = v * 256 + (b[start + i] as number);
      if (v > Number.MAX_SAFE_INTEGER) throw bad(`${field} is too large`, at);
    }
    return v;
  }
  let s = start;
  let e = start + len;
  while (s < e && (b[s] === 0x20 || b[s] === 0)) s++;
  while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0)) e--;
  if (s === e) return 0;
  const text = b.toString('latin1', s, e);
  if (!/^[0-7]+$/.test(text)) throw bad(`${field} is not an octal number`, at);
  const v = Number.parseInt(text, 8);
  if (!Number.isSafeInteger(v)) throw bad(`${field} is too large`, at);
  return v;
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

export function parseHeader(b: Buffer, at: number): RawHeader {
  const want = number(b, 148, 8, 'checksum', at);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : (b[i] as number);
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  if (want !== unsigned && want !== signed) throw bad('header checksum mismatch', at);
  const magic = b.toString('latin1', 257, 263);
  const version = b.toString('latin1', 263, 265);
  let name = cstring(b, 0, 100);
  // POSIX ustar splits long names into prefix/name; GNU ("ustar  \0") uses that space for other data.
  if (magic === 'ustar\0' && version === '00') {
    const prefix = cstring(b, 345, 155);
    if (prefix.length > 0) name = `${prefix}/${name}`;
  }
  const ustarish = magic.startsWith('ustar');
  return {
    name,
    mode: number(b, 100, 8, 'mode', at),
    uid: number(b, 108, 8, 'uid', at),
    gid: number(b, 116, 8, 'gid', at),
    size: number(b, 124, 12, 'size', at),
    mtime: number(b, 136, 12, 'mtime', at),
    typeflag: String.fromCharCode(b[156] as number),
    linkname: cstring(b, 157, 100),
    uname: ustarish ? cstring(b, 265, 32) : '',
    gname: ustarish ? cstring(b, 297, 32) : '',
    devmajor: ustarish ? number(b, 329, 8, 'devmajor', at) : 0,
    devminor: ustarish ? number(b, 337, 8, 'devminor', at) : 0,
  };
}

/**
 * PAX records: "<len> <key>=<value>\n", len counting the whole record. Values stay bytes, because
 * SCHILY.xattr values are binary; an empty value deletes the key (it undoes a global setting).
 */
export function parsePax(data: Buffer, at: number, into: Map<string, Buffer>): void {
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the record area with NULs
    const sp = data.indexOf(0x20, pos);
    if (sp === -1 || sp - pos > 20) throw bad('malformed PAX record length', at);
    const lenText = data.toString('latin1', pos, sp);
    if (!/^[0-9]+$/.test(lenText)) throw bad('malformed PAX record length', at);
    const len = Number.parseInt(lenText, 10);
    const end = pos + len;
    if (len <= sp - pos + 1 || end > data.length || data[end - 1] !== 0x0a) throw bad('malformed PAX record', at);
    const eq = data.indexOf(0x3d, sp + 1);
    if (eq === -1 || eq >= end - 1) throw bad('PAX record without "="', at);
    const key = data.toString('utf8', sp + 1, eq);
    const value = data.subarray(eq + 1, end - 1);
    if (key.length === 0) throw bad('PAX record with an empty key', at);
    if (value.length === 0) into.delete(key);
    else into.set(key, Buffer.from(value));
    pos = end;
  }
}

/** PAX times are decimal seconds with an optional fraction ("1700000000.123456789"). */
export function paxTime(v: Buffer, key: string, at: number): number {
  const s = v.toString('latin1');
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(s)) throw bad(`PAX ${key} is not a time`, at);
  return Number.parseFloat(s);
}

export function paxInt(v: Buffer, key: string, at: number): number {
  const s = v.toString('latin1');
  const n = Number.parseInt(s, 10);
  if (!/^[0-9]+$/.test(s) || !Number.isSafeInteger(n)) throw bad(`PAX ${key} is not a non-negative integer`, at);
  return n;
}
