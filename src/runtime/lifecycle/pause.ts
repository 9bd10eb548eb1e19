// `pause` / `resume`: freeze and thaw every process of the container through its cgroup.
import { lockContainer } from '../state/lock.js';
import { Container } from './container.js';
import type { RuntimeContext } from './context.js';

export function pauseContainer(ctx: RuntimeContext, id: string): void {
  const lock = lockContainer(ctx.root, id);
  try {
    const c = Container.load(ctx, id);
    c.require('pause', ['running', 'created']);
    c.cgroup().freeze();
  } finally {
    lock.release();
  }
}

export function resumeContainer(ctx: RuntimeContext, id: string): void {
  const lock = lockContainer(ctx.root, id);
  try {
    const c = Container.load(ctx, id);
    c.require('resume', ['paused']);
    c.cgroup().thaw();
  } finally {
    lock.release();
  }
}
