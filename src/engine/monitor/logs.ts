// Reads the json-file log the monitor writes, across rotated files (FILE.N … FILE.1, FILE: oldest
// first), with Docker's tail / since / follow semantics.
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 UTC with nanoseconds, as written by the monitor. */
  time: string;
  /** The text exactly as logged: ends with "\n" unless the monitor cut a partial line. */
  line: string;
}

export interface ReadLogsOptions {
  /** Only the last N entries of what exists now (follow then continues with new ones). */
  tail?: number;
  /** Only entries at or after this time. */
  since?: Date | string;
  /** Keep waiting for new entries until `signal` aborts or `exitFile` appears. */
  follow?: boolean;
  signal?: AbortSignal;
  /** With follow: stop once this file exists and the log is read to its end (the container exited). */
  exitFile?: string;
  /** With follow: how often to look for new data. */
  pollMs?: number;
}

const MAX_ROTATED = 1000; // --log-max-files upper bound in the monitor

export function parseLogLine(text: string): LogEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.log !== 'string' || typeof o.time !== 'string' || (o.stream !== 'stdout' && o.stream !== 'stderr')) return null;
  return { stream: o.stream, time: o.time, line: o.log };
}

/** Nanoseconds since the epoch of an RFC 3339 time (any number of fraction digits), or null. */
export function timeNanos(time: string): bigint | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(time);
  if (m === null) return null;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return null;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

function sinceNanos(since: Date | string | undefined): bigint | null {
  if (since === undefined) return null;
  if (since instanceof Date) return BigInt(since.getTime()) * 1_000_000n;
  const n = timeNanos(since);
  if (n === null) throw new RangeError(`since: not an RFC 3339 time: ${since}`);
  return n;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The rotated files that exist, oldest first, without the live one. */
export async function rotatedFiles(path: string): Promise<string[]> {
  const found: string[] = [];
  for (let i = 1; i <= MAX_ROTATED && (await exists(`${path}.${i}`)); i++) found.push(`${path}.${i}`);
  return found.reverse();
}

/** Splits complete lines off a byte stream; the unterminated rest waits for more data. */
class LineSplitter {
  private rest = '';
  private readonly decoder = new TextDecoder();
  push(chunk: Uint8Array): string[] {
    const text = this.rest + this.decoder.decode(chunk, { stream: true });
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    return parts;
  }
}

async function readFrom(fh: FileHandle, pos: number): Promise<{ bytes: Buffer; pos: number }> {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    pos += bytesRead;
  }
  return { bytes: Buffer.concat(chunks), pos };
}

async function openIfExists(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function* readLogs(path: string, opts: ReadLogsOptions = {}): AsyncGenerator<LogEntry> {
  const since = sinceNanos(opts.since);
  const keep = (e: LogEntry | null): e is LogEntry => {
    if (e === null) return false;
    if (since === null) return true;
    const t = timeNanos(e.time);
    return t !== null && t >= since;
  };

  // Open the live file before reading the rotated ones: if it rotates meanwhile, the handle still
  // holds the entries that moved to FILE.1, and the older files were read first.
  let fh = await openIfExists(path);
  let initial: LogEntry[] = [];
  for (const file of await rotatedFiles(path)) {
    const text = await readFile(file, 'utf8').catch(() => '');
    initial.push(...text.split('\n').map(parseLogLine).filter(keep));
  }
  let pos = 0;
  let splitter = new LineSplitter();
  if (fh !== null) {
    const r = await readFrom(fh, 0);
    pos = r.pos;
    initial.push(...splitter.push(r.bytes).map(parseLogLine).filter(keep));
  }
  if (opts.tail !== undefined) initial = opts.tail <= 0 ? [] : initial.slice(-opts.tail);
  try {
    yield* initial;
    if (opts.follow !== true) return;

    for (;;) {
      if (fh === null) fh = await openIfExists(path);
      let got = 0;
      if (fh !== null) {
        const r = await readFrom(fh, pos);
        pos = r.pos;
        got = r.bytes.length;
        for (const e of splitter.push(r.bytes).map(parseLogLine)) if (keep(e)) yield e;
        const live = await stat(path).catch(() => null);
        const mine = await fh.stat();
        if (live !== null && live.ino !== mine.ino) {
          // Rotated: everything left in the old inode has just been read; continue on the new file.
          await fh.close();
          fh = null;
          pos = 0;
          splitter = new LineSplitter();
          continue;
        }
      }
      if (got > 0) continue;
      if (opts.signal?.aborted === true) return;
      if (opts.exitFile !== undefined && (await exists(opts.exitFile))) {
        // The monitor writes the exit file only after the last entry: one more read and we are done.
        if (fh !== null) {
          const r = await readFrom(fh, pos);
          for (const e of splitter.push(r.bytes).map(parseLogLine)) if (keep(e)) yield e;
        }
        return;
      }
      try {
        await sleep(opts.pollMs ?? 100, undefined, opts.signal === undefined ? undefined : { signal: opts.signal });
      } catch {
        return; // aborted
      }
    }
  } finally {
    await fh?.close();
  }
}
