// Running one planned step against a build state: config-only instructions edit the config; RUN,
// COPY, ADD and WORKDIR run on a fresh snapshot of the state's top layer, whose changes become the
// step's layer (none when nothing changed, recorded in history as an empty layer, as Docker does).

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../errors.js';
import type { Mount as SpecMount } from '../../oci/runtime-spec.js';
import type { LocalImageStore } from '../store.js';
import type { Lease } from '../store/lease.js';
import type { Mount as AstMount, RunInstruction } from './ast.js';
import { applyConfigStep, createdBy, hasHistory, shellOf, type StageFlags } from './config-steps.js';
import { commitLayer } from './commit.js';
import { copyStep, type CopySource } from './copy-step.js';
import type { ContextEntry } from './dockerignore.js';
import { cloneState, type BuildState, type LayerDesc } from './image-state.js';
import { mkdirInRoot } from './in-root.js';
import { resolveUser } from './passwd.js';
import { overlayDiff, treeDiff } from './layer-diff.js';
import { lockCacheMount, type CacheMountLock } from './cache-mounts.js';
import { mountAt, mountOverlay, unmountAll } from './mounts.js';
import { runInContainer } from './run-step.js';
import type { PlannedStep, SourceRef } from './stages.js';

export interface ExecContext {
  store: LocalImageStore;
  lease: Lease;
  buildId: string;
  /** Per-build scratch directory (mount points, bundles); removed at the end. */
  workDir: string;
  runtime: string;
  runtimeRoot: string;
  contextDir: string;
  contextEntries: readonly ContextEntry[];
  file: string;
  epoch?: number;
  proxyArgs: ReadonlyArray<readonly [string, string]>;
  /** `berth build --network`: the default for RUN steps without --network. */
  network?: 'default' | 'none' | 'host';
  signal?: AbortSignal;
  /** The state a stage or image source stands for (for --from and mount from=). */
  sourceState(ref: SourceRef): Promise<BuildState>;
  counter: { n: number };
}

export interface View {
  root: string;
  close(): Promise<void>;
}

/** A read-only mount of a state's filesystem. */
export async function openView(ctx: ExecContext, state: BuildState): Promise<View> {
  const n = ++ctx.counter.n;
  const key = `build-${ctx.buildId}-view-${n}`;
  const snap = ctx.store.snapshotter();
  const mounts = await snap.view(key, state.layers[state.layers.length - 1]?.chainId);
  const root = join(ctx.workDir, `view-${n}`);
  try {
    await mountAt(mounts, root, { readonly: true });
  } catch (e) {
    await snap.remove(key).catch(() => undefined);
    throw e;
  }
  return {
    root,
    async close() {
      await unmountAll(root);
      rmSync(root, { recursive: true, force: true });
      await snap.remove(key).catch(() => undefined);
    },
  };
}

/** Runs fn on a writable rootfs over the state; returns the layer of what it changed, if anything. */
export async function onSnapshot(ctx: ExecContext, state: BuildState, fn: (rootfs: string) => Promise<void>): Promise<LayerDesc | undefined> {
  const n = ++ctx.counter.n;
  const key = `build-${ctx.buildId}-${n}`;
  const snap = ctx.store.snapshotter();
  const parent = state.layers[state.layers.length - 1]?.chainId;
  const mounts = await snap.prepare(key, parent, { labels: { 'berth.build': ctx.buildId } });
  const rootfs = join(ctx.workDir, `rootfs-${n}`);
  let committed = false;
  try {
    try {
      await mountAt(mounts, rootfs);
      await fn(rootfs);
    } finally {
      await unmountAll(rootfs);
      rmSync(rootfs, { recursive: true, force: true });
    }
    const own = await snap.dir(key);
    const opts = ctx.epoch === undefined ? {} : { epoch: ctx.epoch };
    const entries = ctx.store.driver === 'overlay' ? overlayDiff(own, opts) : treeDiff(parent === undefined ? undefined : await snap.dir(parent), own, opts);
    if (entries.length === 0) return undefined;
    const layer = await commitLayer(ctx.store, ctx.lease, { key, below: state.layers, entries });
    committed = true;
    return layer;
  } finally {
    if (!committed) await snap.remove(key).catch(() => undefined);
  }
}

function historyTime(ctx: ExecContext): string {
  return ctx.epoch === undefined ? new Date().toISOString() : new Date(ctx.epoch * 1000).toISOString().replace('.000Z', 'Z');
}

export interface StepIo {
  output(chunk: Buffer): void;
}

