// `kill`: send a signal to the container's init, or with --all to every process in its cgroup.
import { constants } from 'node:os';
import { BerthError } from '../../errors.js';
import { lockContainer } from '../state/lock.js';
import { Container } from './container.js';
import type { RuntimeContext } from './context.js';

export function parseSignal(text: string | undefined): number {
  if (text === undefined || text === '') return constants.signals.SIGTERM;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 0 && n <= 64) return n;
  } else {
    const name = (text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`) as keyof typeof constants.signals;
    const n = constants.signals[name];
    if (n !== undefined) return n;
    const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
    if (rt) return name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
  }
  throw new BerthError('BERTH_EINVAL', `invalid signal "${text}"`);
}

export function killContainer(ctx: RuntimeContext, id: string, signalText: string | undefined, all: boolean): void {
  const signal = parseSignal(signalText);
  const lock = lockContainer(ctx.root, id);
  try {
    const c = Container.load(ctx, id);
    const status = c.require('kill', ['created', 'running', 'paused']);
    if (all) {
      for (const pid of c.cgroup().pids()) {
        try { process.kill(pid, signal); } catch { /* exited meanwhile */ }
      }
      // A frozen process cannot act on a signal until it thaws; SIGKILL must still work on paused containers.
      if (status === 'paused' && signal === constants.signals.SIGKILL) c.cgroup().thaw();
      return;
    }
    try {
      process.kill(c.state.pid, signal);
    } catch (e) {
      throw new BerthError('BERTH_ESTATE', `cannot signal container "${id}": ${(e as Error).message}`, { cause: e });
    }
    if (status === 'paused' && signal === constants.signals.SIGKILL) c.cgroup().thaw();
  } finally {
    lock.release();
  }
}
