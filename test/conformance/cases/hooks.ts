// Hooks run on the host with the container state on stdin; a failing hook fails create.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readJson } from '../../helpers/bundle.js';
import type { ContainerState } from '../../helpers/harness.js';
import { assertFails, assertOk, harness, type Suite } from './context.js';

const KINDS = ['prestart', 'createRuntime', 'poststart', 'poststop'] as const;

export function hookCases(s: Suite): void {
  describe('hooks', { concurrency: true }, () => {
    it('prestart, createRuntime, poststart and poststop receive the state; poststop runs on delete', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sleep', '1000'], (spec) => (spec.annotations = { hooked: 'yes' }));
      // Each hook saves its stdin to a file named by $0, so the command needs no quoting.
      b.spec.hooks = Object.fromEntries(KINDS.map((k) => [k, [{ path: '/bin/sh', args: ['sh', '-c', 'cat > "$0"', b.path(`${k}.json`)] }]]));
      b.write();
      assertOk(await h.create(id, b), 'create');
      assertOk(await h.run(['start', id]), 'start');
      const pid = (await h.state(id)).pid;
      for (const kind of ['prestart', 'createRuntime', 'poststart'] as const) {
        const st = readJson<ContainerState>(b.path(`${kind}.json`));
        assert.equal(st.id, id, kind);
        assert.equal(st.bundle, b.dir, kind);
        assert.equal(st.pid, pid, kind);
        assert.match(st.ociVersion, /^1\.\d+\.\d+/, kind);
        assert.deepEqual(st.annotations, { hooked: 'yes' }, kind);
      }
      assert.ok(!existsSync(b.path('poststop.json')), 'poststop must not run before delete');
      assertOk(await h.run(['kill', id, 'KILL']), 'kill');
      await h.waitStatus(id, 'stopped');
      assertOk(await h.run(['delete', id]), 'delete');
      const stop = readJson<ContainerState>(b.path('poststop.json'));
      assert.equal(stop.id, id);
      assert.equal(stop.status, 'stopped');
    });

    it('a failing createRuntime hook makes create fail and leaves nothing', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sleep', '1000'], (spec) => (spec.hooks = { createRuntime: [{ path: '/bin/false', args: ['false'] }] }));
      assertFails(await h.create(id, b), 'create with failing hook');
      assert.deepEqual(await h.listIds(), []);
    });
  });
}
