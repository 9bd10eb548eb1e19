// Networks and container attachments as rows of berth.db. The database is what makes two berth
// processes agree: network names, bridges and subnets are unique by constraint, a network with
// attachments cannot be deleted (foreign key), and published host ports are checked against
// every other container's in the same transaction that claims them.
import { randomBytes } from 'node:crypto';
import { BerthError } from '../errors.js';
import { openDb, registerMigrations, tx, type Db } from '../storage/metadata/db.js';
import type { CapabilityArgs, PortMapping } from './cni/types.js';

registerMigrations({
  version: 300,
  name: 'networks',
  up: (db) => db.exec(`CREATE TABLE networks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    driver TEXT NOT NULL DEFAULT 'bridge',
    bridge TEXT NOT NULL UNIQUE,
    subnet TEXT NOT NULL UNIQUE,
    gateway TEXT NOT NULL,
    internal INTEGER NOT NULL,
    dns INTEGER NOT NULL,
    labels TEXT NOT NULL,
    options TEXT NOT NULL,
    created TEXT NOT NULL
  );
  CREATE TABLE network_attachments (
    container_id TEXT NOT NULL,
    network TEXT NOT NULL REFERENCES networks (name) ON DELETE RESTRICT,
    if_name TEXT NOT NULL,
    container_name TEXT NOT NULL,
    aliases TEXT NOT NULL,
    ip TEXT,
    mac TEXT,
    gateway TEXT,
    netns TEXT NOT NULL,
    cap_args TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('attaching', 'attached')),
    created TEXT NOT NULL,
    PRIMARY KEY (container_id, network),
    UNIQUE (container_id, if_name)
  );
  CREATE INDEX network_attachments_network ON network_attachments (network);
  CREATE TABLE network_ports (
    container_id TEXT NOT NULL,
    network TEXT NOT NULL,
    host_ip TEXT NOT NULL,
    host_port INTEGER NOT NULL,
    protocol TEXT NOT NULL,
    container_port INTEGER NOT NULL,
    FOREIGN KEY (container_id, network) REFERENCES network_attachments (container_id, network) ON DELETE CASCADE
  );
  CREATE INDEX network_ports_port ON network_ports (host_port, protocol);`),
});

registerMigrations({
  version: 301,
  name: 'attachment dns',
  // --dns of a container on a network with DNS: that network's DNS server forwards its queries there
  up: (db) => db.exec('ALTER TABLE network_attachments ADD COLUMN dns TEXT'),
});

export const DEFAULT_NETWORK = 'berth';
export const DEFAULT_BRIDGE = 'berth0';
/** Names that mean a network mode to `--network`, never a network of ours. */
export const RESERVED_NAMES = ['bridge', 'host', 'none', 'default', 'container'];
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

export interface NetworkInfo {
  /** 64 hex digits, like docker's. */
  id: string;
  name: string;
  driver: 'bridge';
  bridge: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  /** Whether containers get the per-network DNS server (user networks yes, the default no, as in docker). */
  dns: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  created: string;
}

export type AttachmentState = 'attaching' | 'attached';

export interface AttachmentInfo {
  containerId: string;
  network: string;
  ifName: string;
  /** The name other containers resolve; aliases resolve too. */
  containerName: string;
  aliases: string[];
  ip?: string;
  mac?: string;
  gateway?: string;
  netns: string;
  /** Exactly what ADD was given, so DEL can undo it even after a crash. */
  capabilityArgs: CapabilityArgs;
  /** --dns: where the network's DNS server forwards this container's other queries. */
  dns?: string[];
  state: AttachmentState;
  created: string;
}

export interface PublishedPort extends PortMapping {
  containerId: string;
  network: string;
}

export function validateNetworkName(name: string): void {
  if (!NAME.test(name)) {
    throw new BerthError('BERTH_EINVAL', `invalid network name ${JSON.stringify(name)}: 1-64 letters, digits, "_", "." or "-", starting with a letter or digit`);
  }
  if (RESERVED_NAMES.includes(name)) throw new BerthError('BERTH_EINVAL', `network name "${name}" is reserved for --network ${name}`);
}

export function newNetworkId(): string {
  return randomBytes(32).toString('hex');
}

