// The protocol driven over a berth-nsexec that someone else spawned (as berth-monitor --exec-helper
// does), and createContainer on top of it. Here the test plays the spawner: an extra 'pipe' stdio
// entry is a unix socketpair, whose far end is the helper's fd 3. Needs root.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { isBerthError } from '../../errors.js';
import { createContainer } from '../lifecycle/create.js';
import { deleteContainer } from '../lifecycle/delete.js';
import { containerState } from '../lifecycle/query.js';
import { startContainer } from '../lifecycle/start.js';
import { silentLogger } from '../logger.js';
import { basePlan, busyboxRootfs, killQuietly, mountOp, MS_BIND, repoRoot, skipReason, tempDir } from './fixtures.js';
import { launchWithHelper } from './launch-helper.js';
import { locateHelper } from '../../sys/locate-helper.js';

interface Spawned {
  child: ChildProcess;
  socket: Duplex;
  out: Promise<string>;
  exited: Promise<number | null>;
}

function text(s: Readable | null): Promise<string> {
  const chunks: Buffer[] = [];
  s?.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => (s ? s.once('close', () => resolve(Buffer.concat(chunks).toString())) : resolve('')));
}

/** What the monitor does in helper mode, minus the monitor: `berth-nsexec 3`, fd 3 a socketpair. */
function spawnHelper(path = locateHelper()): Spawned {
  const child = spawn(path, ['3'], { stdio: ['ignore', 'pipe', 'ignore', 'pipe'], detached: true, env: {} });
  child.on('error', () => undefined);
  return {
    child,
    socket: child.stdio[3] as Duplex,
    out: text(child.stdout),
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
}

const gone = (pid: number | undefined): boolean => {
  try {
    return pid === undefined || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
};

async function until(cond: () => boolean, ms = 2000): Promise<boolean> {
  for (let t = 0; t < ms && !cond(); t += 10) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

describe('launchWithHelper: a helper spawned elsewhere', { skip: skipReason }, () => {
  it('creates a process waiting on the exec fifo, with the spawner\'s stdio; stage0 has exited', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'exec.fifo');
    const h = spawnHelper();
    let pid: number | undefined;
    try {
      const plan = basePlan(busyboxRootfs, ['/bin/echo', 'from the helper'], { foreground: false, execFifo: fifo });
      pid = (await launchWithHelper(plan, { socket: h.socket })).pid;
      assert.equal(await h.exited, 0, 'stage0 exits after SYNC_PID');
      assert.ok(h.socket.destroyed, 'our end is closed after READY');
      assert.ok(!gone(pid), 'the container process waits');
      assert.equal(readFileSync(fifo, 'utf8'), '0');
      assert.equal(await h.out, 'from the helper\n');
    } finally {
      killQuietly(pid);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the helper\'s own error frame', async () => {
    const dir = tempDir();
    try {
      const h = spawnHelper();
      const plan = basePlan(busyboxRootfs, ['true'], { foreground: false, execFifo: join(dir, 'exec.fifo') });
      plan.mounts.push(mountOp('/nonexistent-berth-source', '/tmp', '', MS_BIND));
      await assert.rejects(launchWithHelper(plan, { socket: h.socket }), (e: unknown) => {
        assert.ok(isBerthError(e, 'BERTH_ELAUNCH'));
        assert.equal(e.message, 'mount "/nonexistent-berth-source" on /tmp: no such file or directory');
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a spawner whose fd 3 is not a helper is EOF, and a failing caller step stops the container', async () => {
    const dir = tempDir();
    try {
      const plan = (name: string): ReturnType<typeof basePlan> => basePlan(busyboxRootfs, ['true'], { foreground: false, execFifo: join(dir, name), waitForGo: true });
      const notHelper = spawnHelper('/bin/true');
      await assert.rejects(launchWithHelper(plan('a.fifo'), { socket: notHelper.socket }), /^BerthError: berth-nsexec exited before the container was ready$/);

      const h = spawnHelper();
      let pid: number | undefined;
      await assert.rejects(
        launchWithHelper(plan('b.fifo'), { socket: h.socket }, {
          onPid: (n) => {
            pid = n;
            throw new Error('cgroup join failed');
          },
        }),
        /cgroup join failed/,
      );
      assert.ok(await until(() => gone(pid)), 'the container process was stopped');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what only a helper of our own can do', async () => {
    const h = spawnHelper();
    try {
      await assert.rejects(launchWithHelper(basePlan(busyboxRootfs, ['true']), { socket: h.socket }), /foreground/);
      await assert.rejects(launchWithHelper(basePlan(busyboxRootfs, ['true'], { foreground: false, preserveFds: 1 }), { socket: h.socket }), /extra fds/);
    } finally {
      h.socket.destroy();
    }
  });
});

describe('createContainer with a helper spawned elsewhere', { skip: skipReason }, () => {
  it('makes a normal runtime container: state, start, the CLI\'s view, delete', async () => {
    const dir = tempDir('berth-create-helper-');
    const root = join(dir, 'state');
    const bundle = join(dir, 'bundle');
    const id = `helper-${process.pid}`;
    const cgroupParent = `berth-helper-test-${process.pid}`;
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({
      ociVersion: '1.0.2',
      process: { args: ['sh', '-c', 'echo started; cat /proc/self/cgroup'], cwd: '/', env: ['PATH=/bin:/usr/bin'], user: { uid: 0, gid: 0 } },
      root: { path: busyboxRootfs, readonly: true },
      // /dev on a tmpfs: the default devices must not be made in the shared fixture.
      mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }, { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] }],
      linux: {
        cgroupsPath: `/${cgroupParent}/${id}`,
        namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }],
      },
    }));
    const ctx = { root, logger: silentLogger };
    const h = spawnHelper();
    try {
      const created = await createContainer(ctx, id, { bundle, pidFile: join(dir, 'pid'), helper: { socket: h.socket } });
      assert.equal(created.helper, undefined);
      assert.equal(readFileSync(join(dir, 'pid'), 'utf8'), String(created.pid));
      assert.equal(containerState(ctx, id)['status'], 'created');
      // what runc-style clients see: the runtime binary's own `state`
      const cli = spawnSync(join(repoRoot, 'bin', 'berth-runtime'), ['--root', root, 'state', id], { encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
      assert.deepEqual([JSON.parse(cli.stdout).status, JSON.parse(cli.stdout).pid], ['created', created.pid]);
      startContainer(ctx, id);
      const out = await h.out;
      assert.match(out, /^started\n/);
      assert.ok(out.includes(`:/${cgroupParent}/${id}\n`), `the container joined its cgroup: ${out}`);
      assert.ok(await until(() => containerState(ctx, id)['status'] === 'stopped'));
      deleteContainer(ctx, id, false);
      assert.ok(!existsSync(join(root, id)));
    } finally {
      try { deleteContainer(ctx, id, true); } catch { /* deleted above */ }
      // the parent in every hierarchy (cgroup v1 has one per controller; v2 is the root itself)
      for (const dir of ['', ...readdirSync('/sys/fs/cgroup')]) {
        try { rmdirSync(join('/sys/fs/cgroup', dir, cgroupParent)); } catch { /* not there */ }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses foreground and preserved fds, and undoes a failed launch', async () => {
    const dir = tempDir('berth-create-helper-');
    const root = join(dir, 'state');
    const bundle = join(dir, 'bundle');
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({
      ociVersion: '1.0.2',
      process: { args: ['no-such-program'], cwd: '/', env: ['PATH=/bin'], user: { uid: 0, gid: 0 } },
      root: { path: busyboxRootfs, readonly: true },
      mounts: [{ destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] }],
      linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] },
    }));
    const ctx = { root, logger: silentLogger };
    const h = spawnHelper();
    try {
      await assert.rejects(createContainer(ctx, 'fg', { bundle, foreground: true, helper: { socket: h.socket } }), /detached container/);
      await assert.rejects(createContainer(ctx, 'bad', { bundle, helper: { socket: h.socket } }), /executable file not found/);
      assert.throws(() => containerState(ctx, 'bad'), /does not exist|not found/);
    } finally {
      h.socket.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
