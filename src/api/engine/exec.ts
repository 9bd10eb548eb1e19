// exec over the API: records in memory (docker keeps them only while the container runs), and the
// process run as `RUNTIME exec --process FILE` in the foreground with piped stdio. With a tty the
// runtime's foreground relay copies the pty to its stdout, so one raw stream comes back; the window
// size cannot follow (the relay reads it from its own stdin, a pipe here), so resize is accepted and
// ignored. A detached exec is the same process with nobody reading it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { BerthError } from '../../errors.js';
import { execProcess, writeProcessFile } from '../../engine/exec.js';
import { runtimeMessage } from '../../engine/runtime-client.js';
import { launchExitStatus } from '../../engine/start.js';
import type { OutputChunk, StdioSession } from '../backend.js';
import { Channel } from '../channel.js';
import type { ExecCreateBody, ExecInspect } from '../types.js';
import type { EngineApi, ExecRecord } from './state.js';

const RUNTIME_LINE = /^(berth-runtime:|time=")/;
const KEEP_FINISHED_MS = 5 * 60_000;

function findExec(api: EngineApi, id: string): ExecRecord {
  const x = api.execs.get(id);
  if (x === undefined) throw new BerthError('BERTH_ENOTFOUND', `No such exec instance: ${id}`);
  return x;
}

export async function createExec(api: EngineApi, ref: string, body: ExecCreateBody): Promise<{ Id: string }> {
  const rec = await api.find(ref);
  if (rec.state === 'paused') throw new BerthError('BERTH_ECONFLICT', `container ${rec.id} is paused, unpause the container before exec`);
  if (rec.state !== 'running') throw new BerthError('BERTH_ECONFLICT', `container ${rec.id} is not running`);
  const id = randomBytes(32).toString('hex');
  api.execs.set(id, {
    id, containerId: rec.id, cmd: body.Cmd, tty: body.Tty === true, openStdin: body.AttachStdin === true,
    openStdout: body.AttachStdout !== false, openStderr: body.AttachStderr !== false, user: body.User ?? '',
    ...(body.WorkingDir ? { workingDir: body.WorkingDir } : {}), env: body.Env ?? [], privileged: body.Privileged === true,
    detachKeys: body.DetachKeys ?? '', running: false, exitCode: null, pid: 0, started: false, createdAt: Date.now(),
  });
  api.containerEvent(rec, `exec_create: ${body.Cmd.join(' ')}`, { execID: id });
  // Records of finished execs go after a while; docker drops them with the container.
  for (const [k, x] of api.execs) if (!x.running && x.started && Date.now() - x.createdAt > KEEP_FINISHED_MS) api.execs.delete(k);
  return { Id: id };
}

export async function startExec(api: EngineApi, id: string, opts: { detach: boolean; tty: boolean }): Promise<StdioSession | null> {
  const x = findExec(api, id);
  if (x.started) throw new BerthError('BERTH_ECONFLICT', `exec ${id} has already been started`);
  const rec = await api.find(x.containerId);
  if (rec.state !== 'running') throw new BerthError('BERTH_ECONFLICT', `container ${rec.id} is not running`);
  const tty = x.tty || opts.tty;
  const proc = execProcess(api.engine, rec, {
    cmd: x.cmd, tty, env: x.env, ...(x.user !== '' ? { user: x.user } : {}), ...(x.workingDir !== undefined ? { workdir: x.workingDir } : {}),
  });
  const file = writeProcessFile(api.engine, rec, proc);
  const rt = api.engine.runtime(rec);
  const wantStdin = x.openStdin && !opts.detach;
  const child: ChildProcess = spawn(rt.ref.path, rt.execArgs(rec.id, { processFile: file, tty, detach: false }), {
    stdio: [wantStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  x.started = true;
  x.running = true;
  x.pid = child.pid ?? 0;
  api.containerEvent(rec, `exec_start: ${x.cmd.join(' ')}`, { execID: id });
  const output = new Channel<OutputChunk>(64);
  let runtimeErr = '';
  const forward = (stream: 'stdout' | 'stderr') => (b: Buffer): void => {
    if (stream === 'stderr' && RUNTIME_LINE.test(b.toString())) { runtimeErr += b.toString(); return; }
    if (opts.detach || output.closed) return;
    const s = child[stream]!;
    // Backpressure: the pipe waits while the client has not taken the last chunk.
    s.pause();
    void output.push({ stream: tty ? 'stdout' : stream, data: b }).then(() => s.resume());
  };
  child.stdout!.on('data', forward('stdout'));
  child.stderr!.on('data', forward('stderr'));
  child.on('error', (e) => { runtimeErr += `berth-runtime: ${e.message}\n`; });
  child.on('close', (code, signal) => {
    rmSync(file, { force: true });
    const line = runtimeErr.split('\n').find((l) => RUNTIME_LINE.test(l));
    if (line !== undefined && code !== 0) {
      // docker reports a command that cannot start in the stream and as 126/127.
      const msg = runtimeMessage(line);
      const status = launchExitStatus(msg);
      x.exitCode = status === 125 ? 126 : status;
      void output.push({ stream: tty ? 'stdout' : 'stderr', data: Buffer.from(`OCI runtime exec failed: ${msg}\n`) });
    } else x.exitCode = code ?? 128 + (signal === null ? 0 : 9);
    x.running = false;
    api.containerEvent(rec, 'exec_die', { execID: id, exitCode: String(x.exitCode) });
    output.end();
  });
  if (opts.detach) return null;
  const session: StdioSession = {
    tty,
    output,
    // A client that leaves does not stop the process (docker's detach): its output is drained.
    close: () => { output.close(); child.stdout?.resume(); child.stderr?.resume(); },
  };
  if (wantStdin) {
    session.writeStdin = (data) => new Promise<void>((resolve) => {
      if (child.stdin === null || child.stdin.destroyed) { resolve(); return; }
      child.stdin.write(data, () => resolve());
    });
    session.closeStdin = () => { child.stdin?.end(); };
    child.stdin!.on('error', () => undefined);
  }
  return session;
}

export async function inspectExec(api: EngineApi, id: string): Promise<ExecInspect> {
  const x = findExec(api, id);
  return {
    ID: x.id, Running: x.running, ExitCode: x.exitCode, CanRemove: false, DetachKeys: x.detachKeys,
    OpenStdin: x.openStdin, OpenStdout: x.openStdout, OpenStderr: x.openStderr, ContainerID: x.containerId, Pid: x.pid,
    ProcessConfig: { tty: x.tty, entrypoint: x.cmd[0] ?? '', arguments: x.cmd.slice(1), privileged: x.privileged, user: x.user },
  };
}

export async function resizeExec(api: EngineApi, id: string): Promise<void> {
  findExec(api, id);
}
