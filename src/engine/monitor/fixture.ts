// Test support for the monitor's integration tests: a temp bundle over the busybox fixture, runc
// with a private --root, and cleanup of everything a test started. Not a test file itself.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SpawnMonitorOptions } from './spawn.js';

const run = promisify(execFile);
export const RUNC = '/usr/sbin/runc';
// One parent per test process, so that two runs at once (CI beside a developer's) never share it.
export const CGROUP_PARENT = `berth-monitor-test-${process.pid}`;

function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
  }
  throw new Error('repository root not found');
}

export const ROOTFS = join(repoRoot(), 'test', 'fixtures', 'out', 'busybox-rootfs');
export const MONITOR_BINARY = join(repoRoot(), 'native', 'build', 'berth-monitor');

/** Why the integration tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync(RUNC)) return `needs ${RUNC}`;
  if (!existsSync(join(ROOTFS, 'bin', 'sh'))) return `needs the busybox fixture at ${ROOTFS}`;
  if (!existsSync(MONITOR_BINARY)) return `needs ${MONITOR_BINARY} (make -C native/monitor)`;
  return undefined;
}

/** A config.json modelled on `runc spec`, with a read-only busybox root. */
export function bundleSpec(id: string, args: string[], terminal: boolean): object {
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: Object.fromEntries(
        ['bounding', 'effective', 'permitted'].map((k) => [k, ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']]),
      ),
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: ROOTFS, readonly: true },
    hostname: 'berth',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      cgroupsPath: `/${CGROUP_PARENT}/${id}`,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

let counter = 0;

export interface Sandbox {
  id: string;
  dir: string;
  state: string;
  bundle: string;
  logPath: string;
  attachSocket: string;
  exitFile: string;
  pidFile: string;
  /** spawnMonitor options for this sandbox, with runc as the runtime. */
  options(extra?: Partial<SpawnMonitorOptions>): SpawnMonitorOptions;
  runc(...args: string[]): Promise<string>;
  /** Records a monitor pid so cleanup can make sure it is gone. */
  track(pid: number): void;
  cleanup(): Promise<void>;
}

export async function makeSandbox(args: string[], opts: { terminal?: boolean; noConfig?: boolean } = {}): Promise<Sandbox> {
  const id = `bm-${process.pid}-${++counter}`;
  const dir = await mkdtemp(join(tmpdir(), 'bmon-'));
  const state = join(dir, 'state');
  const bundle = join(dir, 'bundle');
  await mkdir(state);
  await mkdir(bundle);
  if (opts.noConfig !== true) {
    await writeFile(join(bundle, 'config.json'), JSON.stringify(bundleSpec(id, args, opts.terminal === true), null, 2));
  }
  const pids: number[] = [];
  const runc = async (...a: string[]): Promise<string> => (await run(RUNC, ['--root', state, ...a])).stdout;
  const sb: Sandbox = {
    id,
    dir,
    state,
    bundle,
    logPath: join(dir, 'ctr.log'),
    attachSocket: join(dir, 'attach.sock'),
    exitFile: join(dir, 'exit.json'),
    pidFile: join(dir, 'init.pid'),
    options: (extra = {}) => ({
      id,
      bundle,
      runtime: RUNC,
      runtimeArgs: ['--root', state],
      logPath: sb.logPath,
      attachSocket: sb.attachSocket,
      exitFile: sb.exitFile,
      pidFile: sb.pidFile,
      binary: MONITOR_BINARY,
      terminal: opts.terminal === true,
      ...extra,
    }),
    runc,
    track: (pid) => {
      pids.push(pid);
    },
    cleanup: async () => {
      await runc('delete', '--force', id).catch(() => undefined);
      for (const pid of pids) {
        // The container is gone, so the monitor finishes by itself; force it only if it hangs.
        if (!(await waitUntil(async () => !alive(pid), 5000))) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  return sb;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); it has finished for our purposes.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls until cond is true; resolves false after timeoutMs (callers assert on it). */
export async function waitUntil(cond: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 25): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Removes the per-test cgroup parent from every v1 hierarchy (runc delete removes only the leaf). */
export function removeCgroupParent(): string[] {
  const left: string[] = [];
  for (const ctrl of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', ctrl, CGROUP_PARENT);
    if (!existsSync(dir)) continue;
    for (const child of readdirSync(dir, { withFileTypes: true })) {
      if (child.isDirectory()) {
        try {
          rmdirSync(join(dir, child.name));
        } catch {
          // still in use: reported below through the parent
        }
      }
    }
    try {
      rmdirSync(dir);
    } catch {
      left.push(dir);
    }
  }
  return left;
}

export function vmRssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}
