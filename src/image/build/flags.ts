// Instruction flags (`--from=…`, `--mount=…`, `--link` …): the words at the start of the arguments that
// begin with `--`. Quotes inside a flag word are removed and `\` escapes one character; a bare `--`
// ends the flags.

import type { CacheSharing, Mount, MountType } from './ast.js';

export class FlagError extends Error {}

export interface ExtractedFlags {
  readonly flags: readonly string[];
  readonly rest: string;
}

export function extractFlags(text: string): ExtractedFlags {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (!text.startsWith('--', pos)) return { flags, rest: text.slice(pos) };
    let word = '';
    let quote: string | null = null;
    for (; pos < text.length; pos++) {
      const ch = text[pos]!;
      if (quote === null && /\s/.test(ch)) break;
      if (ch === '\\' && pos + 1 < text.length && quote !== "'") {
        word += text[++pos]!;
      } else if (quote === null && (ch === '"' || ch === "'")) {
        quote = ch;
      } else if (ch === quote) {
        quote = null;
      } else {
        word += ch;
      }
    }
    if (word === '--') return { flags, rest: text.slice(pos).trimStart() };
    flags.push(word);
  }
}

export type FlagKind = 'string' | 'bool' | 'list';

export interface ParsedFlags {
  readonly strings: ReadonlyMap<string, string>;
  readonly bools: ReadonlyMap<string, boolean>;
  readonly lists: ReadonlyMap<string, readonly string[]>;
}

/** Checks flag names and value shapes against what the instruction accepts. */
export function parseFlags(instruction: string, words: readonly string[], spec: Readonly<Record<string, FlagKind>>): ParsedFlags {
  const strings = new Map<string, string>();
  const bools = new Map<string, boolean>();
  const lists = new Map<string, string[]>();
  for (const word of words) {
    const body = word.slice(2);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const value = eq < 0 ? undefined : body.slice(eq + 1);
    const kind = spec[name];
    if (kind === undefined) throw new FlagError(`unknown flag: ${name}`);
    if (kind === 'bool') {
      if (value === undefined || value === '' || value.toLowerCase() === 'true') bools.set(name, true);
      else if (value.toLowerCase() === 'false') bools.set(name, false);
      else throw new FlagError(`expecting boolean value for flag ${name}, not: ${value}`);
      continue;
    }
    if (value === undefined) throw new FlagError(`missing a value on flag: ${name}`);
    if (kind === 'list') {
      lists.set(name, [...(lists.get(name) ?? []), value]);
    } else {
      if (strings.has(name)) throw new FlagError(`duplicate flag specified: ${name}`);
      strings.set(name, value);
    }
  }
  return { strings, bools, lists };
}

/** Splits one comma-separated field list the way a CSV reader does (double quotes group a field). */
function splitCsv(text: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      if (quoted && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else {
        quoted = !quoted;
      }
    } else if (ch === ',' && !quoted) {
      fields.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (quoted) throw new FlagError(`unterminated quote in mount: ${text}`);
  fields.push(cur);
  return fields;
}

const MOUNT_TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: readonly CacheSharing[] = ['shared', 'private', 'locked'];

function parseBool(key: string, value: string | undefined): boolean {
  if (value === undefined || value === '' || value.toLowerCase() === 'true') return true;
  if (value.toLowerCase() === 'false') return false;
  throw new FlagError(`invalid value for ${key}: ${value}`);
}

function parseUint(key: string, value: string | undefined, base: 8 | 10): number {
  const re = base === 8 ? /^0?[0-7]+$/ : /^[0-9]+$/;
  if (value === undefined || !re.test(value)) throw new FlagError(`invalid value for ${key}: ${value ?? ''}`);
  return parseInt(value, base);
}

/** `--mount=type=cache,target=/root/.cache,sharing=locked` → Mount. */
export function parseMount(value: string): Mount {
  const m: { -readonly [K in keyof Mount]?: Mount[K] } = { readonly: false };
  let type: MountType = 'bind';
  const fields = splitCsv(value).filter((f) => f !== '');
  // The type decides which keys are valid, so read it before the others.
  for (const f of fields) {
    const [k, v] = splitField(f);
    if (k.toLowerCase() === 'type') {
      if (!MOUNT_TYPES.includes(v as MountType)) throw new FlagError(`unsupported mount type "${v ?? ''}"`);
      type = v as MountType;
    }
  }
  let readwrite = false;
  for (const f of fields) {
    const [rawKey, v] = splitField(f);
    const k = rawKey.toLowerCase();
    switch (k) {
      case 'type': break;
      case 'target': case 'dst': case 'destination': m.target = need(k, v); break;
      case 'source': case 'src': m.source = need(k, v); break;
      case 'from': m.from = need(k, v); break;
      case 'id': m.id = need(k, v); break;
      case 'readonly': case 'ro': m.readonly = parseBool(k, v); break;
      case 'readwrite': case 'rw': readwrite = parseBool(k, v); break;
      case 'sharing':
        if (!SHARING.includes(v as CacheSharing)) throw new FlagError(`unsupported sharing value "${v ?? ''}"`);
        m.sharing = v as CacheSharing;
        break;
      case 'mode': m.mode = parseUint(k, v, 8); break;
      case 'uid': m.uid = parseUint(k, v, 10); break;
      case 'gid': m.gid = parseUint(k, v, 10); break;
      case 'required': m.required = parseBool(k, v); break;
      case 'env': m.env = need(k, v); break;
      case 'size': m.size = parseSize(need(k, v)); break;
      default: throw new FlagError(`unexpected key '${rawKey}' in '${f}'`);
    }
  }
  // A bind mount is read-only unless rw is given; the other kinds are writable unless ro is given.
  if (type === 'bind') m.readonly = !readwrite;
  if (type === 'cache' && m.sharing === undefined) m.sharing = 'shared';
  if ((type === 'bind' || type === 'cache' || type === 'tmpfs') && m.target === undefined) {
    throw new FlagError(`mount type ${type} requires a target`);
  }
  if (type === 'secret' && m.id === undefined && m.target === undefined && m.env === undefined) {
    throw new FlagError('secret mount requires an id, a target or an env');
  }
  return { ...m, type } as Mount;
}

function splitField(f: string): [string, string | undefined] {
  const eq = f.indexOf('=');
  return eq < 0 ? [f, undefined] : [f.slice(0, eq), f.slice(eq + 1)];
}

function need(key: string, v: string | undefined): string {
  if (v === undefined || v === '') throw new FlagError(`mount option ${key} needs a value`);
  return v;
}

function parseSize(v: string): number {
  const m = /^([0-9]+)\s*([kmgt]?)i?b?$/i.exec(v);
  if (!m) throw new FlagError(`invalid size: ${v}`);
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Number(m[1]) * mult[m[2]!.toLowerCase()]!;
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration grammar (`1m30s`, `1.5h`, `300ms`, `0`), in nanoseconds. */
export function parseGoDuration(text: string): number {
  if (text === '0') return 0;
  const m = /^([+-]?)((?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(text);
  if (!m) throw new FlagError(`time: invalid duration "${text}"`);
  let total = 0;
  for (const part of m[2]!.matchAll(/([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * DURATION_UNITS[part[2]!]!;
  }
  return Math.round(m[1] === '-' ? -total : total);
}
