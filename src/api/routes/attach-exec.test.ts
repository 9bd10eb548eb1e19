// Hijacked streams: attach and exec start, in the 101 Upgrade form and the plain 200 form,
// with and without a tty, with stdin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frames, testApi, until } from '../test-support.js';

test('attach (Upgrade form) before start: 101, multiplexed output, ends at exit; wait gets the code', async () => {
  const t = testApi();
  const id = await t.container(['sh', '-c', 'echo a; echo b >&2; exit 5']);
  const att = t.live('POST', `/containers/${id}/attach?stream=1&stdout=1&stderr=1`, undefined, { upgrade: true });
  const head = await att.head;
  assert.equal(head.status, 101);
  assert.equal(head.headers['Content-Type'], 'application/vnd.docker.multiplexed-stream');
  assert.equal(head.headers['Upgrade'], 'tcp');
  const wait = t.live('POST', `/containers/${id}/wait?condition=next-exit`);
  await wait.head;
  await t.req('POST', `/containers/${id}/start`);
  const r = await att.done;
  assert.deepEqual(frames(r.body), [[1, 'a\n'], [2, 'b\n']]);
  assert.deepEqual((await wait.done).json(), { StatusCode: 5, Error: null });
  assert.equal(t.backend.openStreams, 0);
});

test('attach (plain form) with stdin and a tty: 200 raw stream, stdin reaches the process', async () => {
  const t = testApi();
  const id = await t.container(['cat'], { body: { Tty: true, OpenStdin: true, StdinOnce: true } });
  const att = t.live('POST', `/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`);
  const head = await att.head;
  assert.equal(head.status, 200);
  assert.equal(head.headers['Content-Type'], 'application/vnd.docker.raw-stream');
  await t.req('POST', `/containers/${id}/start`);
  att.stdin.write('ping\n');
  assert.equal((await att.waitFor(6)).toString(), 'ping\r\n');
  att.stdin.end();
  const r = await att.done;
  assert.equal(r.text(), 'ping\r\n');
  assert.equal(t.backend.containers.get(id)!.status, 'exited');
});

test('attach with logs=1 replays history; attach 404; a client hanging up closes the session', async () => {
  const t = testApi();
  const id = await t.container(['sh', '-c', 'echo before; sleep infinity'], { start: true });
  await until(() => t.backend.containers.get(id)!.logs.length === 1);
  const att = t.live('POST', `/containers/${id}/attach?logs=1&stream=1&stdout=1`, undefined, { upgrade: true });
  assert.deepEqual(frames(await att.waitFor(15)), [[1, 'before\n']]);
  assert.equal(t.backend.openStreams, 1);
  att.disconnect();
  await att.done;
  await until(() => t.backend.openStreams === 0);
  assert.equal(t.backend.containers.get(id)!.attached.size, 0);
  const miss = await t.req('POST', '/containers/nope/attach?stream=1&stdout=1', undefined, { upgrade: true });
  assert.equal(miss.status, 404);
  assert.equal(miss.hijacked, false);
  await t.req('POST', `/containers/${id}/kill`);
});

test('exec: create 201, start attached (101, framed), inspect shows the exit code; 409/404 errors', async () => {
  const t = testApi();
  const id = await t.container(['sleep', 'infinity'], { start: true });
  const c = await t.req('POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'echo x; echo y >&2; exit 3'], AttachStdout: true, AttachStderr: true });
  assert.equal(c.status, 201);
  const ex = c.json<{ Id: string }>().Id;
  const s = await t.req('POST', `/exec/${ex}/start`, { Detach: false, Tty: false }, { upgrade: true });
  assert.equal(s.status, 101);
  assert.deepEqual(frames(s.body), [[1, 'x\n'], [2, 'y\n']]);
  await until(() => t.backend.execs.get(ex)!.exitCode !== null);
  const i = await t.req('GET', `/exec/${ex}/json`);
  assert.equal(i.status, 200);
  assert.deepEqual([i.json<{ Running: boolean }>().Running, i.json<{ ExitCode: number }>().ExitCode], [false, 3]);
  assert.equal((await t.req('POST', `/exec/${ex}/start`, {})).status, 409);
  assert.equal((await t.req('GET', '/exec/nope/json')).status, 404);
  assert.equal((await t.req('POST', `/containers/${id}/exec`, { Cmd: [] })).status, 400);
  await t.req('POST', `/containers/${id}/kill`);
  assert.equal((await t.req('POST', `/containers/${id}/exec`, { Cmd: ['true'] })).status, 409);
});

test('exec: detached start is a bare 200; tty exec is raw; stdin reaches it; resize', async () => {
  const t = testApi();
  const id = await t.container(['sleep', 'infinity'], { start: true });
  const mk = async (body: object): Promise<string> => (await t.req('POST', `/containers/${id}/exec`, body)).json<{ Id: string }>().Id;
  const d = await mk({ Cmd: ['true'] });
  const ds = await t.req('POST', `/exec/${d}/start`, { Detach: true });
  assert.equal(ds.status, 200);
  assert.equal(ds.body.length, 0);
  const tty = await mk({ Cmd: ['cat'], Tty: true, AttachStdin: true, AttachStdout: true });
  const live = t.live('POST', `/exec/${tty}/start`, { Detach: false, Tty: true }, { upgrade: true });
  assert.equal((await live.head).headers['Content-Type'], 'application/vnd.docker.raw-stream');
  assert.equal((await t.req('POST', `/exec/${tty}/resize?h=24&w=80`)).status, 200);
  live.stdin.write('hello\n');
  live.stdin.end();
  assert.equal((await live.done).text(), 'hello\r\n');
  await t.req('POST', `/containers/${id}/kill`);
});
