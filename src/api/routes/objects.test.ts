// Networks, volumes, system info/df and the events stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testApi, until } from '../test-support.js';
import type { EventMessage } from '../types.js';

test('volumes: create 201 (and again for the same name), list with filters, inspect, 409 in use, remove 204, prune', async () => {
  const t = testApi();
  const c = await t.req('POST', '/volumes/create', { Name: 'data', Labels: { a: 'b' } });
  assert.equal(c.status, 201);
  assert.equal(c.json<{ Name: string; Driver: string; Mountpoint: string }>().Driver, 'local');
  assert.equal((await t.req('POST', '/volumes/create', { Name: 'data' })).status, 201);
  assert.equal((await t.req('POST', '/volumes/create', { Name: '../x' })).status, 400);
  const l = await t.req('GET', `/volumes?filters=${encodeURIComponent('{"label":["a=b"]}')}`);
  assert.deepEqual(l.json<{ Volumes: Array<{ Name: string }> }>().Volumes.map((v) => v.Name), ['data']);
  assert.equal((await t.req('GET', '/volumes/data')).status, 200);
  assert.equal((await t.req('GET', '/volumes/nope')).status, 404);
  const id = await t.container(['true'], { body: { HostConfig: { Binds: ['data:/data'] } } });
  const busy = await t.req('DELETE', '/volumes/data');
  assert.equal(busy.status, 409);
  assert.match(busy.json<{ message: string }>().message, /volume is in use/);
  await t.req('DELETE', `/containers/${id}`);
  assert.equal((await t.req('DELETE', '/volumes/data')).status, 204);
  await t.req('POST', '/volumes/create', {});
  assert.equal((await t.req('POST', '/volumes/prune')).json<{ VolumesDeleted: string[] }>().VolumesDeleted.length, 1);
});

test('networks: predefined ones, create 201/409, inspect, connect/disconnect, 403 for bridge, 409 with endpoints, prune', async () => {
  const t = testApi();
  const l = await t.req('GET', '/networks');
  assert.deepEqual(l.json<Array<{ Name: string }>>().map((n) => n.Name).sort(), ['bridge', 'host', 'none']);
  const c = await t.req('POST', '/networks/create', { Name: 'app', Driver: 'bridge', Labels: { x: 'y' } });
  assert.equal(c.status, 201);
  const nid = c.json<{ Id: string }>().Id;
  assert.equal((await t.req('POST', '/networks/create', { Name: 'app' })).status, 409);
  assert.equal((await t.req('POST', '/networks/create', {})).status, 400);
  assert.equal((await t.req('GET', `/networks/${nid.slice(0, 12)}`)).json<{ Name: string }>().Name, 'app');
  assert.equal((await t.req('GET', '/networks/nope')).status, 404);
  const id = await t.container(['true'], { name: 'c1' });
  assert.equal((await t.req('POST', '/networks/app/connect', { Container: 'c1' })).status, 200);
  assert.equal((await t.req('POST', '/networks/app/connect', { Container: 'c1' })).status, 409);
  assert.ok((await t.req('GET', `/containers/${id}/json`)).json<{ NetworkSettings: { Networks: Record<string, unknown> } }>().NetworkSettings.Networks['app']);
  assert.equal((await t.req('DELETE', '/networks/app')).status, 409);
  assert.equal((await t.req('POST', '/networks/app/disconnect', { Container: 'c1' })).status, 200);
  assert.equal((await t.req('POST', '/networks/app/connect', {})).status, 400);
  assert.equal((await t.req('DELETE', '/networks/bridge')).status, 403);
  assert.deepEqual((await t.req('POST', '/networks/prune')).json(), { NetworksDeleted: ['app'] });
  await t.req('POST', '/networks/create', { Name: 'gone' });
  assert.equal((await t.req('DELETE', '/networks/gone')).status, 204);
});

test('info and system/df shapes', async () => {
  const t = testApi();
  await t.container(['sleep', 'infinity'], { start: true });
  const i = (await t.req('GET', '/info')).json<{ Containers: number; ContainersRunning: number; Images: number; OSType: string; Swarm: { LocalNodeState: string } }>();
  assert.deepEqual([i.Containers, i.ContainersRunning, i.Images, i.OSType, i.Swarm.LocalNodeState], [1, 1, 1, 'linux', 'inactive']);
  const df = (await t.req('GET', '/system/df?type=container&type=image')).json<{ Images: unknown[]; Containers: unknown[]; Volumes: unknown[]; BuildCache: unknown[]; LayersSize: number }>();
  assert.equal(df.Images.length, 1);
  assert.equal(df.Containers.length, 1);
  assert.ok(df.LayersSize > 0);
  await t.req('POST', '/containers/prune');
  for (const c of t.backend.containers.values()) await c.signal('SIGKILL');
});

test('events: past events with since/until end the stream; live events stream with filters; legacy fields', async () => {
  const t = testApi();
  const start = Date.now() / 1000 - 1;
  const id = await t.container(['true'], { name: 'ev' });
  await t.req('POST', '/volumes/create', { Name: 'vol' });
  const past = await t.req('GET', `/events?since=${start}&until=${Date.now() / 1000 + 0.001}`);
  assert.equal(past.status, 200);
  const evs = past.text().trim().split('\n').map((l) => JSON.parse(l) as EventMessage);
  assert.deepEqual(evs.map((e) => `${e.Type} ${e.Action}`), ['container create', 'volume create']);
  assert.equal(evs[0]!.status, 'create');
  assert.equal(evs[0]!.id, id);
  assert.equal(evs[0]!.from, 'busybox');
  const live = t.live('GET', `/events?filters=${encodeURIComponent('{"type":["container"],"event":["start"]}')}`);
  await live.head;
  await t.req('POST', '/volumes/create', { Name: 'vol2' });
  await t.req('POST', `/containers/${id}/start`);
  const got = JSON.parse((await live.waitFor(10)).toString().split('\n')[0]!) as EventMessage;
  assert.deepEqual([got.Type, got.Action, got.Actor.Attributes['name']], ['container', 'start', 'ev']);
  live.disconnect();
  await until(() => t.backend.openStreams === 0 && t.backend.eventLog.listeners === 0);
  assert.equal((await t.req('GET', '/events?since=yesterday')).status, 400);
});
