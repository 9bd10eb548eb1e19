// Client side of the monitor's attach socket (frames without a tty, raw bytes with one) and of its
// control socket (`resize ROWS COLS`, `close-stdin`). Formats: native/monitor/monitor.h.
import { createConnection, type Socket } from 'node:net';
import { BerthError } from '../../errors.js';
import { controlSocketPath } from './options.js';

export type StreamName = 'stdout' | 'stderr';

export interface AttachFrame {
  stream: StreamName;
  data: Buffer;
}

const HEADER = 5;

/** Incremental decoder of `u8 stream | u32 BE length | bytes` frames. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): AttachFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: AttachFrame[] = [];
    while (this.buf.length >= HEADER) {
      const kind = this.buf[0];
      const len = this.buf.readUInt32BE(1);
      if (kind !== 1 && kind !== 2) throw new BerthError('BERTH_EINTERNAL', `attach: bad frame stream byte ${String(kind)}`);
      if (this.buf.length < HEADER + len) break;
      out.push({ stream: kind === 1 ? 'stdout' : 'stderr', data: Buffer.from(this.buf.subarray(HEADER, HEADER + len)) });
      this.buf = this.buf.subarray(HEADER + len);
    }
    return out;
  }

  /** Bytes of an incomplete frame still waiting (non-zero at EOF means a cut stream). */
  get pending(): number {
    return this.buf.length;
  }
}

export interface AttachSession {
  /** Live output until the container exits (the monitor closes the socket) or close(). */
  output: AsyncIterable<AttachFrame>;
  /** Bytes for the container's stdin (or the terminal). */
  write(data: string | Uint8Array): Promise<void>;
  /** Half-close: no more input from this client; output keeps coming. */
  endInput(): void;
  close(): void;
}

function connect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * Output as an async iterable that survives `break`: leaving one for-await loop must not close the
 * socket, since the caller usually reads some output, writes input, then reads again.
 */
function frameQueue(socket: Socket, tty: boolean): AsyncIterable<AttachFrame> {
  const HIGH_WATER = 256;
  const decoder = new FrameDecoder();
  const queue: AttachFrame[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  socket.on('data', (chunk: Buffer) => {
    try {
      if (tty) queue.push({ stream: 'stdout', data: chunk });
      else queue.push(...decoder.push(chunk));
    } catch (e) {
      failure = e as Error;
      socket.destroy();
    }
    if (queue.length > HIGH_WATER) socket.pause();
    notify();
  });
  socket.on('error', (e) => {
    failure = e;
    notify();
  });
  socket.on('close', () => {
    ended = true;
    notify();
  });
  const next = async (): Promise<IteratorResult<AttachFrame>> => {
    for (;;) {
      const f = queue.shift();
      if (f !== undefined) {
        if (queue.length < HIGH_WATER / 2) socket.resume();
        return { value: f, done: false };
      }
      if (failure !== undefined) throw failure;
      if (ended) return { value: undefined, done: true };
      await new Promise<void>((r) => {
        wake = r;
      });
    }
  };
  return {
    [Symbol.asyncIterator]: () => ({ next, return: async () => ({ value: undefined, done: true }) }),
  };
}

export async function attachClient(socketPath: string, opts: { tty?: boolean } = {}): Promise<AttachSession> {
  let socket: Socket;
  try {
    socket = await connect(socketPath);
  } catch (e) {
    throw new BerthError('BERTH_ESTATE', `cannot attach: ${socketPath}: ${(e as Error).message}`, { cause: e });
  }
  return {
    output: frameQueue(socket, opts.tty === true),
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        socket.write(data, (err) => (err ? reject(err) : resolve()));
      }),
    endInput: () => {
      socket.end();
    },
    close: () => {
      socket.destroy();
    },
  };
}

/** Sends one control line to `<attachSocket>.ctl`; resolves on "ok", rejects with the monitor's error. */
export async function sendControl(attachSocket: string, command: string): Promise<void> {
  if (command.includes('\n')) throw new BerthError('BERTH_EINVAL', 'control command must be one line');
  let socket: Socket;
  try {
    socket = await connect(controlSocketPath(attachSocket));
  } catch (e) {
    throw new BerthError('BERTH_ESTATE', `monitor control socket: ${(e as Error).message}`, { cause: e });
  }
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        text += d;
        const nl = text.indexOf('\n');
        if (nl >= 0) resolve(text.slice(0, nl));
      });
      socket.once('error', reject);
      socket.once('end', () => reject(new Error('closed without a reply')));
      socket.write(`${command}\n`);
    });
    if (reply !== 'ok') throw new BerthError('BERTH_EINVAL', `monitor refused "${command}": ${reply.replace(/^error /, '')}`);
  } finally {
    socket.destroy();
  }
}

export function resizeTerminal(attachSocket: string, rows: number, cols: number): Promise<void> {
  if (![rows, cols].every((n) => Number.isInteger(n) && n > 0 && n <= 65535)) {
    throw new BerthError('BERTH_EINVAL', `terminal size must be 1..65535, got ${rows}x${cols}`);
  }
  return sendControl(attachSocket, `resize ${rows} ${cols}`);
}

export function closeStdin(attachSocket: string): Promise<void> {
  return sendControl(attachSocket, 'close-stdin');
}
