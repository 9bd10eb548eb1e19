// The terminal side of run/attach: relays the monitor's attach socket to this process's stdio.
// With a tty, stdin is put in raw mode so Ctrl-C reaches the container as a byte; the window size
// follows SIGWINCH. Without one, SIGINT/SIGTERM are forwarded to the container (docker's sig-proxy).
import { attachClient, closeStdin, resizeTerminal, sendControl, type AttachSession } from '../../../engine/monitor/index.js';

export interface RelayOptions {
  tty: boolean;
  stdin: boolean;
  /** Forward a signal to the container (no tty). */
  signal?: (name: NodeJS.Signals) => void;
}

export interface Relay {
  /** Resolves when the container's output ends (it exited, or the socket closed). */
  done: Promise<void>;
}

export async function startRelay(attachSocket: string, opts: RelayOptions): Promise<Relay> {
  const session: AttachSession = await attachClient(attachSocket, { tty: opts.tty });
  // connect() returns once the connection is queued, not accepted: a process that exits at once could
  // finish before the monitor accepts us, and its output would be lost. The monitor polls the attach
  // listener before the control sockets, so any reply on the control socket means we were accepted.
  await sendControl(attachSocket, 'sync').catch(() => undefined);
  const cleanups: (() => void)[] = [];
  const stdin = process.stdin;
  if (opts.tty && stdin.isTTY) {
    stdin.setRawMode(true);
    cleanups.push(() => stdin.setRawMode(false));
    const resize = (): void => {
      const { rows, columns } = process.stdout;
      if (rows && columns) resizeTerminal(attachSocket, rows, columns).catch(() => undefined);
    };
    resize();
    process.on('SIGWINCH', resize);
    cleanups.push(() => process.off('SIGWINCH', resize));
  }
  if (opts.stdin) {
    const onData = (b: Buffer): void => {
      session.write(b).catch(() => undefined);
    };
    const onEnd = (): void => {
      // EOF on our stdin is EOF on the container's.
      closeStdin(attachSocket).catch(() => undefined);
    };
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
    cleanups.push(() => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    });
  }
  if (!opts.tty && opts.signal !== undefined) {
    const fwd = opts.signal;
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as NodeJS.Signals[]).map((s) => {
      const h = (): void => fwd(s);
      process.on(s, h);
      return () => process.off(s, h);
    });
    cleanups.push(...handlers);
  }
  const done = (async () => {
    try {
      for await (const f of session.output) {
        const out = f.stream === 'stderr' ? process.stderr : process.stdout;
        if (!out.write(f.data)) await new Promise((r) => out.once('drain', r));
      }
    } catch {
      /* the socket went away: the container is gone */
    } finally {
      for (const c of cleanups) c();
      session.close();
    }
  })();
  return { done };
}
