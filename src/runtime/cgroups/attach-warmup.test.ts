import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { locateHelper } from '../../sys/locate-helper.js';
import { helperEnv } from '../launch/helper-env.js';
import { attachWarmupFile, ownProcsFile, stopAttachWarmup, warmAttachFor } from './attach-warmup.js';

const hybrid = ['12:pids:/user.slice/s', '11:cpu,cpuacct:/user.slice', '1:name=systemd:/user.slice/s', '0::/user.slice/s', ''].join('\n');

test('ownProcsFile: the pids hierarchy on v1, the unified one on v2, only files that exist', () => {
  const all = (): boolean => true;
  assert.equal(ownProcsFile(hybrid, '/sys/fs/cgroup', all), '/sys/fs/cgroup/pids/user.slice/s/cgroup.procs');
  const unifiedOnly = (p: string): boolean => p.includes('/unified/');
  assert.equal(ownProcsFile(hybrid, '/sys/fs/cgroup', unifiedOnly), '/sys/fs/cgroup/unified/user.slice/s/cgroup.procs');
  assert.equal(ownProcsFile('0::/\n', '/sys/fs/cgroup', all), '/sys/fs/cgroup/cgroup.procs');
  assert.equal(ownProcsFile(hybrid, '/sys/fs/cgroup', () => false), undefined);
  assert.equal(ownProcsFile('0::/../x\n', '/sys/fs/cgroup', all), undefined);
});

test('helperEnv: no warm-up against a fake cgroup tree; on the host, a cgroup.procs that lists this process', () => {
  assert.deepEqual(helperEnv('/tmp/fake-cgroup-tree'), {});
  const file = attachWarmupFile();
  // this VM: v1 pids hierarchy mounted as /proc/self/cgroup says; elsewhere there may be none
  if (file !== undefined) {
    assert.match(file, /\/cgroup\.procs$/);
    assert.ok(readFileSync(file, 'utf8').split('\n').includes(String(process.pid)));
    assert.deepEqual(helperEnv(undefined), { BERTH_CGROUP_WARMUP: file });
  } else {
    assert.deepEqual(helperEnv(undefined), {});
  }
});

test('berth-nsexec writes its pid to $BERTH_CGROUP_WARMUP again and again until the plan comes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-warmup-'));
  const file = join(dir, 'procs');
  writeFileSync(file, '');
  try {
    const child = spawn(locateHelper(), ['3'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { BERTH_CGROUP_WARMUP: file } });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // until the file shows several writes: then close the socket, which stops the loop (no plan)
    for (let i = 0; i < 500 && readFileSync(file, 'utf8').length < 5 * String(child.pid).length; i++) await new Promise((r) => setTimeout(r, 10));
    (child.stdio[3] as Duplex).destroy();
    assert.notEqual(await exited, 0, 'no plan: the helper gives up');
    const text = readFileSync(file, 'utf8');
    assert.ok(text.length >= 5 * String(child.pid).length, `written ${text.length} bytes`);
    assert.equal(text.replaceAll(String(child.pid), ''), '', 'nothing but its own pid');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('warmAttachFor writes this process into its own cgroup.procs until stopped, and only a file that lists it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-warmroot-'));
  try {
    // a fake tree shaped as /proc/self/cgroup says, whose procs file lists us (as the kernel's would)
    const self = readFileSync('/proc/self/cgroup', 'utf8');
    const file = ownProcsFile(self, root, () => true);
    assert.ok(file !== undefined, 'this host has a pids or unified line');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, `1\n${process.pid}\n`);
    assert.equal(attachWarmupFile(root), file);
    warmAttachFor(5000, root);
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    for (let i = 0; i < 200 && readFileSync(file, 'utf8') !== String(process.pid); i++) await sleep(5);
    assert.equal(readFileSync(file, 'utf8'), String(process.pid), 'written: our pid alone, as a move is');
    stopAttachWarmup();
    await sleep(20);
    const after = statSync(file).mtimeMs;
    await sleep(30);
    assert.equal(statSync(file).mtimeMs, after, 'no write after stop');

    const other = mkdtempSync(join(tmpdir(), 'berth-warmroot-'));
    const notOurs = ownProcsFile(self, other, () => true)!;
    mkdirSync(join(notOurs, '..'), { recursive: true });
    writeFileSync(notOurs, '1\n2\n');
    assert.equal(attachWarmupFile(other), undefined, 'a cgroup.procs that does not list us is not ours');
    rmSync(other, { recursive: true, force: true });
  } finally {
    stopAttachWarmup();
    rmSync(root, { recursive: true, force: true });
  }
});
