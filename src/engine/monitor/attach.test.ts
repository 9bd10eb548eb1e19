import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameDecoder } from './attach.js';

function frame(kind: number, text: string): Buffer {
  const body = Buffer.from(text);
  const h = Buffer.alloc(5);
  h[0] = kind;
  h.writeUInt32BE(body.length, 1);
  return Buffer.concat([h, body]);
}

test('frames decode across arbitrary chunk boundaries', () => {
  const all = Buffer.concat([frame(1, 'hello\n'), frame(2, 'oops'), frame(1, '')]);
  for (let cut = 0; cut <= all.length; cut++) {
    const d = new FrameDecoder();
    const out = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))];
    assert.deepEqual(
      out.map((f) => [f.stream, f.data.toString()]),
      [['stdout', 'hello\n'], ['stderr', 'oops'], ['stdout', '']],
    );
    assert.equal(d.pending, 0);
  }
});

test('a bad stream byte is an error, not silent garbage', () => {
  assert.throws(() => new FrameDecoder().push(Buffer.from([7, 0, 0, 0, 0])));
});
