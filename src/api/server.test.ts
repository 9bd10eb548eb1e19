// The HTTP layer over real sockets (in a temp dir): socket handling, both hijack forms on the
// wire, header timeouts, concurrency, hang-ups, idle stop, and the TCP loopback rule.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeBackend } from './fake-backend.js';
import { parseListen, prepareSocketPath, startService, type Service } from './server.js';
import { deframe } from './mux.js';
import { until } from './test-support.js';

const made: string[] = [];
after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
const tmp = (): string => { const d = mkdtempSync(join(tmpdir(), 'berth-api-')); made.push(d); return d; };

async function serve(opts: Partial<Parameters<typeof startService>[0]> = {}): Promise<{ svc: Service; backend: FakeBackend; sock: string }> {
  const backend = new FakeBackend();
  const sock = join(tmp(), 'api.sock');
  const svc = await startService({ backend, socket: sock, ...opts });
  return { svc, backend, sock };
}

function request(sock: string, method: string, path: string, body?: object): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : undefined;
    const req = http.request({ socketPath: sock, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Raw bytes over a fresh connection; resolves with everything read until the server closes. */
function raw(sock: string, text: string, opts: { then?: (c: net.Socket) => void } = {}): Promise<Buffer> {
  return new Promise((resolve) => {
    const c = net.createConnection({ path: sock });
    const parts: Buffer[] = [];
    c.on('data', (d: Buffer) => parts.push(d));
    c.on('close', () => resolve(Buffer.concat(parts)));
    c.on('error', () => {});
    c.write(text);
    opts.then?.(c);
  });
}

test('the socket is 0660; a live server on it is refused; a stale one is replaced; a non-socket is left alone', async () => {
  const { svc, sock } = await serve();
  assert.equal(statSync(sock).mode & 0o777, 0o660);
  await assert.rejects(startService({ backend: new FakeBackend(), socket: sock }), /another server is already listening/);
  await svc.stop();
  // A stale socket: its listener was killed and never unlinked it.
  const stale = join(tmp(), 'stale.sock');
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout.once('data', r));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(statSync(stale).isSocket());
  const svc2 = await startService({ backend: new FakeBackend(), socket: stale });
  assert.equal((await request(stale, 'GET', '/_ping')).body, 'OK');
  await svc2.stop();
  const file = join(tmp(), 'file.sock');
  writeFileSync(file, 'not a socket');
  await assert.rejects(prepareSocketPath(file), /is not a socket/);
});

test('attach in the plain form: 200, raw stream until close, stdin after the request reaches the process', async () => {
  const { svc, backend, sock } = await serve();
  const id = (await request(sock, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['cat'], OpenStdin: true, StdinOnce: true })).body;
  const cid = (JSON.parse(id) as { Id: string }).Id;
  const out = raw(sock, `POST /v1.41/containers/${cid}/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`, {
    then: (c) => {
      void (async () => {
        await until(() => backend.containers.get(cid)!.attached.size === 1);
        await request(sock, 'POST', `/containers/${cid}/start`);
        c.write('through stdin\n');
        c.end();
      })();
    },
  });
  const text = (await out).toString('latin1');
  const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1')];
  assert.match(head, /^HTTP\/1\.1 200 OK/);
  assert.match(head, /Content-Type: application\/vnd\.docker\.multiplexed-stream/i);
  assert.doesNotMatch(head, /Transfer-Encoding/i);
  const { frames } = deframe(body);
  assert.deepEqual(frames.map((f) => [f.stream, f.data.toString()]), [[1, 'through stdin\n']]);
  await svc.stop();
});

