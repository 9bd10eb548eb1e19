// spec and features: what tools read before they run anything.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readJson } from '../../helpers/bundle.js';
import type { Spec } from '../../helpers/spec.js';
import { assertOk, harness, type Suite } from './context.js';

export function toolingCases(s: Suite): void {
  describe('spec and features', { concurrency: true }, () => {
    it('spec writes a config.json that runs once given args and a root', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['true']);
      // `spec` refuses to overwrite, so the harness's own config.json goes first.
      rmSync(b.path('config.json'));
      const gen = await h.run(['spec', '--bundle', b.dir]);
      assertOk(gen, 'spec');
      const spec = readJson<Spec>(b.path('config.json'));
      spec.process.args = ['sh', '-c', 'echo spec-ok'];
      spec.process.terminal = false;
      spec.root = { path: b.rootfs, readonly: true };
      // Keeps its cgroup where teardown looks for leftovers.
      spec.linux.cgroupsPath = h.cgroupPath(id);
      b.spec = spec;
      b.write();
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertOk(r, 'run generated spec');
      assert.equal(r.stdout, 'spec-ok\n');
    });

    it('features prints JSON with ociVersionMin and ociVersionMax', async (t) => {
      const h = harness(t, s);
      const r = await h.run(['features']);
      assertOk(r, 'features');
      const f = JSON.parse(r.stdout) as { ociVersionMin?: unknown; ociVersionMax?: unknown };
      assert.match(String(f.ociVersionMin), /^\d+\.\d+\.\d+/);
      assert.match(String(f.ociVersionMax), /^\d+\.\d+\.\d+/);
    });
  });
}
