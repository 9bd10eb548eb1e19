// Variable substitution with the shell-word rules Docker's builder applies (its "shlex"), not a full
// shell: `$VAR`, `${VAR}`, `${VAR:-w}`, `${VAR-w}`, `${VAR:+w}`, `${VAR+w}`, `${VAR:?w}`, `${VAR?w}`,
// and the pattern forms the reference documents (`#`, `##`, `%`, `%%`, `/`, `//`). Single quotes are
// literal, double quotes allow `$`, the escape character (the `# escape=` one) makes the next
// character literal. Which instructions get substituted at all is the planner's business.

import type { EscapeChar } from './ast.js';

export type Lookup = (name: string) => string | undefined;

export interface ExpandOptions {
  readonly escape?: EscapeChar;
  /** Receives every variable name the text referred to (for the unused build-arg warning). */
  readonly used?: Set<string>;
}

export class ExpandError extends Error {}

const isBlank = (ch: string): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';
const isNameChar = (ch: string | undefined): boolean => ch !== undefined && /[A-Za-z0-9_]/.test(ch);

/** Collects output either as one string or as shell words (unquoted blanks separate words). */
class Sink {
  readonly words: string[] = [];
  private cur = '';
  private started = false;

  constructor(private readonly split: boolean) {}

  /** Text that must not be split: quoted text, escaped characters, literals. */
  raw(s: string): void {
    this.cur += s;
    this.started = true;
  }

  /** Text that is split on blanks (unquoted expansions and unquoted source blanks). */
  splittable(s: string): void {
    if (!this.split) return this.raw(s);
    for (const ch of s) {
      if (isBlank(ch)) this.flush();
      else this.raw(ch);
    }
  }

  flush(): void {
    if (this.started) this.words.push(this.cur);
    this.cur = '';
    this.started = false;
  }

  text(): string {
    return this.cur;
  }
}

type Mode = 'word' | 'heredoc';

class Lexer {
  private pos = 0;
  private readonly escape: string;

  constructor(
    private readonly src: string,
    private readonly lookup: Lookup,
    private readonly opts: ExpandOptions,
    private readonly mode: Mode = 'word',
  ) {
    this.escape = mode === 'heredoc' ? '\\' : (opts.escape ?? '\\');
  }

  /** Processes until `stop` (consumed) or the end; `stop` undefined means the whole text. */
  run(sink: Sink, stop?: string): boolean {
    const { src } = this;
    while (this.pos < src.length) {
      const ch = src[this.pos]!;
      if (this.mode === 'heredoc') {
        this.heredocChar(sink, ch);
        continue;
      }
      if (ch === this.escape) {
        this.pos++;
        // An escape character at the very end has nothing to escape and is dropped.
        if (this.pos < src.length) sink.raw(src[this.pos++]!);
        continue;
      }
      if (stop !== undefined && ch === stop) {
        this.pos++;
        return true;
      }
      if (ch === "'") sink.raw(this.singleQuoted());
      else if (ch === '"') sink.raw(this.doubleQuoted());
      else if (ch === '$') sink.splittable(this.dollar());
      else {
        this.pos++;
        if (isBlank(ch)) sink.splittable(ch);
        else sink.raw(ch);
      }
    }
    return false;
  }

  private heredocChar(sink: Sink, ch: string): void {
    const next = this.src[this.pos + 1];
    if (ch === '\\' && (next === '$' || next === '\\')) {
      sink.raw(next);
      this.pos += 2;
    } else if (ch === '\\' && next === '\n') {
      this.pos += 2;
    } else if (ch === '$') {
      sink.raw(this.dollar());
    } else {
      sink.raw(ch);
      this.pos++;
    }
  }

  private singleQuoted(): string {
    const close = this.src.indexOf("'", this.pos + 1);
    if (close < 0) throw new ExpandError('unexpected end of statement while looking for matching single-quote');
    const s = this.src.slice(this.pos + 1, close);
    this.pos = close + 1;
    return s;
  }

  private doubleQuoted(): string {
    const { src } = this;
    let out = '';
    this.pos++;
    for (;;) {
      if (this.pos >= src.length) throw new ExpandError('unexpected end of statement while looking for matching double-quote');
      const ch = src[this.pos]!;
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      const next = src[this.pos + 1];
      // Inside double quotes the escape character only escapes `"`, `$` and itself.
      if (ch === this.escape && (next === '"' || next === '$' || next === this.escape)) {
        out += next;
        this.pos += 2;
        continue;
      }
      out += ch;
      this.pos++;
    }
  }

  private name(): string {
    const { src } = this;
    const start = this.pos;
    if (/[0-9]/.test(src[this.pos] ?? '')) {
      while (/[0-9]/.test(src[this.pos] ?? '')) this.pos++;
    } else {
      while (isNameChar(src[this.pos])) this.pos++;
    }
    return src.slice(start, this.pos);
  }

  private get(name: string): string | undefined {
    this.opts.used?.add(name);
    return this.lookup(name);
  }

