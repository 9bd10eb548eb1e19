// The engine's use of an OCI runtime, through runc's command-line contract only. The default runtime
// (berth-runtime) is also called in-process: the short verbs (state, start, kill, delete, pause,
// resume) and `create`, which are the same functions its CLI runs, without paying for a second Node
// start. For `create` the monitor still spawns the helper (berth-monitor --exec-helper), so that the
// container is born below it; another runtime's `create` is run by the monitor as a binary.
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duplex } from 'node:stream';
import { BerthError } from '../errors.js';

export interface RuntimeRef {
  /** What the monitor and the engine execute (absolute, or a bare name looked up in PATH). */
  path: string;
  /** As inspect shows it: "berth-runtime", "runc", or the path. */
  name: string;
  /** berth's own runtime: short verbs may run in-process. */
  builtin: boolean;
}

export const RUNTIME_ENV = 'BERTH_RUNTIME';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** bin/berth-runtime of this package: found by walking up from this module (build/ or dist/). */
export function defaultRuntimePath(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'bin', 'berth-runtime');
    if (executable(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new BerthError('BERTH_EUNSUPPORTED', `bin/berth-runtime not found above ${from}`);
}

function inPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (dir !== '' && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export function resolveRuntime(name: string | undefined): RuntimeRef {
  const wanted = name ?? process.env[RUNTIME_ENV] ?? '';
  if (wanted === '' || wanted === 'berth' || wanted === 'berth-runtime') {
    return { path: defaultRuntimePath(), name: 'berth-runtime', builtin: true };
  }
  if (isAbsolute(wanted)) {
    if (!executable(wanted)) throw new BerthError('BERTH_EINVAL', `runtime ${wanted} is not an executable file`);
    return { path: wanted, name: wanted, builtin: false };
  }
  if (wanted.includes('/')) throw new BerthError('BERTH_EINVAL', `--runtime takes a name or an absolute path, got "${wanted}"`);
  const found = inPath(wanted);
  if (found === undefined) throw new BerthError('BERTH_EINVAL', `unknown runtime "${wanted}": not found in PATH`);
  return { path: found, name: wanted, builtin: false };
}

/** The last thing a runtime said, without runc's logrus wrapping or our "berth-runtime:" prefix. */
export function runtimeMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const last = lines[lines.length - 1] ?? '';
  const logrus = /msg="((?:[^"\\]|\\.)*)"/.exec(last);
  if (logrus !== null) {
    try {
      return JSON.parse(`"${logrus[1]}"`) as string;
    } catch {
      return logrus[1]!;
    }
  }
  return last.replace(/^berth-runtime: (error: )?/, '');
}

export interface RuntimeState {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

type Lifecycle = {
  ctx: import('../runtime/lifecycle/context.js').RuntimeContext;
};

export class RuntimeClient {
  constructor(readonly ref: RuntimeRef, readonly stateRoot: string) {}

  private async ctx(): Promise<Lifecycle['ctx']> {
    const { createLogger } = await import('../runtime/logger.js');
    return { root: this.stateRoot, logger: createLogger({ path: join(this.stateRoot, 'engine-calls.log') }) };
  }

