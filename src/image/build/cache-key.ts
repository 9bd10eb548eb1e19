// Cache keys for build steps. A step's key is a digest over its parent's key (or the base image's
// digest), its instruction after substitution, and for COPY/ADD a digest of the files it reads. File
// digests cover relative paths, types, permission bits and content, never mtimes or owners (COPY sets
// the owner itself, and --chown is part of the key), so touching a file or cloning the context keeps
// the cache while any change to what would land in the image does not.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join, posix } from 'node:path';
import { BerthError } from '../../errors.js';
import type { Instruction } from './ast.js';
import { Pattern, PatternMatcher, readDockerignore, walkContext, type ContextEntry } from './dockerignore.js';
import type { PlannedStep } from './stages.js';

export function sha256(data: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** JSON with object keys sorted, so equal values always give equal text. */
export function stableStringify(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
}

const KEY_VERSION = 'berth.build.step/v1';

/** `parent`: the previous step's key, or the base image's manifest/config digest for the first step. */
export function stepKey(parent: string, instruction: string, inputs?: string): string {
  return sha256(stableStringify([KEY_VERSION, parent, instruction, inputs ?? '']));
}

function stripLocation(ins: Instruction): Record<string, unknown> {
  const { line: _l, endLine: _e, original: _o, ...rest } = ins;
  if (rest.kind === 'ONBUILD') return { ...rest, trigger: stripLocation(rest.trigger) };
  return rest;
}

/**
 * The text a step is keyed on: the substituted instruction without line numbers or layout, and for
 * RUN the build ARGs in scope, since they are part of its environment (proxy ARGs excepted).
 */
export function canonicalInstruction(step: Pick<PlannedStep, 'instruction' | 'args'>): string {
  const body = stripLocation(step.instruction);
  if (step.instruction.kind === 'RUN') {
    const args = [...step.args].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return stableStringify({ ...body, args });
  }
  return stableStringify(body);
}

/** A walked build context whose file contents are hashed on demand, once each. */
export class ContextSnapshot {
  private readonly digests = new Map<string, Promise<string>>();

  constructor(readonly dir: string, readonly entries: readonly ContextEntry[]) {}

  /** Reads `.dockerignore`, walks the context, and always keeps the Dockerfile and .dockerignore. */
  static async create(dir: string, opts: { dockerfile?: string; patterns?: readonly string[] } = {}): Promise<ContextSnapshot> {
    const patterns = opts.patterns ?? (await readDockerignore(dir));
    const entries = await walkContext(dir, new PatternMatcher(patterns), {
      alwaysInclude: [opts.dockerfile ?? 'Dockerfile', '.dockerignore'],
    });
    return new ContextSnapshot(dir, entries);
  }

  contentDigest(path: string): Promise<string> {
    let d = this.digests.get(path);
    if (!d) {
      d = new Promise<string>((resolve, reject) => {
        const h = createHash('sha256');
        createReadStream(join(this.dir, path))
          .on('data', (chunk) => h.update(chunk))
          .on('error', reject)
          .on('end', () => resolve(`sha256:${h.digest('hex')}`));
      });
      this.digests.set(path, d);
    }
    return d;
  }
}

/** A COPY source as Docker reads it: relative to the context root, `..` and leading `/` removed. */
export function cleanSource(src: string): string {
  const n = posix.normalize(`/${src}`).replace(/^\/+/, '').replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

const GLOB_CHARS = /[*?[\\]/;

/** The entries one source selects: the matching paths and everything under them. */
export function selectEntries(entries: readonly ContextEntry[], src: string): ContextEntry[] {
  const clean = cleanSource(src);
  if (clean === '') return [...entries];
  let roots: string[];
  if (GLOB_CHARS.test(clean)) {
    let glob: Pattern;
    try {
      glob = new Pattern(clean);
    } catch (e) {
      throw new BerthError('BERTH_EBUILD', `"${src}": bad pattern: ${(e as Error).message}`, { cause: e });
    }
    roots = entries.filter((e) => glob.test(e.path)).map((e) => e.path);
  } else {
    roots = entries.some((e) => e.path === clean) ? [clean] : [];
  }
  return entries.filter((e) => roots.some((r) => e.path === r || e.path.startsWith(`${r}/`)));
}

export interface InputsOptions {
  readonly chown?: string;
  readonly chmod?: string;
  /** COPY --exclude patterns, matched against the path under each source and under the context. */
  readonly exclude?: readonly string[];
}

/** Digest over the files that `sources` select from the context; throws if a source selects nothing. */
export async function contextInputsDigest(snap: ContextSnapshot, sources: readonly string[], opts: InputsOptions = {}): Promise<string> {
  const excluder = opts.exclude && opts.exclude.length > 0 ? new PatternMatcher(opts.exclude) : undefined;
  const groups: unknown[] = [];
  for (const src of sources) {
    const selected = selectEntries(snap.entries, src);
    if (selected.length === 0) {
      throw new BerthError('BERTH_EBUILD', `"${src}": not found in the build context or excluded by .dockerignore`, { detail: { source: src } });
    }
    const root = cleanSource(src);
    const rows: unknown[] = [];
    for (const e of selected) {
      const under = root !== '' && e.path.startsWith(`${root}/`) ? e.path.slice(root.length + 1) : e.path;
      if (excluder && (excluder.matches(under) || excluder.matches(e.path))) continue;
      const content = e.type === 'file' ? await snap.contentDigest(e.path) : e.type === 'symlink' ? e.linkTarget : '';
      rows.push([e.path, e.type, e.mode.toString(8), content]);
    }
    groups.push([src, rows]);
  }
  return sha256(stableStringify({ chown: opts.chown ?? null, chmod: opts.chmod ?? null, sources: groups }));
}

/**
 * The inputs digest of a planned COPY/ADD reading the build context (undefined for other steps, and
 * for COPY --from, whose input is the source stage's key or image digest, known to the executor).
 */
export async function stepInputsDigest(snap: ContextSnapshot, step: PlannedStep): Promise<string | undefined> {
  const ins = step.instruction;
  if ((ins.kind !== 'COPY' && ins.kind !== 'ADD') || step.source?.kind !== 'context') return undefined;
  const local = ins.sources.filter((s) => !/^(?:https?:\/\/|git@)/.test(s));
  if (local.length === 0) return undefined;
  return contextInputsDigest(snap, local, {
    ...(ins.chown === undefined ? {} : { chown: ins.chown }),
    ...(ins.chmod === undefined ? {} : { chmod: ins.chmod }),
    exclude: ins.exclude,
  });
}
