// Published ports: docker's -p/-P syntax into CNI port mappings, and the check that a host port
// is free. portmap only writes DNAT rules and holds no socket, so nothing else would notice a
// host process (or another container) already owning the port: the container would silently
// shadow it or be shadowed. We check by binding, TCP or UDP as the mapping says, just before ADD.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { BerthError } from '../errors.js';
import type { PortMapping } from './cni/types.js';
import { parseIp } from './ipv4.js';

export type PortProtocol = 'tcp' | 'udp';

/** One parsed -p value; hostPort 0 means "any free port". */
export interface PortSpec {
  hostIP?: string;
  hostPort: number;
  /** Last port of a host range from which one port is picked (`8000-8010:80`). */
  hostPortEnd?: number;
  containerPort: number;
  protocol: PortProtocol;
}

function port(text: string, flag: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new BerthError('BERTH_EINVAL', `invalid port ${JSON.stringify(text)} in -p ${flag}`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw new BerthError('BERTH_EINVAL', `invalid port ${n} in -p ${flag}: must be 1-65535`);
  return n;
}

function range(text: string, flag: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw new BerthError('BERTH_EINVAL', `invalid port or range ${JSON.stringify(text)} in -p ${flag}`);
  const a = port(m[1]!, flag);
  const b = m[2] === undefined ? a : port(m[2], flag);
  if (b < a) throw new BerthError('BERTH_EINVAL', `invalid port range ${text} in -p ${flag}: the end is before the start`);
  return [a, b];
}

/**
 * Parse one -p value: CPORT, HPORT:CPORT, IP:HPORT:CPORT, IP::CPORT, each port possibly a range
 * (START-END) and the whole possibly followed by /tcp or /udp.
 */
export function parsePublish(value: string): PortSpec[] {
  let rest = value.trim();
  let protocol: PortProtocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p === 'sctp') throw new BerthError('BERTH_EUNSUPPORTED', `-p ${value}: sctp is not supported, only tcp and udp`);
    if (p !== 'tcp' && p !== 'udp') throw new BerthError('BERTH_EINVAL', `-p ${value}: unknown protocol ${JSON.stringify(p)} (want tcp or udp)`);
    protocol = p;
    rest = rest.slice(0, slash);
  }
  let hostIP: string | undefined;
  if (rest.startsWith('[')) {
    throw new BerthError('BERTH_EUNSUPPORTED', `-p ${value}: IPv6 host addresses are not supported (berth networks are IPv4-only); use an IPv4 address or none`);
  }
  const parts = rest.split(':');
  if (parts.length > 3) {
    throw new BerthError('BERTH_EUNSUPPORTED', `-p ${value}: IPv6 host addresses are not supported (berth networks are IPv4-only); use an IPv4 address or none`);
  }
  let hostText = '';
  let containerText: string;
  if (parts.length === 3) {
    hostIP = parts[0]!;
    hostText = parts[1]!;
    containerText = parts[2]!;
    if (hostIP === '') throw new BerthError('BERTH_EINVAL', `-p ${value}: empty host address`);
    if (parseIp(hostIP) === undefined) throw new BerthError('BERTH_EINVAL', `-p ${value}: ${JSON.stringify(hostIP)} is not an IPv4 address`);
    if (hostIP === '0.0.0.0') hostIP = undefined;
  } else if (parts.length === 2) {
    hostText = parts[0]!;
    containerText = parts[1]!;
  } else {
    containerText = parts[0]!;
  }
  const [c0, c1] = range(containerText, value);
  const count = c1 - c0 + 1;
  const base = hostIP ? { hostIP } : {};
  if (hostText === '') {
    const out: PortSpec[] = [];
    for (let i = 0; i < count; i++) out.push({ ...base, hostPort: 0, containerPort: c0 + i, protocol });
    return out;
  }
  const [h0, h1] = range(hostText, value);
  if (h1 - h0 + 1 === count) {
    const out: PortSpec[] = [];
    for (let i = 0; i < count; i++) out.push({ ...base, hostPort: h0 + i, containerPort: c0 + i, protocol });
    return out;
  }
  // Docker's "pick one of these host ports" form.
  if (count === 1) return [{ ...base, hostPort: h0, hostPortEnd: h1, containerPort: c0, protocol }];
  throw new BerthError('BERTH_EINVAL', `-p ${value}: the host range and the container range must be the same length`);
}

/** -P: every EXPOSEd port ("80/tcp", "53/udp", "8080") on a free host port. */
export function publishAll(exposed: Iterable<string>): PortSpec[] {
  const out: PortSpec[] = [];
  for (const e of exposed) {
    const [p, proto = 'tcp'] = e.split('/');
    if (proto !== 'tcp' && proto !== 'udp') continue;
    const [a, b] = range(p!, `-P (EXPOSE ${e})`);
    for (let n = a; n <= b; n++) out.push({ hostPort: 0, containerPort: n, protocol: proto });
  }
  return out;
}