  /** Runs a verb through the binary; rejects with the runtime's own last line. */
  run(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.ref.path, ['--root', this.stateRoot, ...args], { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        if (err) {
          const msg = runtimeMessage(String(stderr)) || err.message;
          reject(new BerthError('BERTH_ELAUNCH', `${this.ref.name} ${args[0]}: ${msg}`, { cause: err, detail: { stderr: String(stderr) } }));
        } else resolve(String(stdout));
      });
    });
  }

  private async inProcess<T>(verb: string, fn: (ctx: Lifecycle['ctx']) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.ctx());
    } catch (e) {
      throw new BerthError('BERTH_ELAUNCH', `${this.ref.name} ${verb}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** null when the runtime does not know the container. */
  async state(id: string): Promise<RuntimeState | null> {
    if (this.ref.builtin) {
      const ctx = await this.ctx();
      const { containerState } = await import('../runtime/lifecycle/query.js');
      try {
        const s = containerState(ctx, id) as { status: RuntimeState['status']; pid: number };
        return { status: s.status, pid: s.pid };
      } catch {
        return null;
      }
    }
    const r = spawnSync(this.ref.path, ['--root', this.stateRoot, 'state', id], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) return null;
    try {
      const s = JSON.parse(r.stdout) as { status: RuntimeState['status']; pid: number };
      return { status: s.status, pid: s.pid };
    } catch {
      return null;
    }
  }

  /** berth-nsexec, which the monitor spawns for createWithHelper. */
  async helperPath(): Promise<string> {
    const { locateHelper } = await import('../sys/locate-helper.js');
    return locateHelper();
  }

  /** The environment berth-nsexec wants from its spawner (its cgroup warm-up file). */
  async helperEnv(): Promise<Record<string, string>> {
    const { helperEnv } = await import('../runtime/launch/helper-env.js');
    return helperEnv((await this.ctx()).cgroupRoot);
  }

  /**
   * berth-runtime's `create --bundle B --pid-file P [--console-socket S] ID`, in this process, over a
   * helper that someone else spawned (its fd 3 is the other end of `helper`). Resolves with the
   * container's pid; rejects with the runtime's own message, as its CLI would print it.
   */
  async createWithHelper(id: string, opts: { bundle: string; pidFile: string; consoleSocket?: string; helper: Duplex }): Promise<number> {
    if (!this.ref.builtin) throw new BerthError('BERTH_EINTERNAL', `${this.ref.name} cannot create in-process`);
    const { createContainer } = await import('../runtime/lifecycle/create.js');
    const created = await createContainer(await this.ctx(), id, {
      bundle: opts.bundle,
      pidFile: opts.pidFile,
      ...(opts.consoleSocket !== undefined ? { consoleSocket: opts.consoleSocket } : {}),
      helper: { socket: opts.helper },
    });
    return created.pid;
  }

  async start(id: string): Promise<void> {
    if (this.ref.builtin) {
      const { startContainer } = await import('../runtime/lifecycle/start.js');
      await this.inProcess('start', async (ctx) => startContainer(ctx, id));
      return;
    }
    await this.run(['start', id]);
  }

  async kill(id: string, signal: string, all = false): Promise<void> {
    if (this.ref.builtin) {
      const { killContainer } = await import('../runtime/lifecycle/kill.js');
      await this.inProcess('kill', async (ctx) => killContainer(ctx, id, signal, all));
      return;
    }
    await this.run(['kill', ...(all ? ['--all'] : []), id, signal]);
  }

  async delete(id: string, force: boolean): Promise<void> {
    if (this.ref.builtin) {
      const { deleteContainer } = await import('../runtime/lifecycle/delete.js');
      await this.inProcess('delete', async (ctx) => deleteContainer(ctx, id, force));
      return;
    }
    await this.run(['delete', ...(force ? ['--force'] : []), id]);
  }

  async pause(id: string): Promise<void> {
    if (this.ref.builtin) {
      const { pauseContainer } = await import('../runtime/lifecycle/pause.js');
      await this.inProcess('pause', async (ctx) => pauseContainer(ctx, id));
      return;
    }
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    if (this.ref.builtin) {
      const { resumeContainer } = await import('../runtime/lifecycle/pause.js');
      await this.inProcess('resume', async (ctx) => resumeContainer(ctx, id));
      return;
    }
    await this.run(['resume', id]);
  }

  async pids(id: string): Promise<number[]> {
    const out = await this.run(['ps', '--format', 'json', id]);
    const v = JSON.parse(out) as unknown;
    return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
  }

  async stats(id: string): Promise<Record<string, unknown>> {
    const out = await this.run(['events', '--stats', id]);
    return JSON.parse(out) as Record<string, unknown>;
  }

  /** argv (after the binary) of `exec`, for callers that spawn it with their own stdio. */
  /**
   * berth-runtime's `exec --process FILE ID` in this process, in the foreground, with the given
   * stdin (ours or none) and our stdout and stderr: one Node start fewer than spawning the runtime.
   * Resolves with the exit status; rejects with the runtime's own message.
   */
  async execInProcess(id: string, opts: { processFile: string; stdin: 'inherit' | 'ignore' }): Promise<number> {
    if (!this.ref.builtin) throw new BerthError('BERTH_EINTERNAL', `${this.ref.name} cannot exec in-process`);
    const { execInContainer } = await import('../runtime/lifecycle/exec.js');
    return execInContainer(await this.ctx(), id, { processFile: opts.processFile, args: [], stdio: [opts.stdin, 'inherit', 'inherit'] });
  }

  execArgs(id: string, opts: { processFile: string; tty: boolean; detach: boolean; pidFile?: string; consoleSocket?: string }): string[] {
    return [
      '--root', this.stateRoot, 'exec', '--process', opts.processFile,
      ...(opts.tty ? ['--tty'] : []), ...(opts.detach ? ['--detach'] : []),
      ...(opts.pidFile !== undefined ? ['--pid-file', opts.pidFile] : []),
      ...(opts.consoleSocket !== undefined ? ['--console-socket', opts.consoleSocket] : []),
      id,
    ];
  }
}
