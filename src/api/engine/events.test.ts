import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { EventMessage } from '../types.js';
import { EventJournal } from './events.js';

async function take(stream: AsyncIterable<EventMessage>, n: number): Promise<string[]> {
  const out: string[] = [];
  for await (const e of stream) { out.push(`${e.Type}:${e.Action}:${e.Actor.Attributes.name ?? ''}`); if (out.length === n) break; }
  return out;
}

describe('event journal', () => {
  it('appends JSON lines with the old fields compose reads, replays with since, streams live, filters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-journal-'));
    try {
      const j = new EventJournal(dir);
      const t0 = Date.now() / 1000 - 1;
      j.emit('container', 'create', 'a'.repeat(64), { name: 'one', image: 'busybox' });
      j.emit('volume', 'create', 'v1', { driver: 'local' });
      const lines = readFileSync(join(dir, 'events.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EventMessage);
      assert.equal(lines.length, 2);
      assert.deepEqual([lines[0]!.status, lines[0]!.id, lines[0]!.from], ['create', 'a'.repeat(64), 'busybox']);
      const s = j.stream({ since: t0, filters: { type: ['container'] } });
      const got = take(s, 2);
      await new Promise((r) => setTimeout(r, 20));
      j.emit('volume', 'destroy', 'v1');
      j.emit('container', 'start', 'a'.repeat(64), { name: 'one', image: 'busybox' });
      assert.deepEqual(await got, ['container:create:one', 'container:start:one']);
      assert.equal(j.listeners, 0);
      const past = j.stream({ since: t0, until: Date.now() / 1000, filters: { container: ['one'] } });
      assert.deepEqual(await take(past, 10), ['container:create:one', 'container:start:one']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('taps see every event synchronously, and untap stops them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-journal-'));
    try {
      const j = new EventJournal(dir);
      const seen: string[] = [];
      const untap = j.tap((e) => seen.push(e.Action));
      j.emit('container', 'die', 'x', { exitCode: '3' });
      untap();
      j.emit('container', 'destroy', 'x');
      assert.deepEqual(seen, ['die']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
