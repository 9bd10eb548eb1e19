// Printing helpers of the image verbs: tables with columns padded like docker's, sizes and ages.

import { familiarString, parseReference } from '../../../image/reference.js';

export { humanSize } from '../../../image/progress.js';

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd()).join('\n') + '\n';
}

export function ago(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'unknown';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  const unit = (n: number, u: string): string => `${n} ${u}${n === 1 ? '' : 's'} ago`;
  if (s < 60) return s < 2 ? 'Less than a second ago' : unit(s, 'second');
  if (s < 3600) return unit(Math.floor(s / 60), 'minute');
  if (s < 86400 * 2) return unit(Math.floor(s / 3600), 'hour');
  if (s < 86400 * 14) return unit(Math.floor(s / 86400), 'day');
  if (s < 86400 * 60) return unit(Math.floor(s / 86400 / 7), 'week');
  if (s < 86400 * 365 * 2) return unit(Math.floor(s / 86400 / 30), 'month');
  return unit(Math.floor(s / 86400 / 365), 'year');
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** `docker.io/library/busybox:latest` → repository `busybox`, tag `latest`. */
export function splitTag(tag: string): { repository: string; tag: string } {
  const shown = familiarString(parseReference(tag));
  const i = shown.lastIndexOf(':');
  return i > shown.lastIndexOf('/') ? { repository: shown.slice(0, i), tag: shown.slice(i + 1) } : { repository: shown, tag: '<none>' };
}

export function out(s: string): void {
  process.stdout.write(s);
}
