// Container endpoints against the fake backend, in-process: status codes and JSON shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frames, testApi, until } from '../test-support.js';
import { readTarBuffer, writeTar } from '../fake-fs.js';

test('create → 201 {Id, Warnings}; a taken name → 409; unknown image → 404; bad name → 400', async () => {
  const t = testApi();
  const r = await t.req('POST', '/containers/create?name=web', { Image: 'busybox', Cmd: ['true'] });
  assert.equal(r.status, 201);
  const body = r.json<{ Id: string; Warnings: string[] }>();
  assert.match(body.Id, /^[0-9a-f]{64}$/);
  assert.deepEqual(body.Warnings, []);
  const again = await t.req('POST', '/containers/create?name=web', { Image: 'busybox' });
  assert.equal(again.status, 409);
  assert.match(again.json<{ message: string }>().message, /The container name "\/web" is already in use/);
  const noImage = await t.req('POST', '/containers/create', { Image: 'nosuch' });
  assert.equal(noImage.status, 404);
  assert.equal(noImage.json<{ message: string }>().message, 'No such image: nosuch:latest');
  assert.equal((await t.req('POST', '/containers/create?name=a%20b', { Image: 'busybox' })).status, 400);
  assert.equal((await t.req('POST', '/containers/create', {})).status, 400);
});

test('inspect shape and 404; start 204 then 304; stop 204 then 304; restart; wait', async () => {
  const t = testApi();
  const id = await t.container(['sleep', 'infinity'], { name: 'sl' });
  const i = await t.req('GET', '/containers/sl/json');
  assert.equal(i.status, 200);
  const ins = i.json<{ Id: string; Name: string; State: { Status: string; Running: boolean }; Config: { Cmd: string[] }; Path: string }>();
  assert.equal(ins.Id, id);
  assert.equal(ins.Name, '/sl');
  assert.equal(ins.State.Status, 'created');
  assert.equal(ins.Path, 'sleep');
  assert.equal((await t.req('GET', '/containers/nope/json')).status, 404);
  assert.deepEqual((await t.req('GET', '/containers/nope/json')).json(), { message: 'No such container: nope' });
  assert.equal((await t.req('POST', `/containers/${id}/start`)).status, 204);
  assert.equal((await t.req('POST', `/containers/${id}/start`)).status, 304);
  assert.equal((await t.req('GET', `/containers/${id.slice(0, 12)}/json`)).json<{ State: { Running: boolean } }>().State.Running, true);
  assert.equal((await t.req('POST', `/containers/${id}/restart?t=1`)).status, 204);
  assert.equal((await t.req('GET', `/containers/${id}/json`)).json<{ RestartCount: number }>().RestartCount, 1);
  const wait = t.live('POST', `/containers/${id}/wait`);
  assert.equal((await wait.head).status, 200);
  assert.equal((await t.req('POST', `/containers/${id}/stop?t=0`)).status, 204);
  assert.deepEqual((await wait.done).json(), { StatusCode: 143, Error: null });
  assert.equal((await t.req('POST', `/containers/${id}/stop`)).status, 304);
  assert.equal((await t.req('POST', `/containers/${id}/start`)).status, 204);
  assert.equal((await t.req('POST', '/containers/nope/start')).status, 404);
  await t.req('POST', `/containers/${id}/kill`);
});

test('wait conditions: not-running returns at once for a stopped container; next-exit waits; removed; bad condition 400', async () => {
  const t = testApi();
  const id = await t.container(['sh', '-c', 'exit 7']);
  const created = await t.req('POST', `/containers/${id}/wait`);
  assert.deepEqual(created.json(), { StatusCode: 0, Error: null });
  const next = t.live('POST', `/containers/${id}/wait?condition=next-exit`);
  await next.head;
  const removed = t.live('POST', `/containers/${id}/wait?condition=removed`);
  await removed.head;
  await t.req('POST', `/containers/${id}/start`);
  assert.deepEqual((await next.done).json(), { StatusCode: 7, Error: null });
  assert.equal((await t.req('DELETE', `/containers/${id}`)).status, 204);
  assert.deepEqual((await removed.done).json(), { StatusCode: 7, Error: null });
  assert.equal((await t.req('POST', `/containers/${id}/wait?condition=bogus`)).status, 400);
  assert.equal((await t.req('POST', '/containers/nope/wait')).status, 404);
  const id2 = await t.container(['sleep', 'infinity'], { start: true });
  const gone = t.live('POST', `/containers/${id2}/wait`);
  await gone.head;
  assert.equal(t.backend.containers.get(id2)!.waiters.length, 1);
  gone.disconnect();
  await until(() => t.backend.containers.get(id2)!.waiters.length === 0);
  await t.req('POST', `/containers/${id2}/kill`);
});

