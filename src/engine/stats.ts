// `top` (the runtime's pids, shown with the host's ps) and `stats` (the runtime's `events --stats`,
// runc's JSON, turned into docker's columns).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { promisify } from 'node:util';
import { BerthError } from '../errors.js';
import type { Engine } from './engine.js';
import type { ContainerRecord } from './records.js';

const run = promisify(execFile);

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

export async function containerTop(engine: Engine, rec: ContainerRecord, psArgs: string[]): Promise<TopResult> {
  if (rec.state !== 'running' && rec.state !== 'paused') throw new BerthError('BERTH_ESTATE', `container ${rec.name} is not running`);
  const pids = await engine.runtime(rec).pids(rec.id);
  const args = psArgs.length > 0 ? psArgs : ['-ef'];
  // As docker: ps selects the container's pids itself (-q), so `-o …`, which selects nothing, still
  // lists them whoever runs them; options that cannot go with -q (f) get a second try without it.
  let stdout: string;
  try {
    if (pids.length === 0) throw new Error('no pids');
    stdout = (await run('ps', [...args, '-q', pids.join(',')])).stdout;
  } catch {
    stdout = (await run('ps', args)).stdout;
  }
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]!.trim().split(/\s+/);
  const pidCol = header.indexOf('PID');
  if (pidCol < 0) throw new BerthError('BERTH_EINVAL', `ps ${args.join(' ')}: no PID column`);
  const want = new Set(pids);
  const rows = lines.slice(1).map((l) => {
    const parts = l.trim().split(/\s+/);
    // The last column (the command) keeps its spaces.
    return [...parts.slice(0, header.length - 1), parts.slice(header.length - 1).join(' ')];
  });
  return { Titles: header, Processes: rows.filter((r) => want.has(Number(r[pidCol]))) };
}

export interface StatsRow {
  /** The name or ID as the user gave it (docker's template field), else the ID. */
  Container: string;
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

/** Go's %.<precision>g of `n` scaled into `units`: docker's units.BytesSize (1024, 4 digits) and
 *  units.HumanSizeWithPrecision (1000, 3 digits). */
function humanUnits(n: number, base: number, units: string[], precision: number): string {
  let i = 0;
  while (n >= base && i < units.length - 1) {
    n /= base;
    i++;
  }
  return `${Number(n.toPrecision(precision))}${units[i]}`;
}

export const bytesSize = (n: number): string => humanUnits(n, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'], 4);
export const humanSize3 = (n: number): string => humanUnits(n, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB'], 3);

/** Bytes received and sent on the interfaces of the process's network namespace, loopback aside. */
export function netIO(procNetDev: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of procNetDev.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (m === null || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

function containerNetIO(rec: ContainerRecord): string {
  let text = '';
  try {
    if (rec.pid > 0) text = readFileSync(`/proc/${rec.pid}/net/dev`, 'utf8');
  } catch {
    /* gone */
  }
  const { rx, tx } = netIO(text);
  return `${humanSize3(rx)} / ${humanSize3(tx)}`;
}

interface RuncStats {
  data?: {
    cpu?: { usage?: { total?: number } };
    memory?: { usage?: { usage?: number; limit?: number }; stats?: Record<string, number> };
    pids?: { current?: number };
    blkio?: { ioServiceBytesRecursive?: { op?: string; value?: number }[] };
  };
}

async function sample(engine: Engine, rec: ContainerRecord): Promise<RuncStats> {
  return (await engine.runtime(rec).stats(rec.id)) as RuncStats;
}

export async function containerStats(engine: Engine, rec: ContainerRecord, opts: { noTrunc?: boolean; asGiven?: string } = {}): Promise<StatsRow> {
  const id = opts.noTrunc === true ? rec.id : rec.id.slice(0, 12);
  const base = { Container: opts.asGiven ?? id, ID: id, Name: rec.name };
  if (rec.state !== 'running' && rec.state !== 'paused') {
    return { ...base, CPUPerc: '0.00%', MemUsage: '0B / 0B', MemPerc: '0.00%', NetIO: '0B / 0B', BlockIO: '0B / 0B', PIDs: '0' };
  }
  // CPU % needs two samples: the share of one second the container used, across all cpus.
  const t0 = process.hrtime.bigint();
  const a = await sample(engine, rec);
  await new Promise((r) => setTimeout(r, 200));
  const b = await sample(engine, rec);
  const wall = Number(process.hrtime.bigint() - t0);
  const cpu = ((b.data?.cpu?.usage?.total ?? 0) - (a.data?.cpu?.usage?.total ?? 0)) / wall * 100;
  const mem = b.data?.memory?.usage;
  // docker subtracts the page cache from usage.
  const cache = b.data?.memory?.stats?.total_inactive_file ?? b.data?.memory?.stats?.inactive_file ?? 0;
  const used = Math.max(0, (mem?.usage ?? 0) - cache);
  const hostMem = totalmem();
  const limit = mem?.limit !== undefined && mem.limit > 0 && mem.limit < hostMem ? mem.limit : hostMem;
  const io = b.data?.blkio?.ioServiceBytesRecursive ?? [];
  const sum = (op: string): number => io.filter((x) => (x.op ?? '').toLowerCase() === op).reduce((s, x) => s + (x.value ?? 0), 0);
  return {
    ...base,
    CPUPerc: `${Math.max(0, cpu).toFixed(2)}%`,
    MemUsage: `${bytesSize(used)} / ${bytesSize(limit)}`,
    MemPerc: `${((used / limit) * 100).toFixed(2)}%`,
    NetIO: containerNetIO(rec),
    BlockIO: `${humanSize3(sum('read'))} / ${humanSize3(sum('write'))}`,
    PIDs: String(b.data?.pids?.current ?? 0),
  };
}
