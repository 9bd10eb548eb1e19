import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** What is awaited, for the error message. */
  what: string;
  tries?: number;
  intervalMs?: number;
}

/**
 * Polls until `probe` returns something other than undefined/false. Bounded by a number of tries,
 * not a deadline assertion: a slow machine makes it slower, never flakier.
 */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitOptions): Promise<T> {
  const tries = opts.tries ?? 200;
  const interval = opts.intervalMs ?? 25;
  let lastError: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    await sleep(interval);
  }
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`gave up waiting for ${opts.what} after ${tries} tries${why}`);
}
