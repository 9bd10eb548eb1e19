// Privileges: the capability sets around setuid, and seccomp filters end to end (berth's default
// profile, and a profile that denies one syscall with a chosen errno). runc loads the same JSON.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSeccompProfile } from '../../../src/runtime/seccomp/index.js';
import { assertOk, harness, type Suite } from './context.js';
import { parseProbe, probeScript, probeValue } from '../../helpers/probe.js';
import type { Spec } from '../../helpers/spec.js';

const status = (field: string): string => `grep '^${field}:' /proc/self/status | cut -f2`;

async function probe(s: Suite, t: Parameters<typeof harness>[0], probes: Record<string, string>, edit: (spec: Spec) => void): Promise<(k: string) => string> {
  const h = harness(t, s);
  const id = h.id();
  const b = h.bundle(id, ['sh', '-c', probeScript(probes)], edit);
  const r = await h.run(['run', '--bundle', b.dir, id]);
  assertOk(r, 'run probe');
  const v = parseProbe(r.stdout);
  return (k) => probeValue(v, k);
}

export function privilegeCases(s: Suite): void {
  describe('capabilities around setuid', { concurrency: true }, () => {
    it('a non-root user keeps its ambient capabilities; the other sets are exact', async (t) => {
      const v = await probe(s, t, {
        uid: 'id -u', amb: status('CapAmb'), eff: status('CapEff'), prm: status('CapPrm'), inh: status('CapInh'), bnd: status('CapBnd'),
      }, (spec) => {
        spec.process.user = { uid: 1000, gid: 1000 };
        spec.process.capabilities = {
          bounding: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
          permitted: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
          effective: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
          inheritable: ['CAP_NET_BIND_SERVICE'],
          ambient: ['CAP_NET_BIND_SERVICE'],
        };
      });
      assert.equal(v('uid'), '1000');
      // CAP_NET_BIND_SERVICE is bit 10 (0x400), CAP_KILL bit 5 (0x20). After execve a non-root
      // process has exactly its ambient set as permitted and effective.
      assert.equal(v('amb'), '0000000000000400');
      assert.equal(v('eff'), '0000000000000400');
      assert.equal(v('prm'), '0000000000000400');
      assert.equal(v('inh'), '0000000000000400');
      assert.equal(v('bnd'), '0000000000000420');
    });

    it('root without CAP_CHOWN in its bounding set cannot chown', async (t) => {
      const v = await probe(s, t, {
        bnd: status('CapBnd'),
        eff: status('CapEff'),
        chown: 'touch /tmp/f && chown 1 /tmp/f 2>&1 && echo chowned',
      }, (spec) => {
        spec.process.capabilities = { bounding: ['CAP_KILL'], permitted: ['CAP_KILL'], effective: ['CAP_KILL'] };
      });
      assert.equal(v('bnd'), '0000000000000020');
      assert.equal(v('eff'), '0000000000000020');
      assert.match(v('chown'), /Operation not permitted/);
    });
  });

  describe('seccomp', { concurrency: true }, () => {
    it('the default profile runs busybox normally and denies unshare and mount', async (t) => {
      const v = await probe(s, t, {
        mode: status('Seccomp'),
        ls: 'ls / >/dev/null && echo ok',
        ps: 'ps >/dev/null && echo ok',
        nested: 'sh -c "echo ok"',
        pipe: 'echo abc | grep -c b',
        unshare: 'unshare -m true 2>&1; echo "exit $?"',
        mount: 'mkdir -p /tmp/m && mount -t tmpfs t /tmp/m 2>&1; echo "exit $?"',
      }, (spec) => {
        spec.linux.seccomp = defaultSeccompProfile({ capabilities: spec.process.capabilities?.bounding ?? [] });
      });
      assert.equal(v('mode'), '2', 'a seccomp filter is loaded');
      assert.equal(v('ls'), 'ok');
      assert.equal(v('ps'), 'ok');
      assert.equal(v('nested'), 'ok');
      assert.equal(v('pipe'), '1');
      assert.match(v('unshare'), /Operation not permitted.*exit [1-9]/);
      assert.match(v('mount'), /Operation not permitted|permission denied.*exit [1-9]/i);
    });

    it('a denied syscall fails with the errnoRet of its rule; others work', async (t) => {
      const v = await probe(s, t, {
        mkdir: 'mkdir /tmp/x 2>&1; echo "exit $?"',
        touch: 'touch /tmp/y && echo ok',
      }, (spec) => {
        spec.linux.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
        };
      });
      assert.match(v('mkdir'), /Permission denied.*exit 1/);
      assert.equal(v('touch'), 'ok');
    });
  });
}