  /** The expansion at `$`; returns `$` itself when no name follows. */
  private dollar(): string {
    const { src } = this;
    this.pos++;
    const ch = src[this.pos];
    if (ch !== '{') {
      if (!isNameChar(ch)) return '$';
      return this.get(this.name()) ?? '';
    }
    this.pos++;
    const name = this.name();
    if (name === '') throw new ExpandError('bad substitution');
    const op = src[this.pos];
    if (op === '}') {
      this.pos++;
      return this.get(name) ?? '';
    }
    if (op === ':') {
      const op2 = src[this.pos + 1];
      if (op2 !== '-' && op2 !== '+' && op2 !== '?') throw new ExpandError(`unsupported modifier (:${op2 ?? ''}) in substitution`);
      this.pos += 2;
      return this.defaulting(name, op2, true, this.nested());
    }
    if (op === '-' || op === '+' || op === '?') {
      this.pos++;
      return this.defaulting(name, op, false, this.nested());
    }
    if (op === '#' || op === '%') {
      this.pos++;
      const longest = src[this.pos] === op;
      if (longest) this.pos++;
      const { pattern } = this.nestedPattern(false);
      return trimPattern(this.get(name) ?? '', pattern, op === '#', longest);
    }
    if (op === '/') {
      this.pos++;
      const all = src[this.pos] === '/';
      if (all) this.pos++;
      const { pattern, slash } = this.nestedPattern(true);
      const replacement = slash ? this.nested() : '';
      return replacePattern(this.get(name) ?? '', pattern, replacement, all);
    }
    if (op === undefined) throw new ExpandError("syntax error: missing '}'");
    throw new ExpandError(`unsupported modifier (${op}) in substitution`);
  }

  private defaulting(name: string, op: string, colon: boolean, word: string): string {
    const v = this.get(name);
    const isSet = colon ? v !== undefined && v !== '' : v !== undefined;
    if (op === '-') return isSet ? v! : word;
    if (op === '+') return isSet ? word : '';
    if (!isSet) throw new ExpandError(`${name}: ${word || (colon ? 'is not allowed to be empty' : 'is not allowed to be unset')}`);
    return v!;
  }

  /** The word inside `${…}` up to the closing brace, with quotes and nested expansions processed. */
  private nested(): string {
    const sink = new Sink(false);
    const saved = this.mode;
    const inner = saved === 'heredoc' ? new Lexer(this.src, this.lookup, this.opts, 'word') : this;
    if (inner !== this) inner.pos = this.pos;
    if (!inner.run(sink, '}')) throw new ExpandError("syntax error: missing '}'");
    if (inner !== this) this.pos = inner.pos;
    return sink.text();
  }

  /** A glob pattern up to `}` (or `/`): escapes are kept so `\*` stays a literal star. */
  private nestedPattern(slashEnds: boolean): { pattern: string; slash: boolean } {
    const { src } = this;
    let out = '';
    while (this.pos < src.length) {
      const ch = src[this.pos]!;
      if (ch === '}') {
        this.pos++;
        return { pattern: out, slash: false };
      }
      if (slashEnds && ch === '/') {
        this.pos++;
        return { pattern: out, slash: true };
      }
      if (ch === this.escape && this.pos + 1 < src.length) {
        out += `\\${src[this.pos + 1]!}`;
        this.pos += 2;
      } else if (ch === '$') {
        out += this.dollar();
      } else {
        out += ch;
        this.pos++;
      }
    }
    throw new ExpandError("syntax error: missing '}'");
  }
}

function globToRegexSource(pattern: string): string {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) re += escapeRegex(pattern[++i]!);
    else if (ch === '*') re += '[\\s\\S]*';
    else if (ch === '?') re += '[\\s\\S]';
    else re += escapeRegex(ch);
  }
  return re;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function trimPattern(value: string, pattern: string, fromStart: boolean, longest: boolean): string {
  const re = new RegExp(`^(?:${globToRegexSource(pattern)})$`);
  const n = value.length;
  for (let k = 0; k <= n; k++) {
    const len = longest ? n - k : k;
    const piece = fromStart ? value.slice(0, len) : value.slice(n - len);
    if (re.test(piece)) return fromStart ? value.slice(len) : value.slice(0, n - len);
  }
  return value;
}

function replacePattern(value: string, pattern: string, replacement: string, all: boolean): string {
  if (pattern === '') return value;
  const re = new RegExp(globToRegexSource(pattern), all ? 'g' : '');
  return value.replace(re, () => replacement);
}

/** One word, quotes removed, variables substituted, blanks kept (ENV/LABEL values, WORKDIR, USER …). */
export function expandWord(word: string, lookup: Lookup, opts: ExpandOptions = {}): string {
  const sink = new Sink(false);
  new Lexer(word, lookup, opts).run(sink);
  return sink.text();
}

/** Shell words: split on unquoted blanks, including blanks that come from unquoted expansions. */
export function expandWords(text: string, lookup: Lookup, opts: ExpandOptions = {}): string[] {
  const sink = new Sink(true);
  new Lexer(text, lookup, opts).run(sink);
  sink.flush();
  return sink.words;
}

/** A here-document body: only `$` expansions and `\$` `\\` escapes; quotes are ordinary text. */
export function expandHeredoc(content: string, lookup: Lookup, opts: ExpandOptions = {}): string {
  const sink = new Sink(false);
  new Lexer(content, lookup, opts, 'heredoc').run(sink);
  return sink.text();
}

/**
 * Splits on blanks outside quotes but keeps quotes and escapes in the words, as Docker does before it
 * knows the variables (ENV/LABEL/ARG key=value words, heredoc markers).
 */
export function splitRawWords(text: string, escape: EscapeChar): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === null && isBlank(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === escape && quote !== "'") {
      if (i + 1 < text.length) cur += ch + text[++i]!;
      continue;
    }
    if (quote === null && (ch === '"' || ch === "'")) quote = ch;
    else if (ch === quote) quote = null;
    cur += ch;
  }
  if (inWord) words.push(cur);
  return words;
}

/** A lookup over maps tried in order (ENV before ARG, as Docker gives ENV precedence). */
export function lookupIn(...maps: ReadonlyArray<ReadonlyMap<string, string | undefined>>): Lookup {
  return (name) => {
    for (const m of maps) {
      const v = m.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}
