// Giving a container its network, and taking it back: the API the engine calls.
//
//   attachContainer  → netns under <runRoot>/netns/<id>, CNI ADD per network (eth0, eth1, …),
//                      names registered with each user network's DNS daemon, and the text of
//                      /etc/hosts and /etc/resolv.conf for the container.
//   detachContainer  → CNI DEL from the cached ADD arguments (works after a crash, with the
//                      namespace gone), leftover rules removed, DNS records dropped, netns deleted.
//   reconcileNetworks→ the same for every container that no longer exists.
//
// The other --network modes are the engine's: `host` means no network namespace in the spec;
// `none` means a fresh namespace with only lo (the runtime makes it, or createNetns without ADD);
// `container:NAME` puts netnsPathOf(runRoot, thatId) into linux.namespaces[network].path.
//
// Crash safety: attachment rows are written ('attaching') before any ADD, so whatever ADD did can
// be found and undone; a row is removed only after its DEL succeeded.
import { readdir } from 'node:fs/promises';
import { BerthError, isBerthError } from '../errors.js';
import type { BandwidthLimits, CapabilityArgs, CniResult, PortMapping } from './cni/types.js';
import { ResultCache } from './cni/cache.js';
import { removeContainerRules } from './cleanup.js';
import { hostsFile, parseAddHost, readHostResolvConf, resolvConf } from './container-files.js';
import { ensureDnsDaemon, networkUpstreams, stopDnsDaemon, syncDnsState } from './dns/control.js';
import { contains, parseIp, requireCidr } from './ipv4.js';
import { ensureIsolation } from './isolation.js';
import { createNetns, deleteNetns, isNetns } from './netns.js';
import { cniClientFor, resolveNetwork } from './networks.js';
import { cniCacheDir, netnsDir, netnsPathOf, type NetworkContext } from './paths.js';
import { resolvePorts, type PortSpec } from './ports.js';
import {
  allAttachments, attachmentsOfContainer, claimPorts, deleteAttachment, getNetwork, insertAttachment,
  listNetworks, markAttached, networkDb, publishedPorts, tx, type AttachmentInfo, type NetworkInfo,
} from './store.js';

export { netnsPathOf };

export interface NetworkRequest {
  /** A network name; "bridge"/"default" mean the default network. */
  name: string;
  /** --network-alias: more names the container answers to on this network. */
  aliases?: string[];
  /** --ip: a fixed address inside the network's subnet. */
  ip?: string;
  /** --mac-address. */
  mac?: string;
}

export interface AttachOptions extends NetworkContext {
  containerId: string;
  /** The container's name: what the other containers on user networks resolve. */
  name: string;
  networks: NetworkRequest[];
  /** Published ports (on the first network); hostPort 0 picks a free port. */
  portMappings?: Array<PortMapping | PortSpec>;
  bandwidth?: BandwidthLimits;
  hostname: string;
  /** --dns: nameservers for resolv.conf; on a network with DNS, where its server forwards for us. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --add-host NAME:IP entries. */
  addHosts?: string[];
}

export interface AttachedInterface {
  network: string;
  ifName: string;
  ip: string;
  prefixLength: number;
  mac: string;
  gateway: string;
}

export interface AttachResult {
  netnsPath: string;
  interfaces: AttachedInterface[];
  /** Published ports with the host ports actually chosen. */
  ports: PortMapping[];
  hostsFile: string;
  resolvConf: string;
}

