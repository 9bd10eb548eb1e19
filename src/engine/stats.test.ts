import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, humanSize3, netIO } from './stats.js';

test('sizes are spelled as docker stats spells them', () => {
  assert.equal(bytesSize(0), '0B');
  assert.equal(bytesSize(412 * 1024), '412KiB');
  assert.equal(bytesSize(64 * 1024 * 1024), '64MiB');
  assert.equal(bytesSize(2_000_000_000), '1.863GiB');
  assert.equal(humanSize3(12_345), '12.3kB');
  assert.equal(humanSize3(999), '999B');
  assert.equal(humanSize3(4_100_000), '4.1MB');
});

test('netIO sums received and sent bytes over every interface but lo', () => {
  const dev = [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo:    5000      10    0    0    0     0          0         0     5000      10    0    0    0     0       0          0',
    '  eth0:    1500      12    0    0    0     0          0         0      700       8    0    0    0     0       0          0',
    '  eth1:     500       2    0    0    0     0          0         0      300       1    0    0    0     0       0          0',
    '',
  ].join('\n');
  assert.deepEqual(netIO(dev), { rx: 2000, tx: 1000 });
  assert.deepEqual(netIO(''), { rx: 0, tx: 0 });
});
