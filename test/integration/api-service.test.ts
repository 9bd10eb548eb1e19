// `berth system service` as its own process: the socket's life cycle (stale ones replaced, live
// ones refused), the idle timeout, and the loopback-only TCP rule.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, docker, haveDocker, spawnService, waitUntil } from './api-helpers.js';

const made: string[] = [];
after(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });
const sockIn = (): string => { const d = mkdtempSync(join(tmpdir(), 'berth-svc-')); made.push(d); return join(d, 'berth.sock'); };
const exists = (p: string): boolean => { try { return statSync(p).isSocket(); } catch { return false; } };

describe('berth system service', () => {
  test('serves on the socket (0660); a second one on a live socket is refused; a stale socket is replaced', async () => {
    const sock = sockIn();
    const first = spawnService(['--socket', sock, '--timeout', '0', '--backend', 'fake']);
    const a = collect(first);
    await waitUntil(() => a.out().includes('serving the Docker Engine API'));
    assert.equal(statSync(sock).mode & 0o777, 0o660);
    if (haveDocker) assert.match((await docker(sock, ['version', '--format', '{{.Server.APIVersion}}'])).stdout, /^1\.50/);
    const second = spawnService(['--socket', sock, '--timeout', '0', '--backend', 'fake']);
    const b = collect(second);
    assert.equal(await b.exited, 125);
    assert.match(b.out(), /another server is already listening on/);
    first.kill('SIGKILL');
    await a.exited;
    assert.ok(exists(sock), 'a killed server leaves its socket behind');
    const third = spawnService(['--socket', sock, '--timeout', '0', '--backend', 'fake']);
    const c = collect(third);
    await waitUntil(() => c.out().includes('serving the Docker Engine API'));
    third.kill('SIGTERM');
    assert.equal(await c.exited, 0);
    assert.ok(!exists(sock), 'a stopped server removes its socket');
  });

  test('--timeout N stops after N idle seconds', async () => {
    const sock = sockIn();
    const child = spawnService(['--socket', sock, '--timeout', '1', '--backend', 'fake']);
    const c = collect(child);
    const t0 = Date.now();
    assert.equal(await c.exited, 0);
    assert.ok(Date.now() - t0 < 8000);
    assert.ok(!exists(sock));
  });

  test('--listen refuses a non-loopback address without --allow-remote; an unknown backend is refused', async () => {
    const r = collect(spawnService(['--listen', 'tcp://0.0.0.0:0', '--backend', 'fake']));
    assert.equal(await r.exited, 125);
    assert.match(r.out(), /not a loopback address/);
    const e = collect(spawnService(['--socket', sockIn(), '--backend', 'nope']));
    assert.equal(await e.exited, 125);
    assert.match(e.out(), /want engine or fake/);
  });
});
