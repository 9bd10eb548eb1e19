// The fake backend's container filesystems and archives: a map of paths, and just enough ustar
// (regular files and directories) to serve `docker cp`, export, save and load.
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { BerthError } from '../errors.js';
import type { ContainerChange, PathStat } from './types.js';

export interface FakeFile { type: 'file' | 'dir'; data: Buffer; mode: number; mtime: Date }
export interface TarEntry { name: string; type: 'file' | 'dir'; data: Buffer; mode: number; mtime: Date }

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(e: TarEntry): Buffer {
  const h = Buffer.alloc(512);
  const name = e.type === 'dir' && !e.name.endsWith('/') ? e.name + '/' : e.name;
  if (Buffer.byteLength(name) > 100) throw new BerthError('BERTH_EINVAL', `fake tar: name too long: ${name}`);
  h.write(name, 0, 'utf8');
  h.write(octal(e.mode & 0o7777, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(e.type === 'file' ? e.data.length : 0, 12), 124);
  h.write(octal(Math.floor(e.mtime.getTime() / 1000), 12), 136);
  h.write('        ', 148);
  h.write(e.type === 'dir' ? '5' : '0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148);
  return h;
}

export function writeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e));
    if (e.type === 'file') {
      parts.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function readTarBuffer(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const field = (a: number, n: number): string => h.subarray(a, a + n).toString('utf8').replace(/\0.*$/s, '');
    const magic = field(257, 6);
    if (!magic.startsWith('ustar')) throw new BerthError('BERTH_EINVAL', 'not a tar archive');
    const prefix = field(345, 155);
    const name = (prefix ? prefix + '/' : '') + field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const flag = field(156, 1);
    const data = buf.subarray(off + 512, off + 512 + size);
    if (data.length < size) throw new BerthError('BERTH_EINVAL', 'tar archive is truncated');
    if (flag === '5' || flag === '0' || flag === '') {
      out.push({
        name: name.replace(/\/$/, ''), type: flag === '5' ? 'dir' : 'file', data: Buffer.from(data),
        mode: parseInt(field(100, 8).trim() || '644', 8), mtime: new Date(parseInt(field(136, 12).trim() || '0', 8) * 1000),
      });
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

export async function readAll(r: Readable, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of r as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new BerthError('BERTH_ETOOLARGE', `archive exceeds ${limit} bytes (fake backend)`);
    parts.push(c);
  }
  return Buffer.concat(parts);
}

/** One container's files. */
export class FakeFs {
  readonly files = new Map<string, FakeFile>();
  readonly changed = new Map<string, ContainerChange['Kind']>();

  constructor(hostname: string) {
    const now = new Date();
    for (const d of ['/', '/bin', '/etc', '/tmp', '/root']) this.files.set(d, { type: 'dir', data: Buffer.alloc(0), mode: 0o755, mtime: now });
    this.files.set('/etc/hostname', { type: 'file', data: Buffer.from(hostname + '\n'), mode: 0o644, mtime: now });
  }

  private norm(p: string): string { return posix.resolve('/', p); }

  stat(path: string, containerId: string): PathStat {
    const p = this.norm(path);
    const f = this.files.get(p);
    if (!f) throw new BerthError('BERTH_ENOTFOUND', `Could not find the file ${path} in container ${containerId}`);
    // Go's os.FileMode: the directory bit is 1<<31.
    const mode = (f.type === 'dir' ? 0x80000000 : 0) + f.mode;
    return { name: posix.basename(p) || '/', size: f.data.length, mode, mtime: f.mtime.toISOString(), linkTarget: '' };
  }

  /** A tar of `path` named by its base name, as docker's archive endpoint sends it. */
  archive(path: string, containerId: string): Buffer {
    const p = this.norm(path);
    this.stat(p, containerId);
    const base = posix.basename(p) || '.';
    const entries: TarEntry[] = [];
    for (const [fp, f] of [...this.files].sort(([a], [b]) => a.localeCompare(b))) {
      if (fp !== p && !fp.startsWith(p === '/' ? '/' : p + '/')) continue;
      const rel = fp === p ? base : posix.join(base, posix.relative(p, fp));
      entries.push({ name: rel, type: f.type, data: f.data, mode: f.mode, mtime: f.mtime });
    }
    return writeTar(entries);
  }

  extract(dir: string, tar: Buffer, containerId: string, noOverwriteDirNonDir: boolean): void {
    const d = this.norm(dir);
    const target = this.files.get(d);
    if (!target) throw new BerthError('BERTH_ENOTFOUND', `Could not find the file ${dir} in container ${containerId}`);
    if (target.type !== 'dir') throw new BerthError('BERTH_EINVAL', `extraction point is not a directory: ${dir}`);
    for (const e of readTarBuffer(tar)) {
      const p = posix.join(d, posix.normalize('/' + e.name));
      const old = this.files.get(p);
      if (old && noOverwriteDirNonDir && old.type !== e.type) throw new BerthError('BERTH_EINVAL', `cannot overwrite ${old.type === 'dir' ? 'directory' : 'non-directory'} ${p}`);
      for (let parent = posix.dirname(p); !this.files.has(parent); parent = posix.dirname(parent)) {
        this.files.set(parent, { type: 'dir', data: Buffer.alloc(0), mode: 0o755, mtime: new Date() });
        this.changed.set(parent, 1);
      }
      this.files.set(p, { type: e.type, data: e.data, mode: e.mode, mtime: e.mtime });
      this.changed.set(p, old ? 0 : 1);
    }
  }

  exportTar(): Buffer {
    const entries: TarEntry[] = [];
    for (const [p, f] of [...this.files].sort(([a], [b]) => a.localeCompare(b))) {
      if (p === '/') continue;
      entries.push({ name: p.slice(1), type: f.type, data: f.data, mode: f.mode, mtime: f.mtime });
    }
    return writeTar(entries);
  }

  changes(): ContainerChange[] {
    return [...this.changed].sort(([a], [b]) => a.localeCompare(b)).map(([Path, Kind]) => ({ Path, Kind }));
  }
}
