// The per-network DNS server (berth's counterpart of aardvark-dns). It answers for the names of
// the containers on its network and forwards everything else to the host's resolvers.
//
// It listens on the network's gateway address, so it must be started after the first CNI ADD
// has put that address on the bridge (binding an absent address fails with EADDRNOTAVAIL).
import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import { BerthError } from '../../errors.js';
import {
  DnsFormatError, Opcode, RRClass, RRType, Rcode, buildResponse, headerOnlyResponse, parseHeader, parseMessage,
  type DnsMessage, type DnsRecord,
} from './message.js';
import { DnsRecords } from './records.js';
import { parseEndpoint, tcpExchange, udpExchange, type Endpoint } from './transport.js';

export interface DnsServerOptions {
  /** Address to listen on: the network's gateway (127.0.0.1 in tests). */
  address: string;
  /** Default 53; 0 picks a free port (tests). */
  port?: number;
  /** "ip" or "ip:port"; default none (every foreign name gets SERVFAIL). See hostUpstreams(). */
  upstreams?: string[];
  /** Names are also answered under this domain (e.g. "dns.berth"), which is never forwarded. */
  searchDomain?: string;
  /** Per-upstream wait before trying the next one. */
  timeoutMs?: number;
  /** TTL of local answers. Short, because a restarted container usually comes back with a new address. */
  ttl?: number;
  tcp?: boolean;
  /** Called with errors that did not stop the server (a send failing, a bad upstream). */
  onError?: (e: unknown) => void;
}

const MAX_TCP_CONNECTIONS = 64;

export class DnsServer {
  readonly records = new DnsRecords();
  private udp: Socket | undefined;
  private tcp: Server | undefined;
  private tcpClients = new Set<TcpSocket>();
  private upstreams: Endpoint[];
  private readonly domain: string | undefined;
  private readonly timeoutMs: number;
  private readonly ttl: number;
  private boundPort = 0;

  constructor(private readonly opts: DnsServerOptions) {
    this.upstreams = (opts.upstreams ?? []).map(parseEndpoint);
    this.domain = opts.searchDomain?.toLowerCase().replace(/^\.|\.$/g, '') || undefined;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.ttl = opts.ttl ?? 10;
  }

  get port(): number {
    return this.boundPort;
  }

  setUpstreams(upstreams: string[]): void {
    this.upstreams = upstreams.map(parseEndpoint);
  }

