// Networks over the API (src/network's records; connect/disconnect through the engine so the
// container's record keeps them). berth's default network is "berth"; docker's name "bridge"
// finds it too, and "host" and "none" are listed as docker lists them.
import { BerthError } from '../../errors.js';
import { connectContainer, disconnectContainer, endpointsOf, networkContext } from '../../engine/network.js';
import { listContainerRecords } from '../../engine/records.js';
import { createNetwork, inspectNetwork, pruneNetworks, removeNetwork } from '../../network/networks.js';
import { DEFAULT_NETWORK, getNetwork, listNetworks, networkDb } from '../../network/store.js';
import { labelMatch } from '../event-filter.js';
import type { Filters, NetworkConnectBody, NetworkCreateBody, NetworkDisconnectBody, NetworkInspect } from '../types.js';
import type { EngineApi } from './state.js';

const PREDEFINED = ['host', 'none'];

function predefined(name: string): NetworkInspect {
  return {
    Name: name, Id: name.padEnd(64, '0'), Created: '0001-01-01T00:00:00Z', Scope: 'local', Driver: name === 'none' ? 'null' : name,
    EnableIPv6: false, IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
    ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: {}, Labels: {},
  };
}

function lookupName(ref: string): string {
  return ref === 'bridge' || ref === 'default' ? DEFAULT_NETWORK : ref;
}

function notFound(ref: string, cause?: unknown): BerthError {
  return new BerthError('BERTH_ENOTFOUND', `network ${ref} not found`, cause === undefined ? undefined : { cause });
}

function inspectOne(api: EngineApi, ref: string): NetworkInspect {
  if (PREDEFINED.includes(ref)) return predefined(ref);
  const ctx = networkContext(api.engine);
  const net = getNetwork(networkDb(ctx.root), lookupName(ref));
  if (net === undefined) throw notFound(ref);
  return inspectNetwork(ctx, net.name) as unknown as NetworkInspect;
}

export async function list(api: EngineApi, filters: Filters): Promise<NetworkInspect[]> {
  const ctx = networkContext(api.engine);
  const all = [...listNetworks(networkDb(ctx.root)).map((n) => inspectNetwork(ctx, n.name) as unknown as NetworkInspect), ...PREDEFINED.map(predefined)];
  return all.filter((n) =>
    (!filters.name?.length || filters.name.some((v) => n.Name.includes(v))) &&
    (!filters.id?.length || filters.id.some((v) => n.Id.startsWith(v))) &&
    (!filters.driver?.length || filters.driver.includes(n.Driver)) &&
    (!filters.type?.length || filters.type.includes(PREDEFINED.includes(n.Name) || n.Name === DEFAULT_NETWORK ? 'builtin' : 'custom')) &&
    labelMatch(n.Labels, filters.label));
}

export async function create(api: EngineApi, body: NetworkCreateBody): Promise<{ Id: string; Warning: string }> {
  if (typeof body.Name !== 'string' || body.Name === '') throw new BerthError('BERTH_EINVAL', 'network name is required');
  const driver = body.Driver ?? 'bridge';
  if (driver !== '' && driver !== 'bridge') throw new BerthError('BERTH_EUNSUPPORTED', `network driver "${driver}" is not supported (only bridge)`);
  if (body.EnableIPv6 === true) throw new BerthError('BERTH_EUNSUPPORTED', 'IPv6 networks are not supported');
  const ctx = networkContext(api.engine);
  if (PREDEFINED.includes(body.Name) || body.Name === 'bridge' || getNetwork(networkDb(ctx.root), body.Name) !== undefined) {
    throw new BerthError('BERTH_ECONFLICT', `network with name ${body.Name} already exists`);
  }
  const ipam = (body.IPAM?.Config ?? [])[0];
  if ((body.IPAM?.Config?.length ?? 0) > 1) throw new BerthError('BERTH_EUNSUPPORTED', 'only one IPAM config (one IPv4 subnet) per network is supported');
  if (ipam?.IPRange) throw new BerthError('BERTH_EUNSUPPORTED', 'IPRange is not supported; use a smaller subnet');
  const net = await createNetwork(ctx, {
    name: body.Name,
    ...(ipam?.Subnet ? { subnet: ipam.Subnet } : {}),
    ...(ipam?.Gateway ? { gateway: ipam.Gateway } : {}),
    internal: body.Internal === true,
    labels: body.Labels ?? {},
    options: body.Options ?? {},
  });
  api.journal.emit('network', 'create', net.id, { name: net.name, type: 'bridge' });
  return { Id: net.id, Warning: '' };
}

export async function inspect(api: EngineApi, ref: string): Promise<NetworkInspect> {
  return inspectOne(api, ref);
}

export async function remove(api: EngineApi, ref: string): Promise<void> {
  if (PREDEFINED.includes(ref) || lookupName(ref) === DEFAULT_NETWORK) {
    throw Object.assign(new BerthError('BERTH_EINVAL', `${ref} is a pre-defined network and cannot be removed`), { status: 403 });
  }
  const ctx = networkContext(api.engine);
  const net = getNetwork(networkDb(ctx.root), ref);
  if (net === undefined) throw notFound(ref);
  try {
    await removeNetwork(ctx, net.name);
  } catch (e) {
    if (e instanceof BerthError && /in use|attachment|FOREIGN KEY/i.test(e.message)) {
      throw new BerthError('BERTH_ECONFLICT', `error while removing network: network ${net.name} id ${net.id} has active endpoints`, { cause: e });
    }
    throw e;
  }
  api.journal.emit('network', 'destroy', net.id, { name: net.name, type: 'bridge' });
}

export async function prune(api: EngineApi, filters: Filters): Promise<{ NetworksDeleted: string[] | null }> {
  const used = new Set<string>();
  for (const r of listContainerRecords(api.engine.db)) for (const e of endpointsOf(r.config.request)) used.add(e.name);
  const removed = await pruneNetworks(networkContext(api.engine), (n) => !used.has(n.name) && labelMatch(n.labels, filters.label));
  for (const n of removed) api.journal.emit('network', 'destroy', n, { name: n, type: 'bridge' });
  return { NetworksDeleted: removed.length > 0 ? removed : null };
}

export async function connect(api: EngineApi, ref: string, body: NetworkConnectBody): Promise<void> {
  const rec = await api.find(body.Container);
  const net = inspectOne(api, ref);
  const ep = body.EndpointConfig ?? {};
  await connectContainer(api.engine, rec, {
    name: net.Name,
    ...(ep.Aliases?.length ? { aliases: ep.Aliases } : {}),
    ...(ep.IPAMConfig?.IPv4Address ? { ip: ep.IPAMConfig.IPv4Address } : {}),
    ...(ep.MacAddress ? { mac: ep.MacAddress } : {}),
  }).catch((e: unknown) => {
    if (e instanceof BerthError && e.code === 'BERTH_EEXIST') throw new BerthError('BERTH_ECONFLICT', e.message, { cause: e });
    throw e;
  });
  api.journal.emit('network', 'connect', net.Id, { name: net.Name, type: 'bridge', container: rec.id });
}

export async function disconnect(api: EngineApi, ref: string, body: NetworkDisconnectBody): Promise<void> {
  const rec = await api.find(body.Container);
  const net = inspectOne(api, ref);
  await disconnectContainer(api.engine, rec, net.Name);
  api.journal.emit('network', 'disconnect', net.Id, { name: net.Name, type: 'bridge', container: rec.id });
}
