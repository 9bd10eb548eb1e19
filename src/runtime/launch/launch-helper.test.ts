// berth-nsexec driven directly with hand-built plans against the busybox rootfs (needs root).
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { isBerthError } from '../../errors.js';
import { decodeError, encodeFrame, encodePlan, FrameReader, type HelperError } from '../plan/encode.js';
import { Sync, Tag } from '../plan/tags.js';
import { launchHelper } from './launch-helper.js';
import { locateHelper } from '../../sys/locate-helper.js';
import {
  basePlan, busyboxRootfs, killQuietly, mountOp, MS_BIND, runForeground, skipReason, tempDir,
} from './fixtures.js';

const RLIMIT_NOFILE = 7;
const CAP_CHOWN = 0;
const CAP_KILL = 5;
const CAP_NET_BIND_SERVICE = 10;
const someCaps = (1n << BigInt(CAP_CHOWN)) | (1n << BigInt(CAP_KILL)) | (1n << BigInt(CAP_NET_BIND_SERVICE));

const capLine = (out: string, name: string): string => {
  const m = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(out);
  assert.ok(m, `no ${name} in ${out}`);
  return m[1]!;
};

/** Sends raw bytes as the SYNC_PLAN payload and returns the helper's SYNC_ERROR. */
async function planError(payload: Buffer): Promise<HelperError> {
  const helper = spawn(locateHelper(), [], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const sock = helper.stdio[3] as Duplex;
  const reader = new FrameReader();
  const frames: Buffer[] = [];
  sock.on('data', (c: Buffer) => {
    for (const f of reader.push(c)) if (f.tag === Sync.ERROR) frames.push(f.payload);
  });
  sock.write(encodeFrame(Sync.PLAN, payload));
  const code = await new Promise((resolve) => helper.once('close', resolve));
  assert.equal(code, 1);
  assert.equal(frames.length, 1);
  return decodeError(frames[0]!);
}

describe('berth-nsexec', { skip: skipReason }, () => {
  it('validates every record of the plan', async () => {
    const good = encodePlan(basePlan(busyboxRootfs, ['true']));
    const truncated = Buffer.concat([good, encodeFrame(Tag.HOSTNAME, Buffer.from('abc')).subarray(0, 8)]);
    assert.match((await planError(truncated)).message, /^invalid launch plan: record 30 at offset \d+: length 3 exceeds the plan$/);
    const unknown = Buffer.concat([good, encodeFrame(999, Buffer.alloc(0))]);
    assert.equal((await planError(unknown)).message, 'invalid launch plan: unknown record tag 999');
    const nul = Buffer.concat([good, encodeFrame(Tag.HOSTNAME, Buffer.from('a\0b'))]);
    assert.equal((await planError(nul)).message, 'invalid launch plan: record 30: malformed payload of 3 bytes');
    const short = Buffer.concat([good, encodeFrame(Tag.RLIMIT, Buffer.alloc(19))]);
    const e = await planError(short);
    assert.deepEqual([e.step, e.message], ['plan', 'invalid launch plan: record 33: malformed payload of 19 bytes']);
  });

  it('runs /bin/echo in new mount, pid, uts and ipc namespaces', async () => {
    const r = await runForeground(basePlan(busyboxRootfs, ['/bin/echo', 'hi']));
    assert.equal(r.out, 'hi\n');
    assert.equal(r.code, 0);
    const ns = await runForeground(basePlan(busyboxRootfs, ['sh', '-c', 'echo $$; readlink /proc/self/ns/mnt']));
    assert.equal(ns.out.split('\n')[0], '1', 'the process is pid 1 of its own pid namespace');
    assert.notEqual(ns.out.split('\n')[1], readlinkSync('/proc/self/ns/mnt'));
  });

  it('reports the exit code in foreground mode, 128+N for a signal', async () => {
    assert.equal((await runForeground(basePlan(busyboxRootfs, ['sh', '-c', 'exit 7']))).code, 7);
    const launched = await launchHelper(basePlan(busyboxRootfs, ['sleep', '10']), { stdio: ['ignore', 'ignore', 'ignore'] });
    process.kill(launched.pid, 'SIGKILL');
    assert.equal(await launched.exit, 137);
  });

  it('forwards signals sent to stage0 in foreground mode', async () => {
    const plan = basePlan(busyboxRootfs, ['sh', '-c', 'trap "exit 42" TERM; echo armed; sleep 10 & wait']);
    const launched = await launchHelper(plan, { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve) => launched.helper.stdout!.once('data', () => resolve()));
      launched.helper.kill('SIGTERM');
      assert.equal(await launched.exit, 42);
    } finally {
      killQuietly(launched.pid);
    }
  });

  it('waits on the exec fifo in create mode until it is opened', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'exec.fifo');
    let pid: number | undefined;
    try {
      const plan = basePlan(busyboxRootfs, ['/bin/echo', 'started'], { foreground: false, execFifo: fifo });
      const launched = await launchHelper(plan, { stdio: ['ignore', 'pipe', 'ignore'] });
      pid = launched.pid;
      const chunks: Buffer[] = [];
      launched.helper.stdout!.on('data', (c: Buffer) => chunks.push(c));
      const closed = new Promise((resolve) => launched.helper.stdout!.once('close', resolve));
      assert.ok(existsSync(`/proc/${pid}`), 'the container process waits');
      // CVE-2019-5736: what waits runs from a sealed memfd copy, not from the file on disk
      assert.match(readlinkSync(`/proc/${pid}/exe`), /^\/memfd:berth-nsexec/);
      assert.equal(readFileSync(fifo, 'utf8'), '0');
      await closed;
      assert.equal(Buffer.concat(chunks).toString(), 'started\n');
    } finally {
      killQuietly(pid);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies the hostname', async () => {
    const r = await runForeground(basePlan(busyboxRootfs, ['hostname'], { hostname: 'berth-test-host' }));
    assert.equal(r.out, 'berth-test-host\n');
  });

  it('reports a failing mount with its step and errno', async () => {
    const plan = basePlan(busyboxRootfs, ['true']);
    plan.mounts.push(mountOp('/nonexistent-berth-source', '/tmp', '', MS_BIND));
    await assert.rejects(launchHelper(plan, { stdio: ['ignore', 'ignore', 'ignore'] }), (e: unknown) => {
      assert.ok(isBerthError(e, 'BERTH_ELAUNCH'));
      assert.equal(e.message, 'mount "/nonexistent-berth-source" on /tmp: no such file or directory');
      assert.deepEqual({ step: e.detail?.['step'], errno: e.detail?.['errno'] }, { step: 'mount', errno: 2 });
      return true;
    });
  });

  it('reports a missing binary before the process is ready', async () => {
    const plan = basePlan(busyboxRootfs, ['no-such-binary']);
    await assert.rejects(launchHelper(plan, { stdio: ['ignore', 'ignore', 'ignore'] }), (e: unknown) => {
      assert.ok(isBerthError(e, 'BERTH_ELAUNCH'));
      assert.equal(e.message, 'exec "no-such-binary": executable file not found in $PATH');
      assert.equal(e.detail?.['step'], 'exec');
      return true;
    });
  });

  it('applies rlimits and names the resource when one fails', async () => {
    const plan = basePlan(busyboxRootfs, ['sh', '-c', 'ulimit -n'], {
      rlimits: [{ resource: RLIMIT_NOFILE, soft: 1234n, hard: 1234n }],
    });
    assert.equal((await runForeground(plan)).out, '1234\n');
    // above fs.nr_open's ceiling, refused even with CAP_SYS_RESOURCE
    const bad = basePlan(busyboxRootfs, ['true'], { rlimits: [{ resource: RLIMIT_NOFILE, soft: 1n << 40n, hard: 1n << 40n }] });
    await assert.rejects(launchHelper(bad, { stdio: ['ignore', 'ignore', 'ignore'] }), /^BerthError: setrlimit RLIMIT_NOFILE: operation not permitted$/);
  });

  it('sets the capability sets of the plan, for root and with ambient caps for a user', async () => {
    const rootPlan = basePlan(busyboxRootfs, ['grep', 'Cap', '/proc/self/status'], {
      capabilities: { bounding: someCaps, effective: someCaps, permitted: someCaps, inheritable: 0n, ambient: 0n },
    });
    const root = (await runForeground(rootPlan)).out;
    for (const set of ['CapEff', 'CapPrm', 'CapBnd']) assert.equal(capLine(root, set), '0000000000000421', set);
    assert.equal(capLine(root, 'CapAmb'), '0000000000000000');

    const userPlan = basePlan(busyboxRootfs, ['grep', 'Cap', '/proc/self/status'], {
      user: { uid: 1000, gid: 1000, additionalGids: [] },
      capabilities: { bounding: someCaps, effective: someCaps, permitted: someCaps, inheritable: someCaps, ambient: someCaps },
    });
    const user = (await runForeground(userPlan)).out;
    for (const set of ['CapEff', 'CapPrm', 'CapBnd', 'CapAmb']) assert.equal(capLine(user, set), '0000000000000421', set);
  });

  it('switches user and groups', async () => {
    const plan = basePlan(busyboxRootfs, ['sh', '-c', 'id -u; id -g; id -G'], {
      user: { uid: 1000, gid: 1001, additionalGids: [1002, 1003] },
    });
    assert.equal((await runForeground(plan)).out, '1000\n1001\n1001 1002 1003\n');
  });

  it('leaves only fds 0, 1, 2 and the preserved ones open', async () => {
    // the last fd listed is ls's own handle on /proc/self/fd
    const r = await runForeground(basePlan(busyboxRootfs, ['sh', '-c', 'ls /proc/self/fd | tr "\\n" " "']));
    assert.equal(r.out, '0 1 2 3 ');

    const dir = tempDir();
    const file = join(dir, 'preserved');
    writeFileSync(file, 'from fd 3');
    const fd = openSync(file, 'r');
    try {
      const plan = basePlan(busyboxRootfs, ['sh', '-c', 'ls /proc/self/fd | tr "\\n" " "; cat <&3']);
      const p = await runForeground(plan, { extraFds: [fd] });
      assert.equal(p.out, '0 1 2 3 4 from fd 3');
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the process a terminal relayed by stage0', async () => {
    const plan = basePlan(busyboxRootfs, ['sh', '-c', 'tty; stty size'], {
      terminal: true,
      consoleSize: { rows: 33, cols: 101 },
    });
    plan.mounts.push(mountOp('devpts', '/dev/pts', 'devpts', 0n, 'newinstance,ptmxmode=0666,mode=0620'));
    plan.symlinks.push({ target: 'pts/ptmx', path: '/dev/ptmx' });
    const r = await runForeground(plan);
    assert.equal(r.out, '/dev/pts/0\r\n33 101\r\n');
    assert.equal(r.code, 0);
  });

  it('sends the pty master over the console socket', async () => {
    const dir = tempDir();
    const sockPath = join(dir, 'console.sock');
    const fifo = join(dir, 'exec.fifo');
    let pid: number | undefined;
    const server = createServer();
    try {
      // node drops the passed fd, but the name sent with it shows the pty reached the socket
      const received = new Promise<string>((resolve) => {
        server.on('connection', (c) => c.once('data', (d: Buffer) => resolve(d.toString())));
      });
      await new Promise<void>((resolve) => server.listen(sockPath, resolve));
      const plan = basePlan(busyboxRootfs, ['true'], { foreground: false, terminal: true, consoleSocket: sockPath, execFifo: fifo });
      plan.mounts.push(mountOp('devpts', '/dev/pts', 'devpts', 0n, 'newinstance,ptmxmode=0666,mode=0620'));
      plan.symlinks.push({ target: 'pts/ptmx', path: '/dev/ptmx' });
      pid = (await launchHelper(plan, { stdio: ['ignore', 'ignore', 'ignore'] })).pid;
      assert.equal(await received, '/dev/pts/0');
    } finally {
      killQuietly(pid);
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads the seccomp program', { skip: process.arch !== 'x64' ? 'x86_64 syscall numbers' : undefined }, async () => {
    const SYS_sethostname = 170;
    const EPERM = 1;
    const insn = (code: number, jt: number, jf: number, k: number): Buffer => {
      const b = Buffer.alloc(8);
      b.writeUInt16LE(code, 0);
      b.writeUInt8(jt, 2);
      b.writeUInt8(jf, 3);
      b.writeUInt32LE(k >>> 0, 4);
      return b;
    };
    const program = Buffer.concat([
      insn(0x20, 0, 0, 0), // ld [nr]
      insn(0x15, 0, 1, SYS_sethostname), // jeq sethostname
      insn(0x06, 0, 0, 0x00050000 | EPERM), // ret ERRNO(EPERM)
      insn(0x06, 0, 0, 0x7fff0000), // ret ALLOW
    ]);
    const plan = basePlan(busyboxRootfs, ['sh', '-c', 'hostname changed 2>/dev/null || echo denied'], {
      noNewPrivileges: true,
      seccomp: { flags: 0, program },
    });
    const r = await runForeground(plan);
    assert.deepEqual({ out: r.out, code: r.code, err: r.err }, { out: 'denied\n', code: 0, err: '' });
  });

  it('kills the waiting process when the parent fails its part', async () => {
    let pid: number | undefined;
    const plan = basePlan(busyboxRootfs, ['true'], { waitForGo: true });
    await assert.rejects(
      launchHelper(plan, {
        stdio: ['ignore', 'ignore', 'ignore'],
        onPid: (p) => {
          pid = p;
          throw new Error('cgroup join failed');
        },
      }),
      /cgroup join failed/,
    );
    const gone = (): boolean => {
      try {
        return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return true;
      }
    };
    for (let i = 0; i < 100 && !gone(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(gone(), 'the container process was killed');
  });

  it('stops for hooks before pivot_root when asked', async () => {
    const calls: string[] = [];
    const plan = basePlan(busyboxRootfs, ['true'], { runHooks: true, waitForGo: true });
    const launched = await launchHelper(plan, {
      stdio: ['ignore', 'ignore', 'ignore'],
      onPid: (pid) => {
        calls.push(`pid ${pid > 0}`);
      },
      onHooks: () => {
        calls.push('hooks');
      },
    });
    assert.equal(await launched.exit, 0);
    assert.deepEqual(calls, ['pid true', 'hooks']);
  });

  it('refuses an id-mapped mount or rootfs that names a user namespace the plan does not have', async () => {
    const bad = encodePlan(basePlan(busyboxRootfs, ['true'], { rootfsIdmap: 2, usernsHolders: [{ uidMappings: [], gidMappings: [] }] }));
    assert.equal((await planError(bad)).message, 'invalid launch plan: rootfs id map names holder 2 of 1');
  });

  it('writes time namespace offsets before the process enters the namespace', async () => {
    const plan = basePlan(busyboxRootfs, ['cat', '/proc/self/timens_offsets'], {
      cloneFlags: basePlan(busyboxRootfs, []).cloneFlags | 0x80n,
      timeOffsets: 'monotonic 7 0\nboottime 9 0\n',
    });
    const r = await runForeground(plan);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split('\n').map((l) => l.trim().split(/\s+/)), [['monotonic', '7', '0'], ['boottime', '9', '0']]);
  });

  it('runs startContainer hooks in the container before the program, and a failing one stops it', async () => {
    const hookState = { before: '{"pid":', after: '}' };
    const ok = await runForeground(basePlan(busyboxRootfs, ['cat', '/tmp/state'], {
      mounts: [...basePlan(busyboxRootfs, []).mounts, { source: 'tmpfs', target: '/tmp', fstype: 'tmpfs', flags: 0n, propagation: 0n, data: '', remountFlags: 0n, targetKind: 'dir' }],
      hookState,
      startHooks: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /tmp/state'], env: [], timeout: 5 }],
    }));
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.out, '{"pid":1}');
    await assert.rejects(runForeground(basePlan(busyboxRootfs, ['echo', 'NOT-RUN'], {
      hookState,
      startHooks: [{ path: '/bin/sleep', args: ['sleep', '10'], env: [], timeout: 1 }],
    })), /startContainer hook #0 \(\/bin\/sleep\): timed out after 1s/);
  });
});
