// The engine's side of networking: which --network mode a container has, its namespace in the
// spec, attach at start and detach when it stops, and what inspect, ps and `port` show.
//
// Docker's lifetime of an endpoint: it exists while the container runs. So attach happens in
// `start` (every start, restarts included) and detach wherever an exit is noticed: the monitor's
// cleanup, a foreground run, stop/kill, reconcile (monitor gone) and rm. Those can run in
// different processes at once; a per-container lock file serializes them, and detach is idempotent.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../errors.js';
import { isSameProcessAlive, processStartTime } from '../runtime/proc.js';
import type { PortMapping } from '../network/cni/types.js';
import { netnsDir, netnsPathOf, type NetworkContext } from '../network/paths.js';
import { attachmentsOfContainer, getNetwork, networkDb, publishedPorts, DEFAULT_NETWORK } from '../network/store.js';
import type { Db } from '../storage/metadata/db.js';
import type { CreateRequest, EndpointRequest, PublishSpec, ResolvedConfig } from './config.js';
import type { Engine } from './engine.js';
import { containerPaths, type ContainerPaths } from './paths.js';
import { getContainer, listContainerRecords, type ContainerRecord } from './records.js';

const CONTAINER_PREFIX = 'container:';

export function isBridgeMode(mode: string): boolean {
  return mode !== 'none' && mode !== 'host' && !mode.startsWith(CONTAINER_PREFIX);
}

/**
 * Modes whose namespace berth makes and removes (<runRoot>/netns/<id>): bridge and user networks.
 * `none` gets a fresh one from the runtime, with lo up (berth-runtime and runc both bring it up),
 * and gone with the container's last process: no file to make, bind or unmount.
 */
export function ownsNetns(mode: string): boolean {
  return isBridgeMode(mode);
}

export function isDefaultNetwork(name: string): boolean {
  return name === 'default' || name === 'bridge' || name === DEFAULT_NETWORK;
}

/** The id (or, before create resolves it, the name) after `container:`. */
export function joinedContainer(mode: string): string | undefined {
  return mode.startsWith(CONTAINER_PREFIX) ? mode.slice(CONTAINER_PREFIX.length) : undefined;
}

/** The networks a bridge-mode container joins; [] once `network disconnect` took the last one. */
export function endpointsOf(req: CreateRequest): EndpointRequest[] {
  if (!isBridgeMode(req.network)) return [];
  return req.endpoints !== undefined ? req.endpoints : [{ name: req.network }];
}

/** The network tables live in the engine's database; this opens it with their migration applied. */
function ndb(engine: Engine): Db {
  return networkDb(engine.paths.root);
}

export function networkContext(engine: Engine): NetworkContext {
  return { root: engine.paths.root, runRoot: engine.paths.runRoot };
}

/** docker's refusals of flags that make no sense with the chosen mode (checked at create). */
export function checkNetworkRequest(req: CreateRequest): void {
  const mode = req.network;
  const conflict = (what: string): BerthError => new BerthError('BERTH_EINVAL', `conflicting options: ${what} and the network mode`);
  if (mode.startsWith(CONTAINER_PREFIX)) {
    if (joinedContainer(mode) === '') throw new BerthError('BERTH_EINVAL', '--network container: needs a container name or id');
    if (req.hostname !== undefined) throw conflict('hostname');
    if ((req.publish?.length ?? 0) > 0 || req.publishAll === true) throw conflict('port publishing');
    if (req.dns !== undefined || req.dnsSearch !== undefined || req.dnsOptions !== undefined) throw conflict('dns');
    if ((req.addHosts?.length ?? 0) > 0) throw conflict('custom host-to-IP mapping');
    if (req.bandwidth !== undefined) throw conflict('network bandwidth');
  }
  if (!isBridgeMode(mode)) {
    const e = req.endpoints?.[0];
    if (e?.mac !== undefined) throw conflict('mac-address');
    if ((e?.aliases?.length ?? 0) > 0) throw new BerthError('BERTH_EINVAL', 'network-scoped aliases are only supported for user-defined networks');
    if (e?.ip !== undefined) throw new BerthError('BERTH_EINVAL', '--ip is only supported on bridge and user-defined networks');
    if (mode === 'none' && req.bandwidth !== undefined) throw conflict('network bandwidth');
    return;
  }
  const eps = endpointsOf(req);
  const names = eps.map((e) => (isDefaultNetwork(e.name) ? DEFAULT_NETWORK : e.name));
  if (new Set(names).size !== names.length) throw new BerthError('BERTH_EINVAL', 'a network is given twice in --network');
  for (const e of eps) {
    // The default network has no DNS server (as docker's bridge): an alias could never be resolved.
    if (isDefaultNetwork(e.name) && (e.aliases?.length ?? 0) > 0) {
      throw new BerthError('BERTH_EINVAL', 'network-scoped aliases are only supported for user-defined networks');
    }
  }
}