/** Two specs for the same host address, port and protocol cannot both be honoured. */
export function checkDuplicates(specs: PortSpec[]): void {
  const fixed = specs.filter((s) => s.hostPort !== 0 && s.hostPortEnd === undefined);
  fixed.forEach((s, i) => {
    const dup = fixed.slice(0, i).find((o) => o.hostPort === s.hostPort && o.protocol === s.protocol && (!o.hostIP || !s.hostIP || o.hostIP === s.hostIP));
    if (dup) throw new BerthError('BERTH_EINVAL', `port ${s.hostPort}/${s.protocol} is published twice`);
  });
}

/** Try to bind host:port for the protocol; resolves with the errno code on failure, undefined if free. */
export function tryBind(protocol: PortProtocol, port: number, host = '0.0.0.0'): Promise<{ error?: string; port: number }> {
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const s = createSocket('udp4');
      s.once('error', (e: NodeJS.ErrnoException) => {
        s.close();
        resolve({ error: e.code ?? e.message, port });
      });
      s.bind(port, host, () => {
        const got = s.address().port;
        s.close(() => resolve({ port: got }));
      });
      return;
    }
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, port }));
    srv.listen({ port, host, exclusive: true }, () => {
      const got = (srv.address() as { port: number }).port;
      srv.close(() => resolve({ port: got }));
    });
  });
}

function busyError(s: { hostIP?: string; protocol: PortProtocol }, port: number, code: string): BerthError {
  if (code === 'EADDRNOTAVAIL') {
    return new BerthError('BERTH_ENETWORK', `cannot publish on ${s.hostIP}: it is not an address of this host`);
  }
  if (code === 'EADDRINUSE') return new BerthError('BERTH_ENETWORK', `port ${port}/${s.protocol} is already in use`, { detail: { hostPort: port, protocol: s.protocol } });
  return new BerthError('BERTH_ENETWORK', `cannot check host port ${port}/${s.protocol}: ${code}`);
}

/**
 * Turn specs into mappings with concrete host ports, refusing ports a host process holds.
 * `taken` says whether another container already publishes hostPort/protocol (from the DB).
 */
export async function resolvePorts(specs: PortSpec[], taken: (p: PortMapping) => boolean = () => false): Promise<PortMapping[]> {
  checkDuplicates(specs);
  const out: PortMapping[] = [];
  const chosen = (m: PortMapping): boolean => out.some((o) => o.hostPort === m.hostPort && o.protocol === m.protocol);
  for (const s of specs) {
    const host = s.hostIP ?? '0.0.0.0';
    const mk = (hostPort: number): PortMapping => ({ ...(s.hostIP ? { hostIP: s.hostIP } : {}), hostPort, containerPort: s.containerPort, protocol: s.protocol });
    if (s.hostPort !== 0 && s.hostPortEnd === undefined) {
      const r = await tryBind(s.protocol, s.hostPort, host);
      if (r.error) throw busyError(s, s.hostPort, r.error);
      if (taken(mk(s.hostPort))) throw busyError(s, s.hostPort, 'EADDRINUSE');
      out.push(mk(s.hostPort));
      continue;
    }
    let found: PortMapping | undefined;
    if (s.hostPortEnd !== undefined) {
      for (let p = s.hostPort; p <= s.hostPortEnd && !found; p++) {
        const m = mk(p);
        if (taken(m) || chosen(m)) continue;
        const r = await tryBind(s.protocol, p, host);
        if (r.error === 'EADDRNOTAVAIL') throw busyError(s, p, r.error);
        if (!r.error) found = m;
      }
      if (!found) throw new BerthError('BERTH_ENETWORK', `all ports ${s.hostPort}-${s.hostPortEnd}/${s.protocol} are already in use`);
    } else {
      // The kernel's ephemeral choice; retried when another container published it meanwhile.
      for (let i = 0; i < 20 && !found; i++) {
        const r = await tryBind(s.protocol, 0, host);
        if (r.error) throw busyError(s, 0, r.error);
        const m = mk(r.port);
        if (!taken(m) && !chosen(m)) found = m;
      }
      if (!found) throw new BerthError('BERTH_ENETWORK', `no free host port for ${s.containerPort}/${s.protocol}`);
    }
    out.push(found);
  }
  return out;
}

/** "0.0.0.0:8080->80/tcp" as docker ps prints it. */
export function formatPort(m: PortMapping): string {
  return `${m.hostIP ?? '0.0.0.0'}:${m.hostPort}->${m.containerPort}/${m.protocol}`;
}
