// `start`: a monitor per run (it runs `RUNTIME create`, or for berth-runtime the helper of the
// in-process create, and holds stdio), then `RUNTIME start`.
// The optional attach hook runs between the two, so a foreground `run` misses no output.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import { stopAttachWarmup, warmAttachFor } from '../runtime/cgroups/index.js';
import { spawnMonitor, spawnMonitorWithHelper, type HelperMonitor, type MonitorHandle, type SpawnMonitorOptions } from './monitor/index.js';
import type { Engine } from './engine.js';
import { containerPaths, runtimeRoot } from './paths.js';
import { getContainer, tx, updateContainer, type ContainerRecord } from './records.js';
import { isMounted, mountRootfs } from './rootfs.js';
import { lookup, monitorStartTime, pidAlive } from './state.js';
import { trace } from './trace.js';
import { runtimeMessage, type RuntimeClient } from './runtime-client.js';
import { releaseNetwork, setupNetwork } from './network.js';

/** docker's exit statuses for a command that cannot be found (127) or run (126). */
export function launchExitStatus(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|exec format error|is a directory/i.test(message)) return 126;
  return 125;
}

export interface StartOptions {
  /** Called once the attach socket exists and before the process runs. */
  attach?: (attachSocket: string) => Promise<void>;
  /** The monitor's cleanup restarting the container (state `restarting` is then expected). */
  restarting?: boolean;
  /** A foreground `run` that reads the exit code and removes an --rm container itself. */
  keepRunner?: boolean;
}

async function ensureRootfs(engine: Engine, rec: ContainerRecord): Promise<void> {
  const paths = containerPaths(engine.paths, rec.id);
  if (isMounted(paths.rootfs) || rec.snapshotKey === null) return;
  const snap = (await engine.images()).snapshotter();
  await mountRootfs(await snap.mounts(rec.snapshotKey), paths.rootfs);
}

/**
 * The monitor's exit command, behind a shell that skips the Node start when there is nothing to do:
 * when `rm` is tearing the container down (it leaves a marker in the run dir first), or when a
 * foreground runner is alive (it records the exit and removes an --rm container itself). Otherwise
 * `berth container cleanup ID` records the exit and applies --rm and the restart policy.
 */
export const REMOVING_MARKER = 'removing';

function exitCommand(engine: Engine, id: string, runner: boolean): { path: string; args: string[] } {
  const cleanup = engine.cliCommand('container', 'cleanup', id);
  const marker = join(containerPaths(engine.paths, id).runDir, REMOVING_MARKER);
  const script = '[ -e "$1" ] && exit 0; [ "$0" != 0 ] && kill -0 "$0" 2>/dev/null && exit 0; shift; exec "$@"';
  return { path: '/bin/sh', args: ['-c', script, runner ? String(process.pid) : '0', marker, cleanup.path, ...cleanup.args] };
}

async function exitFileSoon(path: string): Promise<boolean> {
  const { readExitFile } = await import('./monitor/index.js');
  for (let i = 0; i < 50; i++) {
    const r = await readExitFile(path).catch(() => null);
    if (r !== null) return r.exitCode !== 127 && r.exitCode !== 126;
    await new Promise((res) => setTimeout(res, 20));
  }
  return false;
}

function healthIntervalMs(rec: ContainerRecord): number | undefined {
  const hc = rec.config.resolved.healthcheck;
  if (hc === undefined) return undefined;
  return Math.max(1, Math.round((hc.interval ?? 30e9) / 1e6));
}

/**
 * berth-runtime's `create` in this process, with the monitor spawning the helper so that the
 * container is still its child (monitor.h, HELPER MODE): one Node start fewer than the monitor
 * running `berth-runtime create`. The bundle, the runtime root and the state are the same.
 */
async function createInProcess(rt: RuntimeClient, opts: SpawnMonitorOptions, mon: HelperMonitor): Promise<MonitorHandle> {
  let pid: number;
  try {
    pid = await rt.createWithHelper(opts.id, {
      bundle: opts.bundle,
      pidFile: opts.pidFile,
      // the monitor listens there in helper mode, as it does for a runtime's --console-socket
      ...(opts.terminal === true ? { consoleSocket: `${opts.attachSocket}.console` } : {}),
      helper: mon.helper,
    });
  } catch (e) {
    // When the helper never ran (say, it could not be executed), only the monitor knows why.
    const monitorSays = await mon.abort();
    if (monitorSays !== undefined && /berth-nsexec exited before the container was ready/.test((e as Error).message)) {
      throw new BerthError('BERTH_ELAUNCH', monitorSays, { cause: e });
    }
    throw e;
  }
  trace('start: runtime create done (in-process)');
  return mon.adopt(pid);
}

