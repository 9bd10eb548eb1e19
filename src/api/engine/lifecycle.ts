// start, stop, restart, kill, pause, unpause, and the exits of the runs this service started.
//
// The service starts containers as a foreground `berth run` does (keepRunner): the monitor's exit
// command sees this process alive and leaves the exit to it, which saves a Node start per exit
// (the cleanup verb) and lets `wait` answer as soon as the exit file appears. If the service dies
// first, the monitor runs the cleanup verb itself, and reconcile finishes an --rm container.
import { watch, existsSync, type FSWatcher } from 'node:fs';
import { BerthError } from '../../errors.js';
import { containerExited } from '../../engine/cleanup.js';
import { readExitFile } from '../../engine/monitor/index.js';
import { containerPaths } from '../../engine/paths.js';
import { getContainer, tx, updateContainer, type ContainerRecord } from '../../engine/records.js';
import { removeContainer } from '../../engine/remove.js';
import { startContainer } from '../../engine/start.js';
import { monitorAlive, recordExit } from '../../engine/state.js';
import { killContainer, pauseContainer, restartContainer, stopContainer, unpauseContainer } from '../../engine/stop.js';
import type { Changed } from '../backend.js';
import type { EngineApi } from './state.js';

const LIVE = new Set(['running', 'paused', 'restarting', 'starting']);

export function isLive(rec: ContainerRecord): boolean {
  return LIVE.has(rec.state);
}

/** Records an exit of a run this service owns, reports it, and applies --rm / the restart policy. */
async function handleExit(api: EngineApi, id: string): Promise<void> {
  const { engine } = api;
  const before = getContainer(engine.db, id);
  if (before === undefined) return;
  const exit = await readExitFile(containerPaths(engine.paths, id).exitFile).catch(() => null);
  const rec = (await recordExit(engine, id)) ?? before;
  api.containerEvent(rec, 'die', { exitCode: String(exit?.exitCode ?? rec.exitCode) });
  try {
    await containerExited(engine, id);
  } finally {
    const after = getContainer(engine.db, id);
    if (after === undefined) api.containerEvent(rec, 'destroy');
    else if (after.runnerPid === process.pid) tx(engine.db, () => updateContainer(engine.db, id, { runnerPid: 0 }));
  }
}

/** Watches the run dir for the monitor's exit file (with a slow poll in case inotify misses it). */
export function watchExit(api: EngineApi, rec: ContainerRecord): void {
  api.owned.get(rec.id)?.stop();
  const paths = containerPaths(api.engine.paths, rec.id);
  let done = false;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    done = true;
    watcher?.close();
    clearInterval(timer);
    if (api.owned.get(rec.id)?.stop === stop) api.owned.delete(rec.id);
  };
  const check = (): void => {
    if (done) return;
    const cur = getContainer(api.engine.db, rec.id);
    // Removed or restarted by someone else, or its monitor died without an exit file.
    const exited = existsSync(paths.exitFile) || cur === undefined || cur.monitorPid !== rec.monitorPid || !monitorAlive(cur);
    if (!exited) return;
    stop();
    void handleExit(api, rec.id).catch(() => undefined);
  };
  try {
    watcher = watch(paths.runDir, (_ev, name) => { if (name === 'exit') check(); });
    watcher.on('error', () => undefined);
  } catch {
    // no inotify here: the poll below does it
  }
  timer = setInterval(check, watcher === undefined ? 50 : 500);
  api.owned.set(rec.id, { stop });
  check();
}

export async function start(api: EngineApi, ref: string): Promise<Changed> {
  const rec = await api.find(ref);
  if (rec.state === 'running' || rec.state === 'paused') return 'unchanged';
  const pending = api.pendingAttach.get(rec.id);
  let started: ContainerRecord;
  try {
    started = await startContainer(api.engine, rec.id, {
      keepRunner: true,
      attach: async (sock) => {
        // The clients that attached before the start get every byte: they connect before the process runs.
        for (const p of pending ?? []) await p.connect(sock).catch(() => undefined);
      },
    });
  } catch (e) {
    const after = getContainer(api.engine.db, rec.id);
    if (after !== undefined) api.containerEvent(after, 'die', { exitCode: String(after.exitCode) });
    if (after?.config.request.autoRemove === true) {
      await removeContainer(api.engine, rec.id, { force: true, volumes: true }).catch(() => undefined);
      api.containerEvent(rec, 'destroy');
    }
    throw e;
  } finally {
    for (const p of pending ?? []) p.cancel();
    api.pendingAttach.delete(rec.id);
  }
  api.containerEvent(started, 'start');
  if (started.runnerPid === process.pid) watchExit(api, started);
  else if (!isLive(started)) void handleExit(api, started.id).catch(() => undefined);
  return 'changed';
}

export async function stop(api: EngineApi, ref: string, opts: { signal?: string; timeout?: number }): Promise<Changed> {
  const rec = await api.find(ref);
  if (!isLive(rec)) return 'unchanged';
  if (opts.signal !== undefined && opts.signal !== '') {
    // docker's `stop --signal`: that signal first, this once; the stop then waits and SIGKILLs as usual.
    await api.engine.runtime(rec).kill(rec.id, opts.signal).catch(() => undefined);
  }
  api.containerEvent(rec, 'kill', { signal: opts.signal ?? rec.config.resolved.stopSignal });
  const after = await stopContainer(api.engine, rec.id, opts.timeout);
  api.containerEvent(after, 'stop');
  return 'changed';
}

export async function restart(api: EngineApi, ref: string, opts: { signal?: string; timeout?: number }): Promise<void> {
  const rec = await api.find(ref);
  if (isLive(rec)) await stop(api, rec.id, opts);
  // The previous run's exit handling (ours or the monitor's) finishes before the new run.
  api.owned.get(rec.id)?.stop();
  const started = await restartContainer(api.engine, rec.id, 0);
  api.containerEvent(started, 'restart');
  if (started.runnerPid === process.pid) watchExit(api, started);
}

export async function kill(api: EngineApi, ref: string, signal: string): Promise<void> {
  const rec = await api.find(ref);
  if (!isLive(rec)) throw new BerthError('BERTH_ESTATE', `cannot kill container: ${ref}: container ${rec.id} is not running`);
  await killContainer(api.engine, rec.id, signal);
  api.containerEvent(rec, 'kill', { signal });
}

export async function pause(api: EngineApi, ref: string): Promise<void> {
  const rec = await api.find(ref);
  await pauseContainer(api.engine, rec.id);
  api.containerEvent(rec, 'pause');
}

export async function unpause(api: EngineApi, ref: string): Promise<void> {
  const rec = await api.find(ref);
  await unpauseContainer(api.engine, rec.id);
  api.containerEvent(rec, 'unpause');
}
