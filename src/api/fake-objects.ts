// The fake backend's networks and volumes, and the event log everything reports to.
import { randomBytes } from 'node:crypto';
import { BerthError } from '../errors.js';
import type { ApiStream } from './backend.js';
import { Channel } from './channel.js';
import type { EventMessage, Filters, Labels, NetworkCreateBody, NetworkInspect, Volume, VolumeCreateBody } from './types.js';

export const newId = (): string => randomBytes(32).toString('hex');

import { eventMatches as matches, labelMatch } from './event-filter.js';
export { labelMatch };

export class FakeEvents {
  readonly log: EventMessage[] = [];
  private readonly subscribers = new Set<{ ch: Channel<EventMessage>; filters: Filters }>();

  emit(Type: EventMessage['Type'], Action: string, ID: string, Attributes: Labels = {}): void {
    const ns = BigInt(Date.now()) * 1_000_000n;
    const e: EventMessage = { Type, Action, Actor: { ID, Attributes }, scope: 'local', time: Number(ns / 1_000_000_000n), timeNano: Number(ns) };
    this.log.push(e);
    for (const s of this.subscribers) if (matches(e, s.filters)) void s.ch.push(e);
  }

  get listeners(): number { return this.subscribers.size; }

  stream(opts: { since?: number; until?: number; filters: Filters }, onOpen: () => void, onClose: () => void): ApiStream<EventMessage> {
    const ch = new Channel<EventMessage>(1024);
    onOpen();
    const sub = { ch, filters: opts.filters };
    const nowSec = Date.now() / 1000;
    for (const e of this.log) {
      const t = e.timeNano / 1e9;
      if (opts.since !== undefined && t < opts.since) continue;
      if (opts.until !== undefined && t > opts.until) continue;
      if (opts.since === undefined) continue;
      if (matches(e, opts.filters)) void ch.push(e);
    }
    let timer: NodeJS.Timeout | undefined;
    if (opts.until !== undefined && opts.until <= nowSec) ch.end();
    else {
      this.subscribers.add(sub);
      if (opts.until !== undefined) timer = setTimeout(() => ch.end(), (opts.until - nowSec) * 1000);
    }
    ch.onClose(() => { clearTimeout(timer); this.subscribers.delete(sub); onClose(); });
    return ch;
  }
}

const PREDEFINED = ['bridge', 'host', 'none'];

export class FakeNetworks {
  readonly nets = new Map<string, NetworkInspect>();

  constructor(private readonly events: FakeEvents) {
    for (const name of PREDEFINED) this.add({ Name: name, Driver: name === 'none' ? 'null' : name }, name === 'bridge' ? '172.17.0.0/16' : undefined);
  }

  private add(body: NetworkCreateBody, subnet?: string): NetworkInspect {
    const n: NetworkInspect = {
      Name: body.Name, Id: newId(), Created: new Date().toISOString(), Scope: 'local', Driver: body.Driver || 'bridge',
      EnableIPv6: body.EnableIPv6 === true, EnableIPv4: true,
      IPAM: { Driver: 'default', Options: null, Config: body.IPAM?.Config ?? (subnet ? [{ Subnet: subnet }] : []) },
      Internal: body.Internal === true, Attachable: body.Attachable === true, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
      Containers: {}, Options: body.Options ?? {}, Labels: body.Labels ?? {},
    };
    this.nets.set(n.Id, n);
    return n;
  }

  get(ref: string): NetworkInspect {
    const exact = [...this.nets.values()].find((n) => n.Id === ref || n.Name === ref);
    if (exact) return exact;
    const byPrefix = [...this.nets.values()].filter((n) => n.Id.startsWith(ref));
    if (byPrefix.length === 1) return byPrefix[0]!;
    throw new BerthError('BERTH_ENOTFOUND', `network ${ref} not found`);
  }

