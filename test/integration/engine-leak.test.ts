// 50 create/run/rm cycles leave no mounts, cgroups, processes or files behind.
// (--network none: the network cycles are counted in engine-network.test.ts.)
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BerthCli, resources, rootPrivileged, until } from '../helpers/engine-cli.js';

/** dispose() keeps a base dir with a mount in it: the shared mount of --network none's namespaces goes first. */
function disposeAll(cli: BerthCli): void {
  cli.dispose();
  const nsDir = join(cli.runRoot, 'netns');
  while (spawnSync('mountpoint', ['-q', nsDir]).status === 0) spawnSync('umount', ['--lazy', nsDir]);
  rmSync(cli.base, { recursive: true, force: true });
}

describe('berth engine leaks', { skip: !rootPrivileged() && 'needs root' }, () => {
  it('50 create / run / rm cycles leave nothing', async () => {
    const cli = new BerthCli('berth-leak-');
    cli.ok(['run', '--network', 'none', '--rm', 'busybox', 'true']);
    const before = resources(cli);
    for (let i = 0; i < 50; i++) {
      const kind = i % 3;
      if (kind === 0) cli.ok(['run', '--network', 'none', '--rm', 'busybox', 'true']);
      else if (kind === 1) {
        const id = cli.ok(['create', '--network', 'none', '-v', '/anon', 'busybox', 'true']);
        cli.ok(['start', id]);
        cli.ok(['wait', id]);
        cli.ok(['rm', '-v', id]);
      } else {
        const id = cli.ok(['run', '--network', 'none', '-d', 'busybox', 'sleep', '30']);
        cli.ok(['rm', '-f', id]);
      }
    }
    await until(() => JSON.stringify(resources(cli)) === JSON.stringify(before), 5000).catch(() => undefined);
    assert.deepEqual(resources(cli), before);
    assert.equal(cli.ok(['ps', '-aq']), '');
    assert.equal(cli.ok(['volume', 'ls', '-q']), '');
    disposeAll(cli);
  });
});
