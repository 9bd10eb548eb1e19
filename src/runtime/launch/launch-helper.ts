// The TypeScript side of the sync protocol (native/plan.h): spawn berth-nsexec, hand it the plan,
// answer its requests, and turn its SYNC_ERROR frames into BerthErrors.
import { spawn, type ChildProcess, type IOType } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Duplex, Readable, Stream, Writable } from 'node:stream';
import { BerthError } from '../../errors.js';
import type { LaunchPlan } from '../plan/launch-plan.js';
import { decodeError, decodeI32, decodeU32, encodeFrame, encodePlan, FrameReader, type Frame } from '../plan/encode.js';
import { Sync } from '../plan/tags.js';
import { writeIdMappings } from './id-maps.js';
import { locateHelper } from '../../sys/locate-helper.js';

export type StdioEntry = IOType | 'inherit' | Stream | number | null | undefined;

export interface LaunchOptions {
  /** Defaults to locateHelper(): $BERTH_NSEXEC or native/build/berth-nsexec. */
  helperPath?: string;
  /** The helper's, and so the container process's, fds 0, 1, 2. Default: inherit. */
  stdio?: [StdioEntry, StdioEntry, StdioEntry];
  /** Our fds that become the container's fds 3, 4, …; sets plan.preserveFds and plan.syncFd. */
  extraFds?: number[];
  /** The child exists and waits: write id maps, join cgroups. SYNC_GO follows if plan.waitForGo. */
  onPid?: (pid: number) => Promise<void> | void;
  /** Mounts are done, pivot_root is next (plan.runHooks). */
  onHooks?: () => Promise<void> | void;
  /** The helper's environment (helperEnv()); empty by default. */
  env?: Record<string, string>;
}

export interface Launched {
  /** The container process, as a host pid. */
  pid: number;
  /** stage0 of the helper (it has exited already unless plan.foreground). */
  helper: ChildProcess;
  /** Foreground only: the exit code (128+N for a signal). Rejects if execve failed. */
  exit?: Promise<number>;
}

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

function launchError(message: string, detail: Record<string, unknown>, cause?: unknown): BerthError {
  return new BerthError('BERTH_ELAUNCH', message, { detail, cause });
}

function helperError(payload: Buffer): BerthError {
  const e = decodeError(payload);
  return launchError(e.message, { step: e.step, errno: e.errno, code: errnoNames.get(e.errno) });
}

const exitCode = (status: number): number => ((status & 0x7f) !== 0 ? 128 + (status & 0x7f) : (status >> 8) & 0xff);

/** Frames of the sync socket, one at a time; null once the socket is closed. */
class FrameQueue {
  private readonly frames: Frame[] = [];
  private waiter: ((f: Frame | null) => void) | undefined;
  private ended = false;
  private failure: Error | undefined;

  constructor(sock: Readable) {
    const reader = new FrameReader();
    sock.on('data', (chunk: Buffer) => {
      try {
        for (const f of reader.push(chunk)) this.deliver(f);
      } catch (e) {
        this.failure = e as Error;
        this.end();
      }
    });
    sock.on('end', () => this.end());
    sock.on('close', () => this.end());
    sock.on('error', () => this.end());
  }

