// A small argument parser with the conventions of runc/urfave-cli and docker:
// `--flag value`, `--flag=value`, `-flag value`, boolean flags, repeated flags, `--` ends flags.
import { BerthError } from '../errors.js';

export type FlagKind = 'bool' | 'string' | 'strings' | 'int';

export interface FlagSpec {
  kind: FlagKind;
  short?: string;
  default?: string | boolean | number;
  /** Accepted and ignored (runc compatibility). */
  ignored?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface Parsed {
  flags: Record<string, string | boolean | number | string[] | undefined>;
  positionals: string[];
}

/**
 * Parses flags until the first positional when `stopAtPositional` is set (global flags before a
 * command, or `exec ID CMD...` where the command's own flags must pass through untouched).
 */
export function parseArgs(argv: string[], specs: FlagSpecs, opts: { stopAtPositional?: boolean; what?: string } = {}): Parsed {
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.short) byShort.set(spec.short, name);
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.default !== undefined) flags[name] = spec.default;
    else if (spec.kind === 'strings') flags[name] = [];
  }
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { i++; break; }
    if (!arg.startsWith('-') || arg === '-') {
      if (opts.stopAtPositional) break;
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    const body = arg.replace(/^--?/, '');
    if (eq >= 0) { name = arg.slice(arg.startsWith('--') ? 2 : 1, eq); inline = arg.slice(eq + 1); }
    else name = body;
    let spec = specs[name];
    if (!spec && !arg.startsWith('--')) {
      // bundled short booleans, e.g. -it
      const expanded = [...name].map((c) => byShort.get(c));
      if (name.length > 1 && inline === undefined && expanded.every((n) => n && specs[n]!.kind === 'bool')) {
        for (const n of expanded) flags[n!] = true;
        continue;
      }
      const long = byShort.get(name);
      if (long) { name = long; spec = specs[long]; }
    }
    if (!spec) throw new BerthError('BERTH_EINVAL', `${opts.what ? opts.what + ': ' : ''}unknown flag: ${arg.split('=')[0]}`);
    if (spec.kind === 'bool') {
      if (inline === undefined) flags[name] = true;
      else if (inline === 'true' || inline === 'false') flags[name] = inline === 'true';
      else throw new BerthError('BERTH_EINVAL', `invalid value "${inline}" for flag --${name}: want true or false`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new BerthError('BERTH_EINVAL', `flag needs an argument: --${name}`);
      value = argv[++i]!;
    }
    if (spec.kind === 'int') {
      if (!/^-?\d+$/.test(value)) throw new BerthError('BERTH_EINVAL', `invalid value "${value}" for flag --${name}: not an integer`);
      flags[name] = Number(value);
    } else if (spec.kind === 'strings') {
      (flags[name] as string[]).push(value);
    } else flags[name] = value;
  }
  positionals.push(...argv.slice(i));
  return { flags, positionals };
}
