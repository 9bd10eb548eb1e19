// `GET /containers/{id}/stats`: the runtime's `events --stats` (runc's shape) mapped onto docker's
// stats JSON. precpu_stats is the previous sample, so the CLI's CPU % (container delta over system
// delta, times online cpus) works; a one-shot sample has an empty precpu, as docker's.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { getContainer } from '../../engine/records.js';
import type { ApiStream } from '../backend.js';
import { Channel } from '../channel.js';
import type { ContainerStats, CpuStats } from '../types.js';
import { isLive } from './lifecycle.js';
import type { EngineApi } from './state.js';

export interface RuncStatsData {
  cpu?: { usage?: { total?: number; percpu?: number[]; kernel?: number; user?: number }; throttling?: { periods?: number; throttled_periods?: number; throttled_time?: number } };
  memory?: { usage?: { usage?: number; limit?: number; max?: number }; raw?: Record<string, number>; stats?: Record<string, number> };
  pids?: { current?: number; limit?: number };
  blkio?: { ioServiceBytesRecursive?: BlkEntry[]; ioServicedRecursive?: BlkEntry[] };
}

interface BlkEntry { major?: number; minor?: number; op?: string; value?: number }

export interface Sample { read: Date; data: RuncStatsData; systemNs: number; networks?: ContainerStats['networks'] }

const NO_LIMIT = 2 ** 62;

export function emptyCpu(): CpuStats {
  return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
}

function cpuOf(s: Sample, online: number): CpuStats {
  const c = s.data.cpu;
  const out: CpuStats = {
    cpu_usage: { total_usage: c?.usage?.total ?? 0, usage_in_kernelmode: c?.usage?.kernel ?? 0, usage_in_usermode: c?.usage?.user ?? 0 },
    system_cpu_usage: s.systemNs,
    online_cpus: online,
    throttling_data: { periods: c?.throttling?.periods ?? 0, throttled_periods: c?.throttling?.throttled_periods ?? 0, throttled_time: c?.throttling?.throttled_time ?? 0 },
  };
  if ((c?.usage?.percpu?.length ?? 0) > 0) out.cpu_usage.percpu_usage = c!.usage!.percpu!;
  return out;
}

/** One docker stats object from a sample and the one before it. */
export function toDockerStats(cur: Sample, prev: Sample | undefined, meta: { id: string; name: string; online: number; hostMem: number }): ContainerStats {
  const mem = cur.data.memory;
  const raw = mem?.raw ?? mem?.stats ?? {};
  const limit = mem?.usage?.limit !== undefined && mem.usage.limit > 0 && mem.usage.limit < NO_LIMIT && mem.usage.limit < meta.hostMem ? mem.usage.limit : meta.hostMem;
  const blk = (list: BlkEntry[] | undefined) =>
    (list ?? []).map((e) => ({ major: e.major ?? 0, minor: e.minor ?? 0, op: e.op ?? '', value: e.value ?? 0 }));
  const out: ContainerStats = {
    id: meta.id,
    name: `/${meta.name}`,
    read: cur.read.toISOString(),
    preread: prev?.read.toISOString() ?? '0001-01-01T00:00:00Z',
    pids_stats: { current: cur.data.pids?.current ?? 0, ...(cur.data.pids?.limit ? { limit: cur.data.pids.limit } : {}) },
    num_procs: 0,
    cpu_stats: cpuOf(cur, meta.online),
    precpu_stats: prev === undefined ? emptyCpu() : cpuOf(prev, meta.online),
    memory_stats: { usage: mem?.usage?.usage ?? 0, limit, stats: raw },
    blkio_stats: {
      io_service_bytes_recursive: blk(cur.data.blkio?.ioServiceBytesRecursive),
      io_serviced_recursive: blk(cur.data.blkio?.ioServicedRecursive),
      io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null,
      io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
    },
  };
  if (cur.networks !== undefined) out.networks = cur.networks;
  return out;
}

/** The host's CPU time in nanoseconds, from /proc/stat (docker's system_cpu_usage). */
export function systemCpuNs(stat = readFileSync('/proc/stat', 'utf8')): number {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return 0;
  const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((s, v) => s + Number(v), 0);
  return ticks * 1e7; // USER_HZ is 100 on Linux
}

/** Interface counters of the container's network namespace, read through its init's /proc. */
export function netStats(pid: number): ContainerStats['networks'] | undefined {
  let text: string;
  try { text = readFileSync(`/proc/${pid}/net/dev`, 'utf8'); } catch { return undefined; }
  const out: NonNullable<ContainerStats['networks']> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (m === null || m[1] === 'lo') continue;
    const v = m[2]!.trim().split(/\s+/).map(Number);
    out[m[1]!] = { rx_bytes: v[0] ?? 0, rx_packets: v[1] ?? 0, rx_errors: v[2] ?? 0, rx_dropped: v[3] ?? 0, tx_bytes: v[8] ?? 0, tx_packets: v[9] ?? 0, tx_errors: v[10] ?? 0, tx_dropped: v[11] ?? 0 };
  }
  return out;
}

export async function stats(api: EngineApi, ref: string, opts: { stream: boolean; oneShot: boolean }): Promise<ApiStream<ContainerStats>> {
  const rec = await api.find(ref);
  const meta = { id: rec.id, name: rec.name, online: cpus().length, hostMem: totalmem() };
  const take = async (): Promise<Sample | undefined> => {
    const cur = getContainer(api.engine.db, rec.id);
    if (cur === undefined || !isLive(cur)) return undefined;
    const data = (await api.engine.runtime(cur).stats(cur.id).catch(() => undefined)) as { data?: RuncStatsData } | undefined;
    if (data === undefined) return undefined;
    const networks = netStats(cur.pid);
    return { read: new Date(), data: data.data ?? {}, systemNs: systemCpuNs(), ...(networks !== undefined ? { networks } : {}) };
  };
  const ch = new Channel<ContainerStats>(2);
  let timer: NodeJS.Timeout | undefined;
  ch.onClose(() => clearTimeout(timer));
  const stopped = (): ContainerStats => ({
    id: rec.id, name: `/${rec.name}`, read: '0001-01-01T00:00:00Z', preread: '0001-01-01T00:00:00Z', pids_stats: {}, num_procs: 0,
    cpu_stats: emptyCpu(), precpu_stats: emptyCpu(), memory_stats: {}, blkio_stats: {},
  });
  void (async () => {
    try {
      let prev = opts.oneShot ? undefined : await take();
      if (!opts.stream) {
        // Without one-shot, docker waits for a second sample so the CPU % has a delta.
        if (!opts.oneShot && prev !== undefined) await new Promise((r) => { timer = setTimeout(r, 500); });
        const cur = await take();
        await ch.push(cur === undefined ? stopped() : toDockerStats(cur, opts.oneShot ? undefined : prev, meta));
        ch.end();
        return;
      }
      if (prev === undefined) { await ch.push(stopped()); ch.end(); return; }
      await ch.push(toDockerStats(prev, undefined, meta));
      while (!ch.closed) {
        await new Promise((r) => { timer = setTimeout(r, 1000); });
        if (ch.closed) break;
        const cur = await take();
        if (cur === undefined) break;
        await ch.push(toDockerStats(cur, prev, meta));
        prev = cur;
      }
      ch.end();
    } catch (e) {
      ch.end(e);
    }
  })();
  return ch;
}
