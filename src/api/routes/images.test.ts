// Image endpoints: pull progress (and errors before and inside the stream), push, tag, remove,
// inspect, history, save/load, prune, and the clear refusals (search, build).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { testApi } from '../test-support.js';
import type { ProgressMessage } from '../types.js';

const lines = (b: Buffer): ProgressMessage[] => b.toString().split('\r\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ProgressMessage);

test('images/json lists; inspect and history; 404 for an unknown image', async () => {
  const t = testApi();
  const l = await t.req('GET', '/images/json');
  assert.equal(l.status, 200);
  const imgs = l.json<Array<{ Id: string; RepoTags: string[]; Size: number; Containers: number }>>();
  assert.deepEqual(imgs.map((i) => i.RepoTags), [['busybox:latest']]);
  const i = await t.req('GET', '/images/busybox/json');
  assert.equal(i.status, 200);
  assert.equal(i.json<{ Id: string }>().Id, imgs[0]!.Id);
  assert.equal((await t.req('GET', `/images/${imgs[0]!.Id}/json`)).status, 200);
  assert.equal((await t.req('GET', '/images/docker.io/library/busybox:latest/json')).status, 200);
  assert.equal((await t.req('GET', '/images/busybox/history')).json<unknown[]>().length, 1);
  const miss = await t.req('GET', '/images/nope/json');
  assert.equal(miss.status, 404);
  assert.deepEqual(miss.json(), { message: 'No such image: nope:latest' });
});

test('pull streams progress JSON lines; unknown → 404 before the stream; a failure mid-way → errorDetail in-stream', async () => {
  const t = testApi();
  const r = await t.req('POST', '/images/create?fromImage=alpine&tag=latest', undefined, { headers: { 'X-Registry-Auth': Buffer.from('{"username":"u"}').toString('base64url') } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['Content-Type'], 'application/json');
  const msgs = lines(r.body);
  assert.equal(msgs[0]!.status, 'Pulling from library/alpine');
  assert.ok(msgs.some((m) => m.status === 'Downloading' && m.progressDetail?.total === 2_000_000 && typeof m.id === 'string'));
  assert.equal(msgs.at(-1)!.status, 'Status: Downloaded newer image for alpine:latest');
  assert.equal((await t.req('GET', '/images/alpine/json')).status, 200);
  const miss = await t.req('POST', '/images/create?fromImage=nosuch&tag=latest');
  assert.equal(miss.status, 404);
  assert.match(miss.json<{ message: string }>().message, /pull access denied for nosuch/);
  const broken = await t.req('POST', '/images/create?fromImage=broken&tag=latest');
  assert.equal(broken.status, 200);
  const last = lines(broken.body).at(-1)!;
  assert.equal(last.error, 'fake registry: layer download failed: unexpected EOF');
  assert.deepEqual(last.errorDetail, { message: last.error });
  assert.equal((await t.req('POST', '/images/create')).status, 400);
  assert.equal(t.backend.openStreams, 0);
});

test('tag 201, push streams with an aux digest, remove untags then deletes, 409 when a container uses it', async () => {
  const t = testApi();
  assert.equal((await t.req('POST', '/images/busybox/tag?repo=localhost:5000/bb&tag=v1')).status, 201);
  assert.equal((await t.req('POST', '/images/nope/tag?repo=x&tag=y')).status, 404);
  assert.equal((await t.req('POST', '/images/busybox/tag')).status, 400);
  const p = await t.req('POST', '/images/localhost:5000/bb/push?tag=v1', undefined, { headers: { 'X-Registry-Auth': 'e30' } });
  assert.equal(p.status, 200);
  const msgs = lines(p.body);
  assert.equal(msgs[0]!.status, 'The push refers to repository [localhost:5000/bb]');
  assert.ok(msgs.some((m) => m.aux && typeof m.aux['Digest'] === 'string'));
  assert.equal((await t.req('POST', '/images/nope/push')).status, 404);
  const untag = await t.req('DELETE', '/images/localhost:5000/bb:v1');
  assert.deepEqual(untag.json(), [{ Untagged: 'localhost:5000/bb:v1' }]);
  await t.container(['true']);
  const busy = await t.req('DELETE', '/images/busybox');
  assert.equal(busy.status, 409);
  const forced = await t.req('DELETE', '/images/busybox?force=1');
  assert.equal(forced.status, 200);
  assert.ok(forced.json<Array<{ Deleted?: string }>>().some((x) => x.Deleted));
  assert.equal((await t.req('DELETE', '/images/busybox')).status, 404);
});

test('save (images/get and images/{name}/get) then load round-trips; load of junk is an error', async () => {
  const t = testApi();
  const one = await t.req('GET', '/images/busybox/get');
  assert.equal(one.status, 200);
  assert.equal(one.headers['Content-Type'], 'application/x-tar');
  const many = await t.req('GET', '/images/get?names=busybox');
  assert.equal(many.body.length, one.body.length);
  assert.equal((await t.req('GET', '/images/get')).status, 400);
  await t.req('DELETE', '/images/busybox');
  const load = await t.req('POST', '/images/load?quiet=0', Readable.from([one.body]), { headers: { 'content-type': 'application/x-tar' } });
  assert.equal(load.status, 200);
  assert.deepEqual(lines(load.body), [{ stream: 'Loaded image: busybox:latest\n' }]);
  assert.equal((await t.req('GET', '/images/busybox/json')).status, 200);
  const junk = await t.req('POST', '/images/load', Readable.from([Buffer.alloc(1024, 1)]));
  assert.equal(junk.status, 400);
});

test('prune removes dangling images only; search and build are refused with a message the CLI shows', async () => {
  const t = testApi();
  const pr = await t.req('POST', '/images/prune');
  assert.deepEqual(pr.json(), { ImagesDeleted: null, SpaceReclaimed: 0 });
  const all = await t.req('POST', `/images/prune?filters=${encodeURIComponent('{"dangling":["false"]}')}`);
  assert.equal(all.json<{ ImagesDeleted: unknown[] }>().ImagesDeleted.length, 2);
  const s = await t.req('GET', '/images/search?term=busybox');
  assert.equal(s.status, 501);
  assert.match(s.json<{ message: string }>().message, /not supported/);
  const b = await t.req('POST', '/build?t=x', Readable.from([Buffer.alloc(4096)]), { headers: { 'content-type': 'application/x-tar' } });
  assert.equal(b.status, 501);
  assert.match(b.json<{ message: string }>().message, /use `berth build`/);
  assert.deepEqual((await t.req('POST', '/build/prune')).json(), { CachesDeleted: null, SpaceReclaimed: 0 });
});
