// "Map root to an unprivileged range" (src/runtime/userns.ts) end to end with berth-runtime: root in
// the container is an unprivileged uid on the host, and the rootfs stays usable, by an id-mapped
// mount where the filesystem supports one (a plain directory on ext4 here) and by chown of the
// private copy where it does not (overlayfs does not id-map its own mounts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Spec as OciSpec } from '../../src/oci/runtime-spec.js';
import { ROOTFS_IDMAP_ANNOTATION } from '../../src/runtime/plan/build-plan.js';
import { DEFAULT_USERNS_RANGE, mapRootToUnprivilegedRange, rootfsSupportsIdmap, type UserNamespaceRange } from '../../src/runtime/userns.js';
import { fixtureRootfs, makeTempDir } from '../helpers/bundle.js';
import { removeCgroupTree } from '../helpers/cgroups.js';
import { RuntimeHarness } from '../helpers/harness.js';
import { BERTH_RUNTIME } from '../helpers/runtime-under-test.js';
import { baseSpec, type Spec } from '../helpers/spec.js';

const suite = { rt: BERTH_RUNTIME, cgroupParent: `/berth-security-${process.pid}` };
const RANGE: UserNamespaceRange = { uid: { ...DEFAULT_USERNS_RANGE }, gid: { ...DEFAULT_USERNS_RANGE }, source: 'default' };
const SCRIPT = 'id -u; stat -c %u:%g /bin/busybox; cat /proc/self/uid_map; touch /shared/by-container /made-in-rootfs && echo ok';

/** A bundle whose rootfs is a plain copy of the fixture (not an overlay), plus a shared host dir. */
function plainBundle(h: RuntimeHarness): { dir: string; rootfs: string; shared: string } {
  const dir = makeTempDir(h.cleanup, 'berth-userns-');
  chmodSync(dir, 0o755);
  const rootfs = join(dir, 'rootfs');
  const cp = spawnSync('cp', ['-a', fixtureRootfs(), rootfs], { encoding: 'utf8' });
  if (cp.status !== 0) throw new Error(`cp: ${cp.stderr}`);
  const shared = join(dir, 'shared');
  mkdirSync(shared, { mode: 0o777 });
  chmodSync(shared, 0o777);
  mkdirSync(join(rootfs, 'shared'), { recursive: true });
  return { dir, rootfs, shared };
}

/** The test's spec as the runtime's type: the helper types only the fields the tests touch. */
function specFor(h: RuntimeHarness, id: string, shared: string): OciSpec {
  const spec = baseSpec({ args: ['sh', '-c', SCRIPT], cgroupsPath: h.cgroupPath(id) });
  spec.mounts.push({ destination: '/shared', type: 'bind', source: shared, options: ['bind'] });
  return spec as unknown as OciSpec;
}

describe('map root to an unprivileged range (berth-runtime)', { concurrency: true }, () => {
  after(() => removeCgroupTree(suite.cgroupParent));

  it('id-mapped rootfs: host-root files are root inside; root inside is uid 100000 on the host', async (t) => {
    const h = RuntimeHarness.forTest(t, suite);
    const id = h.id();
    const { dir, rootfs, shared } = plainBundle(h);
    assert.equal(await rootfsSupportsIdmap(rootfs), true, 'ext4 supports id-mapped mounts on this kernel');
    const mapped = await mapRootToUnprivilegedRange(specFor(h, id, shared), rootfs, RANGE);
    assert.equal(mapped.rootfs, 'idmap');
    assert.equal(mapped.spec.annotations?.[ROOTFS_IDMAP_ANNOTATION], 'true');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...mapped.spec, root: { path: 'rootfs' } }));
    const r = await h.run(['run', '--bundle', dir, id]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '0', 'root inside');
    assert.equal(lines[1], '0:0', 'busybox, owned by host root, is root\'s inside');
    assert.deepEqual(lines[2]!.trim().split(/\s+/), ['0', '100000', '65536']);
    assert.equal(lines[3], 'ok');
    // A plain bind: the file of root inside belongs to the mapped, unprivileged uid on the host.
    const made = statSync(join(shared, 'by-container'));
    assert.deepEqual([made.uid, made.gid], [100000, 100000]);
    // Through the id-mapped rootfs, root's writes land as host root, like the rest of the image.
    assert.equal(statSync(join(rootfs, 'made-in-rootfs')).uid, 0);
    assert.equal(statSync(join(rootfs, 'bin/busybox')).uid, 0, 'the rootfs was not chowned');
  });

  it('overlay rootfs: the probe says no, and the rootfs copy is chowned into the range instead', async (t) => {
    const h = RuntimeHarness.forTest(t, suite);
    const id = h.id();
    const shared = makeTempDir(h.cleanup, 'berth-shared-');
    chmodSync(shared, 0o777);
    const b = h.bundle(id, ['true']);
    if (statSync(b.rootfs).dev === statSync(fixtureRootfs()).dev) {
      t.skip('no overlay mount here: the bundle is a plain copy');
      return;
    }
    assert.equal(await rootfsSupportsIdmap(b.rootfs), false, 'overlayfs cannot id-map its own mount');
    const mapped = await mapRootToUnprivilegedRange(specFor(h, id, shared), b.rootfs, RANGE);
    assert.equal(mapped.rootfs, 'chown');
    assert.equal(mapped.spec.annotations?.[ROOTFS_IDMAP_ANNOTATION], undefined);
    assert.equal(statSync(join(b.rootfs, 'bin/busybox')).uid, 100000, 'chowned on the host');
    mkdirSync(join(b.rootfs, 'shared'), { recursive: true });
    b.spec = { ...(mapped.spec as unknown as Spec), root: { path: 'rootfs' } };
    b.write();
    const r = await h.run(['run', '--bundle', b.dir, id]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '0');
    assert.equal(lines[1], '0:0', 'the chowned busybox is root\'s inside');
    assert.equal(lines[3], 'ok');
    assert.equal(statSync(join(shared, 'by-container')).uid, 100000);
  });
});
