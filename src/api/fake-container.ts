// One container of the fake backend: its record, its "process" (fake-program.ts), its output
// fan-out to logs, followers and attached clients, and its waiters.
import { BerthError } from '../errors.js';
import type { LogEntry, OutputChunk, StdioSession, WaitCondition } from './backend.js';
import { Channel } from './channel.js';
import { FakeFs } from './fake-fs.js';
import type { FakeImage } from './fake-images.js';
import { runProgram, signalNumber } from './fake-program.js';
import type { ContainerCreateBody, ContainerStatus, ContainerWaitResponse, EndpointSettings, MountPoint } from './types.js';

const LOG_CAP = 2_000;

/** RFC 3339 with nanoseconds, as docker stamps log lines. */
export function nanoTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}000000Z`);
}

/** Docker's "Up 3 seconds" / "Exited (0) 2 minutes ago" / "Created". */
export function humanStatus(c: { status: string; startedAt: string; finishedAt: string; exitCode: number }): string {
  const ago = (iso: string): string => {
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 1) return 'Less than a second';
    if (s < 60) return `${Math.floor(s)} second${Math.floor(s) === 1 ? '' : 's'}`;
    if (s < 120) return 'About a minute';
    if (s < 3600) return `${Math.floor(s / 60)} minutes`;
    if (s < 7200) return 'About an hour';
    return `${Math.floor(s / 3600)} hours`;
  };
  switch (c.status) {
    case 'running': return `Up ${ago(c.startedAt)}`;
    case 'paused': return `Up ${ago(c.startedAt)} (Paused)`;
    case 'exited': return `Exited (${c.exitCode}) ${ago(c.finishedAt)} ago`;
    case 'created': return 'Created';
    default: return c.status.charAt(0).toUpperCase() + c.status.slice(1);
  }
}

interface Attached { ch: Channel<OutputChunk>; stdout: boolean; stderr: boolean }
interface Waiter { cond: WaitCondition; resolve: (r: ContainerWaitResponse) => void }

export interface ContainerHooks {
  /** Registers a stream so the backend can count the open ones (leak tests). */
  track<T>(ch: Channel<T>): Channel<T>;
  event(action: string, attrs?: Record<string, string>): void;
  /** Called after the process exits; the backend removes AutoRemove containers. */
  exited(): void;
}

export class FakeContainer {
  status: ContainerStatus = 'created';
  pid = 0;
  exitCode = 0;
  startedAt = '0001-01-01T00:00:00Z';
  finishedAt = '0001-01-01T00:00:00Z';
  restartCount = 0;
  readonly logs: LogEntry[] = [];
  readonly followers = new Set<Channel<LogEntry>>();
  readonly attached = new Set<Attached>();
  readonly waiters: Waiter[] = [];
  readonly execIds: string[] = [];
  readonly fs: FakeFs;
  stdin: Channel<Buffer> | undefined;
  private stdinUsed = false;
  networks: Record<string, EndpointSettings> = {};
  mounts: MountPoint[] = [];
  private run: { abort: AbortController; done: Promise<void> } | undefined;

  constructor(
    readonly id: string,
    public name: string,
    readonly config: ContainerCreateBody,
    readonly image: FakeImage,
    readonly created: Date,
    private readonly hooks: ContainerHooks,
  ) {
    this.fs = new FakeFs(id.slice(0, 12));
    if (config.OpenStdin) this.stdin = new Channel<Buffer>(16);
  }

  get tty(): boolean { return this.config.Tty === true; }
  get running(): boolean { return this.status === 'running' || this.status === 'paused'; }

  argv(): string[] {
    const ep = this.config.Entrypoint ?? this.image.config.Entrypoint ?? [];
    const cmd = this.config.Cmd ?? (this.config.Entrypoint ? [] : this.image.config.Cmd ?? []);
    return [...ep, ...cmd];
  }

  env(): string[] {
    return [...(this.image.config.Env ?? []), ...(this.config.Env ?? [])];
  }

  private async output(stream: 'stdout' | 'stderr', text: string): Promise<void> {
    if (!this.run) return;
    const s = this.tty ? 'stdout' : stream;
    const data = Buffer.from(this.tty ? text.replace(/\r?\n/g, '\r\n') : text);
    const entry: LogEntry = { stream: s, data, time: nanoTime() };
    this.logs.push(entry);
    if (this.logs.length > LOG_CAP) this.logs.splice(0, this.logs.length - LOG_CAP);
    // Followers never hold the container back (their channels are large); attached readers do.
    for (const f of this.followers) void f.push(entry);
    await Promise.all([...this.attached].filter((a) => (s === 'stdout' ? a.stdout : a.stderr)).map((a) => a.ch.push({ stream: s, data })));
  }

  start(): 'changed' | 'unchanged' {
    if (this.running) return 'unchanged';
    if (this.status === 'removing' || this.status === 'dead') throw new BerthError('BERTH_ESTATE', `container ${this.id} is marked for removal and cannot be started`);
    // Stdin written (and closed) before the first start belongs to that run; a restart gets a new one.
    if (this.config.OpenStdin && (!this.stdin || this.stdinUsed)) this.stdin = new Channel<Buffer>(16);
    this.stdinUsed = true;
    const abort = new AbortController();
    this.status = 'running';
    this.pid = 1000 + Math.floor(Math.random() * 30000);
    this.startedAt = new Date().toISOString();
    const stdin = this.stdin;
    const io = {
      out: (s: 'stdout' | 'stderr', d: string) => this.output(s, d),
      stdin: stdin ?? (async function* (): AsyncGenerator<Buffer> { /* closed */ })(),
      env: this.env(), hostname: this.id.slice(0, 12), signal: abort.signal,
    };
    const run = { abort, done: Promise.resolve() };
    this.run = run;
    run.done = runProgram(this.argv(), io).then(
      (code) => this.exit(run, code),
      (e: unknown) => { void this.output('stderr', `fake: ${String(e)}\n`); this.exit(run, 126); },
    );
    this.hooks.event('start');
    return 'changed';
  }

  private exit(run: { abort: AbortController }, code: number): void {
    if (this.run !== run) return;
    this.run = undefined;
    run.abort.abort(9);
    this.status = 'exited';
    this.exitCode = code;
    this.pid = 0;
    this.finishedAt = new Date().toISOString();
    this.stdin?.end();
    for (const f of this.followers) f.end();
    for (const a of this.attached) a.ch.end();
    this.resolveWaiters((c) => c === 'not-running' || c === 'next-exit');
    this.hooks.event('die', { exitCode: String(code) });
    this.hooks.exited();
  }

  resolveWaiters(which: (c: WaitCondition) => boolean): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (!which(w.cond)) continue;
      this.waiters.splice(i, 1);
      w.resolve({ StatusCode: this.exitCode, Error: null });
    }
  }

  /** Sends a signal; everything but USR1, USR2 and WINCH ends a fake process. */
  async signal(sig: string): Promise<void> {
    let n: number;
    try { n = signalNumber(sig); } catch { throw new BerthError('BERTH_EINVAL', `Invalid signal: ${sig}`); }
    const run = this.run;
    if (!run) throw new BerthError('BERTH_ESTATE', `cannot kill container: ${this.name}: container ${this.id} is not running`);
    this.hooks.event('kill', { signal: String(n) });
    if ([10, 12, 28].includes(n)) return;
    run.abort.abort(n);
    await run.done;
  }

  async stop(sig: string | undefined): Promise<'changed' | 'unchanged'> {
    if (!this.running) return 'unchanged';
    // A paused process is thawed to take its signal, as docker does.
    this.status = 'running';
    await this.signal(sig ?? this.config.StopSignal ?? 'SIGTERM');
    this.hooks.event('stop');
    return 'changed';
  }

  /** A waiter whose client went away (`signal`) is dropped, so it does not outlive the request. */
  waitFor(cond: WaitCondition, signal?: AbortSignal): Promise<ContainerWaitResponse> {
    if (cond === 'not-running' && !this.running) return Promise.resolve({ StatusCode: this.exitCode, Error: null });
    return new Promise((resolve) => {
      const w = { cond, resolve };
      this.waiters.push(w);
      signal?.addEventListener('abort', () => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
      }, { once: true });
    });
  }

  followLogs(history: LogEntry[]): Channel<LogEntry> {
    const ch = this.hooks.track(new Channel<LogEntry>(100_000));
    for (const e of history) void ch.push(e);
    if (!this.running) { ch.end(); return ch; }
    this.followers.add(ch);
    ch.onClose(() => this.followers.delete(ch));
    return ch;
  }

  attach(opts: { stdin: boolean; stdout: boolean; stderr: boolean; stream: boolean; logs: boolean }): StdioSession {
    const ch = this.hooks.track(new Channel<OutputChunk>(64));
    if (opts.logs) {
      for (const e of this.logs) if (e.stream === 'stdout' ? opts.stdout : opts.stderr) void ch.push({ stream: e.stream, data: e.data });
    }
    if (!opts.stream) ch.end();
    else {
      // Attaching before start (what `docker run` does) waits for the output of the next run.
      const a = { ch, stdout: opts.stdout, stderr: opts.stderr };
      this.attached.add(a);
      ch.onClose(() => this.attached.delete(a));
    }
    const session: StdioSession = { tty: this.tty, output: ch, close: () => ch.close() };
    if (opts.stdin && this.config.OpenStdin) {
      session.writeStdin = async (data) => { await this.stdin?.push(data); };
      session.closeStdin = () => { if (this.config.StdinOnce) this.stdin?.end(); };
    }
    return session;
  }

  pause(): void {
    if (!this.running) throw new BerthError('BERTH_ESTATE', `container ${this.id} is not running`);
    if (this.status === 'paused') throw new BerthError('BERTH_ESTATE', `container ${this.id} is already paused`);
    this.status = 'paused';
    this.hooks.event('pause');
  }

  unpause(): void {
    if (this.status !== 'paused') throw new BerthError('BERTH_ESTATE', `container ${this.id} is not paused`);
    this.status = 'running';
    this.hooks.event('unpause');
  }

  /** Ends everything tied to the container when it is removed. */
  dispose(): void {
    this.status = 'removing';
    for (const f of this.followers) f.end();
    for (const a of this.attached) a.ch.end();
    this.resolveWaiters(() => true);
  }
}
