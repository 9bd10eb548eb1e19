// Bridge networks as berth records, the CNI configuration list generated from one, and the
// choice and checking of subnets.
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { BerthError } from '../errors.js';
import type { NetworkConfigList, PluginConf } from './cni/types.js';
import { contains, formatCidr, formatIp, lastAddress, overlaps, parseCidr, parseIp, requireCidr, type Cidr } from './ipv4.js';

export interface NetworkRecord {
  name: string;
  /** Linux bridge device, at most 15 bytes. */
  bridge: string;
  /** IPv4 prefix, e.g. 10.90.0.0/24. */
  subnet: string;
  gateway: string;
  /** No default route and no masquerade: containers reach each other and the gateway only. */
  internal: boolean;
  ipMasq: boolean;
  /** Address of berth's DNS server for this network, handed to containers as their nameserver. */
  dnsServer?: string;
  mtu?: number;
}

export interface ConflistOptions {
  /** host-local's lease directory; default is the plugin's own (/var/lib/cni/networks). */
  ipamDataDir?: string;
  cniVersion?: string;
}

/**
 * Our own pool, 10.90.0.0/15 cut into /24s: berth runs beside podman (10.88.0.0/16 default,
 * 10.89.0.0/16 for new networks) and docker (172.17-31.x, 192.168.x), and a /24 per network is
 * what both give a user-created network. It also avoids the common Kubernetes defaults
 * (10.96.0.0/12 services, 10.244.0.0/16 flannel, 10.42-43.x k3s).
 */
export const DEFAULT_SUBNET_POOL = '10.90.0.0/15';
export const DEFAULT_SUBNET_PREFIX = 24;

const BRIDGE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;

