import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { send } from './http.js';

// A TLS registry whose certificate no public root signed: trusted only through BERTH_EXTRA_CA_CERTS,
// the variable bin/berth moves NODE_EXTRA_CA_CERTS into.
test('https: a self-signed registry is trusted through BERTH_EXTRA_CA_CERTS, and refused without it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
  const saved = process.env.BERTH_EXTRA_CA_CERTS;
  const server = createServer();
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    server.setSecureContext({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
    server.on('request', (_req, res) => res.end('{}'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`);

    delete process.env.BERTH_EXTRA_CA_CERTS;
    await assert.rejects(send({ method: 'GET', url }), /self[- ]signed/);

    process.env.BERTH_EXTRA_CA_CERTS = join(dir, 'cert.pem');
    const res = await send({ method: 'GET', url });
    res.body.resume();
    assert.equal(res.status, 200);

    process.env.BERTH_EXTRA_CA_CERTS = join(dir, 'missing.pem');
    await assert.rejects(send({ method: 'GET', url }), (e: Error) => e.message.includes('extra CA certificates') && e.message.includes('missing.pem'));
  } finally {
    if (saved === undefined) delete process.env.BERTH_EXTRA_CA_CERTS;
    else process.env.BERTH_EXTRA_CA_CERTS = saved;
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
    rmSync(dir, { recursive: true, force: true });
  }
});
