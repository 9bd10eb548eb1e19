// Running one CNI plugin binary: the impure edge of the CNI client. Everything about the
// protocol (which env, which stdin) is decided by the caller; this file only runs and reports.
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { CniCommand } from './types.js';

export interface PluginRun {
  command: CniCommand;
  containerId?: string;
  netns?: string;
  ifName?: string;
  /** CNI_ARGS, already in `K=V;K=V` form. */
  args?: string;
  /** Directories searched for plugins; also passed to the plugin as CNI_PATH (IPAM delegation). */
  path: string[];
  stdin: string;
  timeoutMs: number;
}

export type PluginOutcome =
  | { kind: 'ok'; stdout: string; stderr: string }
  | { kind: 'failed'; exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
  | { kind: 'timeout'; stderr: string }
  | { kind: 'spawn-error'; error: Error };

// A plugin prints one JSON document; anything near this size is a broken plugin, not a result.
const MAX_OUTPUT = 4 * 1024 * 1024;

export async function findPlugin(type: string, dirs: string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const candidate = join(dir, type);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next directory
    }
  }
  return undefined;
}

export function runPlugin(binary: string, run: PluginRun): Promise<PluginOutcome> {
  const env: NodeJS.ProcessEnv = {
    // Plugins such as portmap and firewall exec iptables, so they need the caller's PATH.
    ...process.env,
    CNI_COMMAND: run.command,
    CNI_PATH: run.path.join(':'),
  };
  if (run.containerId !== undefined) env.CNI_CONTAINERID = run.containerId;
  if (run.netns !== undefined) env.CNI_NETNS = run.netns;
  if (run.ifName !== undefined) env.CNI_IFNAME = run.ifName;
  if (run.args) env.CNI_ARGS = run.args;

  return new Promise((resolve) => {
    let settled = false;
    const finish = (o: PluginOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    // Own process group, so a timeout kills whatever the plugin forked too (a hung IPAM
    // delegate would otherwise keep the pipes open and the call alive).
    const child = spawn(binary, [], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    child.stdout.on('data', (b: Buffer) => {
      if (outLen < MAX_OUTPUT) out.push(b);
      outLen += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errLen < MAX_OUTPUT) err.push(b);
      errLen += b.length;
    });
    const text = (bufs: Buffer[]): string => Buffer.concat(bufs).toString('utf8');
    const timer = setTimeout(() => {
      killGroup(child.pid);
      finish({ kind: 'timeout', stderr: text(err) });
    }, run.timeoutMs);
    child.on('error', (error) => finish({ kind: 'spawn-error', error }));
    child.on('close', (code, signal) => {
      if (code === 0) finish({ kind: 'ok', stdout: text(out), stderr: text(err) });
      else finish({ kind: 'failed', exitCode: code, signal, stdout: text(out), stderr: text(err) });
    });
    // A plugin that exits before reading stdin makes the write fail with EPIPE; its exit
    // status is the interesting part, so the write error is ignored.
    child.stdin.on('error', () => undefined);
    child.stdin.end(run.stdin);
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
