// `exec`: run another process inside a running container's namespaces and cgroup.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BerthError } from '../../errors.js';
import type { Process } from '../../oci/runtime-spec.js';
import { buildExecPlan } from '../plan/build-plan.js';
import { launchHelper, type LaunchOptions } from '../launch/index.js';
import { helperEnv } from '../launch/helper-env.js';
import { writeFileAtomic } from '../state/container-state.js';
import { Container } from './container.js';
import { stopAttachWarmup, warmAttachFor } from '../cgroups/index.js';
import type { RuntimeContext } from './context.js';

export interface ExecOptions {
  processFile?: string;
  args: string[];
  tty?: boolean;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  cwd?: string;
  env?: string[];
  user?: string;
  additionalGids?: number[];
  caps?: string[];
  noNewPrivs?: boolean;
  preserveFds?: number;
  /** The helper's, and so the process's, fds 0-2 (default: ours), for a caller in this process. */
  stdio?: LaunchOptions['stdio'];
}

export function execProcess(base: Process | undefined, opts: ExecOptions): Process {
  if (opts.processFile) {
    let text: string;
    try {
      text = readFileSync(resolve(opts.processFile), 'utf8');
    } catch (e) {
      throw new BerthError('BERTH_EINVAL', `--process ${opts.processFile}: ${(e as Error).message}`, { cause: e });
    }
    let p: Process;
    try {
      p = JSON.parse(text) as Process;
    } catch (e) {
      throw new BerthError('BERTH_EINVAL', `--process ${opts.processFile}: invalid JSON: ${(e as Error).message}`, { cause: e });
    }
    if (!Array.isArray(p.args) || p.args.length === 0) throw new BerthError('BERTH_EINVAL', `--process ${opts.processFile}: args must be a non-empty array`);
    p.cwd ??= '/';
    p.user ??= { uid: 0, gid: 0 };
    return p;
  }
  if (opts.args.length === 0) throw new BerthError('BERTH_EINVAL', 'exec: a command is required (or --process FILE)');
  const p: Process = structuredClone(base ?? { cwd: '/', user: { uid: 0, gid: 0 }, args: [] });
  p.args = opts.args;
  p.terminal = opts.tty ?? false;
  if (opts.cwd) p.cwd = opts.cwd;
  if (opts.env?.length) {
    const env = new Map((p.env ?? []).map((kv) => [kv.split('=')[0]!, kv] as const));
    for (const kv of opts.env) env.set(kv.split('=')[0]!, kv);
    p.env = [...env.values()];
  }
  if (opts.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(opts.user);
    if (!m) throw new BerthError('BERTH_EINVAL', `--user "${opts.user}": want UID[:GID] as numbers`);
    p.user = { uid: Number(m[1]), gid: Number(m[2] ?? 0) };
  }
  if (opts.additionalGids?.length) p.user = { uid: p.user?.uid ?? 0, gid: p.user?.gid ?? 0, ...p.user, additionalGids: opts.additionalGids };
  if (opts.caps?.length && p.capabilities) {
    for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const) {
      if (set === 'inheritable' || set === 'ambient') continue;
      p.capabilities[set] = [...new Set([...(p.capabilities[set] ?? []), ...opts.caps])];
    }
  }
  if (opts.noNewPrivs) p.noNewPrivileges = true;
  return p;
}

export async function execInContainer(ctx: RuntimeContext, id: string, opts: ExecOptions): Promise<number> {
  const c = Container.load(ctx, id);
  c.require('exec in', ['created', 'running']);
  if (ctx.cgroupRoot === undefined) warmAttachFor(2000); // see createContainer
  const spec = c.spec();
  const proc = execProcess(spec.process, opts);
  if (proc.terminal && opts.detach && !opts.consoleSocket) {
    throw new BerthError('BERTH_EINVAL', 'exec --tty --detach needs --console-socket');
  }
  let seccompProgram: { flags: number; program: Buffer } | undefined;
  if (spec.linux?.seccomp) {
    // Loaded only when needed: the syscall tables are the largest module of the runtime.
    const { compileSeccompCached: compileSeccomp } = await import('../seccomp/index.js');
    const compiled = compileSeccomp(spec.linux.seccomp, { onWarning: () => {} });
    seccompProgram = { flags: compiled.flags, program: compiled.program };
  }
  const { plan, warnings } = buildExecPlan(proc, {
    containerPid: c.state.pid,
    spec,
    consoleSocket: opts.consoleSocket ? resolve(opts.consoleSocket) : undefined,
    foreground: !opts.detach,
    preserveFds: opts.preserveFds ?? 0,
    seccompProgram,
  });
  for (const w of warnings) ctx.logger.warn(w);
  const cg = c.cgroup();
  const launched = await launchHelper(plan, {
    extraFds: opts.preserveFds ? Array.from({ length: opts.preserveFds }, (_, i) => 3 + i) : [],
    onPid: async (pid: number) => {
      cg.addProcess(pid);
      stopAttachWarmup();
    },
    env: helperEnv(ctx.cgroupRoot),
    ...(opts.stdio !== undefined ? { stdio: opts.stdio } : {}),
  });
  if (opts.pidFile) writeFileAtomic(resolve(opts.pidFile), String(launched.pid));
  if (opts.detach || !launched.exit) return 0;
  return await launched.exit;
}
