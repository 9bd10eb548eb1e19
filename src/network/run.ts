// Running host tools (ip, unshare, nsenter, mount) for the network layer: the one place that
// spawns them, with a timeout so a stuck tool cannot hang a container start.
import { spawn } from 'node:child_process';
import { BerthError } from '../errors.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let done = false;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
      // Background children of the tool may still hold the pipes; do not wait for them.
      finish(null, 'SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    };
    child.on('error', (e) => {
      err.push(Buffer.from(e.message));
      finish(127, null);
    });
    child.on('close', finish);
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Run and throw a BERTH_ENETWORK error naming `what` when the tool fails. */
export async function runChecked(what: string, cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const why = r.timedOut ? 'timed out' : (r.stderr.trim().split('\n').pop() ?? '') || `${cmd} exited with status ${r.code}`;
    throw new BerthError('BERTH_ENETWORK', `${what}: ${why}`, { detail: { cmd, args, code: r.code, stderr: r.stderr } });
  }
  return r;
}
