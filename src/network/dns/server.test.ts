// The DNS server on 127.0.0.1 with a fake upstream that is also a local UDP server: no query
// ever leaves the machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { DnsServer } from './server.js';
import { RRType, Rcode, buildResponse, parseMessage, type DnsMessage } from './message.js';
import { query, udpExchange, type Endpoint } from './transport.js';

let upstream: Socket;
let upstreamPort = 0;
const upstreamSaw: string[] = [];
let silent: Socket;
let silentPort = 0;
let server: DnsServer;
let at: Endpoint;
const errors: unknown[] = [];

function bindLocal(onMessage: (sock: Socket, msg: Buffer, port: number) => void): Promise<{ sock: Socket; port: number }> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.on('message', (msg, rinfo) => onMessage(sock, msg, rinfo.port));
    sock.bind(0, '127.0.0.1', () => resolve({ sock, port: sock.address().port }));
  });
}

before(async () => {
  ({ sock: upstream, port: upstreamPort } = await bindLocal((sock, msg, port) => {
    const q: DnsMessage = parseMessage(msg);
    upstreamSaw.push(q.questions[0]!.name);
    const reply = q.questions[0]!.name === 'nowhere.example.test'
      ? buildResponse(q, Rcode.NXDOMAIN)
      : buildResponse(q, Rcode.NOERROR, [{ name: q.questions[0]!.name, type: RRType.A, class: 1, ttl: 300, data: '192.0.2.77' }]);
    sock.send(reply, port, '127.0.0.1');
  }));
  ({ sock: silent, port: silentPort } = await bindLocal(() => undefined));
  server = new DnsServer({
    address: '127.0.0.1',
    port: 0,
    upstreams: [`127.0.0.1:${upstreamPort}`],
    searchDomain: 'dns.berth',
    timeoutMs: 300,
    onError: (e) => errors.push(e),
  });
  await server.start();
  at = { address: '127.0.0.1', port: server.port };
  server.records.set('c1', { names: ['web', 'frontend'], ipv4: ['10.90.0.2'] });
  server.records.set('c2', { names: ['DB'], ipv4: ['10.90.0.3'] });
});

after(async () => {
  await server.stop();
  upstream.close();
  silent.close();
});

const addrs = (m: DnsMessage): unknown[] => m.answers.map((a) => a.data);

test('A records for names and aliases, case-insensitive, with and without the search domain', async () => {
  for (const name of ['web', 'WEB', 'frontend', 'web.dns.berth', 'Web.DNS.Berth.']) {
    const m = await query(at, name, RRType.A);
    assert.equal(m.header.rcode, Rcode.NOERROR, name);
    assert.equal(m.header.aa, true);
    assert.deepEqual(addrs(m), ['10.90.0.2'], name);
  }
  assert.deepEqual(addrs(await query(at, 'db', RRType.A)), ['10.90.0.3']);
  assert.ok(!upstreamSaw.some((n) => /web|frontend|db/i.test(n)), 'local names are never forwarded');
});

test('AAAA for a local name is an empty NOERROR; PTR names the container', async () => {
  const m = await query(at, 'web', RRType.AAAA);
  assert.equal(m.header.rcode, Rcode.NOERROR);
  assert.deepEqual(m.answers, []);
  const p = await query(at, '2.0.90.10.in-addr.arpa', RRType.PTR);
  assert.equal(p.header.rcode, Rcode.NOERROR);
  assert.deepEqual(addrs(p), ['web.dns.berth']);
});

test('unknown names in the search domain are NXDOMAIN and not forwarded', async () => {
  const before = upstreamSaw.length;
  const m = await query(at, 'ghost.dns.berth', RRType.A);
  assert.equal(m.header.rcode, Rcode.NXDOMAIN);
  assert.equal(upstreamSaw.length, before);
});

test('records added and removed while running', async () => {
  assert.equal((await query(at, 'cache.dns.berth', RRType.A)).header.rcode, Rcode.NXDOMAIN);
  server.records.set('c3', { names: ['cache'], ipv4: ['10.90.0.4'] });
  assert.deepEqual(addrs(await query(at, 'cache', RRType.A)), ['10.90.0.4']);
  // Two containers with one alias: both addresses.
  server.records.set('c4', { names: ['cache-2', 'cache'], ipv4: ['10.90.0.5'] });
  assert.deepEqual(addrs(await query(at, 'cache', RRType.A)), ['10.90.0.4', '10.90.0.5']);
  server.records.delete('c3');
  server.records.delete('c4');
  assert.equal((await query(at, 'cache.dns.berth', RRType.A)).header.rcode, Rcode.NXDOMAIN);
});

