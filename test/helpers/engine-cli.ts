// Runs the berth CLI (build/'s entry: the bundle needs better-sqlite3 marked external) against a
// private storage root and run root, with the image store stand-in until src/image/store.ts lands.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url)); // build/test/helpers
export const BUILD = join(here, '..', '..');
export const ENTRY = join(BUILD, 'src', 'cli', 'berth', 'entry.js');
const REAL_STORE = join(BUILD, 'src', 'image', 'store.js');
const STANDIN = join(here, 'engine-image-standin.js');

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

export class BerthCli {
  readonly root: string;
  readonly runRoot: string;
  readonly env: NodeJS.ProcessEnv;
  readonly base: string;

  constructor(prefix = 'berth-engine-') {
    const base = mkdtempSync(join(tmpdir(), prefix));
    this.base = base;
    this.root = join(base, 'root');
    this.runRoot = join(base, 'run');
    this.env = { ...process.env, BERTH_CLI: ENTRY };
    if (!existsSync(REAL_STORE)) this.env.BERTH_IMAGE_STORE_MODULE = STANDIN;
    delete this.env.BERTH_TRACE;
  }

  /** Removes every container and volume, then the temp dirs (nothing may be mounted there by then). */
  dispose(): void {
    const ids = this.run(['ps', '-aq']).stdout.split('\n').filter((x) => x !== '');
    if (ids.length > 0) this.run(['rm', '-f', '-v', ...ids]);
    const vols = this.run(['volume', 'ls', '-q']).stdout.split('\n').filter((x) => x !== '');
    if (vols.length > 0) this.run(['volume', 'rm', '-f', ...vols]);
    if (!readFileSync('/proc/self/mountinfo', 'utf8').includes(this.base)) rmSync(this.base, { recursive: true, force: true });
  }

  args(a: string[]): string[] {
    return [ENTRY, '--root', this.root, '--run-root', this.runRoot, ...a];
  }

  run(a: string[], opts: { input?: string; timeoutMs?: number } = {}): Result {
    const r = spawnSync(process.execPath, this.args(a), { encoding: 'utf8', env: this.env, input: opts.input ?? '', timeout: opts.timeoutMs ?? 60_000 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs and requires exit 0; returns trimmed stdout. */
  ok(a: string[], opts: { input?: string } = {}): string {
    const r = this.run(a, opts);
    if (r.status !== 0) throw new Error(`berth ${a.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  }

  spawn(a: string[]) {
    return spawn(process.execPath, this.args(a), { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  inspect(ref: string): Record<string, any> {
    return (JSON.parse(this.ok(['inspect', ref])) as Record<string, any>[])[0]!;
  }
}

export async function until(cond: () => boolean, timeoutMs = 10_000, stepMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Mount points, berth cgroups, monitor processes and runtime state: what a leak would leave. */
export function resources(cli: BerthCli): { mounts: number; cgroups: number; monitors: number; runtimeState: number; containerDirs: number } {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(cli.root) || l.includes(cli.runRoot)).length;
  let cgroups = 0;
  for (const c of ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'freezer', 'devices', 'blkio']) {
    const d = `/sys/fs/cgroup/${c}/berth`;
    if (existsSync(d)) cgroups += readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).length;
  }
  let monitors = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (cmd.includes(cli.runRoot) && !/\) Z /.test(stat)) monitors++;
    } catch {
      /* gone */
    }
  }
  const count = (d: string): number => (existsSync(d) ? readdirSync(d).length : 0);
  return { mounts, cgroups, monitors, runtimeState: count(join(cli.runRoot, 'runtime')), containerDirs: count(join(cli.root, 'containers')) + count(join(cli.runRoot, 'c')) };
}

export function rootPrivileged(): boolean {
  return process.getuid?.() === 0;
}

export { spawnSync };
