// The event journal: the engine emits no events yet, so the API service records its own operations
// as JSON lines in <root>/events.log (one event a line, appended with O_APPEND so a second service
// on the same root interleaves whole lines) and streams them to `GET /events` subscribers.
// Changes made with the berth CLI appear only once the engine writes this journal too.
import { appendFileSync, createReadStream, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ApiStream } from '../backend.js';
import { Channel } from '../channel.js';
import { eventMatches } from '../event-filter.js';
import type { EventMessage, Filters, Labels } from '../types.js';

const MAX_BYTES = 8 << 20;

interface Subscriber { deliver(e: EventMessage): void; filters: Filters }

export class EventJournal {
  readonly path: string;
  private readonly subscribers = new Set<Subscriber>();
  /** In-process listeners (wait conditions), called synchronously for every event. */
  private readonly taps = new Set<(e: EventMessage) => void>();

  constructor(root: string) {
    this.path = join(root, 'events.log');
  }

  get listeners(): number { return this.subscribers.size; }

  emit(Type: EventMessage['Type'], Action: string, ID: string, Attributes: Labels = {}): EventMessage {
    // Wall-clock time with sub-millisecond precision (the monotonic clock from a wall-clock origin),
    // so that an event is never later than a Date.now() read after it.
    const ns = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
    const e: EventMessage = { Type, Action, Actor: { ID, Attributes }, scope: 'local', time: Number(ns / 1_000_000_000n), timeNano: Number(ns) };
    // docker-py and compose 1.x still read the pre-1.22 fields.
    if (Type === 'container') Object.assign(e, { status: Action, id: ID, from: Attributes.image ?? '' });
    try {
      if ((statSync(this.path, { throwIfNoEntry: false })?.size ?? 0) > MAX_BYTES) renameSync(this.path, `${this.path}.1`);
      appendFileSync(this.path, JSON.stringify(e) + '\n', { mode: 0o600 });
    } catch {
      // The journal is a convenience: a full disk must not fail the operation that is reported.
    }
    for (const t of this.taps) t(e);
    for (const s of this.subscribers) if (eventMatches(e, s.filters)) s.deliver(e);
    return e;
  }

  tap(fn: (e: EventMessage) => void): () => void {
    this.taps.add(fn);
    return () => { this.taps.delete(fn); };
  }

  private async *past(since: number, until: number | undefined): AsyncGenerator<EventMessage> {
    for (const file of [`${this.path}.1`, this.path]) {
      if (statSync(file, { throwIfNoEntry: false }) === undefined) continue;
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) {
        let e: EventMessage;
        try { e = JSON.parse(line) as EventMessage; } catch { continue; }
        // Compared in whole milliseconds: since/until come from clients (and Date.now()) at that grain.
        const tMs = Math.floor(e.timeNano / 1e6);
        if (tMs < Math.floor(since * 1000)) continue;
        if (until !== undefined && tMs > Math.round(until * 1000)) continue;
        yield e;
      }
    }
  }

  /** History (only when `since` is given, as docker) then live events until `until` or close. */
  stream(opts: { since?: number; until?: number; filters: Filters }): ApiStream<EventMessage> {
    const ch = new Channel<EventMessage>(1024);
    const nowSec = Date.now() / 1000;
    const live = opts.until === undefined || opts.until > nowSec;
    // Live events that arrive while the history is read wait here, so the order holds.
    const held: EventMessage[] = [];
    let replaying = opts.since !== undefined;
    const sub: Subscriber = { filters: opts.filters, deliver: (e) => { if (replaying) held.push(e); else void ch.push(e); } };
    if (live) this.subscribers.add(sub);
    let timer: NodeJS.Timeout | undefined;
    void (async () => {
      if (opts.since !== undefined) {
        const seen = new Set<number>();
        for await (const e of this.past(opts.since, opts.until)) {
          if (ch.closed) return;
          if (eventMatches(e, opts.filters)) { seen.add(e.timeNano); await ch.push(e); }
        }
        replaying = false;
        for (const e of held.splice(0)) if (!seen.has(e.timeNano)) await ch.push(e);
      }
      if (!live) ch.end();
      else if (opts.until !== undefined) timer = setTimeout(() => ch.end(), (opts.until - Date.now() / 1000) * 1000);
    })().catch((e: unknown) => ch.end(e));
    ch.onClose(() => { clearTimeout(timer); this.subscribers.delete(sub); });
    return ch;
  }
}

/** The attributes docker puts on container events: the image, the name, and the labels. */
export function containerAttributes(image: string, name: string, labels: Labels = {}, extra: Labels = {}): Labels {
  return { ...labels, image, name, ...extra };
}
