// bin/berth itself, as people and the monitor run it: the sh wrapper, the V8 startup snapshot it
// starts from (dist/berth.blob) and the plain bundle it falls back to. The other suites run
// build/'s entry, which has neither. The roots come from the environment, so that a value captured
// when the snapshot was built would show (the storage would land in the wrong place).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { until } from '../helpers/engine-cli.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'); // build/test/integration
const BIN = join(REPO, 'bin', 'berth');
const BLOB = join(REPO, 'dist', 'berth.blob');

const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync(join(REPO, 'dist', 'berth.mjs')) ? 'not bundled (node scripts/bundle.mjs)' : false;

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

for (const mode of ['snapshot', 'plain bundle'] as const) {
  const modeSkip = skip || (mode === 'snapshot' && !existsSync(BLOB) ? 'no dist/berth.blob: the bundle made no snapshot for this node' : false);

  describe(`bin/berth (${mode})`, { skip: modeSkip, concurrency: false }, () => {
    const base = mkdtempSync(join(tmpdir(), 'berth-bin-'));
    const env: NodeJS.ProcessEnv = { ...process.env, BERTH_ROOT: join(base, 'root'), BERTH_RUN_ROOT: join(base, 'run') };
    for (const k of ['BERTH_CLI', 'BERTH_TRACE', 'BERTH_NO_SNAPSHOT', 'BERTH_IMAGE_STORE_MODULE']) delete env[k];
    if (mode === 'plain bundle') env.BERTH_NO_SNAPSHOT = '1';

    const berth = (args: string[], extra: NodeJS.ProcessEnv = {}): Result => {
      const r = spawnSync(BIN, args, { encoding: 'utf8', env: { ...env, ...extra }, timeout: 60_000 });
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    };
    const ok = (args: string[]): string => {
      const r = berth(args);
      assert.equal(r.status, 0, `berth ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };

    after(() => {
      const ids = berth(['ps', '-aq']).stdout.split('\n').filter((x) => x !== '');
      if (ids.length > 0) berth(['rm', '-f', ...ids]);
      // --network none's namespaces are bind mounts under a shared mount of the run root.
      const nsDir = join(base, 'run', 'netns');
      while (spawnSync('mountpoint', ['-q', nsDir]).status === 0) spawnSync('umount', ['--lazy', nsDir]);
      rmSync(base, { recursive: true, force: true });
    });

    it('the wrapper starts node the way this mode says', () => {
      const r = spawnSync('sh', ['-x', BIN, 'version'], { encoding: 'utf8', env });
      assert.equal(r.status, 0, r.stderr);
      const exec = r.stderr.split('\n').find((l) => l.startsWith('+ exec node')) ?? '';
      if (mode === 'snapshot') assert.match(exec, /--snapshot-blob \S+\/dist\/berth\.blob \S+\/dist\/berth\.snapshot\.cjs version$/);
      else assert.match(exec, /\/dist\/berth\.mjs version$/);
    });

    it('version', () => {
      assert.match(ok(['version']), /^berth version \d+\.\d+\.\d+\n/);
      assert.match(ok(['--version']), /^berth version /);
    });

    it('ps -a on a new root, which the environment names', () => {
      assert.match(ok(['ps', '-a']), /^CONTAINER ID\s+IMAGE/);
      assert.ok(existsSync(join(base, 'root', 'berth.db')), 'the database is under $BERTH_ROOT');
    });

    it('run --rm --network none busybox echo, with BERTH_TRACE read at run time', () => {
      const r = berth(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'hello from bin/berth'], { BERTH_TRACE: '1' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'hello from bin/berth\n');
      assert.match(r.stderr, /\[trace [\d.]+ms\] create: begin/);
      assert.equal(ok(['ps', '-aq']), '');
      assert.equal(berth(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'exit 3']).status, 3);
      const bad = berth(['run', '--rm', '--network', 'none', 'busybox', 'nosuchcommand']);
      assert.equal(bad.status, 127, bad.stderr);
    });

    it('a detached --rm container is removed by the monitor calling berth back', async () => {
      const id = ok(['run', '-d', '--rm', '--network', 'none', 'busybox', 'true']).trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      await until(() => ok(['ps', '-aq']).trim() === '', 20_000, 100);
    });

    it('an engine error is one line and exit 125', () => {
      const r = berth(['nosuchverb']);
      assert.equal(r.status, 125);
      assert.match(r.stderr, /^berth: unknown command "nosuchverb"/);
    });

    it('a group verb alone lists its commands, as docker does; an unknown one names them', () => {
      const r = berth(['system']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^usage: berth system COMMAND\n\ncommands: df, info, prune, service\n/);
      const bad = berth(['system', 'nope']);
      assert.equal(bad.status, 125);
      assert.equal(bad.stderr, 'berth: unknown command "system nope" (berth system has: df, info, prune, service)\n');
    });

    it('started through a symlink, it finds its snapshot and bundle beside the real file', () => {
      const link = join(base, 'berth-link');
      spawnSync('ln', ['-s', BIN, link]);
      const r = spawnSync(link, ['version'], { encoding: 'utf8', env, timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^berth version /);
    });
  });
}

describe('node bin/berth', { skip }, () => {
  it('still runs (the plain bundle), as older scripts call it', () => {
    const r = spawnSync(process.execPath, [BIN, 'version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^berth version /);
  });
});
