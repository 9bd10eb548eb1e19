// RUN: the command in a container made with the OCI runtime's command line (`run --bundle`), the
// way buildah drives runc. The spec starts from the runtime's default (runc spec's choices) and
// takes Docker's build-container settings: Docker's default capabilities, no no_new_privs (setuid
// programs work), a high open-files limit, the step's user, workdir and environment, and a network
// namespace of its own unless `--network=host`. That namespace has only loopback: RUN has no
// outside network until the network issue lends builds a bridge.

import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../errors.js';
import type { Mount as SpecMount, Spec } from '../../oci/runtime-spec.js';
import { defaultSpec } from '../../runtime/spec-default.js';
import type { RunInstruction } from './ast.js';
import { commandArgs } from './config-steps.js';
import { mkdirInRoot, resolveInRoot } from './in-root.js';
import { resolveUser } from './passwd.js';

export const BUILD_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface RunStepOptions {
  runtime: string;
  runtimeRoot: string;
  bundle: string;
  id: string;
  rootfs: string;
  instruction: RunInstruction;
  shell: readonly string[];
  /** ENV, then ARGs and proxy args not shadowed by ENV. */
  env: ReadonlyArray<readonly [string, string]>;
  workdir: string;
  user?: string;
  /** RUN --mount, already resolved to spec mounts. */
  mounts: SpecMount[];
  onOutput(chunk: Buffer): void;
  signal?: AbortSignal;
}

/** The container's argv: shell form through SHELL; a lone here-document is the script itself. */
export function runArgs(ins: RunInstruction, shell: readonly string[], scriptPath: (i: number) => string): { args: string[]; scripts: string[] } {
  if (ins.command.form === 'exec') return { args: [...ins.command.args], scripts: [] };
  const h = ins.heredocs;
  const lone = h.length === 1 && /^<<-?(["']?)([^"'\s]+)\1$/.exec(ins.command.command.trim())?.[2] === h[0]!.name;
  if (lone) {
    const body = h[0]!.content;
    // A script with a #! line runs as a program, as BuildKit does; otherwise the shell runs it.
    if (body.startsWith('#!')) return { args: [scriptPath(0)], scripts: [body] };
    return { args: [...shell, body], scripts: [] };
  }
  if (h.length === 0) return { args: commandArgs(ins.command, shell), scripts: [] };
  // The shell reads the here-documents itself: give it the command with their bodies appended.
  const script = `${ins.command.command}\n${h.map((d) => `${d.content}${d.name}\n`).join('')}`;
  return { args: [...shell, script], scripts: [] };
}

function buildSpec(o: RunStepOptions, args: string[], extraMounts: SpecMount[]): Spec {
  const spec = defaultSpec();
  const user = o.user === undefined || o.user === '' ? { uid: 0, gid: 0, additionalGids: [] as number[], home: '/root' } : resolveUser(o.rootfs, o.user);
  const env = new Map<string, string>();
  for (const [k, v] of o.env) if (!env.has(k)) env.set(k, v);
  const list = [...env].map(([k, v]) => `${k}=${v}`);
  if (!env.has('PATH')) list.unshift(DEFAULT_PATH);
  if (!env.has('HOME')) list.push(`HOME=${user.home}`);
  spec.process = {
    ...spec.process!,
    terminal: false,
    args,
    env: list,
    cwd: o.workdir,
    user: { uid: user.uid, gid: user.gid, ...(user.additionalGids.length > 0 ? { additionalGids: user.additionalGids } : {}) },
    capabilities: { bounding: [...BUILD_CAPS], effective: [...BUILD_CAPS], permitted: [...BUILD_CAPS] },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile(), soft: nofile() }],
    noNewPrivileges: false,
  };
  spec.root = { path: o.rootfs, readonly: false };
  spec.hostname = o.id.slice(0, 63);
  spec.mounts = [...(spec.mounts ?? []), ...extraMounts, ...o.mounts];
  if (o.instruction.network === 'host') {
    spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'network');
  }
  return spec;
}

/** The host's hard limit on open files (what Docker gives build steps), at most 1048576. */
function nofile(): number {
  try {
    const m = /^Max open files\s+\S+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m !== null) return Math.min(Number(m[1]), 1048576);
  } catch {
    // fall through
  }
  return 1024;
}