test('exec start in the Upgrade form: the JSON body is read by its length and what follows is stdin', async () => {
  const { svc, sock } = await serve();
  const cid = (JSON.parse((await request(sock, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', 'infinity'] })).body) as { Id: string }).Id;
  await request(sock, 'POST', `/containers/${cid}/start`);
  const ex = (JSON.parse((await request(sock, 'POST', `/containers/${cid}/exec`, { Cmd: ['cat'], AttachStdin: true, AttachStdout: true })).body) as { Id: string }).Id;
  const body = JSON.stringify({ Detach: false, Tty: false });
  const out = await raw(sock, `POST /v1.50/exec/${ex}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}stdin-bytes\n`, {
    then: (c) => setTimeout(() => c.end(), 50),
  });
  const text = out.toString('latin1');
  assert.match(text, /^HTTP\/1\.1 101 UPGRADED\r\nContent-Type: application\/vnd\.docker\.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n/);
  const { frames } = deframe(Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1'));
  assert.deepEqual(frames.map((f) => f.data.toString()), ['stdin-bytes\n']);
  const miss = (await raw(sock, 'POST /exec/nope/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 2\r\n\r\n{}')).toString();
  assert.match(miss, /^HTTP\/1\.1 404 Not Found[\s\S]*"message":"No such exec instance: nope"/);
  await svc.stop();
});

test('a client that never finishes its headers is cut off', async () => {
  const { svc, sock } = await serve({ http: { headersTimeoutMs: 200, checkIntervalMs: 50 } });
  const t0 = Date.now();
  const out = await raw(sock, 'GET /_ping HTTP/1.1\r\nHost: x\r\n');
  assert.ok(Date.now() - t0 < 3000);
  assert.match(out.toString(), /^HTTP\/1\.1 408/);
  await svc.stop();
});

test('a reader that stalls on a stream does not hold up other clients; hanging up releases the stream', async () => {
  const { svc, backend, sock } = await serve();
  const cid = (JSON.parse((await request(sock, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['yes', 'y'.repeat(4000)] })).body) as { Id: string }).Id;
  await request(sock, 'POST', `/containers/${cid}/start`);
  const slow = net.createConnection({ path: sock });
  slow.write(`POST /containers/${cid}/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  slow.pause();
  await until(() => backend.openStreams === 1);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 10 }, () => request(sock, 'GET', '/containers/json?all=1')));
  assert.ok(Date.now() - t0 < 2000, 'other clients were served while one stalled');
  slow.destroy();
  await until(() => backend.openStreams === 0);
  await request(sock, 'POST', `/containers/${cid}/kill`);
  await svc.stop();
});

test('an idle service stops by itself; stop() ends open streams', async () => {
  const { svc, sock } = await serve({ idleTimeoutSec: 0.2 });
  await request(sock, 'GET', '/_ping');
  await svc.stopped;
  const { svc: svc2, backend, sock: sock2 } = await serve();
  const ev = raw(sock2, 'GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
  await until(() => backend.openStreams === 1);
  await svc2.stop();
  await ev;
  await until(() => backend.openStreams === 0);
});

test('TCP: loopback only unless insisted on', async () => {
  assert.deepEqual(parseListen('tcp://127.0.0.1:2375', false), { host: '127.0.0.1', port: 2375 });
  assert.deepEqual(parseListen('tcp://[::1]:2375', false), { host: '::1', port: 2375 });
  assert.throws(() => parseListen('tcp://0.0.0.0:2375', false), /not a loopback address.*--allow-remote/);
  assert.doesNotThrow(() => parseListen('tcp://0.0.0.0:2375', true));
  assert.throws(() => parseListen('http://127.0.0.1:1', false), /want tcp:\/\/HOST:PORT/);
  const svc = await startService({ backend: new FakeBackend(), listen: ['tcp://127.0.0.1:0'] });
  const addr = svc.addresses[0]!;
  assert.match(addr, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  const port = Number(addr.split(':').at(-1));
  const body = await new Promise<string>((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/_ping' }, (res) => { let s = ''; res.on('data', (d) => { s += d; }); res.on('end', () => resolve(s)); });
  });
  assert.equal(body, 'OK');
  await svc.stop();
});
