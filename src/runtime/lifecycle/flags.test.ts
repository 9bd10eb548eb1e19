import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSignal } from './kill.js';
import { parseBytes, resourcesFromFlags } from './update.js';

test('signals by name, with or without SIG, and by number', () => {
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('SIGKILL'), 9);
  assert.equal(parseSignal('term'), 15);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal(undefined), 15);
  assert.equal(parseSignal('SIGRTMIN+2'), 36);
  assert.throws(() => parseSignal('NOPE'), /invalid signal "NOPE"/);
  assert.throws(() => parseSignal('99'), /invalid signal "99"/);
});

test('sizes as runc and docker read them', () => {
  assert.equal(parseBytes('memory', '512m'), 512 * 1024 * 1024);
  assert.equal(parseBytes('memory', '1g'), 1024 ** 3);
  assert.equal(parseBytes('memory', '4096'), 4096);
  assert.equal(parseBytes('memory', '-1'), -1);
  assert.throws(() => parseBytes('memory', '12x'), /invalid value "12x" for --memory/);
});

test('update flags become linux.resources', () => {
  assert.deepEqual(resourcesFromFlags({ memory: '256m', 'cpu-quota': '50000', 'cpu-period': '100000', 'pids-limit': '20' }), {
    memory: { limit: 256 * 1024 * 1024 },
    cpu: { quota: 50000, period: 100000 },
    pids: { limit: 20 },
  });
  assert.throws(() => resourcesFromFlags({ 'cpu-shares': 'lots' }), /--cpu-shares: not an integer/);
});
