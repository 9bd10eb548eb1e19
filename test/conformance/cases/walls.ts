// Filesystem walls: masked and read-only paths, the minimal /dev, symlinks planted in the rootfs as
// mount destinations (the CVE-2021-30465 class), and no runtime fd inside the container.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { makeTempDir } from '../../helpers/bundle.js';
import { RuntimeHarness } from '../../helpers/harness.js';
import { mountsUnder } from '../../helpers/mounts.js';
import { parseProbe, probeScript, probeValue } from '../../helpers/probe.js';
import { assertOk, harness, type Suite } from './context.js';

// This kernel has no /proc/kcore; /proc/timer_list is masked by the same default list.
const MASKED_FILE = existsSync('/proc/kcore') ? '/proc/kcore' : '/proc/timer_list';

const wallProbes = {
  maskedFileNode: `stat -c '%F %t:%T' ${MASKED_FILE}`,
  maskedDirMount: `awk '$2=="/sys/firmware"{split($4,o,","); print $3, o[1]}' /proc/mounts`,
  maskedDirEmpty: 'ls -A /sys/firmware | wc -l',
  maskedDirWrite: 'touch /sys/firmware/x 2>/dev/null && echo writable || echo readonly',
  sysrqWrite: '{ echo h > /proc/sysrq-trigger; } 2>/dev/null && echo writable || echo readonly',
  procBusMount: `awk '$2=="/proc/bus"{split($4,o,","); print o[1]}' /proc/mounts`,
  devList: 'ls -A /dev | tr "\\n" " "',
  devNodes: `for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$d; done`,
  devLinks: 'for l in ptmx fd stdin stdout stderr; do printf "%s->%s " $l "$(readlink /dev/$l)"; done',
  devShm: `awk '$2=="/dev/shm"{print $3}' /proc/mounts`,
  devMqueue: `awk '$2=="/dev/mqueue"{print $3}' /proc/mounts`,
  ptsDev: 'stat -c %d /dev/pts',
  ptsPtmxMode: 'stat -c %a /dev/pts/ptmx',
  ptsOpts: `awk '$2=="/dev/pts"{print $4}' /proc/mounts`,
  ptsEntries: 'ls -A /dev/pts | tr "\\n" " "',
  console: 'test -e /dev/console && echo present || echo absent',
  fds: 'ls /proc/self/fd | tr "\\n" " "',
};

