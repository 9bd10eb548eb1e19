// `exec` and the healthcheck's command: a process description built from the container's own
// (capabilities, env, user from the rootfs) handed to `RUNTIME exec --process FILE`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import type { Process, Spec } from '../oci/runtime-spec.js';
import type { Engine } from './engine.js';
import { mergeEnv } from './parse.js';
import { containerPaths } from './paths.js';
import type { ContainerRecord } from './records.js';
import { resolveUser } from './user.js';
import { launchExitStatus } from './start.js';
import { runtimeMessage } from './runtime-client.js';

export interface ExecOptions {
  cmd: string[];
  tty?: boolean;
  interactive?: boolean;
  detach?: boolean;
  user?: string;
  workdir?: string;
  env?: string[];
}

export function execProcess(engine: Engine, rec: ContainerRecord, opts: ExecOptions): Process {
  const paths = containerPaths(engine.paths, rec.id);
  const spec = JSON.parse(readFileSync(paths.configJson, 'utf8')) as Spec;
  const base = spec.process!;
  const proc: Process = { ...base, args: opts.cmd, terminal: opts.tty === true, env: mergeEnv(base.env ?? [], opts.env ?? []), cwd: opts.workdir ?? base.cwd };
  if (!proc.cwd.startsWith('/')) throw new BerthError('BERTH_EINVAL', `the working directory "${proc.cwd}" is not an absolute path`);
  if (opts.user !== undefined && opts.user !== '') {
    const u = resolveUser(paths.rootfs, opts.user);
    proc.user = { uid: u.uid, gid: u.gid, ...(u.additionalGids.length > 0 ? { additionalGids: u.additionalGids } : {}) };
  }
  if (opts.cmd.length === 0) throw new BerthError('BERTH_EINVAL', 'exec: no command given');
  return proc;
}

/** Writes the process file; the caller removes it. */
export function writeProcessFile(engine: Engine, rec: ContainerRecord, proc: Process): string {
  const dir = join(containerPaths(engine.paths, rec.id).runDir, 'exec');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${randomBytes(8).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify(proc), { mode: 0o600 });
  return file;
}

function requireRunning(rec: ContainerRecord): void {
  if (rec.state === 'paused') throw new BerthError('BERTH_ESTATE', `container ${rec.name} is paused, unpause it first`);
  if (rec.state !== 'running') throw new BerthError('BERTH_ESTATE', `container ${rec.name} is not running`);
}

/**
 * Runs the process with the caller's stdio (the runtime relays a terminal itself); resolves with
 * its exit status, or 126/127 when it could not be started, as docker exec does.
 */
export async function execInteractive(engine: Engine, rec: ContainerRecord, opts: ExecOptions): Promise<number> {
  requireRunning(rec);
  const proc = execProcess(engine, rec, opts);
  const file = writeProcessFile(engine, rec, proc);
  const rt = engine.runtime(rec);
  const detach = opts.detach === true;
  if (rt.ref.builtin && !detach) {
    try {
      // the helper relays a terminal (process.terminal) itself, as under the runtime's CLI
      return await rt.execInProcess(rec.id, { processFile: file, stdin: opts.interactive === true ? 'inherit' : 'ignore' });
    } catch (e) {
      const msg = runtimeMessage((e as Error).message);
      const status = launchExitStatus(msg);
      throw new BerthError('BERTH_ELAUNCH', msg, { cause: e, detail: { exitStatus: status === 125 ? 126 : status } });
    } finally {
      rmSync(file, { force: true });
    }
  }
  const args = rt.execArgs(rec.id, { processFile: file, tty: opts.tty === true && !detach, detach });
  try {
    return await new Promise<number>((resolve, reject) => {
      const stdin = opts.interactive === true && !detach ? 'inherit' : 'ignore';
      const child = spawn(rt.ref.path, args, { stdio: [stdin, detach ? 'ignore' : 'inherit', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (b: Buffer) => {
        err += b.toString();
        // Pass the process's own stderr through; the runtime's error line is told apart below.
        if (!/^(berth-runtime:|time=")/.test(b.toString())) process.stderr.write(b);
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        const runtimeErr = err.split('\n').find((l) => /^(berth-runtime:|time=")/.test(l));
        if (runtimeErr !== undefined && code !== 0) {
          const msg = runtimeMessage(runtimeErr);
          const status = launchExitStatus(msg);
          reject(new BerthError('BERTH_ELAUNCH', msg, { detail: { exitStatus: status === 125 ? 126 : status } }));
          return;
        }
        resolve(code ?? 128 + (signal === null ? 0 : 9));
      });
    });
  } finally {
    if (!detach) rmSync(file, { force: true });
  }
}

/** Runs the process with captured output and a timeout (for healthchecks). */
export async function execCaptured(
  engine: Engine,
  rec: ContainerRecord,
  opts: ExecOptions & { timeoutMs: number; maxOutput?: number },
): Promise<{ exitCode: number; output: string; timedOut: boolean }> {
  requireRunning(rec);
  const proc = execProcess(engine, rec, opts);
  const file = writeProcessFile(engine, rec, proc);
  const rt = engine.runtime(rec);
  const max = opts.maxOutput ?? 4096;
  try {
    return await new Promise((resolve) => {
      const child = spawn(rt.ref.path, rt.execArgs(rec.id, { processFile: file, tty: false, detach: false }), { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const add = (b: Buffer): void => {
        if (out.length < max) out += b.toString('utf8');
      };
      child.stdout!.on('data', add);
      child.stderr!.on('data', add);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ exitCode: -1, output: e.message, timedOut: false });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ exitCode: timedOut ? -1 : code ?? -1, output: out.slice(0, max), timedOut });
      });
    });
  } finally {
    rmSync(file, { force: true });
  }
}