test('other names are forwarded and the upstream answer relayed, over UDP and TCP', async () => {
  const m = await query(at, 'www.example.test', RRType.A);
  assert.equal(m.header.rcode, Rcode.NOERROR);
  assert.deepEqual(addrs(m), ['192.0.2.77']);
  assert.ok(upstreamSaw.includes('www.example.test'));
  assert.equal((await query(at, 'nowhere.example.test', RRType.A)).header.rcode, Rcode.NXDOMAIN);
  const t = await query(at, 'tcp.example.test', RRType.A, { tcp: true });
  assert.deepEqual(addrs(t), ['192.0.2.77']);
  assert.deepEqual(addrs(await query(at, 'web', RRType.A, { tcp: true })), ['10.90.0.2']);
});

test('an upstream that never answers gives SERVFAIL after the timeout; the next upstream is tried first', async () => {
  server.setUpstreams([`127.0.0.1:${silentPort}`]);
  const t0 = Date.now();
  const m = await query(at, 'slow.example.test', RRType.A, { timeoutMs: 3000 });
  assert.equal(m.header.rcode, Rcode.SERVFAIL);
  assert.ok(Date.now() - t0 >= 250);
  server.setUpstreams([`127.0.0.1:${silentPort}`, `127.0.0.1:${upstreamPort}`]);
  assert.deepEqual(addrs(await query(at, 'second.example.test', RRType.A, { timeoutMs: 3000 })), ['192.0.2.77']);
  server.setUpstreams([]);
  assert.equal((await query(at, 'none.example.test', RRType.A)).header.rcode, Rcode.SERVFAIL);
  server.setUpstreams([`127.0.0.1:${upstreamPort}`]);
});

test('malformed packets are ignored or answered FORMERR, and the server keeps serving', async () => {
  const raw = createSocket('udp4');
  const send = (b: Buffer): Promise<void> => new Promise((r) => raw.send(b, at.port, at.address, () => r()));
  await send(Buffer.from([1, 2, 3]));
  await send(Buffer.alloc(0));
  for (let i = 0; i < 50; i++) await send(Buffer.from(Array.from({ length: 12 + (i % 40) }, () => Math.floor(Math.random() * 256))));
  // A response (QR set) is never answered.
  const resp = Buffer.from('abcd81800001000000000000', 'hex');
  await send(resp);
  raw.close();
  // Header fine, question a pointer loop: FORMERR.
  const loop = Buffer.concat([Buffer.from('beef01000001000000000000', 'hex'), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
  const reply = parseMessage(await udpExchange(at, loop, 1000));
  assert.equal(reply.header.rcode, Rcode.FORMERR);
  assert.equal(reply.header.id, 0xbeef);
  assert.deepEqual(addrs(await query(at, 'web', RRType.A)), ['10.90.0.2']);
});

test('a container with its own upstreams (--dns) has its other queries forwarded there, others keep the network\'s', async () => {
  const ownSaw: string[] = [];
  const { sock: own, port: ownPort } = await bindLocal((sock, msg, port) => {
    const q: DnsMessage = parseMessage(msg);
    ownSaw.push(q.questions[0]!.name);
    sock.send(buildResponse(q, Rcode.NOERROR, [{ name: q.questions[0]!.name, type: RRType.A, class: 1, ttl: 300, data: '198.51.100.5' }]), port, '127.0.0.1');
  });
  try {
    // The queries below come from 127.0.0.1: that is this container's address here.
    server.records.set('c5', { names: ['mine'], ipv4: ['127.0.0.1'], upstreams: [`127.0.0.1:${ownPort}`] });
    const before = upstreamSaw.length;
    assert.deepEqual(addrs(await query(at, 'corp.example.test', RRType.A)), ['198.51.100.5']);
    assert.deepEqual(addrs(await query(at, 'corp-tcp.example.test', RRType.A, { tcp: true })), ['198.51.100.5']);
    assert.deepEqual(ownSaw, ['corp.example.test', 'corp-tcp.example.test']);
    assert.equal(upstreamSaw.length, before, 'the network upstream saw none of them');
    assert.deepEqual(addrs(await query(at, 'web', RRType.A)), ['10.90.0.2'], 'container names still resolve');
    server.records.delete('c5');
    assert.deepEqual(addrs(await query(at, 'corp.example.test', RRType.A)), ['192.0.2.77']);
  } finally {
    server.records.delete('c5');
    own.close();
  }
});