/** Mount points the runtime will create in the rootfs; the ones it creates are removed afterwards. */
function missingMountPoints(rootfs: string, mounts: SpecMount[]): string[] {
  const missing: string[] = [];
  for (const m of mounts) {
    const top = m.destination.split('/').filter(Boolean);
    // Only paths outside /dev (a tmpfs) and /proc, /sys (kernel filesystems) reach the layer.
    for (let i = 1; i <= top.length; i++) {
      const p = `/${top.slice(0, i).join('/')}`;
      if (!resolveInRoot(rootfs, p).exists) {
        missing.push(p);
        break;
      }
    }
  }
  return missing;
}

function removeCreated(rootfs: string, paths: string[]): void {
  // Deepest first; only what is still empty, so a step that wrote there keeps its files.
  for (const p of [...new Set(paths)].sort((a, b) => b.length - a.length)) {
    const r = resolveInRoot(rootfs, p, { followLast: false });
    if (!r.exists) continue;
    try {
      const st = lstatSync(r.host);
      if (st.isDirectory() && readdirSync(r.host).length === 0) rmdirSync(r.host);
      else if (st.isFile() && st.size === 0) unlinkSync(r.host);
    } catch {
      // Left in place: it shows up in the layer, which is what Docker's builder did too.
    }
  }
}

export interface RunResult {
  code: number;
  tail: string[];
}

/** Runs the step's command to completion. Output goes to onOutput; returns the exit code and last lines. */
export async function runInContainer(o: RunStepOptions): Promise<RunResult> {
  mkdirSync(o.bundle, { recursive: true, mode: 0o700 });
  const scriptDir = join(o.bundle, 'scripts');
  const { args, scripts } = runArgs(o.instruction, o.shell, (i) => `/dev/.berth-run-script-${i}`);
  const extra: SpecMount[] = [];
  scripts.forEach((body, i) => {
    mkdirSync(scriptDir, { recursive: true });
    const file = join(scriptDir, String(i));
    writeFileSync(file, body, { mode: 0o755 });
    extra.push({ destination: `/dev/.berth-run-script-${i}`, type: 'bind', source: file, options: ['rbind', 'ro'] });
  });
  const spec = buildSpec(o, args, extra);
  const created = missingMountPoints(o.rootfs, spec.mounts!.filter((m) => !m.destination.startsWith('/dev/')));
  if (!resolveInRoot(o.rootfs, o.workdir).exists) mkdirInRoot(o.rootfs, o.workdir);
  writeFileSync(join(o.bundle, 'config.json'), JSON.stringify(spec));
  const tail = new TailLines(20);
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(o.runtime, ['--root', o.runtimeRoot, 'run', '--bundle', o.bundle, o.id], { stdio: ['ignore', 'pipe', 'pipe'] });
      const onData = (c: Buffer): void => {
        tail.push(c);
        o.onOutput(c);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const abort = (): void => {
        spawn(o.runtime, ['--root', o.runtimeRoot, 'kill', '--all', o.id, 'KILL'], { stdio: 'ignore' }).on('error', () => undefined);
      };
      o.signal?.addEventListener('abort', abort, { once: true });
      child.on('error', (e) => reject(new BerthError('BERTH_ELAUNCH', `run ${o.runtime}: ${e.message}`, { cause: e })));
      child.on('close', (code, sig) => {
        o.signal?.removeEventListener('abort', abort);
        resolve(code ?? (sig !== null ? 128 + 9 : 1));
      });
    });
    return { code, tail: tail.lines() };
  } finally {
    // `run` deletes the container when it exits; after a kill it may not have: make sure.
    if (existsSync(join(o.runtimeRoot, o.id))) {
      await new Promise<void>((resolve) => {
        spawn(o.runtime, ['--root', o.runtimeRoot, 'delete', '--force', o.id], { stdio: 'ignore' }).on('close', () => resolve()).on('error', () => resolve());
      });
    }
    removeCreated(o.rootfs, created);
  }
}

/** The last lines of a stream of output, for the error message of a failing step. */
export class TailLines {
  private buf = '';
  private readonly kept: string[] = [];

  constructor(private readonly max: number) {}

  push(c: Buffer): void {
    this.buf += c.toString('utf8');
    const parts = this.buf.split('\n');
    this.buf = parts.pop() ?? '';
    for (const p of parts) {
      this.kept.push(p);
      if (this.kept.length > this.max) this.kept.shift();
    }
  }

  lines(): string[] {
    const out = [...this.kept];
    if (this.buf !== '') out.push(this.buf);
    return out.slice(-this.max).filter((l) => l.trim() !== '');
  }
}
