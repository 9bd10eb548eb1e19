// `create`: set up the container and leave its process waiting on the exec fifo.
import { readFileSync, mkdirSync, writeFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { BerthError, errnoText } from '../../errors.js';
import { parseSpec } from '../../oci/validate-spec.js';
import type { Spec } from '../../oci/runtime-spec.js';
import { buildCreatePlan } from '../plan/build-plan.js';
import { effectiveDeviceRules } from '../plan/device-rules.js';
import { launchHelper, launchWithHelper, writeIdMappings, type ExternalHelper } from '../launch/index.js';
import { helperEnv } from '../launch/helper-env.js';
import { openCgroupManager, detectCgroupVersion, stopAttachWarmup, warmAttachFor, type CgroupManager } from '../cgroups/index.js';
import { runHooks } from '../hooks/run-hooks.js';
import { processStartTime } from '../proc.js';
import { lockContainer } from '../state/lock.js';
import { validateId, writeFileAtomic, type StoredState } from '../state/container-state.js';
import { storeOf, type RuntimeContext } from './context.js';
import { destroyCgroupQuietly } from './container.js';
import type { ChildProcess } from 'node:child_process';

export interface CreateOptions {
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  preserveFds?: number;
  /** `run` without --detach: the helper stays as the process's parent and reports its exit. */
  foreground?: boolean;
  /**
   * A berth-nsexec already started by someone else (berth-monitor --exec-helper), to be driven over
   * its socket instead of spawning one: the container is then born below that process, which holds
   * its stdio. Everything else (state, cgroups, hooks, pid file) is as with our own helper.
   */
  helper?: ExternalHelper;
}

export interface Created {
  pid: number;
  /** Foreground only: resolves with the exit status (code, or 128+signal). */
  exit?: Promise<number>;
  helper?: ChildProcess;
}

export function loadBundleSpec(bundleArg: string): { bundle: string; spec: Spec; text: string } {
  const bundle = resolve(bundleArg);
  try {
    if (!statSync(bundle).isDirectory()) throw new BerthError('BERTH_EBUNDLE', `bundle "${bundle}": not a directory`);
  } catch (e) {
    if (e instanceof BerthError) throw e;
    throw new BerthError('BERTH_EBUNDLE', `bundle "${bundle}": ${errnoText((e as NodeJS.ErrnoException).code)}`, { cause: e });
  }
  let text: string;
  try {
    text = readFileSync(join(bundle, 'config.json'), 'utf8');
  } catch (e) {
    throw new BerthError('BERTH_ESPEC', `bundle "${bundle}": config.json: ${errnoText((e as NodeJS.ErrnoException).code)}`, { cause: e });
  }
  return { bundle, spec: parseSpec(text, { bundle }), text };
}

export async function createContainer(ctx: RuntimeContext, idArg: string, opts: CreateOptions): Promise<Created> {
  const id = validateId(idArg);
  // the first cgroup.procs write after a quiet spell waits for an RCU grace period: let it pass
  // while the spec is read and the plan built (attach-warmup.ts). Host cgroups only.
  if (ctx.cgroupRoot === undefined) warmAttachFor(2000);
  const store = storeOf(ctx);
  mkdirSync(ctx.root, { recursive: true, mode: 0o700 });
  const lock = lockContainer(ctx.root, id);
  let cgroup: CgroupManager | undefined;
  let pid = 0;
  let madeDir = false;
  try {
    if (store.exists(id)) throw new BerthError('BERTH_EEXIST', `container "${id}" already exists`);
    const { bundle, spec } = loadBundleSpec(opts.bundle);
    if (opts.consoleSocket && !spec.process?.terminal) {
      throw new BerthError('BERTH_EINVAL', '--console-socket is only allowed when process.terminal is true');
    }
    if (spec.process?.terminal && !opts.consoleSocket && !opts.foreground) {
      throw new BerthError('BERTH_EINVAL', 'process.terminal is true: --console-socket is required');
    }
    if (opts.helper && (opts.foreground || opts.preserveFds)) {
      throw new BerthError('BERTH_EINVAL', 'a helper spawned elsewhere creates a detached container without extra fds');
    }
    const dir = store.dir(id);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new BerthError('BERTH_EEXIST', `container "${id}" already exists`);
      throw e;
    }
    madeDir = true;
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(spec));

    const linux = spec.linux ?? {};
    const cgroupVersion = detectCgroupVersion(ctx.cgroupRoot);
    const cgroupsPath = linux.cgroupsPath ?? '';
    cgroup = openCgroupManager({ cgroupsPath, id, version: cgroupVersion, root: ctx.cgroupRoot, onWarning: (m: string) => ctx.logger.warn(m) });
    const deviceRules = effectiveDeviceRules(spec);
    cgroup.create(deviceRules ? { ...linux.resources, devices: deviceRules } : linux.resources);

    let seccompProgram: { flags: number; program: Buffer } | undefined;
    if (linux.seccomp) {
      // Loaded only when needed: the syscall tables are the largest module of the runtime.
      const { compileSeccompCached: compileSeccomp } = await import('../seccomp/index.js');
      const compiled = compileSeccomp(linux.seccomp, { onWarning: (m: string) => ctx.logger.warn(m) });
      if (compiled.listenerPath !== undefined) {
        throw new BerthError('BERTH_EUNSUPPORTED', 'seccomp: SCMP_ACT_NOTIFY (listenerPath) is not supported yet');
      }
      seccompProgram = { flags: compiled.flags, program: compiled.program };
    }

    const execFifo = join(dir, 'exec.fifo');
    const { plan, warnings } = buildCreatePlan(spec, {
      bundle,
      containerId: id,
      execFifo,
      consoleSocket: opts.consoleSocket ? resolve(opts.consoleSocket) : undefined,
      noPivot: opts.noPivot ?? false,
      preserveFds: opts.preserveFds ?? 0,
      foreground: opts.foreground ?? false,
      seccompProgram,
      cgroupPaths: hierarchySubpaths(cgroup.paths(), ctx.cgroupRoot ?? '/sys/fs/cgroup'),
    });
    for (const w of warnings) ctx.logger.warn(w);
    const h = spec.hooks ?? {};
    plan.runHooks = Boolean(h.prestart?.length || h.createRuntime?.length || h.createContainer?.length);

    const state: StoredState = {
      ociVersion: spec.ociVersion,
      id,
      pid: 0,
      pidStartTime: '',
      bundle,
      rootfs: spec.root?.path ?? '',
      created: new Date().toISOString(),
      owner: userInfo().username,
      annotations: spec.annotations ?? {},
      cgroupPaths: cgroup.paths(),
      cgroupsPath,
      cgroupVersion,
      started: false,
      configPath,
    };
    const hookState = () => ({ ociVersion: spec.ociVersion, id, status: 'creating', pid, bundle, annotations: state.annotations });
    const userNs = linux.namespaces?.find((n) => n.type === 'user');
    const cg = cgroup;
    const steps = {
      onPid: async (childPid: number) => {
        pid = childPid;
        if (userNs && !userNs.path && (linux.uidMappings || linux.gidMappings)) {
          writeIdMappings(childPid, linux.uidMappings ?? [], linux.gidMappings ?? [], { setgroupsDeny: !plan.setgroups });
        }
        cg.addProcess(childPid);
        if (spec.process?.oomScoreAdj !== undefined) {
          writeFileSync(`/proc/${childPid}/oom_score_adj`, String(spec.process.oomScoreAdj));
        }
      },
      onHooks: async () => {
        runHooks('prestart', spec.hooks?.prestart, hookState());
        runHooks('createRuntime', spec.hooks?.createRuntime, hookState());
        runHooks('createContainer', spec.hooks?.createContainer, hookState());
      },
    };
    const launched: { pid: number; exit?: Promise<number>; helper?: ChildProcess } = opts.helper
      ? await launchWithHelper(plan, opts.helper, steps)
      : await launchHelper(plan, { extraFds: opts.preserveFds ? Array.from({ length: opts.preserveFds }, (_, i) => 3 + i) : [], env: helperEnv(ctx.cgroupRoot), ...steps });
    pid = launched.pid;
    state.pid = pid;
    state.pidStartTime = processStartTime(pid) ?? '';
    store.write(state);
    if (opts.pidFile) writeFileAtomic(resolve(opts.pidFile), String(pid));
    return { pid, ...(launched.exit ? { exit: launched.exit } : {}), ...(launched.helper ? { helper: launched.helper } : {}) };
  } catch (e) {
    if (pid > 0) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    if (cgroup) destroyCgroupQuietly(cgroup, ctx.logger);
    if (madeDir) store.remove(id);
    throw e;
  } finally {
    stopAttachWarmup();
    lock.release();
  }
}

/** hierarchy name → the container's path inside it, so a cgroup mount binds only its own cgroup. */
function hierarchySubpaths(paths: Record<string, string>, root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dir of Object.values(paths)) {
    const rel = relative(root, dir);
    if (rel.startsWith('..')) continue;
    const [name, ...rest] = rel.split('/');
    if (name) out[name] = '/' + rest.join('/');
  }
  return out;
}
