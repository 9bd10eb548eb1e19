// Network lifecycle: create (with a subnet that overlaps nothing), the default network made on
// first use, remove (bridge, leftover rules, leases, conflist), prune, and docker's inspect shape.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import { CniClient } from './cni/client.js';
import type { NetworkConfigList } from './cni/types.js';
import { removeBridge, removeNetworkRules, linkExists } from './cleanup.js';
import { generateConfList, pickSubnet, readHostRoutes, validateSubnet } from './conflist.js';
import { stopDnsDaemon } from './dns/control.js';
import { removeIsolation } from './isolation.js';
import { overlaps, parseCidr, requireCidr } from './ipv4.js';
import { cniCacheDir, conflistPath, ipamDir, networksDir, type NetworkContext } from './paths.js';
import {
  DEFAULT_BRIDGE, DEFAULT_NETWORK, attachmentsOfNetwork, deleteNetworkRow, getNetwork, insertNetwork, listNetworks,
  networkDb, newNetworkId, requireNetwork, tx, validateNetworkName, type NetworkInfo,
} from './store.js';

/** docker's option for naming the bridge device. */
export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

export interface CreateNetworkOptions {
  name: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  /** Bridge device; default berthN (or options[BRIDGE_NAME_OPTION]). */
  bridge?: string;
  /** Per-network DNS server; default true (false for the default network, as docker's bridge). */
  dns?: boolean;
}

export function conflistFor(ctx: NetworkContext, net: NetworkInfo): NetworkConfigList {
  return generateConfList(
    { name: net.name, bridge: net.bridge, subnet: net.subnet, gateway: net.gateway, internal: net.internal, ipMasq: !net.internal },
    { ipamDataDir: ipamDir(ctx.root) },
  );
}

export function cniClientFor(ctx: NetworkContext, net: NetworkInfo): CniClient {
  return new CniClient(conflistFor(ctx, net), {
    ...(ctx.pluginDirs ? { pluginDirs: ctx.pluginDirs } : {}),
    cacheDir: cniCacheDir(ctx.root),
    ...(ctx.timeoutMs ? { timeoutMs: ctx.timeoutMs } : {}),
  });
}

/** For people and other tools (podman, cnitool) to read; berth itself regenerates from the record. */
function writeConflist(ctx: NetworkContext, net: NetworkInfo): void {
  mkdirSync(networksDir(ctx.root), { recursive: true, mode: 0o755 });
  const p = conflistPath(ctx.root, net.name);
  writeFileSync(`${p}.tmp`, JSON.stringify(conflistFor(ctx, net), null, 2) + '\n');
  renameSync(`${p}.tmp`, p);
}

function chooseBridge(used: Set<string>): string {
  for (let n = 1; n < 10_000; n++) {
    const name = `berth${n}`;
    if (!used.has(name) && !linkExists(name)) return name;
  }
  throw new BerthError('BERTH_ENETWORK', 'no free bridge name berthN left');
}

export async function createNetwork(ctx: NetworkContext, o: CreateNetworkOptions): Promise<NetworkInfo> {
  validateNetworkName(o.name);
  if (o.gateway && !o.subnet) throw new BerthError('BERTH_EINVAL', '--gateway needs --subnet');
  const hostRoutes = await readHostRoutes();
  const db = networkDb(ctx.root);
  const net = tx(db, () => {
    const existing = listNetworks(db);
    if (existing.some((n) => n.name === o.name)) throw new BerthError('BERTH_ENETWORK', `network with name ${o.name} already exists`);
    let subnet: string;
    let gateway: string;
    if (o.subnet) {
      ({ subnet, gateway } = validateSubnet(o.subnet, o.gateway));
      const c = requireCidr(subnet, 'subnet');
      const other = existing.find((n) => overlaps(requireCidr(n.subnet, 'subnet'), c));
      if (other) throw new BerthError('BERTH_ENETWORK', `subnet ${subnet} overlaps subnet ${other.subnet} of network ${other.name}`);
      const route = hostRoutes.find((r) => {
        const rc = parseCidr(r);
        return rc !== undefined && rc.prefix > 0 && overlaps(rc, c);
      });
      if (route) throw new BerthError('BERTH_ENETWORK', `subnet ${subnet} overlaps the host route to ${route}`);
    } else {
      subnet = pickSubnet(existing.map((n) => n.subnet), hostRoutes, ctx.subnetPool ? { pool: ctx.subnetPool } : {});
      gateway = validateSubnet(subnet).gateway;
    }
    const options = { ...(o.options ?? {}) };
    const bridge = o.bridge ?? options[BRIDGE_NAME_OPTION] ?? chooseBridge(new Set(existing.map((n) => n.bridge)));
    options[BRIDGE_NAME_OPTION] = bridge;
    const rec: NetworkInfo = {
      id: newNetworkId(), name: o.name, driver: 'bridge', bridge, subnet, gateway,
      internal: o.internal ?? false, dns: o.dns ?? true,
      labels: o.labels ?? {}, options, created: new Date().toISOString(),
    };
    // Validates the bridge name and the rest before anything is stored.
    generateConfList({ name: rec.name, bridge: rec.bridge, subnet, gateway, internal: rec.internal, ipMasq: !rec.internal });
    insertNetwork(db, rec);
    return rec;
  });
  writeConflist(ctx, net);
  return net;
}

