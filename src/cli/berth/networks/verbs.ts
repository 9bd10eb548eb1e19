// `berth network …`: argument handling and printing over src/network's API.
import { BerthError } from '../../../errors.js';
import { findContainer } from '../../../engine/records.js';
import { openDb } from '../../../storage/metadata/db.js';
import {
  connectNetwork, createNetwork, disconnectNetwork, inspectNetwork, listNetworks, networkDb, netnsPathOf, pruneNetworks, removeNetwork,
  type NetworkContext, type NetworkInfo,
} from '../../../network/index.js';
import { allAttachments } from '../../../network/store.js';
import type { BerthCommand, GlobalOptions } from '../command.js';
import { parseFormat, printItems, renderTemplate, write } from '../containers/output.js';

const ctxOf = (g: GlobalOptions): NetworkContext => ({ root: g.root, runRoot: g.runRoot });

function keyValues(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq <= 0) {
      if (flag === 'label' && kv) { out[kv] = ''; continue; }
      throw new BerthError('BERTH_EINVAL', `invalid --${flag} ${JSON.stringify(kv)}: want KEY=VALUE`);
    }
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

const strs = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const createCommand: BerthCommand = {
  summary: 'create a bridge network',
  usage: '[--subnet CIDR] [--gateway IP] [--internal] [--label K=V] [-o K=V] NAME',
  flags: {
    subnet: { kind: 'string' }, gateway: { kind: 'string' }, internal: { kind: 'bool' },
    label: { kind: 'strings' }, opt: { kind: 'strings', short: 'o' }, driver: { kind: 'string', short: 'd', default: 'bridge' },
    'ip-range': { kind: 'string' }, ipv6: { kind: 'bool' }, attachable: { kind: 'bool', ignored: true },
  },
  differences: 'only the bridge driver and IPv4; -o dns.upstreams=IP[,IP] sets where the network\'s DNS server forwards (default: the host\'s resolvers), -o com.docker.network.bridge.name=NAME the bridge device',
  async run(g, p) {
    const name = p.positionals[0];
    if (!name || p.positionals.length > 1) throw new BerthError('BERTH_EINVAL', 'network create needs exactly one NAME');
    if (p.flags.driver !== 'bridge') throw new BerthError('BERTH_EUNSUPPORTED', `network driver ${String(p.flags.driver)} is not supported (only bridge)`);
    if (p.flags.ipv6 === true) throw new BerthError('BERTH_EUNSUPPORTED', 'IPv6 networks are not supported');
    if (p.flags['ip-range'] !== undefined) throw new BerthError('BERTH_EUNSUPPORTED', '--ip-range is not supported; use a smaller --subnet');
    const subnet = str(p.flags.subnet);
    const gateway = str(p.flags.gateway);
    const net = await createNetwork(ctxOf(g), {
      name,
      ...(subnet ? { subnet } : {}),
      ...(gateway ? { gateway } : {}),
      internal: p.flags.internal === true,
      labels: keyValues(strs(p.flags.label), 'label'),
      options: keyValues(strs(p.flags.opt), 'opt'),
    });
    write(`${net.id}\n`);
    return 0;
  },
};

function lsJson(n: NetworkInfo): Record<string, unknown> {
  return {
    ID: n.id.slice(0, 12), Name: n.name, Driver: n.driver, Scope: 'local', IPv6: 'false', Internal: String(n.internal),
    Labels: Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(','), CreatedAt: n.created, Subnet: n.subnet, Gateway: n.gateway,
  };
}

