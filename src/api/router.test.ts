// Version negotiation, routing, error shapes and request parsing, in-process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { testApi } from './test-support.js';
import { MAX_API_VERSION } from './version.js';

test('/_ping answers GET and HEAD with the negotiation headers', async () => {
  const t = testApi();
  const g = await t.req('GET', '/_ping');
  assert.equal(g.status, 200);
  assert.equal(g.text(), 'OK');
  assert.equal(g.headers['Api-Version'], MAX_API_VERSION);
  assert.equal(g.headers['Ostype'], 'linux');
  assert.equal(g.headers['Docker-Experimental'], 'false');
  assert.equal(g.headers['Builder-Version'], '1');
  const h = await t.req('HEAD', '/v1.41/_ping');
  assert.equal(h.status, 200);
  assert.equal(h.body.length, 0);
  assert.equal(h.headers['Api-Version'], MAX_API_VERSION);
});

test('versioned and unversioned paths; too new and too old versions are 400 with docker\'s words', async () => {
  const t = testApi();
  for (const p of ['/version', '/v1.41/version', `/v${MAX_API_VERSION}/version`, '/v1.47/version']) {
    const r = await t.req('GET', p);
    assert.equal(r.status, 200, p);
    const v = r.json<{ ApiVersion: string; MinAPIVersion: string; Components: Array<{ Name: string }> }>();
    assert.equal(v.ApiVersion, MAX_API_VERSION);
    assert.equal(v.MinAPIVersion, '1.41');
    assert.equal(v.Components[0]!.Name, 'Engine');
  }
  const tooNew = await t.req('GET', '/v1.99/version');
  assert.equal(tooNew.status, 400);
  assert.equal(tooNew.json<{ message: string }>().message, `client version 1.99 is too new. Maximum supported API version is ${MAX_API_VERSION}`);
  const tooOld = await t.req('GET', '/v1.40/containers/json');
  assert.equal(tooOld.status, 400);
  assert.match(tooOld.json<{ message: string }>().message, /client version 1\.40 is too old\. Minimum supported API version is 1\.41/);
  assert.equal((await t.req('GET', '/vfoo/version')).status, 404);
});

test('unknown paths are 404 page not found; a wrong method is 405; errors are {"message"} JSON', async () => {
  const t = testApi();
  const r = await t.req('GET', '/nothing/here');
  assert.equal(r.status, 404);
  assert.deepEqual(r.json(), { message: 'page not found' });
  assert.equal(r.headers['Content-Type'], 'application/json');
  assert.equal((await t.req('PUT', '/containers/json')).status, 405);
});

test('bad JSON is a 400 that names the error; a non-object body is a 400; unknown fields are ignored', async () => {
  const t = testApi();
  const bad = await t.req('POST', '/containers/create', '{"Image": "busybox",', { headers: { 'content-type': 'application/json' } });
  assert.equal(bad.status, 400);
  assert.match(bad.json<{ message: string }>().message, /^invalid JSON in request body: .*JSON/);
  const arr = await t.req('POST', '/containers/create', '[1,2]');
  assert.equal(arr.status, 400);
  const extra = await t.req('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], NoSuchField: { x: 1 } });
  assert.equal(extra.status, 201);
});

test('JSON bodies over 1 MiB are refused with 413', async () => {
  const t = testApi();
  const big = Buffer.alloc(1024 * 1024 + 10, 0x20);
  const r = await t.req('POST', '/containers/create', Readable.from([big]));
  assert.equal(r.status, 413);
  assert.match(r.json<{ message: string }>().message, /exceeds 1048576 bytes/);
});

test('filters are JSON (list and map forms); bad filters and booleans are 400', async () => {
  const t = testApi();
  const a = await t.container(['sleep', 'infinity'], { start: true, name: 'run1' });
  await t.container(['true'], { name: 'made1' });
  const list = async (q: string): Promise<string[]> => {
    const r = await t.req('GET', `/containers/json?${q}`);
    assert.equal(r.status, 200, r.text());
    return r.json<Array<{ Names: string[] }>>().map((c) => c.Names[0]!).sort();
  };
  assert.deepEqual(await list(''), ['/run1']);
  assert.deepEqual(await list('all=1'), ['/made1', '/run1']);
  assert.deepEqual(await list('all=true'), ['/made1', '/run1']);
  assert.deepEqual(await list('all=0'), ['/run1']);
  assert.deepEqual(await list(`filters=${encodeURIComponent('{"status":["created"]}')}`), ['/made1']);
  assert.deepEqual(await list(`all=1&filters=${encodeURIComponent('{"name":{"run1":true}}')}`), ['/run1']);
  assert.deepEqual(await list(`all=1&filters=${encodeURIComponent(`{"id":["${a.slice(0, 8)}"]}`)}`), ['/run1']);
  assert.equal((await t.req('GET', '/containers/json?filters={bad')).status, 400);
  assert.equal((await t.req('GET', '/containers/json?all=maybe')).status, 400);
  await t.req('POST', `/containers/${a}/kill`);
});
