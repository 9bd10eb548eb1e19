// Parsers for docker's flag values (sizes, durations, cpus, restart policies, ulimits, -v, --mount,
// --tmpfs, --env-file). Pure, so every rule is unit-tested; each error is one line naming the flag.
import { readFileSync } from 'node:fs';
import { BerthError } from '../errors.js';
import type { MountSpec, RestartPolicy, ThrottleDevice, Ulimit } from './config.js';

function bad(flag: string, value: string, want: string): BerthError {
  return new BerthError('BERTH_EINVAL', `invalid value "${value}" for ${flag}: ${want}`);
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** docker's RAMInBytes: 64m, 1g, 512k, 1024 (bytes); units are binary. */
export function parseBytes(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtb]?)(?:i?b)?$/i.exec(text.trim());
  if (m === null) throw bad(flag, text, 'want a size such as 512m or 1g');
  const n = Math.floor(Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(n)) throw bad(flag, text, 'too large');
  return n;
}

/** --memory-swap: a size, or -1 for unlimited. */
export function parseSwap(text: string): number {
  return text.trim() === '-1' ? -1 : parseBytes('--memory-swap', text);
}

/** --cpus 1.5 → nano cpus (docker's NanoCPUs). */
export function parseCpus(text: string): number {
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || Number(text) <= 0) throw bad('--cpus', text, 'want a positive number such as 1.5');
  return Math.round(Number(text) * 1e9);
}

/** Nano cpus → CFS quota over docker's 100ms period. */
export function cpuQuota(nanoCpus: number): { quota: number; period: number } {
  const period = 100_000;
  return { quota: Math.round((nanoCpus * period) / 1e9), period };
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration subset docker uses: "30s", "1m30s", "500ms"; returns nanoseconds. */
export function parseDuration(flag: string, text: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(t); m !== null; m = re.exec(t)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2]!] ?? 0);
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== t.length) throw bad(flag, text, 'want a duration such as 30s or 1m30s');
  return Math.round(total);
}

export function parseRestart(text: string): RestartPolicy {
  const [name, count, ...rest] = text.split(':');
  if (rest.length > 0) throw bad('--restart', text, 'want no, always, unless-stopped or on-failure[:N]');
  if (name === 'no' || name === 'always' || name === 'unless-stopped') {
    if (count !== undefined) throw bad('--restart', text, `${name} takes no retry count`);
    return { name, maximumRetryCount: 0 };
  }
  if (name === 'on-failure') {
    if (count !== undefined && !/^\d+$/.test(count)) throw bad('--restart', text, 'the retry count must be a number');
    return { name, maximumRetryCount: count === undefined ? 0 : Number(count) };
  }
  throw bad('--restart', text, 'want no, always, unless-stopped or on-failure[:N]');
}

const ULIMITS = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack', 'as']);

/** --ulimit nofile=1024[:2048] (-1 = unlimited). */
export function parseUlimit(text: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(text);
  if (m === null || !ULIMITS.has(m[1]!)) throw bad('--ulimit', text, 'want NAME=SOFT[:HARD], e.g. nofile=1024:2048');
  const num = (s: string): number => (s === '-1' ? Number.MAX_SAFE_INTEGER : Number(s));
  const soft = num(m[2]!);
  const hard = m[3] === undefined ? soft : num(m[3]);
  if (soft > hard) throw bad('--ulimit', text, 'the soft limit is above the hard limit');
  return { name: m[1]!, soft, hard };
}

