// 50 create/run/rm cycles leave no mounts, cgroups, processes or files behind.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BerthCli, resources, rootPrivileged, until } from '../helpers/engine-cli.js';

describe('berth engine leaks', { skip: !rootPrivileged() && 'needs root' }, () => {
  it('50 create / run / rm cycles leave nothing', async () => {
    const cli = new BerthCli('berth-leak-');
    cli.ok(['run', '--rm', 'busybox', 'true']);
    const before = resources(cli);
    for (let i = 0; i < 50; i++) {
      const kind = i % 3;
      if (kind === 0) cli.ok(['run', '--rm', 'busybox', 'true']);
      else if (kind === 1) {
        const id = cli.ok(['create', '-v', '/anon', 'busybox', 'true']);
        cli.ok(['start', id]);
        cli.ok(['wait', id]);
        cli.ok(['rm', '-v', id]);
      } else {
        const id = cli.ok(['run', '-d', 'busybox', 'sleep', '30']);
        cli.ok(['rm', '-f', id]);
      }
    }
    await until(() => JSON.stringify(resources(cli)) === JSON.stringify(before), 5000).catch(() => undefined);
    assert.deepEqual(resources(cli), before);
    assert.equal(cli.ok(['ps', '-aq']), '');
    assert.equal(cli.ok(['volume', 'ls', '-q']), '');
    cli.dispose();
  });
});
