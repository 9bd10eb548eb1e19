// `update`: change the resource limits of a live container (runc's flags, or --resources FILE).
import { readFileSync, writeFileSync } from 'node:fs';
import { BerthError } from '../../errors.js';
import type { LinuxResources } from '../../oci/runtime-spec.js';
import { lockContainer } from '../state/lock.js';
import { Container } from './container.js';
import type { RuntimeContext } from './context.js';

export interface UpdateFlags {
  resources?: string;
  memory?: string;
  'memory-reservation'?: string;
  'memory-swap'?: string;
  'kernel-memory'?: string;
  'cpu-shares'?: string;
  'cpu-quota'?: string;
  'cpu-period'?: string;
  'cpu-rt-period'?: string;
  'cpu-rt-runtime'?: string;
  'cpuset-cpus'?: string;
  'cpuset-mems'?: string;
  'pids-limit'?: string;
  'blkio-weight'?: string;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4 };

/** "512m", "1g", "1048576", "-1" → bytes, as runc's and docker's units parser read them. */
export function parseBytes(flag: string, text: string): number {
  if (text === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new BerthError('BERTH_EINVAL', `invalid value "${text}" for --${flag}: want a size like 512m or 1g`);
  return Math.round(Number(m[1]) * unit);
}

function parseInt64(flag: string, text: string): number {
  if (!/^-?\d+$/.test(text)) throw new BerthError('BERTH_EINVAL', `invalid value "${text}" for --${flag}: not an integer`);
  return Number(text);
}

export function resourcesFromFlags(flags: UpdateFlags): LinuxResources {
  let r: LinuxResources = {};
  if (flags.resources) {
    const text = flags.resources === '-' ? readFileSync(0, 'utf8') : readFileSync(flags.resources, 'utf8');
    try {
      r = JSON.parse(text) as LinuxResources;
    } catch (e) {
      throw new BerthError('BERTH_EINVAL', `--resources: invalid JSON: ${(e as Error).message}`, { cause: e });
    }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new BerthError('BERTH_EINVAL', '--resources: want a JSON object (linux.resources)');
  }
  const mem = (r.memory ??= {});
  if (flags.memory !== undefined) mem.limit = parseBytes('memory', flags.memory);
  if (flags['memory-reservation'] !== undefined) mem.reservation = parseBytes('memory-reservation', flags['memory-reservation']);
  if (flags['memory-swap'] !== undefined) mem.swap = parseBytes('memory-swap', flags['memory-swap']);
  if (flags['kernel-memory'] !== undefined) mem.kernel = parseBytes('kernel-memory', flags['kernel-memory']);
  const cpu = (r.cpu ??= {});
  if (flags['cpu-shares'] !== undefined) cpu.shares = parseInt64('cpu-shares', flags['cpu-shares']);
  if (flags['cpu-quota'] !== undefined) cpu.quota = parseInt64('cpu-quota', flags['cpu-quota']);
  if (flags['cpu-period'] !== undefined) cpu.period = parseInt64('cpu-period', flags['cpu-period']);
  if (flags['cpu-rt-period'] !== undefined) cpu.realtimePeriod = parseInt64('cpu-rt-period', flags['cpu-rt-period']);
  if (flags['cpu-rt-runtime'] !== undefined) cpu.realtimeRuntime = parseInt64('cpu-rt-runtime', flags['cpu-rt-runtime']);
  if (flags['cpuset-cpus'] !== undefined) cpu.cpus = flags['cpuset-cpus'];
  if (flags['cpuset-mems'] !== undefined) cpu.mems = flags['cpuset-mems'];
  if (flags['pids-limit'] !== undefined) r.pids = { limit: parseInt64('pids-limit', flags['pids-limit']) };
  if (flags['blkio-weight'] !== undefined) r.blockIO = { ...(r.blockIO ?? {}), weight: parseInt64('blkio-weight', flags['blkio-weight']) };
  if (Object.keys(mem).length === 0) delete r.memory;
  if (Object.keys(cpu).length === 0) delete r.cpu;
  return r;
}

export function updateContainer(ctx: RuntimeContext, id: string, flags: UpdateFlags): void {
  const resources = resourcesFromFlags(flags);
  const lock = lockContainer(ctx.root, id);
  try {
    const c = Container.load(ctx, id);
    c.require('update', ['created', 'running', 'paused']);
    c.cgroup().update(resources);
    // Keep the stored spec in step, so that later reads (events, exec) see the new limits.
    const spec = c.spec();
    spec.linux ??= {};
    spec.linux.resources = mergeResources(spec.linux.resources ?? {}, resources);
    writeFileSync(c.state.configPath, JSON.stringify(spec));
  } finally {
    lock.release();
  }
}

function mergeResources(a: LinuxResources, b: LinuxResources): LinuxResources {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
      ? { ...(prev as object), ...(v as object) }
      : v;
  }
  return out as LinuxResources;
}