/**
 * The netns path for the spec: undefined = a fresh namespace from the runtime (none), null = the
 * host's (host), a path otherwise. For container:ID the path is decided at start (see below).
 */
export function specNetns(engine: Engine, id: string, req: CreateRequest): string | null | undefined {
  if (req.network === 'host') return null;
  if (ownsNetns(req.network)) return netnsPathOf(engine.paths.runRoot, id);
  return undefined;
}

/** The files a container:X container shares with X. */
export function sharedHostsFiles(engine: Engine, req: CreateRequest): Pick<ContainerPaths, 'hosts' | 'hostname' | 'resolvConf'> | undefined {
  const other = joinedContainer(req.network);
  return other === undefined ? undefined : containerPaths(engine.paths, other);
}

// ---- the lock ----------------------------------------------------------------------------

const held = new Map<string, number>();

function lockPath(engine: Engine, id: string): string {
  return join(engine.paths.runRoot, 'netlock', id);
}

function ownerAlive(text: string): boolean {
  const [pid, start] = text.trim().split(' ');
  if (pid === undefined || start === undefined) return false;
  return isSameProcessAlive(Number(pid), start);
}

/** Serializes network changes of one container across berth processes; a dead owner's lock is taken over. */
export async function withNetworkLock<T>(engine: Engine, id: string, fn: () => Promise<T>): Promise<T> {
  if ((held.get(id) ?? 0) > 0) return fn();
  const path = lockPath(engine, id);
  mkdirSync(join(engine.paths.runRoot, 'netlock'), { recursive: true, mode: 0o700 });
  const me = `${process.pid} ${processStartTime(process.pid) ?? ''}\n`;
  const deadline = Date.now() + 120_000;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, me);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue; // released meanwhile
    }
    // A lock whose owner has not written its line yet looks empty for a moment: only a stale
    // owner (dead, or a recycled pid) is taken over.
    if (text !== '' && !ownerAlive(text)) {
      try {
        unlinkSync(path);
      } catch {
        /* someone else took it over first */
      }
      continue;
    }
    if (Date.now() > deadline) throw new BerthError('BERTH_ENETWORK', `container ${id.slice(0, 12)}: timed out waiting for another berth process changing its network`);
    await sleep(delay);
  }
  held.set(id, 1);
  try {
    return await fn();
  } finally {
    held.delete(id);
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
  }
}

// ---- start and stop ------------------------------------------------------------------------

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text, { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
}

/** -p plus, with -P, every exposed port that -p does not already publish. */
export async function portsToPublish(req: CreateRequest, resolved: ResolvedConfig): Promise<PublishSpec[]> {
  const out = [...(req.publish ?? [])];
  if (req.publishAll === true) {
    const { publishAll } = await import('../network/ports.js');
    for (const p of publishAll(resolved.exposedPorts ?? [])) {
      if (!out.some((o) => o.containerPort === p.containerPort && o.protocol === p.protocol)) out.push(p);
    }
  }
  return out;
}

