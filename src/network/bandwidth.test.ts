import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_DEFAULT_BURST_BITS, defaultBurst, parseBurst, parseNetworkBandwidth, parseRate } from './bandwidth.js';

test('rates in tc units, bits per second', () => {
  assert.equal(parseRate('10mbit'), 10_000_000);
  assert.equal(parseRate('1M'), 1_000_000);
  assert.equal(parseRate('500kbit'), 500_000);
  assert.equal(parseRate('1gbit'), 1e9);
  assert.equal(parseRate('1.5mbit'), 1_500_000);
  assert.equal(parseRate('1mibit'), 1_048_576);
  // tc's "bps" is bytes per second.
  assert.equal(parseRate('1mbps'), 8_000_000);
  assert.equal(parseRate('100000'), 100_000);
  assert.throws(() => parseRate('fast'), /invalid rate/);
  assert.throws(() => parseRate('10xb'), /invalid rate/);
  assert.throws(() => parseRate('100bit'), /below 8kbit/);
});

test('bursts are bytes unless said in bits', () => {
  assert.equal(parseBurst('64kb'), 512_000);
  assert.equal(parseBurst('64kib'), 524_288);
  assert.equal(parseBurst('1mbit'), 1_000_000);
  assert.throws(() => parseBurst('5gb'), /larger than 4GiB/);
});

test('--network-bandwidth', () => {
  assert.deepEqual(parseNetworkBandwidth('ingress=10mbit,egress=1M'), {
    ingressRate: 10_000_000, ingressBurst: MIN_DEFAULT_BURST_BITS, egressRate: 1_000_000, egressBurst: MIN_DEFAULT_BURST_BITS,
  });
  assert.deepEqual(parseNetworkBandwidth('egress=1gbit'), { egressRate: 1e9, egressBurst: 20_000_000 });
  assert.deepEqual(parseNetworkBandwidth('ingress=10mbit, ingress-burst=32kib'), { ingressRate: 10_000_000, ingressBurst: 262_144 });
  assert.equal(defaultBurst(1e9), 1e9 * 0.02);
  assert.throws(() => parseNetworkBandwidth(''), /give ingress=RATE/);
  assert.throws(() => parseNetworkBandwidth('up=1M'), /expected ingress=RATE/);
  assert.throws(() => parseNetworkBandwidth('egress=1M,ingress-burst=1kb'), /ingress-burst needs ingress/);
});