  async start(): Promise<void> {
    const family = isIPv6(this.opts.address) ? 'udp6' : 'udp4';
    const udp = createSocket({ type: family });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.opts.port ?? 53, this.opts.address, () => {
        udp.off('error', reject);
        resolve();
      });
    }).catch((e: unknown) => {
      throw new BerthError('BERTH_ENETWORK', `cannot listen for DNS on ${this.opts.address}:${this.opts.port ?? 53}: ${(e as Error).message}`, { cause: e });
    });
    this.udp = udp;
    this.boundPort = udp.address().port;
    udp.on('error', (e) => this.report(e));
    udp.on('message', (msg, rinfo) => {
      void this.handle(msg, false, rinfo.address).then((reply) => {
        if (reply) udp.send(reply, rinfo.port, rinfo.address, (e) => e && this.report(e));
      });
    });
    if (this.opts.tcp ?? true) await this.startTcp();
  }

  private async startTcp(): Promise<void> {
    const srv = createServer((sock) => this.serveTcp(sock));
    srv.maxConnections = MAX_TCP_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.boundPort, this.opts.address, () => {
        srv.off('error', reject);
        resolve();
      });
    }).catch((e: unknown) => {
      this.udp?.close();
      this.udp = undefined;
      throw new BerthError('BERTH_ENETWORK', `cannot listen for DNS over TCP on ${this.opts.address}:${this.boundPort}: ${(e as Error).message}`, { cause: e });
    });
    srv.on('error', (e) => this.report(e));
    this.tcp = srv;
  }

  private serveTcp(sock: TcpSocket): void {
    this.tcpClients.add(sock);
    let buf = Buffer.alloc(0);
    // Idle clients must not pin connections forever.
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('close', () => this.tcpClients.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.handle(Buffer.from(msg), true, sock.remoteAddress).then((reply) => {
          if (!reply || sock.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          sock.write(Buffer.concat([len, reply]));
        });
      }
    });
  }

  async stop(): Promise<void> {
    for (const s of this.tcpClients) s.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
    this.udp = undefined;
    this.tcp = undefined;
  }

  /** The reply to one packet, or undefined to stay silent (garbage, or a response sent to us). */
  async handle(packet: Buffer, viaTcp: boolean, client?: string): Promise<Buffer | undefined> {
    try {
      let header;
      try {
        header = parseHeader(packet);
      } catch {
        return undefined;
      }
      // Never answer responses: two servers pointed at each other would loop forever.
      if (header.qr) return undefined;
      let msg: DnsMessage;
      try {
        msg = parseMessage(packet);
      } catch (e) {
        if (e instanceof DnsFormatError) return headerOnlyResponse(packet, Rcode.FORMERR);
        throw e;
      }
      if (header.opcode !== Opcode.QUERY) return buildResponse(msg, Rcode.NOTIMP);
      if (msg.questions.length !== 1) return buildResponse(msg, Rcode.FORMERR);
      const local = this.answerLocally(msg);
      if (local) return local;
      return await this.forward(msg, packet, viaTcp, client);
    } catch (e) {
      this.report(e);
      return undefined;
    }
  }

  /** The bare container name a query is about, if it is one of ours (or in our domain). */
  private localName(qname: string): { name: string; inDomain: boolean } {
    const n = qname.toLowerCase().replace(/\.$/, '');
    if (this.domain && (n === this.domain || n.endsWith(`.${this.domain}`))) {
      return { name: n.slice(0, Math.max(0, n.length - this.domain.length - 1)), inDomain: true };
    }
    return { name: n, inDomain: false };
  }

  private answerLocally(msg: DnsMessage): Buffer | undefined {
    const q = msg.questions[0]!;
    if (q.class !== RRClass.IN && q.class !== 255) return undefined;
    if (q.type === RRType.PTR) {
      const ip = reverseIp(q.name);
      const name = ip && this.records.reverse(ip);
      if (!name) return undefined;
      const fqdn = this.domain ? `${name}.${this.domain}` : name;
      return buildResponse(msg, Rcode.NOERROR, [{ name: q.name, type: RRType.PTR, class: RRClass.IN, ttl: this.ttl, data: fqdn }], true);
    }
    const { name, inDomain } = this.localName(q.name);
    const ips = name ? this.records.lookup(name) : [];
    if (ips.length === 0) {
      // Our own domain is never forwarded: upstream cannot know it, and leaking container
      // names to the host's resolvers helps nobody.
      if (inDomain) return buildResponse(msg, name ? Rcode.NXDOMAIN : Rcode.NOERROR, [], true);
      return undefined;
    }
    const answers: DnsRecord[] = [];
    if (q.type === RRType.A || q.type === RRType.ANY) {
      for (const ip of ips) answers.push({ name: q.name, type: RRType.A, class: RRClass.IN, ttl: this.ttl, data: ip });
    }
    // The name exists but has no data of other types (AAAA, MX...): NOERROR with no answers,
    // so resolvers do not conclude the name is missing.
    return buildResponse(msg, Rcode.NOERROR, answers, true);
  }

  private async forward(msg: DnsMessage, packet: Buffer, viaTcp: boolean, client: string | undefined): Promise<Buffer> {
    // A container started with --dns has its own upstreams (docker's embedded DNS does the same).
    const own = client !== undefined ? this.records.upstreamsOf(client.replace(/^::ffff:/, '')) : undefined;
    for (const up of own !== undefined ? own.map(parseEndpoint) : this.upstreams) {
      try {
        let reply = await udpExchange(up, packet, this.timeoutMs);
        // A truncated UDP answer is retried over TCP when the client can take a long reply.
        if (viaTcp && reply.length >= 4 && (reply[2]! & 0x02) !== 0) reply = await tcpExchange(up, packet, this.timeoutMs);
        return reply;
      } catch (e) {
        this.report(e);
      }
    }
    return buildResponse(msg, Rcode.SERVFAIL);
  }

  private report(e: unknown): void {
    this.opts.onError?.(e);
  }
}

/** "4.3.2.1.in-addr.arpa" → "1.2.3.4". */
function reverseIp(qname: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa\.?$/i.exec(qname);
  if (!m) return undefined;
  return [m[4], m[3], m[2], m[1]].map(Number).join('.');
}