/** The running container X whose namespace container:X joins, following container:Y chains. */
function joinTarget(engine: Engine, rec: ContainerRecord): ContainerRecord {
  let cur = rec;
  for (let depth = 0; depth < 8; depth++) {
    const other = joinedContainer(cur.config.request.network);
    if (other === undefined) return cur;
    const x = getContainer(engine.db, other);
    if (x === undefined) throw new BerthError('BERTH_ENOTFOUND', `cannot join the network of container ${other.slice(0, 12)}: it no longer exists`);
    if (x.state !== 'running' && x.state !== 'paused') throw new BerthError('BERTH_ESTATE', `cannot join network of a non running container: ${x.name}`);
    cur = x;
  }
  throw new BerthError('BERTH_EINVAL', 'too many container: network modes chained');
}

/** container:X: point the bundle's network namespace at X's (decided now: X may have restarted). */
async function joinContainerNetns(engine: Engine, rec: ContainerRecord): Promise<void> {
  const x = joinTarget(engine, rec);
  const mode = x.config.request.network;
  // joinTarget ended on a container that is not container:-mode itself: host, none or networks.
  // A none container's namespace has no file: its init's (joinTarget made sure it runs).
  const path = mode === 'host' ? null : mode === 'none' ? `/proc/${x.pid}/ns/net` : netnsPathOf(engine.paths.runRoot, x.id);
  const paths = containerPaths(engine.paths, rec.id);
  const spec = JSON.parse(readFileSync(paths.configJson, 'utf8')) as { linux?: { namespaces?: Array<{ type: string; path?: string }> } };
  const nss = (spec.linux!.namespaces ?? []).filter((n) => n.type !== 'network');
  if (path !== null) nss.push({ type: 'network', path });
  spec.linux!.namespaces = nss;
  writeAtomic(paths.configJson, JSON.stringify(spec));
}

/**
 * Before the runtime creates the container: its network namespace, interfaces, ports and the
 * /etc/hosts and /etc/resolv.conf that go with them. Undone here if it fails.
 */
export async function setupNetwork(engine: Engine, rec: ContainerRecord): Promise<void> {
  const req = rec.config.request;
  if (joinedContainer(req.network) !== undefined) return joinContainerNetns(engine, rec);
  if (!ownsNetns(req.network)) return;
  const ctx = networkContext(engine);
  const ports = await portsToPublish(req, rec.config.resolved);
  await withNetworkLock(engine, rec.id, async () => {
    // Left by a run whose stop was never noticed (berth killed between exit and detach).
    if (attachmentsOfContainer(ndb(engine), rec.id).length > 0 || existsSync(netnsPathOf(ctx.runRoot, rec.id))) {
      const { detachContainer } = await import('../network/attach.js');
      await detachContainer({ ...ctx, containerId: rec.id });
    }
    const eps = endpointsOf(req);
    if (eps.length === 0) {
      // none, or every network disconnected: a namespace with only lo, as docker leaves it.
      const { createNetns } = await import('../network/netns.js');
      await createNetns(rec.id, { dir: netnsDir(ctx.runRoot) });
      return;
    }
    const { attachContainer, detachContainer } = await import('../network/attach.js');
    const r = await attachContainer({
      ...ctx,
      containerId: rec.id,
      name: rec.name,
      hostname: rec.config.resolved.hostname,
      networks: eps.map((e) => ({ ...e, name: isDefaultNetwork(e.name) ? 'bridge' : e.name })),
      portMappings: ports,
      ...(req.bandwidth !== undefined ? { bandwidth: req.bandwidth } : {}),
      ...(req.dns !== undefined ? { dns: req.dns } : {}),
      ...(req.dnsSearch !== undefined ? { dnsSearch: req.dnsSearch } : {}),
      ...(req.dnsOptions !== undefined ? { dnsOptions: req.dnsOptions } : {}),
      ...(req.addHosts !== undefined ? { addHosts: req.addHosts } : {}),
    });
    try {
      const paths = containerPaths(engine.paths, rec.id);
      writeAtomic(paths.hosts, r.hostsFile);
      writeAtomic(paths.resolvConf, r.resolvConf);
    } catch (e) {
      await detachContainer({ ...ctx, containerId: rec.id }).catch(() => undefined);
      throw e;
    }
  });
}

