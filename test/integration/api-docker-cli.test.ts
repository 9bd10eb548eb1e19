// The real docker CLI (28.x) against `berth system service` with the fake backend: the commands
// people run, end to end over the unix socket (create + attach + wait + start for `run`, hijacked
// exec, multiplexed logs, archives for cp, save/load, pull progress).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { docker, dockerBackground, haveDocker, serveFake, waitUntil, type Served } from './api-helpers.js';

describe('docker CLI against berth system service (fake backend)', { skip: haveDocker ? false : 'no docker CLI at /usr/local/bin/docker' }, () => {
  let s: Served;
  const d = (args: string[], opts?: { input?: string }) => docker(s.sock, args, opts);
  before(async () => { s = await serveFake(); });
  const made: string[] = [];
  const tempDir = (prefix: string): string => { const d = mkdtempSync(join(tmpdir(), prefix)); made.push(d); return d; };
  after(async () => {
    await s.svc.stop();
    for (const d of [s.dir, ...made]) rmSync(d, { recursive: true, force: true });
  });

  test('docker version negotiates the newest API and shows the server', async () => {
    const r = await d(['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Server: berth/);
    assert.match(r.stdout, /API version:\s+1\.50 \(minimum version 1\.41\)/);
    assert.ok(s.requests.some((l) => l.startsWith('GET /v1.50/version')));
  });

  test('docker info', async () => {
    const r = await d(['info']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Server Version: 0\.1\.0/);
    assert.match(r.stdout, /Images: 1/);
  });

  test('docker run --rm: output on the right streams, the exit code, and the container is gone', async () => {
    const r = await d(['run', '--rm', 'busybox', 'sh', '-c', 'echo hello; echo oops >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'hello\n');
    assert.equal(r.stderr, 'oops\n');
    assert.ok(s.requests.some((l) => /POST \/v1\.50\/containers\/\w+\/attach\?.*stream=1/.test(l)));
    assert.ok(s.requests.some((l) => /wait\?condition=removed/.test(l)));
    assert.equal((await d(['ps', '-aq'])).stdout, '');
  });

  test('docker run -i forwards stdin', async () => {
    const r = await d(['run', '--rm', '-i', 'busybox', 'cat'], { input: 'through stdin\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'through stdin\n');
  });

  test('docker run -it through a pty', { skip: existsSync('/usr/bin/script') ? false : 'no script(1)' }, () => {
    // script(1) gives docker a terminal; this runs synchronously in a child, and the server answers
    // from this process meanwhile only because execFileSync is not used here.
    return new Promise<void>((resolve, reject) => {
      import('node:child_process').then(({ execFile }) => {
        execFile('script', ['-qec', `${'/usr/local/bin/docker'} run --rm -it busybox sh -c 'echo in-tty; exit 4'`, '/dev/null'], {
          env: { ...process.env, DOCKER_HOST: `unix://${s.sock}`, DOCKER_CONFIG: join(s.dir, 'docker-config') }, timeout: 20_000,
        }, (err, stdout) => {
          try {
            assert.equal((err as { code?: number } | null)?.code, 4);
            assert.match(stdout, /in-tty\r\n/);
            resolve();
          } catch (e) { reject(e); }
        });
      }, reject);
    });
  });

  test('docker run -d, logs -f, ps -a, inspect, exec, stop, wait, rm', async () => {
    const id = (await d(['run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'echo l1; sleep 0.3; echo l2; sleep infinity'])).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await d(['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
    assert.match(ps.stdout, /^web Up /);
    const logs = dockerBackground(s.sock, ['logs', '-f', 'web']);
    const logsExited = new Promise((r) => logs.once('exit', r));
    let out = '';
    logs.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    await waitUntil(() => out === 'l1\nl2\n');
    const ins = JSON.parse((await d(['inspect', 'web'])).stdout) as Array<{ Id: string; Name: string; State: { Running: boolean } }>;
    assert.deepEqual([ins[0]!.Id, ins[0]!.Name, ins[0]!.State.Running], [id, '/web', true]);
    const ex = await d(['exec', 'web', 'sh', '-c', 'echo in-exec; exit 5']);
    assert.deepEqual([ex.code, ex.stdout], [5, 'in-exec\n']);
    assert.equal((await d(['stop', 'web'])).code, 0);
    await logsExited;
    assert.equal((await d(['wait', 'web'])).stdout.trim(), '143');
    assert.equal((await d(['rm', 'web'])).code, 0);
    const gone = await d(['rm', 'web']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /No such container: web/);
  });

  test('docker images, pull (progress, and errors), save/load', async () => {
    assert.match((await d(['images'])).stdout, /busybox\s+latest/);
    const p = await d(['pull', 'alpine']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /Status: Downloaded newer image for alpine:latest/);
    const miss = await d(['pull', 'nosuch']);
    assert.notEqual(miss.code, 0);
    assert.match(miss.stderr, /pull access denied for nosuch/);
    const broken = await d(['pull', 'broken']);
    assert.notEqual(broken.code, 0);
    assert.match(broken.stderr, /layer download failed/);
    const dir = tempDir('berth-save-');
    assert.equal((await d(['save', '-o', join(dir, 'a.tar'), 'alpine'])).code, 0);
    assert.ok(execFileSync('tar', ['tf', join(dir, 'a.tar')]).toString().includes('manifest.json'));
    assert.equal((await d(['rmi', 'alpine'])).code, 0);
    const load = await d(['load', '-i', join(dir, 'a.tar')]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, /Loaded image: alpine:latest/);
  });

  test('docker cp both ways, diff, stats --no-stream, top', async () => {
    await d(['run', '-d', '--name', 'files', 'busybox', 'sleep', 'infinity']);
    const dir = tempDir('berth-cp-');
    writeFileSync(join(dir, 'in.txt'), 'copied in\n');
    const cpIn = await d(['cp', join(dir, 'in.txt'), 'files:/tmp/']);
    assert.equal(cpIn.code, 0, cpIn.stderr);
    const cpOut = await d(['cp', 'files:/tmp/in.txt', join(dir, 'out.txt')]);
    assert.equal(cpOut.code, 0, cpOut.stderr);
    assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), 'copied in\n');
    assert.match((await d(['diff', 'files'])).stdout, /A \/tmp\/in\.txt/);
    const st = await d(['stats', '--no-stream', 'files']);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /files\s+\d/);
    assert.match((await d(['top', 'files'])).stdout, /sleep infinity/);
    assert.equal((await d(['rm', '-f', 'files'])).code, 0);
  });

  test('docker volume and network commands', async () => {
    assert.equal((await d(['volume', 'create', 'data'])).stdout.trim(), 'data');
    assert.match((await d(['volume', 'ls'])).stdout, /local\s+data/);
    assert.equal(JSON.parse((await d(['volume', 'inspect', 'data'])).stdout)[0].Name, 'data');
    assert.equal((await d(['volume', 'rm', 'data'])).code, 0);
    assert.match((await d(['network', 'ls'])).stdout, /bridge\s+bridge\s+local/);
    assert.equal((await d(['network', 'create', 'appnet'])).code, 0);
    assert.match((await d(['network', 'ls'])).stdout, /appnet/);
    assert.equal((await d(['network', 'rm', 'appnet'])).code, 0);
  });

  test('build and search say clearly that they are not supported', async () => {
    const ctx = tempDir('berth-build-');
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\n');
    const b = await d(['build', '-t', 'x', ctx]);
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /building through the Docker API is not supported yet; use `berth build`/);
    const sr = await d(['search', 'busybox']);
    assert.notEqual(sr.code, 0);
    assert.match(sr.stderr, /searching registries is not supported/);
  });

  test('a docker client killed mid-stream (logs -f, events, attach) leaves no open backend stream', async () => {
    await d(['run', '-d', '--name', 'chatty', 'busybox', 'yes', 'hello']);
    const before = s.backend.openStreams;
    const kids = [
      dockerBackground(s.sock, ['logs', '-f', 'chatty']),
      dockerBackground(s.sock, ['events']),
      dockerBackground(s.sock, ['attach', '--no-stdin', 'chatty']),
    ];
    await waitUntil(() => s.backend.openStreams >= before + 3);
    const exited = kids.map((k) => new Promise((r) => k.once('exit', r)));
    for (const k of kids) k.kill('SIGKILL');
    await Promise.all(exited);
    await waitUntil(() => s.backend.openStreams === before);
    assert.equal(s.backend.eventLog.listeners, 0);
    assert.equal((await d(['rm', '-f', 'chatty'])).code, 0);
  });
});
