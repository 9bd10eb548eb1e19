// The thin impure edge of the cgroup drivers: a handful of synchronous file operations
// behind an interface, so the drivers can run against a fake tree in tests, plus the
// read/write helpers that turn errno into one-line BerthErrors.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { BerthError, errnoText } from '../../errors.js';
import { attachDeviceFilter } from './device-filter-attach.js';

export interface CgroupFs {
  readFile(file: string): string;
  /**
   * Writes `data` with a single write(2), opening without O_CREAT: cgroupfs parses
   * each write on its own, and a missing file must fail rather than be created.
   */
  writeFile(file: string, data: string): void;
  exists(p: string): boolean;
  /** One level; throws EEXIST when present. */
  mkdir(dir: string): void;
  rmdir(dir: string): void;
  /** Names of the subdirectories of `dir`. */
  listDirs(dir: string): string[];
  /** Names of the non-directory entries of `dir`. */
  listFiles(dir: string): string[];
  /**
   * cgroup v2 only: loads a BPF_PROG_TYPE_CGROUP_DEVICE program (struct bpf_insn[]) and attaches
   * it to `dir`, replacing the one attached before. Absent where eBPF cannot be attached.
   */
  attachDeviceFilter?(dir: string, program: Buffer): void;
}

export const hostCgroupFs: CgroupFs = {
  readFile: (file) => fs.readFileSync(file, 'utf8'),
  writeFile(file, data) {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
    try {
      fs.writeSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
  },
  exists: (p) => fs.existsSync(p),
  mkdir: (dir) => fs.mkdirSync(dir),
  rmdir: (dir) => fs.rmdirSync(dir),
  listDirs: (dir) => fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name),
  listFiles: (dir) => fs.readdirSync(dir, { withFileTypes: true }).filter((d) => !d.isDirectory()).map((d) => d.name),
  attachDeviceFilter: (dir, program) => attachDeviceFilter(dir, program),
};

export type WarningSink = (message: string) => void;

export const stderrWarning: WarningSink = (message) => {
  process.stderr.write(`berth-runtime: warning: ${message}\n`);
};

/** errno text for codes cgroupfs returns that errors.ts does not spell out. */
export function cgroupErrnoText(code: string | undefined): string {
  switch (code) {
    case 'ERANGE': return 'numerical result out of range';
    case 'EOPNOTSUPP': case 'ENOTSUP': return 'operation not supported';
    case 'ENOTEMPTY': return 'directory not empty';
    case 'E2BIG': return 'argument list too long';
    case 'ENODEV': return 'no such device';
    case 'ENOMEM': return 'cannot allocate memory';
    default: return errnoText(code);
  }
}

export function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Blocks the thread; the drivers run in a short-lived CLI where this is the simple choice. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * File access for one cgroup directory, labelled with a controller name so every
 * error reads `cgroup memory: write memory.limit_in_bytes = "12": invalid argument`.
 */
export class CgroupDir {
  /**
   * `controller` labels errors; '' derives it from each file's prefix, for v2 where
   * one directory holds every controller's files ("memory.max" → memory).
   */
  constructor(readonly fs: CgroupFs, readonly controller: string, readonly dir: string) {}

