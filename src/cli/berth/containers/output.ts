// Printing for the container verbs: aligned tables, `--format json` (one object per line, as
// docker), and `--format '{{.Field}}'` templates (field access and `json`, docker's common subset).
import { BerthError } from '../../../errors.js';

export function write(text: string): void {
  process.stdout.write(text);
}

export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n') + '\n';
}

function field(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.').filter((p) => p !== '')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'object') return Array.isArray(v) ? `[${v.map(show).join(' ')}]` : `map[${Object.entries(v as object).map(([k, x]) => `${k}:${show(x)}`).join(' ')}]`;
  return String(v);
}

/** A go-template subset: {{.A.B}}, {{json .A}}, {{json .}}, literal text, \t and \n. */
export function renderTemplate(tpl: string, obj: unknown): string {
  const body = tpl.replace(/^table\s+/, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return body.replace(/\{\{\s*(json\s+)?\.([A-Za-z0-9_.]*)\s*\}\}/g, (_, json: string | undefined, path: string) => {
    const v = path === '' ? obj : field(obj, path);
    return json !== undefined ? JSON.stringify(v ?? null) : show(v);
  });
}

export type Format = { kind: 'table' } | { kind: 'json' } | { kind: 'template'; tpl: string };

export function parseFormat(text: string | undefined): Format {
  if (text === undefined || text === '' || text === 'table') return { kind: 'table' };
  if (text === 'json' || text === '{{json .}}') return { kind: 'json' };
  if (!text.includes('{{')) throw new BerthError('BERTH_EINVAL', `invalid --format "${text}": want table, json or a {{.Field}} template`);
  return { kind: 'template', tpl: text };
}

/** Prints items per the format; `rows` renders the table (header first). */
export function printItems<T>(items: T[], format: Format, rows: (items: T[]) => string[][]): void {
  if (format.kind === 'json') write(items.map((i) => JSON.stringify(i) + '\n').join(''));
  else if (format.kind === 'template') write(items.map((i) => renderTemplate(format.tpl, i) + '\n').join(''));
  else write(table(rows(items)));
}

export { humanDuration } from '../../../engine/status-text.js';

export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)}${units[i]}`;
}

export function humanBinary(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(2)}${units[i]}`;
}