export function networkDb(root: string): Db {
  return openDb(root);
}

interface NetRow {
  id: string; name: string; driver: string; bridge: string; subnet: string; gateway: string;
  internal: number; dns: number; labels: string; options: string; created: string;
}

function toNetwork(r: NetRow): NetworkInfo {
  return {
    id: r.id, name: r.name, driver: 'bridge', bridge: r.bridge, subnet: r.subnet, gateway: r.gateway,
    internal: r.internal === 1, dns: r.dns === 1,
    labels: JSON.parse(r.labels) as Record<string, string>, options: JSON.parse(r.options) as Record<string, string>,
    created: r.created,
  };
}

export function getNetwork(db: Db, nameOrId: string): NetworkInfo | undefined {
  const byName = db.prepare('SELECT * FROM networks WHERE name = ?').get(nameOrId) as NetRow | undefined;
  if (byName) return toNetwork(byName);
  // An id prefix, as docker accepts; only when it is unambiguous.
  if (!/^[0-9a-f]{3,64}$/.test(nameOrId)) return undefined;
  const rows = db.prepare("SELECT * FROM networks WHERE id LIKE ? || '%'").all(nameOrId) as NetRow[];
  if (rows.length > 1) throw new BerthError('BERTH_EINVAL', `network id prefix ${nameOrId} is ambiguous`);
  return rows[0] ? toNetwork(rows[0]) : undefined;
}

export function requireNetwork(db: Db, nameOrId: string): NetworkInfo {
  const n = getNetwork(db, nameOrId);
  if (!n) throw new BerthError('BERTH_ENETWORK', `network ${nameOrId} not found`);
  return n;
}

export function listNetworks(db: Db): NetworkInfo[] {
  return (db.prepare('SELECT * FROM networks ORDER BY created, name').all() as NetRow[]).map(toNetwork);
}

