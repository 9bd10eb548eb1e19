// .dockerignore: reading the file, matching paths the way Docker's pattern matcher does, and walking a
// build context to the list of entries that are sent.
//
// Rules (Docker's): a line starting with `#` in column 1 is a comment; lines are trimmed and cleaned
// like Go's filepath.Clean, a leading `/` dropped; `!` makes an exception. Patterns use Go's
// filepath.Match syntax (`*` and `?` stop at `/`, `[a-c]` and `[^a-c]` classes, `\` escapes) plus `**`
// for any number of directories. A pattern that matches a directory matches everything under it, and
// the last pattern that matches a path decides.

import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { BerthError } from '../../errors.js';

export class PatternError extends Error {}

/** Go's filepath.Clean for slash paths: `a//b/./c/..` → `a/b`, `` → `.`. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** The patterns of a .dockerignore file, cleaned, in order (`!` kept as a prefix). */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (const raw of body.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('#')) continue;
    let p = line.trim();
    if (p === '') continue;
    const invert = p.startsWith('!');
    if (invert) p = p.slice(1).trim();
    if (p !== '') {
      p = cleanPath(p);
      if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
    }
    out.push(invert ? `!${p}` : p);
  }
  return out;
}

export async function readDockerignore(contextDir: string): Promise<string[]> {
  try {
    return parseDockerignore(await readFile(join(contextDir, '.dockerignore'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** A `[...]` class starting at `pattern[start] === '['` → JS class source and the index after `]`. */
function compileClass(pattern: string, start: number): { re: string; end: number } {
  let i = start + 1;
  let re = '[';
  if (pattern[i] === '^') {
    re += '^';
    i++;
  }
  let elements = 0;
  const char = (): string => {
    let ch = pattern[i];
    if (ch === undefined || ch === '-' || ch === ']') throw new PatternError('syntax error in pattern');
    if (ch === '\\') {
      ch = pattern[++i];
      if (ch === undefined) throw new PatternError('syntax error in pattern');
    }
    i++;
    return ch;
  };
  for (;;) {
    if (pattern[i] === ']' && elements > 0) return { re: `${re}]`, end: i + 1 };
    const lo = char();
    if (pattern[i] === '-') {
      i++;
      const hi = char();
      if (hi < lo) throw new PatternError('syntax error in pattern');
      re += `${escapeRe(lo)}-${escapeRe(hi)}`;
    } else {
      re += escapeRe(lo);
    }
    elements++;
  }
}

type Kind = 'exact' | 'prefix' | 'suffix' | 'regexp';

export class Pattern {
  readonly exclusion: boolean;
  /** The cleaned pattern without its `!`. */
  readonly text: string;
  private readonly kind: Kind;
  private readonly re: RegExp | undefined;

  constructor(source: string) {
    let p = cleanPath(source.trim());
    this.exclusion = p.startsWith('!');
    if (this.exclusion) {
      if (p.length === 1) throw new PatternError('illegal exclusion pattern: "!"');
      p = p.slice(1);
    }
    this.text = p;
    const { kind, re } = compile(p);
    this.kind = kind;
    this.re = re;
  }

  test(path: string): boolean {
    switch (this.kind) {
      case 'exact': return path === this.text;
      case 'prefix': return path.startsWith(this.text.slice(0, -2));
      case 'suffix': {
        const suffix = this.text.slice(2);
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      default: return this.re!.test(path);
    }
  }

  /** Whether some path strictly under `dir` might match; may say yes too often, never too rarely. */
  mayMatchUnder(dir: string): boolean {
    if (this.kind === 'suffix') return true;
    if (this.kind === 'prefix') {
      const prefix = this.text.slice(0, -2);
      return prefix.startsWith(`${dir}/`) || `${dir}/`.startsWith(prefix);
    }
    if (this.kind === 'exact') return this.text.startsWith(`${dir}/`) || `${dir}/`.startsWith(`${this.text}/`);
    const segs = this.text.split('/');
    const dirs = dir.split('/');
    for (let i = 0; i < dirs.length; i++) {
      const seg = segs[i];
      // A shorter pattern that matched an ancestor also matches everything below it.
      if (seg === undefined || seg.includes('**')) return true;
      if (!compileSegment(seg).test(dirs[i]!)) return false;
    }
    return true;
  }
}

const segmentCache = new Map<string, RegExp>();
function compileSegment(seg: string): RegExp {
  let re = segmentCache.get(seg);
  if (!re) {
    const c = compile(seg);
    re = c.re ?? new RegExp(`^${escapeRe(seg)}$`);
    segmentCache.set(seg, re);
  }
  return re;
}

function compile(p: string): { kind: Kind; re: RegExp | undefined } {
  let re = '^';
  let kind: Kind = 'exact';
  for (let i = 0; i < p.length;) {
    const ch = p[i]!;
    if (ch === '*' && p[i + 1] === '*') {
      const first = i === 0;
      i += 2;
      if (p[i] === '/') i++;
      if (i >= p.length) {
        if (kind === 'exact') kind = 'prefix';
        else {
          re += '.*';
          kind = 'regexp';
        }
      } else {
        re += '(?:.*/)?';
        kind = 'regexp';
      }
      // `**…` with nothing special after it is a plain suffix test (Docker's fast path).
      if (first) kind = 'suffix';
      continue;
    }
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const c = compileClass(p, i);
      re += c.re;
      i = c.end;
      kind = 'regexp';
      continue;
    } else if (ch === '\\') {
      if (i + 1 >= p.length) throw new PatternError('syntax error in pattern');
      re += escapeRe(p[i + 1]!);
      i += 2;
      kind = 'regexp';
      continue;
    } else {
      re += escapeRe(ch);
      i++;
      continue;
    }
    kind = 'regexp';
    i++;
  }
  if (kind !== 'regexp') return { kind, re: undefined };
  return { kind, re: new RegExp(`${re}$`) };
}

export class PatternMatcher {
  readonly patterns: readonly Pattern[];
  readonly hasExclusions: boolean;

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.filter((p) => p.trim() !== '').map((p) => {
      try {
        return new Pattern(p);
      } catch (e) {
        throw new BerthError('BERTH_EBUILD', `.dockerignore: bad pattern "${p}": ${(e as Error).message}`, { cause: e });
      }
    });
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  /** True when `path` (slash-separated, relative to the context) is excluded. */
  matches(path: string): boolean {
    const file = cleanPath(path);
    if (file === '.') return false;
    const parts = file.split('/');
    const parents = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const p of this.patterns) {
      // Only a pattern that could flip the current answer needs evaluating.
      if (p.exclusion !== excluded) continue;
      if (p.test(file) || parents.some((d) => p.test(d))) excluded = !p.exclusion;
    }
    return excluded;
  }

  /** For an excluded directory: could an exception bring back something inside it? */
  mayIncludeUnder(dir: string): boolean {
    return this.patterns.some((p) => p.exclusion && p.mayMatchUnder(cleanPath(dir)));
  }
}

export interface ContextEntry {
  /** Slash-separated, relative to the context root. */
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink';
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  readonly mode: number;
  readonly size: number;
  readonly linkTarget?: string;
}

export interface WalkOptions {
  /** Sent even when a pattern excludes them; Docker always sends the Dockerfile and .dockerignore. */
  readonly alwaysInclude?: readonly string[];
}

/**
 * The entries of the context that are sent, sorted by path. Symlinks are listed, never followed, so
 * nothing outside the context is read. Sockets, fifos and devices are left out.
 */
export async function walkContext(root: string, patterns: readonly string[] | PatternMatcher, opts: WalkOptions = {}): Promise<ContextEntry[]> {
  const pm = patterns instanceof PatternMatcher ? patterns : new PatternMatcher(patterns);
  const always = new Set((opts.alwaysInclude ?? ['Dockerfile', '.dockerignore']).map(cleanPath));
  const out: ContextEntry[] = [];
  const walk = async (relDir: string): Promise<void> => {
    const names = await readdir(relDir === '' ? root : join(root, relDir));
    for (const name of names.sort()) {
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const st = await lstat(join(root, rel));
      const excluded = pm.matches(rel) && !always.has(rel);
      const base = { path: rel, mode: st.mode & 0o7777, size: st.size };
      if (st.isDirectory()) {
        if (!excluded) out.push({ ...base, type: 'dir', size: 0 });
        if (!excluded || pm.mayIncludeUnder(rel) || [...always].some((a) => a.startsWith(`${rel}/`))) await walk(rel);
      } else if (excluded) {
        continue;
      } else if (st.isSymbolicLink()) {
        out.push({ ...base, type: 'symlink', linkTarget: await readlink(join(root, rel)) });
      } else if (st.isFile()) {
        out.push({ ...base, type: 'file' });
      }
    }
  };
  await walk('');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