export const lsCommand: BerthCommand = {
  summary: 'list networks',
  usage: '[-q] [--format json|table|TEMPLATE] [--no-trunc] [--filter name=X]',
  flags: { quiet: { kind: 'bool', short: 'q' }, format: { kind: 'string' }, 'no-trunc': { kind: 'bool' }, filter: { kind: 'strings', short: 'f' } },
  differences: 'the default network is called berth (docker: bridge) and appears once a container has used it; --filter takes name=, id=, label= and driver=',
  async run(g, p) {
    let nets = listNetworks(networkDb(g.root));
    for (const f of strs(p.flags.filter)) {
      const [k, v = ''] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
      if (k === 'name') nets = nets.filter((n) => n.name.includes(v));
      else if (k === 'id') nets = nets.filter((n) => n.id.startsWith(v));
      else if (k === 'driver') nets = nets.filter((n) => n.driver === v);
      else if (k === 'label') {
        const [lk, lv] = v.split('=');
        nets = nets.filter((n) => lk! in n.labels && (lv === undefined || n.labels[lk!] === lv));
      } else throw new BerthError('BERTH_EINVAL', `unsupported filter ${JSON.stringify(f)}`);
    }
    const full = p.flags['no-trunc'] === true;
    if (p.flags.quiet === true) {
      write(nets.map((n) => `${full ? n.id : n.id.slice(0, 12)}\n`).join(''));
      return 0;
    }
    printItems(nets.map(lsJson), parseFormat(str(p.flags.format)), (items) => [
      ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'],
      ...items.map((i, k) => [full ? nets[k]!.id : String(i.ID), String(i.Name), String(i.Driver), 'local']),
    ]);
    return 0;
  },
};

export const inspectCommand: BerthCommand = {
  summary: 'show networks in detail (JSON)',
  usage: '[--format TEMPLATE] NETWORK...',
  flags: { format: { kind: 'string', short: 'f' } },
  async run(g, p) {
    if (p.positionals.length === 0) throw new BerthError('BERTH_EINVAL', 'network inspect needs at least one NETWORK');
    const all = p.positionals.map((n) => inspectNetwork(ctxOf(g), n));
    const f = str(p.flags.format);
    if (f) write(all.map((n) => renderTemplate(f, n) + '\n').join(''));
    else write(JSON.stringify(all, null, 4) + '\n');
    return 0;
  },
};

export const rmCommand: BerthCommand = {
  summary: 'remove networks that no container uses',
  usage: 'NETWORK...',
  flags: { force: { kind: 'bool', short: 'f' } },
  async run(g, p) {
    if (p.positionals.length === 0) throw new BerthError('BERTH_EINVAL', 'network rm needs at least one NETWORK');
    let status = 0;
    for (const n of p.positionals) {
      try {
        await removeNetwork(ctxOf(g), n);
        write(`${n}\n`);
      } catch (e) {
        // docker goes on with the rest and fails at the end.
        if (p.flags.force === true && e instanceof BerthError && /not found/.test(e.message)) continue;
        process.stderr.write(`berth: ${(e as Error).message}\n`);
        status = 1;
      }
    }
    return status;
  },
};