export interface DetachOptions extends NetworkContext {
  containerId: string;
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

function checkId(id: string): void {
  if (!CONTAINER_ID.test(id)) throw new BerthError('BERTH_EINVAL', `invalid container id ${JSON.stringify(id)}`);
}

function capabilityArgsFor(net: NetworkInfo, req: NetworkRequest, ports: PortMapping[], bandwidth: BandwidthLimits | undefined): CapabilityArgs {
  const caps: CapabilityArgs = {};
  if (req.ip) {
    const ip = parseIp(req.ip);
    const c = requireCidr(net.subnet, 'subnet');
    if (ip === undefined) throw new BerthError('BERTH_EINVAL', `invalid --ip ${JSON.stringify(req.ip)}: not an IPv4 address`);
    if (!contains(c, ip)) throw new BerthError('BERTH_EINVAL', `--ip ${req.ip} is not in subnet ${net.subnet} of network ${net.name}`);
    if (req.ip === net.gateway) throw new BerthError('BERTH_EINVAL', `--ip ${req.ip} is the gateway of network ${net.name}`);
    caps.ips = [`${req.ip}/${c.prefix}`];
  }
  if (req.mac) caps.mac = req.mac;
  if (ports.length) caps.portMappings = ports;
  if (bandwidth && (bandwidth.ingressRate || bandwidth.egressRate)) caps.bandwidth = bandwidth;
  return caps;
}

function interfaceFrom(result: CniResult, net: NetworkInfo, ifName: string): AttachedInterface {
  const ifaces = result.interfaces ?? [];
  const idx = ifaces.findIndex((i) => i.name === ifName && i.sandbox);
  const ipEntry = (result.ips ?? []).find((i) => (idx < 0 || i.interface === undefined || i.interface === idx) && !i.address.includes(':'));
  if (!ipEntry) throw new BerthError('BERTH_ENETWORK', `network ${net.name}: the CNI result has no IPv4 address for ${ifName}`);
  const [ip, prefix] = ipEntry.address.split('/');
  return {
    network: net.name, ifName, ip: ip!, prefixLength: Number(prefix),
    mac: idx >= 0 ? ifaces[idx]!.mac ?? '' : '', gateway: ipEntry.gateway ?? net.gateway,
  };
}

function toSpec(p: PortMapping | PortSpec): PortSpec {
  if (p.protocol !== 'tcp' && p.protocol !== 'udp') throw new BerthError('BERTH_EUNSUPPORTED', `published ports over ${p.protocol} are not supported`);
  return { ...p, protocol: p.protocol };
}

/** The CNI ADD of one network into an existing namespace, with its row written first. */
async function addOne(ctx: NetworkContext, a: AttachmentInfo, net: NetworkInfo): Promise<AttachedInterface> {
  const db = networkDb(ctx.root);
  const { result } = await cniClientFor(ctx, net).add(a.netns, a.containerId, a.ifName, { capabilityArgs: a.capabilityArgs });
  const iface = interfaceFrom(result, net, a.ifName);
  tx(db, () => markAttached(db, a.containerId, net.name, { ip: iface.ip, mac: iface.mac, gateway: iface.gateway }));
  return iface;
}

/** Rewrite a DNS network's records and make its daemon match: running and reloaded, or stopped. */
async function refreshDns(ctx: NetworkContext, net: NetworkInfo): Promise<void> {
  if (!net.dns) return;
  const db = networkDb(ctx.root);
  const upstreams = await networkUpstreams(net);
  const count = tx(db, () => syncDnsState(db, ctx.runRoot, net, upstreams));
  if (count > 0) {
    await ensureDnsDaemon(ctx.runRoot, net.name);
    return;
  }
  await stopDnsDaemon(ctx.runRoot, net.name);
  // A container may have joined while the daemon was going down: it needs one again.
  if (tx(db, () => syncDnsState(db, ctx.runRoot, net, upstreams)) > 0) await ensureDnsDaemon(ctx.runRoot, net.name);
}

function filesFor(o: AttachOptions, nets: NetworkInfo[], ifaces: AttachedInterface[], host: Awaited<ReturnType<typeof readHostResolvConf>>): { hostsFile: string; resolvConf: string } {
  const extra = (o.addHosts ?? []).map((h) => parseAddHost(h, ifaces[0]?.gateway));
  const first = o.networks[0];
  return {
    hostsFile: hostsFile({ hostname: o.hostname, ips: ifaces.map((i) => i.ip), extraHosts: extra, ...(first?.aliases ? { aliases: first.aliases } : {}) }),
    resolvConf: resolvConf({
      host,
      networkDns: nets.filter((n) => n.dns).map((n) => n.gateway),
      ...(o.dns ? { dns: o.dns } : {}),
      ...(o.dnsSearch ? { dnsSearch: o.dnsSearch } : {}),
      ...(o.dnsOptions ? { dnsOptions: o.dnsOptions } : {}),
    }),
  };
}

/** Create the container's network namespace and connect it to its networks. */
export async function attachContainer(o: AttachOptions): Promise<AttachResult> {
  checkId(o.containerId);
  if (o.networks.length === 0) throw new BerthError('BERTH_EINVAL', 'attachContainer needs at least one network (none and host are not networks)');
  const nets: NetworkInfo[] = [];
  for (const r of o.networks) {
    const net = await resolveNetwork(o, r.name);
    if (nets.some((n) => n.name === net.name)) throw new BerthError('BERTH_EINVAL', `network ${net.name} is given twice`);
    nets.push(net);
  }
  const hostResolv = await readHostResolvConf();
  // Validated before anything is created, so a bad flag costs nothing to undo.
  filesFor(o, nets, [], hostResolv);
  const db = networkDb(o.root);
  const held = publishedPorts(db);
  const ports = await resolvePorts((o.portMappings ?? []).map(toSpec), (m) =>
    held.some((h) => h.hostPort === m.hostPort && h.protocol === m.protocol && (!h.hostIP || !m.hostIP || h.hostIP === m.hostIP)));
  const netnsPath = netnsPathOf(o.runRoot, o.containerId);
  const now = new Date().toISOString();
  const rows: AttachmentInfo[] = nets.map((net, i) => ({
    containerId: o.containerId, network: net.name, ifName: `eth${i}`, containerName: o.name,
    aliases: [...new Set(o.networks[i]!.aliases ?? [])], netns: netnsPath,
    capabilityArgs: capabilityArgsFor(net, o.networks[i]!, i === 0 ? ports : [], o.bandwidth),
    state: 'attaching', created: now, ...(o.dns !== undefined && o.dns.length > 0 ? { dns: o.dns } : {}),
  }));
  tx(db, () => {
    if (attachmentsOfContainer(db, o.containerId).length) {
      throw new BerthError('BERTH_ENETWORK', `container ${o.containerId.slice(0, 12)} already has a network; detach it first`);
    }
    for (const r of rows) insertAttachment(db, r);
    if (ports.length) claimPorts(db, o.containerId, nets[0]!.name, ports);
  });
  const ifaces: AttachedInterface[] = [];
  try {
    for (const net of nets) await ensureIsolation(net);
    await createNetns(o.containerId, { dir: netnsDir(o.runRoot) });
    for (let i = 0; i < rows.length; i++) ifaces.push(await addOne(o, rows[i]!, nets[i]!));
    for (const net of nets) await refreshDns(o, net);
  } catch (e) {
    await detachContainer({ ...o }).catch(() => undefined);
    throw e;
  }
  return { netnsPath, interfaces: ifaces, ports, ...filesFor(o, nets, ifaces, hostResolv) };
}

export interface DetachResult {
  /** Networks the container was removed from. */
  networks: string[];
}

async function delOne(ctx: NetworkContext, a: AttachmentInfo, nsAlive: boolean): Promise<void> {
  const db = networkDb(ctx.root);
  const net = getNetwork(db, a.network);
  if (net) {
    const client = cniClientFor(ctx, net);
    try {
      await client.del(nsAlive ? a.netns : '', a.containerId, a.ifName, { capabilityArgs: a.capabilityArgs });
    } catch (e) {
      // Without a namespace the plugins skip the in-namespace work and still release the lease
      // and the host-side state, which is what must not leak.
      if (!nsAlive) throw e;
      await client.del('', a.containerId, a.ifName, { capabilityArgs: a.capabilityArgs });
    }
  }
  // With its namespace alive, bridge's DEL found the addresses and removed its rules itself; the
  // iptables-save scan (tens of ms) is only needed when it could not.
  if (!nsAlive) await removeContainerRules(a.network, a.containerId);
  tx(db, () => deleteAttachment(db, a.containerId, a.network));
  if (net) await refreshDns(ctx, net);
}

/**
 * Disconnect a container from every network and delete its namespace. Idempotent; works when
 * the namespace is already gone. An attachment whose DEL failed is kept (and the error thrown),
 * so that a later detach or reconcile can retry instead of leaking its lease.
 */
export async function detachContainer(o: DetachOptions): Promise<DetachResult> {
  checkId(o.containerId);
  const db = networkDb(o.root);
  const rows = attachmentsOfContainer(db, o.containerId).reverse();
  const errors: unknown[] = [];
  for (const a of rows) {
    try {
      await delOne(o, a, await isNetns(a.netns));
    } catch (e) {
      errors.push(e);
    }
  }
  const own = netnsPathOf(o.runRoot, o.containerId);
  if (errors.length === 0) await deleteNetns(own);
  if (errors.length) {
    const first = errors[0];
    throw new BerthError('BERTH_ENETWORK', `cannot disconnect container ${o.containerId.slice(0, 12)}: ${(first as Error).message}`, { cause: first });
  }
  return { networks: rows.map((r) => r.network) };
}

export interface ConnectOptions extends NetworkContext {
  containerId: string;
  name: string;
  /** The container's existing namespace (netnsPathOf for berth containers). */
  netnsPath: string;
  network: NetworkRequest;
}

/** `network connect`: one more interface in a running container's namespace. */
export async function connectNetwork(o: ConnectOptions): Promise<AttachedInterface> {
  checkId(o.containerId);
  if (!(await isNetns(o.netnsPath))) throw new BerthError('BERTH_ENETWORK', `${o.netnsPath} is not a network namespace (is the container running?)`);
  const net = await resolveNetwork(o, o.network.name);
  const db = networkDb(o.root);
  const row: AttachmentInfo = {
    containerId: o.containerId, network: net.name, ifName: '', containerName: o.name,
    aliases: [...new Set(o.network.aliases ?? [])], netns: o.netnsPath,
    capabilityArgs: capabilityArgsFor(net, o.network, [], undefined), state: 'attaching', created: new Date().toISOString(),
  };
  tx(db, () => {
    const used = new Set(attachmentsOfContainer(db, o.containerId).map((a) => a.ifName));
    let n = 0;
    while (used.has(`eth${n}`)) n++;
    row.ifName = `eth${n}`;
    insertAttachment(db, row);
  });
  try {
    await ensureIsolation(net);
    const iface = await addOne(o, row, net);
    await refreshDns(o, net);
    return iface;
  } catch (e) {
    await delOne(o, row, true).catch(() => undefined);
    throw e;
  }
}

/** `network disconnect`: remove one network's interface; the namespace stays. */
export async function disconnectNetwork(o: NetworkContext & { containerId: string; network: string }): Promise<void> {
  checkId(o.containerId);
  const db = networkDb(o.root);
  const net = getNetwork(db, o.network);
  const name = net?.name ?? o.network;
  const a = attachmentsOfContainer(db, o.containerId).find((r) => r.network === name);
  if (!a) throw new BerthError('BERTH_ENETWORK', `container ${o.containerId.slice(0, 12)} is not connected to network ${o.network}`);
  await delOne(o, a, await isNetns(a.netns));
}

/** What the engine (inspect, ps, port) shows about a container's networks. */
export function containerNetworks(ctx: NetworkContext, containerId: string): { attachments: AttachmentInfo[]; ports: PortMapping[] } {
  const db = networkDb(ctx.root);
  return { attachments: attachmentsOfContainer(db, containerId), ports: publishedPorts(db, containerId).map(({ containerId: _c, network: _n, ...m }) => m) };
}

export interface ReconcileResult {
  detached: string[];
  netnsRemoved: string[];
  cacheReleased: string[];
  errors: string[];
}

/**
 * Clean up after containers that no longer exist (a crash, a reboot, `kill -9` of berth):
 * their attachments, namespaces and cached CNI results; and DNS daemons that should (not) run.
 */
export async function reconcileNetworks(ctx: NetworkContext, liveContainerIds: Iterable<string>): Promise<ReconcileResult> {
  const live = new Set(liveContainerIds);
  const out: ReconcileResult = { detached: [], netnsRemoved: [], cacheReleased: [], errors: [] };
  const db = networkDb(ctx.root);
  const dead = [...new Set(allAttachments(db).map((a) => a.containerId))].filter((id) => !live.has(id));
  for (const id of dead) {
    try {
      await detachContainer({ ...ctx, containerId: id });
      out.detached.push(id);
    } catch (e) {
      out.errors.push(`${id}: ${(e as Error).message}`);
    }
  }
  // Namespaces of dead containers that never got an attachment (none mode, a crash before ADD).
  let names: string[] = [];
  try {
    names = await readdir(netnsDir(ctx.runRoot));
  } catch {
    // no netns directory yet
  }
  const attached = new Set(allAttachments(db).map((a) => a.containerId));
  for (const n of names) {
    if (live.has(n) || attached.has(n)) continue;
    try {
      await deleteNetns(netnsPathOf(ctx.runRoot, n));
      out.netnsRemoved.push(n);
    } catch (e) {
      out.errors.push(`${n}: ${(e as Error).message}`);
    }
  }
  // Cached ADD results without a row: a DEL whose bookkeeping was interrupted. Release them.
  const cache = new ResultCache(cniCacheDir(ctx.root));
  let files: string[] = [];
  try {
    files = await readdir(cache.dir);
  } catch {
    // no cache yet
  }
  for (const f of files.filter((x) => x.endsWith('.json'))) {
    const nets = listNetworks(db);
    for (const net of nets) {
      if (!f.startsWith(`${net.name}-`)) continue;
      const rest = f.slice(net.name.length + 1, -'.json'.length);
      const dash = rest.lastIndexOf('-');
      const id = rest.slice(0, dash);
      const ifName = rest.slice(dash + 1);
      if (live.has(id) || attachmentsOfContainer(db, id).some((a) => a.network === net.name)) continue;
      const entry = await cache.get(net.name, id, ifName);
      if (!entry) continue;
      try {
        await cniClientFor(ctx, net).del('', id, ifName);
        await removeContainerRules(net.name, id);
        out.cacheReleased.push(`${net.name}/${id}/${ifName}`);
      } catch (e) {
        out.errors.push(`${net.name}/${id}: ${(e as Error).message}`);
      }
    }
  }
  for (const net of listNetworks(db)) {
    if (!net.dns) continue;
    try {
      await refreshDns(ctx, net);
    } catch (e) {
      out.errors.push(`dns ${net.name}: ${isBerthError(e) ? e.message : String(e)}`);
    }
  }
  return out;
}
