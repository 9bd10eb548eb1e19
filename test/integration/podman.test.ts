// Podman drives the runtime through conmon: `run --rm` and `exec` on a detached container.
// runc is the control that proves the test; berth-runtime is what it tests. Podman runs with its
// own storage, state, locks and runtime root in a temp dir, so the host's podman is never touched.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir } from '../helpers/bundle.js';
import { removeCgroupTree } from '../helpers/cgroups.js';
import { Cleanup } from '../helpers/cleanup.js';
import { runProgram, type RunResult } from '../helpers/exec.js';
import { rootfsTar } from '../helpers/image.js';
import { unmountUnder } from '../helpers/mounts.js';
import { assertRuntimeInstalled, selectedRuntimes, type RuntimeUnderTest } from '../helpers/runtime-under-test.js';

const IMAGE = 'localhost/berth-busybox:test';
// Podman 4.3 creates this for netavark even with --network none; removed after if it was not there.
const NETAVARK_RUN_DIR = '/run/containers';
const LIMITS = ['--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

class Podman {
  constructor(private readonly dir: string, private readonly rt: RuntimeUnderTest) {}

  run(args: string[]): Promise<RunResult> {
    const d = this.dir;
    const global = ['--root', join(d, 'root'), '--runroot', join(d, 'runroot'), '--tmpdir', join(d, 'tmp'),
      '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file',
      '--runtime', this.rt.bin, '--runtime-flag', `root=${join(d, 'runtime-root')}`];
    return runProgram('podman', [...global, ...args], {
      env: { ...process.env, CONTAINERS_CONF: join(d, 'containers.conf'), CONTAINERS_STORAGE_CONF: join(d, 'storage.conf') },
      timeoutMs: 120_000,
    });
  }
}

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

for (const rt of selectedRuntimes()) {
  describe(`podman --runtime ${rt.name}`, () => {
    const cleanup = new Cleanup();
    // Registered first so that it runs last: every podman command recreates the directory.
    const hadRunDir = existsSync(NETAVARK_RUN_DIR);
    cleanup.add(`remove ${NETAVARK_RUN_DIR} if podman made it`, () => {
      if (hadRunDir) return;
      try {
        rmdirSync(join(NETAVARK_RUN_DIR, 'networks'));
        rmdirSync(NETAVARK_RUN_DIR);
      } catch { /* not empty or not there: someone else's */ }
    });
    const cgroupParent = `/berth-podman-${rt.name}-${process.pid}`;
    cleanup.add('remove the cgroup parent', () => removeCgroupTree(cgroupParent));
    const dir = makeTempDir(cleanup, 'berth-podman-');
    const podman = new Podman(dir, rt);
    cleanup.add('unmount leftovers', () => {
      const left = unmountUnder(dir);
      if (left.length > 0) throw new Error(`podman left mounts: ${left.join(', ')}`);
    });
    cleanup.add('remove every container', async () => void (await podman.run(['rm', '--all', '--force', '--time', '0'])));
    // A private parent instead of podman's shared /libpod_parent, so it can be removed after.
    const limits = [...LIMITS, '--cgroup-parent', cgroupParent];
    after(() => cleanup.run());

    before(async () => {
      assertRuntimeInstalled(rt);
      for (const sub of ['root', 'runroot', 'tmp', 'runtime-root', 'net']) mkdirSync(join(dir, sub));
      // File locks instead of podman's default /dev/shm/libpod_lock, which the host's podman shares.
      writeFileSync(join(dir, 'containers.conf'), [
        '[engine]', 'lock_type = "file"', 'events_logger = "file"', 'cgroup_manager = "cgroupfs"', `tmp_dir = "${join(dir, 'tmp')}"`,
        '[network]', `network_config_dir = "${join(dir, 'net')}"`, '',
      ].join('\n'));
      writeFileSync(join(dir, 'storage.conf'), ['[storage]', 'driver = "vfs"', `graphroot = "${join(dir, 'root')}"`, `runroot = "${join(dir, 'runroot')}"`, ''].join('\n'));
      rootfsTar(join(dir, 'rootfs.tar'));
      ok(await podman.run(['import', '--quiet', join(dir, 'rootfs.tar'), IMAGE]), 'podman import');
    });

    it('run --rm prints the output of the container', async () => {
      assert.equal(ok(await podman.run(['run', '--rm', ...limits, IMAGE, 'echo', 'hi']), 'podman run'), 'hi\n');
    });

    it('exec works on a detached container', async () => {
      const id = ok(await podman.run(['run', '--detach', ...limits, IMAGE, 'sleep', '1000']), 'podman run -d').trim();
      try {
        const r = await podman.run(['exec', id, 'sh', '-c', 'echo exec-ok; exit 3']);
        assert.equal(r.code, 3, r.stderr);
        assert.equal(r.stdout, 'exec-ok\n');
      } finally {
        ok(await podman.run(['rm', '--force', '--time', '0', id]), 'podman rm');
      }
    });
  });
}
