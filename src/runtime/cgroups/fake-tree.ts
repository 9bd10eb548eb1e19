// The base of the fake cgroupfs trees for tests, in a real temp directory. mkdir fills a new cgroup
// with the files the kernel would show, and writes to the files whose kernel
// semantics the drivers rely on (ordering rules, subtree_control, freezing, appending
// to cgroup.procs) are emulated, so ordering bugs fail here as they would on a host.
// Every write is also logged, for asserting sequences (device rules, io.max lines).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CgroupFs } from './fs.js';

export interface FakeWrite {
  /** Relative to the tree's root. */
  file: string;
  value: string;
}

export function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code} (fake cgroupfs)`), { code });
}

/** "0-1,3" → [0,1,3]; throws ERANGE past `count` like the kernel. */
export function checkList(value: string, count: number): void {
  for (const part of value.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || !Number.isInteger(a) || (b !== undefined && !Number.isInteger(b))) throw errno('EINVAL');
    if (a >= count || (b ?? a) >= count) throw errno('ERANGE');
  }
}

/** A tree is hundreds of tiny files: tmpfs keeps the suites fast where /tmp is on disk. */
function fakeTreeParent(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

export const INT_OR_MAX = /^(max|-?[0-9]+)$/;

export abstract class FakeTree implements CgroupFs {
  readonly root: string;
  readonly writes: FakeWrite[] = [];

  constructor() {
    this.root = fs.mkdtempSync(path.join(fakeTreeParent(), 'berth-fakecg-'));
  }

  protected abstract populate(dir: string): void;
  /** Returns true when it stored the value itself. */
  protected abstract onWrite(file: string, value: string): boolean;

  /** Sets a file's content directly, as the kernel would update a counter. */
  set(file: string, content: string): void {
    fs.writeFileSync(file, content);
  }

  get(file: string): string {
    return fs.readFileSync(file, 'utf8');
  }

  rel(p: string): string {
    return path.relative(this.root, p);
  }

  writesTo(basename: string): string[] {
    return this.writes.filter((w) => path.basename(w.file) === basename).map((w) => w.value);
  }

  protected files(dir: string, files: Record<string, string>): void {
    for (const [name, content] of Object.entries(files)) {
      if (!fs.existsSync(path.join(dir, name))) fs.writeFileSync(path.join(dir, name), content);
    }
  }

  readFile(file: string): string {
    return fs.readFileSync(file, 'utf8');
  }

  writeFile(file: string, data: string): void {
    if (!fs.existsSync(file)) throw errno('ENOENT');
    this.writes.push({ file: this.rel(file), value: data });
    if (this.onWrite(file, data)) return;
    fs.writeFileSync(file, data);
  }

  exists(p: string): boolean {
    return fs.existsSync(p);
  }

  mkdir(dir: string): void {
    fs.mkdirSync(dir);
    this.populate(dir);
  }

  /** The kernel lets an empty cgroup go with its files; one with children or tasks is busy. */
  rmdir(dir: string): void {
    if (!fs.existsSync(dir)) throw errno('ENOENT');
    if (this.listDirs(dir).length > 0) throw errno('EBUSY');
    const procs = path.join(dir, 'cgroup.procs');
    if (fs.existsSync(procs) && fs.readFileSync(procs, 'utf8').trim() !== '') throw errno('EBUSY');
    fs.rmSync(dir, { recursive: true });
  }

  listDirs(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  }

  listFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => !d.isDirectory()).map((d) => d.name);
  }

  /** Every cgroup directory below the root (excluding hierarchy mount points). */
  allCgroups(): string[] {
    const out: string[] = [];
    const walk = (d: string, depth: number): void => {
      for (const c of this.listDirs(d)) {
        if (depth >= this.mountDepth()) out.push(path.join(d, c));
        walk(path.join(d, c), depth + 1);
      }
    };
    walk(this.root, 0);
    return out;
  }

  protected abstract mountDepth(): number;

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  protected appendProc(file: string, value: string): void {
    const pid = Number(value.trim());
    if (!Number.isInteger(pid) || pid <= 0) throw errno('EINVAL');
    const cur = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    if (!cur.includes(String(pid))) cur.push(String(pid));
    fs.writeFileSync(file, cur.join('\n') + '\n');
  }
}
