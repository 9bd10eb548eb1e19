// `top` (the runtime's pids, shown with the host's ps) and `stats` (the runtime's `events --stats`,
// runc's JSON, turned into docker's columns).
import { execFile } from 'node:child_process';
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
  const { stdout } = await run('ps', args);
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
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

function bin(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(2)}${units[i]}`;
}

function dec(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(2)}${units[i]}`;
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

export async function containerStats(engine: Engine, rec: ContainerRecord): Promise<StatsRow> {
  const base = { ID: rec.id.slice(0, 12), Name: rec.name };
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
    MemUsage: `${bin(used)} / ${bin(limit)}`,
    MemPerc: `${((used / limit) * 100).toFixed(2)}%`,
    NetIO: '0B / 0B',
    BlockIO: `${dec(sum('read'))} / ${dec(sum('write'))}`,
    PIDs: String(b.data?.pids?.current ?? 0),
  };
}