const UP = new Set(['starting', 'running', 'paused']);

/**
 * Give back a stopped container's interfaces, ports, leases and namespace. Idempotent; with
 * `force` (rm, a failed start) even when the record still says the container is up.
 */
export async function releaseNetwork(engine: Engine, id: string, opts: { force?: boolean } = {}): Promise<void> {
  const rec = getContainer(engine.db, id);
  if (rec !== undefined && !ownsNetns(rec.config.request.network)) return;
  const ctx = networkContext(engine);
  const netns = netnsPathOf(ctx.runRoot, id);
  if (attachmentsOfContainer(ndb(engine), id).length === 0 && !existsSync(netns)) return;
  const { detachContainer } = await import('../network/attach.js');
  await withNetworkLock(engine, id, async () => {
    const cur = getContainer(engine.db, id);
    if (opts.force !== true && cur !== undefined && UP.has(cur.state)) return;
    await detachContainer({ ...ctx, containerId: id });
  });
}

/**
 * Attachments and namespaces left by containers that no longer have a record (berth killed
 * during rm, a reboot). Cheap when there is nothing to do, so `ps` can call it.
 */
export async function reconcileContainerNetworks(engine: Engine, opts: { always?: boolean } = {}): Promise<void> {
  const ids = new Set(listContainerRecords(engine.db).map((r) => r.id));
  const ctx = networkContext(engine);
  let orphans = opts.always === true;
  if (!orphans) {
    const rows = ndb(engine).prepare('SELECT DISTINCT container_id AS id FROM network_attachments').all() as Array<{ id: string }>;
    orphans = rows.some((r) => !ids.has(r.id));
  }
  if (!orphans) {
    try {
      orphans = readdirSync(netnsDir(ctx.runRoot)).some((n) => !ids.has(n));
    } catch {
      /* no namespace directory yet */
    }
  }
  if (!orphans) return;
  const { reconcileNetworks } = await import('../network/attach.js');
  await reconcileNetworks(ctx, ids);
}

// ---- what inspect, ps and port show ----------------------------------------------------------

export function containerPorts(engine: Engine, id: string): PortMapping[] {
  return publishedPorts(ndb(engine), id).map(({ containerId: _c, network: _n, ...m }) => m);
}

type DockerBinding = { HostIp: string; HostPort: string };

/** docker's Ports map: every exposed or published port, null when it has no host binding. */
export function portMap(rec: ContainerRecord, live: PortMapping[]): Record<string, DockerBinding[] | null> {
  const out: Record<string, DockerBinding[] | null> = {};
  for (const e of rec.config.resolved.exposedPorts ?? []) out[e] = null;
  for (const p of live) {
    const key = `${p.containerPort}/${p.protocol}`;
    (out[key] ??= []).push({ HostIp: p.hostIP ?? '0.0.0.0', HostPort: String(p.hostPort) });
  }
  return out;
}

/** PORTS of `ps`: "0.0.0.0:8080->80/tcp, 443/tcp". */
export function psPorts(engine: Engine, rec: ContainerRecord): string {
  if (rec.state !== 'running' && rec.state !== 'paused') return '';
  const map = portMap(rec, containerPorts(engine, rec.id));
  return Object.entries(map)
    .sort(([a], [b]) => parseInt(a, 10) - parseInt(b, 10))
    .flatMap(([k, v]) => (v === null ? [k] : v.map((b) => `${b.HostIp}:${b.HostPort}->${k}`)))
    .join(', ');
}

