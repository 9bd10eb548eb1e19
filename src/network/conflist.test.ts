import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateConfList, parseIpRouteJson, parseProcNetRoute, pickSubnet, validateSubnet } from './conflist.js';
import { parseConfList } from './cni/conflist-load.js';
import { isBerthError } from '../errors.js';
import { parseCidr, parseIp, overlaps } from './ipv4.js';

const einval = (e: unknown): boolean => isBerthError(e, 'BERTH_EINVAL');

test('the default chain: bridge with host-local, portmap, firewall, tuning, bandwidth', () => {
  const conf = generateConfList(
    { name: 'berth', bridge: 'berth0', subnet: '10.90.0.0/24', gateway: '10.90.0.1', internal: false, ipMasq: true, dnsServer: '10.90.0.1' },
    { ipamDataDir: '/tmp/leases' },
  );
  assert.deepEqual(conf.plugins.map((p) => p.type), ['bridge', 'portmap', 'firewall', 'tuning', 'bandwidth']);
  const [bridge, portmap, firewall, , bandwidth] = conf.plugins;
  assert.equal(bridge!.isGateway, true);
  assert.equal(bridge!.ipMasq, true);
  assert.equal(bridge!.hairpinMode, true);
  assert.deepEqual(bridge!.ipam, {
    type: 'host-local',
    ranges: [[{ subnet: '10.90.0.0/24', gateway: '10.90.0.1' }]],
    routes: [{ dst: '0.0.0.0/0' }],
    dataDir: '/tmp/leases',
  });
  assert.deepEqual(bridge!.dns, { nameservers: ['10.90.0.1'] });
  assert.deepEqual(portmap!.capabilities, { portMappings: true });
  assert.equal(portmap!.snat, true);
  assert.equal(firewall!.backend, 'iptables');
  assert.deepEqual(bandwidth!.capabilities, { bandwidth: true });
  assert.equal(conf.cniVersion, '1.0.0');
  // What we generate passes our own loader.
  assert.deepEqual(parseConfList(JSON.parse(JSON.stringify(conf))), conf);
});

test('internal networks get no default route and no masquerade', () => {
  const conf = generateConfList({ name: 'int', bridge: 'berth1', subnet: '10.90.1.0/24', gateway: '10.90.1.1', internal: true, ipMasq: true });
  const bridge = conf.plugins[0]!;
  assert.equal(bridge.ipMasq, false);
  assert.deepEqual((bridge.ipam as { routes: unknown[] }).routes, []);
  assert.equal(bridge.dns, undefined);
});

test('bridge names longer than IFNAMSIZ are refused', () => {
  assert.throws(() => generateConfList({ name: 'x', bridge: 'a-very-long-bridge-name', subnet: '10.90.0.0/24', gateway: '10.90.0.1', internal: false, ipMasq: true }), einval);
});

test('validateSubnet', () => {
  assert.deepEqual(validateSubnet('10.213.5.0/24'), { subnet: '10.213.5.0/24', gateway: '10.213.5.1' });
  assert.deepEqual(validateSubnet('10.213.5.0/24', '10.213.5.254'), { subnet: '10.213.5.0/24', gateway: '10.213.5.254' });
  assert.throws(() => validateSubnet('10.213.5.0/24', '10.213.6.1'), /not inside subnet/);
  assert.throws(() => validateSubnet('10.213.5.0/24', '10.213.5.0'), /network address/);
  assert.throws(() => validateSubnet('10.213.5.0/24', '10.213.5.255'), /broadcast address/);
  assert.throws(() => validateSubnet('10.213.5.7/24'), /host bits are set \(did you mean 10.213.5.0\/24\?\)/);
  assert.throws(() => validateSubnet('10.213.5.0/31'), /between \/8 and \/30/);
  assert.throws(() => validateSubnet('10.213.5.0'), einval);
  assert.throws(() => validateSubnet('300.1.1.0/24'), einval);
  assert.throws(() => validateSubnet('10.213.5.0/24', 'gw'), einval);
  assert.throws(() => validateSubnet('010.213.5.0/24'), einval);
});

test('pickSubnet skips host routes and existing networks, ignores the default route', () => {
  assert.equal(pickSubnet([], ['0.0.0.0/0', '192.0.2.0/24']), '10.90.0.0/24');
  assert.equal(pickSubnet(['10.90.0.0/24', '10.90.1.0/24'], []), '10.90.2.0/24');
  // A wider host route takes many candidates at once.
  assert.equal(pickSubnet([], ['10.90.0.0/20']), '10.90.16.0/24');
  // An existing network wider than /24 blocks what it covers.
  assert.equal(pickSubnet(['10.90.0.0/23'], ['10.90.2.128/25']), '10.90.3.0/24');
  assert.equal(pickSubnet([], [], { pool: '10.213.0.0/16', prefix: 26 }), '10.213.0.0/26');
  assert.throws(() => pickSubnet(['10.213.0.0/24'], [], { pool: '10.213.0.0/24' }), (e: unknown) => isBerthError(e, 'BERTH_ENETWORK'));
  assert.throws(() => pickSubnet([], [], { pool: '10.213.0.0/24', prefix: 16 }), einval);
});

test('host routes from /proc/net/route (little- and big-endian) and from ip -j route', () => {
  const le = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'br0\t0000590A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  ].join('\n');
  assert.deepEqual(parseProcNetRoute(le, true), ['192.0.2.0/24', '10.89.0.0/16']);
  const be = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\nx\tC0000200\t0\t1\t0\t0\t0\tFFFFFF00\n';
  assert.deepEqual(parseProcNetRoute(be, false), ['192.0.2.0/24']);
  const json = '[{"dst":"default","gateway":"192.0.2.1","dev":"eth0"},{"dst":"192.0.2.0/24","dev":"eth0"},{"dst":"198.51.100.7","dev":"tun0"}]';
  assert.deepEqual(parseIpRouteJson(json), ['192.0.2.0/24', '198.51.100.7/32']);
});

test('ipv4 helpers', () => {
  assert.equal(parseIp('255.255.255.255'), 0xffffffff);
  assert.equal(parseIp('1.2.3'), undefined);
  assert.equal(parseCidr('10.0.0.1/8', true), undefined);
  assert.ok(overlaps(parseCidr('10.0.0.0/8')!, parseCidr('10.90.0.0/24')!));
  assert.ok(!overlaps(parseCidr('10.90.0.0/24')!, parseCidr('10.90.1.0/24')!));
});
