// Mounts from the spec, masked and read-only paths, and a read-only root.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { makeTempDir } from '../../helpers/bundle.js';
import { RuntimeHarness } from '../../helpers/harness.js';
import { parseProbe, probeScript, probeValue } from '../../helpers/probe.js';
import { assertOk, type Suite } from './context.js';

// This host's kernel has no /proc/kcore; /proc/timer_list (in the default maskedPaths too) is
// non-empty when readable, so it tells masked from unmasked just as well.
const MASKED_FILE = existsSync('/proc/kcore') ? '/proc/kcore' : '/proc/timer_list';

const probes = {
  tmpfsMode: 'stat -c %a /scratch',
  tmpfsOpts: `awk '$2=="/scratch"{print $3, $4}' /proc/mounts`,
  tmpfsWritable: 'touch /scratch/f && echo writable',
  roBindRead: 'cat /ro/marker',
  roBindWrite: 'touch /ro/new 2>/dev/null && echo writable || echo readonly',
  fileBind: 'cat /etc/berth-file',
  proc: `awk '$2=="/proc"{print $3}' /proc/mounts`,
  sysfs: `awk '$2=="/sys"{print $3}' /proc/mounts`,
  maskedFile: `wc -c < ${MASKED_FILE}`,
  maskedDir: 'ls -A /sys/firmware | wc -l',
  procSysOpts: `awk '$2=="/proc/sys"{print $4}' /proc/mounts`,
  procSysWrite: '{ echo 1 > /proc/sys/net/ipv4/ip_forward; } 2>/dev/null && echo writable || echo readonly',
  rootWrite: 'touch /newfile 2>/dev/null && echo writable || echo readonly',
};

export function mountCases(s: Suite): void {
  describe('mounts', () => {
    const h = RuntimeHarness.forSuite(s);
    const hostDir = makeTempDir(h.cleanup, 'berth-mnt-');
    let values: Map<string, string> | undefined;

    before(async () => {
      mkdirSync(join(hostDir, 'ro'));
      writeFileSync(join(hostDir, 'ro/marker'), 'marker-content');
      writeFileSync(join(hostDir, 'file'), 'file-content');
      const id = h.id('mounts');
      const b = h.bundle(id, ['sh', '-c', probeScript(probes)], (spec) => {
        spec.root.readonly = true;
        spec.mounts.push(
          { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=1770', 'size=1m'] },
          { destination: '/ro', type: 'bind', source: join(hostDir, 'ro'), options: ['rbind', 'ro'] },
          { destination: '/etc/berth-file', type: 'bind', source: join(hostDir, 'file'), options: ['bind', 'ro'] },
        );
      });
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertOk(r, 'run mounts probe');
      values = parseProbe(r.stdout);
    });
    const v = (key: keyof typeof probes): string => {
      if (!values) throw new Error('probe container did not run');
      return probeValue(values, key);
    };

    it('tmpfs has the mode and size options and is writable', () => {
      assert.equal(v('tmpfsMode'), '1770');
      const [type, opts = ''] = v('tmpfsOpts').split(' ');
      assert.equal(type, 'tmpfs');
      assert.ok(opts.split(',').includes('size=1024k'), opts);
      assert.equal(v('tmpfsWritable'), 'writable');
    });
    it('a read-only bind mount is readable and not writable', () => {
      assert.equal(v('roBindRead'), 'marker-content');
      assert.equal(v('roBindWrite'), 'readonly');
    });
    it('a file can be bind-mounted', () => assert.equal(v('fileBind'), 'file-content'));
    it('proc and sysfs are mounted', () => {
      assert.equal(v('proc'), 'proc');
      assert.equal(v('sysfs'), 'sysfs');
    });
    it(`maskedPaths: ${MASKED_FILE} reads as empty`, () => assert.equal(v('maskedFile'), '0'));
    it('maskedPaths: /sys/firmware is an empty directory', () => assert.equal(v('maskedDir'), '0'));
    it('readonlyPaths: /proc/sys is mounted read-only', () => {
      assert.equal(v('procSysOpts').split(',')[0], 'ro');
      assert.equal(v('procSysWrite'), 'readonly');
    });
    it('root.readonly makes / read-only', () => assert.equal(v('rootWrite'), 'readonly'));
  });
}
