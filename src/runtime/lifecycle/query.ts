// Read-only verbs: state, list, ps, events.
import { execFileSync } from 'node:child_process';
import { Container } from './container.js';
import { storeOf, type RuntimeContext } from './context.js';
import { BerthError } from '../../errors.js';
import { toRuncStats } from './runc-stats.js';

export function containerState(ctx: RuntimeContext, id: string): Record<string, unknown> {
  return Container.load(ctx, id).publicState();
}

export interface ListEntry {
  ociVersion: string;
  id: string;
  pid: number;
  status: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations: Record<string, string>;
}

export function listContainers(ctx: RuntimeContext): ListEntry[] {
  const out: ListEntry[] = [];
  for (const id of storeOf(ctx).list()) {
    try {
      out.push(Container.load(ctx, id).publicState() as unknown as ListEntry);
    } catch { /* removed while listing */ }
  }
  return out;
}

export function containerPids(ctx: RuntimeContext, id: string): number[] {
  const c = Container.load(ctx, id);
  c.require('list processes of', ['created', 'running', 'paused']);
  return c.cgroup().pids().sort((a: number, b: number) => a - b);
}

/** `ps` table: the host's ps output filtered to the container's pids, as runc does. */
export function psTable(pids: number[], psArgs: string[]): string {
  const args = psArgs.length ? psArgs : ['-ef'];
  let text: string;
  try {
    text = execFileSync('ps', args, { encoding: 'utf8' });
  } catch (e) {
    throw new BerthError('BERTH_EINVAL', `ps ${args.join(' ')}: ${(e as Error).message}`, { cause: e });
  }
  const lines = text.split('\n');
  const header = lines[0] ?? '';
  const pidCol = header.trim().split(/\s+/).indexOf('PID');
  if (pidCol < 0) throw new BerthError('BERTH_EINVAL', `ps ${args.join(' ')}: output has no PID column`);
  const want = new Set(pids);
  const rows = lines.slice(1).filter((l) => l.trim() && want.has(Number(l.trim().split(/\s+/)[pidCol])));
  return [header, ...rows].join('\n') + '\n';
}

export function containerStats(ctx: RuntimeContext, id: string): Record<string, unknown> {
  const c = Container.load(ctx, id);
  c.require('get stats of', ['created', 'running', 'paused']);
  return { type: 'stats', id, data: toRuncStats(c.cgroup().stats()) };
}
