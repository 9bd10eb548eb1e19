import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfList, parseConfListText } from './conflist-load.js';
import { asCniError, toResult100 } from './result.js';
import { ignoreCheckError, skipCheck } from './quirks.js';
import { isBerthError } from '../../errors.js';

const einval = (e: unknown): boolean => isBerthError(e, 'BERTH_EINVAL');

test('conflist validation', () => {
  const ok = parseConfList({ cniVersion: '1.0.0', name: 'n.1_x', disableCheck: 'true', plugins: [{ type: 'bridge', name: 'other', cniVersion: '0.3.1', ipam: { type: 'host-local' } }] });
  assert.equal(ok.disableCheck, true);
  assert.deepEqual(ok.plugins, [{ type: 'bridge', ipam: { type: 'host-local' } }]);
  assert.throws(() => parseConfList({ cniVersion: '1.0.0', name: '-bad', plugins: [{ type: 'bridge' }] }), einval);
  assert.throws(() => parseConfList({ cniVersion: '1.0', name: 'n', plugins: [{ type: 'bridge' }] }), einval);
  assert.throws(() => parseConfList({ cniVersion: '1.0.0', name: 'n', plugins: [] }), einval);
  assert.throws(() => parseConfList({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: '../../bin/sh' }] }), einval);
  assert.throws(() => parseConfList({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'x', capabilities: { portMappings: 'yes' } }] }), einval);
  assert.throws(() => parseConfList({ cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'x', ipam: { type: '/abs' } }] }), einval);
  assert.throws(() => parseConfListText('{nope', 'x.conflist'), /in x.conflist: not JSON/);
});

test('results of every version convert to 1.0', () => {
  assert.deepEqual(toResult100({ cniVersion: '0.2.0', ip4: { ip: '10.1.0.5/16', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0' }] }, dns: { nameservers: ['10.1.0.1'] } }), {
    cniVersion: '1.0.0', ips: [{ address: '10.1.0.5/16', gateway: '10.1.0.1' }], routes: [{ dst: '0.0.0.0/0' }], dns: { nameservers: ['10.1.0.1'] },
  });
  assert.deepEqual(toResult100({ cniVersion: '0.3.1', ips: [{ version: '4', address: '10.1.0.5/16', interface: 0 }], interfaces: [{ name: 'eth0', sandbox: '/n' }] }), {
    cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/n' }], ips: [{ address: '10.1.0.5/16', interface: 0 }],
  });
  assert.throws(() => toResult100({ cniVersion: '1.0.0', ips: [{ address: 5 }] }), /ips\[0\].address/);
  assert.throws(() => toResult100('x'), /not a JSON object/);
  assert.deepEqual(asCniError({ code: 7, msg: 'm', details: 'd' }), { code: 7, msg: 'm', details: 'd' });
  assert.equal(asCniError({ cniVersion: '1.0.0', ips: [] }), undefined);
});

test('quirks of the 1.1.1 plugins are narrow', () => {
  const bw = { type: 'bandwidth', capabilities: { bandwidth: true } };
  assert.equal(skipCheck(bw, undefined), true);
  assert.equal(skipCheck(bw, { bandwidth: { ingressRate: 1, ingressBurst: 1 } }), false);
  assert.equal(skipCheck({ type: 'bandwidth', ingressRate: 5 }, undefined), false);
  assert.equal(skipCheck({ type: 'bridge' }, undefined), false);
  const v4 = { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] };
  const v6 = { cniVersion: '1.0.0', ips: [{ address: 'fd00::2/64' }] };
  assert.equal(ignoreCheckError({ type: 'portmap' }, 'could not check ipv6 dnat: chain X not found', v4), true);
  assert.equal(ignoreCheckError({ type: 'portmap' }, 'could not check ipv6 dnat: chain X not found', v6), false);
  assert.equal(ignoreCheckError({ type: 'portmap' }, 'could not check ipv4 dnat: chain X not found', v4), false);
  assert.equal(ignoreCheckError({ type: 'firewall' }, 'could not check ipv6 dnat', v4), false);
});
