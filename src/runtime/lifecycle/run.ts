// `run`: create and start in one go; in the foreground, wait, relay and return the exit status.
import { createContainer, type CreateOptions } from './create.js';
import { startContainer } from './start.js';
import { deleteContainer } from './delete.js';
import type { RuntimeContext } from './context.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

export async function runContainer(ctx: RuntimeContext, id: string, opts: CreateOptions & { detach?: boolean; keep?: boolean }): Promise<number> {
  const created = await createContainer(ctx, id, { ...opts, foreground: !opts.detach });
  try {
    startContainer(ctx, id);
  } catch (e) {
    try { deleteContainer(ctx, id, true); } catch { /* report the first error */ }
    throw e;
  }
  if (opts.detach || !created.exit) return 0;
  // The helper forwards signals it receives to the process; forward ours to the helper.
  const helperPid = created.helper?.pid;
  const handlers = FORWARDED.map((sig) => {
    const h = () => { if (helperPid) try { process.kill(helperPid, sig); } catch { /* gone */ } };
    process.on(sig, h);
    return [sig, h] as const;
  });
  try {
    return await created.exit;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
    if (!opts.keep) {
      try { deleteContainer(ctx, id, true); } catch (e) { ctx.logger.warn((e as Error).message); }
    }
  }
}