/** The CNI chain for a bridge network. */
export function generateConfList(net: NetworkRecord, opts: ConflistOptions = {}): NetworkConfigList {
  if (!BRIDGE_NAME.test(net.bridge)) {
    throw new BerthError('BERTH_EINVAL', `invalid bridge name ${JSON.stringify(net.bridge)}: at most 15 letters, digits, "_", "." or "-"`);
  }
  const { subnet, gateway } = validateSubnet(net.subnet, net.gateway);
  const ipam: Record<string, unknown> = {
    type: 'host-local',
    ranges: [[{ subnet, gateway }]],
    routes: net.internal ? [] : [{ dst: '0.0.0.0/0' }],
  };
  if (opts.ipamDataDir) ipam.dataDir = opts.ipamDataDir;
  const bridge: PluginConf = {
    type: 'bridge',
    bridge: net.bridge,
    // The gateway address on the bridge is kept even for internal networks: the DNS server
    // listens on it, and containers of one network reach the host through it only.
    isGateway: true,
    ipMasq: net.ipMasq && !net.internal,
    hairpinMode: true,
    // `ips` reaches host-local through the bridge's stdin: --ip asks for a fixed address.
    capabilities: { ips: true },
    ipam,
  };
  if (net.mtu !== undefined) bridge.mtu = net.mtu;
  if (net.dnsServer) bridge.dns = { nameservers: [net.dnsServer] };
  const plugins: PluginConf[] = [
    bridge,
    // snat lets a container reach its own published port through the host (hairpin) and makes
    // 127.0.0.1:HOSTPORT work: portmap masquerades localhost-sourced traffic and sets
    // route_localnet on the bridge so the kernel routes 127/8 to it.
    { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    { type: 'firewall', backend: 'iptables' },
    { type: 'tuning', capabilities: { mac: true } },
    { type: 'bandwidth', capabilities: { bandwidth: true } },
  ];
  return { cniVersion: opts.cniVersion ?? '1.0.0', name: net.name, disableCheck: false, plugins };
}

/**
 * Check a user's --subnet/--gateway and fill in the gateway (first host) when absent.
 * Host bits in the subnet are an error rather than silently cleared: 10.90.0.5/24 is more
 * likely a typo than a request for 10.90.0.0/24.
 */
export function validateSubnet(subnet: string, gateway?: string): { subnet: string; gateway: string } {
  const c = requireCidr(subnet, 'subnet');
  if (!parseCidr(subnet, true)) {
    throw new BerthError('BERTH_EINVAL', `invalid subnet ${subnet}: host bits are set (did you mean ${formatCidr(c)}?)`);
  }
  if (c.prefix < 8 || c.prefix > 30) {
    throw new BerthError('BERTH_EINVAL', `invalid subnet ${subnet}: the prefix length must be between /8 and /30`);
  }
  let gw: number;
  if (gateway === undefined || gateway === '') {
    gw = c.base + 1;
  } else {
    const parsed = parseIp(gateway);
    if (parsed === undefined) throw new BerthError('BERTH_EINVAL', `invalid gateway ${JSON.stringify(gateway)}: not an IPv4 address`);
    if (!contains(c, parsed)) throw new BerthError('BERTH_EINVAL', `gateway ${gateway} is not inside subnet ${subnet}`);
    if (parsed === c.base) throw new BerthError('BERTH_EINVAL', `gateway ${gateway} is the network address of ${subnet}`);
    if (parsed === lastAddress(c)) throw new BerthError('BERTH_EINVAL', `gateway ${gateway} is the broadcast address of ${subnet}`);
    gw = parsed;
  }
  return { subnet: formatCidr(c), gateway: formatIp(gw) };
}

export interface PickOptions {
  pool?: string;
  prefix?: number;
}

/**
 * The first subnet of the pool that overlaps neither a host route nor another network.
 * Default routes (0.0.0.0/0) are ignored: they overlap everything and are exactly what a
 * bridge subnet is meant to take precedence over.
 */
export function pickSubnet(existing: string[], hostRoutes: string[], opts: PickOptions = {}): string {
  const pool = requireCidr(opts.pool ?? DEFAULT_SUBNET_POOL, 'subnet pool');
  const prefix = opts.prefix ?? DEFAULT_SUBNET_PREFIX;
  if (prefix < pool.prefix || prefix > 30) {
    throw new BerthError('BERTH_EINVAL', `cannot cut /${prefix} subnets from pool ${formatCidr(pool)}`);
  }
  const taken: Cidr[] = [];
  for (const s of [...existing, ...hostRoutes]) {
    const c = parseCidr(s);
    if (c && c.prefix > 0) taken.push(c);
  }
  const step = 2 ** (32 - prefix);
  const count = 2 ** (prefix - pool.prefix);
  for (let i = 0; i < count; i++) {
    const candidate: Cidr = { base: pool.base + i * step, prefix };
    if (!taken.some((t) => overlaps(t, candidate))) return formatCidr(candidate);
  }
  throw new BerthError('BERTH_ENETWORK', `no free /${prefix} subnet left in pool ${formatCidr(pool)}; remove unused networks or pass --subnet`);
}

/** Destinations of the host's IPv4 routes from `ip -j route` output. */
export function parseIpRouteJson(text: string): string[] {
  const routes = JSON.parse(text) as Array<{ dst?: string }>;
  const out: string[] = [];
  for (const r of routes) {
    if (!r.dst || r.dst === 'default') continue;
    out.push(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
  }
  return out;
}

/** Destinations of the host's IPv4 routes from /proc/net/route (hex, in host byte order). */
export function parseProcNetRoute(text: string, littleEndian = endianness() === 'LE'): string[] {
  const hexIp = (h: string): number => {
    const n = parseInt(h, 16) >>> 0;
    if (!littleEndian) return n;
    return (((n & 0xff) << 24) | (((n >>> 8) & 0xff) << 16) | (((n >>> 16) & 0xff) << 8) | (n >>> 24)) >>> 0;
  };
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dst = hexIp(f[1]!);
    const m = hexIp(f[7]!);
    const prefix = countOnes(m);
    if (prefix === 0) continue;
    out.push(`${formatIp(dst)}/${prefix}`);
  }
  return out;
}

// Route masks are contiguous, so counting leading ones gives the prefix length.
function countOnes(n: number): number {
  let c = 0;
  for (let v = n >>> 0; v; v = (v << 1) >>> 0) c++;
  return c;
}

export async function readHostRoutes(): Promise<string[]> {
  try {
    return parseProcNetRoute(await readFile('/proc/net/route', 'utf8'));
  } catch (e) {
    throw new BerthError('BERTH_ENETWORK', 'cannot read the host routing table', { cause: e });
  }
}
