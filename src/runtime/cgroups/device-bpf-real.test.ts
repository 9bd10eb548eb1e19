// The eBPF device filter on the real kernel (root): a cgroup2 directory (the unified mount of a
// hybrid host, or the root of a v2 host), a program attached, and a shell moved into the cgroup
// that opens and makes devices. Device programs attach to any cgroup2 directory, with or without
// controllers, so this runs on a v1/hybrid host too.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { compileDeviceFilter } from './device-bpf.js';
import { locateHelper } from '../../sys/locate-helper.js';
import { attachDeviceFilter, deviceFilterError } from './device-filter-attach.js';
import { openCgroupManager } from './driver.js';
import type { LinuxDeviceCgroup } from './resources.js';

function cgroup2Root(): string | undefined {
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return '/sys/fs/cgroup';
  if (fs.existsSync('/sys/fs/cgroup/unified/cgroup.procs')) return '/sys/fs/cgroup/unified';
  return undefined;
}

const root = cgroup2Root();
const skip = process.getuid?.() !== 0 ? 'needs root' : root === undefined ? 'no cgroup2 mount' : false;

/** Runs `script` in sh after the shell moved itself into `dir`; returns stdout + stderr. */
function inCgroup(dir: string, script: string): string {
  const r = spawnSync('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs || exit 99\n${script}`], { encoding: 'utf8', timeout: 10_000, killSignal: 'SIGKILL' });
  assert.equal(r.status, 0, `sh failed: ${r.status} ${r.stderr}`);
  return r.stdout + r.stderr;
}

const PROBE = (tmp: string): string => `
try() { if "$@" >/dev/null 2>&1; then echo "$*: ok"; else echo "$*: denied"; fi; }
try cat /dev/null
try head -c1 /dev/zero
try sh -c 'echo x > /dev/zero'
try head -c1 /dev/full
try head -c1 /dev/urandom
try mknod ${tmp}/null c 1 3
try mknod ${tmp}/zero c 1 5
`;

describe('cgroup v2 eBPF device filter on the real kernel', { skip }, () => {
  const made: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-devtest-'));
  after(() => {
    for (const d of made.reverse()) if (fs.existsSync(d)) fs.rmdirSync(d);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('allows c 1:3 rwm and c 1:5 rw, denies everything else', () => {
    const dir = path.join(root!, `berth-devtest-${process.pid}`);
    fs.mkdirSync(dir);
    made.push(dir);
    const rules: LinuxDeviceCgroup[] = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'rw' }];
    attachDeviceFilter(dir, compileDeviceFilter(rules).program);
    // the redirections to /dev/null in PROBE need c 1:3 themselves: they work because it is allowed
    const out = inCgroup(dir, PROBE(tmp));
    assert.equal(out, [
      'cat /dev/null: ok',
      'head -c1 /dev/zero: ok',
      "sh -c echo x > /dev/zero: ok",
      'head -c1 /dev/full: denied',
      'head -c1 /dev/urandom: denied',
      `mknod ${tmp}/null c 1 3: ok`,
      `mknod ${tmp}/zero c 1 5: denied`,
      '',
    ].join('\n'));
    const r = spawnSync('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs; exec head -c1 /dev/full`], { encoding: 'utf8', timeout: 10_000 });
    assert.match(r.stderr, /\/dev\/full.*Operation not permitted/);
    fs.rmSync(path.join(tmp, 'null'), { force: true });
  });

  it('through the v2 driver: create attaches, update replaces (the old program is detached)', () => {
    const warnings: string[] = [];
    const mgr = openCgroupManager({ cgroupsPath: `/berth-devtest-${process.pid}-driver`, id: 'devtest', root: root!, version: 2, onWarning: (w) => warnings.push(w) });
    const dir = mgr.paths()['']!;
    const base: LinuxDeviceCgroup[] = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }];
    try {
      mgr.create({ devices: base });
      assert.equal(inCgroup(dir, 'try() { if "$@" >/dev/null 2>&1; then echo ok; else echo denied; fi; }; try head -c1 /dev/full'), 'denied\n');
      mgr.update({ devices: [...base, { allow: true, type: 'c', major: 1, minor: 7, access: 'r' }] });
      // were the first program still attached, it would still deny: every attached program must allow
      assert.equal(inCgroup(dir, 'try() { if "$@" >/dev/null 2>&1; then echo ok; else echo denied; fi; }; try head -c1 /dev/full; try sh -c "echo x > /dev/full"'), 'ok\ndenied\n');
      mgr.update({ devices: [{ allow: true, type: 'a' }] });
      assert.equal(inCgroup(dir, 'try() { if "$@" >/dev/null 2>&1; then echo ok; else echo denied; fi; }; try head -c1 /dev/urandom'), 'ok\n');
      assert.deepEqual(warnings, []);
    } finally {
      mgr.destroy();
    }
    assert.equal(fs.existsSync(dir), false);
  });

  it('fails with one line naming what is wrong: verifier, not a cgroup2 directory, no privileges', () => {
    const msg = (dir: string, program: Buffer): string => {
      try {
        attachDeviceFilter(dir, program);
        return 'attached';
      } catch (e) {
        return (e as Error).message;
      }
    };
    const good = compileDeviceFilter([]).program;
    // "exit" with r0 never written
    assert.match(msg(tmp, Buffer.from('9500000000000000', 'hex')), /^cgroup v2 devices: loading the eBPF device filter failed: permission denied: verifier: .*R0 !read_ok/);
    assert.equal(msg(tmp, good), `cgroup v2 devices: querying the eBPF programs attached to ${tmp} failed: bad file descriptor (not a cgroup2 directory, or the kernel lacks CONFIG_CGROUP_BPF)`);
    const dir = path.join(root!, `berth-devtest-${process.pid}-nopriv`);
    fs.mkdirSync(dir);
    made.push(dir);
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', locateHelper(), '--device-filter', dir], { input: good, encoding: 'utf8', timeout: 10_000 });
    if (r.error) return; // no setpriv: the unprivileged case is covered by the fake-tree suite
    assert.equal(deviceFilterError(dir, r.stderr, r.status).message, 'cgroup v2 devices: loading the eBPF device filter failed: operation not permitted (needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN)');
  });
});
