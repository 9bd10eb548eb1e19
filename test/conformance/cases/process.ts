// What the container process sees of its own configuration: one run per topic, one test per fact.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RuntimeHarness } from '../../helpers/harness.js';
import { parseProbe, probeScript, probeValue } from '../../helpers/probe.js';
import type { Spec } from '../../helpers/spec.js';
import { assertOk, type Suite } from './context.js';

/** Runs one container that prints the probes; the tests of the describe read the answers. */
function probeSuite(s: Suite, probes: Record<string, string>, edit: (spec: Spec) => void): () => Map<string, string> {
  const h = RuntimeHarness.forSuite(s);
  let values: Map<string, string> | undefined;
  before(async () => {
    const id = h.id('probe');
    const b = h.bundle(id, ['sh', '-c', probeScript(probes)], edit);
    const r = await h.run(['run', '--bundle', b.dir, id]);
    assertOk(r, 'run probe container');
    values = parseProbe(r.stdout);
  });
  return () => {
    if (!values) throw new Error('probe container did not run');
    return values;
  };
}

export function processCases(s: Suite): void {
  describe('process view', () => {
    const v = probeSuite(s, {
      pid: 'echo $$',
      hostname: 'hostname',
      cwd: 'pwd',
      env: 'echo "$GREETING"',
      uid: 'id -u',
      gid: 'id -g',
      groups: 'id -G',
      umask: 'umask',
    }, (spec) => {
      spec.hostname = 'probe-host';
      spec.process.cwd = '/tmp';
      spec.process.env.push('GREETING=hello world');
      spec.process.user = { uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 0o027 };
    });
    it('is pid 1 in its pid namespace', () => assert.equal(probeValue(v(), 'pid'), '1'));
    it('has the hostname from the spec', () => assert.equal(probeValue(v(), 'hostname'), 'probe-host'));
    it('starts in process.cwd', () => assert.equal(probeValue(v(), 'cwd'), '/tmp'));
    it('has process.env', () => assert.equal(probeValue(v(), 'env'), 'hello world'));
    it('runs as process.user uid and gid', () => {
      assert.equal(probeValue(v(), 'uid'), '1000');
      assert.equal(probeValue(v(), 'gid'), '1000');
    });
    it('has additionalGids', () => assert.deepEqual(probeValue(v(), 'groups').split(' ').map(Number).sort((a, b) => a - b), [10, 20, 1000]));
    it('has process.user.umask', () => assert.equal(probeValue(v(), 'umask'), '0027'));
  });

  describe('process limits and privileges', () => {
    const v = probeSuite(s, {
      nofileSoft: 'ulimit -n',
      nofileHard: 'ulimit -Hn',
      capEff: 'grep CapEff /proc/self/status | cut -f2',
      capBnd: 'grep CapBnd /proc/self/status | cut -f2',
      nnp: 'grep NoNewPrivs /proc/self/status | cut -f2',
      oom: 'cat /proc/self/oom_score_adj',
      ipForward: 'cat /proc/sys/net/ipv4/ip_forward',
      shmRmid: 'cat /proc/sys/kernel/shm_rmid_forced',
    }, (spec) => {
      spec.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1024 }];
      const caps = ['CAP_KILL', 'CAP_NET_BIND_SERVICE'];
      spec.process.capabilities = { bounding: caps, effective: caps, permitted: caps, ambient: caps };
      spec.process.noNewPrivileges = true;
      spec.process.oomScoreAdj = 123;
      // Both are namespaced (network, ipc), so setting them touches nothing on the host.
      spec.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shm_rmid_forced': '1' };
    });
    it('applies rlimits (soft and hard)', () => {
      assert.equal(probeValue(v(), 'nofileSoft'), '512');
      assert.equal(probeValue(v(), 'nofileHard'), '1024');
    });
    // CAP_KILL is bit 5, CAP_NET_BIND_SERVICE bit 10.
    it('has exactly the effective capabilities', () => assert.equal(probeValue(v(), 'capEff'), '0000000000000420'));
    it('has exactly the bounding capabilities', () => assert.equal(probeValue(v(), 'capBnd'), '0000000000000420'));
    it('sets noNewPrivileges', () => assert.equal(probeValue(v(), 'nnp'), '1'));
    it('sets oomScoreAdj', () => assert.equal(probeValue(v(), 'oom'), '123'));
    it('sets a network sysctl in the new network namespace', () => assert.equal(probeValue(v(), 'ipForward'), '1'));
    it('sets an ipc sysctl in the new ipc namespace', () => assert.equal(probeValue(v(), 'shmRmid'), '1'));
  });
}
