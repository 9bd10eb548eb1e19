// `ps`: reconciled records, filtered as docker filters (status, name, id, label, ancestor, exited).
import { BerthError } from '../errors.js';
import type { Engine } from './engine.js';
import { dockerStatus } from './inspect.js';
import { listContainerRecords, type ContainerRecord } from './records.js';
import { reconcile } from './state.js';

export interface ListOptions {
  all?: boolean;
  filters?: string[];
}

const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

export function parseFilters(filters: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new BerthError('BERTH_EINVAL', `bad filter "${f}": want KEY=VALUE`);
    const key = f.slice(0, eq);
    if (!['status', 'name', 'id', 'label', 'ancestor', 'exited', 'health'].includes(key)) throw new BerthError('BERTH_EINVAL', `invalid filter "${key}"`);
    const value = f.slice(eq + 1);
    if (key === 'status' && !STATUSES.has(value)) throw new BerthError('BERTH_EINVAL', `invalid filter status=${value}: want one of ${[...STATUSES].join(', ')}`);
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

function matches(rec: ContainerRecord, f: Map<string, string[]>): boolean {
  const any = (key: string, test: (v: string) => boolean): boolean => {
    const vals = f.get(key);
    return vals === undefined || vals.some(test);
  };
  const labels = { ...rec.config.resolved.imageLabels, ...rec.config.request.labels };
  return (
    any('status', (v) => dockerStatus(rec) === v) &&
    any('name', (v) => rec.name.includes(v.replace(/^\//, '')) || (v.startsWith('^') && new RegExp(v).test(rec.name))) &&
    any('id', (v) => rec.id.startsWith(v)) &&
    any('label', (v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in labels : labels[v.slice(0, eq)] === v.slice(eq + 1);
    }) &&
    any('ancestor', (v) => rec.imageName === v || rec.imageId === v || (rec.imageId ?? '').startsWith(`sha256:${v}`) || rec.imageName.split(':')[0] === v) &&
    any('exited', (v) => rec.state === 'exited' && String(rec.exitCode) === v) &&
    any('health', (v) => (rec.health?.Status ?? 'none') === v)
  );
}

export async function listContainers(engine: Engine, opts: ListOptions = {}): Promise<ContainerRecord[]> {
  const filters = parseFilters(opts.filters ?? []);
  const out: ContainerRecord[] = [];
  for (const r of listContainerRecords(engine.db)) {
    const rec = await reconcile(engine, r);
    if (rec === undefined) continue;
    // Half-made rows are an implementation detail, never shown.
    if (rec.state === 'creating') continue;
    const running = rec.state === 'running' || rec.state === 'paused' || rec.state === 'restarting';
    if (!opts.all && !running && !filters.has('status')) continue;
    if (matches(rec, filters)) out.push(rec);
  }
  return out;
}
