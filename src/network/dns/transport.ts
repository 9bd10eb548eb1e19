// One DNS exchange over UDP or TCP: used to forward to upstreams and as a small client.
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { buildQuery, parseMessage, type DnsMessage } from './message.js';

export interface Endpoint {
  address: string;
  port: number;
}

/** "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353" → endpoint (port 53 by default). */
export function parseEndpoint(s: string): Endpoint {
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(s);
  if (bracket) return { address: bracket[1]!, port: Number(bracket[2]) };
  const v4 = /^([\d.]+):(\d+)$/.exec(s);
  if (v4) return { address: v4[1]!, port: Number(v4[2]) };
  return { address: s, port: 53 };
}

/**
 * Send `packet` and resolve with the first reply that comes from `to` and carries the same id.
 * A fresh socket per exchange gives each query its own random source port (spoofing
 * resistance) and keeps ids of different clients from colliding.
 */
export function udpExchange(to: Endpoint, packet: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIPv6(to.address.split('%')[0]!) ? 'udp6' : 'udp4');
    const id = packet.readUInt16BE(0);
    const timer = setTimeout(() => done(new Error(`no answer from ${to.address}:${to.port} within ${timeoutMs}ms`)), timeoutMs);
    let finished = false;
    const done = (err: Error | undefined, reply?: Buffer): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    sock.on('error', (e) => done(e));
    sock.on('message', (msg, rinfo) => {
      if (rinfo.port !== to.port || msg.length < 12 || msg.readUInt16BE(0) !== id) return;
      done(undefined, msg);
    });
    sock.send(packet, to.port, to.address, (e) => e && done(e));
  });
}

/** One query/response over TCP with the two-byte length prefix (RFC 1035 4.2.2). */
export function tcpExchange(to: Endpoint, packet: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: to.address, port: to.port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => sock.destroy(new Error(`no answer from ${to.address}:${to.port} within ${timeoutMs}ms`)), timeoutMs);
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(packet.length);
      sock.write(Buffer.concat([len, packet]));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        const reply = buf.subarray(2, 2 + buf.readUInt16BE(0));
        sock.destroy();
        resolve(reply);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`connection to ${to.address}:${to.port} closed before an answer`));
    });
  });
}

let nextId = Math.floor(Math.random() * 0xffff);

/** Ask `server` for `name`/`type` and parse the answer. */
export async function query(server: Endpoint, name: string, type: number, opts: { tcp?: boolean; timeoutMs?: number } = {}): Promise<DnsMessage> {
  nextId = (nextId + 1) & 0xffff;
  const packet = buildQuery(nextId, name, type);
  const timeoutMs = opts.timeoutMs ?? 2000;
  const reply = opts.tcp ? await tcpExchange(server, packet, timeoutMs) : await udpExchange(server, packet, timeoutMs);
  return parseMessage(reply);
}
