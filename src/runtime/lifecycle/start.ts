// `start`: release the process that `create` left blocked on the exec fifo.
import { openSync, readSync, closeSync, unlinkSync, constants } from 'node:fs';
import { BerthError } from '../../errors.js';
import { runHooks } from '../hooks/run-hooks.js';
import { lockContainer } from '../state/lock.js';
import { Container } from './container.js';
import { storeOf, sleepMs, type RuntimeContext } from './context.js';

export function startContainer(ctx: RuntimeContext, id: string): void {
  const lock = lockContainer(ctx.root, id);
  try {
    const c = Container.load(ctx, id);
    c.require('start', ['created']);
    releaseExecFifo(c);
    c.state.started = true;
    storeOf(ctx).write(c.state);
    try {
      runHooks('poststart', c.spec().hooks?.poststart, c.hookState('running'));
    } catch (e) {
      // runtime.md: a poststart hook failure is logged, the operation goes on.
      ctx.logger.warn((e as Error).message);
    }
  } finally {
    lock.release();
  }
}

/**
 * Opening the read side without blocking lets the child's blocking open for write return; it then
 * writes one byte and execs. We wait for that byte so that `start` returns once the process runs,
 * and stop waiting if the process dies instead.
 */
export function releaseExecFifo(c: Container): void {
  let fd: number;
  try {
    fd = openSync(c.fifoPath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new BerthError('BERTH_ESTATE', `cannot start container "${c.id}": exec fifo: ${(e as Error).message}`, { cause: e });
  }
  const buf = Buffer.alloc(1);
  try {
    for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
      try {
        if (readSync(fd, buf, 0, 1, null) === 1) break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      if (!c.isAlive()) {
        // It may have written its byte, exec'd and exited between our read and this check.
        try {
          if (readSync(fd, buf, 0, 1, null) === 1) break;
        } catch { /* nothing written: it really died first */ }
        throw new BerthError('BERTH_ELAUNCH', `container "${c.id}" exited before it started`);
      }
      sleepMs(delay);
    }
  } finally {
    closeSync(fd);
  }
  try { unlinkSync(c.fifoPath); } catch { /* already removed */ }
}
