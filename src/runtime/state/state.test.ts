import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { StateStore, validateId, type StoredState } from './container-state.js';
import { lockContainer } from './lock.js';

const sample = (id: string): StoredState => ({
  ociVersion: '1.2.0', id, pid: 1, pidStartTime: '1', bundle: '/b', rootfs: '/b/rootfs', created: 'now', owner: 'root',
  annotations: {}, cgroupPaths: {}, cgroupsPath: '', cgroupVersion: 1, started: false, configPath: '/b/config.json',
});

test('container ids: runc rules, clear errors', () => {
  assert.equal(validateId('abc_1.2-3+x'), 'abc_1.2-3+x');
  assert.throws(() => validateId(''), /container id cannot be empty/);
  assert.throws(() => validateId('../x'), /invalid container id "..\/x"/);
  assert.throws(() => validateId('..'), /invalid container id/);
});

test('state is written atomically and listed', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-state-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const store = new StateStore(root);
  store.write(sample('a'));
  store.write(sample('b'));
  assert.deepEqual(store.list(), ['a', 'b']);
  assert.deepEqual(readdirSync(join(root, 'a')), ['state.json']);
  assert.equal(store.read('a').bundle, '/b');
  store.remove('a');
  assert.throws(() => store.read('a'), /container "a" does not exist/);
});

test('a lock excludes a second holder and is taken over from a dead one', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const l = lockContainer(root, 'c1');
  assert.throws(() => lockContainer(root, 'c1', 50), /container "c1" is locked/);
  l.release();
  lockContainer(root, 'c1', 50).release();
  // A holder that died without releasing: a pid that has exited.
  const dead = spawnSync('true');
  assert.equal(dead.status, 0);
  writeFileSync(join(root, '.locks', 'c2'), `${dead.pid} 12345`);
  lockContainer(root, 'c2', 1000).release();
});