test('kill: 204, 409 when not running, 400 for a bad signal; pause/unpause 204 and 409', async () => {
  const t = testApi();
  const id = await t.container(['sleep', 'infinity'], { start: true });
  assert.equal((await t.req('POST', `/containers/${id}/kill?signal=BOGUS`)).status, 400);
  assert.equal((await t.req('POST', `/containers/${id}/pause`)).status, 204);
  assert.equal((await t.req('GET', `/containers/${id}/json`)).json<{ State: { Status: string } }>().State.Status, 'paused');
  assert.equal((await t.req('POST', `/containers/${id}/pause`)).status, 409);
  assert.equal((await t.req('POST', `/containers/${id}/unpause`)).status, 204);
  assert.equal((await t.req('POST', `/containers/${id}/unpause`)).status, 409);
  assert.equal((await t.req('POST', `/containers/${id}/kill?signal=SIGKILL`)).status, 204);
  assert.equal((await t.req('GET', `/containers/${id}/json`)).json<{ State: { ExitCode: number } }>().State.ExitCode, 137);
  assert.equal((await t.req('POST', `/containers/${id}/kill`)).status, 409);
});

test('remove: 409 while running, force works, 404 after; prune removes stopped ones; rename 204/409', async () => {
  const t = testApi();
  const run = await t.container(['sleep', 'infinity'], { start: true, name: 'r1' });
  const r = await t.req('DELETE', `/containers/${run}`);
  assert.equal(r.status, 409);
  assert.match(r.json<{ message: string }>().message, /stop the container before removing or force remove/);
  assert.equal((await t.req('POST', '/containers/r1/rename?name=r2')).status, 204);
  await t.container(['true'], { name: 'r3' });
  assert.equal((await t.req('POST', '/containers/r2/rename?name=r3')).status, 409);
  assert.equal((await t.req('POST', '/containers/r2/rename')).status, 400);
  assert.equal((await t.req('DELETE', '/containers/r2?force=1')).status, 204);
  assert.equal((await t.req('DELETE', '/containers/r2')).status, 404);
  const p = await t.req('POST', '/containers/prune');
  assert.equal(p.status, 200);
  const pr = p.json<{ ContainersDeleted: string[]; SpaceReclaimed: number }>();
  assert.equal(pr.ContainersDeleted.length, 1);
  assert.equal(pr.SpaceReclaimed, 0);
});

test('logs: multiplexed frames without a tty, raw with one; tail, timestamps, stream selection', async () => {
  const t = testApi();
  const id = await t.container(['sh', '-c', 'echo out1; echo err1 >&2; echo out2'], { start: true });
  await until(() => t.backend.containers.get(id)!.status === 'exited');
  const all = await t.req('GET', `/containers/${id}/logs?stdout=1&stderr=1`);
  assert.equal(all.status, 200);
  assert.equal(all.headers['Content-Type'], 'application/vnd.docker.multiplexed-stream');
  assert.deepEqual(frames(all.body), [[1, 'out1\n'], [2, 'err1\n'], [1, 'out2\n']]);
  assert.deepEqual(frames((await t.req('GET', `/containers/${id}/logs?stdout=1`)).body), [[1, 'out1\n'], [1, 'out2\n']]);
  assert.deepEqual(frames((await t.req('GET', `/containers/${id}/logs?stdout=1&stderr=1&tail=1`)).body), [[1, 'out2\n']]);
  const ts = frames((await t.req('GET', `/containers/${id}/logs?stderr=1&timestamps=1`)).body);
  assert.match(ts[0]![1], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z err1\n$/);
  assert.equal((await t.req('GET', `/containers/${id}/logs`)).status, 400);
  assert.equal((await t.req('GET', `/containers/${id}/logs?stdout=1&tail=x`)).status, 400);
  assert.equal((await t.req('GET', '/containers/nope/logs?stdout=1')).status, 404);
  const tty = await t.container(['echo', 'hi'], { start: true, body: { Tty: true } });
  await until(() => t.backend.containers.get(tty)!.status === 'exited');
  const raw = await t.req('GET', `/containers/${tty}/logs?stdout=1&stderr=1`);
  assert.equal(raw.headers['Content-Type'], 'application/vnd.docker.raw-stream');
  assert.equal(raw.text(), 'hi\r\n');
});

