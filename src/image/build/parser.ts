// Dockerfile text → typed instructions with line numbers. Nothing is substituted here (that needs the
// ARG/ENV state of each stage, see stages.ts); every error names the file and the line.

import type {
  AddInstruction, ArgDecl, CommandForm, CopyInstruction, Dockerfile, Heredoc, HealthcheckInstruction,
  Instruction, KeyValue, Mount, RunInstruction,
} from './ast.js';
import { ExpandError, expandWord, splitRawWords } from './expand.js';
import { FlagError, extractFlags, parseFlags, parseGoDuration, parseMount, type FlagKind, type ParsedFlags } from './flags.js';
import { buildError, LineReader, readDirectives, splitPhysicalLines } from './lines.js';

export interface ParseOptions {
  /** Name for messages (`Dockerfile`, or the -f file's base name). */
  readonly file?: string;
}

const KEYWORDS = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);
const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);
const STAGE_NAME_RE = /^[a-z][a-z0-9-_.]*$/;
const HEREDOC_RE = /^<<(-?)(.+)$/;
/** Docker refuses health check durations below one millisecond (other than 0, "use the default"). */
const MIN_HEALTH_DURATION_NS = 1e6;

const FLAG_SPECS: Readonly<Record<string, Readonly<Record<string, FlagKind>>>> = {
  FROM: { platform: 'string' },
  RUN: { mount: 'list', network: 'string', security: 'string', device: 'list' },
  COPY: { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'list' },
  ADD: { chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string', unpack: 'bool', exclude: 'list' },
  HEALTHCHECK: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
};

export function parseDockerfile(text: string, opts: ParseOptions = {}): Dockerfile {
  const file = opts.file ?? 'Dockerfile';
  const lines = splitPhysicalLines(text);
  const directives = readDirectives(lines, file);
  const reader = new LineReader(lines, directives.escape);
  const instructions: Instruction[] = [];
  for (let ll = reader.logical(); ll !== undefined; ll = reader.logical()) {
    const p = new InstructionParser(file, directives.escape, ll.line, reader);
    try {
      instructions.push(p.parse(ll.text, ll.endLine));
    } catch (e) {
      if (e instanceof FlagError || e instanceof ExpandError) throw buildError(file, ll.line, e.message, e);
      throw e;
    }
  }
  if (instructions.length === 0) throw buildError(file, undefined, 'file with no instructions');
  return { file, directives, instructions };
}

class InstructionParser {
  constructor(
    private readonly file: string,
    private readonly escape: '\\' | '`',
    private readonly line: number,
    /** Absent for ONBUILD triggers, which cannot carry here-documents. */
    private readonly reader: LineReader | undefined,
  ) {}

  private fail(message: string): never {
    throw buildError(this.file, this.line, message);
  }

  parse(original: string, endLine: number): Instruction {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(original.trim());
    if (!m) this.fail('empty instruction');
    const keyword = m[1]!.toUpperCase();
    if (!KEYWORDS.has(keyword)) this.fail(`unknown instruction: ${keyword}`);
    const { flags: flagWords, rest: afterFlags } = extractFlags(m[2]!);
    const flags = parseFlags(keyword, flagWords, FLAG_SPECS[keyword] ?? {});
    const rest = afterFlags.trim();
    let heredocs: Heredoc[] = [];
    let words: string[] = [];
    if (HEREDOC_KEYWORDS.has(keyword) && this.reader !== undefined && parseJsonArray(rest) === undefined) {
      ({ heredocs, words, endLine } = this.readHeredocs(rest, endLine));
    }
    const base = { line: this.line, endLine, original };
    switch (keyword) {
      case 'FROM': return { kind: 'FROM', ...base, ...this.from(rest), ...opt('platform', flags.strings.get('platform')) };
      case 'RUN': return { kind: 'RUN', ...base, ...this.run(rest, flags, heredocs) };
      case 'CMD': return { kind: 'CMD', ...base, command: this.command(rest) };
      case 'ENTRYPOINT': return { kind: 'ENTRYPOINT', ...base, command: this.command(rest) };
      case 'SHELL': return { kind: 'SHELL', ...base, shell: this.shell(rest) };
      case 'ENV': return { kind: 'ENV', ...base, ...this.pairs('ENV', rest) };
      case 'LABEL': return { kind: 'LABEL', ...base, pairs: this.pairs('LABEL', rest).pairs };
      case 'MAINTAINER': return { kind: 'MAINTAINER', ...base, author: this.one('MAINTAINER', rest) };
      case 'ARG': return { kind: 'ARG', ...base, args: this.args(rest) };
      case 'EXPOSE': return { kind: 'EXPOSE', ...base, ports: this.atLeastOne('EXPOSE', rest.split(/\s+/)) };
      case 'COPY': return this.copy('COPY', base, rest, flags, heredocs, words) as CopyInstruction;
      case 'ADD': return this.copy('ADD', base, rest, flags, heredocs, words) as AddInstruction;
      case 'WORKDIR': return { kind: 'WORKDIR', ...base, path: this.one('WORKDIR', rest) };
      case 'USER': return { kind: 'USER', ...base, user: this.one('USER', rest) };
      case 'VOLUME': return { kind: 'VOLUME', ...base, ...this.volume(rest) };
      case 'STOPSIGNAL': return { kind: 'STOPSIGNAL', ...base, signal: this.one('STOPSIGNAL', rest) };
      case 'HEALTHCHECK': return { kind: 'HEALTHCHECK', ...base, check: this.healthcheck(rest, flags) };
      default: return { kind: 'ONBUILD', ...base, ...this.onbuild(rest) };
    }
  }

  private readHeredocs(rest: string, endLine: number): { heredocs: Heredoc[]; words: string[]; endLine: number } {
    const heredocs: Heredoc[] = [];
    const words = splitRawWords(rest, this.escape);
    for (const w of words) {
      const m = HEREDOC_RE.exec(w);
      if (!m) continue;
      const chomp = m[1] === '-';
      const quoted = /['"]/.test(m[2]!) || m[2]!.includes(this.escape);
      const name = expandWord(m[2]!, () => undefined, { escape: this.escape });
      if (name === '') this.fail(`invalid here-document delimiter: ${w}`);
      const body = this.reader!.heredocBody(name, chomp);
      if (body === undefined) this.fail(`unterminated here-document: no line "${name}" before the end of the file`);
      heredocs.push({ name, content: body.content, expand: !quoted, chomp });
      endLine = body.endLine;
    }
    return { heredocs, words, endLine };
  }

  private one(keyword: string, rest: string): string {
    if (rest === '') this.fail(`${keyword} requires exactly one argument`);
    return rest;
  }

  private atLeastOne(keyword: string, words: string[]): string[] {
    const w = words.filter((x) => x !== '');
    if (w.length === 0) this.fail(`${keyword} requires at least one argument`);
    return w;
  }

  private from(rest: string): { image: string; stageName?: string } {
    const args = rest.split(/\s+/).filter((x) => x !== '');
    if (args.length === 1) return { image: args[0]! };
    if (args.length !== 3 || args[1]!.toLowerCase() !== 'as') this.fail('FROM requires either one or three arguments');
    const stageName = args[2]!.toLowerCase();
    if (!STAGE_NAME_RE.test(stageName)) {
      this.fail(`invalid name for build stage: "${args[2]!}", name can't start with a number or contain symbols`);
    }
    return { image: args[0]!, stageName };
  }

  private command(rest: string): CommandForm {
    const json = parseJsonArray(rest);
    if (json === 'not-strings') this.fail('when using JSON array syntax, arrays must be comprised of strings only');
    if (json !== undefined) return { form: 'exec', args: json };
    return { form: 'shell', command: rest };
  }

  private run(rest: string, flags: ParsedFlags, heredocs: Heredoc[]): Omit<RunInstruction, 'kind' | 'line' | 'endLine' | 'original'> {
    const command = this.command(rest);
    if ((command.form === 'shell' && command.command === '') || (command.form === 'exec' && command.args.length === 0)) {
      this.fail('RUN requires at least one argument');
    }
    const network = flags.strings.get('network');
    if (network !== undefined && network !== 'default' && network !== 'none' && network !== 'host') {
      this.fail(`unsupported network mode: ${network}`);
    }
    const security = flags.strings.get('security');
    if (security !== undefined && security !== 'sandbox' && security !== 'insecure') {
      this.fail(`unsupported security mode: ${security}`);
    }
    const mounts: Mount[] = (flags.lists.get('mount') ?? []).map((v) => parseMount(v));
    return {
      command, heredocs, mounts, devices: flags.lists.get('device') ?? [],
      ...opt('network', network as RunInstruction['network']), ...opt('security', security as RunInstruction['security']),
    };
  }

  private shell(rest: string): string[] {
    const json = parseJsonArray(rest);
    if (json === undefined || json === 'not-strings') this.fail('SHELL requires the arguments to be in JSON form');
    if (json.length === 0) this.fail('SHELL requires at least one argument');
    return json;
  }

  /** ENV and LABEL: `k=v k2="v 2"` words, or the legacy `key value with spaces` form. */
  private pairs(keyword: string, rest: string): { pairs: KeyValue[]; legacy: boolean } {
    const words = splitRawWords(rest, this.escape);
    if (words.length === 0) this.fail(`${keyword} requires at least one argument`);
    if (!words[0]!.includes('=')) {
      const m = /^(\S+)\s+([\s\S]+)$/.exec(rest);
      if (!m) this.fail(`${keyword} must have two arguments`);
      return { pairs: [{ key: m[1]!, value: m[2]! }], legacy: true };
    }
    const pairs = words.map((w) => {
      const eq = w.indexOf('=');
      if (eq < 0) this.fail(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
      if (eq === 0) this.fail(`${keyword} names can not be blank`);
      return { key: w.slice(0, eq), value: w.slice(eq + 1) };
    });
    return { pairs, legacy: false };
  }

  private args(rest: string): ArgDecl[] {
    const words = splitRawWords(rest, this.escape);
    if (words.length === 0) this.fail('ARG requires at least one argument');
    return words.map((w) => {
      const eq = w.indexOf('=');
      if (eq === 0) this.fail('ARG names can not be blank');
      return eq < 0 ? { name: w } : { name: w.slice(0, eq), default: w.slice(eq + 1) };
    });
  }

  private copy(
    kind: 'COPY' | 'ADD', base: { line: number; endLine: number; original: string }, rest: string, flags: ParsedFlags,
    heredocs: Heredoc[], rawWords: string[],
  ): CopyInstruction | AddInstruction {
    const json = parseJsonArray(rest);
    if (json === 'not-strings') this.fail('when using JSON array syntax, arrays must be comprised of strings only');
    const words = json ?? (heredocs.length > 0 ? rawWords : rest.split(/\s+/).filter((x) => x !== ''));
    if (words.length < 2) {
      this.fail(`${kind} requires at least two arguments, but only one was provided. Destination could not be determined`);
    }
    const dest = words[words.length - 1]!;
    if (json === undefined && HEREDOC_RE.test(dest)) this.fail(`${kind} destination cannot be a here-document`);
    const sources = words.slice(0, -1).filter((w) => json !== undefined || heredocs.length === 0 || !HEREDOC_RE.test(w));
    const common = {
      ...base, sources, heredocs, dest, json: json !== undefined,
      ...opt('chown', flags.strings.get('chown')), ...opt('chmod', flags.strings.get('chmod')),
      link: flags.bools.get('link') ?? false, exclude: flags.lists.get('exclude') ?? [],
    };
    if (kind === 'COPY') return { kind, ...common, ...opt('from', flags.strings.get('from')), parents: flags.bools.get('parents') ?? false };
    return {
      kind, ...common, ...opt('checksum', flags.strings.get('checksum')), keepGitDir: flags.bools.get('keep-git-dir') ?? false,
      ...opt('unpack', flags.bools.get('unpack')),
    };
  }

  private volume(rest: string): { paths: string[]; json: boolean } {
    const json = parseJsonArray(rest);
    if (json === 'not-strings') this.fail('when using JSON array syntax, arrays must be comprised of strings only');
    const paths = json ?? rest.split(/\s+/).filter((x) => x !== '');
    if (paths.length === 0) this.fail('VOLUME requires at least one argument');
    if (paths.some((p) => p.trim() === '')) this.fail('VOLUME specified can not be an empty string');
    return { paths, json: json !== undefined };
  }

  private healthcheck(rest: string, flags: ParsedFlags): HealthcheckInstruction['check'] {
    const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
    if (!m) this.fail('HEALTHCHECK requires at least one argument');
    const type = m[1]!.toUpperCase();
    if (type === 'NONE') {
      if (m[2] !== '') this.fail('HEALTHCHECK NONE takes no arguments');
      if (flags.strings.size > 0) this.fail('HEALTHCHECK NONE takes no options');
      return { type: 'NONE' };
    }
    if (type !== 'CMD') this.fail(`Unknown type "${m[1]!}" in HEALTHCHECK (try CMD)`);
    if (m[2] === '') this.fail('Missing command after HEALTHCHECK CMD');
    const duration = (name: string): number | undefined => {
      const v = flags.strings.get(name);
      if (v === undefined) return undefined;
      const ns = parseGoDuration(v);
      if (ns !== 0 && ns < MIN_HEALTH_DURATION_NS) this.fail(`--${name} cannot be less than 1ms`);
      return ns;
    };
    const retriesText = flags.strings.get('retries');
    let retries: number | undefined;
    if (retriesText !== undefined) {
      if (!/^-?[0-9]+$/.test(retriesText)) this.fail(`invalid --retries value: ${retriesText}`);
      retries = Number(retriesText);
      if (retries < 0) this.fail('--retries cannot be negative');
    }
    return {
      type: 'CMD', command: this.command(m[2]!),
      ...opt('interval', duration('interval')), ...opt('timeout', duration('timeout')),
      ...opt('startPeriod', duration('start-period')), ...opt('startInterval', duration('start-interval')),
      ...opt('retries', retries),
    };
  }

  private onbuild(rest: string): { expression: string; trigger: Instruction } {
    if (rest === '') this.fail('ONBUILD requires at least one argument');
    const keyword = rest.split(/\s/, 1)[0]!.toUpperCase();
    if (keyword === 'ONBUILD') this.fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
    if (keyword === 'FROM' || keyword === 'MAINTAINER') this.fail(`${keyword} isn't allowed as an ONBUILD trigger`);
    const trigger = new InstructionParser(this.file, this.escape, this.line, undefined).parse(rest, this.line);
    return { expression: rest, trigger };
  }
}

/** A JSON array of strings; 'not-strings' for a JSON array with other values; undefined if not JSON. */
export function parseJsonArray(text: string): string[] | 'not-strings' | undefined {
  if (!text.startsWith('[')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  return v.every((x) => typeof x === 'string') ? (v as string[]) : 'not-strings';
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
