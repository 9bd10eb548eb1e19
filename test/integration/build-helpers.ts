// Shared by the build-*.test.ts suites: `berth build` against a private root and run root, contexts
// written from a table of files, and what a failed build might have left behind.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { berthProgram, REPO, runRootOf, type Run } from './images-helpers.js';

export const BUILD_CLI = join(REPO, 'build/test/integration/build-cli.js');

export interface Roots { root: string; runRoot: string }

export function tempRoots(t: { after(fn: () => void | Promise<void>): void }): Roots {
  const base = mkdtempSync(join(tmpdir(), 'berth-build-'));
  const r = { root: join(base, 'root'), runRoot: join(base, 'run') };
  t.after(() => {
    // Containers run by `berth run` make <run root>/netns a shared bind mount of itself.
    for (const runRoot of [r.runRoot, runRootOf(r.root)]) spawnSync('umount', ['--lazy', join(runRoot, 'netns')], { stdio: 'ignore' });
    rmSync(base, { recursive: true, force: true });
  });
  return r;
}

/** `berth build ARGS` (through build-cli.js, the same command main.ts runs). */
export function berthBuild(r: Roots, args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<Run> {
  return berthProgram(BUILD_CLI, ['--root', r.root, '--run-root', r.runRoot, 'build', ...args], opts);
}

export async function buildOk(r: Roots, args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}): Promise<{ id: string; log: string }> {
  const res = await berthBuild(r, args, opts);
  if (res.code !== 0) throw new Error(`berth build ${args.join(' ')} exited ${res.code}:\n${res.stderr}`);
  return { id: res.stdout.trim().split('\n').pop() ?? '', log: res.stderr };
}

/** Writes files (path → content; a trailing "/" makes a directory) under a new temp context dir. */
export function makeContext(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ctx-'));
  chmodSync(dir, 0o755);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('/')) {
      mkdirSync(join(dir, name), { recursive: true });
      continue;
    }
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
}

/** Lines of the plain progress output that say a step was taken from the cache. */
export function cachedSteps(log: string): string[] {
  return log.split('\n').filter((l) => / STEP \d+\/\d+: .* CACHED$/.test(l)).map((l) => l.replace(/^\[[^\]]*\] /, '').replace(/ CACHED$/, ''));
}

/** Steps that ran (their header line followed later by a "-->" line, not CACHED). */
export function ranSteps(log: string): string[] {
  return log.split('\n').filter((l) => / STEP \d+\/\d+: /.test(l) && !l.endsWith(' CACHED') && !/ STEP 1\/\d+: FROM /.test(l)).map((l) => l.replace(/^\[[^\]]*\] /, ''));
}

export interface Leftovers { buildSnapshots: string[]; mounts: string[]; runtimeContainers: string[]; workDirs: string[] }

export function leftovers(r: Roots): Leftovers {
  const db = new Database(join(r.root, 'berth.db'), { readonly: true });
  let keys: string[] = [];
  try {
    keys = (db.prepare('SELECT key FROM snapshots').all() as { key: string }[]).map((x) => x.key);
  } finally {
    db.close();
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(r.root) || p.startsWith(r.runRoot));
  return {
    buildSnapshots: keys.filter((k) => !k.startsWith('sha256:')),
    mounts,
    runtimeContainers: readdirSafe(join(r.runRoot, 'build', 'runtime')).filter((n) => !n.startsWith('.')),
    workDirs: readdirSafe(join(r.runRoot, 'build', 'builds')),
  };
}

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

/** The image's config blob, as written. */
export function configBlob(r: Roots, id: string): Record<string, any> {
  return JSON.parse(readFileSync(join(r.root, 'content', 'blobs', 'sha256', id.replace(/^sha256:/, '')), 'utf8'));
}

export function blobPath(r: Roots, digest: string): string {
  return join(r.root, 'content', 'blobs', 'sha256', digest.replace(/^sha256:/, ''));
}

export function layerDigests(r: Roots, id: string): string[] {
  const db = new Database(join(r.root, 'berth.db'), { readonly: true });
  try {
    return (db.prepare('SELECT blob_digest FROM image_layers WHERE image_id = ? ORDER BY idx').all(id) as { blob_digest: string }[]).map((x) => x.blob_digest);
  } finally {
    db.close();
  }
}
