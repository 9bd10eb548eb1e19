// A small bounded queue that is an ApiStream: producers await `push` (so a slow consumer slows
// its producer), the consumer iterates, and `close()` from the consumer side drops the queue and
// tells the producer through `onClose`. The engine adapter can use it to turn callbacks
// (monitor output, event subscriptions) into pull-based streams.
import type { ApiStream } from './backend.js';

export class Channel<T> implements ApiStream<T> {
  private queue: T[] = [];
  private readers: Array<(r: IteratorResult<T>) => void> = [];
  private rejecters: Array<(e: unknown) => void> = [];
  private space: Array<() => void> = [];
  private ended = false;
  private failure: unknown = undefined;
  private closedFlag = false;
  private readonly closeHooks: Array<() => void> = [];

  constructor(private readonly highWater = 64, onClose?: () => void) {
    if (onClose) this.closeHooks.push(onClose);
  }

  get closed(): boolean { return this.closedFlag; }
  get done(): boolean { return this.closedFlag || this.ended; }

  /** Runs once when the consumer closes the stream (or at once if it already did). */
  onClose(fn: () => void): void {
    if (this.closedFlag) fn(); else this.closeHooks.push(fn);
  }

  /** Queues an item; resolves when there is room again. Items pushed after close are dropped. */
  push(item: T): Promise<void> {
    if (this.closedFlag || this.ended) return Promise.resolve();
    const reader = this.readers.shift();
    if (reader) { this.rejecters.shift(); reader({ value: item, done: false }); return Promise.resolve(); }
    this.queue.push(item);
    if (this.queue.length < this.highWater) return Promise.resolve();
    return new Promise((resolve) => this.space.push(resolve));
  }

  /** No more items; with an error, the consumer's next read throws it (after the queued items). */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    if (this.queue.length === 0) this.flushReaders();
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.queue = [];
    for (const r of this.space.splice(0)) r();
    for (const r of this.readers.splice(0)) r({ value: undefined, done: true });
    this.rejecters = [];
    for (const h of this.closeHooks.splice(0)) h();
  }

  private flushReaders(): void {
    const readers = this.readers.splice(0);
    const rejecters = this.rejecters.splice(0);
    if (this.failure !== undefined) {
      const f = this.failure;
      this.failure = undefined;
      rejecters.forEach((rej) => rej(f));
    } else readers.forEach((r) => r({ value: undefined, done: true }));
  }

  private next(): Promise<IteratorResult<T>> {
    if (this.closedFlag) return Promise.resolve({ value: undefined, done: true });
    if (this.queue.length > 0) {
      const value = this.queue.shift()!;
      if (this.queue.length < this.highWater) { const s = this.space.shift(); s?.(); }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) {
      if (this.failure !== undefined) { const f = this.failure; this.failure = undefined; return Promise.reject(f); }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => { this.readers.push(resolve); this.rejecters.push(reject); });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => { this.close(); return { value: undefined, done: true }; },
    };
  }
}

/** A stream of the given items, then the end. */
export function streamOf<T>(items: T[], onClose?: () => void): Channel<T> {
  const ch = new Channel<T>(Math.max(1, items.length + 1), onClose);
  for (const i of items) void ch.push(i);
  ch.end();
  return ch;
}
