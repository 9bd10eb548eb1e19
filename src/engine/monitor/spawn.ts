// Starts berth-monitor for one container and waits until the runtime's `create` is done (or, in
// helper mode, until it has taken over the container that the caller created through its helper).
// The monitor daemonizes: the process we spawn exits at once, its child keeps fd 3 (the sync
// channel) until it writes the one readiness line, so the line or EOF is all we wait for.
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { BerthError } from '../../errors.js';
import { findMonitorBinary } from './locate.js';
import { buildMonitorArgs, type MonitorOptions } from './options.js';

export interface SpawnMonitorOptions extends MonitorOptions {
  /** Defaults to findMonitorBinary(). */
  binary?: string;
  /** Helper mode: environment the monitor passes on to the helper it spawns. */
  helperEnv?: Record<string, string>;
  /** How long `create` may take before we give up waiting (the monitor is left to finish). */
  timeoutMs?: number;
}

export interface MonitorHandle {
  monitorPid: number;
  containerPid: number;
}

const SYNC_FD = 3;
const HELPER_FD = 4;
/** The monitor's answer to our own abort: nothing it knows better. */
const ABANDONED = 'container creation abandoned by the caller';
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

interface Launch {
  /** Our end of the sync fd (a socketpair: helper mode writes the pid line on it). */
  sync: Duplex;
  /** Our end of the helper's fd 3, in helper mode. */
  helper: Socket | undefined;
  ready: Promise<MonitorHandle>;
}

function launch(opts: SpawnMonitorOptions, helperFd?: number): Launch {
  const args = buildMonitorArgs(opts, SYNC_FD, helperFd);
  const binary = opts.binary ?? findMonitorBinary();
  const child = spawn(binary, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', ...(helperFd !== undefined ? ['pipe' as const] : [])],
    ...(opts.helperEnv !== undefined ? { env: { ...process.env, ...opts.helperEnv } } : {}),
  });
  const sync = child.stdio[SYNC_FD] as Duplex;
  const helper = helperFd !== undefined ? (child.stdio[helperFd] as Socket) : undefined;
  const ready = new Promise<MonitorHandle>((resolve, reject) => {
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
    const ended = (): void => {
      if (settled) return;
      // EOF without a line: argument errors (stderr, exit 2) or a monitor that died.
      const wait = exitCode === undefined ? new Promise((r) => child.once('exit', r)) : Promise.resolve();
      void wait.then(() => {
        const why = Buffer.concat(stderr).toString('utf8').trim();
        finish(failure(`monitor exited (status ${String(exitCode)}) without reporting readiness${why === '' ? '' : `: ${why}`}`));
      });
    };
    sync.on('end', ended);
    // a write to a monitor that is gone (EPIPE) destroys the socket with no 'end'
    sync.on('close', ended);
  });
  helper?.on('error', () => undefined);
  return { sync, helper, ready };
}

export function spawnMonitor(opts: SpawnMonitorOptions): Promise<MonitorHandle> {
  return launch(opts).ready;
}

/** A monitor in helper mode (monitor.h, HELPER MODE): the caller creates the container. */
export interface HelperMonitor {
  /** Connected to the helper's fd 3: give it to the runtime's createContainer. */
  helper: Socket;
  /** The container exists: the monitor takes it over; resolves once it has (or rejects with its error). */
  adopt(containerPid: number): Promise<MonitorHandle>;
  /**
   * Creation failed: the monitor kills what it has below it and exits. Resolves with the monitor's
   * own account when it had one (say, the helper could not be run), which says more than our side's
   * "berth-nsexec exited before the container was ready".
   */
  abort(): Promise<string | undefined>;
}

const ABORT_WAIT_MS = 5000;

export function spawnMonitorWithHelper(opts: SpawnMonitorOptions & { execHelper: string }): HelperMonitor {
  const { sync, helper, ready } = launch(opts, HELPER_FD);
  ready.catch(() => undefined);
  return {
    helper: helper!,
    adopt: (containerPid) => {
      sync.write(`{"pid":${containerPid}}\n`);
      return ready;
    },
    abort: async () => {
      helper!.destroy();
      // EOF, not an error line: a write could meet a monitor that has just given up itself (EPIPE),
      // and Node would then drop the account it left unread in the socket.
      if (!sync.destroyed) sync.end();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ABORT_WAIT_MS);
      });
      try {
        await Promise.race([ready, late]);
        return undefined;
      } catch (e) {
        const said = (e as Error).message.replace(/^container \S+: (monitor: )?/, '');
        return said === ABANDONED ? undefined : said;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