/** NetworkSettings of `inspect`, in docker's shape. */
export function networkSettings(engine: Engine, rec: ContainerRecord): Record<string, unknown> {
  const req = rec.config.request;
  const up = rec.state === 'running' || rec.state === 'paused';
  const rows = up ? attachmentsOfContainer(ndb(engine), rec.id) : [];
  const networks: Record<string, unknown> = {};
  const mode = req.network;
  if (mode === 'host' || mode === 'none') {
    networks[mode] = endpoint({ networkId: '' });
  }
  for (const e of endpointsOf(req)) {
    const name = isDefaultNetwork(e.name) ? DEFAULT_NETWORK : e.name;
    const net = getNetwork(ndb(engine), name);
    const a = rows.find((r) => r.network === (net?.name ?? name));
    const prefix = net !== undefined ? Number(net.subnet.split('/')[1]) : 0;
    networks[net?.name ?? name] = endpoint({
      networkId: net?.id ?? '',
      aliases: [...new Set([...(e.aliases ?? []), ...(net?.dns === true ? [rec.id.slice(0, 12)] : [])])],
      ...(a?.ip !== undefined ? { ip: a.ip, prefix, gateway: a.gateway ?? '', mac: a.mac ?? '' } : {}),
      ...(e.ip !== undefined ? { ipam: e.ip } : {}),
      endpointId: a !== undefined ? `${rec.id.slice(0, 32)}${(net?.id ?? '').slice(0, 32)}` : '',
    });
  }
  // Networks connected later (network connect) that the request does not list.
  for (const a of rows) {
    if (networks[a.network] !== undefined) continue;
    const net = getNetwork(ndb(engine), a.network);
    networks[a.network] = endpoint({
      networkId: net?.id ?? '', aliases: a.aliases, ip: a.ip ?? '', gateway: a.gateway ?? '', mac: a.mac ?? '',
      prefix: net !== undefined ? Number(net.subnet.split('/')[1]) : 0, endpointId: `${rec.id.slice(0, 32)}${(net?.id ?? '').slice(0, 32)}`,
    });
  }
  const first = rows[0];
  const onDefault = first !== undefined && first.network === DEFAULT_NETWORK;
  const def = onDefault ? (networks[DEFAULT_NETWORK] as Record<string, unknown>) : undefined;
  const sandbox = !up ? '' : ownsNetns(mode) ? netnsPathOf(engine.paths.runRoot, rec.id) : mode === 'none' && rec.pid > 0 ? `/proc/${rec.pid}/ns/net` : '';
  return {
    Bridge: '',
    SandboxID: sandbox === '' ? '' : rec.id,
    SandboxKey: sandbox,
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: up ? portMap(rec, containerPorts(engine, rec.id)) : {},
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    // docker fills these top-level fields for the default bridge network only.
    EndpointID: def?.EndpointID ?? '',
    Gateway: def?.Gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: def?.IPAddress ?? '',
    IPPrefixLen: def?.IPPrefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: def?.MacAddress ?? '',
    Networks: networks,
  };
}

function endpoint(o: { networkId: string; aliases?: string[]; ip?: string; prefix?: number; gateway?: string; mac?: string; ipam?: string; endpointId?: string }): Record<string, unknown> {
  return {
    IPAMConfig: o.ipam !== undefined ? { IPv4Address: o.ipam } : null,
    Links: null,
    Aliases: o.aliases !== undefined && o.aliases.length > 0 ? o.aliases : null,
    MacAddress: o.mac ?? '',
    NetworkID: o.networkId,
    EndpointID: o.endpointId ?? '',
    Gateway: o.gateway ?? '',
    IPAddress: o.ip ?? '',
    IPPrefixLen: o.prefix ?? 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DriverOpts: null,
    DNSNames: null,
  };
}

// ---- network connect / disconnect -----------------------------------------------------------

function sameNetwork(a: string, b: string): boolean {
  return a === b || (isDefaultNetwork(a) && isDefaultNetwork(b));
}