export const pruneCommand: BerthCommand = {
  summary: 'remove all networks without containers (except the default one)',
  usage: '[-f] [--filter label=K[=V]]',
  flags: { force: { kind: 'bool', short: 'f' }, filter: { kind: 'strings' } },
  async run(g, p) {
    const filters = strs(p.flags.filter).map((f) => {
      const m = /^label=([^=]+)(?:=(.*))?$/.exec(f);
      if (!m) throw new BerthError('BERTH_EINVAL', `unsupported filter ${JSON.stringify(f)} (label=K[=V] only)`);
      return (n: NetworkInfo) => m[1]! in n.labels && (m[2] === undefined || n.labels[m[1]!] === m[2]);
    });
    const removed = await pruneNetworks(ctxOf(g), (n) => filters.every((f) => f(n)));
    if (removed.length) write(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}`);
    return 0;
  },
};

/**
 * A container's id and name: from the engine's records, else from the network attachments
 * (a container the engine does not know, e.g. one made through the API directly in tests).
 */
export function lookupContainer(g: GlobalOptions, ref: string): { id: string; name: string } {
  try {
    const c = findContainer(openDb(g.root), ref);
    return { id: c.id, name: c.name };
  } catch (e) {
    const db = networkDb(g.root);
    const hit = allAttachments(db).find((a) => a.containerId === ref || a.containerName === ref || (ref.length >= 3 && a.containerId.startsWith(ref)));
    if (hit) return { id: hit.containerId, name: hit.containerName };
    if (e instanceof BerthError) throw e;
    throw new BerthError('BERTH_ENOTFOUND', `no such container: ${ref}`, { cause: e });
  }
}

type EngineRef = { engine: import('../../../engine/engine.js').Engine; rec: import('../../../engine/records.js').ContainerRecord };

/** The engine's (reconciled) record of a container, when the engine knows it. */
async function engineRecord(g: GlobalOptions, ref: string): Promise<EngineRef | undefined> {
  const { Engine } = await import('../../../engine/engine.js');
  const engine = Engine.open({ root: g.root, runRoot: g.runRoot });
  try {
    const { lookup } = await import('../../../engine/state.js');
    return { engine, rec: await lookup(engine, ref) };
  } catch (e) {
    if (e instanceof BerthError && e.code === 'BERTH_ENOTFOUND') return undefined;
    throw e;
  }
}

export const connectCommand: BerthCommand = {
  summary: 'connect a running container to a network',
  usage: '[--alias NAME] [--ip IP] NETWORK CONTAINER',
  flags: { alias: { kind: 'strings' }, ip: { kind: 'string' }, ip6: { kind: 'string' }, 'link-local-ip': { kind: 'strings', ignored: true } },
  async run(g, p) {
    const [net, ref] = p.positionals;
    if (!net || !ref || p.positionals.length > 2) throw new BerthError('BERTH_EINVAL', 'network connect needs NETWORK and CONTAINER');
    if (p.flags.ip6 !== undefined) throw new BerthError('BERTH_EUNSUPPORTED', 'IPv6 is not supported');
    const ip = str(p.flags.ip);
    const rec = await engineRecord(g, ref);
    if (rec !== undefined) {
      const { connectContainer } = await import('../../../engine/network.js');
      await connectContainer(rec.engine, rec.rec, { name: net, aliases: strs(p.flags.alias), ...(ip ? { ip } : {}) });
      return 0;
    }
    const c = lookupContainer(g, ref);
    await connectNetwork({
      ...ctxOf(g), containerId: c.id, name: c.name, netnsPath: netnsPathOf(g.runRoot, c.id),
      network: { name: net, aliases: strs(p.flags.alias), ...(ip ? { ip } : {}) },
    });
    return 0;
  },
};

export const disconnectCommand: BerthCommand = {
  summary: 'disconnect a container from a network',
  usage: '[-f] NETWORK CONTAINER',
  flags: { force: { kind: 'bool', short: 'f' } },
  async run(g, p) {
    const [net, ref] = p.positionals;
    if (!net || !ref || p.positionals.length > 2) throw new BerthError('BERTH_EINVAL', 'network disconnect needs NETWORK and CONTAINER');
    const rec = await engineRecord(g, ref);
    if (rec !== undefined) {
      const { disconnectContainer } = await import('../../../engine/network.js');
      await disconnectContainer(rec.engine, rec.rec, net);
      return 0;
    }
    const c = lookupContainer(g, ref);
    await disconnectNetwork({ ...ctxOf(g), containerId: c.id, network: net });
    return 0;
  },
};

export const dnsServeCommand: BerthCommand = {
  summary: '(internal) run the DNS server of one network',
  usage: '--state-dir DIR',
  flags: { 'state-dir': { kind: 'string' } },
  async run(_g, p) {
    const dir = str(p.flags['state-dir']);
    if (!dir) throw new BerthError('BERTH_EINVAL', 'network dns-serve needs --state-dir');
    const { runDnsDaemon } = await import('../../../network/dns/daemon.js');
    await runDnsDaemon({ stateDir: dir });
    return 0;
  },
};

export const networkHelpCommand: BerthCommand = {
  summary: 'manage networks',
  usage: 'create|ls|inspect|rm|prune|connect|disconnect …',
  flags: {},
  async run() {
    write(`usage: berth network COMMAND

commands:
   create       ${createCommand.summary}
   ls           ${lsCommand.summary}
   inspect      ${inspectCommand.summary}
   rm           ${rmCommand.summary}
   prune        ${pruneCommand.summary}
   connect      ${connectCommand.summary}
   disconnect   ${disconnectCommand.summary}
`);
    return 0;
  },
};


