// Parsed Dockerfile + build options → a build plan: the stages, each step with its variables
// substituted and its ARG/ENV scope, the references between stages resolved, and the stages the target
// needs in dependency order. Pure: images are only named here, never fetched.
//
// Stage references follow BuildKit: `FROM name` means an earlier stage of that name (otherwise an
// image); `COPY --from=` and `RUN --mount=from=` may name any stage, by name or index, and a name that
// is no stage is an image. A stage that depends on itself, directly or through others, is an error.

import { posix } from 'node:path';
import type { ArgInstruction, Dockerfile, FromInstruction, Instruction } from './ast.js';
import { ExpandError, expandWord, lookupIn } from './expand.js';
import { buildError } from './lines.js';
import { hostPlatform, platformArgs, PROXY_ARGS, type Platform } from './platform.js';
import { parsePortSpec, splitUser, substituteInstruction, SubstituteError, type PortSpec } from './substitute.js';

export interface ImageConfigHint {
  readonly env?: readonly string[];
  readonly workingDir?: string;
}

export interface PlanOptions {
  readonly buildArgs?: Readonly<Record<string, string>>;
  /** `--target`: a stage name; the last stage when absent. */
  readonly target?: string;
  readonly targetPlatform?: Platform;
  readonly buildPlatform?: Platform;
  /** Base image config, when the caller already has it, so `$VAR`s from the image's ENV resolve. */
  readonly imageConfig?: (ref: string) => ImageConfigHint | undefined;
  /** 'error' refuses `--from` naming a later stage, as the legacy builder did; BuildKit allows it. */
  readonly forwardReferences?: 'allow' | 'error';
}

export type StageBase = { readonly kind: 'scratch' } | { readonly kind: 'image'; readonly ref: string } | { readonly kind: 'stage'; readonly index: number };
export type SourceRef = { readonly kind: 'context' } | { readonly kind: 'stage'; readonly index: number } | { readonly kind: 'image'; readonly ref: string };
export type Pairs = ReadonlyArray<readonly [string, string]>;

export interface PlannedStep {
  /** The instruction with variables substituted where Docker substitutes them. */
  readonly instruction: Instruction;
  /** ENV (base image's, then the Dockerfile's) after this step. */
  readonly env: Pairs;
  /** Declared ARGs that have a value, after this step (RUN sees them as environment variables). */
  readonly args: Pairs;
  /** Absolute working directory after this step. */
  readonly workdir: string;
  /** COPY/ADD: where the sources are read from. */
  readonly source?: SourceRef;
  /** RUN: per mount, what it is made from (undefined: nothing, e.g. tmpfs, secret, fresh cache). */
  readonly mountSources?: ReadonlyArray<SourceRef | undefined>;
  readonly ports?: readonly PortSpec[];
  readonly user?: { readonly user: string; readonly group?: string };
}

export interface PlannedStage {
  readonly index: number;
  readonly name?: string;
  /** `name`, or `stage-N` for unnamed stages (as build output labels them). */
  readonly displayName: string;
  readonly from: FromInstruction;
  readonly base: StageBase;
  readonly steps: readonly PlannedStep[];
  /** Stages this one needs: its base stage and every stage named by --from or a mount's from. */
  readonly deps: readonly number[];
  /** External images named by --from or a mount's from (the base image is in `base`). */
  readonly images: readonly string[];
  readonly needed: boolean;
}

export interface BuildPlan {
  readonly file: string;
  readonly globalArgs: Pairs;
  readonly stages: readonly PlannedStage[];
  readonly target: number;
  /** Needed stages, each after the stages it depends on. */
  readonly order: readonly number[];
  /** Proxy build-args: given to every RUN, kept out of cache keys and history. */
  readonly proxyArgs: Pairs;
  readonly unusedBuildArgs: readonly string[];
  readonly warnings: readonly string[];
}

interface Edge { readonly to: number; readonly line: number }
interface Scope { env: Map<string, string>; args: Map<string, string | undefined>; workdir: string }
interface StageWork {
  index: number; from: FromInstruction; body: Instruction[]; name?: string;
  base?: StageBase; steps: PlannedStep[]; edges: Edge[]; images: string[]; declared: Set<string>;
  scope?: Scope; error?: unknown;
}

