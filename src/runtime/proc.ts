// Facts about host processes read from /proc.
import { readFileSync } from 'node:fs';

/** Field 22 (starttime) of /proc/PID/stat, or undefined when the process is gone. */
export function processStartTime(pid: number): string | undefined {
  const stat = readStat(pid);
  return stat?.fields[19];
}

/** The process's state letter (R, S, D, Z, T, ...) or undefined when it is gone. */
export function processState(pid: number): string | undefined {
  return readStat(pid)?.fields[0];
}

function readStat(pid: number): { fields: string[] } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: split after the last ')'.
  const end = text.lastIndexOf(')');
  return { fields: text.slice(end + 2).trim().split(' ') };
}

/** Alive and the same process (not a reused pid), and not a zombie. */
export function isSameProcessAlive(pid: number, startTime: string): boolean {
  const stat = readStat(pid);
  if (!stat) return false;
  return stat.fields[19] === startTime && stat.fields[0] !== 'Z' && stat.fields[0] !== 'X';
}
