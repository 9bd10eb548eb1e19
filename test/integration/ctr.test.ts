// containerd drives the runtime through its runc v2 shim (`ctr run --runc-binary`). A private
// containerd (own root, state, sockets, opt dir) imports an OCI archive built from the busybox
// fixture. runc is the control that proves the test; berth-runtime is what it tests.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir } from '../helpers/bundle.js';
import { removeCgroupTree } from '../helpers/cgroups.js';
import { Cleanup } from '../helpers/cleanup.js';
import { runProgram, type RunResult } from '../helpers/exec.js';
import { uniqueId } from '../helpers/ids.js';
import { ociArchive } from '../helpers/image.js';
import { unmountUnder } from '../helpers/mounts.js';
import { assertRuntimeInstalled, selectedRuntimes } from '../helpers/runtime-under-test.js';
import { waitFor } from '../helpers/wait.js';

const IMAGE = 'localhost/berth-busybox:test';
const NAMESPACE = 'berth-test';
// containerd 1.6 puts shim sockets in /run/containerd/s whatever its config says.
const SHIM_SOCKET_DIR = '/run/containerd';

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

function containerdConfig(dir: string): string {
  return [
    'version = 2',
    `root = "${join(dir, 'root')}"`,
    `state = "${join(dir, 'state')}"`,
    // No CRI (it wants CNI and a kubelet); no snapshotters that probe for other filesystems.
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",',
    '  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing"]',
    '[grpc]', `  address = "${join(dir, 'containerd.sock')}"`,
    '[ttrpc]', `  address = "${join(dir, 'containerd.ttrpc.sock')}"`,
    '[plugins."io.containerd.internal.v1.opt"]', `  path = "${join(dir, 'opt')}"`,
    '',
  ].join('\n');
}

describe('ctr run --runc-binary', () => {
  const cleanup = new Cleanup();
  // Registered first so that it runs last, after the shims are gone.
  const hadShimDir = existsSync(SHIM_SOCKET_DIR);
  cleanup.add(`remove ${SHIM_SOCKET_DIR} if containerd made it`, () => {
    if (hadShimDir) return;
    try {
      rmdirSync(join(SHIM_SOCKET_DIR, 's'));
      rmdirSync(SHIM_SOCKET_DIR);
    } catch { /* not empty or not there: someone else's */ }
  });
  const cgroupParent = `/berth-ctr-${process.pid}`;
  cleanup.add('remove the cgroup parent', () => removeCgroupTree(cgroupParent));
  const dir = makeTempDir(cleanup, 'berth-ctr-');
  cleanup.add('unmount leftovers', () => {
    const left = unmountUnder(dir);
    if (left.length > 0) throw new Error(`containerd left mounts: ${left.join(', ')}`);
  });
  const ctr = (args: string[]): Promise<RunResult> => runProgram('ctr', ['--address', join(dir, 'containerd.sock'), '--namespace', NAMESPACE, ...args], { timeoutMs: 120_000 });
  after(() => cleanup.run());

  before(async () => {
    writeFileSync(join(dir, 'config.toml'), containerdConfig(dir));
    const log = openSync(join(dir, 'containerd.log'), 'a');
    const daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', log, log] });
    closeSync(log);
    const exited = new Promise<void>((resolve) => daemon.on('exit', () => resolve()));
    cleanup.add(`stop containerd (pid ${daemon.pid})`, async () => {
      if (daemon.exitCode !== null || daemon.signalCode !== null) return;
      daemon.kill('SIGTERM');
      await exited;
    });
    await waitFor(async () => (await ctr(['version'])).code === 0, { what: 'containerd to serve its socket' });
    ociArchive(dir, join(dir, 'image.tar'), IMAGE);
    ok(await ctr(['images', 'import', join(dir, 'image.tar')]), 'ctr images import');
  });

  for (const rt of selectedRuntimes()) {
    it(`${rt.name}: ctr run --rm prints the output of the container`, async () => {
      assertRuntimeInstalled(rt);
      const id = uniqueId('ctr');
      const fifoDir = join(dir, 'fifo');
      mkdirSync(fifoDir, { recursive: true });
      const r = await ctr(['run', '--rm', '--runc-binary', rt.bin, '--runc-root', join(dir, `runtime-root-${rt.name}`),
        '--fifo-dir', fifoDir, '--cgroup', `${cgroupParent}/${id}`, IMAGE, id, 'echo', 'hi']);
      assert.equal(ok(r, 'ctr run'), 'hi\n');
      assert.equal((await ctr(['containers', 'ls', '--quiet'])).stdout.trim(), '', 'no container left after --rm');
    });
  }
});