export function planBuild(df: Dockerfile, opts: PlanOptions = {}): BuildPlan {
  const file = df.file;
  const escape = df.directives.escape;
  const buildArgs = new Map(Object.entries(opts.buildArgs ?? {}));
  const host = hostPlatform();
  const auto = platformArgs(opts.targetPlatform ?? host, opts.buildPlatform ?? host);
  const fail = (line: number | undefined, msg: string): never => { throw buildError(file, line, msg); };
  const expand = (line: number, text: string, lookup: (n: string) => string | undefined): string => {
    try { return expandWord(text, lookup, { escape }); } catch (e) { return fail(line, (e as Error).message); }
  };

  // Global scope: the ARGs before the first FROM, visible only to FROM lines.
  const globals = new Map<string, string | undefined>(auto);
  const declaredGlobal = new Set<string>();
  const works: StageWork[] = [];
  for (const ins of df.instructions) {
    if (ins.kind === 'FROM') {
      works.push({ index: works.length, from: ins, body: [], steps: [], edges: [], images: [], declared: new Set(), ...(ins.stageName ? { name: ins.stageName } : {}) });
    } else if (works.length > 0) {
      works[works.length - 1]!.body.push(ins);
    } else if (ins.kind === 'ARG') {
      for (const a of ins.args) {
        const value = buildArgs.get(a.name) ?? (a.default !== undefined ? expand(ins.line, a.default, lookupIn(globals)) : globals.get(a.name));
        globals.set(a.name, value);
        declaredGlobal.add(a.name);
      }
    } else {
      fail(ins.line, `${ins.kind} cannot appear before the first FROM (only ARG can)`);
    }
  }
  if (works.length === 0) fail(undefined, 'no build stage: the Dockerfile needs a FROM');

  const byName = new Map<string, number>();
  for (const w of works) {
    if (w.name === undefined) continue;
    if (byName.has(w.name)) fail(w.from.line, `duplicate stage name "${w.name}"`);
    byName.set(w.name, w.index);
  }
  const display = (i: number): string => works[i]!.name ?? `stage-${i}`;

  const resolveRef = (w: StageWork, ref: string, line: number): SourceRef => {
    let idx: number | undefined;
    if (/^[0-9]+$/.test(ref)) {
      idx = Number(ref);
      if (idx >= works.length) throw new SubstituteError(`invalid stage index ${idx}`);
    } else {
      idx = byName.get(ref.toLowerCase());
    }
    if (idx === undefined) {
      w.images.push(ref);
      return { kind: 'image', ref };
    }
    if (idx === w.index) throw new SubstituteError(`circular dependency detected on stage: ${display(idx)}`);
    if (idx > w.index && opts.forwardReferences === 'error') {
      throw new SubstituteError(`stage "${display(idx)}" is defined after this one (line ${works[idx]!.from.line})`);
    }
    w.edges.push({ to: idx, line });
    return { kind: 'stage', index: idx };
  };

  for (const w of works) {
    try {
      planStage(w);
    } catch (e) {
      w.error = e;
    }
  }

  function planStage(w: StageWork): void {
    const globalLookup = lookupIn(globals);
    const image = expand(w.from.line, w.from.image, globalLookup);
    const platform = w.from.platform === undefined ? undefined : expand(w.from.line, w.from.platform, globalLookup);
    w.from = { ...w.from, image, ...(platform === undefined ? {} : { platform }) };
    const parent = byName.get(image.toLowerCase());
    let scope: Scope;
    if (parent !== undefined && parent < w.index) {
      w.base = { kind: 'stage', index: parent };
      w.edges.push({ to: parent, line: w.from.line });
      const ps = works[parent]!.scope;
      if (ps === undefined) throw works[parent]!.error;
      scope = { env: new Map(ps.env), args: new Map(ps.args), workdir: ps.workdir };
    } else {
      w.base = image === 'scratch' ? { kind: 'scratch' } : { kind: 'image', ref: image };
      const cfg = w.base.kind === 'image' ? opts.imageConfig?.(image) : undefined;
      scope = { env: new Map((cfg?.env ?? []).map(splitEnv)), args: new Map(), workdir: cfg?.workingDir || '/' };
    }
    for (const ins of w.body) {
      try {
        w.steps.push(planStep(w, scope, ins));
      } catch (e) {
        if (e instanceof SubstituteError || e instanceof ExpandError) fail(ins.line, e.message);
        throw e;
      }
    }
    w.scope = scope;
  }

  function planStep(w: StageWork, scope: Scope, ins: Instruction): PlannedStep {
    const lookup = lookupIn(scope.env, scope.args);
    if (ins.kind === 'ARG') {
      applyArgs(w, scope, ins, lookup);
      return snapshot(scope, ins, {});
    }
    const sub = substituteInstruction(ins, lookup, { escape });
    const extra: { -readonly [K in keyof PlannedStep]?: PlannedStep[K] } = {};
    switch (sub.kind) {
      case 'ENV':
        for (const p of sub.pairs) scope.env.set(p.key, p.value);
        break;
      case 'WORKDIR':
        scope.workdir = posix.resolve(scope.workdir, sub.path);
        break;
      case 'EXPOSE':
        extra.ports = sub.ports.map(parsePortSpec);
        break;
      case 'USER':
        extra.user = splitUser(sub.user);
        break;
      case 'COPY':
        extra.source = sub.from === undefined ? { kind: 'context' } : resolveRef(w, sub.from, ins.line);
        break;
      case 'ADD':
        extra.source = { kind: 'context' };
        break;
      case 'RUN':
        extra.mountSources = sub.mounts.map((m) => {
          if (m.from !== undefined) return resolveRef(w, m.from, ins.line);
          return m.type === 'bind' ? { kind: 'context' } : undefined;
        });
        break;
      default:
        break;
    }
    return snapshot(scope, sub, extra);
  }

  function applyArgs(w: StageWork, scope: Scope, ins: ArgInstruction, lookup: (n: string) => string | undefined): void {
    // Defaults are substituted with the values from before the line, as for ENV.
    const values = ins.args.map((a) => {
      if (buildArgs.has(a.name)) return buildArgs.get(a.name);
      if (a.default !== undefined) return expandWord(a.default, lookup, { escape });
      return globals.get(a.name);
    });
    ins.args.forEach((a, i) => {
      scope.args.set(a.name, values[i]);
      w.declared.add(a.name);
    });
  }

  const cycle = findCycle(works.map((w) => w.edges));
  if (cycle) fail(cycle.line, `circular dependency detected on stage: ${display(cycle.to)}`);

  let target = works.length - 1;
  if (opts.target !== undefined) {
    const t = byName.get(opts.target.toLowerCase());
    if (t === undefined) fail(undefined, `target stage "${opts.target}" could not be found`);
    target = t!;
  }
  const order: number[] = [];
  const seen = new Set<number>();
  const visit = (i: number): void => {
    if (seen.has(i)) return;
    seen.add(i);
    const w = works[i]!;
    if (w.error !== undefined) throw w.error;
    for (const to of [...new Set(w.edges.map((e) => e.to))].sort((a, b) => a - b)) visit(to);
    order.push(i);
  };
  visit(target);

  const consumed = new Set([...declaredGlobal, ...PROXY_ARGS, ...auto.keys()]);
  for (const i of order) for (const n of works[i]!.declared) consumed.add(n);
  const unusedBuildArgs = [...buildArgs.keys()].filter((k) => !consumed.has(k)).sort();
  const warnings = unusedBuildArgs.length > 0 ? [`[Warning] One or more build-args [${unusedBuildArgs.join(' ')}] were not consumed`] : [];

  const stages: PlannedStage[] = works.map((w) => ({
    index: w.index, ...(w.name === undefined ? {} : { name: w.name }), displayName: display(w.index), from: w.from,
    base: w.base ?? { kind: 'image', ref: w.from.image }, steps: w.steps,
    deps: [...new Set(w.edges.map((e) => e.to))].sort((a, b) => a - b), images: [...new Set(w.images)], needed: seen.has(w.index),
  }));
  return {
    file, stages, target, order, unusedBuildArgs, warnings,
    globalArgs: [...declaredGlobal].flatMap((n) => { const v = globals.get(n); return v === undefined ? [] : [[n, v] as const]; }),
    proxyArgs: PROXY_ARGS.flatMap((n) => { const v = buildArgs.get(n); return v === undefined ? [] : [[n, v] as const]; }),
  };
}

function snapshot(scope: Scope, instruction: Instruction, extra: Partial<PlannedStep>): PlannedStep {
  return {
    instruction, ...extra, workdir: scope.workdir, env: [...scope.env],
    args: [...scope.args].flatMap(([k, v]) => (v === undefined || scope.env.has(k) ? [] : [[k, v] as const])),
  };
}

function splitEnv(kv: string): [string, string] {
  const i = kv.indexOf('=');
  return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
}

/** The first edge that closes a cycle (depth-first, stages in file order), if any. */
function findCycle(edges: ReadonlyArray<readonly Edge[]>): Edge | undefined {
  const state = new Array<0 | 1 | 2>(edges.length).fill(0);
  const dfs = (i: number): Edge | undefined => {
    state[i] = 1;
    for (const e of edges[i]!) {
      if (state[e.to] === 1) return e;
      if (state[e.to] === 0) {
        const c = dfs(e.to);
        if (c) return c;
      }
    }
    state[i] = 2;
    return undefined;
  };
  for (let i = 0; i < edges.length; i++) {
    if (state[i] === 0) {
      const c = dfs(i);
      if (c) return c;
    }
  }
  return undefined;
}
