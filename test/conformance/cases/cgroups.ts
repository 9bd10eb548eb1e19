// linux.resources as seen in the host's cgroup files, update, events --stats, removal on delete.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { existingCgroupDirs, readCgroupFile } from '../../helpers/cgroups.js';
import { assertOk, harness, type Suite } from './context.js';

const MiB = 1024 * 1024;

export function cgroupCases(s: Suite): void {
  describe('cgroups', () => {
    it('applies memory, pids and cpu limits; update changes memory; events --stats; delete removes the cgroup', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const { state } = await h.startSleeper(id, (spec) => {
        spec.linux.resources = { memory: { limit: 64 * MiB }, pids: { limit: 32 }, cpu: { quota: 50000, period: 100000 } };
      });
      const pid = state.pid!;
      assert.equal(readCgroupFile(pid, 'memory', 'memory.limit_in_bytes'), String(64 * MiB));
      assert.equal(readCgroupFile(pid, 'pids', 'pids.max'), '32');
      assert.equal(readCgroupFile(pid, 'cpu', 'cpu.cfs_quota_us'), '50000');

      assertOk(await h.run(['update', '--memory', String(128 * MiB), id]), 'update --memory');
      assert.equal(readCgroupFile(pid, 'memory', 'memory.limit_in_bytes'), String(128 * MiB));

      const ev = await h.run(['events', '--stats', id]);
      assertOk(ev, 'events --stats');
      const stats = JSON.parse(ev.stdout) as { type: string; id: string; data?: { memory?: { usage?: { usage?: number } } } };
      assert.equal(stats.type, 'stats');
      assert.equal(stats.id, id);
      assert.ok((stats.data?.memory?.usage?.usage ?? 0) > 0, `memory usage in ${ev.stdout}`);

      assert.ok(existingCgroupDirs(h.cgroupPath(id)).length > 0, 'cgroup exists while the container does');
      assertOk(await h.run(['delete', '--force', id]), 'delete --force');
      assert.deepEqual(existingCgroupDirs(h.cgroupPath(id)), []);
    });
  });
}
