// dockerode (npm) against `berth system service` over the real engine (as root): the SDK flows from
// Node — create/start/wait/logs demuxed with `modem.demuxStream`, attach (with stdin, no tty, and
// with a tty), exec with its exit code, list with filters, remove. Default network on berthapi65.
import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { skipEngineApi, startEngineService, type EngineService } from './api-engine-helpers.js';

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (b: Buffer) => { text += b.toString(); });
  return { stream, text: () => text };
}

describe('dockerode against berth system service (engine backend)', { skip: skipEngineApi, concurrency: false, timeout: 300_000 }, () => {
  let s: EngineService;
  let dk: Docker;

  before(async () => {
    s = await startEngineService('dockerode', { bridges: ['berthapi65'], subnet: '10.217.65.0/24' });
    dk = new Docker({ socketPath: s.sock });
  });
  after(async () => {
    await s?.stop();
  });

  it('ping and version', async () => {
    assert.equal(String(await dk.ping()), 'OK');
    const v = await dk.version();
    assert.equal(v.ApiVersion, '1.50');
  });

  it('create, start, wait, logs demuxed into stdout and stderr', async () => {
    const c = await dk.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 6'], name: 'node-logs', Labels: { suite: 'dockerode' } });
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    assert.equal((await waited).StatusCode, 6);
    const raw = await c.logs({ stdout: true, stderr: true, follow: true }) as unknown as NodeJS.ReadableStream;
    const out = collect();
    const err = collect();
    dk.modem.demuxStream(raw, out.stream, err.stream);
    await new Promise((r) => raw.on('end', r));
    assert.equal(out.text(), 'to-out\n');
    assert.equal(err.text(), 'to-err\n');
    const listed = await dk.listContainers({ all: true, filters: { label: ['suite=dockerode'] } });
    assert.deepEqual(listed.map((x) => [x.Names[0], x.State]), [['/node-logs', 'exited']]);
    await c.remove();
    assert.equal((await dk.listContainers({ all: true })).length, 0);
  });

  it('attach before start: stdin in, demuxed output out, and the exit code', async () => {
    const c = await dk.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'read line; echo "got $line"; echo done >&2'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }) as unknown as NodeJS.ReadWriteStream;
    const out = collect();
    const err = collect();
    dk.modem.demuxStream(stream, out.stream, err.stream);
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    stream.write('hello\n');
    assert.equal((await waited).StatusCode, 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(out.text(), 'got hello\n');
    assert.equal(err.text(), 'done\n');
    await c.remove({ force: true });
  });

  it('attach to a running tty container: one raw stream', async () => {
    const c = await dk.createContainer({ Image: 'busybox', Cmd: ['sh'], Tty: true, OpenStdin: true });
    await c.start();
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, hijack: true }) as unknown as NodeJS.ReadWriteStream;
    let text = '';
    stream.on('data', (b: Buffer) => { text += b.toString(); });
    stream.write('echo from-$((6*7))\n');
    for (let i = 0; i < 100 && !text.includes('from-42'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(text, /from-42/);
    stream.write('exit 2\n');
    assert.equal((await c.wait()).StatusCode, 2);
    await c.remove();
  });

  it('exec: output, exit code through inspect, and remove -f of a running container', async () => {
    const c = await dk.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], name: 'node-exec' });
    await c.start();
    const x = await c.exec({ Cmd: ['sh', '-c', 'echo in-exec; exit 9'], AttachStdout: true, AttachStderr: true });
    const stream = await x.start({ hijack: true, stdin: false }) as unknown as NodeJS.ReadableStream;
    const out = collect();
    dk.modem.demuxStream(stream, out.stream, new PassThrough());
    await new Promise((r) => stream.on('end', r));
    assert.equal(out.text(), 'in-exec\n');
    const info = await x.inspect();
    assert.deepEqual([info.Running, info.ExitCode], [false, 9]);
    const running = await dk.listContainers({ filters: { name: ['node-exec'] } });
    assert.equal(running.length, 1);
    assert.equal(running[0]!.State, 'running');
    await c.remove({ force: true });
    await assert.rejects(c.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  });
});