  list(f: Filters): NetworkInspect[] {
    return [...this.nets.values()].filter((n) =>
      (!f['name']?.length || f['name'].some((x) => n.Name.includes(x))) &&
      (!f['id']?.length || f['id'].some((x) => n.Id.startsWith(x))) &&
      (!f['driver']?.length || f['driver'].includes(n.Driver)) &&
      (!f['type']?.length || f['type'].includes(PREDEFINED.includes(n.Name) ? 'builtin' : 'custom')) &&
      labelMatch(n.Labels, f['label']));
  }

  create(body: NetworkCreateBody): { Id: string; Warning: string } {
    if ([...this.nets.values()].some((n) => n.Name === body.Name)) throw new BerthError('BERTH_ECONFLICT', `network with name ${body.Name} already exists`);
    if (body.Driver && !['bridge', 'macvlan', 'ipvlan'].includes(body.Driver)) throw new BerthError('BERTH_ENOTFOUND', `plugin "${body.Driver}" not found`);
    const n = this.add(body, `172.${18 + this.nets.size}.0.0/16`);
    this.events.emit('network', 'create', n.Id, { name: n.Name, type: n.Driver });
    return { Id: n.Id, Warning: '' };
  }

  remove(ref: string): void {
    const n = this.get(ref);
    if (PREDEFINED.includes(n.Name)) throw Object.assign(new BerthError('BERTH_EINVAL', `${n.Name} is a pre-defined network and cannot be removed`), { status: 403 });
    if (Object.keys(n.Containers).length > 0) throw new BerthError('BERTH_ECONFLICT', `error while removing network: network ${n.Name} id ${n.Id} has active endpoints`);
    this.nets.delete(n.Id);
    this.events.emit('network', 'destroy', n.Id, { name: n.Name, type: n.Driver });
  }

  prune(): string[] {
    const gone: string[] = [];
    for (const n of [...this.nets.values()]) {
      if (PREDEFINED.includes(n.Name) || Object.keys(n.Containers).length > 0) continue;
      this.nets.delete(n.Id);
      gone.push(n.Name);
    }
    return gone;
  }
}

export class FakeVolumes {
  readonly vols = new Map<string, Volume>();
  constructor(private readonly events: FakeEvents) {}

  get(name: string): Volume {
    const v = this.vols.get(name);
    if (!v) throw new BerthError('BERTH_ENOTFOUND', `get ${name}: no such volume`);
    return v;
  }

  create(body: VolumeCreateBody): Volume {
    const name = body.Name || newId();
    const existing = this.vols.get(name);
    if (existing) return existing;
    if (body.Driver && body.Driver !== 'local') throw new BerthError('BERTH_ENOTFOUND', `plugin "${body.Driver}" not found`);
    const v: Volume = {
      Name: name, Driver: 'local', Mountpoint: `/var/lib/berth/volumes/${name}/_data`, CreatedAt: new Date().toISOString(),
      Labels: body.Labels ?? {}, Scope: 'local', Options: body.DriverOpts ?? null,
    };
    if (!body.Name) v.Labels = { ...v.Labels, 'com.docker.volume.anonymous': '' };
    this.vols.set(name, v);
    this.events.emit('volume', 'create', name, { driver: 'local' });
    return v;
  }

  remove(name: string, usedBy: string[]): void {
    this.get(name);
    if (usedBy.length > 0) throw new BerthError('BERTH_ECONFLICT', `remove ${name}: volume is in use - [${usedBy.join(', ')}]`);
    this.vols.delete(name);
    this.events.emit('volume', 'destroy', name, { driver: 'local' });
  }

  list(f: Filters, inUse: (name: string) => boolean): Volume[] {
    return [...this.vols.values()].filter((v) =>
      (!f['name']?.length || f['name'].some((x) => v.Name.includes(x))) &&
      (!f['driver']?.length || f['driver'].includes(v.Driver)) &&
      (!f['dangling']?.length || f['dangling'].every((d) => (d === 'true' || d === '1') === !inUse(v.Name))) &&
      labelMatch(v.Labels, f['label']));
  }
}