/** Insert a network; the caller has chosen bridge and subnet inside the same transaction. */
export function insertNetwork(db: Db, n: NetworkInfo): void {
  try {
    db.prepare(`INSERT INTO networks (id, name, driver, bridge, subnet, gateway, internal, dns, labels, options, created)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      n.id, n.name, n.driver, n.bridge, n.subnet, n.gateway, n.internal ? 1 : 0, n.dns ? 1 : 0,
      JSON.stringify(n.labels), JSON.stringify(n.options), n.created,
    );
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_CONSTRAINT')) {
      const msg = (e as Error).message;
      const what = msg.includes('networks.name') ? `network with name ${n.name} already exists`
        : msg.includes('networks.bridge') ? `bridge ${n.bridge} is already used by another network`
        : msg.includes('networks.subnet') ? `subnet ${n.subnet} is already used by another network`
        : `network ${n.name} conflicts with an existing one`;
      throw new BerthError('BERTH_ENETWORK', what, { cause: e });
    }
    throw e;
  }
}

export function deleteNetworkRow(db: Db, name: string): void {
  const users = attachmentsOfNetwork(db, name);
  if (users.length) {
    const ids = users.map((a) => a.containerName || a.containerId.slice(0, 12));
    throw new BerthError('BERTH_ENETWORK', `network ${name} is in use by container${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`);
  }
  db.prepare('DELETE FROM networks WHERE name = ?').run(name);
}

interface AttRow {
  container_id: string; network: string; if_name: string; container_name: string; aliases: string;
  ip: string | null; mac: string | null; gateway: string | null; netns: string; cap_args: string;
  state: AttachmentState; created: string; dns?: string | null;
}

function toAttachment(r: AttRow): AttachmentInfo {
  const a: AttachmentInfo = {
    containerId: r.container_id, network: r.network, ifName: r.if_name, containerName: r.container_name,
    aliases: JSON.parse(r.aliases) as string[], netns: r.netns,
    capabilityArgs: JSON.parse(r.cap_args) as CapabilityArgs, state: r.state, created: r.created,
  };
  if (r.ip !== null) a.ip = r.ip;
  if (r.mac !== null) a.mac = r.mac;
  if (r.gateway !== null) a.gateway = r.gateway;
  if (r.dns !== null && r.dns !== undefined) a.dns = JSON.parse(r.dns) as string[];
  return a;
}

export function attachmentsOfContainer(db: Db, containerId: string): AttachmentInfo[] {
  return (db.prepare('SELECT * FROM network_attachments WHERE container_id = ? ORDER BY if_name').all(containerId) as AttRow[]).map(toAttachment);
}

export function attachmentsOfNetwork(db: Db, network: string): AttachmentInfo[] {
  return (db.prepare('SELECT * FROM network_attachments WHERE network = ? ORDER BY created').all(network) as AttRow[]).map(toAttachment);
}

export function allAttachments(db: Db): AttachmentInfo[] {
  return (db.prepare('SELECT * FROM network_attachments').all() as AttRow[]).map(toAttachment);
}

export function insertAttachment(db: Db, a: AttachmentInfo): void {
  try {
    db.prepare(`INSERT INTO network_attachments (container_id, network, if_name, container_name, aliases, ip, mac, gateway, netns, cap_args, state, created, dns)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      a.containerId, a.network, a.ifName, a.containerName, JSON.stringify(a.aliases), a.ip ?? null, a.mac ?? null,
      a.gateway ?? null, a.netns, JSON.stringify(a.capabilityArgs), a.state, a.created, a.dns !== undefined && a.dns.length > 0 ? JSON.stringify(a.dns) : null,
    );
  } catch (e) {
    if (((e as { code?: string }).code ?? '').startsWith('SQLITE_CONSTRAINT')) {
      throw new BerthError('BERTH_ENETWORK', `container ${a.containerId.slice(0, 12)} is already connected to network ${a.network}`, { cause: e });
    }
    throw e;
  }
}

export function markAttached(db: Db, containerId: string, network: string, got: { ip?: string; mac?: string; gateway?: string }): void {
  db.prepare("UPDATE network_attachments SET state = 'attached', ip = ?, mac = ?, gateway = ? WHERE container_id = ? AND network = ?")
    .run(got.ip ?? null, got.mac ?? null, got.gateway ?? null, containerId, network);
}

export function deleteAttachment(db: Db, containerId: string, network: string): void {
  db.prepare('DELETE FROM network_attachments WHERE container_id = ? AND network = ?').run(containerId, network);
}

export function publishedPorts(db: Db, containerId?: string): PublishedPort[] {
  const rows = (containerId === undefined
    ? db.prepare('SELECT * FROM network_ports').all()
    : db.prepare('SELECT * FROM network_ports WHERE container_id = ?').all(containerId)) as Array<{
    container_id: string; network: string; host_ip: string; host_port: number; protocol: PortMapping['protocol']; container_port: number;
  }>;
  return rows.map((r) => ({
    containerId: r.container_id, network: r.network, hostPort: r.host_port, containerPort: r.container_port, protocol: r.protocol,
    ...(r.host_ip ? { hostIP: r.host_ip } : {}),
  }));
}

const wildcard = (ip: string | undefined): boolean => !ip || ip === '0.0.0.0';

/**
 * Claim host ports for an attachment, refusing ports another container holds. Call inside tx():
 * the check and the insert must be one step. 0.0.0.0 clashes with every address.
 */
export function claimPorts(db: Db, containerId: string, network: string, ports: PortMapping[]): void {
  const ins = db.prepare('INSERT INTO network_ports (container_id, network, host_ip, host_port, protocol, container_port) VALUES (?, ?, ?, ?, ?, ?)');
  const same = db.prepare('SELECT container_id, host_ip FROM network_ports WHERE host_port = ? AND protocol = ?');
  for (const p of ports) {
    const holders = same.all(p.hostPort, p.protocol) as Array<{ container_id: string; host_ip: string }>;
    const clash = holders.find((h) => wildcard(h.host_ip) || wildcard(p.hostIP) || h.host_ip === p.hostIP);
    if (clash) {
      throw new BerthError('BERTH_ENETWORK', `port ${p.hostPort}/${p.protocol} is already in use (published by container ${clash.container_id.slice(0, 12)})`, {
        detail: { hostPort: p.hostPort, protocol: p.protocol, holder: clash.container_id },
      });
    }
    ins.run(containerId, network, p.hostIP ?? '', p.hostPort, p.protocol, p.containerPort);
  }
}

export { tx, type Db };