function refuseShared(rec: ContainerRecord): void {
  const mode = rec.config.request.network;
  if (mode === 'host') throw new BerthError('BERTH_EINVAL', 'container cannot be disconnected from host network or connected to host network');
  if (!isBridgeMode(mode)) throw new BerthError('BERTH_EINVAL', 'container sharing network namespace with another container or host cannot be connected to any other network');
}

/**
 * `network connect`: a running container gets the interface now; a stopped one at its next
 * start. Either way the network is added to its record, so restarts keep it.
 */
export async function connectContainer(engine: Engine, rec: ContainerRecord, endpoint: EndpointRequest): Promise<void> {
  refuseShared(rec);
  const ctx = networkContext(engine);
  const net = isDefaultNetwork(endpoint.name) ? undefined : getNetwork(ndb(engine), endpoint.name);
  if (!isDefaultNetwork(endpoint.name) && net === undefined) throw new BerthError('BERTH_ENOTFOUND', `network ${endpoint.name} not found`);
  const name = net?.name ?? 'default';
  if (isDefaultNetwork(name) && (endpoint.aliases?.length ?? 0) > 0) {
    throw new BerthError('BERTH_EINVAL', 'network-scoped aliases are only supported for user-defined networks');
  }
  const ep: EndpointRequest = { ...endpoint, name };
  await withNetworkLock(engine, rec.id, async () => {
    const cur = getContainer(engine.db, rec.id) ?? rec;
    const eps = endpointsOf(cur.config.request);
    if (eps.some((e) => sameNetwork(e.name, name))) {
      throw new BerthError('BERTH_EEXIST', `endpoint with name ${cur.name} already exists in network ${net?.name ?? DEFAULT_NETWORK}`);
    }
    if (cur.state === 'running' || cur.state === 'paused') {
      const { connectNetwork } = await import('../network/attach.js');
      await connectNetwork({ ...ctx, containerId: cur.id, name: cur.name, netnsPath: netnsPathOf(ctx.runRoot, cur.id), network: { ...ep, name: net?.name ?? 'bridge' } });
    }
    const config = { ...cur.config, request: { ...cur.config.request, endpoints: [...eps, ep] } };
    const { tx, updateContainer } = await import('./records.js');
    tx(engine.db, () => updateContainer(engine.db, cur.id, { config }));
  });
}

export async function disconnectContainer(engine: Engine, rec: ContainerRecord, network: string): Promise<void> {
  refuseShared(rec);
  const net = isDefaultNetwork(network) ? getNetwork(ndb(engine), DEFAULT_NETWORK) : getNetwork(ndb(engine), network);
  const name = net?.name ?? network;
  await withNetworkLock(engine, rec.id, async () => {
    const cur = getContainer(engine.db, rec.id) ?? rec;
    const eps = endpointsOf(cur.config.request);
    const keep = eps.filter((e) => !sameNetwork(e.name, name));
    const attached = attachmentsOfContainer(ndb(engine), cur.id).some((a) => a.network === name);
    if (keep.length === eps.length && !attached) throw new BerthError('BERTH_ENOTFOUND', `container ${cur.name} is not connected to network ${network}`);
    if (attached) {
      const { disconnectNetwork } = await import('../network/attach.js');
      await disconnectNetwork({ ...networkContext(engine), containerId: cur.id, network: name });
    }
    const config = { ...cur.config, request: { ...cur.config.request, endpoints: keep } };
    const { tx, updateContainer } = await import('./records.js');
    tx(engine.db, () => updateContainer(engine.db, cur.id, { config }));
  });
}

/** `system prune`: user networks that no container (running or not) names. */
export async function pruneUnusedNetworks(engine: Engine): Promise<string[]> {
  const used = new Set<string>();
  for (const r of listContainerRecords(engine.db)) for (const e of endpointsOf(r.config.request)) used.add(e.name);
  const { pruneNetworks } = await import('../network/networks.js');
  return pruneNetworks(networkContext(engine), (n) => !used.has(n.name));
}
