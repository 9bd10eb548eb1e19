// berth-only security cases: what runc 1.1.5 does not do (time namespace offsets, id-mapped
// mounts, setgroups "deny" for a one-id mapping) or does differently (its sealed copy is its own).
import assert from 'node:assert/strict';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readFileSync, readlinkSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTempDir } from '../../helpers/bundle.js';
import { parseProbe, probeScript, probeValue } from '../../helpers/probe.js';
import { assertOk, harness, type Suite } from './context.js';

const RANGE = [{ containerID: 0, hostID: 100000, size: 65536 }];

export function berthSecurityCases(s: Suite): void {
  describe('berth-only: security', { concurrency: true }, () => {
    it('timeOffsets shift the clocks of a new time namespace (/proc/uptime by boottime)', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sh', '-c', 'cut -d" " -f1 /proc/uptime; cat /proc/self/timens_offsets'], (spec) => {
        spec.linux.namespaces.push({ type: 'time' });
        spec.linux['timeOffsets'] = { boottime: { secs: 1000000 }, monotonic: { secs: 10 } };
      });
      const before = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertOk(r, 'run');
      const after = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
      const [uptime, ...offsets] = r.stdout.trim().split('\n');
      const inside = Number(uptime) - 1000000;
      assert.ok(inside >= before - 0.5 && inside <= after + 0.5, `uptime inside ${uptime}, host ${before}..${after}`);
      assert.deepEqual(offsets.map((l) => l.trim().split(/\s+/)), [['monotonic', '10', '0'], ['boottime', '1000000', '0']]);
    });

    it('a user namespace with a one-id (rootless-style) gid map has setgroups "deny"', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const one = [{ containerID: 0, hostID: 100000, size: 1 }];
      const b = h.bundle(id, ['sh', '-c', 'cat /proc/self/setgroups; id -u'], (spec) => {
        spec.linux.namespaces.push({ type: 'user' });
        spec.linux.uidMappings = one;
        spec.linux.gidMappings = one;
        // gid 5 (tty) is not mapped: devpts would refuse it, as for any rootless container
        for (const m of spec.mounts) m.options = m.options?.filter((o) => o !== 'gid=5');
      });
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertOk(r, 'run');
      assert.deepEqual(r.stdout.trim().split('\n'), ['deny', '0']);
    });

    it('CVE-2019-5736: the process waiting in `create` runs from a sealed memfd that cannot be written', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sleep', '1000']);
      assertOk(await h.create(id, b), 'create');
      const { pid } = await h.state(id);
      assert.match(readlinkSync(`/proc/${pid}/exe`), /^\/memfd:berth-nsexec \(deleted\)$/);
      // Even host root: opening it for writing fails (the file is being executed), or the write
      // does (F_SEAL_WRITE).
      let refused = '';
      try {
        const fd = openSync(`/proc/${pid}/exe`, 'r+');
        try {
          writeSync(fd, 'x');
        } catch (e) {
          refused = (e as NodeJS.ErrnoException).code ?? '';
        } finally {
          closeSync(fd);
        }
      } catch (e) {
        refused = (e as NodeJS.ErrnoException).code ?? '';
      }
      assert.ok(['EPERM', 'ETXTBSY'].includes(refused), `write to the helper's exe: ${refused || 'succeeded'}`);
    });

    it('id-mapped bind mounts: mounts[].uidMappings show host files under the mapped ids', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const dir = makeTempDir(h.cleanup, 'berth-idmap-');
      chmodSync(dir, 0o777);
      writeFileSync(join(dir, 'by-root'), 'r');
      writeFileSync(join(dir, 'by-1000'), 'u');
      chownSync(join(dir, 'by-1000'), 1000, 1000);
      const probes = {
        idmapped: 'stat -c "%u:%g" /idmapped/by-root /idmapped/by-1000 | tr "\\n" " "',
        plain: 'stat -c "%u:%g" /plain/by-root | tr "\\n" " "',
        create: 'touch /idmapped/new-idmapped /plain/new-plain && echo ok',
      };
      const b = h.bundle(id, ['sh', '-c', probeScript(probes)], (spec) => {
        spec.linux.namespaces.push({ type: 'user' });
        spec.linux.uidMappings = RANGE;
        spec.linux.gidMappings = RANGE;
        spec.mounts.push(
          // disk ids 0..65535 show as the container's 0..65535 ("idmap" with the container's maps)
          { destination: '/idmapped', type: 'bind', source: dir, options: ['bind', 'idmap'] },
          { destination: '/plain', type: 'bind', source: dir, options: ['bind'] },
        );
      });
      // Root inside cannot create mount points in the host-root-owned rootfs directory.
      for (const d of ['idmapped', 'plain']) mkdirSync(join(b.rootfs, d));
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertOk(r, 'run');
      const v = parseProbe(r.stdout);
      assert.equal(probeValue(v, 'idmapped'), '0:0 1000:1000');
      assert.equal(probeValue(v, 'plain'), '65534:65534', 'host root is unmapped (nobody) without the idmap');
      assert.equal(probeValue(v, 'create'), 'ok');
      // Root inside is host uid 100000: through the plain bind its file is the mapped uid; through
      // the id-mapped one the mapping is undone and the file belongs to disk uid 0.
      assert.equal(statSync(join(dir, 'new-plain')).uid, 100000);
      assert.equal(statSync(join(dir, 'new-idmapped')).uid, 0);
    });
  });
}
