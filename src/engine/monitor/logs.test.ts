import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseExitRecord } from './exit-file.js';
import { parseLogLine, readLogs, timeNanos, type LogEntry } from './logs.js';

const entry = (log: string, stream: 'stdout' | 'stderr', sec: number): string =>
  `${JSON.stringify({ log, stream, time: `2026-11-29T01:02:${String(sec).padStart(2, '0')}.000000001Z` })}\n`;

async function collect(it: AsyncIterable<LogEntry>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of it) out.push(e.line);
  return out;
}

test('json-file lines parse; junk is skipped', () => {
  assert.deepEqual(parseLogLine(entry('a\n', 'stderr', 3).trim()), { stream: 'stderr', time: '2026-11-29T01:02:03.000000001Z', line: 'a\n' });
  assert.equal(parseLogLine('{"log":1}'), null);
  assert.equal(parseLogLine('not json'), null);
});

test('times compare at nanosecond precision', () => {
  const a = timeNanos('2026-11-29T01:02:03.123456789Z');
  const b = timeNanos('2026-11-29T01:02:03.12345679Z');
  assert.ok(a !== null && b !== null && a < b);
  assert.equal(timeNanos('2026-11-29T01:02:03Z'), BigInt(Date.parse('2026-11-29T01:02:03Z')) * 1_000_000n);
  assert.equal(timeNanos('yesterday'), null);
});

test('rotated files are read oldest first, with tail and since', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bmon-logs-'));
  try {
    const p = join(dir, 'ctr.log');
    await writeFile(`${p}.2`, entry('1\n', 'stdout', 1) + entry('2\n', 'stdout', 2));
    await writeFile(`${p}.1`, entry('3\n', 'stderr', 3));
    await writeFile(p, entry('4\n', 'stdout', 4) + 'garbage\n' + entry('5', 'stdout', 5));
    assert.deepEqual(await collect(readLogs(p)), ['1\n', '2\n', '3\n', '4\n', '5']);
    assert.deepEqual(await collect(readLogs(p, { tail: 2 })), ['4\n', '5']);
    assert.deepEqual(await collect(readLogs(p, { tail: 0 })), []);
    assert.deepEqual(await collect(readLogs(p, { since: '2026-11-29T01:02:03.000000001Z' })), ['3\n', '4\n', '5']);
    assert.deepEqual(await collect(readLogs(p, { since: new Date('2026-11-29T01:02:04Z') })), ['4\n', '5']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('follow picks up appends, survives rotation and ends at the exit file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bmon-follow-'));
  try {
    const p = join(dir, 'ctr.log');
    const exitFile = join(dir, 'exit.json');
    await writeFile(p, entry('a\n', 'stdout', 1));
    const got: string[] = [];
    const done = (async () => {
      for await (const e of readLogs(p, { follow: true, exitFile, pollMs: 10 })) got.push(e.line);
    })();
    await new Promise((r) => setTimeout(r, 50));
    // a line written in two pieces must come out once, whole
    const half = entry('b\n', 'stdout', 2);
    await appendFile(p, half.slice(0, 10));
    await new Promise((r) => setTimeout(r, 30));
    await appendFile(p, half.slice(10));
    await new Promise((r) => setTimeout(r, 50));
    await rename(p, `${p}.1`);
    await writeFile(p, entry('c\n', 'stderr', 3));
    await new Promise((r) => setTimeout(r, 50));
    await appendFile(p, entry('d\n', 'stdout', 4));
    await writeFile(exitFile, '{}');
    await done;
    assert.deepEqual(got, ['a\n', 'b\n', 'c\n', 'd\n']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('exit records are validated', () => {
  const r = parseExitRecord('{"exitCode":137,"signal":9,"oomKilled":false,"finishedAt":"2026-11-29T01:02:03.123456789Z"}');
  assert.equal(r.exitCode, 137);
  assert.equal(r.signal, 9);
  assert.throws(() => parseExitRecord('{"exitCode":"1"}'));
  assert.throws(() => parseExitRecord('{'));
});