  private deliver(f: Frame): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(f);
    } else this.frames.push(f);
  }

  private end(): void {
    this.ended = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(null);
  }

  next(): Promise<Frame | null> {
    if (this.failure) return Promise.reject(this.failure);
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The user namespaces of id-mapped mounts get their maps from us, as the container's does. */
function writeHolderMaps(plan: LaunchPlan, payload: Buffer): void {
  if (payload.length !== 4 * plan.usernsHolders.length) {
    throw launchError(`berth-nsexec reported ${payload.length / 4} id-map namespaces, the plan has ${plan.usernsHolders.length}`, { step: 'idmap' });
  }
  plan.usernsHolders.forEach((h, i) => writeIdMappings(payload.readUInt32LE(4 * i), h.uidMappings, h.gidMappings));
}

/** What the protocol needs from whoever holds the other end of the sync socket. */
interface Peer {
  sock: Readable & Writable;
  queue: FrameQueue;
  /** Rejects when the helper could not be started at all. */
  failed?: Promise<never>;
  /** " (status N)" when the helper is known to have exited. */
  status: () => string;
}

function openPeer(sock: Readable & Writable, failed: Promise<never> | undefined, status: () => string): Peer {
  const queue = new FrameQueue(sock);
  sock.on('error', () => undefined);
  return { sock, queue, ...(failed !== undefined ? { failed } : {}), status };
}

/** Steps 1 to 6 of plan.h's table; resolves with the container's pid at SYNC_READY. */
async function drive(plan: LaunchPlan, effective: LaunchPlan, peer: Peer, opts: LaunchOptions): Promise<number> {
  const { sock, queue } = peer;
  sock.write(encodeFrame(Sync.PLAN, encodePlan(effective)));
  const send = (tag: number): void => {
    sock.write(encodeFrame(tag));
  };
  let pid: number | undefined;
  try {
    for (;;) {
      const f = await (peer.failed ? Promise.race([queue.next(), peer.failed]) : queue.next());
      if (f === null) {
        throw launchError(`berth-nsexec exited before the container was ready${peer.status()}`, { step: 'sync' });
      }
      switch (f.tag) {
        case Sync.USERNS:
          writeHolderMaps(plan, f.payload);
          send(Sync.USERNS_OK);
          break;
        case Sync.PID:
          pid = decodeU32(f.payload);
          await opts.onPid?.(pid);
          if (plan.waitForGo) send(Sync.GO);
          break;
        case Sync.HOOKS:
          await opts.onHooks?.();
          send(Sync.HOOKS_OK);
          break;
        case Sync.READY:
          if (pid === undefined) throw launchError('berth-nsexec sent READY before PID', { step: 'sync' });
          return pid;
        case Sync.ERROR:
          throw helperError(f.payload);
        case Sync.EXIT:
          throw launchError(`the container process exited with status ${exitCode(decodeI32(f.payload))} before it was ready`, { step: 'sync' });
        default:
          throw launchError(`unexpected sync frame ${f.tag} from berth-nsexec`, { step: 'sync' });
      }
    }
  } catch (e) {
    killQuietly(pid);
    throw e;
  }
}

export async function launchHelper(plan: LaunchPlan, opts: LaunchOptions = {}): Promise<Launched> {
  const extra = opts.extraFds ?? [];
  const syncFd = 3 + extra.length;
  const effective: LaunchPlan = { ...plan, preserveFds: extra.length, syncFd };
  const [in0, out1, err2] = opts.stdio ?? ['inherit', 'inherit', 'inherit'];

  const helper = spawn(opts.helperPath ?? locateHelper(), [String(syncFd)], {
    stdio: [in0, out1, err2, ...extra, 'pipe'],
    // a detached container gets its own session, away from the caller's terminal signals
    detached: !plan.foreground,
    env: opts.env ?? {},
  });
  const spawnFailed = new Promise<never>((_, reject) => {
    helper.once('error', (e) => reject(launchError(`start berth-nsexec: ${e.message}`, { step: 'spawn' }, e)));
  });
  spawnFailed.catch(() => undefined);
  const sock = helper.stdio[syncFd] as (Readable & Writable) | null;
  if (!sock) throw launchError('berth-nsexec has no sync socket', { step: 'spawn' });
  const peer = openPeer(sock, spawnFailed, () => (helper.exitCode !== null ? ` (status ${helper.exitCode})` : ''));
  const { queue } = peer;

  let readyPid: number;
  try {
    readyPid = await drive(plan, effective, peer, opts);
  } catch (e) {
    if (helper.exitCode === null) helper.kill('SIGKILL');
    sock.destroy();
    throw e;
  }

  if (!plan.foreground) {
    sock.destroy();
    return { pid: readyPid, helper };
  }
  const exit = (async (): Promise<number> => {
    for (;;) {
      const f = await queue.next();
      if (f === null) {
        if (helper.exitCode !== null) return helper.exitCode;
        return await new Promise<number>((resolve) => helper.once('exit', (code, sig) => resolve(code ?? 128 + (osConstants.signals[sig as NodeJS.Signals] ?? 0))));
      }
      if (f.tag === Sync.EXIT) {
        sock.destroy();
        return exitCode(decodeI32(f.payload));
      }
      if (f.tag === Sync.ERROR) throw helperError(f.payload);
    }
  })();
  exit.catch(() => undefined);
  return { pid: readyPid, helper, exit };
}

/** A berth-nsexec that someone else started, as `berth-nsexec 3`, with the other end of `socket` as its fd 3. */
export interface ExternalHelper {
  /**
   * Our end of the helper's sync socket. Nobody here knows the helper's pid or can wait for it: the
   * helper and the container stop on EOF of this socket (both block on it until READY), so
   * destroying it is how a failed launch is undone, and its EOF is how a dead helper shows.
   */
  socket: Duplex;
}

/**
 * launchHelper's protocol over a helper spawned elsewhere (berth-monitor --exec-helper, so that the
 * container is born below the monitor while its creation runs in our process). Detached create
 * only: the helper's stdio and fds are whatever its spawner gave it, and it exits after SYNC_PID.
 */
export async function launchWithHelper(plan: LaunchPlan, helper: ExternalHelper, opts: Pick<LaunchOptions, 'onPid' | 'onHooks'> = {}): Promise<{ pid: number }> {
  if (plan.foreground) throw launchError('a helper spawned elsewhere cannot run a foreground container', { step: 'spawn' });
  if (plan.preserveFds > 0) throw launchError('a helper spawned elsewhere cannot pass extra fds', { step: 'spawn' });
  const sock = helper.socket;
  const peer = openPeer(sock, undefined, () => '');
  try {
    return { pid: await drive(plan, { ...plan, preserveFds: 0, syncFd: 3 }, peer, opts) };
  } finally {
    // after READY the child needs nothing more from us (plan.h: "the parent may close fd 3")
    sock.destroy();
  }
}
