// startContainer hooks run inside the container, after `start`, before the user's program.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertOk, harness, type Suite } from './context.js';

export function startHookCases(s: Suite): void {
  describe('startContainer hooks', { concurrency: true }, () => {
    it('run in the container\'s mount namespace before the process, with the state on stdin', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sh', '-c', 'cat /hook-marker; cat /hook-state'], (spec) => {
        // The paths are the container's: /bin/sh of the rootfs, and / is the container's root.
        spec.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /hook-state; echo from-hook > /hook-marker'] }] };
      });
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertOk(r, 'run');
      const [marker, state] = r.stdout.split('\n');
      assert.equal(marker, 'from-hook');
      const st = JSON.parse(state!) as { id: string; pid: number };
      assert.equal(st.id, id);
      assert.equal(st.pid, 1, 'the pid as the container sees it');
    });

    it('a failing hook stops the container before its process runs', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['echo', 'SHOULD-NOT-RUN'], (spec) => {
        spec.hooks = { startContainer: [{ path: '/bin/false', args: ['false'] }] };
      });
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assert.notEqual(r.code, 0, `run exited 0: ${r.stdout}${r.stderr}`);
      assert.ok(!r.stdout.includes('SHOULD-NOT-RUN'), r.stdout);
      if (s.rt.name === 'berth-runtime') assert.match(r.stderr, /startContainer hook #0 \(\/bin\/false\): exit status 1/);
    });
  });
}