/** -v SRC:DST[:ro|rw[,…]], -v DST (anonymous volume), -v NAME:DST (named volume). */
export function parseVolumeFlag(text: string): MountSpec {
  const parts = text.split(':');
  if (parts.length === 1) return { type: 'volume', source: '', target: checkTarget('-v', parts[0]!), readOnly: false, options: [], anonymous: true };
  if (parts.length > 3) throw bad('-v', text, 'want SOURCE:DESTINATION[:OPTIONS]');
  const [source, target, opts = ''] = parts as [string, string, string?];
  let readOnly = false;
  const options: string[] = [];
  for (const o of opts.split(',').filter((x) => x !== '')) {
    if (o === 'ro') readOnly = true;
    else if (o === 'rw') readOnly = false;
    else if (['z', 'Z'].includes(o)) continue; // SELinux relabel: nothing to do without SELinux
    else if (['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'nocopy'].includes(o)) options.push(o);
    else throw bad('-v', text, `unknown option "${o}"`);
  }
  checkTarget('-v', target);
  if (source === '') throw bad('-v', text, 'the source is empty');
  if (source.startsWith('/')) return { type: 'bind', source, target, readOnly, options };
  if (source.startsWith('.')) throw bad('-v', text, 'a bind source must be an absolute path');
  checkVolumeName(source);
  return { type: 'volume', source, target, readOnly, options };
}

/** --mount type=bind|volume|tmpfs,source=…,target=…[,readonly][,tmpfs-size=…][,tmpfs-mode=…] */
export function parseMountFlag(text: string): MountSpec {
  const kv = new Map<string, string>();
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    kv.set(key, eq < 0 ? 'true' : field.slice(eq + 1));
  }
  const type = kv.get('type') ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw bad('--mount', text, 'type must be bind, volume or tmpfs');
  const target = kv.get('target') ?? kv.get('destination') ?? kv.get('dst');
  if (target === undefined) throw bad('--mount', text, 'target is required');
  checkTarget('--mount', target);
  const source = kv.get('source') ?? kv.get('src') ?? '';
  const ro = kv.get('readonly') ?? kv.get('ro');
  const readOnly = ro !== undefined && ro !== 'false' && ro !== '0';
  if (type === 'tmpfs') {
    const options: string[] = [];
    if (kv.has('tmpfs-size')) options.push(`size=${parseBytes('--mount tmpfs-size', kv.get('tmpfs-size')!)}`);
    if (kv.has('tmpfs-mode')) options.push(`mode=${kv.get('tmpfs-mode')}`);
    return { type, source: '', target, readOnly, options };
  }
  if (type === 'bind') {
    if (!source.startsWith('/')) throw bad('--mount', text, 'a bind source must be an absolute path');
    return { type, source, target, readOnly, options: kv.has('bind-propagation') ? [kv.get('bind-propagation')!] : [] };
  }
  if (source !== '') checkVolumeName(source);
  return { type, source, target, readOnly, options: [], ...(source === '' ? { anonymous: true } : {}) };
}

/** --tmpfs /run[:rw,size=64m,mode=1777] */
export function parseTmpfsFlag(text: string): MountSpec {
  const colon = text.indexOf(':');
  const target = checkTarget('--tmpfs', colon < 0 ? text : text.slice(0, colon));
  const options: string[] = [];
  let readOnly = false;
  for (const o of (colon < 0 ? '' : text.slice(colon + 1)).split(',').filter((x) => x !== '')) {
    if (o === 'ro') readOnly = true;
    else if (o === 'rw') readOnly = false;
    else if (o.startsWith('size=')) options.push(`size=${parseBytes('--tmpfs size', o.slice(5))}`);
    else if (/^(mode=[0-7]{3,4}|uid=\d+|gid=\d+|nr_inodes=\d+[kmg]?|noexec|exec|nosuid|suid|nodev|dev)$/.test(o)) options.push(o);
    else throw bad('--tmpfs', text, `unknown option "${o}"`);
  }
  return { type: 'tmpfs', source: '', target, readOnly, options };
}

function checkTarget(flag: string, target: string): string {
  if (!target.startsWith('/')) throw bad(flag, target, 'the destination must be an absolute path');
  if (target.split('/').includes('..')) throw bad(flag, target, 'the destination must not contain ".."');
  return target;
}

export function checkVolumeName(name: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw new BerthError('BERTH_EINVAL', `invalid volume name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name;
}

/** --device-read-bps /dev/sda:1mb */
export function parseThrottle(flag: string, text: string): ThrottleDevice {
  const colon = text.lastIndexOf(':');
  if (colon <= 0 || !text.startsWith('/dev/')) throw bad(flag, text, 'want DEVICE:RATE, e.g. /dev/sda:1mb');
  return { path: text.slice(0, colon), rate: parseBytes(flag, text.slice(colon + 1)) };
}

/** One KEY=VALUE per line; `#` comments and blank lines skipped; a bare KEY takes the host's value. */
export function parseEnvFileText(text: string, hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) continue;
    out.push(...expandEnv(line, hostEnv));
  }
  return out;
}

export function readEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new BerthError('BERTH_EINVAL', `--env-file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseEnvFileText(text);
}

/** -e KEY=VALUE as is; -e KEY takes the host's value, or is dropped when the host has none. */
export function expandEnv(entry: string, hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  if (entry.startsWith('=')) throw bad('-e', entry, 'the variable name is empty');
  if (entry.includes('=')) return [entry];
  const v = hostEnv[entry];
  return v === undefined ? [] : [`${entry}=${v}`];
}

/** -l KEY=VALUE (a bare KEY is an empty label). */
export function parseLabel(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq === 0) throw bad('--label', text, 'the key is empty');
  return eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)];
}

/** Merges env lists: later entries replace earlier ones with the same name. */
export function mergeEnv(...lists: string[][]): string[] {
  const map = new Map<string, string>();
  for (const list of lists) for (const e of list) map.set(e.split('=')[0]!, e);
  return [...map.values()];
}
