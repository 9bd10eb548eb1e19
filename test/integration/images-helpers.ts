// Shared by the images-*.test.ts integration tests: run the berth CLI against a temp root, make
// sure the default image archive exists, and look at what a root holds on disk.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProgram } from '../helpers/exec.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BERTH = join(REPO, 'build/src/cli/berth/entry.js');
export const DEFAULT_ARCHIVE = join(REPO, 'dist/images/busybox.tar');
export const isRoot = process.getuid?.() === 0;

export function ensureDefaultImage(): void {
  if (existsSync(DEFAULT_ARCHIVE)) return;
  const r = spawnSync(process.execPath, [join(REPO, 'scripts/make-default-image.mjs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make-default-image failed: ${r.stderr}`);
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function berth(root: string, args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<Run> {
  return berthProgram(BERTH, ['--root', root, '--run-root', runRootOf(root), ...args], opts);
}

/** A berth entry script (main or build-cli) as the suites run it: the default image from the test archive. */
export async function berthProgram(script: string, args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<Run> {
  const r = await runProgram(process.execPath, [script, ...args], {
    env: { ...process.env, BERTH_DEFAULT_IMAGE: DEFAULT_ARCHIVE, ...(opts.env ?? {}) },
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    // no bound of its own before: a cold build may be slow, only a hung one is cut
    timeoutMs: 600_000,
  });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** Like berth() but fails the test with stderr when the exit code is not 0. */
export async function ok(root: string, args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await berth(root, args, opts);
  if (r.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export function tempRoot(t: { after(fn: () => void): void }, prefix = 'berth-img-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => {
    // A container run makes <run root>/netns a shared bind mount of itself (as `ip netns` does).
    spawnSync('umount', ['--lazy', join(runRootOf(dir), 'netns')], { stdio: 'ignore' });
    rmSync(runRootOf(dir), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Each test root gets its own run root beside it, never the host's /run/berth. */
export function runRootOf(root: string): string {
  return `${root}.run`;
}

export function blobsIn(root: string): string[] {
  const dir = join(root, 'content', 'blobs', 'sha256');
  return existsSync(dir) ? readdirSync(dir) : [];
}

export function snapshotDirsIn(root: string): string[] {
  const out: string[] = [];
  for (const driver of ['overlay', 'vfs']) {
    const dir = join(root, 'snapshots', driver, 'snapshots');
    if (existsSync(dir)) out.push(...readdirSync(dir));
  }
  return out;
}

export async function imageIds(root: string): Promise<string[]> {
  return JSON.parse(await ok(root, ['images', '--format', 'json'])).map((i: { Id: string }) => i.Id).sort();
}

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}
