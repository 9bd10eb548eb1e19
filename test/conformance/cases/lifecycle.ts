// run, create/state/start, kill, delete and their status guards.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { assertExit, assertFails, assertOk, harness, type Suite } from './context.js';

export function lifecycleCases(s: Suite): void {
  describe('lifecycle', { concurrency: true }, () => {
    it('run returns the exit code and passes stdout and stderr through', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertExit(r, 3, 'run');
      assert.equal(r.stdout, 'to-out\n');
      assert.equal(r.stderr, 'to-err\n');
    });

    it('run returns 128+N when the process dies of signal N', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      // Without a pid namespace the shell is not an init process, so its own SIGTERM kills it.
      const b = h.bundle(id, ['sh', '-c', 'kill -TERM $$; sleep 5'], (spec) => {
        spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'pid');
      });
      assertExit(await h.run(['run', '--bundle', b.dir, id]), 128 + 15, 'run');
    });

    it('create reports "created" with pid, bundle, id, ociVersion, annotations; start makes it "running"', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sleep', '1000'], (spec) => (spec.annotations = { 'org.berth.test': 'yes', other: 'x=y' }));
      assertOk(await h.create(id, b), 'create');
      const st = await h.state(id);
      assert.equal(st.status, 'created');
      assert.equal(st.id, id);
      assert.equal(st.bundle, b.dir);
      // The version of the spec the state complies with: the runtime's, not the bundle's.
      assert.match(st.ociVersion, /^1\.\d+\.\d+/);
      assert.deepEqual(st.annotations, { 'org.berth.test': 'yes', other: 'x=y' });
      assert.ok(typeof st.pid === 'number' && st.pid > 0 && existsSync(`/proc/${st.pid}`), `pid ${st.pid} is alive`);
      assertOk(await h.run(['start', id]), 'start');
      const running = await h.state(id);
      assert.equal(running.status, 'running');
      assert.equal(running.pid, st.pid);
    });

    it('kill KILL stops it; delete removes it and state then fails', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const { state } = await h.startSleeper(id);
      assertOk(await h.run(['kill', id, 'KILL']), 'kill');
      await h.waitStatus(id, 'stopped');
      assertOk(await h.run(['delete', id]), 'delete');
      assert.notEqual((await h.run(['state', id])).code, 0, 'state after delete');
      assert.ok(!existsSync(`/proc/${state.pid}`) || readFileSync(`/proc/${state.pid}/stat`, 'utf8').includes(') Z'), 'process gone');
      assert.deepEqual(await h.listIds(), []);
    });

    it('delete of a running container fails without --force and succeeds with it', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      await h.startSleeper(id);
      assertFails(await h.run(['delete', id]), 'delete running');
      assert.equal((await h.state(id)).status, 'running');
      assertOk(await h.run(['delete', '--force', id]), 'delete --force');
      assert.notEqual((await h.run(['state', id])).code, 0, 'state after delete --force');
    });

    it('start of a running container fails and leaves it running', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const { state } = await h.startSleeper(id);
      assertFails(await h.run(['start', id]), 'second start');
      const again = await h.state(id);
      assert.equal(again.status, 'running');
      assert.equal(again.pid, state.pid);
    });

    it('a duplicate create fails and leaves the first container intact', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const first = h.bundle(id, ['sleep', '1000']);
      assertOk(await h.create(id, first), 'create');
      const before = await h.state(id);
      const second = h.bundle(id, ['sleep', '1000']);
      assertFails(await h.create(id, second), 'duplicate create');
      assert.deepEqual(await h.state(id), before);
      assert.ok(existsSync(`/proc/${before.pid}`), 'first container process alive');
    });

    it('--pid-file holds the container pid', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sleep', '1000']);
      assertOk(await h.create(id, b, ['--pid-file', b.path('pidfile')]), 'create');
      const st = await h.state(id);
      assert.equal(readFileSync(b.path('pidfile'), 'utf8').trim(), String(st.pid));
    });
  });
}
