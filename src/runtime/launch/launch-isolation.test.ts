// berth-nsexec: what keeps the container in and the host out (needs root).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LaunchPlan } from '../plan/launch-plan.js';
import { writeIdMappings } from './id-maps.js';
import { launchHelper } from './launch-helper.js';
import {
  basePlan, busyboxRootfs, CLONE_NEWUSER, killQuietly, mountOp, MS_BIND, overlayRootfs, runForeground, skipReason, tempDir,
} from './fixtures.js';

const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNS = 0x00020000;

describe('berth-nsexec isolation', { skip: skipReason }, () => {
  it('resolves mount targets inside the rootfs, even through planted symlinks', async () => {
    const ovl = overlayRootfs();
    const dir = tempDir();
    try {
      const hostdir = join(dir, 'hostdir');
      const hostdir2 = join(dir, 'hostdir2');
      const src = join(dir, 'src');
      for (const d of [hostdir, hostdir2, src]) mkdirSync(d);
      writeFileSync(join(src, 'marker'), 'inside');
      symlinkSync(hostdir, join(ovl.rootfs, 'evil'));
      symlinkSync(`../../../../../../..${hostdir2}`, join(ovl.rootfs, 'evil2'));
      const plan = basePlan(ovl.rootfs, ['sh', '-c', 'cat /evil/marker /evil2/sub/marker']);
      plan.mounts.push(mountOp(src, '/evil', '', MS_BIND), mountOp(src, '/evil2/sub', '', MS_BIND));
      const r = await runForeground(plan);
      assert.equal(r.out, 'insideinside');
      // the targets were made inside the rootfs (in the overlay's upper dir), not on the host
      assert.ok(existsSync(join(ovl.upper, hostdir)), 'absolute link followed inside the rootfs');
      assert.ok(existsSync(join(ovl.upper, hostdir2, 'sub')), 'relative link followed inside the rootfs');
      assert.deepEqual(readdirSync(hostdir), [], 'the host directory is untouched');
      assert.deepEqual(readdirSync(hostdir2), [], 'the host directory is untouched');
    } finally {
      ovl.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates missing mount targets, files and directories', async () => {
    const ovl = overlayRootfs();
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'file'), 'a file');
      const plan = basePlan(ovl.rootfs, ['sh', '-c', 'cat /new/dir/file; ls -d /made/here']);
      plan.mounts.push({ ...mountOp(join(dir, 'file'), '/new/dir/file', '', MS_BIND), targetKind: 'file' });
      plan.mounts.push(mountOp('tmpfs', '/made/here', 'tmpfs'));
      const r = await runForeground(plan);
      assert.equal(r.out, 'a file/made/here\n');
    } finally {
      ovl.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies read-only paths, masked paths and a read-only rootfs', async () => {
    const plan = basePlan(
      busyboxRootfs,
      ['sh', '-c', 'echo x > /proc/sys/kernel/hostname || echo ro-path; wc -c < /proc/version; touch /x || echo ro-root; ls /proc/acpi | wc -l'],
      { readonlyPaths: ['/proc/sys'], maskedPaths: ['/proc/kcore', '/proc/version', '/proc/acpi', '/proc/does-not-exist'], rootfsReadonly: true },
    );
    const r = await runForeground(plan);
    assert.equal(r.out, 'ro-path\n0\nro-root\n0\n');
  });

  it('runs in a user namespace whose maps the parent writes', async () => {
    const plan = basePlan(busyboxRootfs, ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u'], {
      cloneFlags: BigInt(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC),
      waitForGo: true,
      setgroups: false,
    });
    plan.devices = plan.devices.map((d) => ({ ...d, bindFromHost: true }));
    let sawPid: number | undefined;
    const r = await runForeground(plan, {
      onPid: (pid) => {
        sawPid = pid;
        const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
        writeIdMappings(pid, map, map, { setgroupsDeny: true });
      },
    });
    assert.equal(sawPid, r.pid);
    const lines = r.out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    assert.deepEqual(lines, ['0 100000 65536', '0 100000 65536', '0']);
  });

  it('execs into a container that has its own user namespace', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'exec.fifo');
    let initPid: number | undefined;
    try {
      // the container's root (host uid 200000) opens the fifo before pivot_root, so it must reach it
      chmodSync(dir, 0o711);
      const init = basePlan(busyboxRootfs, ['sleep', '30'], {
        cloneFlags: BigInt(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC),
        waitForGo: true, setgroups: false, foreground: false, execFifo: fifo, hostname: 'in-userns',
      });
      init.devices = init.devices.map((d) => ({ ...d, bindFromHost: true }));
      const map = [{ containerID: 0, hostID: 200000, size: 65536 }];
      initPid = (await launchHelper(init, {
        stdio: ['ignore', 'ignore', 'ignore'],
        onPid: (pid) => writeIdMappings(pid, map, map, { setgroupsDeny: true }),
      })).pid;
      assert.equal(readFileSync(fifo, 'utf8'), '0');
      const ns = (t: string): string => `/proc/${initPid}/ns/${t}`;
      const exec: LaunchPlan = {
        ...basePlan('', ['sh', '-c', 'hostname; id -u; cat /proc/self/uid_map']),
        mode: 'exec', cloneFlags: 0n, mounts: [], devices: [], setgroups: false, targetPid: initPid,
        user: { uid: 1000, gid: 1000, additionalGids: [] },
        joinNamespaces: ['user', 'ipc', 'uts', 'pid', 'mnt'].map((t, i) => ({
          type: [CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWPID, CLONE_NEWNS][i]!, path: ns(t),
        })),
      };
      const r = await runForeground(exec);
      assert.deepEqual(r.out.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')), ['in-userns', '1000', '0 200000 65536']);
    } finally {
      killQuietly(initPid);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('joins the namespaces of a running container in exec mode', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'exec.fifo');
    let initPid: number | undefined;
    try {
      const init = basePlan(busyboxRootfs, ['sleep', '30'], { foreground: false, execFifo: fifo, hostname: 'ctr-a' });
      initPid = (await launchHelper(init, { stdio: ['ignore', 'ignore', 'ignore'] })).pid;
      assert.equal(readFileSync(fifo, 'utf8'), '0');
      const ns = (t: string): string => `/proc/${initPid}/ns/${t}`;
      const exec: LaunchPlan = {
        ...basePlan('', ['sh', '-c', 'hostname; cat /proc/1/cmdline | tr "\\0" " "; echo; ls /proc/$$/root/bin/busybox']),
        mode: 'exec',
        cloneFlags: 0n,
        mounts: [],
        devices: [],
        joinNamespaces: [
          { type: CLONE_NEWIPC, path: ns('ipc') },
          { type: CLONE_NEWUTS, path: ns('uts') },
          { type: CLONE_NEWPID, path: ns('pid') },
          { type: CLONE_NEWNS, path: ns('mnt') },
        ],
        targetPid: initPid,
      };
      const r = await runForeground(exec);
      assert.match(r.out, /^ctr-a\nsleep 30 \n\/proc\/\d+\/root\/bin\/busybox\n$/);
    } finally {
      killQuietly(initPid);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
