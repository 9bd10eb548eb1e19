// What every lifecycle verb gets: the state root and a logger.
import type { Logger } from '../logger.js';
import { StateStore } from '../state/container-state.js';

export interface RuntimeContext {
  /** Runtime state root, e.g. /run/berth-runtime. */
  root: string;
  logger: Logger;
  /** Path of the cgroupfs root; tests may point it elsewhere. */
  cgroupRoot?: string;
}

export function storeOf(ctx: RuntimeContext): StateStore {
  return new StateStore(ctx.root);
}

// Created on first use, not at load: the module may be part of a V8 startup snapshot.
let sleeper: Int32Array | undefined;
export function sleepMs(ms: number): void {
  sleeper ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleeper, 0, 0, ms);
}
