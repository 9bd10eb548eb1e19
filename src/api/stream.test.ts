// The pieces under the streams: framing, the bounded channel, and per-request backpressure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deframe, frame } from './mux.js';
import { Channel } from './channel.js';
import { testApi, until } from './test-support.js';

test('frames carry the stream id, three zero bytes and a big-endian length', () => {
  const f = frame(2, Buffer.from('hello'));
  assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 5]);
  const big = frame(1, Buffer.alloc(70_000, 0x61));
  assert.equal(big.readUInt32BE(4), 70_000);
  const { frames, rest } = deframe(Buffer.concat([f, big, big.subarray(0, 10)]));
  assert.deepEqual(frames.map((x) => [x.stream, x.data.length]), [[2, 5], [1, 70_000]]);
  assert.equal(rest.length, 10);
});

test('a channel makes its producer wait at the high-water mark, and close() releases it', async () => {
  let closed = 0;
  const ch = new Channel<number>(2, () => closed++);
  await ch.push(1);
  let released = false;
  const p = ch.push(2).then(() => { released = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(released, false);
  const it = ch[Symbol.asyncIterator]();
  assert.deepEqual(await it.next(), { value: 1, done: false });
  await p;
  assert.equal(released, true);
  const pending = ch.push(3);
  ch.close();
  await pending;
  assert.deepEqual(await it.next(), { value: undefined, done: true });
  ch.close();
  assert.equal(closed, 1);
});

test('a channel delivers queued items before the error it ended with', async () => {
  const ch = new Channel<number>(8);
  await ch.push(1);
  ch.end(new Error('boom'));
  const got: number[] = [];
  await assert.rejects(async () => { for await (const x of ch) got.push(x); }, /boom/);
  assert.deepEqual(got, [1]);
});

test('a client that stops reading holds back only its own stream; others are served', async () => {
  const t = testApi();
  const id = await t.container(['yes', 'x'.repeat(1000)], { start: true, body: { Tty: false } });
  const att = t.live('POST', `/containers/${id}/attach?stream=1&stdout=1`, undefined, { upgrade: true });
  await att.waitFor(1);
  att.pause();
  const before = att.received().length;
  for (let i = 0; i < 20; i++) {
    const r = await t.req('GET', '/containers/json');
    assert.equal(r.status, 200);
  }
  const c = t.backend.containers.get(id)!;
  // The program is held back by the paused reader: it stops once the session's queue is full.
  let last = -1;
  while (c.logs.length !== last) { last = c.logs.length; await new Promise((r) => setTimeout(r, 30)); }
  assert.ok(c.logs.length < 100, `produced ${c.logs.length} lines into a paused reader`);
  assert.ok(att.received().length - before < 100 * 1010);
  att.resume();
  await att.waitFor(before + 100_000);
  att.disconnect();
  await t.req('POST', `/containers/${id}/kill`);
  await until(() => t.backend.openStreams === 0);
});

test('hanging up in the middle of logs -f, events, stats, attach and exec closes every backend stream', async () => {
  const t = testApi();
  const id = await t.container(['sleep', 'infinity'], { start: true, body: { OpenStdin: true } });
  const ex = (await t.req('POST', `/containers/${id}/exec`, { Cmd: ['yes'], AttachStdout: true })).json<{ Id: string }>().Id;
  const streams = [
    t.live('GET', `/containers/${id}/logs?stdout=1&follow=1`),
    t.live('GET', '/events'),
    t.live('GET', `/containers/${id}/stats`),
    t.live('POST', `/containers/${id}/attach?stream=1&stdout=1&stdin=1`, undefined, { upgrade: true }),
    t.live('POST', `/exec/${ex}/start`, {}, { upgrade: true }),
  ];
  await Promise.all(streams.map((s) => s.head));
  await until(() => t.backend.openStreams === 5);
  for (const s of streams) s.disconnect();
  await Promise.all(streams.map((s) => s.done));
  await until(() => t.backend.openStreams === 0);
  assert.equal(t.backend.eventLog.listeners, 0);
  const c = t.backend.containers.get(id)!;
  assert.equal(c.followers.size, 0);
  assert.equal(c.attached.size, 0);
  await until(() => t.backend.execs.get(ex)!.running === false);
  await t.req('POST', `/containers/${id}/kill`);
});
