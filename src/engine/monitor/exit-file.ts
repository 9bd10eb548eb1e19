// Reads the exit record the monitor writes (tmp + rename, so a present file is always whole).
import { readFile } from 'node:fs/promises';
import { BerthError } from '../../errors.js';

export interface ExitRecord {
  /** Exit status, or 128 + signal when the init was killed. */
  exitCode: number;
  signal: number | null;
  oomKilled: boolean;
  /** RFC 3339 with nanoseconds, UTC. */
  finishedAt: string;
}

export function parseExitRecord(text: string, where = 'exit file'): ExitRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new BerthError('BERTH_EINTERNAL', `${where}: not JSON`, { cause: e });
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const ok =
    Number.isSafeInteger(o.exitCode) &&
    (o.signal === null || Number.isSafeInteger(o.signal)) &&
    typeof o.oomKilled === 'boolean' &&
    typeof o.finishedAt === 'string' &&
    !Number.isNaN(Date.parse(o.finishedAt));
  if (!ok) throw new BerthError('BERTH_EINTERNAL', `${where}: unexpected content ${text.trim().slice(0, 200)}`);
  return { exitCode: o.exitCode as number, signal: o.signal as number | null, oomKilled: o.oomKilled as boolean, finishedAt: o.finishedAt as string };
}

/** The exit record, or null while the container has not exited. */
export async function readExitFile(path: string): Promise<ExitRecord | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return parseExitRecord(text, path);
}
