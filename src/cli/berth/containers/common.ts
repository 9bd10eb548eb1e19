// What the container verbs share: opening the engine from the global flags, argument checks, and
// turning a launch failure into docker's exit status (126/127) with one line on stderr.
import { BerthError, oneLine, describeChain } from '../../../errors.js';
import type { Parsed } from '../../args.js';
import type { GlobalOptions } from '../command.js';

export async function openEngine(g: GlobalOptions): Promise<import('../../../engine/engine.js').Engine> {
  const { Engine } = await import('../../../engine/engine.js');
  return Engine.open({ root: g.root, runRoot: g.runRoot });
}

export function atLeast(p: Parsed, n: number, verb: string, what = 'CONTAINER'): string[] {
  if (p.positionals.length < n) throw new BerthError('BERTH_EINVAL', `"${verb}" requires at least ${n} argument${n === 1 ? '' : 's'} (${what})`);
  return p.positionals;
}

export function exactly(p: Parsed, n: number, verb: string, what: string): string[] {
  if (p.positionals.length !== n) throw new BerthError('BERTH_EINVAL', `"${verb}" requires exactly ${n} argument${n === 1 ? '' : 's'} (${what})`);
  return p.positionals;
}

/** 126/127 for a command that could not be run, else undefined (the caller lets 125 happen). */
export function launchStatus(e: unknown): number | undefined {
  if (e instanceof BerthError && typeof e.detail?.exitStatus === 'number' && e.detail.exitStatus !== 125) return e.detail.exitStatus;
  return undefined;
}

export function reportError(g: GlobalOptions, e: unknown): void {
  process.stderr.write(`berth: ${oneLine(e)}\n`);
  if (g.debug) process.stderr.write(describeChain(e) + '\n');
}

/** Runs fn for each container; errors are reported per container and make the status 1 (docker: 1). */
export async function forEach(g: GlobalOptions, refs: string[], fn: (ref: string) => Promise<string | void>): Promise<number> {
  let status = 0;
  for (const ref of refs) {
    try {
      const out = await fn(ref);
      if (typeof out === 'string') process.stdout.write(`${out}\n`);
    } catch (e) {
      if (refs.length === 1) throw e;
      reportError(g, e);
      status = 1;
    }
  }
  return status;
}
