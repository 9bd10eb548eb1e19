// OCI bundles in temp dirs. The rootfs is an overlay over the shared busybox fixture with a private
// upper dir, so tests can write to / without touching the fixture or each other.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cleanup } from './cleanup.js';
import { repoRoot } from './runtime-under-test.js';
import type { Spec } from './spec.js';

export function fixtureRootfs(): string {
  const dir = join(repoRoot(), 'test/fixtures/out/busybox-rootfs');
  if (!existsSync(join(dir, 'bin/busybox'))) {
    throw new Error(`${dir} is missing: run bash test/fixtures/make-busybox-rootfs.sh`);
  }
  return dir;
}

export function makeTempDir(cleanup: Cleanup, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim() || r.error?.message || `exit ${r.status}`}`);
}

export interface Bundle {
  dir: string;
  rootfs: string;
  spec: Spec;
  /** Writes spec (as now edited) to config.json. */
  write(): void;
  /** A path inside the bundle dir but outside the rootfs, for files the test reads from the host. */
  path(name: string): string;
}

export function makeBundle(cleanup: Cleanup, spec: Spec): Bundle {
  const dir = makeTempDir(cleanup, 'berth-bundle-');
  // Traversable by a container whose root is mapped to an unprivileged host uid.
  chmodSync(dir, 0o755);
  const rootfs = join(dir, 'rootfs');
  const upper = join(dir, '.upper');
  const work = join(dir, '.work');
  for (const d of [rootfs, upper, work]) mkdirSync(d);
  const overlay = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${fixtureRootfs()},upperdir=${upper},workdir=${work}`, rootfs], { encoding: 'utf8' });
  if (overlay.status === 0) {
    // Registered after the dir removal, so it runs first (LIFO).
    cleanup.add(`unmount ${rootfs}`, () => sh('umount', [rootfs]));
  } else {
    // No overlay here (e.g. /tmp is itself overlayfs): a private copy is slower but as safe.
    cpSync(fixtureRootfs(), rootfs, { recursive: true, verbatimSymlinks: true });
  }
  const bundle: Bundle = {
    dir,
    rootfs,
    spec,
    write: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(bundle.spec, null, 2)),
    path: (name) => join(dir, name),
  };
  bundle.write();
  return bundle;
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
