// Dockerfile text → parser directives and logical lines. A logical line is one instruction: its
// continuation lines joined (comment and blank lines inside a continuation dropped, as Docker does), with
// the numbers of its first and last physical lines for messages.

import { BerthError } from '../../errors.js';
import type { Directives, EscapeChar } from './ast.js';

export function buildError(file: string, line: number | undefined, message: string, cause?: unknown): BerthError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new BerthError('BERTH_EBUILD', `${where}: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
    detail: { file, ...(line === undefined ? {} : { line }) },
  });
}

export interface LogicalLine {
  readonly text: string;
  readonly line: number;
  readonly endLine: number;
}

const DIRECTIVE_RE = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);

export function splitPhysicalLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  // A trailing newline does not start another (empty) line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Directives are read only from the leading run of `# key=value` lines with known keys. */
export function readDirectives(lines: readonly string[], file: string): Directives {
  const seen = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const m = DIRECTIVE_RE.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (!KNOWN_DIRECTIVES.has(key)) break;
    if (seen.has(key)) throw buildError(file, i + 1, `only one ${key} parser directive can be used`);
    seen.set(key, m[2]!);
  }
  const escape = seen.get('escape') ?? '\\';
  if (escape !== '\\' && escape !== '`') {
    throw buildError(file, undefined, `invalid escape token '${escape}' does not match \` or \\`);
  }
  const syntax = seen.get('syntax');
  const check = seen.get('check');
  return { escape: escape as EscapeChar, ...(syntax === undefined ? {} : { syntax }), ...(check === undefined ? {} : { check }) };
}

export function isCommentOrBlank(line: string): boolean {
  const t = line.trimStart();
  return t === '' || t.startsWith('#');
}

/** Removes a trailing escape character (followed only by blanks); undefined if there is none. */
export function stripContinuation(line: string, escape: EscapeChar): string | undefined {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  if (end > 0 && line[end - 1] === escape) return line.slice(0, end - 1);
  return undefined;
}

/**
 * A cursor over physical lines. The parser pulls one logical line, and then, when the instruction
 * has here-documents, pulls their raw bodies from the same cursor.
 */
export class LineReader {
  private next = 0;

  constructor(private readonly lines: readonly string[], private readonly escape: EscapeChar) {}

  /** The next instruction, or undefined at the end of the file. */
  logical(): LogicalLine | undefined {
    while (this.next < this.lines.length && isCommentOrBlank(this.lines[this.next]!)) this.next++;
    if (this.next >= this.lines.length) return undefined;
    const first = this.next++;
    let text = this.lines[first]!.trimStart();
    let endLine = first + 1;
    for (;;) {
      const head = stripContinuation(text, this.escape);
      if (head === undefined) break;
      text = head;
      while (this.next < this.lines.length && isCommentOrBlank(this.lines[this.next]!)) this.next++;
      if (this.next >= this.lines.length) break;
      // Leading blanks of a continuation line are kept: they are part of the argument.
      text += this.lines[this.next]!;
      endLine = ++this.next;
    }
    return { text, line: first + 1, endLine };
  }

  /** Raw lines up to the terminator; `chomp` strips leading tabs from body and terminator alike. */
  heredocBody(delimiter: string, chomp: boolean): { content: string; endLine: number } | undefined {
    const body: string[] = [];
    while (this.next < this.lines.length) {
      let raw = this.lines[this.next++]!;
      if (chomp) raw = raw.replace(/^\t+/, '');
      if (raw === delimiter) return { content: body.map((l) => `${l}\n`).join(''), endLine: this.next };
      body.push(raw);
    }
    return undefined;
  }
}
