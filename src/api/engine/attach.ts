// `POST /containers/{id}/attach`: a session on the monitor's attach socket. docker attaches before it
// starts the container (so no output is missed), but the monitor and its socket exist only once the
// run starts: such a session waits in `pendingAttach` and the start hook connects it before the
// process runs. Input that arrives meanwhile waits for the connection.
import { readLogs, attachClient, closeStdin, resizeTerminal, sendControl, type AttachSession } from '../../engine/monitor/index.js';
import { containerPaths } from '../../engine/paths.js';
import type { AttachOptions, OutputChunk, StdioSession } from '../backend.js';
import { Channel } from '../channel.js';
import { BerthError } from '../../errors.js';
import { isLive } from './lifecycle.js';
import type { EngineApi, PendingAttach } from './state.js';

export async function attach(api: EngineApi, ref: string, opts: AttachOptions): Promise<StdioSession> {
  const rec = await api.find(ref);
  const tty = rec.config.request.tty;
  const paths = containerPaths(api.engine.paths, rec.id);
  const output = new Channel<OutputChunk>(64);
  const wanted = (s: 'stdout' | 'stderr'): boolean => (s === 'stdout' ? opts.stdout : opts.stderr);
  let session: AttachSession | undefined;
  let socketPath: string | undefined;
  let closed = false;
  let stdinClosed = false;
  let resolveConnected!: () => void;
  const connected = new Promise<void>((r) => { resolveConnected = r; });

  const pump = async (s: AttachSession): Promise<void> => {
    try {
      for await (const f of s.output) {
        if (output.closed) break;
        if (wanted(f.stream)) await output.push({ stream: f.stream, data: f.data });
      }
    } catch {
      // the socket went away: the container is gone
    }
    output.end();
  };
  const connect = async (sock: string): Promise<void> => {
    if (closed) return;
    const s = await attachClient(sock, { tty });
    // Accepted once the control socket answers (the monitor polls the attach listener first).
    await sendControl(sock, 'sync').catch(() => undefined);
    session = s;
    socketPath = sock;
    if (closed) { s.close(); return; }
    resolveConnected();
    if (stdinClosed) await closeStdin(sock).catch(() => undefined);
    void pump(s);
  };

  if (opts.logs) {
    for await (const e of readLogs(paths.log)) {
      if (wanted(e.stream)) await output.push({ stream: e.stream, data: Buffer.from(e.line) });
    }
  }
  let pending: PendingAttach | undefined;
  if (!opts.stream) output.end();
  else if (isLive(rec) && rec.state !== 'starting') {
    try {
      await connect(paths.attach);
    } catch (e) {
      throw new BerthError('BERTH_ECONFLICT', `container ${rec.id} is not running: ${(e as Error).message}`, { cause: e });
    }
  } else {
    // A start that failed, or whose connect failed, ends the session: the client sees EOF, not a hang.
    pending = { connect, cancel: () => { if (session === undefined) { resolveConnected(); output.end(); } } };
    const set = api.pendingAttach.get(rec.id) ?? new Set<PendingAttach>();
    set.add(pending);
    api.pendingAttach.set(rec.id, set);
  }

  const withStdin = opts.stdin && rec.config.request.openStdin;
  const out: StdioSession = {
    tty,
    output,
    close: () => {
      if (closed) return;
      closed = true;
      if (pending !== undefined) api.pendingAttach.get(rec.id)?.delete(pending);
      resolveConnected();
      session?.close();
      output.close();
    },
  };
  if (withStdin) {
    out.writeStdin = async (data) => {
      await connected;
      if (session !== undefined && !closed) await session.write(data).catch(() => undefined);
    };
    out.closeStdin = () => {
      stdinClosed = true;
      if (socketPath !== undefined) void closeStdin(socketPath).catch(() => undefined);
    };
  }
  return out;
}

export async function resize(api: EngineApi, ref: string, height: number, width: number): Promise<void> {
  const rec = await api.find(ref);
  if (!rec.config.request.tty || !isLive(rec)) return;
  await resizeTerminal(containerPaths(api.engine.paths, rec.id).attach, height, width).catch(() => undefined);
}