  private label(name: string): string {
    return this.controller !== '' ? this.controller : name.split('.')[0] ?? name;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  has(name: string): boolean {
    return this.fs.exists(this.file(name));
  }

  write(name: string, value: string | number): void {
    const v = String(value);
    try {
      this.fs.writeFile(this.file(name), v);
    } catch (e) {
      throw new BerthError('BERTH_ECGROUP', `cgroup ${this.label(name)}: write ${name} = ${JSON.stringify(v)}: ${cgroupErrnoText(errnoOf(e))}`, {
        cause: e,
        detail: { path: this.file(name), value: v },
      });
    }
  }

  read(name: string): string {
    try {
      return this.fs.readFile(this.file(name)).trim();
    } catch (e) {
      throw new BerthError('BERTH_ECGROUP', `cgroup ${this.label(name)}: read ${name}: ${cgroupErrnoText(errnoOf(e))}`, {
        cause: e,
        detail: { path: this.file(name) },
      });
    }
  }

  /** undefined when the file does not exist (a controller or kernel feature is absent). */
  readOptional(name: string): string | undefined {
    try {
      return this.fs.readFile(this.file(name)).trim();
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return undefined;
      throw new BerthError('BERTH_ECGROUP', `cgroup ${this.label(name)}: read ${name}: ${cgroupErrnoText(errnoOf(e))}`, { cause: e });
    }
  }
}

/**
 * Creates every missing directory from `base` down to `base + rel`, calling `beforeEnter`
 * on each existing parent before its child is made (v2 enables controllers there).
 * Returns the directories it made, shallowest first. A concurrent destroy may remove a
 * shared parent between our mkdirs, so ENOENT restarts the walk a few times.
 */
export function makeDirs(cfs: CgroupFs, controller: string, base: string, rel: string, beforeEnter?: (parent: string) => void): string[] {
  const segments = rel.split('/').filter((s) => s !== '');
  const made: string[] = [];
  for (let attempt = 0; ; attempt++) {
    try {
      let cur = base;
      for (const seg of segments) {
        beforeEnter?.(cur);
        const next = path.join(cur, seg);
        if (!cfs.exists(next)) {
          try {
            cfs.mkdir(next);
            made.push(next);
          } catch (e) {
            if (errnoOf(e) !== 'EEXIST') throw e;
          }
        }
        cur = next;
      }
      return made;
    } catch (e) {
      if (errnoOf(e) === 'ENOENT' && attempt < 3) continue;
      if (e instanceof BerthError) throw e;
      throw new BerthError('BERTH_ECGROUP', `cgroup ${controller}: mkdir ${path.join(base, rel)}: ${cgroupErrnoText(errnoOf(e))}`, { cause: e });
    }
  }
}

/**
 * Removes `dir` and any cgroups nested in it (a container may create its own), deepest
 * first. A cgroup stays busy for a moment after its last process exits, so EBUSY is
 * retried until `retryMs` has passed.
 */
export function removeCgroupTree(cfs: CgroupFs, controller: string, dir: string, retryMs = 2000): void {
  let children: string[];
  try {
    children = cfs.listDirs(dir);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return;
    throw new BerthError('BERTH_ECGROUP', `cgroup ${controller}: list ${dir}: ${cgroupErrnoText(errnoOf(e))}`, { cause: e });
  }
  for (const c of children) removeCgroupTree(cfs, controller, path.join(dir, c), retryMs);
  const deadline = Date.now() + retryMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      cfs.rmdir(dir);
      return;
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'ENOENT') return;
      if (code === 'EBUSY' && Date.now() < deadline) {
        sleepSync(delay);
        continue;
      }
      throw new BerthError('BERTH_ECGROUP', `cgroup ${controller}: rmdir ${dir}: ${cgroupErrnoText(code)}`, { cause: e });
    }
  }
}

/** Removes parents this manager created, if nothing else lives in them now. */
export function removeEmptyParents(cfs: CgroupFs, created: readonly string[], leaf: string): void {
  for (const dir of [...created].reverse()) {
    if (dir === leaf) continue;
    try {
      cfs.rmdir(dir);
    } catch {
      // Another container's cgroup or a process keeps it busy: it is theirs now.
    }
  }
}

/** Every pid in `dir` and the cgroups nested below it. */
export function readProcsTree(cfs: CgroupFs, cg: CgroupDir): number[] {
  const out = new Set<number>();
  const walk = (dir: string): void => {
    const d = new CgroupDir(cfs, cg.controller, dir);
    const text = d.readOptional('cgroup.procs');
    if (text === undefined) return;
    for (const line of text.split('\n')) {
      const n = Number.parseInt(line, 10);
      if (Number.isFinite(n) && n > 0) out.add(n);
    }
    for (const c of cfs.listDirs(dir)) walk(path.join(dir, c));
  };
  walk(cg.dir);
  return [...out].sort((a, b) => a - b);
}

/**
 * Moves `pid` into the cgroup. EINVAL can mean the task is still TASK_NEW right after
 * clone, so it is retried briefly before giving up.
 */
export function writeProc(cg: CgroupDir, pid: number): void {
  for (let i = 0; ; i++) {
    try {
      cg.write('cgroup.procs', pid);
      return;
    } catch (e) {
      const code = errnoOf((e as { cause?: unknown }).cause);
      if (code === 'EINVAL' && i < 5) {
        sleepSync(30);
        continue;
      }
      throw e;
    }
  }
}
