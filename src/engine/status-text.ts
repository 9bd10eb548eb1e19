// The words docker prints for a container: the STATUS column of `ps` and the API's Status field
// ("Up 3 seconds (healthy)", "Exited (0) 2 minutes ago"), and the command line as `ps` shows it.
// One place, so the CLI and the API service say the same.
import type { ContainerRecord } from './records.js';

/** docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.round(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.round(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.round(h / 24 / 30)} months`;
  return `${Math.round(h / 24 / 365)} years`;
}

export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const ago = (t: string | null): string => (t === null ? '' : `${humanDuration(now - Date.parse(t))} ago`);
  const up = humanDuration(now - Date.parse(rec.startedAt ?? rec.createdAt));
  const health = rec.health === null ? '' : rec.health.Status === 'starting' ? ' (health: starting)' : ` (${rec.health.Status})`;
  switch (rec.state) {
    case 'running': return `Up ${up}${health}`;
    case 'paused': return `Up ${up} (Paused)`;
    case 'restarting': return `Restarting (${rec.exitCode}) ${ago(rec.finishedAt)}`;
    case 'exited': return `Exited (${rec.exitCode}) ${ago(rec.finishedAt)}`;
    case 'removing': return 'Removal In Progress';
    case 'dead': return 'Dead';
    default: return 'Created';
  }
}

/** The container's command line, an argument with spaces in double quotes. */
export function commandText(rec: ContainerRecord): string {
  return rec.config.resolved.args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');
}
