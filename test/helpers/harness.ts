// Per-test (or per-describe) runtime harness: a private --root, bundles, tracked container ids, and
// a teardown that force-deletes what the test made and fails if the runtime left anything behind.
import { after } from 'node:test';
import type { TestContext } from 'node:test';
import { makeBundle, makeTempDir, type Bundle } from './bundle.js';
import { existingCgroupDirs } from './cgroups.js';
import { Cleanup } from './cleanup.js';
import type { RunOptions, RunResult } from './exec.js';
import { uniqueId } from './ids.js';
import { RuntimeCli, type RuntimeUnderTest } from './runtime-under-test.js';
import { baseSpec, type Spec } from './spec.js';
import { waitFor } from './wait.js';

export interface ContainerState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export interface HarnessOptions {
  rt: RuntimeUnderTest;
  /** Absolute cgroup path under which every container of the run gets `<parent>/<id>`. */
  cgroupParent: string;
}

export class RuntimeHarness {
  readonly cleanup = new Cleanup();
  readonly cli: RuntimeCli;
  readonly root: string;
  private readonly ids = new Set<string>();

  private constructor(readonly opts: HarnessOptions) {
    this.root = makeTempDir(this.cleanup, 'berth-root-');
    this.cli = new RuntimeCli(opts.rt, this.root);
  }

  static forTest(t: TestContext, opts: HarnessOptions): RuntimeHarness {
    const h = new RuntimeHarness(opts);
    t.after(() => h.close());
    return h;
  }

  /** Call in a describe body: shared by its tests, torn down after the last one. */
  static forSuite(opts: HarnessOptions): RuntimeHarness {
    const h = new RuntimeHarness(opts);
    after(() => h.close());
    return h;
  }

  get name(): string {
    return this.opts.rt.name;
  }

  /** A fresh container id that teardown will force-delete. */
  id(prefix = 'c'): string {
    const id = uniqueId(prefix);
    this.ids.add(id);
    return id;
  }

  cgroupPath(id: string): string {
    return `${this.opts.cgroupParent}/${id}`;
  }

  bundle(id: string, args: string[], edit?: (spec: Spec) => void): Bundle {
    const spec = baseSpec({ args, cgroupsPath: this.cgroupPath(id) });
    edit?.(spec);
    return makeBundle(this.cleanup, spec);
  }

  run(args: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return this.cli.run(args, opts);
  }

  /** `create`, with the container's stdio (and the runtime's messages) going to a file. */
  create(id: string, bundle: Bundle, extra: string[] = []): Promise<RunResult> {
    return this.cli.run(['create', '--bundle', bundle.dir, ...extra, id], { outputFile: bundle.path(`create-${id}.log`) });
  }

  async state(id: string): Promise<ContainerState> {
    const r = await this.cli.run(['state', id]);
    if (r.code !== 0) throw new Error(`state ${id}: exit ${r.code}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as ContainerState;
  }

  waitStatus(id: string, status: string): Promise<ContainerState> {
    return waitFor(async () => {
      const s = await this.state(id);
      return s.status === status && s;
    }, { what: `container ${id} to be ${status}` });
  }

  /** create + start of a long sleeper; returns its state. Fails the test if either step fails. */
  async startSleeper(id: string, edit?: (spec: Spec) => void): Promise<{ bundle: Bundle; state: ContainerState }> {
    const bundle = this.bundle(id, ['sleep', '1000'], edit);
    const c = await this.create(id, bundle);
    if (c.code !== 0) throw new Error(`create ${id}: exit ${c.code}: ${c.stderr.trim()}`);
    const s = await this.cli.run(['start', id]);
    if (s.code !== 0) throw new Error(`start ${id}: exit ${s.code}: ${s.stderr.trim()}`);
    return { bundle, state: await this.state(id) };
  }

  /** Container ids the runtime lists in this harness's root. */
  async listIds(): Promise<string[]> {
    const r = await this.cli.run(['list', '--format', 'json']);
    if (r.code !== 0) throw new Error(`list: exit ${r.code}: ${r.stderr.trim()}`);
    // runc prints `null` for an empty list.
    const items = (JSON.parse(r.stdout) ?? []) as { id: string }[];
    return items.map((i) => i.id);
  }

  async close(): Promise<void> {
    const leaks: string[] = [];
    try {
      for (const id of this.ids) await this.cli.run(['delete', '--force', id]);
      const left = await this.listIds();
      if (left.length > 0) leaks.push(`containers still listed after delete --force: ${left.join(', ')}`);
      for (const id of this.ids) leaks.push(...existingCgroupDirs(this.cgroupPath(id)).map((d) => `cgroup left: ${d}`));
    } finally {
      await this.cleanup.run();
    }
    if (leaks.length > 0) throw new Error(`${this.name} left things behind: ${leaks.join('; ')}`);
  }
}