/** Executes the step (no cache lookup here) and returns the state after it. */
export async function executeStep(ctx: ExecContext, before: BuildState, step: PlannedStep, flags: StageFlags, io: StepIo): Promise<BuildState> {
  const state = cloneState(before);
  const ins = step.instruction;
  const by = createdBy(step, state.doc.config, new Set(ctx.proxyArgs.map(([k]) => k)));
  let layer: LayerDesc | undefined;
  const where = `${ctx.file}:${ins.line}`;
  if (applyConfigStep(state.doc, step, flags)) {
    // config only
  } else if (ins.kind === 'WORKDIR') {
    state.doc.config.WorkingDir = step.workdir;
    // As BuildKit: a directory WORKDIR creates belongs to the USER of the moment.
    const user = state.doc.config.User;
    layer = await onSnapshot(ctx, state, async (rootfs) => {
      const owner = typeof user === 'string' && user !== '' ? resolveUser(rootfs, user) : undefined;
      mkdirInRoot(rootfs, step.workdir, owner === undefined ? undefined : { uid: owner.uid, gid: owner.gid });
    });
  } else if (ins.kind === 'COPY' || ins.kind === 'ADD') {
    const src = step.source ?? { kind: 'context' as const };
    let view: View | undefined;
    try {
      let source: CopySource;
      if (src.kind === 'context') source = { kind: 'context', dir: ctx.contextDir, entries: ctx.contextEntries };
      else {
        view = await openView(ctx, await ctx.sourceState(src));
        source = { kind: 'rootfs', root: view.root, what: src.kind === 'stage' ? `stage ${src.index}` : `image ${src.ref}` };
      }
      const s = source;
      layer = await onSnapshot(ctx, state, (rootfs) => copyStep({ rootfs, instruction: ins, workdir: step.workdir, source: s, where }));
    } finally {
      await view?.close();
    }
  } else if (ins.kind === 'RUN') {
    layer = await runStep(ctx, state, step, ins, io, where);
  } else {
    throw new BerthError('BERTH_EBUILD', `${where}: ${ins.kind} is not supported here`);
  }
  if (layer !== undefined) state.layers.push(layer);
  const created = historyTime(ctx);
  state.doc.created = created;
  if (hasHistory(ins)) state.doc.history.push({ created, created_by: by, ...(layer === undefined ? { empty_layer: true } : {}) });
  return state;
}

async function runStep(ctx: ExecContext, state: BuildState, step: PlannedStep, ins: RunInstruction, io: StepIo, where: string): Promise<LayerDesc | undefined> {
  const views: View[] = [];
  const locks: CacheMountLock[] = [];
  const overlays: string[] = [];
  try {
    const mounts: SpecMount[] = [];
    for (const [i, m] of ins.mounts.entries()) {
      mounts.push(await specMount(ctx, m, step.mountSources?.[i], where, views, locks, overlays));
    }
    const env = [...step.env, ...step.args, ...ctx.proxyArgs];
    const network = ins.network ?? ctx.network;
    const run: RunInstruction = network === undefined ? ins : { ...ins, network };
    const id = `berth-build-${ctx.buildId}-${ctx.counter.n + 1}`;
    let tail: string[] = [];
    let code = 0;
    const layer = await onSnapshot(ctx, state, async (rootfs) => {
      const user = state.doc.config.User;
      const r = await runInContainer({
        runtime: ctx.runtime, runtimeRoot: ctx.runtimeRoot, bundle: join(ctx.workDir, `bundle-${id}`), id, rootfs, instruction: run,
        shell: shellOf(state.doc.config), env, workdir: step.workdir, ...(typeof user === 'string' && user !== '' ? { user } : {}),
        mounts, onOutput: (c) => io.output(c), ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
      code = r.code;
      tail = r.tail;
      if (code !== 0) {
        const last = tail[tail.length - 1];
        throw new BerthError('BERTH_EBUILDRUN', `${where}: RUN exited with code ${code}${last === undefined ? '' : `: ${last.trim().slice(0, 300)}`}`, {
          detail: { line: step.instruction.line, code, tail },
        });
      }
    });
    return layer;
  } finally {
    for (const v of views) await v.close();
    for (const o of overlays) {
      await unmountAll(o);
    }
    for (const l of locks) l.release();
  }
}

async function specMount(ctx: ExecContext, m: AstMount, src: SourceRef | undefined, where: string, views: View[], locks: CacheMountLock[], overlays: string[]): Promise<SpecMount> {
  const target = m.target;
  if (target === undefined || target === '') throw new BerthError('BERTH_EBUILD', `${where}: --mount=type=${m.type} needs a target`);
  switch (m.type) {
    case 'tmpfs':
      return { destination: target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.size === undefined ? [] : [`size=${m.size}`])] };
    case 'cache': {
      if (m.from !== undefined) throw new BerthError('BERTH_EUNSUPPORTED', `${where}: --mount=type=cache,from= is not supported yet`);
      const lock = await lockCacheMount(ctx.store.root, { id: m.id ?? target, sharing: m.sharing ?? 'shared', mode: m.mode ?? 0o755, uid: m.uid ?? 0, gid: m.gid ?? 0, ...(ctx.signal === undefined ? {} : { signal: ctx.signal }) });
      locks.push(lock);
      return { destination: target, type: 'bind', source: lock.dir, options: ['rbind', m.readonly ? 'ro' : 'rw'] };
    }
    case 'bind': {
      let base: string;
      if (src === undefined || src.kind === 'context') {
        base = ctx.contextDir;
      } else {
        const v = await openView(ctx, await ctx.sourceState(src));
        views.push(v);
        base = v.root;
      }
      const { resolveInRoot } = await import('./in-root.js');
      const r = resolveInRoot(base, m.source ?? '/');
      if (!r.exists) throw new BerthError('BERTH_EBUILD', `${where}: --mount=type=bind,source=${m.source ?? '/'}: not found`);
      if (m.readonly) return { destination: target, type: 'bind', source: r.host, options: ['rbind', 'ro'] };
      // A writable bind: writes land in a throwaway overlay, never in the context or the source stage.
      const n = ++ctx.counter.n;
      const dir = join(ctx.workDir, `bind-${n}`);
      for (const d of ['upper', 'work']) mkdirInRoot(dir, d);
      await mountOverlay(r.host, join(dir, 'upper'), join(dir, 'work'), join(dir, 'merged'));
      overlays.push(join(dir, 'merged'));
      return { destination: target, type: 'bind', source: join(dir, 'merged'), options: ['rbind', 'rw'] };
    }
    default:
      throw new BerthError('BERTH_EUNSUPPORTED', `${where}: --mount=type=${m.type} is not supported yet`);
  }
}
