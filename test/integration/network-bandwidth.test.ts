// --network-bandwidth measured: a Node server in one namespace, a Node client in another, on an
// internal test network. The same transfer runs without a limit and with 8mbit on the client's
// ingress, then on its egress.
//
// Tolerance: the limited rate must land within 50%–150% of the limit, over 3 MB (3 s at 8mbit, so
// tbf's bucket, 64 KiB by default, is ~2% of it); the unlimited transfer must be at least 5x the
// limit (a veth pair moves Gbit/s). Generous on purpose: a loaded CI host slows both sides, and
// what we check is that the limit applies, not tbf's precision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachContainer, detachContainer } from '../../src/network/attach.js';
import { parseNetworkBandwidth } from '../../src/network/bandwidth.js';
import { createNetwork } from '../../src/network/networks.js';
import { execInNetns } from '../../src/network/netns.js';
import { NO_UPSTREAMS, makeEnv, poolConflicts, retry, skipReason, teardown } from './network-helpers.js';

const BRIDGES = ['berthtest30', 'berthtest31'];
const LIMIT = 8_000_000;
const BYTES = 3_000_000;

// GET N: the server sends N bytes. PUT N: the client sends N bytes, the server answers with the
// milliseconds between the first and the last byte it received.
const SERVER = `
const net = require('net');
net.createServer((s) => {
  let head = '', t0 = 0, got = 0, want = 0, mode = '';
  s.on('data', (d) => {
    if (!mode) {
      head += d.toString('latin1');
      const nl = head.indexOf('\\n');
      if (nl < 0) return;
      const [m, n] = head.slice(0, nl).split(' ');
      mode = m; want = Number(n);
      if (mode === 'GET') {
        const chunk = Buffer.alloc(65536, 120);
        let left = want;
        const pump = () => { while (left > 0) { const c = chunk.subarray(0, Math.min(left, chunk.length)); left -= c.length; if (!s.write(c)) return s.once('drain', pump); } s.end(); };
        return pump();
      }
      d = Buffer.from(head.slice(nl + 1), 'latin1');
    }
    if (mode === 'PUT' && d.length) {
      if (!t0) t0 = Date.now();
      got += d.length;
      if (got >= want) s.end(String(Date.now() - t0));
    }
  });
  s.on('error', () => {});
}).listen(9000, '0.0.0.0');
`;

const CLIENT = `
const net = require('net');
const [host, mode, n] = process.argv.slice(2);
const s = net.connect(9000, host, () => {
  s.write(mode + ' ' + n + '\\n');
  if (mode === 'PUT') { const buf = Buffer.alloc(Number(n), 121); s.write(buf); }
});
let t0 = 0, got = 0, reply = '';
s.on('data', (d) => { if (mode === 'GET') { if (!t0) t0 = Date.now(); got += d.length; } else reply += d; });
s.on('end', () => { console.log(JSON.stringify(mode === 'GET' ? { bytes: got, ms: Date.now() - t0 } : { bytes: Number(n), ms: Number(reply) })); });
s.on('error', (e) => { console.error(e.message); process.exit(1); });
`;

test('bandwidth limits: limited transfers land near the limit, unlimited ones are far faster', { skip: skipReason, timeout: 180_000 }, async (t) => {
  assert.deepEqual(poolConflicts(), []);
  for (const b of BRIDGES) assert.ok(!existsSync(`/sys/class/net/${b}`), `${b} exists: a previous run did not clean up`);
  const env = makeEnv('net-bw', 'berthtest30');
  const { ctx } = env;
  const scripts = mkdtempSync(join(tmpdir(), 'berth-bw-'));
  let server: ChildProcess | undefined;
  try {
    writeFileSync(join(scripts, 'server.cjs'), SERVER);
    writeFileSync(join(scripts, 'client.cjs'), CLIENT);
    await createNetwork(ctx, { name: 'bw', bridge: 'berthtest31', internal: true, options: NO_UPSTREAMS });
    const srv = await attachContainer({ ...ctx, containerId: 'bw-server', name: 'server', hostname: 'server', networks: [{ name: 'bw' }] });
    const serverIp = srv.interfaces[0]!.ip;
    server = spawn('nsenter', [`--net=${srv.netnsPath}`, process.execPath, join(scripts, 'server.cjs')], { stdio: 'ignore' });

    const measure = async (id: string, limits: string | undefined, mode: 'GET' | 'PUT'): Promise<number> => {
      const c = await attachContainer({
        ...ctx, containerId: id, name: id, hostname: id, networks: [{ name: 'bw' }],
        ...(limits ? { bandwidth: parseNetworkBandwidth(limits) } : {}),
      });
      try {
        const r = await retry(async () => {
          const x = await execInNetns(c.netnsPath, [process.execPath, join(scripts, 'client.cjs'), serverIp, mode, String(BYTES)], { timeoutMs: 60_000 });
          if (x.code !== 0) throw new Error(x.stderr);
          return JSON.parse(x.stdout) as { bytes: number; ms: number };
        }, 20, 100);
        assert.equal(r.bytes, BYTES);
        const bps = (r.bytes * 8) / (Math.max(r.ms, 1) / 1000);
        t.diagnostic(`${id} ${mode} ${limits ?? 'unlimited'}: ${(r.bytes / 1e6).toFixed(1)} MB in ${r.ms} ms = ${(bps / 1e6).toFixed(2)} Mbit/s`);
        return bps;
      } finally {
        await detachContainer({ ...ctx, containerId: id });
      }
    };

    const fastIn = await measure('bw-fast', undefined, 'GET');
    const slowIn = await measure('bw-slow-in', 'ingress=8mbit', 'GET');
    const fastOut = await measure('bw-fast-out', undefined, 'PUT');
    const slowOut = await measure('bw-slow-out', 'egress=8mbit', 'PUT');
    assert.ok(slowIn >= LIMIT * 0.5 && slowIn <= LIMIT * 1.5, `ingress-limited rate ${slowIn} outside 50%-150% of ${LIMIT}`);
    assert.ok(slowOut >= LIMIT * 0.5 && slowOut <= LIMIT * 1.5, `egress-limited rate ${slowOut} outside 50%-150% of ${LIMIT}`);
    assert.ok(fastIn >= LIMIT * 5, `unlimited download ${fastIn} is not far above the limit`);
    assert.ok(fastOut >= LIMIT * 5, `unlimited upload ${fastOut} is not far above the limit`);
  } finally {
    server?.kill('SIGKILL');
    rmSync(scripts, { recursive: true, force: true });
    await teardown(env, BRIDGES);
  }
});
