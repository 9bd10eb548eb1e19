// ps, inspect, logs, top, stats, port: reads of reconciled records, printed as docker prints them.
import { BerthError } from '../../../errors.js';
import type { BerthCommand } from '../command.js';
import { atLeast, exactly, openEngine } from './common.js';
import { commandText, humanDuration, statusText } from '../../../engine/status-text.js';
import { humanBinary, parseFormat, printItems, table, write } from './output.js';

type Rec = import('../../../engine/records.js').ContainerRecord;

export interface PsRow {
  ID: string;
  Image: string;
  Command: string;
  CreatedAt: string;
  RunningFor: string;
  Status: string;
  State: string;
  Names: string;
  Labels: string;
  Ports: string;
  Mounts: string;
  Size: string;
  Networks: string;
}

export function psRows(recs: Rec[], noTrunc: boolean, ports: (r: Rec) => string = () => ''): PsRow[] {
  const now = Date.now();
  return recs.map((r) => ({
    ID: noTrunc ? r.id : r.id.slice(0, 12),
    Image: r.imageName,
    Command: noTrunc ? commandText(r) : (commandText(r).length > 20 ? `${commandText(r).slice(0, 19)}…` : commandText(r)),
    CreatedAt: r.createdAt,
    RunningFor: `${humanDuration(now - Date.parse(r.createdAt))} ago`,
    Status: statusText(r, now),
    State: r.state === 'creating' || r.state === 'starting' ? 'created' : r.state,
    Names: r.name,
    Labels: Object.entries({ ...r.config.resolved.imageLabels, ...r.config.request.labels }).map(([k, v]) => `${k}=${v}`).join(','),
    Ports: ports(r),
    Mounts: r.config.request.mounts.map((m) => m.source || m.target).join(','),
    Size: '',
    Networks: networkNames(r),
  }));
}

function networkNames(r: Rec): string {
  const req = r.config.request;
  if (req.endpoints !== undefined && req.endpoints.length > 0) return req.endpoints.map((e) => (e.name === 'default' || e.name === 'bridge' ? 'berth' : e.name)).join(',');
  return req.network === 'default' ? 'berth' : req.network;
}

export const ps: BerthCommand = {
  summary: 'list containers',
  usage: '[-a] [-q] [--no-trunc] [-n N] [-l] [--filter KEY=VALUE]... [--format table|json|TEMPLATE]',
  flags: {
    all: { kind: 'bool', short: 'a' },
    quiet: { kind: 'bool', short: 'q' },
    filter: { kind: 'strings', short: 'f' },
    format: { kind: 'string' },
    'no-trunc': { kind: 'bool' },
    last: { kind: 'int', short: 'n' },
    latest: { kind: 'bool', short: 'l' },
    size: { kind: 'bool', short: 's' },
  },
  async run(g, p) {
    const engine = await openEngine(g);
    const { listContainers } = await import('../../../engine/list.js');
    const last = p.flags.latest === true ? 1 : (p.flags.last as number | undefined);
    let recs = await listContainers(engine, { all: p.flags.all === true || last !== undefined, filters: p.flags.filter as string[] });
    if (last !== undefined && last >= 0) recs = recs.slice(0, last);
    const net = await import('../../../engine/network.js');
    // Leftovers of containers whose records are gone (berth killed during rm): ps is where a user
    // looks, so it is where they are cleaned. A failure here must not hide the list.
    await net.reconcileContainerNetworks(engine).catch(() => undefined);
    const noTrunc = p.flags['no-trunc'] === true;
    if (p.flags.quiet === true) {
      write(recs.map((r) => `${noTrunc ? r.id : r.id.slice(0, 12)}\n`).join(''));
      return 0;
    }
    printItems(psRows(recs, noTrunc, (r) => net.psPorts(engine, r)), parseFormat(p.flags.format as string | undefined), (rows) => [
      ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
      ...rows.map((r) => [r.ID, r.Image, `"${r.Command}"`, r.RunningFor, r.Status, r.Ports, r.Names]),
    ]);
    return 0;
  },
};

export const inspect: BerthCommand = {
  summary: 'show low-level information on containers (docker JSON shape)',
  usage: '[--format TEMPLATE] [-s] CONTAINER...',
  flags: { format: { kind: 'string', short: 'f' }, size: { kind: 'bool', short: 's' }, type: { kind: 'string' } },
  async run(g, p) {
    const refs = atLeast(p, 1, 'inspect');
    const engine = await openEngine(g);
    const { lookup } = await import('../../../engine/state.js');
    const { inspectContainer } = await import('../../../engine/inspect.js');
    const { renderTemplate } = await import('./output.js');
    const items: Record<string, unknown>[] = [];
    let status = 0;
    for (const ref of refs) {
      try {
        items.push(inspectContainer(engine, await lookup(engine, ref)));
      } catch (e) {
        if (refs.length === 1) throw e;
        process.stderr.write(`berth: ${(e as Error).message}\n`);
        status = 1;
      }
    }
    const fmt = p.flags.format as string | undefined;
    if (fmt !== undefined && fmt !== 'json') write(items.map((i) => renderTemplate(fmt, i) + '\n').join(''));
    else write(JSON.stringify(items, null, 4) + '\n');
    return status;
  },
};