export function wallCases(s: Suite): void {
  describe('filesystem walls', () => {
    const h = RuntimeHarness.forSuite(s);
    let v: Map<string, string> | undefined;
    before(async () => {
      const id = h.id('walls');
      const b = h.bundle(id, ['sh', '-c', probeScript(wallProbes)]);
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertOk(r, 'run walls probe');
      v = parseProbe(r.stdout);
    });
    const val = (k: keyof typeof wallProbes): string => {
      if (!v) throw new Error('probe container did not run');
      return probeValue(v, k);
    };

    it(`a masked file (${MASKED_FILE}) is /dev/null`, () => assert.equal(val('maskedFileNode'), 'character special file 1:3'));
    it('a masked directory (/sys/firmware) is an empty read-only tmpfs', () => {
      assert.equal(val('maskedDirMount'), 'tmpfs ro');
      assert.equal(val('maskedDirEmpty'), '0');
      assert.equal(val('maskedDirWrite'), 'readonly');
    });
    it('readonlyPaths: /proc/sysrq-trigger cannot be written, /proc/bus is read-only', () => {
      assert.equal(val('sysrqWrite'), 'readonly');
      assert.equal(val('procBusMount'), 'ro');
    });
    it('/dev has only the minimal set (no console without a terminal)', () => {
      const expected = ['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'];
      if (existsSync('/proc/kcore')) expected.push('core');
      assert.deepEqual(val('devList').split(' ').filter(Boolean).sort(), expected.sort());
      assert.equal(val('console'), 'absent');
    });
    it('the device nodes are the right character devices, mode 666', () => {
      const want: Record<string, string> = { null: '1:3', zero: '1:5', full: '1:7', random: '1:8', urandom: '1:9', tty: '5:0' };
      const lines = val('devNodes').match(/\/dev\/\S+ character special file \S+ \d+/g) ?? [];
      assert.equal(lines.length, 6, val('devNodes'));
      for (const line of lines) {
        const [path, , , , majmin, mode] = line.split(' ');
        assert.equal(majmin, want[path!.slice(5)], line);
        assert.equal(mode, '666', line);
      }
    });
    it('ptmx, fd, stdin, stdout and stderr are the usual links', () => {
      assert.equal(val('devLinks'), 'ptmx->pts/ptmx fd->/proc/self/fd stdin->/proc/self/fd/0 stdout->/proc/self/fd/1 stderr->/proc/self/fd/2');
    });
    it('/dev/shm is a tmpfs and /dev/mqueue an mqueue, as the spec mounts them', () => {
      assert.equal(val('devShm'), 'tmpfs');
      assert.equal(val('devMqueue'), 'mqueue');
    });
    it('/dev/pts is a new devpts instance with ptmxmode 666', () => {
      assert.notEqual(Number(val('ptsDev')), statSync('/dev/pts').dev, 'same devpts as the host');
      assert.equal(val('ptsPtmxMode'), '666');
      const opts = val('ptsOpts').split(',');
      for (const o of ['ptmxmode=666', 'mode=620', 'gid=5']) assert.ok(opts.includes(o), `${o} in ${opts.join(',')}`);
      assert.equal(val('ptsEntries').trim(), 'ptmx');
    });
    it('no runtime fd leaks into `run`: only 0, 1, 2 (and ls\'s own directory fd)', () => {
      assert.equal(val('fds').trim(), '0 1 2 3');
    });
  });

  describe('fd hygiene and the helper during create and exec', { concurrency: true }, () => {
    it('create/start and exec: the process sees only 0, 1, 2 (and ls\'s own directory fd)', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sh', '-c', 'ls /proc/self/fd > /fds-init; exec sleep 1000']);
      assertOk(await h.create(id, b), 'create');
      assertOk(await h.run(['start', id]), 'start');
      const init = await h.run(['exec', id, 'sh', '-c', 'while ! test -s /fds-init; do sleep 0.1; done; cat /fds-init']);
      assertOk(init, 'read the init fds');
      assert.deepEqual(init.stdout.trim().split(/\s+/), ['0', '1', '2', '3']);
      const ex = await h.run(['exec', id, 'ls', '/proc/self/fd']);
      assertOk(ex, 'exec ls');
      assert.deepEqual(ex.stdout.trim().split(/\s+/), ['0', '1', '2', '3']);
    });

    it('CVE-2019-5736: a process exec\'d into a created container cannot open the waiting helper\'s exe for writing', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['sleep', '1000']);
      assertOk(await h.create(id, b), 'create');
      // pid 1 is still the runtime's helper, blocked before execve of the user's program.
      const r = await h.run(['exec', id, 'sh', '-c', '{ echo x > /proc/1/exe; } 2>/dev/null && echo WROTE || echo refused']);
      assertOk(r, 'exec');
      assert.equal(r.stdout.trim(), 'refused');
    });
  });

  describe('symlinks planted in the rootfs as mount destinations (CVE-2021-30465 class)', () => {
    it('absolute, relative ../ chain and intermediate symlinks: every mount lands inside the rootfs', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      // Real host directories that the planted links name: a runtime that followed the links on
      // the host would mount over (or create in) these.
      const hostA = makeTempDir(h.cleanup, 'berth-host-a-');
      const hostB = makeTempDir(h.cleanup, 'berth-host-b-');
      const hostC = makeTempDir(h.cleanup, 'berth-host-c-');
      const src = makeTempDir(h.cleanup, 'berth-src-');
      writeFileSync(join(src, 'marker'), 'from-source\n');
      const b = h.bundle(id, ['sh', '-c', [
        'cat /evil/marker',
        'echo inside > /evil/from-container',
        'cat /evil-rel/sub/marker',
        'echo tmp > /evil-tmpfs/x',
        `awk '{print $2, $3}' /proc/mounts | grep -E '^(${hostA}|${hostB}/sub|${hostC}) '`,
      ].join('; ')], (spec) => {
        spec.mounts.push(
          { destination: '/evil', type: 'bind', source: src, options: ['bind'] },
          { destination: '/evil-rel/sub', type: 'bind', source: src, options: ['bind'] },
          { destination: '/evil-tmpfs', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
        );
      });
      symlinkSync(hostA, join(b.rootfs, 'evil'));
      symlinkSync(`../../../../../../../../..${hostB}`, join(b.rootfs, 'evil-rel'));
      mkdirSync(join(b.rootfs, 'tmp'), { recursive: true });
      symlinkSync(hostC, join(b.rootfs, 'evil-tmpfs'));
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertOk(r, 'run');
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], 'from-source');
      assert.equal(lines[1], 'from-source');
      // Seen from inside, the mounts sit at the links' targets resolved in the rootfs.
      const inside = new Map(lines.slice(2).map((l) => l.split(' ') as [string, string]));
      assert.deepEqual([...inside.keys()].sort(), [hostA, `${hostB}/sub`, hostC].sort(), r.stdout);
      assert.equal(inside.get(hostC), 'tmpfs');
      // The host directories are untouched: nothing mounted on them, nothing created in them.
      for (const d of [hostA, hostB, hostC]) {
        assert.deepEqual(readdirSync(d), [], `${d} on the host was written to`);
        assert.deepEqual(mountsUnder(d), [], `${d} on the host has a mount`);
      }
      assert.equal(readdirSync(src).sort().join(' '), 'from-container marker', 'the write went through the bind mount');
    });
  });
}
