// `berth build`: a Dockerfile and a context to an image in the store. The plan (parser, stages) is
// pure; this runs it. For each needed stage in order: its base (scratch, an image, or an earlier
// stage), the base image's ONBUILD triggers spliced in after the FROM, then each step keyed by its
// parent's key, its instruction and its inputs; a key found in the build cache (with its layers
// still in the store) is reused, anything else runs. The target stage's state becomes the image.
//
// Nothing is left behind on failure: snapshots, mounts and runtime containers are undone by the step
// that made them, and the image is registered only at the very end. Layers committed by steps that
// did succeed stay, as the cache for the next build, until garbage collection finds no image using them.

import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, isBerthError } from '../../errors.js';
import { parseReference } from '../reference.js';
import { normalizeTag, type ImageRecord, type LocalImageStore } from '../store.js';
import type { Dockerfile, Instruction } from './ast.js';
import { BuildCache } from './build-cache.js';
import { silentBuildProgress, type BuildProgress } from './build-progress.js';
import { canonicalInstruction, contextInputsDigest, ContextSnapshot, stepInputsDigest, stepKey } from './cache-key.js';
import { commitLayerLease, registerState } from './register-build.js';
import { scratchState, stateFromImage, layersPresent, cloneState, type BuildState } from './image-state.js';
import { buildError } from './lines.js';
import { mountsBelow, unmountAll } from './mounts.js';
import { parseDockerfile } from './parser.js';
import { hostPlatform } from './platform.js';
import { planBuild, type BuildPlan, type PlannedStep, type SourceRef } from './stages.js';
import { executeStep, type ExecContext } from './step-exec.js';

export interface BuildOptions {
  store: LocalImageStore;
  contextDir: string;
  /** The Dockerfile's text and its name for messages. */
  dockerfile: { text: string; name: string; /** Path inside the context, always sent (e.g. "Dockerfile"). */ contextPath?: string };
  buildArgs?: Record<string, string>;
  target?: string;
  tags?: string[];
  labels?: Record<string, string>;
  noCache?: boolean;
  pull?: boolean;
  /** Seconds; from SOURCE_DATE_EPOCH. */
  sourceDateEpoch?: number;
  network?: 'default' | 'none' | 'host';
  /** Directory for runtime state, bundles and mount points (under the run root). */
  runDir: string;
  runtime: string;
  progress?: BuildProgress;
  signal?: AbortSignal;
  /** Pull a missing or --pull'ed image; given by the CLI so the executor stays offline in tests. */
  pullImage?: (name: string) => Promise<ImageRecord>;
}

export interface BuildResult {
  image: ImageRecord;
  tags: string[];
  steps: { cached: number; executed: number };
  warnings: string[];
}

/** Spliced ONBUILD triggers carry the FROM's line, so their errors point at the FROM. */
function spliceOnbuild(df: Dockerfile, plan: BuildPlan, triggers: (ref: string) => string[] | undefined): Dockerfile | undefined {
  const fromByIndex = df.instructions.filter((i) => i.kind === 'FROM');
  const inserts = new Map<Instruction, Instruction[]>();
  for (const i of plan.order) {
    const st = plan.stages[i]!;
    if (st.base.kind !== 'image') continue;
    const t = triggers(st.base.ref);
    if (t === undefined || t.length === 0) continue;
    const from = fromByIndex[i]!;
    const parsed = parseDockerfile(t.join('\n'), { file: df.file }).instructions.map((ins) => ({
      ...ins, line: from.line, endLine: from.line, original: ins.original,
    }) as Instruction);
    for (const p of parsed) {
      if (p.kind === 'FROM' || p.kind === 'ONBUILD' || p.kind === 'MAINTAINER') throw buildError(df.file, from.line, `${p.kind} is not allowed as an ONBUILD trigger of ${st.base.ref}`);
    }
    inserts.set(from, parsed);
  }
  if (inserts.size === 0) return undefined;
  return { ...df, instructions: df.instructions.flatMap((ins) => [ins, ...(inserts.get(ins) ?? [])]) };
}

