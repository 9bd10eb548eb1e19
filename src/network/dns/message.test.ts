import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsFormatError, RRType, buildQuery, encodeMessage, parseMessage, readName } from './message.js';
import { parseResolvConf, upstreamsFrom } from './resolv-conf.js';
import { parseEndpoint } from './transport.js';

test('a query round-trips', () => {
  const m = parseMessage(buildQuery(0x1234, 'Web.dns.berth', RRType.A));
  assert.equal(m.header.id, 0x1234);
  assert.equal(m.header.rd, true);
  assert.equal(m.header.qr, false);
  assert.deepEqual(m.questions, [{ name: 'Web.dns.berth', type: RRType.A, class: 1 }]);
});

test('answers are encoded with name compression and decoded through pointers', () => {
  const buf = encodeMessage({
    header: { id: 7, qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: true, rcode: 0 },
    questions: [{ name: 'www.example.test', type: RRType.A, class: 1 }],
    answers: [
      { name: 'www.example.test', type: RRType.CNAME, class: 1, ttl: 30, data: 'web.example.test' },
      { name: 'web.example.test', type: RRType.A, class: 1, ttl: 30, data: '192.0.2.9' },
      { name: '9.2.0.192.in-addr.arpa', type: RRType.PTR, class: 1, ttl: 30, data: 'web.example.test' },
      { name: 'web.example.test', type: RRType.AAAA, class: 1, ttl: 30, data: Buffer.from('20010db8000000000000000000000001', 'hex') },
    ],
    authorities: [],
    additionals: [],
  });
  // "example.test" is written once; the rest are pointers.
  assert.equal(buf.toString('latin1').split('example').length - 1, 1);
  const m = parseMessage(buf);
  assert.deepEqual(m.answers.map((a) => a.data), ['web.example.test', '192.0.2.9', 'web.example.test', '2001:db8::1']);
  assert.equal(m.header.aa, true);
});

test('malformed names are rejected, not followed forever', () => {
  // A pointer to itself.
  assert.throws(() => readName(Buffer.from([0xc0, 0x00]), 0), DnsFormatError);
  // A label longer than the buffer.
  assert.throws(() => readName(Buffer.from([5, 0x61, 0x62]), 0), DnsFormatError);
  // Reserved label type 0x40.
  assert.throws(() => readName(Buffer.from([0x41, 0x61, 0]), 0), DnsFormatError);
  // Truncated header and truncated question.
  assert.throws(() => parseMessage(Buffer.alloc(5)), DnsFormatError);
  const q = buildQuery(1, 'a.test', RRType.A);
  assert.throws(() => parseMessage(q.subarray(0, q.length - 2)), DnsFormatError);
  // A name longer than 255 bytes, made of valid labels.
  const long = Buffer.concat([...Array(5)].map(() => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])).concat([Buffer.from([0])]));
  assert.throws(() => readName(long, 0), /longer than 255/);
});

test('resolv.conf: stubs are skipped when real servers exist, used when alone', () => {
  const conf = parseResolvConf('# generated\nnameserver 127.0.0.53\nnameserver 192.0.2.53 # office\nsearch corp.test\noptions edns0 trust-ad\nnameserver bogus\n');
  assert.deepEqual(conf, { nameservers: ['127.0.0.53', '192.0.2.53'], search: ['corp.test'], options: ['edns0', 'trust-ad'] });
  assert.deepEqual(upstreamsFrom(conf), ['192.0.2.53']);
  assert.deepEqual(upstreamsFrom(parseResolvConf('nameserver 127.0.0.53\n')), ['127.0.0.53']);
  assert.deepEqual(parseEndpoint('127.0.0.1:5353'), { address: '127.0.0.1', port: 5353 });
  assert.deepEqual(parseEndpoint('[::1]:5353'), { address: '::1', port: 5353 });
  assert.deepEqual(parseEndpoint('2001:db8::53'), { address: '2001:db8::53', port: 53 });
});
