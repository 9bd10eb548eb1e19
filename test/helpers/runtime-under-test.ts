// Which OCI runtimes a suite runs against. runc proves the tests; berth-runtime is what they test.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram, shellQuote, type RunOptions, type RunResult } from './exec.js';

export type RuntimeName = 'runc' | 'berth-runtime';

export interface RuntimeUnderTest {
  name: RuntimeName;
  bin: string;
}

/** The repository root, found from this file so it works from test/ (tsx) and build/test/ (tsc). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'berth') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the berth repository root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export const RUNC: RuntimeUnderTest = { name: 'runc', bin: '/usr/sbin/runc' };
export const BERTH_RUNTIME: RuntimeUnderTest = { name: 'berth-runtime', bin: join(repoRoot(), 'bin/berth-runtime') };

/** BERTH_CONFORMANCE_RUNTIMES=runc,berth-runtime (the default: both). */
export function selectedRuntimes(env: NodeJS.ProcessEnv = process.env): RuntimeUnderTest[] {
  const wanted = (env.BERTH_CONFORMANCE_RUNTIMES ?? 'runc,berth-runtime').split(',').map((s) => s.trim()).filter(Boolean);
  return wanted.map((name) => {
    if (name === 'runc') return RUNC;
    if (name === 'berth-runtime') return BERTH_RUNTIME;
    throw new Error(`BERTH_CONFORMANCE_RUNTIMES: unknown runtime "${name}" (use runc, berth-runtime)`);
  });
}

/**
 * A missing runtime must fail its cases, not skip them: a skipped conformance suite looks green.
 * (Running `node` on a missing script would exit 1, which error cases would mistake for success.)
 */
export function assertRuntimeInstalled(rt: RuntimeUnderTest): void {
  if (!existsSync(rt.bin)) throw new Error(`${rt.name}: ${rt.bin} does not exist (not built yet?)`);
}

/** argv[0] and the leading arguments: both are executables, run as podman and containerd run them. */
export function runtimeCommand(rt: RuntimeUnderTest): [string, ...string[]] {
  return [rt.bin];
}

/** One runtime with its own state directory: tests never see the host's containers or each other's. */
export class RuntimeCli {
  constructor(readonly rt: RuntimeUnderTest, readonly root: string) {}

  argv(args: readonly string[]): [string, ...string[]] {
    return [...runtimeCommand(this.rt), '--root', this.root, ...args];
  }

  run(args: readonly string[], opts?: RunOptions): Promise<RunResult> {
    assertRuntimeInstalled(this.rt);
    const [file, ...rest] = this.argv(args);
    return runProgram(file, rest, opts);
  }

  /** The same invocation as one shell command line (for `script -c`). */
  shellLine(args: readonly string[]): string {
    return this.argv(args).map(shellQuote).join(' ');
  }
}
