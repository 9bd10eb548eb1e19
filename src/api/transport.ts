// How a handler answers, separated from node:http so that handlers run the same over a real
// connection, a hijacked one, or an in-memory one in unit tests (inject.ts).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { STATUS_CODES } from 'node:http';

export interface ApiRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The request body (for hijacked requests, only the Content-Length bytes, not what follows). */
  body: Readable;
}

/** A connection taken over after the response head: raw bytes both ways. */
export interface Hijacked {
  /** Resolves when the bytes are handed to the socket (waits for drain: per-connection backpressure). */
  write(data: Buffer): Promise<void>;
  /** Closes our side; the client sees EOF. */
  end(): void;
  /** Bytes the client sends after the request (stdin); ends when the client closes its write side. */
  input: Readable;
  /** Resolves when the connection is gone (either side). */
  closed: Promise<void>;
}

export interface Transport {
  /** Whether the client asked for `Connection: Upgrade` (the 101 form of hijacking). */
  readonly upgrade: boolean;
  readonly headSent: boolean;
  /** Status line and headers. `raw` sends the body unframed and closes the connection after it. */
  head(status: number, headers: Record<string, string | number>, opts?: { raw?: boolean }): void;
  /** Resolves when the chunk is accepted; waits for drain when the client reads slowly. */
  write(data: Buffer | string): Promise<void>;
  end(data?: Buffer | string): void;
  /** Resolves when the client goes away or the response is finished. */
  readonly closed: Promise<void>;
  isClosed(): boolean;
  /** Cuts the connection (an error after the head was sent: the client must not see a clean end). */
  abort(): void;
  /** Writes the hijack head (101 Upgrade or 200 raw) and hands over the connection. */
  hijack(contentType: string): Hijacked;
}

function waitDrain(stream: NodeJS.WritableStream & { destroyed?: boolean }, closed: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (closed()) { resolve(); return; }
    const done = (): void => { stream.removeListener('drain', done); stream.removeListener('close', done); resolve(); };
    stream.once('drain', done);
    stream.once('close', done);
  });
}

/** Over a node:http request/response pair. */
export function nodeTransport(req: IncomingMessage, res: ServerResponse): Transport {
  let closedFlag = false;
  const closed = new Promise<void>((resolve) => {
    res.once('close', () => { closedFlag = true; resolve(); });
  });
  return {
    upgrade: false,
    get headSent() { return res.headersSent; },
    head(status, headers, opts) {
      if (opts?.raw) {
        // No chunked framing: the body is the raw stream and ends when the connection closes,
        // which is what docker's hijacking clients read without the Upgrade headers.
        res.removeHeader('Transfer-Encoding');
        res.setHeader('Connection', 'close');
      }
      res.writeHead(status, headers);
      res.flushHeaders();
    },
    write(data) {
      if (closedFlag) return Promise.resolve();
      return res.write(data) ? Promise.resolve() : waitDrain(res, () => closedFlag);
    },
    end(data) { if (!res.writableEnded) res.end(data); },
    closed,
    isClosed: () => closedFlag,
    abort() { res.destroy(); },
    hijack(contentType) {
      res.removeHeader('Transfer-Encoding');
      res.writeHead(200, { 'Content-Type': contentType, Connection: 'close' });
      res.flushHeaders();
      const socket = req.socket;
      const input = new PassThrough();
      // The plain (200) form: what the client sends after the request is stdin, not another
      // request. Take the socket's input away from the HTTP parser once the request is read, and
      // its EOF too (the server would otherwise end our output when the client half-closes).
      const takeOver = (): void => {
        for (const l of socket.listeners('data')) socket.removeListener('data', l as (...a: unknown[]) => void);
        for (const l of socket.listeners('end')) socket.removeListener('end', l as (...a: unknown[]) => void);
        socket.on('data', (d: Buffer) => { if (!input.write(d)) { socket.pause(); input.once('drain', () => socket.resume()); } });
        socket.on('end', () => input.end());
        socket.resume();
      };
      if (req.readableEnded) takeOver(); else { req.once('end', takeOver); req.resume(); }
      return {
        write: (data) => {
          if (closedFlag) return Promise.resolve();
          return res.write(data) ? Promise.resolve() : waitDrain(res, () => closedFlag);
        },
        end: () => { if (!res.writableEnded) res.end(); },
        input,
        closed,
      };
    },
  };
}

/** Reads exactly `length` bytes of body from `head` and the socket; the rest is left for stdin. */
function splitUpgradeBody(socket: Socket, head: Buffer, length: number): { body: Readable; input: PassThrough } {
  const input = new PassThrough();
  const body = new PassThrough();
  let need = length;
  const feed = (chunk: Buffer): void => {
    if (need > 0) {
      const take = chunk.subarray(0, need);
      need -= take.length;
      body.write(take);
      if (need === 0) body.end();
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length > 0 && !input.write(chunk)) { socket.pause(); input.once('drain', () => socket.resume()); }
  };
  if (need === 0) body.end();
  if (head.length > 0) feed(head);
  socket.on('data', feed);
  socket.on('end', () => { if (need > 0) body.end(); input.end(); });
  return { body, input };
}

/** Over a socket handed to the server's 'upgrade' event (`Connection: Upgrade`, `Upgrade: tcp`). */
export function upgradeTransport(req: IncomingMessage, socket: Socket, head: Buffer): { request: ApiRequest; transport: Transport } {
  const length = Number(req.headers['content-length'] ?? 0);
  const { body, input } = splitUpgradeBody(socket, head, Number.isFinite(length) && length > 0 ? length : 0);
  let closedFlag = false;
  let headSent = false;
  const closed = new Promise<void>((resolve) => { socket.once('close', () => { closedFlag = true; resolve(); }); });
  socket.on('error', () => socket.destroy());
  const write = (data: Buffer | string): Promise<void> => {
    if (closedFlag) return Promise.resolve();
    return socket.write(data) ? Promise.resolve() : waitDrain(socket, () => closedFlag);
  };
  // Our side is done; a client that keeps its side open is cut after a grace period, so a
  // half-open socket cannot linger forever.
  const endSoon = (): void => {
    socket.end();
    setTimeout(() => socket.destroy(), 10_000).unref();
  };
  const transport: Transport = {
    upgrade: true,
    get headSent() { return headSent; },
    head(status, headers) {
      // Only a plain answer (an error) can be given on a connection that asked to upgrade; the
      // body follows in one piece and the connection closes.
      headSent = true;
      const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      lines.push('Connection: close');
      socket.write(lines.join('\r\n') + '\r\n\r\n');
    },
    write,
    end(data) { if (data !== undefined) socket.write(data); endSoon(); },
    closed,
    isClosed: () => closedFlag,
    abort() { socket.destroy(); },
    hijack(contentType) {
      headSent = true;
      socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
      return { write: (d) => write(d), end: endSoon, input, closed };
    },
  };
  return { request: { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body }, transport };
}