/** The default network, created the first time anything needs it. */
export async function ensureDefaultNetwork(ctx: NetworkContext): Promise<NetworkInfo> {
  const db = networkDb(ctx.root);
  const have = getNetwork(db, DEFAULT_NETWORK);
  if (have) return have;
  try {
    // berth0 may already belong to another storage root (`--root`) on this host: sharing a bridge
    // between two IPAM stores would hand out the same addresses twice, so take the next free name.
    const bridge = ctx.defaultBridge ?? (linkExists(DEFAULT_BRIDGE) ? undefined : DEFAULT_BRIDGE);
    return await createNetwork(ctx, { name: DEFAULT_NETWORK, ...(bridge ? { bridge } : {}), dns: false });
  } catch (e) {
    // Another berth process created it meanwhile.
    const now = getNetwork(db, DEFAULT_NETWORK);
    if (now) return now;
    throw e;
  }
}

/**
 * The network a container asks for by name: the default one for "bridge"/"default"/"berth",
 * which is created on demand.
 */
export async function resolveNetwork(ctx: NetworkContext, name: string): Promise<NetworkInfo> {
  if (name === 'bridge' || name === 'default' || name === DEFAULT_NETWORK) return ensureDefaultNetwork(ctx);
  return requireNetwork(networkDb(ctx.root), name);
}

export interface RemoveOptions {
  /** Also remove the default network (tests; `network rm` refuses it). */
  allowDefault?: boolean;
}

/** Remove a network nobody uses, with everything it left on the host. */
export async function removeNetwork(ctx: NetworkContext, nameOrId: string, o: RemoveOptions = {}): Promise<NetworkInfo> {
  const db = networkDb(ctx.root);
  const net = requireNetwork(db, nameOrId);
  if (net.name === DEFAULT_NETWORK && !o.allowDefault) {
    throw new BerthError('BERTH_ENETWORK', `network ${net.name} is the default network and cannot be removed`);
  }
  tx(db, () => deleteNetworkRow(db, net.name));
  await stopDnsDaemon(ctx.runRoot, net.name);
  await removeBridge(net.bridge);
  await removeIsolation(net);
  await removeNetworkRules(net.name, net.subnet);
  rmSync(join(ipamDir(ctx.root), net.name), { recursive: true, force: true });
  rmSync(conflistPath(ctx.root, net.name), { force: true });
  return net;
}

/** Remove every network without containers except the default one; returns their names. */
export async function pruneNetworks(ctx: NetworkContext, filter: (n: NetworkInfo) => boolean = () => true): Promise<string[]> {
  const db = networkDb(ctx.root);
  const removed: string[] = [];
  for (const n of listNetworks(db)) {
    if (n.name === DEFAULT_NETWORK || !filter(n) || attachmentsOfNetwork(db, n.name).length) continue;
    try {
      await removeNetwork(ctx, n.name);
      removed.push(n.name);
    } catch (e) {
      // A container attached meanwhile: the network is in use now, which is what prune respects.
      if (!(e instanceof BerthError)) throw e;
    }
  }
  return removed;
}

export interface DockerNetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge';
  EnableIPv6: false;
  IPAM: { Driver: 'default'; Options: Record<string, string>; Config: Array<{ Subnet: string; Gateway: string }> };
  Internal: boolean;
  Attachable: boolean;
  Ingress: false;
  ConfigFrom: { Network: string };
  ConfigOnly: false;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export function inspectNetwork(ctx: NetworkContext, nameOrId: string): DockerNetworkInspect {
  const db = networkDb(ctx.root);
  const n = requireNetwork(db, nameOrId);
  const prefix = n.subnet.split('/')[1];
  const containers: DockerNetworkInspect['Containers'] = {};
  for (const a of attachmentsOfNetwork(db, n.name)) {
    containers[a.containerId] = {
      Name: a.containerName,
      EndpointID: `${a.containerId.slice(0, 32)}${a.ifName}`,
      MacAddress: a.mac ?? '',
      IPv4Address: a.ip ? `${a.ip}/${prefix}` : '',
      IPv6Address: '',
    };
  }
  return {
    Name: n.name, Id: n.id, Created: n.created, Scope: 'local', Driver: 'bridge', EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: n.subnet, Gateway: n.gateway }] },
    Internal: n.internal, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: containers,
    Options: n.options,
    Labels: n.labels,
  };
}