function parseSince(text: string): Date {
  if (/^\d+(\.\d+)?$/.test(text)) return new Date(Number(text) * 1000);
  const rel = /^(\d+)(s|m|h)$/.exec(text);
  if (rel !== null) return new Date(Date.now() - Number(rel[1]) * (rel[2] === 's' ? 1e3 : rel[2] === 'm' ? 6e4 : 3.6e6));
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new BerthError('BERTH_EINVAL', `invalid --since "${text}": want a time (RFC 3339), a unix timestamp or a duration such as 10m`);
  return new Date(t);
}

export const logs: BerthCommand = {
  summary: "fetch a container's logs",
  usage: '[-f] [--tail N|all] [--since TIME] [-t] CONTAINER',
  flags: {
    follow: { kind: 'bool', short: 'f' },
    tail: { kind: 'string', short: 'n', default: 'all' },
    since: { kind: 'string' },
    timestamps: { kind: 'bool', short: 't' },
  },
  async run(g, p) {
    const [ref] = exactly(p, 1, 'logs', 'CONTAINER');
    const engine = await openEngine(g);
    const { lookup } = await import('../../../engine/state.js');
    const { readLogs } = await import('../../../engine/monitor/index.js');
    const { containerPaths } = await import('../../../engine/paths.js');
    const rec = await lookup(engine, ref!);
    const paths = containerPaths(engine.paths, rec.id);
    const tail = p.flags.tail as string;
    if (tail !== 'all' && !/^-?\d+$/.test(tail)) throw new BerthError('BERTH_EINVAL', `invalid --tail "${tail}": want a number or all`);
    const follow = p.flags.follow === true && (rec.state === 'running' || rec.state === 'paused' || rec.state === 'restarting');
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    const since = p.flags.since as string | undefined;
    const ts = p.flags.timestamps === true;
    for await (const e of readLogs(paths.log, {
      ...(tail !== 'all' && Number(tail) >= 0 ? { tail: Number(tail) } : {}),
      ...(since !== undefined ? { since: parseSince(since) } : {}),
      follow,
      signal: ac.signal,
      exitFile: paths.exitFile,
      pollMs: 50,
    })) {
      const out = e.stream === 'stderr' ? process.stderr : process.stdout;
      out.write(ts ? `${e.time} ${e.line}` : e.line);
    }
    return 0;
  },
};

export const top: BerthCommand = {
  summary: 'show the processes of a container',
  usage: 'CONTAINER [ps OPTIONS]',
  flags: {},
  stopAtPositional: true,
  async run(g, p) {
    const [ref, ...psArgs] = atLeast(p, 1, 'top');
    const engine = await openEngine(g);
    const { lookup } = await import('../../../engine/state.js');
    const { containerTop } = await import('../../../engine/stats.js');
    const rec = await lookup(engine, ref!);
    const t = await containerTop(engine, rec, psArgs);
    write(table([t.Titles, ...t.Processes]));
    return 0;
  },
};

export const stats: BerthCommand = {
  summary: 'show resource usage of running containers',
  usage: '[--no-stream] [-a] [--format json|TEMPLATE] [CONTAINER...]',
  flags: { 'no-stream': { kind: 'bool' }, all: { kind: 'bool', short: 'a' }, format: { kind: 'string' }, 'no-trunc': { kind: 'bool' } },
  async run(g, p) {
    const engine = await openEngine(g);
    const { containerStats } = await import('../../../engine/stats.js');
    const { listContainers } = await import('../../../engine/list.js');
    const { lookup } = await import('../../../engine/state.js');
    const format = parseFormat(p.flags.format as string | undefined);
    const once = p.flags['no-stream'] === true;
    for (;;) {
      const noTrunc = p.flags['no-trunc'] === true;
      const rows = p.positionals.length > 0
        ? await Promise.all(p.positionals.map(async (ref) => containerStats(engine, await lookup(engine, ref), { noTrunc, asGiven: ref })))
        : await Promise.all((await listContainers(engine, { all: p.flags.all === true })).map((r) => containerStats(engine, r, { noTrunc })));
      if (!once && format.kind === 'table') write('\x1b[2J\x1b[H');
      printItems(rows, format, (items) => [
        ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'],
        ...items.map((s) => [s.ID, s.Name, s.CPUPerc, s.MemUsage, s.MemPerc, s.NetIO, s.BlockIO, s.PIDs]),
      ]);
      if (once) return 0;
      await new Promise((r) => setTimeout(r, 1000));
    }
  },
};

export const port: BerthCommand = {
  summary: 'list port mappings of a container',
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  flags: {},
  async run(g, p) {
    const [ref, want] = atLeast(p, 1, 'port');
    const engine = await openEngine(g);
    const { lookup } = await import('../../../engine/state.js');
    const { containerPorts } = await import('../../../engine/network.js');
    const rec = await lookup(engine, ref!);
    const up = rec.state === 'running' || rec.state === 'paused';
    let ports = up ? containerPorts(engine, rec.id) : [];
    if (want !== undefined) {
      const [num, proto = 'tcp'] = want.split('/');
      ports = ports.filter((m) => String(m.containerPort) === num && m.protocol === proto);
      if (ports.length === 0) throw new BerthError('BERTH_ENOTFOUND', `no public port '${want}' published for ${ref}`);
      write(ports.map((m) => `${m.hostIP ?? '0.0.0.0'}:${m.hostPort}\n`).join(''));
      return 0;
    }
    write(ports.map((m) => `${m.containerPort}/${m.protocol} -> ${m.hostIP ?? '0.0.0.0'}:${m.hostPort}\n`).join(''));
    return 0;
  },
};

export { humanBinary };
