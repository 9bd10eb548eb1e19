// Starts berth-monitor for one container and waits until the runtime's `create` is done.
// The monitor daemonizes: the process we spawn exits at once, its child keeps fd 3 (the sync
// channel) until it writes the one readiness line, so the line or EOF is all we wait for.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { BerthError } from '../../errors.js';
import { findMonitorBinary } from './locate.js';
import { buildMonitorArgs, type MonitorOptions } from './options.js';

export interface SpawnMonitorOptions extends MonitorOptions {
  /** Defaults to findMonitorBinary(). */
  binary?: string;
  /** How long `create` may take before we give up waiting (the monitor is left to finish). */
  timeoutMs?: number;
}

export interface MonitorHandle {
  monitorPid: number;
  containerPid: number;
}

const SYNC_FD = 3;
const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_CAPTURE = 64 * 1024;

type Sync = { pid: number; monitorPid: number } | { error: string };

export function parseSyncLine(line: string): Sync {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new BerthError('BERTH_ELAUNCH', `monitor sent an unreadable readiness line: ${line.slice(0, 200)}`);
  }
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    if (typeof o.error === 'string') return { error: o.error };
    if (Number.isSafeInteger(o.pid) && Number.isSafeInteger(o.monitorPid)) {
      return { pid: o.pid as number, monitorPid: o.monitorPid as number };
    }
  }
  throw new BerthError('BERTH_ELAUNCH', `monitor sent an unexpected readiness line: ${line.slice(0, 200)}`);
}

function collect(stream: Readable | null, into: Buffer[]): void {
  let size = 0;
  stream?.on('data', (b: Buffer) => {
    if (size < MAX_CAPTURE) into.push(b);
    size += b.length;
  });
}

export function spawnMonitor(opts: SpawnMonitorOptions): Promise<MonitorHandle> {
  const args = buildMonitorArgs(opts, SYNC_FD);
  const binary = opts.binary ?? findMonitorBinary();
  return new Promise<MonitorHandle>((resolve, reject) => {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    const sync = child.stdio[SYNC_FD] as Readable;
    const syncData: Buffer[] = [];
    const stderr: Buffer[] = [];
    let settled = false;
    let exitCode: number | null | undefined;

    const finish = (err: Error | undefined, value?: MonitorHandle): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sync.destroy();
      child.stderr?.destroy();
      child.unref();
      if (err !== undefined) reject(err);
      else resolve(value as MonitorHandle);
    };
    const failure = (msg: string, cause?: unknown): BerthError =>
      new BerthError('BERTH_ELAUNCH', `container ${opts.id}: ${msg}`, {
        cause,
        detail: { binary, args, stderr: Buffer.concat(stderr).toString('utf8').trim(), exitCode },
      });

    const timer = setTimeout(() => finish(failure(`monitor did not report readiness within ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`)), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    collect(child.stderr, stderr);
    child.on('error', (e) => finish(failure(`cannot run ${binary}: ${e.message}`, e)));
    child.on('exit', (code) => {
      exitCode = code;
    });
    sync.on('data', (b: Buffer) => {
      syncData.push(b);
      const text = Buffer.concat(syncData).toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      let parsed: Sync;
      try {
        parsed = parseSyncLine(text.slice(0, nl));
      } catch (e) {
        finish(e as Error);
        return;
      }
      if ('error' in parsed) finish(failure(`monitor: ${parsed.error}`));
      else finish(undefined, { monitorPid: parsed.monitorPid, containerPid: parsed.pid });
    });
    sync.on('error', () => undefined);
    sync.on('end', () => {
      // EOF without a line: argument errors (stderr, exit 2) or a monitor that died.
      const wait = exitCode === undefined ? new Promise((r) => child.once('exit', r)) : Promise.resolve();
      void wait.then(() => {
        const why = Buffer.concat(stderr).toString('utf8').trim();
        finish(failure(`monitor exited (status ${String(exitCode)}) without reporting readiness${why === '' ? '' : `: ${why}`}`));
      });
    });
  });
}
