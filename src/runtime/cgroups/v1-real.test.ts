// The conformance suite against this host's real cgroup v1 hierarchies (needs root).
// Cgroups go under /berth-test-…; a real `sh` that ends in `sleep 30` is moved in.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { cgroupDriverSuite, type CgroupSuiteEnv } from './conformance-suite.js';
import { detectCgroupVersion, openCgroupManager } from './driver.js';
import { sleepSync } from './fs.js';
import { parseCgroupMounts, v1Hierarchies } from './paths.js';

const usable =
  process.getuid?.() === 0 &&
  detectCgroupVersion() === 1 &&
  v1Hierarchies(parseCgroupMounts(fs.readFileSync('/proc/self/mountinfo', 'utf8')), '/sys/fs/cgroup').has('freezer');

/** Runs a little CPU and allocates a few MB once told to (after it is in the cgroup). */
const SCRIPT = `read go; i=0; while [ $i -lt 50000 ]; do i=$((i+1)); done; x=$(head -c 4000000 /dev/zero | tr '\\0' a); echo done; exec sleep 30`;

function taskState(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
}

function realEnv(): CgroupSuiteEnv {
  const mountPoints = [...new Set(v1Hierarchies(parseCgroupMounts(fs.readFileSync('/proc/self/mountinfo', 'utf8')), '/sys/fs/cgroup').values())];
  return {
    open: (o) => openCgroupManager(o),
    spawn() {
      const child = spawn('sh', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'ignore'] });
      const exited = once(child, 'exit');
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      return {
        pid: child.pid!,
        async work() {
          child.stdin.write('go\n');
          while (!out.includes('done')) await new Promise((r) => setTimeout(r, 10));
        },
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      };
    },
    // A frozen task reports D; give a thawed one a moment to get back to its sleep.
    processFrozen(pid) {
      const deadline = Date.now() + 1000;
      let s = taskState(pid);
      while (s !== 'D' && s !== 'S' && Date.now() < deadline) { sleepSync(10); s = taskState(pid); }
      if (s === 'D') return true;
      return false;
    },
    locations: (p) => mountPoints.map((mp) => path.join(mp, p)),
    dispose() { /* nothing outside the cgroups, which the suite removes */ },
  };
}

if (usable) {
  cgroupDriverSuite('v1 on the real /sys/fs/cgroup', realEnv);

  describe('cgroup v1 driver on this host: a typical engine resources block', () => {
    it('applies device rules, throttles and cpu extras; warns for what the host lacks', () => {
      const warnings: string[] = [];
      const top = `berth-test-${process.pid}-typical`;
      const mgr = openCgroupManager({ cgroupsPath: `/${top}/ctr`, id: 'ctr', onWarning: (w) => warnings.push(w) });
      const disk = fs.readFileSync('/sys/block/' + fs.readdirSync('/sys/block').find((b) => !b.startsWith('loop') && !b.startsWith('zram'))! + '/dev', 'utf8').trim().split(':').map(Number);
      try {
        mgr.create({
          devices: [
            { allow: false, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
            { allow: true, type: 'c', major: 136, access: 'rwm' },
          ],
          memory: { limit: 128 << 20, reservation: 64 << 20, swappiness: 10, disableOOMKiller: false, kernel: 1 << 20 },
          cpu: { shares: 256, quota: 25000, period: 100000, burst: 1000, cpus: '0', mems: '0' },
          pids: { limit: 256 },
          blockIO: { weight: 300, throttleReadBpsDevice: [{ major: disk[0]!, minor: disk[1]!, rate: 10 << 20 }] },
          hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
        });
        const p = mgr.paths();
        const rd = (c: string, f: string): string => fs.readFileSync(path.join(p[c]!, f), 'utf8').trim();
        assert.deepEqual(rd('devices', 'devices.list').split('\n').sort(), ['c 1:3 rwm', 'c 1:5 rwm', 'c 136:* rwm'].sort());
        assert.equal(rd('memory', 'memory.soft_limit_in_bytes'), String(64 << 20));
        assert.equal(rd('memory', 'memory.swappiness'), '10');
        assert.equal(rd('cpu', 'cpu.cfs_burst_us'), '1000');
        assert.equal(rd('cpuset', 'cpuset.cpus'), '0');
        assert.equal(rd('blkio', 'blkio.throttle.read_bps_device'), `${disk[0]}:${disk[1]} ${10 << 20}`);
        // This host has no blkio.weight/blkio.bfq.weight and no hugetlb hierarchy.
        if (!fs.existsSync(path.join(p['blkio']!, 'blkio.weight')) && !fs.existsSync(path.join(p['blkio']!, 'blkio.bfq.weight'))) {
          assert.ok(warnings.some((w) => w.startsWith('blockIO.weight ignored')), warnings.join('; '));
        }
        if (p['hugetlb'] === undefined) assert.ok(warnings.some((w) => w.startsWith('hugepageLimits ignored')));
        assert.ok(warnings.some((w) => w.startsWith('memory.kernel ignored')));
      } finally {
        mgr.destroy();
      }
      for (const mp of new Set(Object.values(mgr.paths()).map((d) => path.dirname(path.dirname(d))))) {
        assert.equal(fs.existsSync(path.join(mp, top)), false);
      }
    });
  });
} else {
  it('v1 real cgroup suite', { skip: 'needs root on a cgroup v1/hybrid host with the freezer mounted' }, () => {});
}
