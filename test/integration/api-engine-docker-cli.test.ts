// The real docker CLI (28.x) against `berth system service` over the real engine (as root): the
// commands people run, end to end, with real containers. A private root and run root, the default
// network on bridge berthapi60 (10.217.60.0/24), a user network on berthapi61, and a local
// docker-registry on 127.0.0.1 (docker treats loopback registries as insecure). Traffic goes only
// to loopback and to the test's containers.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRegistry, type TestRegistry } from '../../src/image/registry/testing.js';
import { DOCKER, docker, dockerBackground, haveDocker, waitUntil, type Run } from './api-helpers.js';
import { skipEngineApi, startEngineService, type EngineService } from './api-engine-helpers.js';

const skip = !haveDocker ? 'no docker CLI at /usr/local/bin/docker' : skipEngineApi;

describe('docker CLI against berth system service (engine backend)', { skip, concurrency: false, timeout: 600_000 }, () => {
  let s: EngineService;
  let reg: TestRegistry;
  const d = (args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<Run> => docker(s.sock, args, { timeoutMs: 60_000, ...opts });
  const ok = async (args: string[], opts?: { input?: string }): Promise<string> => {
    const r = await d(args, opts);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n${s.log()}`);
    return r.stdout;
  };

  before(async () => {
    s = await startEngineService('cli', { bridges: ['berthapi60', 'berthapi61'], subnet: '10.217.60.0/24' });
    reg = await startRegistry();
  });
  after(async () => {
    await reg?.stop();
    await s?.stop();
  });

  it('version and info describe the berth engine', async () => {
    const v = await ok(['version']);
    assert.match(v, /Server: berth/);
    assert.match(v, /API version:\s+1\.50/);
    assert.match(v, /berth-runtime/);
    const i = await ok(['info']);
    assert.match(i, /Server Version: 0\.1\.0/);
    assert.match(i, /Default Runtime: berth-runtime/);
    assert.ok(i.includes(`Docker Root Dir: ${s.root}`), i);
  });

  it('run --rm: output, streams, exit code, and the container is gone', async () => {
    assert.equal(await ok(['run', '--rm', 'busybox', 'echo', 'hi']), 'hi\n');
    const r = await d(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [3, 'out\n', 'err\n']);
    const i = await d(['run', '--rm', '-i', 'busybox', 'cat'], { input: 'through stdin\n' });
    assert.deepEqual([i.code, i.stdout], [0, 'through stdin\n']);
    const nf = await d(['run', '--rm', 'busybox', 'nosuchcommand']);
    assert.equal(nf.code, 127, nf.stderr);
    assert.equal(await ok(['ps', '-aq']), '');
  });

  it('run -d, logs -f of a container that prints then exits, ps -a, wait, rm', async () => {
    const id = (await ok(['run', '-d', '--name', 'printer', 'busybox', 'sh', '-c', 'echo one; sleep 0.3; echo two >&2; sleep 0.3; echo three; exit 4'])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const f = await d(['logs', '-f', 'printer']);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(f.stdout, 'one\nthree\n');
    assert.equal(f.stderr, 'two\n');
    assert.equal(await ok(['wait', 'printer']), '4\n');
    assert.match(await ok(['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^printer Exited \(4\) /m);
    assert.equal(await ok(['logs', '--tail', '1', 'printer']), 'three\n');
    await ok(['rm', 'printer']);
    assert.equal(await ok(['ps', '-aq']), '');
  });

  it('exec (status, stdin, not found), stop, wait and rm of a running container', async () => {
    await ok(['run', '-d', '--name', 'svc', 'busybox', 'sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.1; done']);
    const ex = await d(['exec', 'svc', 'sh', '-c', 'echo in-exec; echo e >&2; exit 5']);
    assert.deepEqual([ex.code, ex.stdout, ex.stderr], [5, 'in-exec\n', 'e\n']);
    assert.equal(await ok(['exec', '-i', '-e', 'A=b', '-w', '/tmp', 'svc', 'sh', '-c', 'cat; echo $A $(pwd)'], { input: 'piped\n' }), 'piped\nb /tmp\n');
    assert.equal((await d(['exec', 'svc', 'nosuch'])).code, 127);
    assert.match(await ok(['ps', '--format', '{{.Names}} {{.Status}}']), /^svc Up /m);
    const waiter = d(['wait', 'svc']);
    await ok(['stop', '-t', '5', 'svc']);
    assert.equal((await waiter).stdout, '7\n');
    assert.match(await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'svc']), /^exited 7\n$/);
    await ok(['rm', 'svc']);
  });

  it('cp both ways, stats --no-stream, top', async () => {
    await ok(['run', '-d', '--name', 'files', 'busybox', 'sh', '-c', 'mkdir -p /srv/d && echo inside > /srv/d/a && ln -s /etc/passwd /srv/link && sleep 60']);
    await waitUntil(async () => (await d(['exec', 'files', 'test', '-e', '/srv/link'])).code === 0);
    const host = join(s.base, 'cp');
    mkdirSync(host, { recursive: true });
    writeFileSync(join(host, 'up.txt'), 'from host\n');
    await ok(['cp', join(host, 'up.txt'), 'files:/srv/d/']);
    assert.equal(await ok(['exec', 'files', 'cat', '/srv/d/up.txt']), 'from host\n');
    await ok(['cp', 'files:/srv/d', join(host, 'out')]);
    assert.equal(readFileSync(join(host, 'out', 'a'), 'utf8'), 'inside\n');
    assert.equal(readFileSync(join(host, 'out', 'up.txt'), 'utf8'), 'from host\n');
    // A symlink in the container is copied as a link, never followed to a host file.
    await ok(['cp', 'files:/srv/link', join(host, 'link')]);
    assert.ok(lstatSync(join(host, 'link')).isSymbolicLink());
    assert.equal(readlinkSync(join(host, 'link')), '/etc/passwd');
    const st = await ok(['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}', 'files']);
    assert.match(st, /^files \d+\.\d+% [\d.]+[KMG]?i?B \/ [\d.]+[KMG]iB [1-9]\d*\n$/);
    assert.match(await ok(['top', 'files']), /sleep 60/);
    await ok(['rm', '-f', 'files']);
  });

  it('run -it through a pty: a terminal inside and the exit code', { skip: existsSync('/usr/bin/script') ? false : 'no script(1)' }, async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile('script', ['-qec', `${DOCKER} run -it --rm busybox sh -c 'tty; exit 3'`, '/dev/null'], { env: s.env, timeout: 30_000 }, (err, stdout) => {
        resolve({ code: err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1, out: stdout });
      });
    });
    assert.equal(r.code, 3, r.out);
    assert.match(r.out, /\/dev\/pts\/\d+\r\n/);
  });

  it('images, tag, push to and pull from a local registry, save and load', async () => {
    await ok(['run', '--rm', 'busybox', 'true']);
    assert.match(await ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), /busybox:latest/);
    const target = `${reg.host}/berth/bb:1`;
    await ok(['tag', 'busybox', target]);
    const push = await ok(['push', target]);
    assert.match(push, /Pushed/);
    assert.match(push, /1: digest: sha256:[0-9a-f]{64}/);
    await ok(['rmi', target]);
    const pull = await ok(['pull', target]);
    assert.match(pull, /Digest: sha256:/);
    assert.equal(await ok(['run', '--rm', target, 'echo', 'pulled']), 'pulled\n');
    const tar = join(s.base, 'saved.tar');
    await ok(['save', '-o', tar, target]);
    await ok(['rmi', target]);
    assert.match(await ok(['load', '-i', tar]), new RegExp(`Loaded image: ${target.replace(/[.]/g, '\\.')}`));
    assert.match(await ok(['image', 'inspect', '-f', '{{.Os}} {{len .RootFS.Layers}}', target]), /^linux [1-9]/);
    assert.match(await ok(['history', target]), /[0-9a-f]{12}|<missing>/);
    await ok(['rmi', target]);
  });

  it('volume and network commands, and containers resolving each other on a user network', async () => {
    await ok(['volume', 'create', 'apivol']);
    assert.match(await ok(['volume', 'ls', '--format', '{{.Name}}']), /^apivol$/m);
    await ok(['run', '--rm', '-v', 'apivol:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']);
    assert.equal(await ok(['run', '--rm', '-v', 'apivol:/data:ro', 'busybox', 'cat', '/data/f']), 'kept\n');
    assert.match(await ok(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'apivol']), new RegExp(`^${s.root}/volumes/apivol/_data`));
    await ok(['network', 'create', '--subnet', '10.217.61.0/24', '-o', 'com.docker.network.bridge.name=berthapi61', '-o', 'dns.upstreams=', 'apinet']);
    assert.match(await ok(['network', 'ls', '--format', '{{.Name}}']), /^apinet$/m);
    await ok(['run', '-d', '--name', 'peer', '--network', 'apinet', 'busybox', 'sleep', '60']);
    const ip = (await ok(['inspect', '-f', '{{.NetworkSettings.Networks.apinet.IPAddress}}', 'peer'])).trim();
    assert.match(ip, /^10\.217\.61\.\d+$/);
    assert.match(await ok(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}}{{end}}', 'apinet']), /peer/);
    const ping = await ok(['run', '--rm', '--network', 'apinet', 'busybox', 'ping', '-c1', '-W2', 'peer']);
    assert.ok(ping.includes(`bytes from ${ip}`), ping);
    await ok(['rm', '-f', 'peer']);
    const rmUsed = await d(['volume', 'rm', 'apivol']);
    assert.equal(rmUsed.code, 0, rmUsed.stderr);
    await ok(['network', 'rm', 'apinet']);
    assert.doesNotMatch(await ok(['network', 'ls', '--format', '{{.Name}}']), /apinet/);
  });

  it('events report what the API did', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await ok(['run', '--rm', '--name', 'evt', 'busybox', 'true']);
    const ev = await ok(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=evt', '--format', '{{.Action}}']);
    assert.deepEqual(ev.trim().split('\n'), ['create', 'start', 'die', 'destroy']);
  });

  it('logs -f of a running container follows until it stops', async () => {
    await ok(['run', '-d', '--name', 'slow', 'busybox', 'sh', '-c', 'echo a; sleep 0.5; echo b; sleep 60']);
    const logs = dockerBackground(s.sock, ['logs', '-f', 'slow']);
    let out = '';
    logs.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    const exited = new Promise((r) => logs.once('exit', r));
    await waitUntil(() => out === 'a\nb\n');
    await ok(['kill', 'slow']);
    await exited;
    await ok(['rm', 'slow']);
  });
});
