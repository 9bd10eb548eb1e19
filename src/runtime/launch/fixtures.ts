// Hand-built plans and helpers for the tests of launch/ (they drive berth-nsexec directly).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import type { LaunchPlan, MountOp } from '../plan/launch-plan.js';
import { launchHelper, type LaunchOptions } from './launch-helper.js';

export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

export const MS_RDONLY = 1n;
export const MS_NOSUID = 2n;
export const MS_NODEV = 4n;
export const MS_NOEXEC = 8n;
export const MS_BIND = 4096n;
export const MS_REC = 16384n;
export const MS_PRIVATE = 1n << 18n;
export const MS_SLAVE = 1n << 19n;

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'native', 'plan.h'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export const repoRoot = findRepoRoot();
export const busyboxRootfs = resolve(repoRoot, 'test/fixtures/out/busybox-rootfs');
export const helperBuilt = existsSync(join(repoRoot, 'native/build/berth-nsexec'));
export const isRoot = process.getuid?.() === 0;
/** Why the integration tests cannot run here, or undefined. */
export const skipReason: string | undefined = !isRoot
  ? 'needs root'
  : !helperBuilt
    ? 'native/build/berth-nsexec missing (make -C native)'
    : !existsSync(join(busyboxRootfs, 'bin/busybox'))
      ? 'busybox rootfs missing (bash test/fixtures/make-busybox-rootfs.sh)'
      : undefined;

export const mountOp = (source: string, target: string, fstype: string, flags = 0n, data = ''): MountOp => ({
  source,
  target,
  fstype,
  flags,
  propagation: 0n,
  data,
  remountFlags: 0n,
  targetKind: 'dir',
});

export function basePlan(rootfs: string, args: string[], extra: Partial<LaunchPlan> = {}): LaunchPlan {
  return {
    mode: 'create',
    foreground: true,
    cloneFlags: BigInt(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC),
    joinNamespaces: [],
    waitForGo: false,
    loopbackUp: false,
    runHooks: false,
    rootfs,
    rootfsReadonly: false,
    rootfsPropagation: MS_REC | MS_SLAVE,
    noPivot: false,
    mounts: [
      mountOp('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC),
      mountOp('tmpfs', '/dev', 'tmpfs', MS_NOSUID, 'mode=755,size=65536k'),
    ],
    devices: [
      { path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0, bindFromHost: false },
      { path: '/dev/zero', type: 'c', major: 1, minor: 5, mode: 0o666, uid: 0, gid: 0, bindFromHost: false },
    ],
    symlinks: [],
    maskedPaths: [],
    readonlyPaths: [],
    sysctls: [],
    rlimits: [],
    noNewPrivileges: false,
    user: { uid: 0, gid: 0, additionalGids: [] },
    setgroups: true,
    cwd: '/',
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
    args,
    terminal: false,
    preserveFds: 0,
    syncFd: 3,
    usernsHolders: [],
    startHooks: [],
    ...extra,
  };
}

export function tempDir(prefix = 'berth-launch-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A writable rootfs over the read-only fixture: an overlay in a temp dir. */
export function overlayRootfs(): { rootfs: string; upper: string; cleanup: () => void } {
  const dir = tempDir('berth-ovl-');
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const rootfs = join(dir, 'merged');
  for (const d of [upper, work, rootfs]) mkdirSync(d);
  const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${busyboxRootfs},upperdir=${upper},workdir=${work}`, rootfs]);
  if (r.status !== 0) throw new Error(`overlay mount failed: ${r.stderr.toString()}`);
  return {
    rootfs,
    upper,
    cleanup: () => {
      spawnSync('umount', ['-l', rootfs]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

function collect(s: Readable | null): Promise<string> {
  if (!s) return Promise.resolve('');
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => s.once('close', () => resolve(Buffer.concat(chunks).toString())));
}

/** Runs a foreground plan to its end: exit code and output. */
export async function runForeground(
  plan: LaunchPlan,
  opts: LaunchOptions = {},
): Promise<{ pid: number; code: number; out: string; err: string }> {
  const launched = await launchHelper(plan, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  const out = collect(launched.helper.stdout);
  const err = collect(launched.helper.stderr);
  const code = await launched.exit!;
  return { pid: launched.pid, code, out: await out, err: await err };
}