export async function build(o: BuildOptions): Promise<BuildResult> {
  const progress = o.progress ?? silentBuildProgress;
  const store = o.store;
  const file = o.dockerfile.name;
  const df = parseDockerfile(o.dockerfile.text, { file });
  const planOpts = { ...(o.buildArgs === undefined ? {} : { buildArgs: o.buildArgs }), ...(o.target === undefined ? {} : { target: o.target }) };
  const first = planBuild(df, planOpts);

  const images = new Map<string, ImageRecord>();
  const warnings: string[] = [...first.warnings];
  const resolveImage = async (ref: string, line: number | undefined): Promise<ImageRecord> => {
    const have = images.get(ref);
    if (have !== undefined) return have;
    let img: ImageRecord | undefined;
    const local = store.lookup(ref);
    if (o.pull === true && o.pullImage !== undefined && !isLocalOnly(ref)) {
      try {
        img = await o.pullImage(ref);
      } catch (e) {
        if (local === undefined) throw buildError(file, line, `FROM ${ref}: cannot pull: ${(e as Error).message}`, e);
        const w = `[Warning] --pull: ${ref}: ${(e as Error).message.split('\n')[0]}: using the local image`;
        warnings.push(w);
        progress.line(w);
      }
    }
    if (img === undefined) {
      try {
        img = local ?? (await store.resolve(ref));
      } catch (e) {
        if (!isBerthError(e, 'BERTH_ENOTFOUND') || o.pullImage === undefined || isLocalOnly(ref)) throw buildError(file, line, (e as Error).message, e);
        try {
          img = await o.pullImage(ref);
        } catch (e2) {
          throw buildError(file, line, `image "${ref}" is not in the store and cannot be pulled: ${(e2 as Error).message}`, e2);
        }
      }
    }
    images.set(ref, img);
    return img;
  };
  for (const i of first.order) {
    const st = first.stages[i]!;
    if (st.base.kind === 'image') await resolveImage(st.base.ref, st.from.line);
    for (const ref of st.images) await resolveImage(ref, st.from.line);
  }
  const hint = (ref: string): { env?: string[]; workingDir?: string } | undefined => {
    const img = images.get(ref);
    return img === undefined ? undefined : { ...(img.config.Env === undefined ? {} : { env: img.config.Env }), ...(img.config.WorkingDir === undefined ? {} : { workingDir: img.config.WorkingDir }) };
  };
  const spliced = spliceOnbuild(df, first, (ref) => images.get(ref)?.config.OnBuild);
  const plan = planBuild(spliced ?? df, { ...planOpts, imageConfig: hint });

  const ctxSnap = await ContextSnapshot.create(o.contextDir, { dockerfile: o.dockerfile.contextPath ?? 'Dockerfile' });
  const cache = new BuildCache(store.root);
  const lease = store.lease();
  const buildId = randomBytes(6).toString('hex');
  const workDir = join(o.runDir, 'builds', buildId);
  const runtimeRoot = join(o.runDir, 'runtime');
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  mkdirSync(runtimeRoot, { recursive: true, mode: 0o700 });
  const results = new Map<number, { state: BuildState; key: string }>();
  const epochText = o.sourceDateEpoch === undefined ? '' : `epoch=${o.sourceDateEpoch}`;
  const leased = new Set<string>();
  const keepLayers = (s: BuildState): void => commitLayerLease(lease, s, leased);

  const sourceState = async (ref: SourceRef): Promise<BuildState> => {
    if (ref.kind === 'stage') {
      const r = results.get(ref.index);
      if (r === undefined) throw new BerthError('BERTH_EINTERNAL', `stage ${ref.index} has not been built`);
      return r.state;
    }
    if (ref.kind === 'image') return stateFromImage(store, await resolveImage(ref.ref, undefined));
    throw new BerthError('BERTH_EINTERNAL', 'the context is no image');
  };
  const sourceKey = async (ref: SourceRef | undefined, source?: string): Promise<string> => {
    if (ref === undefined) return '';
    if (ref.kind === 'stage') return results.get(ref.index)?.key ?? '';
    if (ref.kind === 'image') return (await resolveImage(ref.ref, undefined)).id;
    return contextInputsDigest(ctxSnap, [source ?? '.']);
  };
  const ctx: ExecContext = {
    store, lease, buildId, workDir, runtime: o.runtime, runtimeRoot, contextDir: o.contextDir, contextEntries: ctxSnap.entries, file,
    ...(o.sourceDateEpoch === undefined ? {} : { epoch: o.sourceDateEpoch }), proxyArgs: plan.proxyArgs,
    ...(o.network === undefined ? {} : { network: o.network }), ...(o.signal === undefined ? {} : { signal: o.signal }),
    sourceState, counter: { n: 0 },
  };
  const counts = { cached: 0, executed: 0 };

  const inputsOf = async (step: PlannedStep): Promise<string | undefined> => {
    const ins = step.instruction;
    const where = (e: unknown): never => { throw isBerthError(e, 'BERTH_EBUILD') && !/^[^:]+:\d+: /.test(e.message) ? buildError(file, ins.line, e.message, e) : e; };
    if (ins.kind === 'COPY' || ins.kind === 'ADD') {
      for (const s of ins.sources) {
        if (/^(?:https?:\/\/|git@|git:\/\/)/.test(s)) throw buildError(file, ins.line, `${ins.kind} ${s}: remote sources are not supported (berth builds offline-first): download it into the context and COPY it`);
        if (step.source?.kind === 'context' && /^\.\.(?:\/|$)/.test(s.replace(/^\.\//, '').replace(/\/\.\//g, '/')) ) {
          throw buildError(file, ins.line, `${ins.kind} ${s}: the source is outside the build context`);
        }
      }
      if (step.source?.kind === 'context') return stepInputsDigest(ctxSnap, step).catch(where);
      return sourceKey(step.source);
    }
    if (ins.kind === 'RUN' && ins.mounts.length > 0) {
      const parts: string[] = [];
      for (const [i, m] of ins.mounts.entries()) {
        if (m.type !== 'bind') continue;
        parts.push(await sourceKey(step.mountSources?.[i] ?? { kind: 'context' }, m.source).catch(where));
      }
      return parts.join(',');
    }
    return undefined;
  };

  let ok = false;
  try {
    for (const [pos, i] of plan.order.entries()) {
      const st = plan.stages[i]!;
      const info = { stage: pos + 1, stages: plan.order.length, ...(st.name === undefined ? {} : { stageName: st.name }), steps: st.steps.length + 1 };
      const fromText = st.from.original;
      const h0 = progress.step({ ...info, step: 1, text: fromText });
      let state: BuildState;
      let key: string;
      if (st.base.kind === 'scratch') {
        state = scratchState(hostPlatform());
        key = stepKey('', 'FROM scratch', epochText);
      } else if (st.base.kind === 'image') {
        const img = await resolveImage(st.base.ref, st.from.line);
        state = await stateFromImage(store, img);
        // The triggers ran in this build; the new image does not pass them on.
        delete state.doc.config.OnBuild;
        key = stepKey('', `FROM ${img.id}`, epochText);
      } else {
        const r = results.get(st.base.index)!;
        state = cloneState(r.state);
        key = r.key;
      }
      keepLayers(state);
      h0.done();
      const flags = { cmdSet: false };
      for (const [k, step] of st.steps.entries()) {
        if (o.signal?.aborted === true) throw new BerthError('BERTH_EBUILD', 'build interrupted');
        const h = progress.step({ ...info, step: k + 2, text: step.instruction.original });
        try {
          if (step.instruction.kind === 'CMD') flags.cmdSet = true;
          key = stepKey(key, canonicalInstruction(step), await inputsOf(step));
          const hit = o.noCache === true ? undefined : cache.get(key);
          if (hit !== undefined && (await layersPresent(store, hit))) {
            state = hit;
            keepLayers(state);
            counts.cached++;
            h.cached();
            continue;
          }
          state = await executeStep(ctx, state, step, flags, { output: (c) => h.output(c) });
          cache.put(key, state);
          counts.executed++;
          h.done();
        } catch (e) {
          const tail = isBerthError(e) && Array.isArray(e.detail?.tail) ? (e.detail.tail as string[]) : [];
          h.failed((e as Error).message.split('\n')[0] ?? String(e), tail);
          throw e;
        }
      }
      results.set(i, { state, key });
    }
    const final = cloneState(results.get(plan.target)!.state);
    if (o.labels !== undefined && Object.keys(o.labels).length > 0) {
      final.doc.config.Labels = { ...((final.doc.config.Labels as Record<string, string> | undefined) ?? {}), ...o.labels };
    }
    const tags = (o.tags ?? []).map((t) => normalizeTag(t));
    const image = await registerState(store, lease, final, tags);
    ok = true;
    return { image, tags, steps: counts, warnings };
  } finally {
    lease.release();
    // Anything a failed step could not undo (it should have) is undone here, before the directory goes.
    if (mountsBelow(workDir).length > 0) await unmountAll(workDir);
    rmSync(workDir, { recursive: true, force: true });
    if (!ok) await removeLeftovers(store, buildId);
  }
}

/** Snapshots of this build that are still there after a failure (belt and braces). */
async function removeLeftovers(store: LocalImageStore, buildId: string): Promise<void> {
  const snap = store.snapshotter();
  const mine: string[] = [];
  for await (const s of snap.walk()) if (s.key.startsWith(`build-${buildId}-`)) mine.push(s.key);
  for (const k of mine) await snap.remove(k).catch(() => undefined);
}

/** `localhost/…` names have no registry behind them by default: never pulled. */
function isLocalOnly(ref: string): boolean {
  try {
    return parseReference(ref).domain === 'localhost';
  } catch {
    return true;
  }
}
