import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { checkDuplicates, formatPort, parsePublish, publishAll, resolvePorts, tryBind } from './ports.js';
import { isBerthError } from '../errors.js';

test('parsePublish: docker forms', () => {
  assert.deepEqual(parsePublish('8080:80'), [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePublish('127.0.0.1:8080:80/udp'), [{ hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp' }]);
  assert.deepEqual(parsePublish('80'), [{ hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePublish('127.0.0.1::80'), [{ hostIP: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePublish('0.0.0.0:81:80'), [{ hostPort: 81, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePublish('8000-8001:80-81'), [
    { hostPort: 8000, containerPort: 80, protocol: 'tcp' },
    { hostPort: 8001, containerPort: 81, protocol: 'tcp' },
  ]);
  assert.deepEqual(parsePublish('8000-8010:80'), [{ hostPort: 8000, hostPortEnd: 8010, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePublish('90-91').map((p) => p.containerPort), [90, 91]);
});

test('parsePublish: errors are one clear line', () => {
  const bad: Array<[string, RegExp]> = [
    ['[::1]:8080:80', /IPv6 host addresses are not supported/],
    ['::1:8080:80', /IPv6 host addresses are not supported/],
    ['8080:80/sctp', /sctp is not supported/],
    ['8080:80/icmp', /unknown protocol/],
    ['70000:80', /must be 1-65535/],
    ['x:80', /invalid port/],
    ['8000-8002:80-81', /same length/],
    ['8001-8000:80', /end is before the start/],
    ['300.1.1.1:80:80', /not an IPv4 address/],
  ];
  for (const [v, re] of bad) assert.throws(() => parsePublish(v), (e: unknown) => isBerthError(e) && re.test(e.message) && !e.message.includes('\n'), v);
});

test('publishAll and duplicate detection', () => {
  assert.deepEqual(publishAll(['80/tcp', '53/udp', '8080', '9000-9001/tcp', '7/sctp']).map(formatPort), [
    '0.0.0.0:0->80/tcp', '0.0.0.0:0->53/udp', '0.0.0.0:0->8080/tcp', '0.0.0.0:0->9000/tcp', '0.0.0.0:0->9001/tcp',
  ]);
  assert.throws(() => checkDuplicates([...parsePublish('8080:80'), ...parsePublish('127.0.0.1:8080:81')]), /published twice/);
  checkDuplicates([...parsePublish('8080:80'), ...parsePublish('8080:80/udp'), ...parsePublish('80'), ...parsePublish('80')]);
  checkDuplicates([...parsePublish('127.0.0.1:8080:80'), ...parsePublish('127.0.0.2:8080:80')]);
});

test('resolvePorts: a port held by a host process is refused, TCP and UDP separately', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const tcpPort = (srv.address() as { port: number }).port;
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const udpPort = udp.address().port;
  try {
    await assert.rejects(resolvePorts(parsePublish(`127.0.0.1:${tcpPort}:80`)), (e: unknown) => isBerthError(e, 'BERTH_ENETWORK') && e.message === `port ${tcpPort}/tcp is already in use`);
    // A wildcard publish collides with a listener on one address, too.
    await assert.rejects(resolvePorts(parsePublish(`${tcpPort}:80`)), /already in use/);
    await assert.rejects(resolvePorts(parsePublish(`127.0.0.1:${udpPort}:53/udp`)), new RegExp(`^BerthError: port ${udpPort}/udp is already in use$`));
    // The same number over the other protocol is free.
    const ok = await resolvePorts(parsePublish(`127.0.0.1:${udpPort}:53/tcp`));
    assert.equal(ok[0]!.hostPort, udpPort);
    // Taken by another container (the database says so).
    await assert.rejects(resolvePorts(parsePublish(`127.0.0.1:${udpPort}:53/tcp`), (m) => m.hostPort === udpPort), /already in use/);
    const random = await resolvePorts(parsePublish('127.0.0.1::80'));
    assert.ok(random[0]!.hostPort > 0);
    await assert.rejects(resolvePorts(parsePublish('192.0.2.254:8080:80')), /not an address of this host/);
    const ranged = await resolvePorts([{ hostIP: '127.0.0.1', hostPort: tcpPort, hostPortEnd: tcpPort + 1, containerPort: 80, protocol: 'tcp' }]);
    assert.equal(ranged[0]!.hostPort, tcpPort + 1);
  } finally {
    srv.close();
    udp.close();
  }
  assert.equal((await tryBind('tcp', 0, '127.0.0.1')).error, undefined);
});
