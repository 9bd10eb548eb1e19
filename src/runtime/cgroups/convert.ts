// Pure conversions and checks shared by both drivers: OCI values (designed around
// cgroup v1) to kernel file contents, and parsers for the kernel's stat formats.

import { BerthError } from '../../errors.js';
import type { LinuxResources } from './resources.js';

/**
 * cgroup v1 cpu.shares [2, 262144] → v2 cpu.weight [1, 10000].
 *
 * This is the quadratic-in-log2 mapping runc (≥ 1.3.2, via opencontainers/cgroups) and
 * crun (≥ 1.23) adopted in 2025: it fits both ends of the range and maps the v1
 * default 1024 to the v2 default 100. The older linear formula
 * 1 + (shares − 2) × 9999 / 262142 gave 1024 → 39, silently giving every container
 * ~40% of the priority of host processes. 0 means "unset".
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(Math.pow(10, exponent));
}

/** The pre-2025 linear mapping, kept for comparing against older runc/crun on v2 hosts. */
export function sharesToWeightLinear(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/**
 * blkio.weight [10, 1000] → io.weight [1, 10000], linear like runc. Only needed when
 * the kernel lacks io.bfq.weight, which takes the v1 scale as is. 0 means "unset".
 */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * OCI memory.swap is memory+swap (the v1 memsw counter); v2's memory.swap.max is swap
 * alone. Returns the value for memory.swap.max, or undefined to leave it alone.
 * `limit` is the memory limit in effect (-1 when unlimited).
 */
export function swapToV2(swap: number | undefined, limit: number | undefined): string | undefined {
  // Unlimited memory with swap unset means "unlimited both", as on v1.
  if (limit === -1 && (swap === undefined || swap === 0)) return 'max';
  if (swap === undefined || swap === 0) return undefined;
  if (swap === -1) return 'max';
  if (limit === undefined || limit <= 0) {
    throw new BerthError('BERTH_EINVAL', `memory.swap ${swap} needs a memory limit (swap is memory+swap, so cgroup v2 cannot derive the swap part)`);
  }
  if (swap < limit) throw new BerthError('BERTH_EINVAL', `memory.swap ${swap} is below memory.limit ${limit} (swap is memory+swap)`);
  return String(swap - limit);
}

/** pids.max content: positive → the number, 0 or -1 → unlimited. */
export function pidsMax(limit: number): string {
  return limit > 0 ? String(limit) : 'max';
}

/** Major or minor for device rules: absent or negative means "any". */
export function devNum(n: number | undefined): string {
  return n === undefined || n < 0 ? '*' : String(n);
}

const PAGE_SIZE_RE = /^[0-9]+[KMGTP]?B$/;
const UNIFIED_KEY_RE = /^[A-Za-z0-9_]+\.[A-Za-z0-9_.]+$/;

/**
 * Checks done before any file is written, so a bad request leaves the cgroup as it was.
 * Names here become file names, so they are held to the kernel's own shapes.
 */
export function checkResources(r: LinuxResources): void {
  const m = r.memory;
  if (m?.swappiness !== undefined && (m.swappiness < 0 || m.swappiness > 100 || !Number.isInteger(m.swappiness))) {
    throw new BerthError('BERTH_EINVAL', `memory.swappiness ${m.swappiness} is outside 0-100`);
  }
  if (m?.limit !== undefined && m.swap !== undefined && m.limit > 0 && m.swap > 0 && m.swap < m.limit) {
    throw new BerthError('BERTH_EINVAL', `memory.swap ${m.swap} is below memory.limit ${m.limit} (swap is memory+swap)`);
  }
  for (const h of r.hugepageLimits ?? []) {
    if (!PAGE_SIZE_RE.test(h.pageSize)) throw new BerthError('BERTH_EINVAL', `hugepageLimits pageSize ${JSON.stringify(h.pageSize)} is not like "2MB"`);
  }
  for (const d of r.devices ?? []) {
    if (d.type !== undefined && !['a', 'b', 'c'].includes(d.type)) {
      throw new BerthError('BERTH_EINVAL', `device rule type ${JSON.stringify(d.type)} is not one of a, b, c`);
    }
    if (d.access !== undefined && !/^[rwm]*$/.test(d.access)) {
      throw new BerthError('BERTH_EINVAL', `device rule access ${JSON.stringify(d.access)} is not made of r, w, m`);
    }
  }
  for (const name of Object.keys(r.rdma ?? {})) {
    if (!/^[A-Za-z0-9_.:-]+$/.test(name)) throw new BerthError('BERTH_EINVAL', `rdma device name ${JSON.stringify(name)} is not valid`);
  }
  for (const p of r.network?.priorities ?? []) {
    if (!/^[^\s/]+$/.test(p.name)) throw new BerthError('BERTH_EINVAL', `network priority interface ${JSON.stringify(p.name)} is not valid`);
  }
  for (const [key, value] of Object.entries(r.unified ?? {})) {
    if (key.includes('/') || key.includes('..') || !UNIFIED_KEY_RE.test(key)) {
      throw new BerthError('BERTH_EINVAL', `unified key ${JSON.stringify(key)} is not a cgroup file name`);
    }
    if (typeof value !== 'string') throw new BerthError('BERTH_EINVAL', `unified value for ${JSON.stringify(key)} is not a string`);
  }
}

export function hasAny(o: object | undefined): boolean {
  return o !== undefined && Object.values(o).some((v) => v !== undefined);
}

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat) → numbers. */
export function parseFlatKeyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k === undefined || k === '' || v === undefined) continue;
    const n = Number(v);
    if (Number.isFinite(n)) out[k] = n;
  }
  return out;
}

/** A number, or undefined for "max" and v1's "unlimited" (near 2^63, a page-rounded LLONG_MAX). */
export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined || text === 'max' || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n >= 2 ** 62) return undefined;
  return n;
}

export function parseNum(text: string | undefined): number {
  const n = Number(text ?? '');
  return Number.isFinite(n) ? n : 0;
}

export interface BlkioStatEntry {
  major: number;
  minor: number;
  /** "Read", "Write", "Sync", "Async", "Discard", "Total". */
  op: string;
  value: number;
}

/** v1 blkio.*io_service_bytes / io_serviced: "8:0 Read 4096" lines and a "Total N" line. */
export function parseBlkioV1(text: string | undefined): BlkioStatEntry[] {
  const out: BlkioStatEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [dev, op, v] = line.trim().split(/\s+/);
    const mm = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (mm === null || op === undefined || v === undefined) continue;
    out.push({ major: Number(mm[1]), minor: Number(mm[2]), op, value: Number(v) });
  }
  return out;
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0", in v1's shape. */
export function parseIoStatV2(text: string | undefined): { bytes: BlkioStatEntry[]; ios: BlkioStatEntry[] } {
  const bytes: BlkioStatEntry[] = [];
  const ios: BlkioStatEntry[] = [];
  const ops: Record<string, [BlkioStatEntry[], string]> = {
    rbytes: [bytes, 'Read'], wbytes: [bytes, 'Write'], dbytes: [bytes, 'Discard'],
    rios: [ios, 'Read'], wios: [ios, 'Write'], dios: [ios, 'Discard'],
  };
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const mm = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (mm === null) continue;
    for (const kv of kvs) {
      const [k, v] = kv.split('=');
      const target = k === undefined ? undefined : ops[k];
      if (target === undefined || v === undefined) continue;
      target[0].push({ major: Number(mm[1]), minor: Number(mm[2]), op: target[1], value: Number(v) });
    }
  }
  return { bytes, ios };
}