test('logs follow streams new lines and ends when the container exits', async () => {
  const t = testApi();
  const id = await t.container(['sh'], { start: true, body: { OpenStdin: true } });
  const follow = t.live('GET', `/containers/${id}/logs?stdout=1&follow=1`);
  await follow.head;
  await t.backend.containers.get(id)!.stdin!.push(Buffer.from('echo live\n'));
  const got = await follow.waitFor(13);
  assert.deepEqual(frames(got), [[1, 'live\n']]);
  await t.req('POST', `/containers/${id}/kill`);
  const done = await follow.done;
  assert.deepEqual(frames(done.body), [[1, 'live\n']]);
  assert.equal(t.backend.openStreams, 0);
});

test('top 200 and 409 when stopped; changes; resize; stats one-shot and streamed', async () => {
  const t = testApi();
  const id = await t.container(['sleep', 'infinity'], { start: true });
  const top = await t.req('GET', `/containers/${id}/top?ps_args=aux`);
  assert.equal(top.status, 200);
  assert.deepEqual(top.json<{ Titles: string[] }>().Titles.slice(0, 2), ['UID', 'PID']);
  assert.equal((await t.req('GET', `/containers/${id}/changes`)).json(), null);
  assert.equal((await t.req('POST', `/containers/${id}/resize?h=40&w=120`)).status, 200);
  assert.equal((await t.req('POST', `/containers/${id}/resize?h=-1&w=1`)).status, 400);
  const one = await t.req('GET', `/containers/${id}/stats?stream=false`);
  assert.equal(one.status, 200);
  const s = one.json<{ read: string; cpu_stats: { cpu_usage: { total_usage: number } }; memory_stats: { usage: number } }>();
  assert.ok(s.cpu_stats.cpu_usage.total_usage > 0);
  assert.ok(s.memory_stats.usage > 0);
  assert.equal((await t.req('GET', `/containers/${id}/stats?stream=0&one-shot=1`)).status, 200);
  const live = t.live('GET', `/containers/${id}/stats`);
  const first = await live.waitFor(10);
  assert.ok(first.toString().includes('"cpu_stats"'));
  live.disconnect();
  await live.done;
  await until(() => t.backend.openStreams === 0);
  await t.req('POST', `/containers/${id}/kill`);
  assert.equal((await t.req('GET', `/containers/${id}/top`)).status, 409);
});

test('archive: PUT a tar, HEAD its stat header, GET it back, 404 for a missing path; export; changes', async () => {
  const t = testApi();
  const id = await t.container(['sleep', 'infinity'], { start: true });
  const tar = writeTar([{ name: 'hello.txt', type: 'file', data: Buffer.from('hi\n'), mode: 0o644, mtime: new Date() }]);
  assert.equal((await t.req('PUT', `/containers/${id}/archive?path=/tmp`, tar, { headers: { 'content-type': 'application/x-tar' } })).status, 200);
  const head = await t.req('HEAD', `/containers/${id}/archive?path=/tmp/hello.txt`);
  assert.equal(head.status, 200);
  const stat = JSON.parse(Buffer.from(String(head.headers['X-Docker-Container-Path-Stat']), 'base64').toString()) as { name: string; size: number };
  assert.deepEqual([stat.name, stat.size], ['hello.txt', 3]);
  const get = await t.req('GET', `/containers/${id}/archive?path=/tmp/hello.txt`);
  assert.equal(get.headers['Content-Type'], 'application/x-tar');
  const entries = readTarBuffer(get.body);
  assert.deepEqual(entries.map((e) => [e.name, e.data.toString()]), [['hello.txt', 'hi\n']]);
  assert.equal((await t.req('HEAD', `/containers/${id}/archive?path=/nope`)).status, 404);
  assert.equal((await t.req('GET', `/containers/${id}/archive`)).status, 400);
  assert.equal((await t.req('PUT', `/containers/${id}/archive?path=/nope`, tar)).status, 404);
  assert.deepEqual((await t.req('GET', `/containers/${id}/changes`)).json(), [{ Path: '/tmp/hello.txt', Kind: 1 }]);
  const exp = await t.req('GET', `/containers/${id}/export`);
  assert.ok(readTarBuffer(exp.body).some((e) => e.name === 'tmp/hello.txt'));
  await t.req('POST', `/containers/${id}/kill`);
});