export async function startContainer(engine: Engine, ref: string, opts: StartOptions = {}): Promise<ContainerRecord> {
  const found = await lookup(engine, ref);
  const id = found.id;
  if (found.state === 'running' || found.state === 'paused') return found;
  // Claim the start: two `start`s at once must not both spawn a monitor.
  const allowed = opts.restarting ? ['restarting'] : ['created', 'exited', 'restarting'];
  const claimed = tx(engine.db, () => {
    const cur = getContainer(engine.db, id);
    if (cur === undefined || !allowed.includes(cur.state)) return undefined;
    updateContainer(engine.db, id, { state: 'starting', runnerPid: process.pid });
    return cur;
  });
  if (claimed === undefined) {
    const cur = getContainer(engine.db, id);
    if (opts.restarting || cur?.state === 'running') return cur!;
    throw new BerthError('BERTH_ESTATE', `cannot start container ${found.name}: it is ${cur?.state ?? 'gone'}`);
  }
  const rec = claimed;
  const paths = containerPaths(engine.paths, id);
  const rt = engine.runtime(rec);
  const fail = async (message: string, status: number, cause?: unknown): Promise<never> => {
    await rt.kill(id, 'SIGKILL', true).catch(() => undefined);
    await rt.delete(id, true).catch(() => undefined);
    await releaseNetwork(engine, id, { force: true }).catch(() => undefined);
    tx(engine.db, () =>
      updateContainer(engine.db, id, { state: 'exited', exitCode: status === 125 ? 128 : status, error: message, finishedAt: new Date().toISOString(), pid: 0, runnerPid: 0 }),
    );
    throw new BerthError('BERTH_ELAUNCH', message, { cause, detail: { exitStatus: status } });
  };
  // the monitor's helper keeps it warm too, but starts too late to hide a whole grace period
  warmAttachFor(2000);
  const req = rec.config.request;
  const interval = healthIntervalMs(rec);
  const monitorOptions: SpawnMonitorOptions = {
    id,
    bundle: paths.bundle,
    runtime: rec.config.resolved.runtime,
    runtimeArgs: ['--root', runtimeRoot(engine.paths)],
    logPath: paths.log,
    ...(req.logMaxSize !== undefined ? { logMaxSize: req.logMaxSize } : {}),
    ...(req.logMaxFile !== undefined ? { logMaxFiles: req.logMaxFile } : {}),
    attachSocket: paths.attach,
    exitFile: paths.exitFile,
    pidFile: paths.pidFile,
    terminal: req.tty,
    stdin: req.openStdin,
    exitCommand: exitCommand(engine, id, opts.keepRunner === true),
    ...(interval !== undefined ? { health: { ...engine.cliCommand('healthcheck', 'run', id), intervalMs: interval } } : {}),
  };
  // With berth-runtime in this process, the monitor and the helper below it start before the
  // network is set up: the helper's cgroup warm-up (src/runtime/cgroups/attach-warmup.ts) then
  // has its grace period behind it when the runtime makes the container's cgroups.
  let early: HelperMonitor | undefined;
  try {
    await ensureRootfs(engine, rec);
    // A runtime container left by an earlier run (its cleanup did not get to delete it).
    if ((await rt.state(id)) !== null) await rt.delete(id, true).catch(() => undefined);
    rmSync(paths.runDir, { recursive: true, force: true });
    mkdirSync(paths.runDir, { recursive: true, mode: 0o700 });
    if (rt.ref.builtin) {
      trace('start: spawning monitor');
      early = spawnMonitorWithHelper({ ...monitorOptions, execHelper: await rt.helperPath(), helperEnv: await rt.helperEnv() });
    }
    trace('start: network');
    await setupNetwork(engine, rec);
    trace('start: network ready');
  } catch (e) {
    await early?.abort();
    await releaseNetwork(engine, id, { force: true }).catch(() => undefined);
    tx(engine.db, () => updateContainer(engine.db, id, { state: rec.state === 'restarting' ? 'exited' : rec.state, runnerPid: 0 }));
    throw e;
  }

  let handle;
  try {
    if (early === undefined) trace('start: spawning monitor');
    handle = early !== undefined ? await createInProcess(rt, monitorOptions, early) : await spawnMonitor(monitorOptions);
  } catch (e) {
    // "container ID: monitor: runtime create exited with status 1: berth-runtime: exec ...": the
    // runtime's own words are what the user needs.
    const msg = runtimeMessage((e as Error).message.replace(/^container [0-9a-f]+: monitor: (runtime create [^:]*: )?/, ''));
    return fail(msg, launchExitStatus(msg), e);
  }
  trace('start: monitor ready (runtime create done)');
  stopAttachWarmup();
  tx(engine.db, () =>
    updateContainer(engine.db, id, {
      pid: handle.containerPid,
      monitorPid: handle.monitorPid,
      monitorStart: monitorStartTime(handle.monitorPid),
      startedAt: new Date().toISOString(),
      finishedAt: null,
      stoppedByUser: false,
      error: '',
    }),
  );
  try {
    if (opts.attach !== undefined) await opts.attach(paths.attach);
    await rt.start(id);
    trace('start: runtime start done');
  } catch (e) {
    // A process that exits at once can make the runtime believe it never started (it looks for the
    // exec fifo's byte after the process is gone); the monitor's exit file says it did run.
    if (/exited before it started/.test((e as Error).message) && (await exitFileSoon(paths.exitFile))) {
      trace('start: process ran and exited at once');
    } else return fail((e as Error).message, launchExitStatus((e as Error).message), e);
  }
  const hc = rec.config.resolved.healthcheck;
  tx(engine.db, () => {
    // A process that exits at once may already be recorded as exited by the monitor's cleanup.
    const cur = getContainer(engine.db, id);
    const runnerPid = opts.keepRunner === true ? process.pid : 0;
    const base = { startedAt: new Date().toISOString(), runnerPid, stoppedByUser: false };
    if (cur?.state !== 'starting') {
      updateContainer(engine.db, id, { runnerPid, ...(cur?.startedAt === null ? { startedAt: base.startedAt } : {}) });
      return;
    }
    updateContainer(engine.db, id, {
      ...base,
      state: 'running',
      finishedAt: null,
      exitCode: 0,
      error: '',
      oomKilled: false,
      health: hc === undefined ? null : { Status: 'starting', FailingStreak: 0, Log: [] },
    });
  });
  return getContainer(engine.db, id)!;
}

export { pidAlive };
